//! Each client's own platform accounts (scope `admin`): set, list and test
//! them, and the route every platform call takes — the campaign's client's
//! connection, else the environment's single account (the one-client
//! shortcut), else the sandbox. Credentials are sealed with the kernel's
//! crypto, bound to their row, and never leave this module but to the
//! connector that sends them.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use promptsales_server::auth::Principal;
use promptsales_shared::AppError;
use promptsales_shared::crypto::{Crypto, Field};
use promptsales_shared::domain::{Channel, ClientId, TenantId};
use promptsales_shared::scope::Scope;
use promptsales_shared::time::{format_ts, now_ts, parse_ts};
use promptsales_shared::vocabulary;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AdsService;
use crate::connectors::{
    Account, Connector, ConnectorStatus, Secrets, Unusable, fields_of, missing,
};
use crate::domain::benchmarks::Platform;
use crate::domain::plan::Publication;
use crate::store::{ConnectionRow, new_id};

/// A token expiring within this many days raises an alert.
pub const EXPIRY_ALERT_DAYS: i64 = 7;

vocabulary! {
    /// Whether a connection can be used.
    pub enum ConnectionStatus("status") {
        Ready => "ready",
        Expiring => "expiring",
        Expired => "expired",
        Failing => "failing",
        Incomplete => "incomplete",
    }
}

/// Arguments of `set_connection`: the account ids (an empty string clears
/// one), the secrets (absent ones keep their stored value) and the token's
/// expiry.
#[derive(Deserialize, JsonSchema)]
pub struct SetConnectionRequest {
    pub client_id: String,
    /// meta, instagram (defaults to the client's meta connection),
    /// google_ads, tiktok, email (Mailchimp) or sms (Twilio).
    pub channel: Channel,
    #[serde(flatten)]
    pub account: Account,
    #[serde(flatten)]
    pub secrets: Secrets,
    /// When the token stops working (Meta long-lived tokens: 60 days after
    /// they are issued): YYYY-MM-DD or RFC 3339; an empty string clears it.
    pub expires_at: Option<String>,
}

/// The last `test_connection` of a connection.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct TestOutcome {
    pub at: String,
    pub ok: bool,
    pub detail: String,
}

/// A connection as `list_connections` shows it: ids, state and expiry;
/// of the credentials only which are set.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ConnectionView {
    pub id: String,
    pub client_id: String,
    pub channel: Channel,
    pub platform: String,
    pub account: Account,
    /// Names of the secrets stored (never their values).
    pub credentials: Vec<String>,
    /// Whether any credential is stored.
    pub credential_set: bool,
    /// What it still needs before it can launch.
    pub missing: Vec<String>,
    pub status: ConnectionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// Whole days until `expires_at` (negative once expired).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in_days: Option<i64>,
    /// What a person should do, when anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_test: Option<TestOutcome>,
    pub updated_by: String,
    pub updated_at: String,
}

/// The outcome of `list_connections`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ConnectionList {
    pub connections: Vec<ConnectionView>,
    /// Every alert of the listed connections, one line each.
    pub alerts: Vec<String>,
    /// The environment's single account per platform: what a client
    /// without its own connection launches through (`live`), or the
    /// sandbox.
    pub environment: Vec<ConnectorStatus>,
}

/// The outcome of `test_connection`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ConnectionTest {
    pub client_id: String,
    pub channel: Channel,
    pub platform: String,
    /// connection (the client's own), environment or sandbox.
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    pub ok: bool,
    /// What the platform answered, or why it refused.
    pub detail: String,
    pub tested_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<ConnectionView>,
}

/// Where a channel's platform calls go.
pub(crate) struct Route {
    pub connector: Arc<dyn Connector>,
    pub connection_id: Option<String>,
    /// connection, environment or sandbox.
    pub source: &'static str,
}

