//! The connections registry: each client's own WhatsApp number (its
//! phone-number id, access token, app secret and webhook verify token),
//! credentials sealed at rest and never returned; which account a send
//! uses and which client a webhook delivery belongs to. Every use case
//! here needs `admin`, checked here so every entry point is covered. The
//! `PROMPTSALES_WHATSAPP_*` variables stay the single-client shortcut: the
//! default for clients without a connection; without them, the sandbox.

use chrono::{DateTime, Utc};
use promptsales_server::auth::Principal;
use promptsales_shared::domain::{ClientId, TenantId, validate_id};
use promptsales_shared::scope::Scope;
use promptsales_shared::time::parse_ts;
use promptsales_shared::{AppError, vocabulary};
use schemars::JsonSchema;
use serde::Serialize;

use super::CrmService;
use crate::connector::WhatsappAccount;
use crate::crypto::Field;
use crate::store::ConnectionRow;

vocabulary! {
    /// A channel a client connects its own account for.
    pub enum ConnectionChannel("channel") {
        Whatsapp => "whatsapp",
    }
}

/// Longest credential we store.
const MAX_SECRET_CHARS: usize = 4096;

/// Which credentials a connection holds (never their values).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Credentials {
    pub access_token: bool,
    pub app_secret: bool,
    pub verify_token: bool,
}

/// A connection as `list_connections` shows it: ids, state and which
/// credentials are set — never a credential.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ConnectionView {
    pub client_id: ClientId,
    pub channel: ConnectionChannel,
    /// WhatsApp: the phone-number id messages are sent from and webhook
    /// deliveries name.
    pub phone_number_id: String,
    /// The WhatsApp Business Account whose approved templates messages
    /// outside the 24-hour window use; `null`: none can be listed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub whatsapp_business_account_id: Option<String>,
    /// Whether sends and deliveries use it (a disabled one falls back to
    /// the environment's default, or the sandbox).
    pub enabled: bool,
    /// `untested`, `ok` or `failed` (the last `test_connection`).
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tested_at: Option<DateTime<Utc>>,
    pub credentials: Credentials,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// What the environment provides (`PROMPTSALES_WHATSAPP_*`), for clients
/// without a connection of their own.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct EnvDefault {
    /// `live` (the default account sends) or `sandbox` (recorded only).
    pub whatsapp_sending: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number_id: Option<String>,
}

/// The registry, of one client or all.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ConnectionList {
    pub connections: Vec<ConnectionView>,
    /// Clients without an enabled connection send through this.
    pub default: EnvDefault,
}

/// What `set_connection` stores. A credential left out keeps the stored
/// one (so a connection can be re-enabled or its number changed without
/// sending the secrets again).
#[derive(Debug, Clone)]
pub struct NewConnection {
    pub client_id: String,
    pub channel: ConnectionChannel,
    pub phone_number_id: String,
    pub access_token: Option<String>,
    pub app_secret: Option<String>,
    pub verify_token: Option<String>,
    /// The WhatsApp Business Account id of the number, where its approved
    /// templates are listed (kept when left out).
    pub waba_id: Option<String>,
    pub enabled: bool,
}

/// The outcome of `test_connection`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ConnectionTest {
    pub client_id: ClientId,
    pub channel: ConnectionChannel,
    pub phone_number_id: String,
    pub ok: bool,
    /// What the provider said (or why it could not be reached).
    pub detail: String,
    pub tested_at: DateTime<Utc>,
}

/// Where a webhook delivery for one phone-number id belongs.
#[derive(Clone)]
pub struct WhatsappRoute {
    pub client_id: ClientId,
    /// The app secret its signature must verify under.
    pub app_secret: String,
}

impl std::fmt::Debug for WhatsappRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsappRoute")
            .field("client_id", &self.client_id)
            .field("app_secret", &"[redacted]")
            .finish()
    }
}

/// The row a connection's credentials are sealed to.
fn row_of(client: &ClientId, channel: &str) -> String {
    format!("{client}:{channel}")
}

fn secret(field: &str, v: Option<String>) -> Result<Option<String>, AppError> {
    let Some(v) = v else { return Ok(None) };
    let t = v.trim();
    if t.is_empty() || t.chars().count() > MAX_SECRET_CHARS || t.chars().any(char::is_control) {
        // The value is a secret: never echoed back.
        return Err(AppError::invalid(
            field,
            "a non-empty credential of at most 4096 characters",
            "(not shown)",
        ));
    }
    Ok(Some(t.to_owned()))
}

