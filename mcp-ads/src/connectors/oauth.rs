//! Google's OAuth 2.0 refresh-token flow: a client id and secret and a
//! refresh token are exchanged at the token endpoint for an access token
//! with an expiry. The token is cached per connection, refreshed a minute
//! before it expires, and refreshed at once when Google refuses it
//! mid-run (a 401: revoked, or expired early). The secrets travel in the
//! form body of the exchange, masked wherever the call is described, and
//! the access token never appears in what a failure says or logs.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::http::{Verdict, verdict_of_status};
use super::{Call, ConnectorError, Http, Secret};

/// Google's token endpoint.
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
/// A token is refreshed when it has less than this left: a call made with
/// it must not run into its expiry.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(60);

const P: &str = "google_ads";
const HINT: &str = "the OAuth client id and secret and the refresh token of the connection \
     (set_connection) or PROMPTSALES_GOOGLE_ADS_CLIENT_ID/_CLIENT_SECRET/_REFRESH_TOKEN";

/// What the refresh-token exchange needs; `Debug` prints no secret.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshConfig {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub refresh_token: Secret,
}

/// An access token and when it stops working.
struct Cached {
    token: Secret,
    expires: Instant,
}

/// Fresh access tokens for one connection: one exchange at a time, the
/// result shared by every call until it nears its expiry.
pub struct TokenSource {
    cfg: RefreshConfig,
    cache: tokio::sync::Mutex<Option<Cached>>,
    /// Exchanges made (for the status line and tests).
    refreshes: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("token_url", &self.cfg.token_url)
            .field("client_id", &self.cfg.client_id)
            .finish_non_exhaustive()
    }
}

/// Token answers are read here, whatever their status: an OAuth error
/// (`{"error": "invalid_grant", …}`) is a refused credential with its
/// reason, not a reason to retry.
fn judge(status: u16, body: &Value, retry_after: Option<Duration>) -> Verdict {
    if matches!(status, 400 | 401) && body.get("error").is_some_and(Value::is_string) {
        return Verdict::Ok;
    }
    verdict_of_status(status, retry_after)
}

impl TokenSource {
    pub fn new(cfg: RefreshConfig) -> Self {
        Self {
            cfg,
            cache: tokio::sync::Mutex::new(None),
            refreshes: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// How many exchanges this source has made.
    pub fn refreshes(&self) -> u64 {
        self.refreshes.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The exchange, as sent (and as a dry run would show it: secrets `***`).
    pub fn call(&self) -> Call {
        Call::new(
            "refresh the OAuth access token",
            "POST",
            self.cfg.token_url.clone(),
        )
        .form(vec![
            ("grant_type".into(), "refresh_token".into()),
            ("client_id".into(), self.cfg.client_id.clone()),
            (
                "client_secret".into(),
                self.cfg.client_secret.expose().to_owned(),
            ),
            (
                "refresh_token".into(),
                self.cfg.refresh_token.expose().to_owned(),
            ),
        ])
        .secret("client_secret")
        .secret("refresh_token")
    }

    /// A token valid for at least [`REFRESH_MARGIN`]; `stale` is the token
    /// a platform just refused: if the cache still holds it, it is
    /// exchanged for a new one (a token another call already replaced is
    /// not refreshed twice).
    pub async fn token(
        &self,
        http: &Http,
        stale: Option<&Secret>,
    ) -> Result<Secret, ConnectorError> {
        let mut cache = self.cache.lock().await;
        if let Some(c) = cache.as_ref() {
            let refused = stale.is_some_and(|s| *s == c.token);
            if !refused && c.expires > Instant::now() + REFRESH_MARGIN {
                return Ok(c.token.clone());
            }
        }
        let body = http.send(P, HINT, &self.call(), judge).await?;
        self.refreshes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Some(err) = body.get("error").and_then(Value::as_str) {
            let why = body
                .get("error_description")
                .and_then(Value::as_str)
                .unwrap_or("the token endpoint refused the refresh token");
            *cache = None;
            return Err(ConnectorError::Unauthorized {
                platform: P,
                status: 400,
                message: format!("{err}: {why} (reconnect the account to get a new refresh token)"),
                hint: HINT,
            });
        }
        let token = body
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            // The answer holds a token: it is not logged, only described.
            .ok_or_else(|| ConnectorError::protocol(P, "no access_token in the token answer"))?;
        let secs = body
            .get("expires_in")
            .and_then(|v| {
                v.as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            })
            .unwrap_or(3600);
        let fresh = Cached {
            token: Secret::new(token),
            expires: Instant::now() + Duration::from_secs(secs),
        };
        let out = fresh.token.clone();
        *cache = Some(fresh);
        tracing::info!(
            platform = P,
            expires_in_s = secs,
            "OAuth access token refreshed"
        );
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exchange_masks_its_secrets() {
        let s = TokenSource::new(RefreshConfig {
            token_url: "https://oauth.example/token".into(),
            client_id: "cid.apps".into(),
            client_secret: Secret::new("client-secret-1"),
            refresh_token: Secret::new("1//refresh-token"),
        });
        let shown = format!("{:?} {:?}", s, s.call());
        assert!(
            !shown.contains("client-secret-1") && !shown.contains("1//refresh-token"),
            "{shown}"
        );
        assert!(shown.contains("cid.apps"), "{shown}");
        let planned = serde_json::to_string(&s.call().planned()).unwrap();
        assert!(planned.contains("\"refresh_token\":\"***\""), "{planned}");
    }

    #[test]
    fn oauth_errors_are_read_not_retried() {
        let e = serde_json::json!({"error": "invalid_grant", "error_description": "Token has been expired or revoked."});
        assert_eq!(judge(400, &e, None), Verdict::Ok);
        assert_eq!(judge(503, &Value::Null, None), Verdict::ServerError);
    }
}