/// The channels a connection can be set for.
fn platform_of(channel: Channel) -> Result<Platform, AppError> {
    match Platform::of(channel) {
        Platform::None => Err(AppError::invalid(
            "channel",
            "a channel with a buying API: meta, instagram, google_ads, tiktok, email (Mailchimp) or \
             sms (Twilio); WhatsApp numbers are connected in mcp-crm",
            channel.as_str(),
        )),
        p => Ok(p),
    }
}

/// The secrets `sealed` of connection `row`, opened with `crypto` (the
/// service, and the Twilio status webhook looking up an auth token).
pub fn open_sealed(
    crypto: &Crypto,
    tenant: &TenantId,
    row: &ConnectionRow,
    sealed: &str,
) -> Result<Secrets, AppError> {
    let (t, id) = field(tenant, &row.id);
    let at = Field {
        tenant: &t,
        table: "connections",
        row: &id,
        column: "credentials",
    };
    let json = crypto.decrypt(at, sealed)?;
    serde_json::from_str(&json)
        .map_err(|_| AppError::Internal(format!("connection {}: unreadable credentials", row.id)))
}

fn field(tenant: &TenantId, id: &str) -> (String, String) {
    (tenant.as_str().to_owned(), id.to_owned())
}

/// `value` (already trimmed, non-empty) checked for an account field.
fn check_account_value(name: &str, value: &str) -> Result<String, AppError> {
    let digits_of = |v: &str| v.chars().filter(char::is_ascii_digit).collect::<String>();
    let ok_digits = |v: &str, n: std::ops::RangeInclusive<usize>| {
        !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()) && n.contains(&v.len())
    };
    let bad = |expected: &str| Err(AppError::invalid(name, expected, value));
    match name {
        "ad_account_id" => {
            let v = value.trim_start_matches("act_");
            if ok_digits(v, 1..=24) {
                Ok(v.to_owned())
            } else {
                bad("the ad account's digits (an `act_` prefix is dropped)")
            }
        }
        "page_id" | "instagram_user_id" | "pixel_id" | "lead_form_id" | "advertiser_id"
        | "tiktok_pixel_id" => {
            if ok_digits(value, 1..=30) {
                Ok(value.to_owned())
            } else {
                bad("the platform's numeric id")
            }
        }
        "identity_id" => {
            if value.len() <= 64
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                Ok(value.to_owned())
            } else {
                bad("the TikTok identity id (letters, digits, - and _)")
            }
        }
        // TikTok's identity types (Business API v1.3, `identity/get`).
        "identity_type" => match value {
            "CUSTOMIZED_USER" | "AUTH_CODE" | "TT_USER" | "BC_AUTH_TT" => Ok(value.to_owned()),
            _ => bad("one of CUSTOMIZED_USER, AUTH_CODE, TT_USER, BC_AUTH_TT"),
        },
        "customer_id" | "login_customer_id" => {
            let v = digits_of(value);
            let shape = value.chars().all(|c| c.is_ascii_digit() || c == '-');
            if shape && v.len() == 10 {
                Ok(v)
            } else {
                bad("a 10-digit Google Ads customer id, e.g. 123-456-7890")
            }
        }
        "oauth_client_id" => {
            if value.len() <= 200 && !value.contains(char::is_whitespace) {
                Ok(value.to_owned())
            } else {
                bad("the OAuth client id (no spaces)")
            }
        }
        "audience_id" => {
            if value.len() <= 40 && value.chars().all(|c| c.is_ascii_alphanumeric()) {
                Ok(value.to_owned())
            } else {
                bad("the Mailchimp audience (list) id")
            }
        }
        "reply_to" => {
            if value.len() <= 254 && value.contains('@') && !value.contains(char::is_whitespace) {
                Ok(value.to_owned())
            } else {
                bad("an email address")
            }
        }
        "from_name" => promptsales_shared::domain::required_text(name, value, 100),
        "account_sid" => {
            if value.len() == 34
                && value.starts_with("AC")
                && value.chars().all(|c| c.is_ascii_alphanumeric())
            {
                Ok(value.to_owned())
            } else {
                bad("a Twilio account SID (AC and 32 characters)")
            }
        }
        "sender" => {
            let e164 = value
                .strip_prefix('+')
                .is_some_and(|d| ok_digits(d, 8..=15));
            let service = value.len() == 34
                && value.starts_with("MG")
                && value.chars().all(|c| c.is_ascii_alphanumeric());
            if e164 || service {
                Ok(value.to_owned())
            } else {
                bad("an E.164 number (+573001234567) or a Messaging Service SID (MG…)")
            }
        }
        _ => bad("a known account field"),
    }
}

