//! The MCP surface of the CRM context: thin tools, resources and prompts
//! over [`CrmService`].

use std::sync::Arc;

use promptsales_shared::AppError;
use promptsales_shared::auth::Principal;
use promptsales_shared::domain::Page;
use promptsales_shared::server::{Auditor, ServeError, Toolset, call_tool_audited, filter_router};
use rmcp::handler::server::router::prompt::PromptRouter;
use rmcp::handler::server::tool::ToolRouter;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListResourceTemplatesResult,
    ListResourcesResult, PaginatedRequestParams, PromptMessage, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, Resource, ResourceContents, ResourceTemplate, Role,
    ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{
    ErrorData, RoleServer, ServerHandler, prompt, prompt_handler, prompt_router, tool,
    tool_handler, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::{Lead, Seller};
use crate::service::{
    Assignment, CrmService, Erasure, FollowUps, GdprExport, IntentPrediction, Lead360, LeadProfile,
    LeadQuery, LeadUpdate, LedgerState, LoggedInteraction, ModelInfo, NewLead, Registration,
    ReplyDraft, SaleRecorded, ScoreCard, SellerMetrics, SendResult,
};
use crate::store::KbEntry;

/// Tool groups for `--toolsets`.
pub const TOOLSETS: &[Toolset] = &[
    Toolset {
        name: "leads",
        description: "Register, find, score and move leads through the funnel",
        tools: &[
            "register_lead",
            "update_lead",
            "get_lead",
            "search_leads",
            "advance_stage",
            "mark_lost",
            "score_lead",
        ],
    },
    Toolset {
        name: "intent",
        description: "Predict purchase intent from the tenant's own history",
        tools: &["predict_purchase_intent", "train_intent_model"],
    },
    Toolset {
        name: "conversations",
        description: "Log interactions, draft replies from the knowledge base and send messages",
        tools: &[
            "log_interaction",
            "suggest_reply",
            "send_message",
            "upsert_kb_entry",
        ],
    },
    Toolset {
        name: "consent",
        description: "The consent and suppression ledger across email, SMS and WhatsApp",
        tools: &["record_consent", "suppress"],
    },
    Toolset {
        name: "sellers",
        description: "The sales team: assignment, metrics and follow-up alerts",
        tools: &[
            "list_sellers",
            "upsert_seller",
            "assign_lead",
            "seller_metrics",
            "follow_ups_due",
        ],
    },
    Toolset {
        name: "sales",
        description: "Record closed sales",
        tools: &["record_sale"],
    },
    Toolset {
        name: "privacy",
        description: "GDPR export and erasure of a person's data",
        tools: &["gdpr_export_lead", "gdpr_erase_lead"],
    },
];

const PIPELINE_URI: &str = "crm://pipeline";
const SELLERS_URI: &str = "crm://sellers";
const KB_URI: &str = "crm://knowledge-base";
const LEAD_TEMPLATE: &str = "crm://leads/{id}";

#[derive(Debug, Deserialize, JsonSchema)]
pub struct LeadIdParams {
    /// Lead id, e.g. `lead_00042`.
    pub lead_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RegisterLeadParams {
    /// The agency client the lead is for, e.g. `cli_001`.
    pub client_id: String,
    /// Where the lead came from: google_ads, meta, instagram, tiktok,
    /// linkedin, email, sms, whatsapp, influencer, web or organic.
    pub channel: String,
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
    /// Phone, national or international (normalised to E.164; stored encrypted).
    pub phone: Option<String>,
    pub company: Option<String>,
    /// The product or service the lead asked about.
    pub product_interest: Option<String>,
    /// `en` or `es`: the language to write to the lead in.
    pub language: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateLeadParams {
    pub lead_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub product_interest: Option<String>,
    /// `en` or `es`.
    pub language: Option<String>,
    pub city: Option<String>,
    /// ISO-3166 alpha-2 country.
    pub country: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchLeadsParams {
    /// Only leads in this funnel stage: iql, mql, sql, customer or lost.
    pub stage: Option<String>,
    /// Only leads from this country, as an ISO-3166 alpha-2 code (CO, MX, US…).
    pub country: Option<String>,
    /// Only leads from this channel: google_ads, meta, instagram, tiktok,
    /// linkedin, email, sms, whatsapp, influencer, web or organic.
    pub channel: Option<String>,
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
    /// Target stage: mql, sql or customer (forward only; a lost lead can be
    /// reopened to iql, mql or sql).
    pub stage: String,
    /// Why, recorded in the stage history.
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct MarkLostParams {
    pub lead_id: String,
    /// Why the lead was lost (required), e.g. "chose a competitor".
    pub reason: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct LogInteractionParams {
    pub lead_id: String,
    /// The channel of the interaction (whatsapp, email, sms, web…).
    pub channel: String,
    /// `in` (from the lead) or `out` (from us).
    pub direction: String,
    /// What was said, at most 10,000 characters.
    pub text: String,
    /// When it happened (RFC 3339); default now.
    pub at: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SendMessageParams {
    pub lead_id: String,
    /// email, sms or whatsapp.
    pub channel: String,
    /// The message, at most 10,000 characters.
    pub text: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct KbEntryParams {
    /// Entry id, e.g. `kb_pricing_es` (an existing id is replaced).
    pub entry_id: String,
    /// `en` or `es`.
    pub language: String,
    pub topic: String,
    /// Words in a lead's message that make this answer relevant.
    pub keywords: Vec<String>,
    /// The answer text drafts quote.
    pub answer: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RecordConsentParams {
    pub lead_id: String,
    /// email, sms or whatsapp.
    pub channel: String,
    /// true when consent was given, false when withdrawn.
    pub granted: bool,
    /// Where it came from, e.g. "landing form 2026-03, checkbox".
    pub source: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SuppressParams {
    pub lead_id: String,
    /// email, sms, whatsapp or all (default all: every channel, paid media included).
    pub channel: Option<String>,
    /// Why or where, e.g. "replied STOP", "complaint by phone".
    pub source: String,
    /// true to lift an earlier suppression instead.
    pub lift: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListSellersParams {
    /// Only sellers currently taking new leads (default false: all sellers).
    pub active_only: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpsertSellerParams {
    /// Seller id to update, e.g. `sel_003`; omit to create one.
    pub seller_id: Option<String>,
    pub name: String,
    /// Open leads the seller can hold.
    pub capacity: i32,
    /// Whether the seller takes new leads (default true).
    pub active: Option<bool>,
    /// Countries the seller covers (ISO alpha-2), for `by_country`.
    pub countries: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AssignLeadParams {
    pub lead_id: String,
    /// round_robin, least_loaded (respects capacity) or by_country; default least_loaded.
    pub strategy: Option<String>,
    /// Assign to this seller instead of using a strategy.
    pub seller_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FollowUpsParams {
    /// An inbound message unanswered for this many hours is due (default 24).
    pub unanswered_hours: Option<u32>,
    /// Leads scoring at least this are hot (default 70).
    pub hot_score: Option<i32>,
    /// Hot leads without contact for this many days are due (default 3).
    pub quiet_days: Option<u32>,
    /// At most this many alerts, 1-500 (default 50).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RecordSaleParams {
    pub lead_id: String,
    /// Amount in major units as a decimal string, e.g. "1250.50".
    pub amount: String,
    /// ISO-4217 currency, e.g. COP, MXN, USD.
    pub currency: String,
    pub product_id: Option<String>,
    /// The campaign credited (default: the lead's campaign).
    pub campaign_id: Option<String>,
    /// When the sale closed (RFC 3339); default now.
    pub closed_at: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NoParams {}

/// The sellers of the agency account.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SellerList {
    pub sellers: Vec<Seller>,
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

/// The CRM MCP server.
#[derive(Clone)]
pub struct CrmServer {
    svc: CrmService,
    local: Principal,
    tools: Arc<ToolRouter<Self>>,
    prompts: Arc<PromptRouter<Self>>,
    auditor: Auditor,
}

type Ctx = RequestContext<RoleServer>;

#[tool_router]
impl CrmServer {
    /// A server exposing the tools `toolsets`/`read_only` allow; `local` is
    /// the caller over stdio (HTTP tokens carry their own).
    pub fn new(
        svc: CrmService,
        local: Principal,
        auditor: Auditor,
        toolsets: &[String],
        read_only: bool,
    ) -> Result<Self, ServeError> {
        let tools = filter_router(Self::tool_router(), TOOLSETS, toolsets, read_only)?;
        Ok(Self {
            svc,
            local,
            tools: Arc::new(tools),
            prompts: Arc::new(Self::prompt_router()),
            auditor,
        })
    }

    fn who(&self, ctx: &Ctx) -> Principal {
        Principal::of(ctx, &self.local)
    }

    #[tool(
        description = "Register a lead from any source. Email is trimmed and lower-cased, phone normalised to E.164 (default dialling code from country). A repeat of the same person (same email or phone) never creates a twin: it returns the existing lead with duplicate_of and matched_on, and records the new source. New leads start in iql and are scored at once.",
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
    ) -> Result<Json<Registration>, AppError> {
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
        self.svc
            .register_lead(&who.tenant, &who.subject, input)
            .await
            .map(Json)
    }

    #[tool(
        description = "Update a lead's profile: name, email, phone, company, product interest, language, city, country. Only the fields given change; an email or phone already held by another lead is refused. Re-scores the lead.",
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
    ) -> Result<Json<LeadProfile>, AppError> {
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
        self.svc
            .update_lead(&who.tenant, &who.subject, &p.lead_id, u)
            .await
            .map(Json)
    }

    #[tool(
        description = "The 360° view of one lead: profile with contact details, current score with its reasons, every source it came from, stage history, interactions, sales and the consent/suppression state of its contacts.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn get_lead(
        &self,
        Parameters(p): Parameters<LeadIdParams>,
        ctx: Ctx,
    ) -> Result<Json<Lead360>, AppError> {
        let who = self.who(&ctx);
        self.svc.get_lead(&who.tenant, &p.lead_id).await.map(Json)
    }

    #[tool(
        description = "Search leads by stage, score range, country, channel, campaign, client, seller and creation dates; every filter given must match. Ordered by id, 50 per page by default; pass next_cursor to continue. Contact details are not returned here (use get_lead).",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn search_leads(
        &self,
        Parameters(p): Parameters<SearchLeadsParams>,
        ctx: Ctx,
    ) -> Result<Json<Page<Lead>>, AppError> {
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
        self.svc.search_leads(&who.tenant, &query).await.map(Json)
    }

    #[tool(
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
    ) -> Result<Json<Lead360>, AppError> {
        let who = self.who(&ctx);
        self.svc
            .advance_stage(&who.tenant, &who.subject, &p.lead_id, &p.stage, p.reason)
            .await
            .map(Json)
    }

    #[tool(
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
    ) -> Result<Json<Lead360>, AppError> {
        let who = self.who(&ctx);
        self.svc
            .mark_lost(&who.tenant, &who.subject, &p.lead_id, &p.reason)
            .await
            .map(Json)
    }

    #[tool(
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
    ) -> Result<Json<ScoreCard>, AppError> {
        let who = self.who(&ctx);
        self.svc
            .score_lead(&who.tenant, &who.subject, &p.lead_id)
            .await
            .map(Json)
    }

    #[tool(
        description = "Probability that a lead becomes a customer, from a logistic regression trained on this tenant's own leads (retrained automatically when missing or stale), with the top factors and the model's AUC on a held-out quarter of the leads.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn predict_purchase_intent(
        &self,
        Parameters(p): Parameters<LeadIdParams>,
        ctx: Ctx,
    ) -> Result<Json<IntentPrediction>, AppError> {
        let who = self.who(&ctx);
        self.svc
            .predict_purchase_intent(&who.tenant, &p.lead_id)
            .await
            .map(Json)
    }

    #[tool(
        description = "Train the purchase-intent model on this tenant's history (customers vs other leads; features: score, inbound and outbound messages, average sentiment, pricing/demo/buying words, paid channel, company, product interest, seller assigned) and report its AUC on a held-out quarter.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn train_intent_model(
        &self,
        Parameters(_): Parameters<NoParams>,
        ctx: Ctx,
    ) -> Result<Json<ModelInfo>, AppError> {
        let who = self.who(&ctx);
        self.svc.train_intent_model(&who.tenant).await.map(Json)
    }

    #[tool(
        description = "Log an interaction with a lead (channel, direction in/out, text). Inbound text gets a sentiment from -1 to 1 (offline EN/ES lexicon, or the LLM when configured) and the lead is re-scored. An inbound STOP/BAJA suppresses that channel in the ledger.",
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
    ) -> Result<Json<LoggedInteraction>, AppError> {
        let who = self.who(&ctx);
        self.svc
            .log_interaction(
                &who.tenant,
                &who.subject,
                &p.lead_id,
                &p.channel,
                &p.direction,
                &p.text,
                p.at.as_deref(),
            )
            .await
            .map(Json)
    }

    #[tool(
        description = "Draft a reply to the lead's last message in their language (en/es) from the knowledge base (crm://knowledge-base). A draft for a person to review — it is never sent by itself; send it with send_message.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn suggest_reply(
        &self,
        Parameters(p): Parameters<LeadIdParams>,
        ctx: Ctx,
    ) -> Result<Json<ReplyDraft>, AppError> {
        let who = self.who(&ctx);
        self.svc
            .suggest_reply(&who.tenant, &p.lead_id)
            .await
            .map(Json)
    }

    #[tool(
        description = "Send a message to a lead on email, sms or whatsapp after checking the consent and suppression ledger: a suppressed contact, or one without consent (WhatsApp also allows replies within 24 h of the lead's last WhatsApp message), is refused with the reason. WhatsApp goes through the Cloud API when configured; otherwise the message is recorded with sandbox: true.",
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
    ) -> Result<Json<SendResult>, AppError> {
        let who = self.who(&ctx);
        self.svc
            .send_message(&who.tenant, &p.lead_id, &p.channel, &p.text)
            .await
            .map(Json)
    }

    #[tool(
        description = "Create or replace a knowledge-base answer (language en/es, topic, keywords, answer) that suggest_reply drafts from.",
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
    ) -> Result<Json<KbEntry>, AppError> {
        let who = self.who(&ctx);
        let e = KbEntry {
            id: p.entry_id,
            language: p.language,
            topic: p.topic,
            keywords: p.keywords,
            answer: p.answer,
        };
        self.svc.upsert_kb_entry(&who.tenant, e).await.map(Json)
    }

    #[tool(
        description = "Record consent given or withdrawn for a lead's contact on email, sms or whatsapp, with its source; kept in the ledger history with a timestamp.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn record_consent(
        &self,
        Parameters(p): Parameters<RecordConsentParams>,
        ctx: Ctx,
    ) -> Result<Json<LedgerState>, AppError> {
        let who = self.who(&ctx);
        self.svc
            .record_consent(&who.tenant, &p.lead_id, &p.channel, p.granted, &p.source)
            .await
            .map(Json)
    }

    #[tool(
        description = "Suppress (opt out) a lead's contacts on one channel or on all (paid-media audiences included), with the source; lift: true removes an earlier suppression. Kept in the ledger history; mcp-ads checks it before a campaign reaches a person.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn suppress(
        &self,
        Parameters(p): Parameters<SuppressParams>,
        ctx: Ctx,
    ) -> Result<Json<LedgerState>, AppError> {
        let who = self.who(&ctx);
        self.svc
            .suppress(
                &who.tenant,
                &p.lead_id,
                p.channel.as_deref(),
                &p.source,
                p.lift.unwrap_or(false),
            )
            .await
            .map(Json)
    }

    #[tool(
        description = "List the sellers leads can be assigned to, with whether each is active and how many open leads they can handle (capacity).",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn list_sellers(
        &self,
        Parameters(p): Parameters<ListSellersParams>,
        ctx: Ctx,
    ) -> Result<Json<SellerList>, AppError> {
        let who = self.who(&ctx);
        let sellers = self
            .svc
            .list_sellers(&who.tenant, p.active_only.unwrap_or(false))
            .await?;
        Ok(Json(SellerList { sellers }))
    }

    #[tool(
        description = "Create or update a seller: name, capacity (open leads they can hold), active, and the countries they cover for by_country assignment.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn upsert_seller(
        &self,
        Parameters(p): Parameters<UpsertSellerParams>,
        ctx: Ctx,
    ) -> Result<Json<Seller>, AppError> {
        let who = self.who(&ctx);
        self.svc
            .upsert_seller(
                &who.tenant,
                p.seller_id.as_deref(),
                &p.name,
                p.capacity,
                p.active.unwrap_or(true),
                &p.countries.unwrap_or_default(),
            )
            .await
            .map(Json)
    }

    #[tool(
        description = "Assign a lead to a seller: round_robin (the active seller with room who waited longest), least_loaded (fewest open leads, respecting capacity) or by_country (sellers covering the lead's country), or a given seller_id.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn assign_lead(
        &self,
        Parameters(p): Parameters<AssignLeadParams>,
        ctx: Ctx,
    ) -> Result<Json<Assignment>, AppError> {
        let who = self.who(&ctx);
        self.svc
            .assign_lead(
                &who.tenant,
                &p.lead_id,
                p.strategy.as_deref().unwrap_or("least_loaded"),
                p.seller_id.as_deref(),
            )
            .await
            .map(Json)
    }

    #[tool(
        description = "Seller leaderboard: leads held, open, won and lost, conversion rate, average first-response time in minutes and revenue per currency, best first.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn seller_metrics(
        &self,
        Parameters(_): Parameters<NoParams>,
        ctx: Ctx,
    ) -> Result<Json<SellerMetrics>, AppError> {
        let who = self.who(&ctx);
        self.svc.seller_metrics(&who.tenant).await.map(Json)
    }

    #[tool(
        description = "The morning alerts: open leads whose last inbound message has waited longer than unanswered_hours (default 24) for a reply, and hot leads (score ≥ hot_score, default 70) without contact for quiet_days (default 3). Longest waits first.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn follow_ups_due(
        &self,
        Parameters(p): Parameters<FollowUpsParams>,
        ctx: Ctx,
    ) -> Result<Json<FollowUps>, AppError> {
        let who = self.who(&ctx);
        self.svc
            .follow_ups_due(
                &who.tenant,
                p.unanswered_hours,
                p.hot_score,
                p.quiet_days,
                p.limit,
            )
            .await
            .map(Json)
    }

    #[tool(
        description = "Record a closed sale for a lead (amount as a decimal string, ISO currency, product, campaign): the lead becomes a customer (stage history) and the sale is what analytics syncs.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn record_sale(
        &self,
        Parameters(p): Parameters<RecordSaleParams>,
        ctx: Ctx,
    ) -> Result<Json<SaleRecorded>, AppError> {
        let who = self.who(&ctx);
        self.svc
            .record_sale(
                &who.tenant,
                &who.subject,
                &p.lead_id,
                &p.amount,
                &p.currency,
                p.product_id.as_deref(),
                p.campaign_id.as_deref(),
                p.closed_at.as_deref(),
            )
            .await
            .map(Json)
    }

    #[tool(
        description = "GDPR export: everything held on a person — decrypted profile, score reasons, sources, stage history, interactions, sent messages, sales and the consent ledger of their contacts.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn gdpr_export_lead(
        &self,
        Parameters(p): Parameters<LeadIdParams>,
        ctx: Ctx,
    ) -> Result<Json<GdprExport>, AppError> {
        let who = self.who(&ctx);
        self.svc
            .gdpr_export_lead(&who.tenant, &p.lead_id)
            .await
            .map(Json)
    }

    #[tool(
        description = "GDPR erasure: remove a person's personal data (name, email, phone and their blind indexes, city, company, message texts) while keeping anonymised facts (stage, country, channel, sales amounts) so analytics totals do not change. Irreversible.",
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
    ) -> Result<Json<Erasure>, AppError> {
        let who = self.who(&ctx);
        self.svc
            .gdpr_erase_lead(&who.tenant, &who.subject, &p.lead_id)
            .await
            .map(Json)
    }
}

