//! The orchestrator as an MCP server (`promptsales mcp`): run pipelines, follow runs and decide approval gates from any MCP host, asking the person through elicitation when the client supports it.

mod approvals;
mod pipelines;

use std::sync::Arc;

use promptsales_server::app::Runtime;
use promptsales_server::auth::Principal;
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

use crate::app::Orchestrator;
use crate::client::{Hub, HubConfig};

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
                let config = HubConfig::from_env()
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

/// `promptsales mcp`: owns the orchestrator's context (and the catalogue),
/// and audits every call into the orchestrator's own database.
pub async fn serve(rt: Runtime, args: &ServeArgs) -> anyhow::Result<()> {
    let orch = Arc::new(Orchestrator::open(rt).await?);
    let auditor = orch.rt.auditor(orch.runs.db());
    let server = OrchestratorServer::new(orch.clone(), auditor.clone(), args)?;
    let readiness = Readiness {
        dbs: vec![orch.core.clone(), orch.runs.db().clone()],
        cache: Some(orch.rt.cache.clone()),
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
            ]
        );
        let ro = select_tools(OrchestratorServer::toolsets(), &[], true).unwrap();
        let mut ro: Vec<String> = ro.list_all().iter().map(|t| t.name.to_string()).collect();
        ro.sort();
        assert_eq!(ro, ["get_run", "list_runs"]);
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
}
