//! The MCP surface of the content context: thin tools, resources, prompts and completion over [`ContentService`].

use std::sync::Arc;

use chrono::{NaiveDate, SubsecRound, Utc};
use promptsales_shared::AppError;
use promptsales_shared::auth::Principal;
use promptsales_shared::catalog::store::CatalogStore;
use promptsales_shared::domain::{Channel, ClientId, Page, Vocabulary};
use promptsales_shared::server::{Auditor, ServeError, Toolset, call_tool_audited, filter_router};
use promptsales_shared::time::parse_date;
use rmcp::handler::server::router::prompt::PromptRouter;
use rmcp::handler::server::tool::ToolRouter;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CompleteRequestParams, CompleteResult, CompletionInfo,
    Implementation, ListResourceTemplatesResult, ListResourcesResult, PaginatedRequestParams,
    PromptMessage, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Reference,
    Resource, ResourceContents, ResourceTemplate, Role, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{
    ErrorData, RoleServer, ServerHandler, prompt, prompt_handler, prompt_router, tool,
    tool_handler, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::brand::{BrandGuidelines, ClientBrand};
use crate::domain::brief::BriefInput;
use crate::domain::visual::VisualBriefInput;
use crate::domain::{Action, Asset, AssetVersion, CHANNELS, FieldValue, Placement, UsageRights};
use crate::llm::CopyModel;
use crate::read::{AssetReader, AssetUsability};
use crate::sampling::ClientModel;
use crate::service::{
    AssetQuery, AssetView, ContentScore, ContentService, EngineChoice, Generation,
    SearchOptimization, VisualBrief,
};

/// The scope approving and rejecting assets needs.
pub const APPROVE_SCOPE: &str = "content:approve";

/// Tool groups for `--toolsets`.
pub const TOOLSETS: &[Toolset] = &[
    Toolset {
        name: "generation",
        description: "Write channel copy and art direction, score it, optimise it for search",
        tools: &[
            "generate_content",
            "generate_visual_brief",
            "score_content",
            "optimize_for_search",
        ],
    },
    Toolset {
        name: "brand",
        description: "Brand guidelines per client",
        tools: &["set_brand_guidelines", "get_brand_guidelines"],
    },
    Toolset {
        name: "library",
        description: "Find and inspect assets of the content library",
        tools: &[
            "list_assets",
            "get_asset",
            "list_asset_versions",
            "check_asset_usability",
        ],
    },
    Toolset {
        name: "editing",
        description: "Revise, archive and set usage rights of assets",
        tools: &["revise_asset", "archive_asset", "set_usage_rights"],
    },
    Toolset {
        name: "approval",
        description: "Approve or reject assets (needs content:approve)",
        tools: &["approve_asset", "reject_asset"],
    },
];

const CHANNELS_URI: &str = "content://channels";

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetAssetParams {
    /// Asset id, e.g. `ast_3f9a0c1b2d4e`.
    pub asset_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListAssetsParams {
    /// Only this client's assets.
    pub client_id: Option<String>,
    /// Only assets made for this campaign.
    pub campaign_id: Option<String>,
    /// Only assets for this channel: google_ads, meta, instagram, tiktok,
    /// linkedin, email, sms, whatsapp, influencer, web or organic.
    pub channel: Option<String>,
    /// Only assets in this status: draft, approved, rejected or archived.
    pub status: Option<String>,
    /// Only assets in this language: en or es.
    pub language: Option<String>,
    /// Only generated copy for this placement: google_ads, meta, instagram,
    /// tiktok, linkedin, x, email, sms, whatsapp or web.
    pub placement: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GenerateParams {
    #[serde(flatten)]
    pub brief: BriefInput,
    /// auto (the LLM when configured, else offline), offline or llm.
    pub engine: Option<EngineChoice>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ReviseParams {
    /// Asset id.
    pub asset_id: String,
    /// The version you read and are revising (conflict if it moved on).
    pub expected_version: Option<i32>,
    /// New fields of generated copy (all of them), e.g. `[{"name": "subject", "text": "…"}]`.
    pub fields: Option<Vec<FieldValue>>,
    /// New text (for library assets, or single-text copy: SMS, X, TikTok).
    pub body: Option<String>,
    /// New title (library assets; blank clears it).
    pub title: Option<String>,
    /// Why this version was written.
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DecisionParams {
    /// Asset id.
    pub asset_id: String,
    /// Why (required to reject).
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RightsParams {
    /// Asset id.
    pub asset_id: String,
    /// The new rights; absent clears them (the agency's own work).
    pub rights: Option<UsageRights>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UsabilityParams {
    /// Asset id.
    pub asset_id: String,
    /// Channel it would run on: google_ads, meta, instagram, tiktok, linkedin, email, sms, whatsapp, influencer, web or organic.
    pub channel: String,
    /// First day of the flight, YYYY-MM-DD (default today).
    pub from: Option<String>,
    /// Last day of the flight, YYYY-MM-DD (default `from`).
    pub to: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct BrandParams {
    /// Client id, e.g. `cli_001`.
    pub client_id: String,
    #[serde(flatten)]
    pub guidelines: BrandGuidelines,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ClientParams {
    /// Client id, e.g. `cli_001`.
    pub client_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ScoreParams {
    /// Score a stored asset…
    pub asset_id: Option<String>,
    /// …or this text.
    pub text: Option<String>,
    /// Client whose brand guidelines apply (text only; assets know theirs).
    pub client_id: Option<String>,
    /// Channel whose limits apply (google_ads, meta, … web).
    pub channel: Option<String>,
    /// en or es (text only).
    pub language: Option<String>,
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

/// Versions of an asset, oldest first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VersionList {
    pub asset_id: String,
    pub versions: Vec<AssetVersion>,
}

/// A client's guidelines, or none.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BrandAnswer {
    pub client_id: String,
    /// Absent when the client has none yet.
    pub brand: Option<ClientBrand>,
}

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

/// The content MCP server.
#[derive(Clone)]
pub struct ContentServer {
    svc: ContentService,
    reader: AssetReader,
    local: Principal,
    catalog: Option<CatalogStore>,
    tools: Arc<ToolRouter<Self>>,
    prompts: Arc<PromptRouter<Self>>,
    auditor: Auditor,
}

type Ctx = RequestContext<RoleServer>;

fn parse_day(field: &str, v: Option<&str>, default: NaiveDate) -> Result<NaiveDate, AppError> {
    v.map(|d| parse_date(field, d))
        .transpose()
        .map(|d| d.unwrap_or(default))
}

#[tool_router]
impl ContentServer {
    /// A server exposing the tools `toolsets`/`read_only` allow; `local` is
    /// the caller over stdio (HTTP tokens carry their own).
    pub fn new(
        svc: ContentService,
        local: Principal,
        auditor: Auditor,
        toolsets: &[String],
        read_only: bool,
    ) -> Result<Self, ServeError> {
        let tools = filter_router(Self::tool_router(), TOOLSETS, toolsets, read_only)?;
        Ok(Self {
            reader: AssetReader::new(svc.store().db().clone()),
            svc,
            local,
            catalog: None,
            tools: Arc::new(tools),
            prompts: Arc::new(Self::prompt_router()),
            auditor,
        })
    }

    /// Client names for argument completion come from the catalog.
    pub fn with_catalog(mut self, catalog: CatalogStore) -> Self {
        self.catalog = Some(catalog);
        self
    }

    fn who(&self, ctx: &Ctx) -> Principal {
        Principal::of(ctx, &self.local)
    }

    #[tool(
        description = "Write channel-ready copy from a brief (client, product, benefit, offer, audience, objective, channels, language en/es, tone, keywords, call to action, variants 1-20). Every field fits the channel's limits in content://channels (Google Ads headlines 30 / descriptions 90, X 280 weighted, email subject 60, SMS 160 GSM-7 or 70 UCS-2, …) and is checked against the client's brand guidelines. Each variant is saved as a draft asset (version 1). engine: auto, offline or llm.",
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
    ) -> Result<Json<Generation>, AppError> {
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
    }

    #[tool(
        description = "Art direction for images and video per channel: medium, aspect ratio and size, scene, composition, mood, text overlay within the channel's limit, safe zones, alt text (≤125) and an image prompt. With generate_images and an image endpoint configured, also generates each image and stores it in the data dir as an image asset.",
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
    ) -> Result<Json<VisualBrief>, AppError> {
        let who = self.who(&ctx);
        self.svc
            .visual_brief(&who.tenant, &who.subject, &p)
            .await
            .map(Json)
    }

    #[tool(
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
    ) -> Result<Json<ContentScore>, AppError> {
        let who = self.who(&ctx);
        self.svc
            .score_content(
                &who.tenant,
                p.client_id.as_deref(),
                p.asset_id.as_deref(),
                p.text,
                p.channel.as_deref(),
                p.language.as_deref(),
                &p.keywords,
            )
            .await
            .map(Json)
    }

    #[tool(
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
    ) -> Result<Json<SearchOptimization>, AppError> {
        let who = self.who(&ctx);
        self.svc
            .optimize_for_search(&who.tenant, &p.asset_id, &p.keywords)
            .await
            .map(Json)
    }

    #[tool(
        description = "Set a client's brand guidelines (replacing earlier ones): voice, banned words, required disclaimers, preferred terms (avoid → prefer). Generation applies them and reports violations; score_content checks them.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn set_brand_guidelines(
        &self,
        Parameters(p): Parameters<BrandParams>,
        ctx: Ctx,
    ) -> Result<Json<ClientBrand>, AppError> {
        let who = self.who(&ctx);
        self.svc
            .set_brand(&who.tenant, &p.client_id, p.guidelines, &who.subject)
            .await
            .map(Json)
    }

    #[tool(
        description = "Get a client's brand guidelines (absent when none are set).",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn get_brand_guidelines(
        &self,
        Parameters(p): Parameters<ClientParams>,
        ctx: Ctx,
    ) -> Result<Json<BrandAnswer>, AppError> {
        let who = self.who(&ctx);
        let client = ClientId::parse(&p.client_id)?;
        let brand = self.svc.brand(&who.tenant, &client).await?;
        Ok(Json(BrandAnswer {
            client_id: client.into_string(),
            brand,
        }))
    }

    #[tool(
        description = "Get one asset of the content library: client, campaign, channel, format, language, title, body, structured fields, version, approval status and decision, usage rights, plus usable_on: the channels its usage rights allow right now.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn get_asset(
        &self,
        Parameters(p): Parameters<GetAssetParams>,
        ctx: Ctx,
    ) -> Result<Json<AssetView>, AppError> {
        let who = self.who(&ctx);
        let now = Utc::now().trunc_subsecs(6);
        self.svc
            .get_asset_view(&who.tenant, &p.asset_id, now)
            .await
            .map(Json)
    }

    #[tool(
        description = "List assets of the content library, optionally by client, campaign, channel, status and language, 50 per page by default; pass next_cursor to continue.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn list_assets(
        &self,
        Parameters(p): Parameters<ListAssetsParams>,
        ctx: Ctx,
    ) -> Result<Json<Page<Asset>>, AppError> {
        let who = self.who(&ctx);
        let query = AssetQuery {
            client_id: p.client_id.as_deref(),
            campaign_id: p.campaign_id.as_deref(),
            channel: p.channel.as_deref(),
            status: p.status.as_deref(),
            language: p.language.as_deref(),
            placement: p.placement.as_deref(),
        };
        self.svc
            .list_assets(&who.tenant, &query, p.cursor.as_deref(), p.limit)
            .await
            .map(Json)
    }

    #[tool(
        description = "Every version of an asset, oldest first: text, fields, author, revision note and approval decision.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn list_asset_versions(
        &self,
        Parameters(p): Parameters<GetAssetParams>,
        ctx: Ctx,
    ) -> Result<Json<VersionList>, AppError> {
        let who = self.who(&ctx);
        let versions = self.svc.asset_versions(&who.tenant, &p.asset_id).await?;
        Ok(Json(VersionList {
            asset_id: p.asset_id,
            versions,
        }))
    }

    #[tool(
        description = "Whether an asset may run on a channel over a flight (from-to): approved, usage rights allow the channel and last through `to`, and the asset fits the channel. Reasons say why not, one per problem. mcp-ads runs the same check before attaching an asset.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn check_asset_usability(
        &self,
        Parameters(p): Parameters<UsabilityParams>,
        ctx: Ctx,
    ) -> Result<Json<AssetUsability>, AppError> {
        let who = self.who(&ctx);
        let channel = Channel::parse(&p.channel)?;
        let today = Utc::now().date_naive();
        let from = parse_day("from", p.from.as_deref(), today)?;
        let to = parse_day("to", p.to.as_deref(), from)?;
        self.reader
            .usability(&who.tenant, &p.asset_id, channel, from, to)
            .await
            .map(Json)
    }

    #[tool(
        description = "Write a new version of an asset (history is kept; the new version is a draft needing approval again). Generated copy is revised through its fields and must fit its channel's limits; pass expected_version to avoid overwriting someone else's revision.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn revise_asset(
        &self,
        Parameters(p): Parameters<ReviseParams>,
        ctx: Ctx,
    ) -> Result<Json<Asset>, AppError> {
        let who = self.who(&ctx);
        self.svc
            .revise_asset(
                &who.tenant,
                &who.subject,
                &p.asset_id,
                p.expected_version,
                p.title,
                p.body,
                p.fields,
                p.note,
            )
            .await
            .map(Json)
    }

    #[tool(
        description = "Approve the asset's current version (needs the content:approve scope); records who, when and the note.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn approve_asset(
        &self,
        Parameters(p): Parameters<DecisionParams>,
        ctx: Ctx,
    ) -> Result<Json<Asset>, AppError> {
        let who = self.who(&ctx);
        who.require_scope(APPROVE_SCOPE)?;
        self.svc
            .decide(
                &who.tenant,
                &who.subject,
                &p.asset_id,
                Action::Approve,
                p.note,
            )
            .await
            .map(Json)
    }

    #[tool(
        description = "Reject the asset's current version with a note saying why (needs the content:approve scope); records who and when.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn reject_asset(
        &self,
        Parameters(p): Parameters<DecisionParams>,
        ctx: Ctx,
    ) -> Result<Json<Asset>, AppError> {
        let who = self.who(&ctx);
        who.require_scope(APPROVE_SCOPE)?;
        self.svc
            .decide(
                &who.tenant,
                &who.subject,
                &p.asset_id,
                Action::Reject,
                p.note,
            )
            .await
            .map(Json)
    }

    #[tool(
        description = "Archive an asset: it stays in the library with its history but can no longer be revised, approved or used.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn archive_asset(
        &self,
        Parameters(p): Parameters<GetAssetParams>,
        ctx: Ctx,
    ) -> Result<Json<Asset>, AppError> {
        let who = self.who(&ctx);
        self.svc.archive(&who.tenant, &p.asset_id).await.map(Json)
    }

    #[tool(
        description = "Set an asset's usage rights: licence, owner, expiry (RFC 3339) and allowed channels (empty = all); absent rights clears them. Expired or channel-restricted assets are reported unusable for that channel.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn set_usage_rights(
        &self,
        Parameters(p): Parameters<RightsParams>,
        ctx: Ctx,
    ) -> Result<Json<Asset>, AppError> {
        let who = self.who(&ctx);
        self.svc
            .set_rights(&who.tenant, &p.asset_id, p.rights)
            .await
            .map(Json)
    }
}

