//! The WhatsApp Cloud API webhook (HTTP mode, beside `/mcp`): the GET
//! verification handshake, and POSTed messages routed by the
//! `phone_number_id` they were sent to — a client's connection, verified
//! with that client's app secret and recorded as that client's leads, or
//! the environment's default number (the single-client shortcut) — then
//! deduplicated by message id (the shared cache first, then durably in the
//! database) and turned into verified inbound interactions, the only ones
//! that open WhatsApp's service window; and the delivery `statuses[]` of
//! the messages we sent (sent, delivered, read, failed with the platform's
//! error), applied once each to the message and the lead's timeline.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_lc_rs::{digest, hmac};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{TimeZone, Utc};
use promptsales_shared::cache::Cache;
use promptsales_shared::domain::{ClientId, Country, TenantId};
use serde::Deserialize;
use serde_json::Value;

use crate::domain::{country_of_phone, normalise_phone};
use crate::service::{CrmService, WhatsappInbound, WhatsappRoute, message_key};
use crate::store::DeliveryStatus;

/// Path of the webhook.
pub const PATH: &str = "/webhooks/whatsapp";
/// How long a delivered message id is remembered.
const DEDUPE_TTL: Duration = Duration::from_secs(24 * 3600);
/// Country of a number whose plan names none, without a configured default.
const FALLBACK_COUNTRY: &str = "US";

/// The single-client webhook settings (`PROMPTSALES_WHATSAPP_*`): the
/// default number's verify token and app secret, and the client its
/// deliveries belong to.
#[derive(Clone)]
pub struct WebhookConfig {
    /// The token Meta echoes in the verification handshake.
    pub verify_token: String,
    /// The app secret signing every POST.
    pub app_secret: String,
    /// Client new WhatsApp leads belong to.
    pub client_id: ClientId,
    /// Country of a number whose calling code we do not know.
    pub default_country: Country,
}

impl std::fmt::Debug for WebhookConfig {
    /// The verify token and app secret never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("verify_token", &"[redacted]")
            .field("app_secret", &"[redacted]")
            .field("client_id", &self.client_id)
            .field("default_country", &self.default_country)
            .finish()
    }
}

impl WebhookConfig {
    /// From the environment; `None` (no default number) unless both the
    /// verify token and the app secret are set. A bad client or country is
    /// an error naming the variable.
    pub fn from_env() -> Result<Option<Self>, String> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let (Some(verify_token), Some(app_secret)) = (
            var("PROMPTSALES_WHATSAPP_VERIFY_TOKEN"),
            var("PROMPTSALES_WHATSAPP_APP_SECRET"),
        ) else {
            return Ok(None);
        };
        let client = var("PROMPTSALES_WHATSAPP_CLIENT_ID").unwrap_or_else(|| "cli_whatsapp".into());
        let client_id =
            ClientId::parse(&client).map_err(|e| format!("PROMPTSALES_WHATSAPP_CLIENT_ID: {e}"))?;
        let country = var("PROMPTSALES_WHATSAPP_DEFAULT_COUNTRY").unwrap_or_else(|| "US".into());
        let default_country = Country::parse(&country)
            .map_err(|e| format!("PROMPTSALES_WHATSAPP_DEFAULT_COUNTRY: {e}"))?;
        Ok(Some(Self {
            verify_token,
            app_secret,
            client_id,
            default_country,
        }))
    }
}

#[derive(Clone)]
struct Hook {
    svc: CrmService,
    cache: Cache,
    tenant: TenantId,
    /// The environment's default number, if configured.
    cfg: Option<WebhookConfig>,
}

/// The webhook routes: deliveries for the clients' connected numbers, and
/// for the environment's default number when configured. A delivery for a
/// number neither knows is refused (401), so nothing is accepted by
/// accident.
pub fn router(
    svc: CrmService,
    cache: Cache,
    tenant: TenantId,
    cfg: Option<WebhookConfig>,
) -> Router {
    Router::new()
        .route(PATH, get(verify).post(receive))
        .with_state(Hook {
            svc,
            cache,
            tenant,
            cfg,
        })
}

