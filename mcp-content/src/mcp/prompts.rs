//! The server's prompts: social post, ad copy, SEO article, email campaign.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{PromptMessage, Role};
use rmcp::{prompt, prompt_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::ContentServer;
use promptsales_shared::domain::Vocabulary;

use crate::domain::Placement;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SocialPostArgs {
    /// Client id, e.g. `cli_001`.
    pub client_id: String,
    /// Product or service to post about.
    pub product: String,
    /// instagram, tiktok, linkedin, x or meta.
    pub channel: String,
    /// en or es (default en).
    pub language: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AdCopyArgs {
    /// Client id, e.g. `cli_001`.
    pub client_id: String,
    /// Product or service advertised.
    pub product: String,
    /// google_ads, meta or instagram.
    pub channel: String,
    /// en or es (default en).
    pub language: Option<String>,
    /// The offer, if any.
    pub offer: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SeoArticleArgs {
    /// Client id, e.g. `cli_001`.
    pub client_id: String,
    /// What the article is about.
    pub topic: String,
    /// Keywords, comma-separated, main one first.
    pub keywords: String,
    /// en or es (default en).
    pub language: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct EmailCampaignArgs {
    /// Client id, e.g. `cli_001`.
    pub client_id: String,
    /// Product or service.
    pub product: String,
    /// en or es (default en).
    pub language: Option<String>,
    /// The offer, if any.
    pub offer: Option<String>,
}

fn language_of(l: &Option<String>) -> &str {
    match l.as_deref() {
        Some("es") | Some("ES") => "es",
        _ => "en",
    }
}

#[prompt_router(vis = "pub(super)")]
impl ContentServer {
    #[prompt(
        description = "Write a social post for a client's product on one channel, checked against its brand guidelines."
    )]
    async fn social_post(&self, Parameters(a): Parameters<SocialPostArgs>) -> Vec<PromptMessage> {
        let lang = language_of(&a.language);
        vec![PromptMessage::new_text(
            Role::User,
            format!(
                "Read content://brand/{c} for the brand voice. Then call `generate_content` with client_id `{c}`, \
                 product \"{p}\", channels [\"{ch}\"], language \"{lang}\", objective \"engagement\", variants 3 — \
                 add the product's main benefit, audience and any offer you know. Present the three variants with \
                 their lengths against the limits (see content://channels) and any brand violations, and recommend one.",
                c = a.client_id,
                p = a.product,
                ch = a.channel
            ),
        )]
    }

    #[prompt(
        description = "Write ad copy (Google Ads responsive search ad or Meta/Instagram ad) for a client's product."
    )]
    async fn ad_copy(&self, Parameters(a): Parameters<AdCopyArgs>) -> Vec<PromptMessage> {
        let lang = language_of(&a.language);
        let offer = a
            .offer
            .map(|o| format!(", offer \"{o}\""))
            .unwrap_or_default();
        vec![PromptMessage::new_text(
            Role::User,
            format!(
                "Call `generate_content` with client_id `{c}`, product \"{p}\"{offer}, channels [\"{ch}\"], language \"{lang}\", \
                 objective \"sales\", variants 3 and the search keywords you expect. Check every field against content://channels; \
                 then run `score_content` on the strongest variant and suggest which headlines to pin.",
                c = a.client_id,
                p = a.product,
                ch = a.channel
            ),
        )]
    }

    #[prompt(
        description = "Draft an SEO/answer-engine optimised article section for a topic and keywords."
    )]
    async fn seo_article(&self, Parameters(a): Parameters<SeoArticleArgs>) -> Vec<PromptMessage> {
        let lang = language_of(&a.language);
        let keywords: Vec<String> = a
            .keywords
            .split(',')
            .map(|k| format!("\"{}\"", k.trim()))
            .filter(|k| k.len() > 2)
            .collect();
        vec![PromptMessage::new_text(
            Role::User,
            format!(
                "Call `generate_content` with client_id `{c}`, product \"{t}\", channels [\"web\"], language \"{lang}\", \
                 objective \"traffic\", keywords [{k}], variants 1. Then call `optimize_for_search` on the new asset with \
                 the same keywords, show the scores before and after, the title, meta description, answer-first summary \
                 and the FAQPage JSON-LD, and save the optimised text with `revise_asset` if it scores higher.",
                c = a.client_id,
                t = a.topic,
                k = keywords.join(", ")
            ),
        )]
    }

    #[prompt(
        description = "Plan and write an email campaign (subject, preheader, body) with an SMS or WhatsApp follow-up."
    )]
    async fn email_campaign(
        &self,
        Parameters(a): Parameters<EmailCampaignArgs>,
    ) -> Vec<PromptMessage> {
        let lang = language_of(&a.language);
        let offer = a
            .offer
            .map(|o| format!(", offer \"{o}\""))
            .unwrap_or_default();
        vec![PromptMessage::new_text(
            Role::User,
            format!(
                "Call `generate_content` with client_id `{c}`, product \"{p}\"{offer}, channels [\"email\", \"sms\", \"whatsapp\"], \
                 language \"{lang}\", objective \"sales\", variants 2. Present each email (subject ≤60, preheader, body), the SMS \
                 (its encoding and length) and the WhatsApp template, flag brand violations, and propose a send sequence.",
                c = a.client_id,
                p = a.product
            ),
        )]
    }
}

/// Channel names offered for a prompt's `channel` argument.
pub(super) fn channel_choices(prompt: &str) -> Vec<&'static str> {
    match prompt {
        "social_post" => vec!["instagram", "linkedin", "meta", "tiktok", "x"],
        "ad_copy" => vec!["google_ads", "instagram", "meta"],
        _ => Placement::ALL.iter().map(|p| p.as_str()).collect(),
    }
}