fn language_of(l: &Option<String>) -> &str {
    match l.as_deref() {
        Some("es") | Some("ES") => "es",
        _ => "en",
    }
}

#[prompt_router]
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
fn channel_choices(prompt: &str) -> Vec<&'static str> {
    match prompt {
        "social_post" => vec!["instagram", "linkedin", "meta", "tiktok", "x"],
        "ad_copy" => vec!["google_ads", "instagram", "meta"],
        _ => Placement::ALL.iter().map(|p| p.as_str()).collect(),
    }
}

impl ContentServer {
    async fn client_choices(&self, who: &Principal, typed: &str) -> Vec<String> {
        let typed = typed.to_lowercase();
        let mut out: Vec<String> = Vec::new();
        if let Some(catalog) = &self.catalog
            && let Ok(clients) = catalog.list_clients(&who.tenant).await
        {
            for c in clients {
                if c.id.as_str().to_lowercase().starts_with(&typed)
                    || c.name.to_lowercase().contains(&typed)
                {
                    out.push(c.id.into_string());
                }
            }
        }
        if let Ok(ids) = self.svc.store().brand_clients(&who.tenant).await {
            for id in ids {
                if id.to_lowercase().starts_with(&typed) && !out.contains(&id) {
                    out.push(id);
                }
            }
        }
        out.sort();
        out
    }

