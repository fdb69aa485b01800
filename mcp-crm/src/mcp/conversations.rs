//! The `conversations` toolset: log interactions, draft replies from the
//! lead's client's knowledge base and send messages.

use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::domain::{Channel, ClientId};
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{CrmServer, Ctx, LeadIdParams};
use crate::domain::{DirectChannel, Direction, Language};
use crate::service::{LoggedInteraction, ReplyDraft, SendResult};
use crate::store::KbEntry;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct LogInteractionParams {
    pub lead_id: String,
    /// The channel of the interaction.
    pub channel: Channel,
    /// Who spoke: the lead (`in`) or us (`out`).
    pub direction: Direction,
    /// What was said, at most 10,000 characters.
    pub text: String,
    /// When it happened (RFC 3339), at most 5 minutes in the future;
    /// default now.
    pub at: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SendMessageParams {
    pub lead_id: String,
    /// The channel to send on.
    pub channel: DirectChannel,
    /// The message, at most 10,000 characters (free text; on WhatsApp only
    /// within 24 h of the lead's last message). Leave out when sending a
    /// `template`.
    pub text: Option<String>,
    /// WhatsApp only: an approved template (name, language, body
    /// parameters) — required outside the 24-hour customer-service window,
    /// where WhatsApp allows no free text. A refusal lists the approved
    /// templates.
    pub template: Option<crate::templates::TemplateChoice>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct KbEntryParams {
    /// Entry id, e.g. `kb_pricing_es` (an existing id of the same owner is
    /// replaced; another client's id is refused).
    pub entry_id: String,
    /// The client whose leads this answer is for, e.g. `cli_001`.
    pub client_id: Option<String>,
    /// True for an answer every client's leads may be told (instead of a
    /// `client_id`; one of the two is required).
    pub tenant_wide: Option<bool>,
    /// The language of the answer.
    pub language: Language,
    pub topic: String,
    /// Words in a lead's message that make this answer relevant.
    pub keywords: Vec<String>,
    /// The answer text drafts quote.
    pub answer: String,
}

#[tool_router(router = conversations_tools, vis = "pub(super)")]
impl CrmServer {
    #[tool(
        meta = needs(Scope::CrmWrite),
        description = "Log an interaction with a lead (channel, direction in/out, text). Inbound text gets a sentiment from -1 to 1 (offline EN/ES lexicon, or the LLM when configured) and the lead is re-scored. An inbound STOP/BAJA suppresses that channel in the ledger. `at` may not lie in the future; a logged message never opens WhatsApp's 24-hour service window (only messages the signed webhook received do).",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn log_interaction(
        &self,
        Parameters(p): Parameters<LogInteractionParams>,
        ctx: Ctx,
    ) -> Result<Json<LoggedInteraction>, ToolError> {
        let who = self.who(&ctx);
        let out = self
            .svc
            .log_interaction(
                &who.tenant,
                &who.subject,
                &p.lead_id,
                p.channel,
                p.direction,
                &p.text,
                p.at.as_deref(),
            )
            .await?;
        Ok(Json(out))
    }

    #[tool(
        meta = needs(Scope::CrmRead),
        description = "Draft a reply to the lead's last message in their language (en/es) from the knowledge base of the lead's client (its own answers and the tenant-wide ones, never another client's: crm://knowledge-base/{client_id}). A draft for a person to review — it is never sent by itself; send it with send_message.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn suggest_reply(
        &self,
        Parameters(p): Parameters<LeadIdParams>,
        ctx: Ctx,
    ) -> Result<Json<ReplyDraft>, ToolError> {
        let who = self.who(&ctx);
        let out = self.svc.suggest_reply(&who.tenant, &p.lead_id).await?;
        Ok(Json(out))
    }

    #[tool(
        meta = needs(Scope::CrmSend),
        description = "Send a message to a lead on email, sms or whatsapp after checking the consent and suppression ledger: a suppressed contact, or one without consent (WhatsApp also allows replies within 24 h of the lead's last WhatsApp message received through the signed webhook), is refused with the reason. On WhatsApp, free text goes only within 24 h of the lead's last message; outside that window send an approved `template` (name, language, parameters) — without one the refusal lists the approved templates. Delivery statuses (delivered, read, failed with the platform's reason) arrive later on the message and the lead's timeline. Counts against the client's plan (messages_per_month, refused with the numbers when full). WhatsApp goes out from the lead's client's own number (its connection), else the environment's default number; with neither, the message is recorded with sandbox: true (sent_via says which). Needs the crm:send scope.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn send_message(
        &self,
        Parameters(p): Parameters<SendMessageParams>,
        ctx: Ctx,
    ) -> Result<Json<SendResult>, ToolError> {
        let who = self.who(&ctx);
        let out = self
            .svc
            .send_message_with(
                &who,
                &p.lead_id,
                p.channel.into(),
                p.text.as_deref(),
                p.template,
            )
            .await?;
        Ok(Json(out))
    }

    #[tool(
        meta = needs(Scope::CrmWrite),
        description = "Create or replace a knowledge-base answer (language en/es, topic, keywords, answer) that suggest_reply drafts from. Each answer belongs to a client (client_id): only that client's leads are told it; tenant_wide: true instead makes it an answer for every client's leads.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn upsert_kb_entry(
        &self,
        Parameters(p): Parameters<KbEntryParams>,
        ctx: Ctx,
    ) -> Result<Json<KbEntry>, ToolError> {
        let who = self.who(&ctx);
        let e = KbEntry {
            id: p.entry_id,
            client_id: p.client_id.as_deref().map(ClientId::parse).transpose()?,
            language: p.language,
            topic: p.topic,
            keywords: p.keywords,
            answer: p.answer,
        };
        let out = self
            .svc
            .upsert_kb_entry(&who.tenant, e, p.tenant_wide.unwrap_or(false))
            .await?;
        Ok(Json(out))
    }
}
