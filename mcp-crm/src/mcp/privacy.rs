//! The `privacy` toolset: GDPR export and erasure of a person's data
//! (`crm:gdpr`).

use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};

use super::{CrmServer, Ctx, LeadIdParams};
use crate::service::{Erasure, GdprExport};

#[tool_router(router = privacy_tools, vis = "pub(super)")]
impl CrmServer {
    #[tool(
        meta = needs(Scope::CrmGdpr),
        description = "GDPR export: everything held on a person — decrypted profile, score reasons, sources, stage history, interactions, sent messages, sales and the consent ledger of their contacts. Needs the crm:gdpr scope.",
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
        description = "GDPR erasure: remove a person's personal data (name, email, phone and their blind indexes, city, company, message texts) while keeping anonymised facts (stage, country, channel, sales amounts) so analytics totals do not change. Irreversible; needs the crm:gdpr scope.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn gdpr_erase_lead(
        &self,
        Parameters(p): Parameters<LeadIdParams>,
        ctx: Ctx,
    ) -> Result<Json<Erasure>, ToolError> {
        let who = self.who(&ctx);
        let out = self.svc.gdpr_erase_lead(&who, &p.lead_id).await?;
        Ok(Json(out))
    }
}
