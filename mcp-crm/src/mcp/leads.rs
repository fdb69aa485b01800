//! The `leads` toolset: register, find, score and move leads through the
//! funnel.

use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::domain::{Channel, Page};
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{CrmServer, Ctx, LeadIdParams};
use crate::domain::{Language, Lead, LeadStage};
use crate::service::{
    Lead360, LeadProfile, LeadQuery, LeadUpdate, NewLead, Registration, ScoreCard,
};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RegisterLeadParams {
    /// The agency client the lead is for, e.g. `cli_001`.
    pub client_id: String,
    /// Where the lead came from.
    pub channel: Channel,
    /// ISO-3166 alpha-2 country (CO, MX, US…); also the default dialling
    /// code for a national phone number.
    pub country: String,
    pub city: Option<String>,
    /// The campaign the lead came from, e.g. `cmp_00042`.
    pub campaign_id: Option<String>,
    /// Full name (stored encrypted).
    pub name: Option<String>,
    /// Email (trimmed, lower-cased; stored encrypted). Email or phone is required.
    pub email: Option<String>,
    /// Phone, national (for `country`) or international with + or 00;
    /// normalised to E.164 by libphonenumber, stored encrypted.
    pub phone: Option<String>,
    pub company: Option<String>,
    /// The product or service the lead asked about.
    pub product_interest: Option<String>,
    /// The language to write to the lead in.
    pub language: Option<Language>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateLeadParams {
    pub lead_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub product_interest: Option<String>,
    /// The language to write to the lead in.
    pub language: Option<Language>,
    pub city: Option<String>,
    /// ISO-3166 alpha-2 country.
    pub country: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchLeadsParams {
    /// Only leads in this funnel stage.
    pub stage: Option<LeadStage>,
    /// Only leads from this country, as an ISO-3166 alpha-2 code (CO, MX, US…).
    pub country: Option<String>,
    /// Only leads from this channel.
    pub channel: Option<Channel>,
    /// Only leads from this campaign, e.g. `cmp_00042`.
    pub campaign_id: Option<String>,
    /// Only this client's leads.
    pub client_id: Option<String>,
    /// Only leads assigned to this seller, e.g. `sel_003`.
    pub seller_id: Option<String>,
    /// Only leads scoring at least this much (0-100).
    pub min_score: Option<i32>,
    /// Only leads scoring at most this much (0-100).
    pub max_score: Option<i32>,
    /// Only leads created on or after this date (YYYY-MM-DD) or time (RFC 3339).
    pub created_from: Option<String>,
    /// Only leads created before this date or time.
    pub created_to: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AdvanceStageParams {
    pub lead_id: String,
    /// Target stage, forward only (a lost lead can be reopened to iql, mql
    /// or sql; use mark_lost to lose a lead).
    pub stage: LeadStage,
    /// Why, recorded in the stage history.
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct MarkLostParams {
    pub lead_id: String,
    /// Why the lead was lost (required), e.g. "chose a competitor".
    pub reason: String,
}

#[tool_router(router = leads_tools, vis = "pub(super)")]
impl CrmServer {
    #[tool(
        meta = needs(Scope::CrmWrite),
        description = "Register a lead of a client from any source. Email is trimmed and lower-cased; the phone, national or international, is normalised to E.164 by libphonenumber for the lead's country (an invalid number is refused). A repeat of the same person (same email or phone) for the same client never creates a twin: it returns the client's existing lead with duplicate_of and matched_on, and records the new source; the same person for another client is a separate lead of that client. A new lead counts against the client's plan (leads_stored, refused with the numbers when full; a merge is free). New leads start in iql and are scored at once.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn register_lead(
        &self,
        Parameters(p): Parameters<RegisterLeadParams>,
        ctx: Ctx,
    ) -> Result<Json<Registration>, ToolError> {
        let who = self.who(&ctx);
        let input = NewLead {
            client_id: p.client_id,
            channel: p.channel,
            country: p.country,
            city: p.city,
            campaign_id: p.campaign_id,
            name: p.name,
            email: p.email,
            phone: p.phone,
            company: p.company,
            product_interest: p.product_interest,
            language: p.language,
        };
        let out = self
            .svc
            .register_lead(&who.tenant, &who.subject, input)
            .await?;
        Ok(Json(out))
    }

    #[tool(
        meta = needs(Scope::CrmWrite),
        description = "Update a lead's profile: name, email, phone, company, product interest, language, city, country. Only the fields given change; an email or phone already held by another lead of the same client is refused. Re-scores the lead.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn update_lead(
        &self,
        Parameters(p): Parameters<UpdateLeadParams>,
        ctx: Ctx,
    ) -> Result<Json<LeadProfile>, ToolError> {
        let who = self.who(&ctx);
        let u = LeadUpdate {
            name: p.name,
            email: p.email,
            phone: p.phone,
            company: p.company,
            product_interest: p.product_interest,
            language: p.language,
            city: p.city,
            country: p.country,
        };
        let out = self
            .svc
            .update_lead(&who.tenant, &who.subject, &p.lead_id, u)
            .await?;
        Ok(Json(out))
    }

    #[tool(
        meta = needs(Scope::CrmRead),
        description = "The 360° view of one lead: profile with contact details, current score with its reasons, every source it came from, stage history, interactions, sales and the consent/suppression state of its contacts.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn get_lead(
        &self,
        Parameters(p): Parameters<LeadIdParams>,
        ctx: Ctx,
    ) -> Result<Json<Lead360>, ToolError> {
        let who = self.who(&ctx);
        let out = self.svc.get_lead(&who.tenant, &p.lead_id).await?;
        Ok(Json(out))
    }

    #[tool(
        meta = needs(Scope::CrmRead),
        description = "Search leads by stage, score range, country, channel, campaign, client, seller and creation dates; every filter given must match. Ordered by id, 50 per page by default; pass next_cursor to continue. Contact details are not returned here (use get_lead).",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn search_leads(
        &self,
        Parameters(p): Parameters<SearchLeadsParams>,
        ctx: Ctx,
    ) -> Result<Json<Page<Lead>>, ToolError> {
        let who = self.who(&ctx);
        let query = LeadQuery {
            stage: p.stage,
            country: p.country,
            channel: p.channel,
            campaign_id: p.campaign_id,
            client_id: p.client_id,
            seller_id: p.seller_id,
            min_score: p.min_score,
            max_score: p.max_score,
            created_from: p.created_from,
            created_to: p.created_to,
            cursor: p.cursor,
            limit: p.limit,
        };
        let out = self.svc.search_leads(&who.tenant, &query).await?;
        Ok(Json(out))
    }

    #[tool(
        meta = needs(Scope::CrmWrite),
        description = "Move a lead forward in the funnel (iql → mql → sql → customer), or reopen a lost lead to iql, mql or sql. Recorded in the stage history with the reason and who did it.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn advance_stage(
        &self,
        Parameters(p): Parameters<AdvanceStageParams>,
        ctx: Ctx,
    ) -> Result<Json<Lead360>, ToolError> {
        let who = self.who(&ctx);
        let out = self
            .svc
            .advance_stage(&who.tenant, &who.subject, &p.lead_id, p.stage, p.reason)
            .await?;
        Ok(Json(out))
    }

    #[tool(
        meta = needs(Scope::CrmWrite),
        description = "Mark an open lead as lost; the reason is required and recorded in the stage history.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn mark_lost(
        &self,
        Parameters(p): Parameters<MarkLostParams>,
        ctx: Ctx,
    ) -> Result<Json<Lead360>, ToolError> {
        let who = self.who(&ctx);
        let out = self
            .svc
            .mark_lost(&who.tenant, &who.subject, &p.lead_id, &p.reason)
            .await?;
        Ok(Json(out))
    }

    #[tool(
        meta = needs(Scope::CrmWrite),
        description = "Score a lead 0-100 with the transparent points model — fit (served market +10, product interest +10, company +10), engagement (4 per inbound message up to 20, recent message +10/+5, replied to us +10), intent (pricing question, demo request, buying words: +10 each, EN/ES), negative tone -10 — and list the reasons. Promotes iql → mql at 40 and → sql at 70, recorded in the stage history.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn score_lead(
        &self,
        Parameters(p): Parameters<LeadIdParams>,
        ctx: Ctx,
    ) -> Result<Json<ScoreCard>, ToolError> {
        let who = self.who(&ctx);
        let out = self
            .svc
            .score_lead(&who.tenant, &who.subject, &p.lead_id)
            .await?;
        Ok(Json(out))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Closed vocabularies are typed: a wrong value is refused, naming the
    /// argument and the allowed values, before any tool runs.
    #[test]
    fn stages_and_channels_are_read_typed() {
        let p: SearchLeadsParams =
            serde_json::from_value(json!({"stage": " SQL ", "channel": "Meta"})).unwrap();
        assert_eq!(p.stage, Some(LeadStage::Sql));
        assert_eq!(p.channel, Some(Channel::Meta));
        for (args, field) in [
            (json!({"stage": "hot"}), "`stage`"),
            (json!({"channel": "myspace"}), "`channel`"),
        ] {
            let e = serde_json::from_value::<SearchLeadsParams>(args)
                .unwrap_err()
                .to_string();
            assert!(e.contains(field), "{e}");
        }
        let e = serde_json::from_value::<AdvanceStageParams>(
            json!({"lead_id": "lead_1", "stage": "won"}),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("`stage`") && e.contains("customer"), "{e}");
        let e = serde_json::from_value::<RegisterLeadParams>(json!({
            "client_id": "cli_1", "channel": "myspace", "country": "CO", "email": "a@b.co"
        }))
        .unwrap_err()
        .to_string();
        assert!(e.contains("`channel`"), "{e}");
        let e = serde_json::from_value::<UpdateLeadParams>(
            json!({"lead_id": "lead_1", "language": "fr"}),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("`language`"), "{e}");
    }
}