#[prompt_router]
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

fn to_json<T: Serialize>(v: &T) -> Result<String, ErrorData> {
    serde_json::to_string_pretty(v).map_err(|e| ErrorData::internal_error(e.to_string(), None))
}

#[tool_handler(router = self.tools)]
#[prompt_handler(router = self.prompts)]
impl ServerHandler for CrmServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_prompts()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new("mcp-crm", env!("CARGO_PKG_VERSION")))
        .with_instructions(
            "PromptCRM: leads from every source to a closed sale. register_lead deduplicates by \
             email/phone; leads are scored 0-100 with reasons and move iql → mql (40) → sql (70) → \
             customer, or lost. Messages go out only through send_message, which checks the consent \
             and suppression ledger. Personal data is encrypted at rest; gdpr_export_lead and \
             gdpr_erase_lead serve data-subject requests.",
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
            Resource::new(PIPELINE_URI, "pipeline")
                .with_title("Pipeline")
                .with_description("Leads and average score per funnel stage, with the thresholds")
                .with_mime_type("application/json"),
            Resource::new(SELLERS_URI, "sellers")
                .with_title("Sellers")
                .with_description("The sales team with load, conversions and revenue (leaderboard)")
                .with_mime_type("application/json"),
            Resource::new(KB_URI, "knowledge-base")
                .with_title("Knowledge base")
                .with_description("Answers suggest_reply drafts from, per language and topic")
                .with_mime_type("application/json"),
        ]))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            ResourceTemplate::new(LEAD_TEMPLATE, "lead")
                .with_title("Lead")
                .with_description("The 360° view of one lead, as get_lead returns it")
                .with_mime_type("application/json"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let who = self.who(&context);
        let t = &who.tenant;
        let uri = request.uri.as_str();
        let body = match uri {
            PIPELINE_URI => to_json(&self.svc.pipeline(t).await.map_err(ErrorData::from)?)?,
            SELLERS_URI => to_json(&self.svc.seller_metrics(t).await.map_err(ErrorData::from)?)?,
            KB_URI => to_json(&self.svc.knowledge_base(t).await.map_err(ErrorData::from)?)?,
            other => match other.strip_prefix("crm://leads/") {
                Some(id) => to_json(&self.svc.get_lead(t, id).await.map_err(ErrorData::from)?)?,
                None => {
                    return Err(ErrorData::resource_not_found(
                        format!(
                            "unknown resource {other}: this server has {PIPELINE_URI}, {SELLERS_URI}, {KB_URI} and {LEAD_TEMPLATE}"
                        ),
                        None,
                    ));
                }
            },
        };
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(body, request.uri.clone()).with_mime_type("application/json"),
        ])
        .into())
    }
}
