//! The `usage` toolset: what a client uses of its crm plan.

use promptsales_catalog::Usage;
use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{CrmServer, Ctx};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UsageParams {
    /// The client, e.g. `cli_001`.
    pub client_id: String,
}

#[tool_router(router = usage_tools, vis = "pub(super)")]
impl CrmServer {
    #[tool(
        meta = needs(Scope::CrmRead),
        description = "A client's use of its crm plan: leads stored (erased ones excluded), seats (active sellers working for the client) and messages sent this month in the client's time zone (with when it resets), each with the plan's limit (absent: not limited). The same as the resource crm://usage/{client_id}.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn usage(
        &self,
        Parameters(p): Parameters<UsageParams>,
        ctx: Ctx,
    ) -> Result<Json<Usage>, ToolError> {
        let who = self.who(&ctx);
        let out = self.svc.usage(&who.tenant, &p.client_id).await?;
        Ok(Json(out))
    }
}