/// `patch` applied to `base` for `platform`: given fields replace, empty
/// ones clear, fields of other platforms are refused by name.
fn patched(platform: Platform, base: &Account, patch: &Account) -> Result<Account, AppError> {
    let (allowed, _) = fields_of(platform);
    let mut out = base.clone();
    let slots: [(&str, &mut Option<String>); 17] = [
        ("ad_account_id", &mut out.ad_account_id),
        ("page_id", &mut out.page_id),
        ("instagram_user_id", &mut out.instagram_user_id),
        ("pixel_id", &mut out.pixel_id),
        ("lead_form_id", &mut out.lead_form_id),
        ("customer_id", &mut out.customer_id),
        ("login_customer_id", &mut out.login_customer_id),
        ("oauth_client_id", &mut out.oauth_client_id),
        ("advertiser_id", &mut out.advertiser_id),
        ("identity_id", &mut out.identity_id),
        ("identity_type", &mut out.identity_type),
        ("tiktok_pixel_id", &mut out.tiktok_pixel_id),
        ("audience_id", &mut out.audience_id),
        ("reply_to", &mut out.reply_to),
        ("from_name", &mut out.from_name),
        ("account_sid", &mut out.account_sid),
        ("sender", &mut out.sender),
    ];
    let given = patch.fields();
    // Matched by name, so a field added to `Account` without a slot here
    // is refused below rather than silently paired with another.
    let slot_names: Vec<&str> = slots.iter().map(|(n, _)| *n).collect();
    if let Some((name, Some(v))) = given
        .iter()
        .find(|(n, v)| v.is_some() && !slot_names.contains(n))
    {
        return Err(AppError::invalid(
            name,
            "a field this server can store",
            v.as_str(),
        ));
    }
    for (name, slot) in slots {
        let value = given
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.as_ref());
        let Some(v) = value.map(|v| v.trim()) else {
            continue;
        };
        if !allowed.contains(&name) {
            return Err(AppError::invalid(
                name,
                format!(
                    "no such field on a {} connection (it takes {})",
                    platform.as_str(),
                    allowed.join(", ")
                ),
                v,
            ));
        }
        *slot = if v.is_empty() {
            None
        } else {
            Some(check_account_value(name, v)?)
        };
    }
    Ok(out)
}

/// The secrets given, checked for `platform` (values never echoed).
fn checked_secrets(platform: Platform, s: &Secrets) -> Result<Secrets, AppError> {
    let (_, allowed) = fields_of(platform);
    for (name, value) in s.fields() {
        let Some(v) = value else { continue };
        if !allowed.contains(&name) {
            return Err(AppError::invalid(
                name,
                format!(
                    "no such credential on a {} connection (it takes {})",
                    platform.as_str(),
                    allowed.join(", ")
                ),
                "a secret (not shown)",
            ));
        }
        if v.trim().is_empty() || v.len() > 4096 || v.trim().contains(char::is_whitespace) {
            return Err(AppError::invalid(
                name,
                "the credential as the platform issued it: 1-4096 characters, no spaces",
                format!("a value of {} characters (not shown)", v.chars().count()),
            ));
        }
    }
    let trim = |v: &Option<String>| v.as_deref().map(|x| x.trim().to_owned());
    Ok(Secrets {
        access_token: trim(&s.access_token),
        developer_token: trim(&s.developer_token),
        oauth_client_secret: trim(&s.oauth_client_secret),
        refresh_token: trim(&s.refresh_token),
        api_key: trim(&s.api_key),
        auth_token: trim(&s.auth_token),
    })
}