    async fn read(&self, uri: &str, who: &Principal) -> Result<String, ErrorData> {
        let json = |v: Result<String, serde_json::Error>| {
            v.map_err(|e| ErrorData::internal_error(e.to_string(), None))
        };
        if uri == CHANNELS_URI {
            return json(serde_json::to_string_pretty(&serde_json::json!({
                "counting": {
                    "graphemes": "user-perceived characters: an emoji sequence, a flag or a letter with accents is one",
                    "google_width": "graphemes; East Asian wide characters and emoji count 2 (Google Ads)",
                    "x_weighted": "twitter-text v3: Latin-range code points 1, others 2, emoji 2, URLs 23",
                    "sms": "GSM-7 septets, extension table ^{}\\[~]|€ counts 2, limit 160; any other character → UCS-2 UTF-16 units, limit 70; one segment"
                },
                "channels": CHANNELS,
                "visuals": crate::domain::visual::VISUALS,
            })));
        }
        if let Some(client) = uri.strip_prefix("content://brand/") {
            let client = ClientId::parse(client).map_err(ErrorData::from)?;
            let brand = self
                .svc
                .brand(&who.tenant, &client)
                .await
                .map_err(ErrorData::from)?;
            return json(serde_json::to_string_pretty(&BrandAnswer {
                client_id: client.into_string(),
                brand,
            }));
        }
        if let Some(rest) = uri.strip_prefix("content://assets/") {
            if let Some((id, n)) = rest.split_once("/versions/") {
                let n: i32 = n.parse().map_err(|_| {
                    ErrorData::invalid_params(
                        format!("version in {uri}: expected a number from 1"),
                        None,
                    )
                })?;
                let versions = self
                    .svc
                    .asset_versions(&who.tenant, id)
                    .await
                    .map_err(ErrorData::from)?;
                let v = versions
                    .into_iter()
                    .find(|v| v.version == n)
                    .ok_or_else(|| {
                        ErrorData::resource_not_found(
                            format!("asset {id} has no version {n}"),
                            None,
                        )
                    })?;
                return json(serde_json::to_string_pretty(&v));
            }
            let now = Utc::now().trunc_subsecs(6);
            let view = self
                .svc
                .get_asset_view(&who.tenant, rest, now)
                .await
                .map_err(ErrorData::from)?;
            return json(serde_json::to_string_pretty(&view));
        }
        Err(ErrorData::resource_not_found(
            format!(
                "unknown resource {uri}: this server has {CHANNELS_URI}, content://brand/{{client_id}}, \
                 content://assets/{{id}} and content://assets/{{id}}/versions/{{n}}"
            ),
            None,
        ))
    }
}

