//! The `connections` toolset (scope `admin`): each client's own platform
//! accounts — list them (ids, state, expiry; never a secret), set them,
//! test them against the platform.

use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::domain::Channel;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{AdsServer, Ctx};
use crate::service::{ConnectionList, ConnectionTest, ConnectionView, SetConnectionRequest};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListConnectionsParams {
    /// Only this client's connections.
    pub client_id: Option<String>,
    /// Only connections of this channel.
    pub channel: Option<Channel>,
    /// Only connections whose token expires within this many days (the
    /// agenda's renewal alert uses 7).
    pub expiring_within_days: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct TestConnectionParams {
    pub client_id: String,
    /// The channel to test, as a launch for this client would route it.
    pub channel: Channel,
}

#[tool_router(router = connections_tools, vis = "pub(super)")]
impl AdsServer {
    #[tool(
        meta = needs(Scope::Admin),
        description = "List each client's platform connections (needs admin): channel, platform, account ids (ad account, page, customer and manager, advertiser, audience, sender), which credentials are set (never their values), status (ready, expiring, expired, failing, incomplete), expires_at and expires_in_days (a token expiring within 7 days raises an alert), the last test, and the environment's single account per platform that clients without a connection use.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn list_connections(
        &self,
        Parameters(p): Parameters<ListConnectionsParams>,
        ctx: Ctx,
    ) -> Result<Json<ConnectionList>, ToolError> {
        let list = self
            .svc
            .list_connections(
                &self.who(&ctx),
                p.client_id.as_deref(),
                p.channel,
                p.expiring_within_days,
            )
            .await?;
        Ok(Json(list))
    }

    #[tool(
        meta = needs(Scope::Admin),
        description = "Set a client's platform account for a channel (needs admin): meta/instagram (ad_account_id, page_id, instagram_user_id; access_token, expires_at), google_ads (customer_id, optional manager login_customer_id; developer_token and oauth_client_id + oauth_client_secret + refresh_token, or an access_token), tiktok (advertiser_id; access_token), email via Mailchimp (audience_id, reply_to, from_name; api_key), sms via Twilio (account_sid, sender; auth_token). Credentials are encrypted at rest and never returned; secrets not given keep their stored value, an empty account field clears it. Launches, pauses, budgets and metrics of the client's campaigns then go through this account.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn set_connection(
        &self,
        Parameters(p): Parameters<SetConnectionRequest>,
        ctx: Ctx,
    ) -> Result<Json<ConnectionView>, ToolError> {
        Ok(Json(self.svc.set_connection(&self.who(&ctx), p).await?))
    }

    #[tool(
        meta = needs(Scope::Admin),
        description = "Test the account a launch for this client and channel would use (needs admin): the platform's cheapest read (Meta ad account, Google Ads customer, TikTok advertiser, Mailchimp audience, Twilio account), through the client's connection, else the environment's account, else the sandbox. The outcome is kept on the connection (status failing until it passes).",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn test_connection(
        &self,
        Parameters(p): Parameters<TestConnectionParams>,
        ctx: Ctx,
    ) -> Result<Json<ConnectionTest>, ToolError> {
        let t = self
            .svc
            .test_connection(&self.who(&ctx), &p.client_id, p.channel)
            .await?;
        Ok(Json(t))
    }
}
