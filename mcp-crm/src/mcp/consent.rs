//! The `consent` toolset: the consent and suppression ledger across email,
//! SMS and WhatsApp (`crm:consent`).

use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{CrmServer, Ctx};
use crate::domain::{ContactChannel, DirectChannel};
use crate::service::LedgerState;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RecordConsentParams {
    pub lead_id: String,
    /// The channel consent was given or withdrawn for (consent is per
    /// channel).
    pub channel: DirectChannel,
    /// true when consent was given, false when withdrawn.
    pub granted: bool,
    /// Where it came from, e.g. "landing form 2026-03, checkbox".
    pub source: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SuppressParams {
    pub lead_id: String,
    /// The channel to suppress; default `all`: every channel, paid media
    /// included.
    pub channel: Option<ContactChannel>,
    /// Why or where, e.g. "replied STOP", "complaint by phone" (required,
    /// also to lift: the ledger keeps it with who made the change).
    pub source: String,
    /// true to lift an earlier suppression instead.
    pub lift: Option<bool>,
}

#[tool_router(router = consent_tools, vis = "pub(super)")]
impl CrmServer {
    #[tool(
        meta = needs(Scope::CrmConsent),
        description = "Record consent given or withdrawn for a lead's contact on email, sms or whatsapp, with its source; kept in the ledger history with who recorded it and when. Needs the crm:consent scope.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn record_consent(
        &self,
        Parameters(p): Parameters<RecordConsentParams>,
        ctx: Ctx,
    ) -> Result<Json<LedgerState>, ToolError> {
        let who = self.who(&ctx);
        let out = self
            .svc
            .record_consent(&who, &p.lead_id, p.channel.into(), p.granted, &p.source)
            .await?;
        Ok(Json(out))
    }

    #[tool(
        meta = needs(Scope::CrmConsent),
        description = "Suppress (opt out) a lead's contacts on one channel or on all (paid-media audiences included), with the source; lift: true removes an earlier suppression. Kept in the ledger history with who changed it and why; mcp-ads checks it before a campaign reaches a person. Needs the crm:consent scope.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn suppress(
        &self,
        Parameters(p): Parameters<SuppressParams>,
        ctx: Ctx,
    ) -> Result<Json<LedgerState>, ToolError> {
        let who = self.who(&ctx);
        let out = self
            .svc
            .suppress(
                &who,
                &p.lead_id,
                p.channel,
                &p.source,
                p.lift.unwrap_or(false),
            )
            .await?;
        Ok(Json(out))
    }
}
