//! The orchestrator as an MCP server (`promptsales mcp`): run pipelines, follow runs and decide approval gates from any MCP host, asking the person through elicitation when the client supports it.

use std::sync::Arc;

use promptsales_shared::AppError;
use promptsales_shared::app::Runtime;
use promptsales_shared::auth::Principal;
use promptsales_shared::server::{
    Auditor, Readiness, ServeArgs, ServeError, Toolset, call_tool_audited, filter_router,
};
use rmcp::handler::server::tool::ToolRouter;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ServerCapabilities, ServerConfig,
};
use rmcp::service::{ElicitationError, ElicitationMode, RequestContext};
use rmcp::{ErrorData, RoleServer, ServerHandler, tool, tool_handler, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::OnceCell;

use crate::app::Orchestrator;
use crate::client::{Hub, HubConfig};
use crate::pipeline::runner::{ResumeOpts, RunReport};
use crate::pipeline::{decide, load_recipe, recipe::BUILTIN};

/// Tool groups for `--toolsets`.
pub const TOOLSETS: &[Toolset] = &[
    Toolset {
        name: "pipelines",
        description: "Start and follow pipeline runs",
        tools: &["run_pipeline", "list_runs", "get_run"],
    },
    Toolset {
        name: "approvals",
        description: "Decide approval gates",
        tools: &["approve"],
    },
];

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RunPipelineParams {
    /// Built-in recipe: launch-campaign, weekly-report or lead-nurture.
    pub recipe: String,
    /// The recipe's parameters, e.g. `{"client_id": "cli_001", "product": "Plan Pro", "budget_cents": 500000, "start_date": "2026-12-01", "end_date": "2026-12-31"}`.
    #[serde(default)]
    pub params: Value,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListRunsParams {
    /// At most this many, newest first (default 20, at most 200).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetRunParams {
    /// Run id, e.g. `run_20261125T193000_9f3a1c`.
    pub run_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ApproveParams {
    /// Approval id, e.g. `apr_20261125T193000_1a2b3c` (from get_run's `waiting_on`).
    pub approval_id: String,
    /// true to approve (default), false to reject.
    #[serde(default = "yes")]
    pub approve: bool,
    /// Why; required to reject.
    pub note: Option<String>,
}

fn yes() -> bool {
    true
}

/// The person's answer when asked to confirm an approval.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct ApprovalConfirmation {
    /// True to record the decision.
    pub confirm: bool,
    /// A note for the record.
    pub note: Option<String>,
}
rmcp::elicit_safe!(ApprovalConfirmation);

/// A run as tools return it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RunView {
    pub run_id: String,
    pub recipe: String,
    /// running, waiting_approval, succeeded or failed.
    pub status: String,
    pub error: Option<String>,
    /// Steps with input, output, status and timings.
    pub steps: Vec<Value>,
    /// Text the recipe printed (reports, drafts).
    pub printed: Vec<String>,
    /// The approval the run waits for.
    pub waiting_on: Option<Value>,
}

impl From<RunReport> for RunView {
    fn from(r: RunReport) -> Self {
        Self {
            run_id: r.run.id,
            recipe: r.run.recipe,
            status: r.run.status.as_str().to_owned(),
            error: r.run.error,
            steps: r
                .steps
                .iter()
                .map(|s| serde_json::to_value(s).unwrap_or(Value::Null))
                .collect(),
            printed: r.printed,
            waiting_on: r
                .waiting_on
                .map(|a| serde_json::to_value(a).unwrap_or(Value::Null)),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RunList {
    pub runs: Vec<Value>,
}

/// The orchestrator MCP server.
#[derive(Clone)]
pub struct OrchestratorServer {
    orch: Arc<Orchestrator>,
    hub: Arc<OnceCell<Hub>>,
    local: Principal,
    tools: Arc<ToolRouter<Self>>,
    auditor: Auditor,
}

#[tool_router]
impl OrchestratorServer {
    pub fn new(orch: Arc<Orchestrator>, args: &ServeArgs) -> Result<Self, ServeError> {
        let tools = filter_router(
            Self::tool_router(),
            TOOLSETS,
            &args.toolsets,
            args.read_only,
        )?;
        Ok(Self {
            local: orch.rt.config.local_principal(),
            auditor: orch.rt.auditor.clone(),
            orch,
            hub: Arc::new(OnceCell::new()),
            tools: Arc::new(tools),
        })
    }

    /// The servers, spawned on first use and kept for the session.
    async fn hub(&self) -> Result<&Hub, AppError> {
        self.hub
            .get_or_try_init(|| async {
                let config =
                    HubConfig::from_env().map_err(|e| AppError::Unavailable(e.to_string()))?;
                Ok::<Hub, AppError>(Hub::connect(config).await)
            })
            .await
    }

    fn check_tenant(&self, who: &Principal) -> Result<(), AppError> {
        // Runs live in this process's tenant; a token for another is refused.
        if who.tenant != self.orch.rt.config.tenant {
            return Err(AppError::PermissionDenied(format!(
                "{} acts for tenant {}, this orchestrator serves {}",
                who.subject, who.tenant, self.orch.rt.config.tenant
            )));
        }
        Ok(())
    }

    #[tool(
        description = "Start a pipeline (launch-campaign, weekly-report or lead-nurture) and run it until it finishes, fails or waits at an approval gate; returns every step with its input, output and timing.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn run_pipeline(
        &self,
        Parameters(p): Parameters<RunPipelineParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<RunView>, AppError> {
        let who = Principal::of(&context, &self.local);
        self.check_tenant(&who)?;
        if !BUILTIN.iter().any(|(n, _)| *n == p.recipe) {
            return Err(AppError::invalid(
                "recipe",
                "launch-campaign, weekly-report or lead-nurture",
                &p.recipe,
            ));
        }
        let source = load_recipe(&p.recipe)?;
        let hub = self.hub().await?;
        let mut runner = self.orch.runner(hub);
        runner.actor = who.subject.clone();
        runner
            .start(&source, &p.params)
            .await
            .map(|r| Json(r.into()))
    }

    #[tool(
        description = "List pipeline runs, newest first: id, recipe, status, who started it and when.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn list_runs(
        &self,
        Parameters(p): Parameters<ListRunsParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<RunList>, AppError> {
        let who = Principal::of(&context, &self.local);
        self.check_tenant(&who)?;
        let limit = i64::from(p.limit.unwrap_or(20).clamp(1, 200));
        let runs = self.orch.runs.list_runs(&who.tenant, limit).await?;
        Ok(Json(RunList {
            runs: runs
                .iter()
                .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
                .collect(),
        }))
    }

    #[tool(
        description = "One run: status, every step (input, output, status, timing) and the approval it waits for.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn get_run(
        &self,
        Parameters(p): Parameters<GetRunParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<RunView>, AppError> {
        let who = Principal::of(&context, &self.local);
        self.check_tenant(&who)?;
        let none = crate::cli::NoTools;
        self.orch
            .runner(&none)
            .report(&p.run_id, Vec::new())
            .await
            .map(|r| Json(r.into()))
    }

    #[tool(
        description = "Approve (or reject, with a note) a run's approval gate, then continue the run. Needs the gate's scope (ads:approve); the person who started the run cannot approve it. Clients that support elicitation are asked to confirm first.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn approve(
        &self,
        Parameters(p): Parameters<ApproveParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<RunView>, AppError> {
        let who = Principal::of(&context, &self.local);
        self.check_tenant(&who)?;
        let a = self
            .orch
            .runs
            .get_approval(&who.tenant, &p.approval_id)
            .await?;
        who.require_scope(&a.required_scope)?;
        let mut note = p.note.clone();
        if context
            .peer
            .supported_elicitation_modes()
            .contains(&ElicitationMode::Form)
        {
            let verb = if p.approve { "Approve" } else { "Reject" };
            match context
                .peer
                .elicit::<ApprovalConfirmation>(format!("{verb} this gate? {}", a.summary))
                .await
            {
                Ok(Some(ApprovalConfirmation {
                    confirm: true,
                    note: n,
                })) => {
                    note = n.or(note);
                }
                Ok(_)
                | Err(ElicitationError::UserDeclined)
                | Err(ElicitationError::UserCancelled) => {
                    return Err(AppError::Conflict(format!(
                        "approval {} not confirmed by the person: nothing was decided",
                        a.id
                    )));
                }
                Err(e) => tracing::warn!(error = %e, "elicitation failed; deciding as asked"),
            }
        }
        let decided = decide(&self.orch.runs, &who, &a.id, p.approve, note.as_deref()).await?;
        let hub = self.hub().await?;
        self.orch
            .runner(hub)
            .resume(&decided.run_id, &ResumeOpts::default())
            .await
            .map(|r| Json(r.into()))
    }
}

#[tool_handler(router = self.tools)]
impl ServerHandler for OrchestratorServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("promptsales", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "PromptSales orchestrator: run pipelines across the content, ads, CRM and analytics \
                 servers. launch-campaign stops at an approval gate; approve it with `approve` \
                 (needs ads:approve, not the run's starter).",
            )
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        call_tool_audited(self, &self.tools, &self.auditor, request, context).await
    }
}

/// `promptsales mcp`.
pub async fn serve(rt: Runtime, args: &ServeArgs) -> anyhow::Result<()> {
    let orch = Arc::new(Orchestrator::open(rt).await?);
    let server = OrchestratorServer::new(orch.clone(), args)?;
    let readiness = Readiness {
        dbs: vec![orch.rt.core.clone(), orch.runs.db().clone()],
        cache: Some(orch.rt.cache.clone()),
    };
    promptsales_shared::server::run(
        "promptsales",
        args,
        readiness,
        Some(orch.rt.auditor.clone()),
        move || server.clone(),
    )
    .await?;
    Ok(())
}