/// An expiry given as a date (midnight UTC) or an RFC 3339 instant.
fn parse_expiry(raw: &str) -> Result<DateTime<Utc>, AppError> {
    let v = raw.trim();
    if v.len() == 10 {
        let d = promptsales_shared::time::parse_date("expires_at", v)?;
        return Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    parse_ts("expires_at", v)
}

/// `text` with every secret masked (platform answers can echo one).
fn scrubbed(text: &str, secrets: &Secrets) -> String {
    let mut out = text.to_owned();
    for v in secrets.values() {
        out = out.replace(v, "***");
    }
    out
}

/// How a stored connection reads now.
pub fn view_of(row: &ConnectionRow, now: DateTime<Utc>) -> ConnectionView {
    let platform = Platform::of(row.channel);
    let names: Vec<&str> = row.secret_names.iter().map(String::as_str).collect();
    let lacks = missing(platform, &row.account, &names);
    let expires = row
        .expires_at
        .as_deref()
        .and_then(|e| parse_ts("expires_at", e).ok());
    let days = expires.map(|e| (e - now).num_seconds().div_euclid(86_400));
    let failing = row.test_ok == Some(false);
    let status = if !lacks.is_empty() {
        ConnectionStatus::Incomplete
    } else if expires.is_some_and(|e| e <= now) {
        ConnectionStatus::Expired
    } else if failing {
        ConnectionStatus::Failing
    } else if days.is_some_and(|d| d < EXPIRY_ALERT_DAYS) {
        ConnectionStatus::Expiring
    } else {
        ConnectionStatus::Ready
    };
    let who = format!("{} {} connection ({})", row.client_id, row.channel, row.id);
    let alert = match status {
        ConnectionStatus::Ready => None,
        ConnectionStatus::Incomplete => Some(format!(
            "{who} is incomplete: set {} with set_connection",
            lacks.join(", ")
        )),
        ConnectionStatus::Expired => Some(format!(
            "{who}: the token expired on {}; launches on it fail until it is renewed with set_connection",
            row.expires_at.as_deref().unwrap_or_default()
        )),
        ConnectionStatus::Failing => Some(format!(
            "{who}: the last test failed ({}); fix it and run test_connection",
            row.test_detail.as_deref().unwrap_or("no detail")
        )),
        ConnectionStatus::Expiring => Some(format!(
            "{who}: the token expires in {} day(s), on {}; renew it with set_connection",
            days.unwrap_or_default().max(0),
            row.expires_at.as_deref().unwrap_or_default()
        )),
    };
    ConnectionView {
        id: row.id.clone(),
        client_id: row.client_id.as_str().to_owned(),
        channel: row.channel,
        platform: row.platform.clone(),
        account: row.account.clone(),
        credentials: row.secret_names.clone(),
        credential_set: !row.secret_names.is_empty(),
        missing: lacks,
        status,
        expires_at: row.expires_at.clone(),
        expires_in_days: days,
        alert,
        last_test: match (&row.tested_at, row.test_ok) {
            (Some(at), Some(ok)) => Some(TestOutcome {
                at: at.clone(),
                ok,
                detail: row.test_detail.clone().unwrap_or_default(),
            }),
            _ => None,
        },
        updated_by: row.updated_by.clone(),
        updated_at: row.updated_at.clone(),
    }
}

impl AdsService {
    /// The secrets of a stored connection, opened.
    fn open_secrets(&self, tenant: &TenantId, row: &ConnectionRow) -> Result<Secrets, AppError> {
        let Some(sealed) = row.credentials.as_deref() else {
            return Ok(Secrets::default());
        };
        let crypto = self.crypto.as_ref().ok_or_else(|| {
            AppError::Unavailable(format!(
                "connection {} holds credentials and this server has no encryption key: set {}",
                row.id,
                promptsales_shared::crypto::KEY_VAR
            ))
        })?;
        open_sealed(crypto, tenant, row, sealed)
    }

    /// The live client of a stored connection, or an [`Unusable`] saying
    /// why it cannot be used (never another account).
    fn account_connector(&self, tenant: &TenantId, row: &ConnectionRow) -> Arc<dyn Connector> {
        let platform = Platform::of(row.channel);
        let unusable =
            |reason: String| -> Arc<dyn Connector> { Arc::new(Unusable { platform, reason }) };
        if let Some(e) = row.expires_at.as_deref()
            && e <= now_ts().as_str()
        {
            return unusable(format!(
                "the {} token of client {} expired on {e} (connection {}): renew it with set_connection",
                platform.as_str(),
                row.client_id,
                row.id
            ));
        }
        match self.open_secrets(tenant, row) {
            Ok(secrets) => self.connectors.for_account(
                &row.id,
                &row.updated_at,
                platform,
                &row.account,
                &secrets,
            ),
            Err(e) => {
                tracing::error!(connection = %row.id, error = %e, "connection credentials not readable");
                unusable(format!(
                    "the credentials of connection {} cannot be read by this server (was {} changed?): set them again with set_connection",
                    row.id,
                    promptsales_shared::crypto::KEY_VAR
                ))
            }
        }
    }

    /// The client's connection for `channel` (Instagram falls back to the
    /// client's Meta connection: one ad account serves both).
    async fn connection_of(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        channel: Channel,
    ) -> Result<Option<ConnectionRow>, AppError> {
        if let Some(r) = self.store.connection(tenant, client, channel).await? {
            return Ok(Some(r));
        }
        if channel == Channel::Instagram {
            return self.store.connection(tenant, client, Channel::Meta).await;
        }
        Ok(None)
    }

    /// Where `client`'s `channel` is published: its own connection, else
    /// the environment's account, else the sandbox.
    pub(crate) async fn route(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        channel: Channel,
    ) -> Result<Route, AppError> {
        let platform = Platform::of(channel);
        if platform != Platform::None
            && let Some(row) = self.connection_of(tenant, client, channel).await?
        {
            return Ok(Route {
                connector: self.account_connector(tenant, &row),
                connection_id: Some(row.id),
                source: "connection",
            });
        }
        Ok(match self.connectors.from_environment(platform) {
            Some(c) => Route {
                connector: c,
                connection_id: None,
                source: "environment",
            },
            None => Route {
                connector: self.connectors.sandbox(),
                connection_id: None,
                source: "sandbox",
            },
        })
    }

    /// The connector that published `p`: the same connection (or the
    /// environment's account, or the sandbox) it was created through.
    pub(crate) async fn publication_connector(
        &self,
        tenant: &TenantId,
        p: &Publication,
    ) -> Result<Arc<dyn Connector>, AppError> {
        if p.sandbox {
            return Ok(self.connectors.sandbox());
        }
        let Some(id) = p.connection_id.as_deref() else {
            return Ok(self.connectors.for_publication(&p.platform, false));
        };
        Ok(match self.store.connection_by_id(tenant, id).await? {
            Some(row) => self.account_connector(tenant, &row),
            None => Arc::new(Unusable {
                platform: Platform::of(p.channel),
                reason: format!(
                    "connection {id}, which published {}, no longer exists",
                    p.channel
                ),
            }),
        })
    }

    /// `set_connection` (admin): creates or changes the client's account
    /// for a channel; given secrets replace stored ones, absent ones stay.
    pub async fn set_connection(
        &self,
        who: &Principal,
        req: SetConnectionRequest,
    ) -> Result<ConnectionView, AppError> {
        who.require(Scope::Admin)?;
        let tenant = &who.tenant;
        let client = ClientId::parse(&req.client_id)?;
        let platform = platform_of(req.channel)?;
        self.check_refs(tenant, &client, None).await?;
        let fresh = checked_secrets(platform, &req.secrets)?;
        let existing = self.store.connection(tenant, &client, req.channel).await?;
        let account = patched(
            platform,
            existing
                .as_ref()
                .map(|e| &e.account)
                .unwrap_or(&Account::default()),
            &req.account,
        )?;
        let expires_at = match req.expires_at.as_deref().map(str::trim) {
            None => existing.as_ref().and_then(|e| e.expires_at.clone()),
            Some("") => None,
            Some(v) => Some(format_ts(parse_expiry(v)?)),
        };
        let id = existing
            .as_ref()
            .map_or_else(|| new_id("con_"), |e| e.id.clone());
        let stored = match &existing {
            Some(e) => self.open_secrets(tenant, e)?,
            None => Secrets::default(),
        };
        let secrets = stored.merged(fresh);
        let credentials = if secrets.is_empty() {
            None
        } else {
            let crypto = self.crypto.as_ref().ok_or_else(|| {
                AppError::Unavailable(format!(
                    "credentials cannot be stored: this server has no encryption key ({} must be set on PostgreSQL)",
                    promptsales_shared::crypto::KEY_VAR
                ))
            })?;
            let json = serde_json::to_string(&secrets)
                .map_err(|_| AppError::Internal("encode credentials".into()))?;
            let (t, rid) = field(tenant, &id);
            Some(crypto.encrypt(
                Field {
                    tenant: &t,
                    table: "connections",
                    row: &rid,
                    column: "credentials",
                },
                &json,
            )?)
        };
        let now = now_ts();
        let row = ConnectionRow {
            id,
            client_id: client,
            channel: req.channel,
            platform: platform.as_str().to_owned(),
            account,
            credentials,
            secret_names: secrets.names().into_iter().map(str::to_owned).collect(),
            expires_at,
            tested_at: None,
            test_ok: None,
            test_detail: None,
            created_by: existing
                .as_ref()
                .map_or_else(|| who.subject.clone(), |e| e.created_by.clone()),
            updated_by: who.subject.clone(),
            created_at: existing
                .as_ref()
                .map_or_else(|| now.clone(), |e| e.created_at.clone()),
            updated_at: now,
        };
        match &existing {
            Some(e) => {
                self.store
                    .update_connection(tenant, &row, &e.updated_at)
                    .await?
            }
            None => self.store.insert_connection(tenant, &row).await?,
        }
        tracing::info!(connection = %row.id, client = %row.client_id, channel = %row.channel,
            by = %who.subject, credentials = ?row.secret_names, "connection set");
        Ok(view_of(&row, Utc::now()))
    }

    /// `list_connections` (admin): every connection (optionally of one
    /// client or channel, or only those expiring within `within_days`),
    /// with the alerts a person should act on.
    pub async fn list_connections(
        &self,
        who: &Principal,
        client_id: Option<&str>,
        channel: Option<Channel>,
        within_days: Option<u32>,
    ) -> Result<ConnectionList, AppError> {
        who.require(Scope::Admin)?;
        let client = client_id.map(ClientId::parse).transpose()?;
        let rows = self
            .store
            .list_connections(&who.tenant, client.as_ref(), channel)
            .await?;
        let now = Utc::now();
        let connections: Vec<ConnectionView> = rows
            .iter()
            .map(|r| view_of(r, now))
            .filter(|v| {
                within_days.is_none_or(|d| v.expires_in_days.is_some_and(|e| e < i64::from(d)))
            })
            .collect();
        Ok(ConnectionList {
            alerts: connections.iter().filter_map(|v| v.alert.clone()).collect(),
            connections,
            environment: self.connectors.status().to_vec(),
        })
    }

    /// `test_connection` (admin): the platform's cheapest read through
    /// the route a launch for this client and channel would take; the
    /// outcome is kept on the connection.
    pub async fn test_connection(
        &self,
        who: &Principal,
        client_id: &str,
        channel: Channel,
    ) -> Result<ConnectionTest, AppError> {
        who.require(Scope::Admin)?;
        let tenant = &who.tenant;
        let client = ClientId::parse(client_id)?;
        let platform = platform_of(channel)?;
        let route = self.route(tenant, &client, channel).await?;
        let row = match &route.connection_id {
            Some(id) => self.store.connection_by_id(tenant, id).await?,
            None => None,
        };
        let secrets = match &row {
            Some(r) => self.open_secrets(tenant, r).unwrap_or_default(),
            None => Secrets::default(),
        };
        let (ok, detail) = match route.connector.check().await {
            Ok(d) => (true, d),
            Err(e) => (false, e.to_string()),
        };
        let detail = scrubbed(&detail, &secrets);
        let (tested_at, connection) = match &row {
            Some(r) => {
                let at = self
                    .store
                    .record_connection_test(tenant, &r.id, ok, &detail)
                    .await?;
                let mut r = r.clone();
                r.tested_at = Some(at.clone());
                r.test_ok = Some(ok);
                r.test_detail = Some(detail.clone());
                (at, Some(view_of(&r, Utc::now())))
            }
            None => (now_ts(), None),
        };
        Ok(ConnectionTest {
            client_id: client.as_str().to_owned(),
            channel,
            platform: platform.as_str().to_owned(),
            source: route.source.to_owned(),
            connection_id: route.connection_id,
            ok,
            detail,
            tested_at,
            connection,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> ConnectionRow {
        ConnectionRow {
            id: "con_1".into(),
            client_id: ClientId::parse("cli_1").unwrap(),
            channel: Channel::Meta,
            platform: "meta".into(),
            account: Account {
                ad_account_id: Some("77".into()),
                ..Account::default()
            },
            credentials: Some("sealed".into()),
            secret_names: vec!["access_token".into()],
            expires_at: None,
            tested_at: None,
            test_ok: None,
            test_detail: None,
            created_by: "ana".into(),
            updated_by: "ana".into(),
            created_at: "2026-04-01T00:00:00.000000Z".into(),
            updated_at: "2026-04-01T00:00:00.000000Z".into(),
        }
    }

    #[test]
    fn status_and_alerts_follow_expiry_tests_and_gaps() {
        let now: DateTime<Utc> = "2026-04-10T12:00:00Z".parse().unwrap();
        let v = view_of(&row(), now);
        assert_eq!((v.status, v.alert), (ConnectionStatus::Ready, None));
        let mut r = row();
        r.expires_at = Some("2026-04-15T12:00:00.000000Z".into());
        let v = view_of(&r, now);
        assert_eq!(
            (v.status, v.expires_in_days),
            (ConnectionStatus::Expiring, Some(5))
        );
        assert!(v.alert.unwrap().contains("expires in 5 day(s)"));
        r.expires_at = Some("2026-04-17T12:00:01.000000Z".into());
        assert_eq!(view_of(&r, now).status, ConnectionStatus::Ready);
        r.expires_at = Some("2026-04-09T00:00:00.000000Z".into());
        let v = view_of(&r, now);
        assert_eq!(
            (v.status, v.expires_in_days),
            (ConnectionStatus::Expired, Some(-2))
        );
        let mut r = row();
        r.test_ok = Some(false);
        r.tested_at = Some("2026-04-10T00:00:00.000000Z".into());
        r.test_detail = Some("meta: credentials refused".into());
        assert_eq!(view_of(&r, now).status, ConnectionStatus::Failing);
        r.secret_names.clear();
        let v = view_of(&r, now);
        assert_eq!(
            (v.status, v.missing),
            (
                ConnectionStatus::Incomplete,
                vec!["access_token".to_owned()]
            )
        );
        assert!(!v.credential_set);
    }

    #[test]
    fn account_fields_are_checked_per_platform() {
        let patch = Account {
            ad_account_id: Some("act_123".into()),
            page_id: Some(" 456 ".into()),
            ..Account::default()
        };
        let a = patched(Platform::Meta, &Account::default(), &patch).unwrap();
        assert_eq!(
            (a.ad_account_id.as_deref(), a.page_id.as_deref()),
            (Some("123"), Some("456"))
        );
        // An empty string clears; absent fields keep their value.
        let clear = Account {
            page_id: Some(String::new()),
            ..Account::default()
        };
        let b = patched(Platform::Meta, &a, &clear).unwrap();
        assert_eq!((b.ad_account_id.as_deref(), b.page_id), (Some("123"), None));
        let e = patched(Platform::GoogleAds, &Account::default(), &patch).unwrap_err();
        assert!(
            e.to_string().contains("`ad_account_id`") && e.to_string().contains("customer_id"),
            "{e}"
        );
        let g = Account {
            customer_id: Some("123-456-7890".into()),
            login_customer_id: Some("12345".into()),
            ..Account::default()
        };
        let e = patched(Platform::GoogleAds, &Account::default(), &g).unwrap_err();
        assert!(e.to_string().contains("`login_customer_id`"), "{e}");
        let t = Account {
            account_sid: Some(format!("AC{}", "a".repeat(32))),
            sender: Some("+573001234567".into()),
            ..Account::default()
        };
        assert!(patched(Platform::Twilio, &Account::default(), &t).is_ok());
        // TikTok's identity: its type from TikTok's closed list.
        let k = Account {
            advertiser_id: Some("7000000000001".into()),
            identity_id: Some("7123-abc".into()),
            identity_type: Some("CUSTOMIZED_USER".into()),
            tiktok_pixel_id: Some("6999".into()),
            ..Account::default()
        };
        let a = patched(Platform::Tiktok, &Account::default(), &k).unwrap();
        assert_eq!(a.identity_type.as_deref(), Some("CUSTOMIZED_USER"));
        assert_eq!(a.tiktok_pixel_id.as_deref(), Some("6999"));
        let bad = Account {
            identity_type: Some("celebrity".into()),
            ..Account::default()
        };
        let e = patched(Platform::Tiktok, &a, &bad).unwrap_err().to_string();
        assert!(
            e.contains("`identity_type`") && e.contains("CUSTOMIZED_USER"),
            "{e}"
        );
    }

    #[test]
    fn secrets_are_checked_without_being_echoed() {
        let s = Secrets {
            access_token: Some("has space-secret-value".into()),
            ..Secrets::default()
        };
        let e = checked_secrets(Platform::Meta, &s).unwrap_err().to_string();
        assert!(
            e.contains("`access_token`") && !e.contains("secret-value"),
            "{e}"
        );
        let s = Secrets {
            api_key: Some("k-us21-secret".into()),
            ..Secrets::default()
        };
        let e = checked_secrets(Platform::Meta, &s).unwrap_err().to_string();
        assert!(
            e.contains("`api_key`") && !e.contains("k-us21-secret"),
            "{e}"
        );
        assert_eq!(
            scrubbed(
                "token EAAB-1234 refused",
                &Secrets {
                    access_token: Some("EAAB-1234".into()),
                    ..Secrets::default()
                }
            ),
            "token *** refused"
        );
        assert!(parse_expiry("2026-06-01").is_ok() && parse_expiry("June").is_err());
        assert!(
            platform_of(Channel::Whatsapp)
                .unwrap_err()
                .to_string()
                .contains("mcp-crm")
        );
    }
}
