//! The orchestrator as an MCP server (`promptsales mcp`): run pipelines, follow runs and decide approval gates from any MCP host, asking the person through elicitation when the client supports it.

mod approvals;
mod pipelines;

use std::sync::Arc;

use futures::future::BoxFuture;
use rmcp::Peer;
use rmcp::service::{ElicitationError, ElicitationMode};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use promptsales_server::app::Runtime;
use promptsales_server::audit_tool::{Audited, audit_toolset};
use promptsales_server::auth::Principal;
use promptsales_server::call::ToolServer;
use promptsales_server::server::{
    Auditor, Readiness, ServeArgs, ServeError, Toolset, call_tool_audited, select_tools,
};
use promptsales_shared::AppError;
use rmcp::handler::server::tool::ToolRouter;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, tool_handler};
use tokio::sync::OnceCell;

pub use approvals::{ApprovalConfirmation, ApproveParams, Decision};
pub use pipelines::{
    BuiltinRecipe, GetRunParams, ListRunsParams, RunList, RunPipelineParams, RunView,
};

use crate::agent::confirm::{Confirm, Confirmation};
use crate::app::Orchestrator;
use crate::client::Hub;

/// The orchestrator MCP server.
#[derive(Clone)]
pub struct OrchestratorServer {
    orch: Arc<Orchestrator>,
    hub: Arc<OnceCell<Hub>>,
    local: Principal,
    tools: Arc<ToolRouter<Self>>,
    auditor: Auditor,
}

impl OrchestratorServer {
    /// Every toolset, with what it is for: the one list `--toolsets`
    /// chooses from.
    pub fn toolsets() -> Vec<Toolset<Self>> {
        vec![
            Toolset::new(
                "pipelines",
                "Start and follow pipeline runs",
                Self::pipelines_tools(),
            ),
            Toolset::new(
                "approvals",
                "Decide approval gates",
                Self::approvals_tools(),
            ),
            audit_toolset(),
        ]
    }

    pub fn new(
        orch: Arc<Orchestrator>,
        auditor: Auditor,
        args: &ServeArgs,
    ) -> Result<Self, ServeError> {
        let tools = select_tools(Self::toolsets(), &args.toolsets, args.read_only)?;
        Ok(Self {
            local: orch.rt.local_principal(),
            auditor,
            orch,
            hub: Arc::new(OnceCell::new()),
            tools: Arc::new(tools),
        })
    }