#[tool_handler(router = self.tools)]
#[prompt_handler(router = self.prompts)]
impl ServerHandler for ContentServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_prompts()
                .enable_resources()
                .enable_completions()
                .build(),
        )
        .with_server_info(Implementation::new(
            "mcp-content",
            env!("CARGO_PKG_VERSION"),
        ))
        .with_instructions(
            "PromptContent: channel-ready copy in English and Spanish within each channel's limits \
             (content://channels), art direction, SEO/answer-engine optimisation, brand guidelines \
             per client, and the asset library: versions, approval (content:approve), usage rights.",
        )
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        call_tool_audited(self, &self.tools, &self.auditor, request, context).await
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(vec![
            Resource::new(CHANNELS_URI, "channels")
                .with_title("Channel limits")
                .with_description(
                    "Every channel's fields, limits and counting rules, and visual formats",
                )
                .with_mime_type("application/json"),
        ]))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            ResourceTemplate::new("content://assets/{id}", "asset")
                .with_title("Asset")
                .with_description(
                    "An asset's current version, status, rights and where it is usable",
                )
                .with_mime_type("application/json"),
            ResourceTemplate::new("content://assets/{id}/versions/{n}", "asset-version")
                .with_title("Asset version")
                .with_description("One stored version of an asset")
                .with_mime_type("application/json"),
            ResourceTemplate::new("content://brand/{client_id}", "brand")
                .with_title("Brand guidelines")
                .with_description("A client's voice, banned words, disclaimers and preferred terms")
                .with_mime_type("application/json"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let who = self.who(&context);
        let body = self.read(request.uri.as_str(), &who).await?;
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(body, request.uri.clone()).with_mime_type("application/json"),
        ])
        .into())
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let who = self.who(&context);
        let typed = request.argument.value.trim();
        let prompt = match &request.r#ref {
            Reference::Prompt(p) => p.name.as_str(),
            _ => "",
        };
        let mut values: Vec<String> = match request.argument.name.as_str() {
            "client_id" => self.client_choices(&who, typed).await,
            "channel" => channel_choices(prompt)
                .into_iter()
                .filter(|c| c.starts_with(&typed.to_lowercase()))
                .map(str::to_owned)
                .collect(),
            "language" => ["en", "es"]
                .into_iter()
                .filter(|l| l.starts_with(&typed.to_lowercase()))
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        let total = values.len();
        values.truncate(CompletionInfo::MAX_VALUES);
        let more = total > values.len();
        let info = CompletionInfo::with_pagination(values, Some(total as u32), more)
            .map_err(|e| ErrorData::internal_error(e, None))?;
        Ok(CompleteResult::new(info))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use promptsales_shared::catalog::audit::AuditLog;
    use promptsales_shared::config::DbConfig;
    use promptsales_shared::db::Db;
    use promptsales_shared::domain::{Channel, ClientId};
    use rmcp::ServiceExt;
    use serde_json::json;

    use super::*;
    use crate::domain::{AssetFormat, Language, NewAsset, UsageRights};
    use crate::store::ContentStore;
    use promptsales_shared::domain::TenantId;

    fn object(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        v.as_object().cloned().unwrap()
    }

    /// The tools over a real MCP session (in-memory pipe), on SQLite.
    #[tokio::test]
    async fn tools_answer_over_mcp_and_are_audited() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = DbConfig {
            url: format!("sqlite://{}/t.db", dir.path().display()),
            schema_prefix: String::new(),
            max_connections: 4,
            acquire_timeout: Duration::from_secs(5),
        };
        let core = Db::open(&cfg, &promptsales_shared::catalog::MIGRATIONS)
            .await
            .unwrap();
        let db = Db::open(&cfg, &crate::MIGRATIONS).await.unwrap();
        let tenant = TenantId::parse("default").unwrap();
        let svc = ContentService::new(ContentStore::new(db));
        let asset = svc
            .create_asset(
                &tenant,
                &NewAsset {
                    client_id: ClientId::parse("cli_1").unwrap(),
                    campaign_id: None,
                    channel: Channel::Email,
                    format: AssetFormat::Email,
                    language: Language::En,
                    title: Some("Welcome".into()),
                    body: "Hello!".into(),
                    rights: Some(UsageRights {
                        licence: "internal".into(),
                        owner: "Agency".into(),
                        expires_at: None,
                        allowed_channels: vec![Channel::Email, Channel::Sms],
                    }),
                    created_by: None,
                    placement: None,
                    fields: None,
                },
            )
            .await
            .unwrap();
        let auditor = Auditor::spawn(AuditLog::new(core.clone()), "mcp-content", "default");
        let local = Principal::new("local", tenant.clone(), Vec::<String>::new());
        let server = ContentServer::new(svc, local, auditor.clone(), &[], true).unwrap();

        let (server_io, client_io) = tokio::io::duplex(64 * 1024);
        tokio::spawn(async move {
            if let Ok(running) = server.serve(server_io).await {
                let _ = running.waiting().await;
            }
        });
        let client = ().serve(client_io).await.unwrap();

        let tools = client.list_all_tools().await.unwrap();
        let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "check_asset_usability",
                "get_asset",
                "get_brand_guidelines",
                "list_asset_versions",
                "list_assets",
                "optimize_for_search",
                "score_content"
            ]
        );
        for t in &tools {
            assert!(t.output_schema.is_some(), "{} has an output schema", t.name);
        }

        let r = client
            .call_tool(
                CallToolRequestParams::new("get_asset")
                    .with_arguments(object(json!({ "asset_id": asset.id.as_str() }))),
            )
            .await
            .unwrap();
        assert_ne!(r.is_error, Some(true));
        let s = r.structured_content.unwrap();
        assert_eq!(s["asset"]["id"], json!(asset.id.as_str()));
        assert_eq!(s["asset"]["rights"]["licence"], json!("internal"));
        assert_eq!(s["usable_on"], json!(["email", "sms"]));

        let r = client
            .call_tool(
                CallToolRequestParams::new("list_assets")
                    .with_arguments(object(json!({ "channel": "email", "limit": 10 }))),
            )
            .await
            .unwrap();
        let s = r.structured_content.unwrap();
        assert_eq!(s["items"].as_array().unwrap().len(), 1);

        let r = client
            .call_tool(
                CallToolRequestParams::new("list_assets")
                    .with_arguments(object(json!({ "status": "published" }))),
            )
            .await
            .unwrap();
        assert_eq!(r.is_error, Some(true));
        let text = format!("{:?}", r.content);
        assert!(
            text.contains("status") && text.contains("archived"),
            "{text}"
        );

        let r = client
            .call_tool(
                CallToolRequestParams::new("get_asset")
                    .with_arguments(object(json!({ "asset_id": "ast_nope" }))),
            )
            .await
            .unwrap();
        assert_eq!(r.is_error, Some(true));

        client.cancel().await.unwrap();
        auditor.flush().await;
        let audited: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE tool IN ('get_asset', 'list_assets')",
        )
        .fetch_one(core.pool())
        .await
        .unwrap();
        assert_eq!(audited, 4);
    }

    #[tokio::test]
    async fn unknown_toolsets_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = DbConfig {
            url: format!("sqlite://{}/t.db", dir.path().display()),
            schema_prefix: String::new(),
            max_connections: 2,
            acquire_timeout: Duration::from_secs(5),
        };
        let core = Db::open(&cfg, &promptsales_shared::catalog::MIGRATIONS)
            .await
            .unwrap();
        let db = Db::open(&cfg, &crate::MIGRATIONS).await.unwrap();
        let auditor = Auditor::spawn(AuditLog::new(core), "mcp-content", "default");
        let svc = ContentService::new(ContentStore::new(db));
        let tenant = TenantId::parse("default").unwrap();
        let local = Principal::new("local", tenant.clone(), Vec::<String>::new());
        let err = ContentServer::new(
            svc.clone(),
            local.clone(),
            auditor.clone(),
            &["campaigns".into()],
            false,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(err.contains("library"), "{err}");
        assert!(ContentServer::new(svc, local, auditor, &["library".into()], false).is_ok());
    }
}