#[derive(Deserialize)]
struct Handshake {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

fn same(a: &[u8], b: &[u8]) -> bool {
    // Compare digests so the comparison takes the same time whatever the
    // length or the first differing byte.
    let da = digest::digest(&digest::SHA256, a);
    let db = digest::digest(&digest::SHA256, b);
    aws_lc_rs::constant_time::verify_slices_are_equal(da.as_ref(), db.as_ref()).is_ok()
}

/// The handshake: the environment's verify token or any connected
/// client's.
async fn verify(State(h): State<Hook>, Query(q): Query<Handshake>) -> Response {
    let (Some("subscribe"), Some(token), Some(challenge)) =
        (q.mode.as_deref(), q.verify_token, q.challenge)
    else {
        return (StatusCode::FORBIDDEN, "verification failed").into_response();
    };
    let mut known: Vec<String> = h.cfg.iter().map(|c| c.verify_token.clone()).collect();
    match h.svc.whatsapp_verify_tokens(&h.tenant).await {
        Ok(t) => known.extend(t),
        Err(e) => tracing::warn!(error = %e, "connections' verify tokens not read"),
    }
    // Every candidate is compared, so the time does not say which matched.
    let matched = known
        .iter()
        .fold(false, |m, k| same(token.as_bytes(), k.as_bytes()) | m);
    if matched {
        (StatusCode::OK, challenge).into_response()
    } else {
        (StatusCode::FORBIDDEN, "verification failed").into_response()
    }
}

/// Checks `sha256=<hex>` against HMAC-SHA256(app secret, raw body).
pub fn signature_ok(secret: &str, body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    hmac::verify(&key, body, &sig).is_ok()
}

/// One text message of a delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    /// The number it was sent to (`metadata.phone_number_id`), if named.
    pub phone_number_id: Option<String>,
    pub id: String,
    pub from: String,
    pub name: Option<String>,
    pub text: String,
    pub timestamp: Option<i64>,
}

/// The messages in a Cloud API webhook payload (statuses and other events
/// are ignored); non-text messages are described by their type.
pub fn messages(payload: &Value) -> Vec<InboundMessage> {
    let mut out = Vec::new();
    for entry in payload["entry"].as_array().into_iter().flatten() {
        for change in entry["changes"].as_array().into_iter().flatten() {
            let value = &change["value"];
            let phone_number_id = value["metadata"]["phone_number_id"]
                .as_str()
                .map(str::to_owned);
            let contacts = value["contacts"].as_array().cloned().unwrap_or_default();
            for m in value["messages"].as_array().into_iter().flatten() {
                let (Some(id), Some(from)) = (m["id"].as_str(), m["from"].as_str()) else {
                    continue;
                };
                let name = contacts
                    .iter()
                    .find(|c| c["wa_id"].as_str() == Some(from))
                    .and_then(|c| c["profile"]["name"].as_str())
                    .map(str::to_owned);
                let kind = m["type"].as_str().unwrap_or("unknown");
                let text = match kind {
                    "text" => m["text"]["body"].as_str().unwrap_or("").to_owned(),
                    "button" => m["button"]["text"].as_str().unwrap_or("").to_owned(),
                    other => format!("[{other} message]"),
                };
                out.push(InboundMessage {
                    phone_number_id: phone_number_id.clone(),
                    id: id.to_owned(),
                    from: from.to_owned(),
                    name,
                    text,
                    timestamp: m["timestamp"].as_str().and_then(|t| t.parse().ok()),
                });
            }
        }
    }
    out
}

