//! The MCP surface of the ads context: thin tools, resources and prompts
//! over [`AdsService`].

use std::sync::Arc;

use promptsales_shared::AppError;
use promptsales_shared::auth::Principal;
use promptsales_shared::domain::{Channel, Page, Vocabulary};
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
use rmcp::service::{ElicitationError, ElicitationMode, RequestContext};
use rmcp::{
    ErrorData, RoleServer, ServerHandler, prompt, prompt_handler, prompt_router, tool,
    tool_handler, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::Campaign;
use crate::domain::benchmarks::{Platform, benchmark};
use crate::service::{
    AdsService, BudgetPlan, CampaignInput, CampaignView, ChangeSetView, Confirmation,
    GenerateRequest, LaunchResult, OptimizeRequest, PerformanceReport, PlanBudgetRequest,
    PlatformAction, SegmentRequest, SegmentResult, SyncReport,
};

type Ctx = RequestContext<RoleServer>;

/// Tool groups for `--toolsets`.
pub const TOOLSETS: &[Toolset] = &[
    Toolset {
        name: "campaigns",
        description: "Find, draft, generate and plan campaigns",
        tools: &[
            "list_campaigns",
            "get_campaign",
            "create_campaign",
            "update_campaign",
            "generate_campaign",
            "plan_budget",
        ],
    },
    Toolset {
        name: "approval",
        description: "Submit campaigns and approve or reject them (ads:approve)",
        tools: &["submit_for_approval", "approve_campaign", "reject_campaign"],
    },
    Toolset {
        name: "delivery",
        description: "Launch (ads:launch), pause, resume and complete campaigns on the platforms",
        tools: &[
            "launch_campaign",
            "pause_campaign",
            "resume_campaign",
            "complete_campaign",
        ],
    },
    Toolset {
        name: "performance",
        description: "Delivery, pacing, metric sync and optimisation change sets",
        tools: &[
            "get_campaign_performance",
            "sync_metrics",
            "optimize_campaign",
            "apply_change_set",
            "rollback_change_set",
        ],
    },
    Toolset {
        name: "audiences",
        description: "Audience segments sized by CRM",
        tools: &["segment_audience"],
    },
    Toolset {
        name: "content",
        description: "Attach approved content to campaigns",
        tools: &["attach_content"],
    },
];

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetCampaignParams {
    /// Campaign id, e.g. `cmp_00042`.
    pub campaign_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListCampaignsParams {
    /// Only this client's campaigns.
    pub client_id: Option<String>,
    /// Only campaigns in this status: draft, pending_approval, approved,
    /// active, paused, completed or rejected.
    pub status: Option<String>,
    /// Only this objective: awareness, traffic, leads or sales.
    pub objective: Option<String>,
    /// Only campaigns running on this channel.
    pub channel: Option<String>,
    /// Only campaigns targeting this country (ISO-3166 alpha-2).
    pub country: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateCampaignParams {
    pub campaign_id: String,
    /// Fields to change; absent fields keep their value.
    #[serde(flatten)]
    pub changes: CampaignInput,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NoteParams {
    pub campaign_id: String,
    /// Why (kept in the campaign's history).
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RejectParams {
    pub campaign_id: String,
    /// Why it is rejected: what to change before resubmitting.
    pub note: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct LaunchParams {
    pub campaign_id: String,
    /// Unique per intended launch: repeating it launches nothing and
    /// returns the first result. Required unless dry_run.
    pub idempotency_key: Option<String>,
    /// Return exactly what would be sent to each platform and the spend it
    /// commits, without sending anything.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PerformanceParams {
    pub campaign_id: String,
    /// First day (default: the campaign start), YYYY-MM-DD.
    pub from: Option<String>,
    /// Last day (default: today or the campaign end), YYYY-MM-DD.
    pub to: Option<String>,
    /// Pull fresh metrics from the platforms first (default true).
    pub refresh: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SyncParams {
    /// How many recent days to read again (default 7, at most 90).
    pub days: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ChangeSetParams {
    /// Change set id from optimize_campaign, e.g. `chg_…`.
    pub change_set_id: String,
    /// Say what would change on each platform without changing anything.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ActionParams {
    /// Campaign id, e.g. `cmp_00042`.
    pub campaign_id: String,
    /// Say what would change on each platform without changing anything.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AttachParams {
    pub campaign_id: String,
    /// Asset id in mcp-content.
    pub asset_id: String,
    /// Channels of the campaign to use it on.
    pub channels: Vec<String>,
}

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

/// The person's answer when asked to confirm a launch.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct LaunchConfirmation {
    /// True to launch and commit the spend.
    pub confirm: bool,
}
rmcp::elicit_safe!(LaunchConfirmation);

const CHANNELS_URI: &str = "ads://channels";

/// The ads MCP server.
#[derive(Clone)]
pub struct AdsServer {
    svc: AdsService,
    local: Principal,
    tools: Arc<ToolRouter<Self>>,
    prompts: Arc<PromptRouter<Self>>,
    auditor: Auditor,
}

#[tool_router]
impl AdsServer {
    /// A server exposing the tools `toolsets`/`read_only` allow; callers
    /// without a verified token act as `local`.
    pub fn new(
        svc: AdsService,
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
        description = "Get one campaign: client, objective, status, budget, dates, channels, countries, plan (budget per channel, KPI targets, schedule), audience, approval, platform publications, attached content, history and the statuses it may move to.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn get_campaign(
        &self,
        Parameters(p): Parameters<GetCampaignParams>,
        ctx: Ctx,
    ) -> Result<Json<CampaignView>, AppError> {
        let who = self.who(&ctx);
        self.svc.view(&who.tenant, &p.campaign_id).await.map(Json)
    }

    #[tool(
        description = "List campaigns by id, filtered by client, status, objective, channel or country, 50 per page by default; pass next_cursor to continue.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn list_campaigns(
        &self,
        Parameters(p): Parameters<ListCampaignsParams>,
        ctx: Ctx,
    ) -> Result<Json<Page<Campaign>>, AppError> {
        let who = self.who(&ctx);
        self.svc
            .list_filtered(
                &who.tenant,
                p.client_id.as_deref(),
                p.status.as_deref(),
                p.objective.as_deref(),
                p.channel.as_deref(),
                p.country.as_deref(),
                p.cursor.as_deref(),
                p.limit,
            )
            .await
            .map(Json)
    }

    #[tool(
        description = "Create a draft campaign: client_id, name, objective, budget_cents (hundredths of currency), currency, start_date, end_date, channels, countries; optional allocations per channel (must sum to the budget; default: planned from expected return), audience_hints, segment_id, product_id, subject/message (email, SMS), sms_recipients. The caller is recorded as creator.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn create_campaign(
        &self,
        Parameters(p): Parameters<CampaignInput>,
        ctx: Ctx,
    ) -> Result<Json<CampaignView>, AppError> {
        self.svc.create_campaign(&self.who(&ctx), p).await.map(Json)
    }

    #[tool(
        description = "Change a draft or rejected campaign (any create_campaign field); a rejected campaign returns to draft. Changing budget, currency or channels re-plans the channel budgets unless allocations are given.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn update_campaign(
        &self,
        Parameters(p): Parameters<UpdateCampaignParams>,
        ctx: Ctx,
    ) -> Result<Json<CampaignView>, AppError> {
        self.svc
            .update_campaign(&self.who(&ctx), &p.campaign_id, p.changes)
            .await
            .map(Json)
    }

    #[tool(
        description = "Draft a complete campaign from a goal: channel mix (goal fit, audience hints, the tenant's own CTR/CPA/ROAS by country, documented benchmarks where there is no history), budget plan to the cent with a reason per channel, KPI targets, schedule and audience. It stays a draft.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn generate_campaign(
        &self,
        Parameters(p): Parameters<GenerateRequest>,
        ctx: Ctx,
    ) -> Result<Json<CampaignView>, AppError> {
        self.svc.generate(&self.who(&ctx), p).await.map(Json)
    }

    #[tool(
        description = "Split a budget across channels in proportion to expected return (own history, else benchmarks), within floor/cap shares and with an exploration share; parts sum to the budget to the cent and each comes with its reason. With campaign_id (draft or rejected) the plan is saved on the campaign.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn plan_budget(
        &self,
        Parameters(p): Parameters<PlanBudgetRequest>,
        ctx: Ctx,
    ) -> Result<Json<BudgetPlan>, AppError> {
        self.svc.plan_budget(&self.who(&ctx), p).await.map(Json)
    }

    #[tool(
        description = "Submit a draft for approval (draft → pending_approval) after checking its flight has not ended and its channel budgets sum to its budget.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn submit_for_approval(
        &self,
        Parameters(p): Parameters<NoteParams>,
        ctx: Ctx,
    ) -> Result<Json<CampaignView>, AppError> {
        self.svc
            .submit(&self.who(&ctx), &p.campaign_id, p.note)
            .await
            .map(Json)
    }

    #[tool(
        description = "Approve a campaign pending approval (needs the ads:approve scope; its creator cannot approve it). Records who, when and the note.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn approve_campaign(
        &self,
        Parameters(p): Parameters<NoteParams>,
        ctx: Ctx,
    ) -> Result<Json<CampaignView>, AppError> {
        self.svc
            .approve(&self.who(&ctx), &p.campaign_id, p.note)
            .await
            .map(Json)
    }

    #[tool(
        description = "Reject a campaign pending approval with a note saying what to change (needs ads:approve). It can be edited (back to draft) and resubmitted.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn reject_campaign(
        &self,
        Parameters(p): Parameters<RejectParams>,
        ctx: Ctx,
    ) -> Result<Json<CampaignView>, AppError> {
        self.svc
            .reject(&self.who(&ctx), &p.campaign_id, p.note)
            .await
            .map(Json)
    }

    #[tool(
        description = "Launch an approved campaign on its platforms (needs ads:launch): each channel is created paused, then enabled; per-channel outcome; a failed channel leaves the others live and the campaign active with that channel marked failed (launch again with a new key retries only it). Spend caps are enforced. idempotency_key: a repeat launches nothing. dry_run: exactly what would be sent and the spend committed. Clients that support elicitation are asked to confirm the spend.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn launch_campaign(
        &self,
        Parameters(p): Parameters<LaunchParams>,
        ctx: Ctx,
    ) -> Result<Json<LaunchResult>, AppError> {
        let who = self.who(&ctx);
        if p.dry_run {
            return self
                .svc
                .launch_preview(&who, &p.campaign_id)
                .await
                .map(Json);
        }
        let key = p.idempotency_key.ok_or_else(|| {
            AppError::invalid(
                "idempotency_key",
                "a key unique to this launch (or dry_run: true)",
                "nothing",
            )
        })?;
        let confirmation = if ctx
            .peer
            .supported_elicitation_modes()
            .contains(&ElicitationMode::Form)
        {
            let preview = self.svc.launch_preview(&who, &p.campaign_id).await?;
            let message = format!(
                "Launch campaign {} on {} channel(s)? It commits {} {} ({} {}/day){}.",
                p.campaign_id,
                preview
                    .channels
                    .iter()
                    .filter(|c| c.outcome == "would_launch")
                    .count(),
                promptsales_shared::domain::format_cents(preview.committed_spend_cents),
                preview.currency,
                promptsales_shared::domain::format_cents(preview.daily_spend_cents),
                preview.currency,
                if preview.sandbox {
                    "; sandbox channels spend nothing real"
                } else {
                    ""
                }
            );
            match ctx.peer.elicit::<LaunchConfirmation>(message).await {
                Ok(Some(LaunchConfirmation { confirm: true })) => Confirmation::Elicited,
                Ok(_)
                | Err(ElicitationError::UserDeclined)
                | Err(ElicitationError::UserCancelled) => {
                    return Err(AppError::Conflict(format!(
                        "launch of `{}` not confirmed by the person: nothing was sent",
                        p.campaign_id
                    )));
                }
                Err(e) => Confirmation::NotAsked(format!(
                    "asking the person failed ({e}); the campaign's approval covers the spend"
                )),
            }
        } else {
            let approval = self
                .svc
                .view(&who.tenant, &p.campaign_id)
                .await?
                .approval
                .map(|a| format!(" by {} at {}", a.by, a.at))
                .unwrap_or_default();
            Confirmation::NotAsked(format!(
                "the client does not support elicitation, so the person was not asked: the approval{approval} and the ads:launch scope of {} cover the spend",
                who.subject
            ))
        };
        self.svc
            .launch(&who, &p.campaign_id, &key, confirmation)
            .await
            .map(Json)
    }

    #[tool(
        description = "Pause an active campaign on every platform (active → paused). If a platform refuses, the campaign stays active and the error names each channel.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn pause_campaign(
        &self,
        Parameters(p): Parameters<ActionParams>,
        ctx: Ctx,
    ) -> Result<Json<PlatformAction>, AppError> {
        self.svc
            .platform_action(&self.who(&ctx), &p.campaign_id, "pause", p.dry_run)
            .await
            .map(Json)
    }

    #[tool(
        description = "Resume a paused campaign on every platform (paused → active); dry_run says what would resume without changing anything.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn resume_campaign(
        &self,
        Parameters(p): Parameters<ActionParams>,
        ctx: Ctx,
    ) -> Result<Json<PlatformAction>, AppError> {
        self.svc
            .platform_action(&self.who(&ctx), &p.campaign_id, "resume", p.dry_run)
            .await
            .map(Json)
    }

    #[tool(
        description = "Complete an active or paused campaign: stops delivery on every platform; final.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn complete_campaign(
        &self,
        Parameters(p): Parameters<ActionParams>,
        ctx: Ctx,
    ) -> Result<Json<PlatformAction>, AppError> {
        self.svc
            .platform_action(&self.who(&ctx), &p.campaign_id, "complete", p.dry_run)
            .await
            .map(Json)
    }

    #[tool(
        description = "Daily and total impressions, reach, clicks, spend, conversions, CTR, CPC, CPA and ROAS per channel, pacing against budget and dates, KPI targets; first pulls fresh platform metrics into ad_daily (refresh: false to skip).",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = true)
    )]
    async fn get_campaign_performance(
        &self,
        Parameters(p): Parameters<PerformanceParams>,
        ctx: Ctx,
    ) -> Result<Json<PerformanceReport>, AppError> {
        let who = self.who(&ctx);
        self.svc
            .performance(
                &who.tenant,
                &p.campaign_id,
                p.from.as_deref(),
                p.to.as_deref(),
                p.refresh.unwrap_or(true),
            )
            .await
            .map(Json)
    }

    #[tool(
        description = "Pull the last days' metrics of every active campaign from its platforms into ad_daily (the job the scheduler runs).",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn sync_metrics(
        &self,
        Parameters(p): Parameters<SyncParams>,
        ctx: Ctx,
    ) -> Result<Json<SyncReport>, AppError> {
        let who = self.who(&ctx);
        self.svc.sync_metrics(&who.tenant, p.days).await.map(Json)
    }

    #[tool(
        description = "Propose one change set across the campaign's platforms: budget moved from channels below target ROAS to those above (before/after per channel, reasons, forecast effect), flags for CTR below a threshold after N impressions and for over/under-pacing. Nothing changes until apply_change_set.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn optimize_campaign(
        &self,
        Parameters(p): Parameters<OptimizeRequest>,
        ctx: Ctx,
    ) -> Result<Json<ChangeSetView>, AppError> {
        self.svc.optimize(&self.who(&ctx), p).await.map(Json)
    }

    #[tool(
        description = "Apply a proposed change set on every platform and in the plan in one step (needs ads:approve); recorded so rollback_change_set can undo it. dry_run: the budget each platform would get, nothing changed.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn apply_change_set(
        &self,
        Parameters(p): Parameters<ChangeSetParams>,
        ctx: Ctx,
    ) -> Result<Json<ChangeSetView>, AppError> {
        self.svc
            .settle(&self.who(&ctx), &p.change_set_id, true, p.dry_run)
            .await
            .map(Json)
    }

    #[tool(
        description = "Undo the campaign's latest applied change set: restores the previous budgets on every platform and in the plan (needs ads:approve).",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn rollback_change_set(
        &self,
        Parameters(p): Parameters<ChangeSetParams>,
        ctx: Ctx,
    ) -> Result<Json<ChangeSetView>, AppError> {
        self.svc
            .settle(&self.who(&ctx), &p.change_set_id, false, p.dry_run)
            .await
            .map(Json)
    }

    #[tool(
        description = "Build a named audience segment from CRM (countries, stages, min score, source channels, last activity, consent for a reach channel): matched, reachable (consented, not suppressed), suppressed and without-consent counts; stored, and attached to a draft campaign when campaign_id is given.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn segment_audience(
        &self,
        Parameters(p): Parameters<SegmentRequest>,
        ctx: Ctx,
    ) -> Result<Json<SegmentResult>, AppError> {
        self.svc.segment(&self.who(&ctx), p).await.map(Json)
    }

    #[tool(
        description = "Attach a content asset to campaign channels: only approved assets whose usage rights cover each channel and the campaign's dates (checked with mcp-content); all channels or none.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn attach_content(
        &self,
        Parameters(p): Parameters<AttachParams>,
        ctx: Ctx,
    ) -> Result<Json<CampaignView>, AppError> {
        self.svc
            .attach_content(&self.who(&ctx), &p.campaign_id, &p.asset_id, &p.channels)
            .await
            .map(Json)
    }
}

