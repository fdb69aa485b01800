//! The `usage` toolset: what a client used of its content plan this month.

use promptsales_catalog::Usage;
use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};

use super::brand::ClientParams;
use super::{ContentServer, Ctx};

#[tool_router(router = usage_tools, vis = "pub(super)")]
impl ContentServer {
    #[tool(
        meta = needs(Scope::ContentRead),
        description = "A client's use of its content plan this month, in the client's time zone: generations (every variant generate_content or generate_visual_brief wrote), LLM tokens the LLM engine spent, and seats (people who generated), each against the plan's limit (null: not limited; plan null: no plan, nothing limited) and when it resets.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn usage(
        &self,
        Parameters(p): Parameters<ClientParams>,
        ctx: Ctx,
    ) -> Result<Json<Usage>, ToolError> {
        let who = self.who(&ctx);
        Ok(Json(self.svc.usage(&who.tenant, &p.client_id).await?))
    }
}
