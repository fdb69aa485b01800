//! The server's prompts: briefing a campaign and reviewing its performance.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{PromptMessage, Role};
use rmcp::{prompt, prompt_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::AdsServer;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct BriefArgs {
    /// Client the campaign is for.
    pub client_id: String,
    /// What it should achieve, in words.
    pub goal: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ReviewArgs {
    pub campaign_id: String,
}

#[prompt_router(vis = "pub(super)")]
impl AdsServer {
    #[prompt(
        description = "Brief a new campaign for a client: goal, budget, dates, audience, then draft it with generate_campaign."
    )]
    async fn campaign_brief(&self, Parameters(a): Parameters<BriefArgs>) -> Vec<PromptMessage> {
        let goal = a.goal.unwrap_or_else(|| "(ask me)".into());
        vec![PromptMessage::new_text(
            Role::User,
            format!(
                "Help me brief a campaign for client `{}`. Goal: {goal}. Ask me for anything missing among: \
                 the goal in one sentence, the product, total budget and currency, start and end dates, target \
                 countries, and who we want to reach. Read `ads://channels` for what each channel costs and \
                 delivers. Then call `generate_campaign` and explain the draft: channel mix and why, budget per \
                 channel (it sums to the total), KPI targets and schedule. It stays a draft: next steps are \
                 `submit_for_approval`, approval by someone with ads:approve who neither created nor last \
                 edited it, and `launch_campaign` (ads:launch) with dry_run first.",
                a.client_id
            ),
        )]
    }

    #[prompt(
        description = "Review a running campaign's performance and decide on the optimisation change set."
    )]
    async fn optimization_review(
        &self,
        Parameters(a): Parameters<ReviewArgs>,
    ) -> Vec<PromptMessage> {
        let c = a.campaign_id;
        vec![PromptMessage::new_text(
            Role::User,
            format!(
                "Review campaign `{c}`. Read `ads://campaigns/{c}/performance` (or call get_campaign_performance): \
                 spend against pacing, CTR, CPA and ROAS per channel against the KPI targets. Then call \
                 `optimize_campaign` and walk me through the change set: each budget move with its before/after \
                 and reason, each channel held and why (learning, awaiting data after a change), the flags, and \
                 the forecast effect. Recommend apply or not; only someone with \
                 ads:launch other than its proposer can `apply_change_set`, and `rollback_change_set` undoes it."
            ),
        )]
    }
}