#[prompt_router]
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
                 `submit_for_approval`, approval by someone else with ads:approve, and `launch_campaign` with \
                 dry_run first.",
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
                 and reason, the flags, and the forecast effect. Recommend apply or not; only someone with \
                 ads:approve can `apply_change_set`, and `rollback_change_set` undoes it."
            ),
        )]
    }
}

impl AdsServer {
    async fn read(&self, uri: &str, who: &Principal) -> Result<serde_json::Value, AppError> {
        if uri == CHANNELS_URI {
            let status = self.svc.connectors().status();
            let channels: Vec<_> = Channel::ALL
                .iter()
                .filter(|c| c.is_paid())
                .map(|c| {
                    let platform = Platform::of(*c);
                    let conn = status.iter().find(|s| s.platform == platform.as_str());
                    json!({
                        "channel": c,
                        "platform": platform,
                        "connector": conn.map_or("sandbox", |s| s.mode.as_str()),
                        "missing_configuration": conn.map(|s| s.missing.clone()).unwrap_or_default(),
                        "spec": platform.spec(),
                        "benchmark": benchmark(*c),
                    })
                })
                .collect();
            return Ok(json!({
                "channels": channels,
                "connectors": status,
                "benchmark_sources": "WordStream/LocaliQ 2024 search and Facebook benchmarks, LinkedIn Marketing Solutions, Mailchimp email benchmarks, Twilio/Attentive SMS benchmarks (cross-industry medians; costs in US cents)",
            }));
        }
        let rest = uri.strip_prefix("ads://campaigns/").ok_or_else(|| {
            AppError::not_found("resource", format!("{uri} (this server has {CHANNELS_URI}, ads://campaigns/{{id}} and ads://campaigns/{{id}}/performance)"))
        })?;
        match rest.split_once('/') {
            None => Ok(
                serde_json::to_value(self.svc.view(&who.tenant, rest).await?)
                    .map_err(|e| AppError::Internal(e.to_string()))?,
            ),
            Some((id, "performance")) => Ok(serde_json::to_value(
                self.svc
                    .performance(&who.tenant, id, None, None, false)
                    .await?,
            )
            .map_err(|e| AppError::Internal(e.to_string()))?),
            Some(_) => Err(AppError::not_found("resource", uri)),
        }
    }
}

