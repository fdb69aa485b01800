//! The `privacy` toolset: GDPR export and erasure of a person's data —
//! every lead of the same person, across clients (`crm:gdpr`).

use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{CrmServer, Ctx, LeadIdParams};
use crate::service::{Erasure, GdprExport};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct EraseLeadParams {
    /// Lead id, e.g. `lead_00042`.
    pub lead_id: String,
    /// Erase only this lead and leave the same person's leads of other
    /// clients as they are (default false: the person is erased
    /// everywhere).
    pub only_this_lead: Option<bool>,
}

#[tool_router(router = privacy_tools, vis = "pub(super)")]
impl CrmServer {
    #[tool(
        meta = needs(Scope::CrmGdpr),
        description = "GDPR export: everything held on a person — decrypted profile, score reasons, sources, stage history, interactions, sent messages, sales and the consent ledger of their contacts — for the lead given and, under same_person, every other lead of the same person (same email or phone, of any client), with a notice saying how many. Needs the crm:gdpr scope.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn gdpr_export_lead(
        &self,
        Parameters(p): Parameters<LeadIdParams>,
        ctx: Ctx,
    ) -> Result<Json<GdprExport>, ToolError> {
        let who = self.who(&ctx);
        let out = self.svc.gdpr_export_lead(&who, &p.lead_id).await?;
        Ok(Json(out))
    }

    #[tool(
        meta = needs(Scope::CrmGdpr),
        description = "GDPR erasure: remove a person's personal data (name, email, phone and their blind indexes, city, company, message texts) while keeping anonymised facts (stage, country, channel, sales amounts) so analytics totals do not change — from the lead given and every other lead of the same person (same email or phone, of any client; only_this_lead: true limits it to this one), all in one transaction, listed under same_person. Irreversible; needs the crm:gdpr scope.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn gdpr_erase_lead(
        &self,
        Parameters(p): Parameters<EraseLeadParams>,
        ctx: Ctx,
    ) -> Result<Json<Erasure>, ToolError> {
        let who = self.who(&ctx);
        let out = self
            .svc
            .gdpr_erase_lead(&who, &p.lead_id, p.only_this_lead.unwrap_or(false))
            .await?;
        Ok(Json(out))
    }
}
