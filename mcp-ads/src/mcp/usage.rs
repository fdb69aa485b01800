//! The `usage` toolset: a client's ads plan and what it uses of it.

use promptsales_catalog::Usage;
use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{AdsServer, Ctx};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UsageParams {
    /// The client, e.g. `cli_001`.
    pub client_id: String,
}

#[tool_router(router = usage_tools, vis = "pub(super)")]
impl AdsServer {
    #[tool(
        meta = needs(Scope::AdsRead),
        description = "A client's ads plan and its use now: active campaigns, planned ad spend this month (per currency, in hundredths; the month is the client's, in its time zone) and seats (people who moved its campaigns this month), each with the plan's limit and when it resets. Launches and resumes beyond the plan are refused with these numbers.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn usage(
        &self,
        Parameters(p): Parameters<UsageParams>,
        ctx: Ctx,
    ) -> Result<Json<Usage>, ToolError> {
        let who = self.who(&ctx);
        Ok(Json(self.svc.usage(&who.tenant, &p.client_id).await?))
    }
}