#[tool_handler(router = self.tools)]
#[prompt_handler(router = self.prompts)]
impl ServerHandler for AdsServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_prompts()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new("mcp-ads", env!("CARGO_PKG_VERSION")))
        .with_instructions(
            "PromptAds: campaigns from goal to launch. Amounts are in hundredths (budget_cents) of the \
             campaign's ISO-4217 currency. Lifecycle: draft → pending_approval → approved → active ⇄ paused → \
             completed (rejected → draft). Approval needs ads:approve (not by the creator), launch needs \
             ads:launch; try launch_campaign with dry_run first. Results say sandbox: true where a platform \
             has no credentials.",
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
                .with_title("Channels")
                .with_description("Every channel: its platform, connector status (live or sandbox, missing variables), what launching creates, and its benchmark")
                .with_mime_type("application/json"),
        ]))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            ResourceTemplate::new("ads://campaigns/{id}", "campaign")
                .with_title("Campaign")
                .with_description(
                    "A campaign with its plan, audience, approval, publications and history",
                )
                .with_mime_type("application/json"),
            ResourceTemplate::new("ads://campaigns/{id}/performance", "campaign-performance")
                .with_title("Campaign performance")
                .with_description(
                    "Stored delivery: totals, per channel, daily, pacing and KPI targets",
                )
                .with_mime_type("application/json"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let who = self.who(&context);
        let body = self
            .read(request.uri.as_str(), &who)
            .await
            .map_err(ErrorData::from)?;
        let text = serde_json::to_string_pretty(&body)
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(text, request.uri.clone()).with_mime_type("application/json"),
        ])
        .into())
    }
}
