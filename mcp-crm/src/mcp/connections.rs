//! The `connections` toolset: each client's own WhatsApp number — list,
//! set and test it (`admin`). Credentials go in and are sealed; no tool
//! ever returns one.

use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{CrmServer, Ctx};
use crate::service::{
    ConnectionChannel, ConnectionList, ConnectionTest, ConnectionView, NewConnection,
};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListConnectionsParams {
    /// Only this client's connections.
    pub client_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SetConnectionParams {
    /// The client whose account this is, e.g. `cli_001`.
    pub client_id: String,
    /// The platform.
    pub channel: ConnectionChannel,
    /// WhatsApp Cloud API phone-number id the client's messages go out
    /// from (and its webhook deliveries name).
    pub phone_number_id: String,
    /// Access token allowed to send from that number (stored sealed;
    /// required for a new connection, kept when left out).
    pub access_token: Option<String>,
    /// The Meta app secret signing the webhook deliveries for that number
    /// (stored sealed; kept when left out).
    pub app_secret: Option<String>,
    /// The token the webhook handshake echoes (stored sealed; kept when
    /// left out).
    pub verify_token: Option<String>,
    /// The WhatsApp Business Account id the number belongs to: where its
    /// approved message templates are listed (needed to message a lead
    /// outside the 24-hour window; kept when left out).
    pub whatsapp_business_account_id: Option<String>,
    /// Whether sends and deliveries use it (default true).
    pub enabled: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct TestConnectionParams {
    pub client_id: String,
    /// The platform.
    pub channel: ConnectionChannel,
}

#[tool_router(router = connections_tools, vis = "pub(super)")]
impl CrmServer {
    #[tool(
        meta = needs(Scope::Admin),
        description = "List the clients' own platform accounts (WhatsApp: the phone-number id each client's messages go out from and its webhook deliveries name): enabled, test status, and which credentials are set (access token, app secret, verify token) — never a credential. `default` says what clients without a connection use: the environment's number (PROMPTSALES_WHATSAPP_*) or the sandbox. Needs the admin scope.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn list_connections(
        &self,
        Parameters(p): Parameters<ListConnectionsParams>,
        ctx: Ctx,
    ) -> Result<Json<ConnectionList>, ToolError> {
        let who = self.who(&ctx);
        let out = self
            .svc
            .list_connections(&who, p.client_id.as_deref())
            .await?;
        Ok(Json(out))
    }

    #[tool(
        meta = needs(Scope::Admin),
        description = "Connect a client's own WhatsApp number: phone-number id, access token, app secret (verifies its webhook deliveries) and verify token. Credentials are sealed at rest (AES-256-GCM) and never returned; one left out keeps the stored one. The client's sends then go out from that number and deliveries naming it become its leads. A number connected for another client is refused. Needs the admin scope.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn set_connection(
        &self,
        Parameters(p): Parameters<SetConnectionParams>,
        ctx: Ctx,
    ) -> Result<Json<ConnectionView>, ToolError> {
        let who = self.who(&ctx);
        let out = self
            .svc
            .set_connection(
                &who,
                NewConnection {
                    client_id: p.client_id,
                    channel: p.channel,
                    phone_number_id: p.phone_number_id,
                    access_token: p.access_token,
                    app_secret: p.app_secret,
                    verify_token: p.verify_token,
                    waba_id: p.whatsapp_business_account_id,
                    enabled: p.enabled.unwrap_or(true),
                },
            )
            .await?;
        Ok(Json(out))
    }

    #[tool(
        meta = needs(Scope::Admin),
        description = "Test a client's connection: reads its WhatsApp number from the Cloud API with its token and records the outcome (status ok or failed, with what the provider said). Sends nothing. Needs the admin scope.",
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
        let who = self.who(&ctx);
        let out = self
            .svc
            .test_connection(&who, &p.client_id, p.channel)
            .await?;
        Ok(Json(out))
    }
}
