//! The `generation` toolset: write channel copy and art direction, score
//! it, optimise it for search.

use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{ContentServer, Ctx};
use crate::domain::brief::BriefInput;
use crate::domain::visual::VisualBriefInput;
use crate::domain::{Language, Placement};
use crate::llm::CopyModel;
use crate::sampling::ClientModel;
use crate::service::{ContentScore, EngineChoice, Generation, SearchOptimization, VisualBrief};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GenerateParams {
    #[serde(flatten)]
    pub brief: BriefInput,
    /// Which engine writes the copy (default auto).
    pub engine: Option<EngineChoice>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ScoreParams {
    /// Score a stored asset…
    pub asset_id: Option<String>,
    /// …or this text.
    pub text: Option<String>,
    /// Client whose brand guidelines apply (text only; assets know theirs).
    pub client_id: Option<String>,
    /// Channel whose limits apply.
    pub channel: Option<Placement>,
    /// The language of the text (text only; required with it).
    pub language: Option<Language>,
    /// Keywords whose coverage is scored.
    #[serde(default)]
    pub keywords: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SeoParams {
    /// Asset whose text is optimised (not changed: revise it with the result).
    pub asset_id: String,
    /// 1-10 keywords, the main one first.
    pub keywords: Vec<String>,
}

#[tool_router(router = generation_tools, vis = "pub(super)")]
impl ContentServer {
    #[tool(
        meta = needs(Scope::ContentWrite),
        description = "Write channel-ready copy from a brief (client, product, benefit, offer, audience, objective, channels, language en/es, tone, keywords, call to action, variants 1-20). Every field fits the channel's limits in content://channels (Google Ads headlines 30 / descriptions 90, X 280 weighted, email subject 60, SMS 160 GSM-7 or 70 UCS-2, …) and is checked against the client's brand guidelines. Each variant is saved as a draft asset (version 1) and counts as one generation of the client's content plan (see `usage`): beyond the plan the call is refused with the numbers and nothing is saved. engine: auto, offline or llm.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn generate_content(
        &self,
        Parameters(p): Parameters<GenerateParams>,
        ctx: Ctx,
    ) -> Result<Json<Generation>, ToolError> {
        let who = self.who(&ctx);
        let client_model = ClientModel::of(&ctx);
        self.svc
            .generate_content(
                &who.tenant,
                &who.subject,
                &p.brief,
                p.engine.unwrap_or(EngineChoice::Auto),
                client_model.as_ref().map(|m| m as &dyn CopyModel),
            )
            .await
            .map(Json)
            .map_err(ToolError::from)
    }

    #[tool(
        meta = needs(Scope::ContentWrite),
        description = "Art direction for images and video per channel: medium, aspect ratio and size, scene, composition, mood, text overlay within the channel's limit, safe zones, alt text (≤125) and an image prompt. With generate_images and an image endpoint configured, also generates each image and stores it in the data dir as an image asset. Each channel's direction counts as one generation of the client's content plan (see `usage`).",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn generate_visual_brief(
        &self,
        Parameters(p): Parameters<VisualBriefInput>,
        ctx: Ctx,
    ) -> Result<Json<VisualBrief>, ToolError> {
        let who = self.who(&ctx);
        self.svc
            .visual_brief(&who.tenant, &who.subject, &p)
            .await
            .map(Json)
            .map_err(ToolError::from)
    }

    #[tool(
        meta = needs(Scope::ContentRead),
        description = "Score an asset or a text (0-100): channel limit violations, brand-guideline violations (banned words, avoided terms, missing disclaimers), readability (Flesch for English, Fernández-Huerta for Spanish) and keyword coverage.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn score_content(
        &self,
        Parameters(p): Parameters<ScoreParams>,
        ctx: Ctx,
    ) -> Result<Json<ContentScore>, ToolError> {
        let who = self.who(&ctx);
        self.svc
            .score_content(
                &who.tenant,
                p.client_id.as_deref(),
                p.asset_id.as_deref(),
                p.text,
                p.channel,
                p.language,
                &p.keywords,
            )
            .await
            .map(Json)
            .map_err(ToolError::from)
    }

    #[tool(
        meta = needs(Scope::ContentRead),
        description = "Search and answer-engine optimisation of an asset: title (≤60) and meta description (≤155) with the main keyword, keyword coverage, readability, an answer-first summary and schema.org FAQPage JSON-LD; returns the scores before and after. The asset is not changed: save the result with revise_asset.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn optimize_for_search(
        &self,
        Parameters(p): Parameters<SeoParams>,
        ctx: Ctx,
    ) -> Result<Json<SearchOptimization>, ToolError> {
        let who = self.who(&ctx);
        self.svc
            .optimize_for_search(&who.tenant, &p.asset_id, &p.keywords)
            .await
            .map(Json)
            .map_err(ToolError::from)
    }
}
