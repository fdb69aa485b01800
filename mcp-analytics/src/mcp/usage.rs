//! The `usage` toolset: what a client used of its analytics plan this month.

use promptsales_catalog::Usage;
use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::AnalyticsServer;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UsageParams {
    /// Client id, e.g. `cli_001`.
    pub client_id: String,
}

#[tool_router(router = usage_tools, vis = "pub(super)")]
impl AnalyticsServer {
    #[tool(
        meta = needs(Scope::AnalyticsRead),
        description = "A client's use of its analytics plan this month, in the client's time zone: questions (every `ask` with this client_id, cached answers included; an ask without client_id is agency-wide and counts against no client) and LLM tokens the LLM engine spent, each against the plan's limit (null: not limited; plan null: no plan, nothing limited) and when it resets.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn usage(
        &self,
        Parameters(p): Parameters<UsageParams>,
    ) -> Result<Json<Usage>, ToolError> {
        Ok(Json(self.svc.usage(&self.tenant, &p.client_id).await?))
    }
}