/// The delivery statuses in a payload (`value.statuses[]`), each with the
/// number it concerns: the first error's code and its title and details
/// when failed. A status without an id or a status name is skipped.
pub fn statuses(payload: &Value) -> Vec<(Option<String>, DeliveryStatus)> {
    let mut out = Vec::new();
    for entry in payload["entry"].as_array().into_iter().flatten() {
        for change in entry["changes"].as_array().into_iter().flatten() {
            let value = &change["value"];
            let number = value["metadata"]["phone_number_id"]
                .as_str()
                .map(str::to_owned);
            for st in value["statuses"].as_array().into_iter().flatten() {
                let (Some(id), Some(status)) = (st["id"].as_str(), st["status"].as_str()) else {
                    continue;
                };
                let at = st["timestamp"]
                    .as_str()
                    .and_then(|t| t.parse::<i64>().ok())
                    .and_then(|t| Utc.timestamp_opt(t, 0).single())
                    .unwrap_or_else(Utc::now);
                let err = &st["errors"][0];
                let error_code = err["code"].as_i64().map(|c| c.to_string());
                let title = err["title"].as_str().or(err["message"].as_str());
                let details = err["error_data"]["details"].as_str();
                let error_title = match (title, details) {
                    (Some(t), Some(d)) if t != d => Some(format!("{t}: {d}")),
                    (Some(t), _) => Some(t.to_owned()),
                    (None, d) => d.map(str::to_owned),
                };
                out.push((
                    number.clone(),
                    DeliveryStatus {
                        provider_message_id: id.to_owned(),
                        status: status.to_owned(),
                        at,
                        error_code,
                        error_title,
                    },
                ));
            }
        }
    }
    out
}

/// The numbers a payload's changes were sent to (`None`: a change that
/// names none), whether or not they carry messages.
fn numbers(payload: &Value) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = Vec::new();
    for entry in payload["entry"].as_array().into_iter().flatten() {
        for change in entry["changes"].as_array().into_iter().flatten() {
            let n = change["value"]["metadata"]["phone_number_id"]
                .as_str()
                .map(str::to_owned);
            if !out.contains(&n) {
                out.push(n);
            }
        }
    }
    if out.is_empty() {
        out.push(None);
    }
    out
}

/// Where deliveries for one number go: the client, the app secret that
/// must have signed them, and the country of numbers without a plan.
struct Route {
    client_id: ClientId,
    app_secret: String,
    country: Country,
}

/// The route of a number: its client's connection, else (or for a
/// delivery naming no number) the environment's default; `None` when
/// neither knows it.
async fn route_of(
    h: &Hook,
    number: Option<&str>,
) -> Result<Option<Route>, promptsales_shared::AppError> {
    let fallback = || Country::parse(FALLBACK_COUNTRY);
    if let Some(n) = number
        && let Some(WhatsappRoute {
            client_id,
            app_secret,
        }) = h.svc.whatsapp_route(&h.tenant, n).await?
    {
        let country = match h.svc.client_country(&h.tenant, &client_id).await? {
            Some(c) => c,
            None => match &h.cfg {
                Some(cfg) => cfg.default_country,
                None => fallback()?,
            },
        };
        return Ok(Some(Route {
            client_id,
            app_secret,
            country,
        }));
    }
    Ok(h.cfg.as_ref().map(|c| Route {
        client_id: c.client_id.clone(),
        app_secret: c.app_secret.clone(),
        country: c.default_country,
    }))
}

async fn receive(State(h): State<Hook>, headers: HeaderMap, body: Bytes) -> Response {
    let sig = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    let unsigned = || {
        (
            StatusCode::UNAUTHORIZED,
            "invalid or missing X-Hub-Signature-256",
        )
            .into_response()
    };
    if sig.is_none() {
        return unsigned();
    }
    let Ok(payload) = serde_json::from_slice::<Value>(&body) else {
        // Not JSON: only the default number's secret can vouch for it.
        return match &h.cfg {
            Some(c) if signature_ok(&c.app_secret, &body, sig) => {
                (StatusCode::BAD_REQUEST, "body is not JSON").into_response()
            }
            _ => unsigned(),
        };
    };
    // Every number the delivery names must be known, and the signature
    // must verify under each one's app secret (one Meta app signs all of
    // its numbers' deliveries).
    let mut routes: BTreeMap<Option<String>, Route> = BTreeMap::new();
    for n in numbers(&payload) {
        match route_of(&h, n.as_deref()).await {
            Ok(Some(r)) if signature_ok(&r.app_secret, &body, sig) => {
                routes.insert(n, r);
            }
            Ok(_) => return unsigned(),
            Err(e) => {
                tracing::warn!(error = %e, "WhatsApp delivery not routed");
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "could not route the delivery; retry",
                )
                    .into_response();
            }
        }
    }
    for m in messages(&payload) {
        let Some(route) = routes.get(&m.phone_number_id) else {
            continue;
        };
        let key = format!("crm:wa:msg:{}:{}", h.tenant, message_key(&m.id));
        if h.cache.get_json::<bool>(&key).await.is_some() {
            tracing::debug!("duplicate WhatsApp delivery dropped (cache)");
            continue;
        }
        match handle(&h, route, &m).await {
            Ok(()) => h.cache.set_json(&key, &true, Some(DEDUPE_TTL)).await,
            Err(e) => {
                // A 5xx makes Meta retry the delivery later.
                tracing::warn!(error = %e, "WhatsApp message not stored");
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "could not store the message; retry",
                )
                    .into_response();
            }
        }
    }
    for (number, st) in statuses(&payload) {
        // Only numbers whose secret verified this delivery are applied.
        if !routes.contains_key(&number) {
            continue;
        }
        if let Err(e) = h.svc.whatsapp_status(&h.tenant, st).await {
            tracing::warn!(error = %e, "WhatsApp delivery status not stored");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "could not store the status; retry",
            )
                .into_response();
        }
    }
    (StatusCode::OK, "ok").into_response()
}