fn view(r: &ConnectionRow) -> Result<ConnectionView, AppError> {
    Ok(ConnectionView {
        client_id: r.client_id.clone(),
        channel: ConnectionChannel::parse(&r.channel)?,
        phone_number_id: r.account_id.clone(),
        whatsapp_business_account_id: r.waba_id.clone(),
        enabled: r.enabled,
        status: r.status.clone(),
        status_detail: r.status_detail.clone(),
        tested_at: r
            .tested_at
            .as_deref()
            .map(|t| parse_ts("tested_at", t))
            .transpose()?,
        credentials: Credentials {
            access_token: r.token_enc.is_some(),
            app_secret: r.app_secret_enc.is_some(),
            verify_token: r.verify_token_enc.is_some(),
        },
        updated_by: r.updated_by.clone(),
        updated_at: parse_ts("updated_at", &r.updated_at)?,
    })
}

impl CrmService {
    fn seal_credential(
        &self,
        tenant: &TenantId,
        row: &str,
        column: &str,
        v: Option<&str>,
    ) -> Result<Option<String>, AppError> {
        self.crypto.encrypt_opt(
            Field {
                tenant: tenant.as_str(),
                table: "connections",
                row,
                column,
            },
            v,
        )
    }

    fn open_credential(
        &self,
        tenant: &TenantId,
        r: &ConnectionRow,
        column: &str,
        v: Option<&str>,
    ) -> Result<Option<String>, AppError> {
        let row = row_of(&r.client_id, &r.channel);
        self.crypto.decrypt_opt(
            Field {
                tenant: tenant.as_str(),
                table: "connections",
                row: &row,
                column,
            },
            v,
        )
    }

    /// The registry (of one client when given). Needs `admin`.
    pub async fn list_connections(
        &self,
        who: &Principal,
        client_id: Option<&str>,
    ) -> Result<ConnectionList, AppError> {
        who.require(Scope::Admin)?;
        let client = client_id.map(ClientId::parse).transpose()?;
        let rows = self.store.connections(&who.tenant, client.as_ref()).await?;
        Ok(ConnectionList {
            connections: rows.iter().map(view).collect::<Result<_, _>>()?,
            default: EnvDefault {
                whatsapp_sending: if self.connector.default_sender().is_some() {
                    "live"
                } else {
                    "sandbox"
                }
                .into(),
                phone_number_id: self.connector.default_sender().map(str::to_owned),
            },
        })
    }

    /// Creates or replaces a client's connection; credentials are sealed
    /// and the test state starts again. Needs `admin`.
    pub async fn set_connection(
        &self,
        who: &Principal,
        c: NewConnection,
    ) -> Result<ConnectionView, AppError> {
        who.require(Scope::Admin)?;
        let tenant = &who.tenant;
        let client = ClientId::parse(&c.client_id)?;
        let account = validate_id("phone_number_id", &c.phone_number_id)?;
        let channel = c.channel.as_str();
        let existing = self.store.connection(tenant, &client, channel).await?;
        let row = row_of(&client, channel);
        let keep = |v: Option<String>, old: Option<&String>| -> Option<String> {
            v.or_else(|| old.cloned())
        };
        let token = secret("access_token", c.access_token)?;
        let app_secret = secret("app_secret", c.app_secret)?;
        let verify = secret("verify_token", c.verify_token)?;
        let sealed = ConnectionRow {
            client_id: client.clone(),
            channel: channel.to_owned(),
            account_id: account,
            token_enc: keep(
                self.seal_credential(tenant, &row, "token_enc", token.as_deref())?,
                existing.as_ref().and_then(|e| e.token_enc.as_ref()),
            ),
            app_secret_enc: keep(
                self.seal_credential(tenant, &row, "app_secret_enc", app_secret.as_deref())?,
                existing.as_ref().and_then(|e| e.app_secret_enc.as_ref()),
            ),
            verify_token_enc: keep(
                self.seal_credential(tenant, &row, "verify_token_enc", verify.as_deref())?,
                existing.as_ref().and_then(|e| e.verify_token_enc.as_ref()),
            ),
            waba_id: match c.waba_id {
                Some(w) => Some(validate_id("whatsapp_business_account_id", &w)?),
                None => existing.as_ref().and_then(|e| e.waba_id.clone()),
            },
            enabled: c.enabled,
            status: "untested".into(),
            status_detail: None,
            tested_at: None,
            updated_by: who.subject.clone(),
            updated_at: String::new(),
        };
        if sealed.token_enc.is_none() {
            return Err(AppError::invalid(
                "access_token",
                "the token allowed to send from this number (required for a new connection)",
                "",
            ));
        }
        self.store.save_connection(tenant, &sealed).await?;
        let saved = self
            .store
            .connection(tenant, &client, channel)
            .await?
            .ok_or_else(|| AppError::Internal("connection missing after save".into()))?;
        view(&saved)
    }

