//! The `audiences` toolset: audience segments sized by CRM.

use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};

use super::{AdsServer, Ctx};
use crate::service::{SegmentRequest, SegmentResult};

#[tool_router(router = audiences_tools, vis = "pub(super)")]
impl AdsServer {
    #[tool(
        meta = needs(Scope::AdsWrite),
        description = "Build a named audience segment from CRM (countries, stages, min score, source channels, last activity, consent for a reach channel): matched, reachable (consented, not suppressed), suppressed and without-consent counts; stored, and attached to a draft campaign when campaign_id is given.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn segment_audience(
        &self,
        Parameters(p): Parameters<SegmentRequest>,
        ctx: Ctx,
    ) -> Result<Json<SegmentResult>, ToolError> {
        Ok(Json(self.svc.segment(&self.who(&ctx), p).await?))
    }
}