    /// The servers, spawned on first use and kept for the session.
    async fn hub(&self) -> Result<&Hub, AppError> {
        self.hub
            .get_or_try_init(|| async {
                // The configuration error names variables and their values
                // (URLs): the log gets them, the client a reference.
                let config = self
                    .orch
                    .hub_config()
                    .map_err(|e| AppError::Internal(format!("server configuration: {e}")))?;
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

    /// The caller, checked to act for this orchestrator's tenant.
    fn caller(&self, context: &RequestContext<RoleServer>) -> Result<Principal, AppError> {
        let who = Principal::of(context, &self.local);
        self.check_tenant(&who)?;
        Ok(who)
    }
}

impl ToolServer for OrchestratorServer {
    fn tools(&self) -> &ToolRouter<Self> {
        &self.tools
    }
}

impl Audited for OrchestratorServer {
    fn auditor(&self) -> &Auditor {
        &self.auditor
    }
}

/// The person's answer when asked to allow one consequential call.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct CallConfirmation {
    /// True to allow this one call.
    pub confirm: bool,
}
rmcp::elicit_safe!(CallConfirmation);

/// Confirmation through the MCP client: an elicitation form where the
/// client supports one; otherwise no (nobody can be asked, so nothing
/// consequential happens).
pub struct Elicit {
    peer: Peer<RoleServer>,
}

impl Elicit {
    pub fn new(context: &RequestContext<RoleServer>) -> Self {
        Self {
            peer: context.peer.clone(),
        }
    }
}

impl Confirm for Elicit {
    fn confirm<'a>(&'a self, c: &'a Confirmation) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            if !self
                .peer
                .supported_elicitation_modes()
                .contains(&ElicitationMode::Form)
            {
                return false;
            }
            match self.peer.elicit::<CallConfirmation>(c.question()).await {
                Ok(Some(CallConfirmation { confirm })) => confirm,
                Ok(None)
                | Err(ElicitationError::UserDeclined | ElicitationError::UserCancelled) => false,
                Err(e) => {
                    tracing::warn!(error = %e, tool = %c.tool, "confirmation not obtained; call refused");
                    false
                }
            }
        })
    }
    fn declined(&self) -> &'static str {
        "the person did not confirm it (or their MCP client cannot be asked)"
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
                 (needs orchestrator:approve and ads:approve, not the run's starter; the launch \
                 after it runs as the approver, with ads:launch).",
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

/// `promptsales mcp`: owns the orchestrator's context (and the catalogue),
/// and audits every call into the orchestrator's own database.
pub async fn serve(rt: Runtime, args: &ServeArgs) -> anyhow::Result<()> {
    let orch = Arc::new(Orchestrator::open(rt).await?);
    let auditor = orch.rt.auditor(orch.runs.db());
    let server = OrchestratorServer::new(orch.clone(), auditor.clone(), args)?;
    let readiness = Readiness {
        dbs: vec![orch.core.clone(), orch.runs.db().clone()],
        cache: Some(orch.rt.cache.clone()),
        ..Default::default()
    };
    promptsales_server::server::run("promptsales", args, readiness, Some(auditor), move || {
        server.clone()
    })
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn toolsets_name_every_tool_once() {
        let sets = OrchestratorServer::toolsets();
        let names: Vec<(&str, Vec<String>)> =
            sets.iter().map(|s| (s.name, s.tool_names())).collect();
        assert_eq!(
            names,
            vec![
                (
                    "pipelines",
                    vec!["get_run".into(), "list_runs".into(), "run_pipeline".into()]
                ),
                ("approvals", vec!["approve".into()]),
                ("audit", vec!["audit_query".into()]),
            ]
        );
        let ro = select_tools(OrchestratorServer::toolsets(), &[], true).unwrap();
        let mut ro: Vec<String> = ro.list_all().iter().map(|t| t.name.to_string()).collect();
        ro.sort();
        assert_eq!(ro, ["get_run", "list_runs"]);
    }

    #[test]
    fn every_tool_declares_the_scope_it_needs() {
        use promptsales_server::call::declared_scope;
        use promptsales_shared::scope::Scope;
        let all = select_tools(OrchestratorServer::toolsets(), &[], false).unwrap();
        let mut scopes: Vec<(String, Option<Scope>)> = all
            .list_all()
            .iter()
            .map(|t| (t.name.to_string(), declared_scope(t)))
            .collect();
        scopes.sort();
        assert_eq!(
            scopes,
            vec![
                ("approve".into(), Some(Scope::OrchestratorApprove)),
                ("audit_query".into(), Some(Scope::Admin)),
                ("get_run".into(), Some(Scope::OrchestratorRead)),
                ("list_runs".into(), Some(Scope::OrchestratorRead)),
                ("run_pipeline".into(), Some(Scope::OrchestratorRun)),
            ]
        );
    }

    #[test]
    fn closed_vocabularies_are_enums_in_the_schemas() {
        let all = select_tools(OrchestratorServer::toolsets(), &[], false).unwrap();
        // The names an argument's schema allows (an optional one may also
        // allow null).
        let allowed = |tool: &str, field: &str| -> Vec<String> {
            let t = all.get(tool).unwrap();
            let schema = serde_json::Value::Object((*t.input_schema).clone());
            schema["properties"][field]["enum"]
                .as_array()
                .unwrap_or_else(|| panic!("{tool}.{field}: {schema}"))
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        };
        assert_eq!(
            allowed("run_pipeline", "recipe"),
            ["launch-campaign", "weekly-report", "lead-nurture"]
        );
        assert_eq!(
            allowed("list_runs", "status"),
            ["running", "waiting_approval", "succeeded", "failed"]
        );
        assert_eq!(allowed("approve", "decision"), ["approve", "reject"]);
    }

    /// A server whose one tool asks through [`Elicit`].
    #[derive(Clone)]
    struct Probe {
        tools: ToolRouter<Self>,
    }

    #[rmcp::tool_router]
    impl Probe {
        #[rmcp::tool(description = "asks the person")]
        async fn ask(&self, context: RequestContext<RoleServer>) -> String {
            let c = Confirmation {
                tool: "ads.launch_campaign".into(),
                reason: "it needs the privileged `ads:launch` scope".into(),
                args: serde_json::json!({"campaign_id": "cmp_1"}),
            };
            Elicit::new(&context).confirm(&c).await.to_string()
        }
    }

    #[tool_handler(router = self.tools)]
    impl ServerHandler for Probe {
        fn get_info(&self) -> ServerConfig {
            ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
        }
    }

    /// A person at an MCP client: answers elicitations when it can.
    #[derive(Clone)]
    struct Person {
        /// `None`: the client cannot be asked (no elicitation capability).
        answer: Option<bool>,
    }

    impl rmcp::ClientHandler for Person {
        fn get_info(&self) -> rmcp::model::ClientConfig {
            let caps = match self.answer {
                Some(_) => rmcp::model::ClientCapabilities::builder()
                    .enable_elicitation()
                    .build(),
                None => rmcp::model::ClientCapabilities::default(),
            };
            rmcp::model::ClientConfig::new(caps, Implementation::new("person", "1"))
        }

        async fn create_elicitation(
            &self,
            request: rmcp::model::ElicitRequestParams,
            _context: RequestContext<rmcp::RoleClient>,
        ) -> Result<rmcp::model::ElicitResult, ErrorData> {
            assert!(format!("{request:?}").contains("ads.launch_campaign"));
            Ok(match self.answer {
                Some(true) => {
                    rmcp::model::ElicitResult::new(rmcp::model::ElicitationAction::Accept)
                        .with_content(serde_json::json!({"confirm": true}))
                }
                _ => rmcp::model::ElicitResult::new(rmcp::model::ElicitationAction::Decline),
            })
        }
    }

    async fn asked(answer: Option<bool>) -> String {
        let (server_io, client_io) = tokio::io::duplex(1 << 16);
        let probe = Probe {
            tools: Probe::tool_router(),
        };
        tokio::spawn(async move {
            if let Ok(s) = rmcp::serve_server(probe, server_io).await {
                let _ = s.waiting().await;
            }
        });
        let client = rmcp::serve_client_with_lifecycle(
            Person { answer },
            client_io,
            rmcp::ClientLifecycleMode::Initialize,
        )
        .await
        .unwrap();
        let r = client
            .call_tool(CallToolRequestParams::new("ask"))
            .await
            .unwrap();
        let _ = client.cancel().await;
        r.content[0].as_text().unwrap().text.clone()
    }

    /// `promptsales mcp` asks through elicitation: a yes is a yes; a
    /// decline, or a client that cannot be asked, is a no.
    #[tokio::test]
    async fn elicitation_confirms_and_anything_else_refuses() {
        assert_eq!(asked(Some(true)).await, "true");
        assert_eq!(asked(Some(false)).await, "false");
        assert_eq!(asked(None).await, "false");
    }
}