    /// Checks a client's connection against the provider and records the
    /// outcome. Needs `admin`.
    pub async fn test_connection(
        &self,
        who: &Principal,
        client_id: &str,
        channel: ConnectionChannel,
    ) -> Result<ConnectionTest, AppError> {
        who.require(Scope::Admin)?;
        let tenant = &who.tenant;
        let client = ClientId::parse(client_id)?;
        let r = self
            .store
            .connection(tenant, &client, channel.as_str())
            .await?
            .ok_or_else(|| AppError::not_found("connection", format!("{client}/{channel}")))?;
        let outcome = match self.open_credential(tenant, &r, "token_enc", r.token_enc.as_deref())? {
            None => Err("no access token is set".to_owned()),
            Some(token) => {
                self.connector
                    .check(&WhatsappAccount {
                        phone_number_id: r.account_id.clone(),
                        token,
                        waba_id: r.waba_id.clone(),
                    })
                    .await
            }
        };
        let (ok, detail) = match outcome {
            Ok(d) => (true, d),
            Err(d) => (false, d),
        };
        self.store
            .set_connection_status(tenant, &client, channel.as_str(), ok, &detail)
            .await?;
        Ok(ConnectionTest {
            client_id: client,
            channel,
            phone_number_id: r.account_id,
            ok,
            detail,
            tested_at: Utc::now(),
        })
    }

    /// The account a message to a lead of `client` goes out from: the
    /// client's enabled WhatsApp connection, or `None` (the environment's
    /// default account, else the sandbox).
    pub(super) async fn sender_of(
        &self,
        tenant: &TenantId,
        client: &ClientId,
    ) -> Result<Option<WhatsappAccount>, AppError> {
        let Some(r) = self
            .store
            .connection(tenant, client, ConnectionChannel::Whatsapp.as_str())
            .await?
            .filter(|r| r.enabled)
        else {
            return Ok(None);
        };
        Ok(self
            .open_credential(tenant, &r, "token_enc", r.token_enc.as_deref())?
            .map(|token| WhatsappAccount {
                phone_number_id: r.account_id.clone(),
                token,
                waba_id: r.waba_id.clone(),
            }))
    }

    /// Where a WhatsApp delivery for `phone_number_id` belongs: the client
    /// whose enabled connection has that number and an app secret.
    pub async fn whatsapp_route(
        &self,
        tenant: &TenantId,
        phone_number_id: &str,
    ) -> Result<Option<WhatsappRoute>, AppError> {
        let Some(r) = self
            .store
            .connection_by_account(
                tenant,
                ConnectionChannel::Whatsapp.as_str(),
                phone_number_id,
            )
            .await?
            .filter(|r| r.enabled)
        else {
            return Ok(None);
        };
        Ok(self
            .open_credential(tenant, &r, "app_secret_enc", r.app_secret_enc.as_deref())?
            .map(|app_secret| WhatsappRoute {
                client_id: r.client_id.clone(),
                app_secret,
            }))
    }

    /// The verify tokens of the enabled WhatsApp connections (the webhook
    /// handshake accepts any of them, or the environment's).
    pub async fn whatsapp_verify_tokens(&self, tenant: &TenantId) -> Result<Vec<String>, AppError> {
        let mut out = Vec::new();
        for r in self.store.connections(tenant, None).await? {
            if r.enabled
                && r.channel == ConnectionChannel::Whatsapp.as_str()
                && let Some(t) = self.open_credential(
                    tenant,
                    &r,
                    "verify_token_enc",
                    r.verify_token_enc.as_deref(),
                )?
            {
                out.push(t);
            }
        }
        Ok(out)
    }
}