async fn handle(
    h: &Hook,
    route: &Route,
    m: &InboundMessage,
) -> Result<(), promptsales_shared::AppError> {
    // WhatsApp ids are international numbers without the `+`, Mexican
    // ones still with the retired mobile `1`: normalised first, so the
    // country comes from a valid number.
    let raw = format!("+{}", m.from.trim_start_matches('+'));
    let phone = normalise_phone(&raw, route.country).unwrap_or(raw);
    let country = country_of_phone(&phone).unwrap_or(route.country);
    let inbound = WhatsappInbound {
        message_id: m.id.clone(),
        phone,
        name: m.name.clone(),
        text: m.text.clone(),
        at: m.timestamp.and_then(|t| Utc.timestamp_opt(t, 0).single()),
        client_id: route.client_id.clone(),
        country,
    };
    if h.svc.receive_whatsapp(&h.tenant, inbound).await?.is_none() {
        tracing::debug!("duplicate WhatsApp delivery dropped (already processed)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Crypto;
    use crate::store::CrmStore;
    use serde_json::json;

    const SECRET: &str = "app-secret";

    fn sign(body: &[u8]) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA256, SECRET.as_bytes());
        format!("sha256={}", hex::encode(hmac::sign(&key, body).as_ref()))
    }

    fn payload(id: &str, text: &str) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550001111", "phone_number_id": "1055"},
                "contacts": [{"profile": {"name": "Ana Gómez"}, "wa_id": "573001234567"}],
                "messages": [{"from": "573001234567", "id": id, "timestamp": "1767225600",
                              "type": "text", "text": {"body": text}}]
            }}]}]
        }))
        .unwrap()
    }

    #[test]
    fn signatures_are_checked() {
        let body = b"{\"a\":1}";
        assert!(signature_ok(SECRET, body, Some(&sign(body))));
        assert!(!signature_ok(SECRET, b"{\"a\":2}", Some(&sign(body))));
        assert!(!signature_ok(SECRET, body, None));
        assert!(!signature_ok(SECRET, body, Some("sha256=zz")));
        assert!(!signature_ok("other", body, Some(&sign(body))));
    }

    #[test]
    fn payload_messages_are_extracted() {
        let v: Value = serde_json::from_slice(&payload("wamid.1", "Hola")).unwrap();
        let m = messages(&v);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].from, "573001234567");
        assert_eq!(m[0].name.as_deref(), Some("Ana Gómez"));
        assert_eq!(m[0].text, "Hola");
        assert!(
            messages(&json!({"entry": [{"changes": [{"value": {"statuses": []}}]}]})).is_empty()
        );
    }

    #[tokio::test]
    async fn webhook_verifies_dedupes_and_records_on_every_backend() {
        for t in promptsales_shared::testing::backends(&crm_read::MIGRATIONS)
            .await
            .unwrap()
        {
            let svc = CrmService::new(
                CrmStore::new(t.db.clone()),
                Crypto::new(&[3u8; 32]).unwrap(),
            );
            let tenant = TenantId::parse("wh").unwrap();
            let cfg = WebhookConfig {
                verify_token: "verify-me".into(),
                app_secret: SECRET.into(),
                client_id: ClientId::parse("cli_wa").unwrap(),
                default_country: Country::parse("US").unwrap(),
            };
            let app = router(
                svc.clone(),
                Cache::in_memory("t", Duration::from_secs(60)),
                tenant.clone(),
                Some(cfg),
            );
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}{PATH}", l.local_addr().unwrap());
            let server = tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
            let http = reqwest::Client::new();

            // Handshake.
            let ok = http
                .get(format!(
                    "{base}?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=42"
                ))
                .send()
                .await
                .unwrap();
            assert_eq!(ok.status(), 200);
            assert_eq!(ok.text().await.unwrap(), "42");
            let bad = http
                .get(format!(
                    "{base}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=42"
                ))
                .send()
                .await
                .unwrap();
            assert_eq!(bad.status(), 403);

            // Bad or missing signatures store nothing.
            let body = payload("wamid.A", "Hola, ¿cuánto cuesta el plan?");
            for sig in [None, Some("sha256=00".to_owned())] {
                let mut r = http.post(&base).body(body.clone());
                if let Some(s) = sig {
                    r = r.header("X-Hub-Signature-256", s);
                }
                assert_eq!(r.send().await.unwrap().status(), 401);
            }
            assert_eq!(svc.store().lead_count(&tenant).await.unwrap(), 0);

            // A signed delivery, delivered twice, is one lead and one interaction.
            for _ in 0..2 {
                let r = http
                    .post(&base)
                    .header("X-Hub-Signature-256", sign(&body))
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
            }
            // A second message from the same number finds the same lead.
            let body2 = payload("wamid.B", "Quiero una demo");
            http.post(&base)
                .header("X-Hub-Signature-256", sign(&body2))
                .body(body2)
                .send()
                .await
                .unwrap();
            assert_eq!(
                svc.store().lead_count(&tenant).await.unwrap(),
                1,
                "{}",
                t.label()
            );
            let page = svc
                .search_leads(&tenant, &Default::default())
                .await
                .unwrap();
            let lead = svc
                .get_lead(&tenant, page.items[0].id.as_str())
                .await
                .unwrap();
            assert_eq!(lead.interactions.len(), 2, "{}", t.label());
            assert_eq!(lead.profile.phone.as_deref(), Some("+573001234567"));
            assert_eq!(lead.profile.name.as_deref(), Some("Ana Gómez"));
            assert_eq!(lead.profile.lead.country.as_str(), "CO");
            assert!(
                lead.score
                    .reasons
                    .iter()
                    .any(|r| r.reason == "asked about pricing")
            );
            server.abort();

            // A signed STOP suppresses WhatsApp, recorded as the webhook's.
            let stop = payload("wamid.STOP", "STOP");
            let post = |app: Router, body: Vec<u8>| async move {
                let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let url = format!("http://{}{PATH}", l.local_addr().unwrap());
                let server = tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
                let status = reqwest::Client::new()
                    .post(url)
                    .header("X-Hub-Signature-256", sign(&body))
                    .body(body)
                    .send()
                    .await
                    .unwrap()
                    .status();
                server.abort();
                status
            };
            let fresh = || {
                router(
                    svc.clone(),
                    Cache::in_memory("t", Duration::from_secs(60)),
                    tenant.clone(),
                    Some(WebhookConfig {
                        verify_token: "verify-me".into(),
                        app_secret: SECRET.into(),
                        client_id: ClientId::parse("cli_wa").unwrap(),
                        default_country: Country::parse("US").unwrap(),
                    }),
                )
            };
            assert_eq!(post(fresh(), stop.clone()).await, 200);
            let id = lead.profile.lead.id.as_str();
            let staff = promptsales_server::auth::Principal::new(
                "staff",
                tenant.clone(),
                ["crm:consent", "crm:gdpr"],
            );
            let suppressed = async || {
                svc.gdpr_export_lead(&staff, id)
                    .await
                    .unwrap()
                    .lead
                    .consent
                    .permissions
                    .iter()
                    .any(|p| p.suppressed)
            };
            assert!(suppressed().await, "{}", t.label());
            let x = svc.gdpr_export_lead(&staff, id).await.unwrap();
            assert_eq!(x.lead.consent.history.last().unwrap().actor, "webhook");
            // Lifted by a person; then the signed STOP is replayed to a
            // process whose cache never saw it (a restart, another
            // replica, a day later): it changes nothing.
            let wa = Some(crate::domain::ContactChannel::Whatsapp);
            svc.suppress(&staff, id, wa, "asked to resume by phone", true)
                .await
                .unwrap();
            assert!(!suppressed().await);
            assert_eq!(post(fresh(), stop).await, 200);
            assert!(
                !suppressed().await,
                "replayed STOP re-suppressed ({})",
                t.label()
            );
            t.cleanup().await;
        }
    }

    fn to_number(number: &str, id: &str) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"phone_number_id": number},
                "contacts": [{"profile": {"name": "Lucía Pérez"}, "wa_id": "5215512345678"}],
                "messages": [{"from": "5215512345678", "id": id, "timestamp": "1767225600",
                              "type": "text", "text": {"body": "Hola"}}]
            }}]}]
        }))
        .unwrap()
    }

    fn signed(secret: &str, body: &[u8]) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
        format!("sha256={}", hex::encode(hmac::sign(&key, body).as_ref()))
    }

    /// Without any environment default, deliveries route by the number
    /// they were sent to: each client's connection, verified with that
    /// client's app secret; another client's secret, or a number nobody
    /// connected, is refused and stores nothing.
    #[tokio::test]
    async fn deliveries_route_by_phone_number_id_to_the_connected_client() {
        use crate::service::{ConnectionChannel, NewConnection};
        for t in promptsales_shared::testing::backends(&crm_read::MIGRATIONS)
            .await
            .unwrap()
        {
            let svc = CrmService::new(
                CrmStore::new(t.db.clone()),
                Crypto::new(&[3u8; 32]).unwrap(),
            );
            let tenant = TenantId::parse("wh").unwrap();
            let admin = promptsales_server::auth::Principal::new("root", tenant.clone(), ["admin"]);
            for (client, number, secret) in
                [("cli_a", "2077", "secret-a"), ("cli_b", "3088", "secret-b")]
            {
                svc.set_connection(
                    &admin,
                    NewConnection {
                        client_id: client.into(),
                        channel: ConnectionChannel::Whatsapp,
                        phone_number_id: number.into(),
                        access_token: Some("tok".into()),
                        app_secret: Some(secret.into()),
                        verify_token: Some(format!("verify-{client}")),
                        waba_id: None,
                        enabled: true,
                    },
                )
                .await
                .unwrap();
            }
            let app = router(
                svc.clone(),
                Cache::in_memory("t", Duration::from_secs(60)),
                tenant.clone(),
                None,
            );
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}{PATH}", l.local_addr().unwrap());
            let server = tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
            let http = reqwest::Client::new();
            let post = async |body: Vec<u8>, secret: &str| {
                http.post(&base)
                    .header("X-Hub-Signature-256", signed(secret, &body))
                    .body(body)
                    .send()
                    .await
                    .unwrap()
                    .status()
            };
            assert_eq!(post(to_number("2077", "wamid.X"), "secret-b").await, 401);
            assert_eq!(post(to_number("9999", "wamid.Y"), "secret-a").await, 401);
            assert_eq!(svc.store().lead_count(&tenant).await.unwrap(), 0);
            assert_eq!(post(to_number("2077", "wamid.A"), "secret-a").await, 200);
            assert_eq!(post(to_number("3088", "wamid.B"), "secret-b").await, 200);
            let clients: Vec<(String, String)> = sqlx::query_as(
                "SELECT client_id, country FROM leads WHERE tenant_id = $1 ORDER BY client_id",
            )
            .bind("wh")
            .fetch_all(t.db.pool())
            .await
            .unwrap();
            assert_eq!(
                clients,
                [("cli_a".into(), "MX".into()), ("cli_b".into(), "MX".into())],
                "{}",
                t.label()
            );
            // Each connection's verify token passes the handshake.
            let r = http
                .get(format!(
                    "{base}?hub.mode=subscribe&hub.verify_token=verify-cli_b&hub.challenge=7"
                ))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            let r = http
                .get(format!(
                    "{base}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=7"
                ))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 403);
            server.abort();
            t.cleanup().await;
        }
    }
}
