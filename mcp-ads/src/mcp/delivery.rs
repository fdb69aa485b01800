//! The `delivery` toolset: launch campaigns on their platforms (with the
//! person's confirmation where the client can ask), pause, resume and
//! complete them.

use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::AppError;
use promptsales_shared::domain::format_cents;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::service::{ElicitationError, ElicitationMode};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AdsServer, Ctx};
use crate::service::{Confirmation, LaunchResult, PlatformAction, PlatformMove};

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
pub struct ActionParams {
    /// Campaign id, e.g. `cmp_00042`.
    pub campaign_id: String,
    /// Say what would change on each platform without changing anything.
    #[serde(default)]
    pub dry_run: bool,
}

/// The person's answer when asked to confirm a launch.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct LaunchConfirmation {
    /// True to launch and commit the spend.
    pub confirm: bool,
}
rmcp::elicit_safe!(LaunchConfirmation);

#[tool_router(router = delivery_tools, vis = "pub(super)")]
impl AdsServer {
    #[tool(
        meta = needs(Scope::AdsLaunch),
        description = "Launch an approved campaign on its platforms (needs ads:launch): one launch per campaign at a time, whatever the key; each channel is created paused, then enabled; per-channel outcome; a failed channel, or one created but never enabled, leaves the others live and is finished (never published twice) by launching again with a new key. Spend caps are enforced. idempotency_key: a repeat launches nothing. dry_run: exactly what would be sent and the spend committed. Clients that support elicitation are asked to confirm the spend.",
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
    ) -> Result<Json<LaunchResult>, ToolError> {
        let who = self.who(&ctx);
        if p.dry_run {
            return Ok(Json(self.svc.launch_preview(&who, &p.campaign_id).await?));
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
                format_cents(preview.committed_spend_cents),
                preview.currency,
                format_cents(preview.daily_spend_cents),
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
                    ))
                    .into());
                }
                Err(e) => {
                    // The transport's words stay in the log; the result
                    // (stored and shown) says only what stood in.
                    tracing::warn!(error = %e, campaign = %p.campaign_id, "launch confirmation could not be asked");
                    Confirmation::NotAsked(
                        "asking the person failed; the campaign's approval covers the spend".into(),
                    )
                }
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
        Ok(Json(
            self.svc
                .launch(&who, &p.campaign_id, &key, confirmation)
                .await?,
        ))
    }

    #[tool(
        meta = needs(Scope::AdsLaunch),
        description = "Pause an active campaign on every platform (active → paused; needs ads:launch). If a platform refuses, the campaign stays active and the error names each channel.",
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
    ) -> Result<Json<PlatformAction>, ToolError> {
        self.platform_move(p, ctx, PlatformMove::Pause).await
    }

    #[tool(
        meta = needs(Scope::AdsLaunch),
        description = "Resume a paused campaign on every platform (paused → active; needs ads:launch; refused above the campaign or daily spend cap, with the numbers); dry_run says what would resume without changing anything.",
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
    ) -> Result<Json<PlatformAction>, ToolError> {
        self.platform_move(p, ctx, PlatformMove::Resume).await
    }

    #[tool(
        meta = needs(Scope::AdsLaunch),
        description = "Complete an active or paused campaign (needs ads:launch): stops delivery on every platform; final.",
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
    ) -> Result<Json<PlatformAction>, ToolError> {
        self.platform_move(p, ctx, PlatformMove::Complete).await
    }
}

impl AdsServer {
    async fn platform_move(
        &self,
        p: ActionParams,
        ctx: Ctx,
        action: PlatformMove,
    ) -> Result<Json<PlatformAction>, ToolError> {
        let result = self
            .svc
            .platform_action(&self.who(&ctx), &p.campaign_id, action, p.dry_run)
            .await?;
        Ok(Json(result))
    }
}
