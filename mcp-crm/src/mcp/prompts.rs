//! The server's prompts: a follow-up, a qualification and an objection
//! answer for one lead.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{PromptMessage, Role};
use rmcp::{prompt, prompt_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::CrmServer;

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
    async fn follow_up(&self, Parameters(a): Parameters<LeadPromptArgs>) -> Vec<PromptMessage> {
        let id = a.lead_id;
        vec![PromptMessage::new_text(
            Role::User,
            format!(
                "Prepare the next follow-up for lead `{id}`. Call `get_lead` for the 360° view (stage, score \
                 reasons, last interactions, consent state), then `suggest_reply` for a draft in their language. \
                 Adapt the draft to the conversation in at most 80 words with one clear next step. Check \
                 `contact_permissions` before proposing a channel. Show me the message and the channel, and \
                 only call `send_message` after I approve it."
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
    ) -> Vec<PromptMessage> {
        vec![PromptMessage::new_text(
            Role::User,
            format!(
                "Lead `{}` objected: \"{}\". Read `crm://knowledge-base` and the lead's history with `get_lead`. \
                 Name the kind of objection (price, timing, trust, competitor, need), then write a short, honest \
                 answer in the lead's language that acknowledges it, answers with facts from the knowledge base \
                 only, and ends with one question that moves the conversation forward. Propose it as a draft; \
                 do not send it.",
                a.lead_id, a.objection
            ),
        )]
    }
}
