//! The server's prompts: a follow-up, a qualification and an objection
//! answer for one lead, each kept to the lead's client: its knowledge
//! base only (named when the caller may read the lead), never another
//! client's answers.

use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{PromptMessage, Role};
use rmcp::{prompt, prompt_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{CrmServer, Ctx};
use crate::domain::LeadId;

impl CrmServer {
    /// Where the prompt's knowledge comes from: the lead's client's
    /// knowledge base, named when the caller may read the lead (the
    /// client of a lead is not disclosed otherwise).
    async fn kb_of_lead(&self, ctx: &Ctx, lead_id: &str) -> String {
        let who = self.who(ctx);
        let client = match who.require(Scope::CrmRead) {
            Ok(()) => match LeadId::parse(lead_id) {
                Ok(id) => self
                    .svc
                    .store()
                    .get_lead(&who.tenant, &id)
                    .await
                    .ok()
                    .map(|l| l.client_id),
                Err(_) => None,
            },
            Err(_) => None,
        };
        match client {
            Some(c) => format!(
                "`crm://knowledge-base/{c}` (client `{c}`'s answers and the tenant-wide ones; never \
                 another client's)"
            ),
            None => {
                "`crm://knowledge-base/{client_id}` for the lead's client (its client_id is in \
                 `get_lead`; never use another client's answers)"
                    .to_owned()
            }
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct LeadPromptArgs {
    /// Lead id, e.g. `lead_00042`.
    pub lead_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ObjectionArgs {
    /// Lead id, e.g. `lead_00042`.
    pub lead_id: String,
    /// The objection in the lead's words, e.g. "es muy caro".
    pub objection: String,
}

#[prompt_router(vis = "pub(super)")]
impl CrmServer {
    #[prompt(
        description = "Write the next follow-up for a lead: read their history, draft with the knowledge base, check consent, then propose the message for approval."
    )]
    async fn follow_up(
        &self,
        Parameters(a): Parameters<LeadPromptArgs>,
        ctx: Ctx,
    ) -> Vec<PromptMessage> {
        let id = a.lead_id;
        let kb = self.kb_of_lead(&ctx, &id).await;
        vec![PromptMessage::new_text(
            Role::User,
            format!(
                "Prepare the next follow-up for lead `{id}`. Call `get_lead` for the 360° view (stage, score \
                 reasons, last interactions, consent state), then `suggest_reply` for a draft in their language; \
                 facts come only from {kb}. Adapt the draft to the conversation in at most 80 words with one \
                 clear next step. Check `contact_permissions` before proposing a channel. Show me the message \
                 and the channel, and only call `send_message` after I approve it."
            ),
        )]
    }

    #[prompt(
        description = "Qualify a lead: budget, authority, need and timing from the conversation, with the score and intent, and recommend the next stage."
    )]
    async fn qualify_lead(&self, Parameters(a): Parameters<LeadPromptArgs>) -> Vec<PromptMessage> {
        let id = a.lead_id;
        vec![PromptMessage::new_text(
            Role::User,
            format!(
                "Qualify lead `{id}`. Call `get_lead`, `score_lead` and `predict_purchase_intent`. From the \
                 interactions, assess budget, authority, need and timing (say what is known and what is missing), \
                 quote the score reasons and the intent probability with its top factors, and recommend: advance \
                 (to which stage, with `advance_stage`), nurture (what to ask next), or mark lost (with the reason). \
                 Do not change the stage without my confirmation."
            ),
        )]
    }

    #[prompt(
        description = "Answer a lead's objection (price, timing, trust, competitor) with the knowledge base, in their language."
    )]
    async fn handle_objection(
        &self,
        Parameters(a): Parameters<ObjectionArgs>,
        ctx: Ctx,
    ) -> Vec<PromptMessage> {
        let kb = self.kb_of_lead(&ctx, &a.lead_id).await;
        vec![PromptMessage::new_text(
            Role::User,
            format!(
                "Lead `{}` objected: \"{}\". Read {kb} and the lead's history with `get_lead`. \
                 Name the kind of objection (price, timing, trust, competitor, need), then write a short, honest \
                 answer in the lead's language that acknowledges it, answers with facts from that knowledge base \
                 only, and ends with one question that moves the conversation forward. Propose it as a draft; \
                 do not send it.",
                a.lead_id, a.objection
            ),
        )]
    }
}
