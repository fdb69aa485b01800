//! Who is calling: the principal of a tool call (subject, tenant, scopes),
//! from a verified OAuth bearer token over HTTP or from configuration over
//! stdio, and the HTTP middleware that verifies tokens.
//!
//! Tokens are JWTs issued by the deployment's authorization server: HS256
//! with a shared secret, or RS256/ES256 with the issuer's public key (PEM).
//! Claims, all required: `sub`, `exp`, `iss` (the configured issuer), `aud`
//! (this server's resource URL, RFC 8707), `tenant` (the server's tenant);
//! scopes in `scope` (space-separated, OAuth 2.0) or `scp` (array). HS256
//! only with a secret, RS256/ES256 only with a public key (no algorithm
//! confusion, no `alg: none`).

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rmcp::RoleServer;
use rmcp::service::RequestContext;
use serde::{Deserialize, Serialize};
use serde_json::json;

use promptsales_shared::AppError;
use promptsales_shared::config::Config;
use promptsales_shared::domain::TenantId;
use promptsales_shared::scope::Scope;

/// The identity a tool call runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub subject: String,
    pub tenant: TenantId,
    pub scopes: BTreeSet<String>,
}

impl Principal {
    pub fn new<I, S>(subject: impl Into<String>, tenant: TenantId, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            subject: subject.into(),
            tenant,
            scopes: scopes.into_iter().map(Into::into).collect(),
        }
    }

    /// The caller of a request: the verified token's principal over HTTP
    /// with authentication on, otherwise `local` (stdio, or HTTP without
    /// auth on loopback).
    pub fn of(context: &RequestContext<RoleServer>, local: &Principal) -> Principal {
        context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Principal>())
            .unwrap_or(local)
            .clone()
    }

    /// The principal of stdio sessions and CLI commands: the configured
    /// local actor and scopes.
    pub fn local(config: &Config) -> Principal {
        Principal {
            subject: config.actor.clone(),
            tenant: config.tenant.clone(),
            scopes: config.scopes.clone(),
        }
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(scope)
    }

    /// Fails with a message naming the missing scope and the caller.
    pub fn require(&self, scope: Scope) -> Result<(), AppError> {
        self.require_scope(scope.as_str())
    }

    /// Fails with a message naming the missing scope and the caller.
    pub fn require_scope(&self, scope: &str) -> Result<(), AppError> {
        if self.has_scope(scope) {
            return Ok(());
        }
        let held = if self.scopes.is_empty() {
            "none".to_owned()
        } else {
            self.scopes.iter().cloned().collect::<Vec<_>>().join(", ")
        };
        Err(AppError::PermissionDenied(format!(
            "this needs the `{scope}` scope; {} holds: {held}",
            self.subject
        )))
    }
}

pub use promptsales_shared::config::parse_scopes;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    exp: u64,
    iss: String,
    aud: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tenant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scp: Option<Vec<String>>,
}

/// Why a bearer token was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("missing bearer token: send `Authorization: Bearer <token>`")]
    Missing,
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error("token is for tenant {token:?}, this server serves {server:?}")]
    WrongTenant { token: String, server: String },
    #[error("this needs the {} scope", needed.join(" "))]
    InsufficientScope { needed: Vec<String> },
}

/// Verifies bearer tokens for one server.
#[derive(Clone)]
pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
    tenant: TenantId,
    /// RFC 9728 metadata document URL advertised in `WWW-Authenticate`.
    metadata_url: Option<String>,
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenVerifier")
            .field("algorithms", &self.validation.algorithms)
            .field("tenant", &self.tenant)
            .finish()
    }
}

/// How tokens are checked.
#[derive(Debug, Clone, Default)]
pub struct AuthSettings {
    /// HS256 shared secret.
    pub hs256_secret: Option<String>,
    /// PEM public key (RSA or EC) for RS256/ES256 tokens.
    pub public_key_pem: Option<String>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    /// Public URL of this server (the OAuth protected resource).
    pub resource_url: Option<String>,
    /// Authorization servers advertised in the resource metadata.
    pub authorization_servers: Vec<String>,
}

impl TokenVerifier {
    /// `None` when no key is configured (authentication off).
    pub fn from_settings(s: &AuthSettings, tenant: TenantId) -> Result<Option<Self>, String> {
        let (key, algorithms) = match (&s.hs256_secret, &s.public_key_pem) {
            (None, None) => return Ok(None),
            (Some(_), Some(_)) => {
                return Err(
                    "set either PROMPTSALES_JWT_SECRET or PROMPTSALES_JWT_PUBLIC_KEY_FILE, not both"
                        .into(),
                );
            }
            (Some(secret), None) => {
                if secret.len() < 32 {
                    return Err(format!(
                        "PROMPTSALES_JWT_SECRET: expected at least 32 bytes, got {}",
                        secret.len()
                    ));
                }
                (
                    DecodingKey::from_secret(secret.as_bytes()),
                    vec![Algorithm::HS256],
                )
            }
            (None, Some(pem)) => {
                if let Ok(k) = DecodingKey::from_rsa_pem(pem.as_bytes()) {
                    (k, vec![Algorithm::RS256])
                } else if let Ok(k) = DecodingKey::from_ec_pem(pem.as_bytes()) {
                    (k, vec![Algorithm::ES256])
                } else {
                    return Err(
                        "PROMPTSALES_JWT_PUBLIC_KEY_FILE: expected a PEM RSA or EC public key"
                            .into(),
                    );
                }
            }
        };
        // Tokens must name who issued them and which server they are for:
        // a token minted for another resource is never accepted here.
        let issuer = s.issuer.as_deref().filter(|i| !i.trim().is_empty()).ok_or(
            "PROMPTSALES_JWT_ISSUER (--jwt-issuer): required with authentication on: the `iss` \
             of the authorization server's tokens",
        )?;
        let audience = s
            .audience
            .as_deref()
            .filter(|a| !a.trim().is_empty())
            .ok_or(
                "PROMPTSALES_JWT_AUDIENCE (--jwt-audience) or PROMPTSALES_PUBLIC_URL: required \
                 with authentication on: the `aud` tokens for this server carry (its resource URL)",
            )?;
        let mut validation = Validation::new(algorithms[0]);
        validation.algorithms = algorithms;
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.leeway = 30;
        validation.set_audience(&[audience]);
        validation.set_issuer(&[issuer]);
        let metadata_url = s.resource_url.as_ref().map(|r| {
            format!(
                "{}/.well-known/oauth-protected-resource",
                r.trim_end_matches('/')
            )
        });
        Ok(Some(Self {
            key,
            validation,
            tenant,
            metadata_url,
        }))
    }

    /// Checks an `Authorization` header value.
    pub fn verify(&self, authorization: Option<&str>) -> Result<Principal, TokenError> {
        let token = authorization
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(TokenError::Missing)?;
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        let c = data.claims;
        let tenant = match c.tenant {
            None => {
                return Err(TokenError::Invalid(
                    "the token has no `tenant` claim".into(),
                ));
            }
            Some(t) if t == self.tenant.as_str() => self.tenant.clone(),
            Some(t) => {
                return Err(TokenError::WrongTenant {
                    token: t,
                    server: self.tenant.as_str().to_owned(),
                });
            }
        };
        let mut scopes = match &c.scope {
            Some(s) => parse_scopes(s)
                .map_err(|bad| TokenError::Invalid(format!("malformed scope {bad:?}")))?,
            None => BTreeSet::new(),
        };
        scopes.extend(c.scp.unwrap_or_default());
        Ok(Principal {
            subject: c.sub,
            tenant,
            scopes,
        })
    }

    /// The RFC 6750 answer: 401 with a challenge for a missing or bad
    /// token, 403 `insufficient_scope` naming every scope the request needs.
    pub fn challenge(&self, err: &TokenError) -> Response {
        let mut value = String::from("Bearer");
        let mut parts = Vec::new();
        if let Some(url) = &self.metadata_url {
            parts.push(format!("resource_metadata=\"{url}\""));
        }
        let (status, code) = match err {
            TokenError::Missing => (StatusCode::UNAUTHORIZED, None),
            TokenError::Invalid(_) => (StatusCode::UNAUTHORIZED, Some("invalid_token")),
            TokenError::WrongTenant { .. } => (StatusCode::FORBIDDEN, Some("insufficient_scope")),
            TokenError::InsufficientScope { .. } => {
                (StatusCode::FORBIDDEN, Some("insufficient_scope"))
            }
        };
        if let Some(code) = code {
            parts.push(format!("error=\"{code}\""));
        }
        if let TokenError::InsufficientScope { needed } = err {
            parts.push(format!("scope=\"{}\"", needed.join(" ")));
            parts.push(format!("error_description=\"{err}\""));
        }
        if !parts.is_empty() {
            value.push(' ');
            value.push_str(&parts.join(", "));
        }
        let mut resp = (
            status,
            axum::Json(json!({
                "error": code.unwrap_or("unauthorized"),
                "error_description": err.to_string(),
            })),
        )
            .into_response();
        if let Ok(v) = HeaderValue::from_str(&value) {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        resp
    }
}

/// What the middleware needs: the verifier and the scope each tool
/// declares, to refuse a `tools/call` before dispatch (2026-07-28 requests
/// name the method and tool in `Mcp-Method`/`Mcp-Name`).
#[derive(Clone, Debug)]
pub struct Gate {
    pub verifier: Arc<TokenVerifier>,
    pub tool_scopes: Arc<std::collections::HashMap<String, Scope>>,
}

/// axum middleware: verifies the bearer token, refuses a tool call whose
/// declared scope the token lacks (403 `insufficient_scope`), and attaches
/// the [`Principal`] to the request (rmcp hands the request parts to tools).
pub async fn require_bearer(
    State(gate): State<Gate>,
    mut request: Request,
    next: Next,
) -> Response {
    let verifier = &gate.verifier;
    let headers = request.headers();
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let called_tool = (headers.get("mcp-method").and_then(|v| v.to_str().ok())
        == Some("tools/call"))
    .then(|| headers.get("mcp-name").and_then(|v| v.to_str().ok()))
    .flatten()
    .map(str::to_owned);
    match verifier.verify(header) {
        Ok(principal) => {
            if let Some(needed) = called_tool
                .as_deref()
                .and_then(|t| gate.tool_scopes.get(t))
                .filter(|s| !principal.has_scope(s.as_str()))
            {
                let e = TokenError::InsufficientScope {
                    needed: vec![needed.as_str().to_owned()],
                };
                tracing::info!(subject = %principal.subject, error = %e, "tool call refused");
                // Refused before dispatch, so `call_tool_audited` never counts it.
                if let Some(tool) = called_tool.as_deref() {
                    crate::metrics::global().tool_call(
                        tool,
                        crate::metrics::CallOutcome::Denied,
                        None,
                    );
                }
                return verifier.challenge(&e);
            }
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(e) => {
            tracing::info!(error = %e, "request refused");
            verifier.challenge(&e)
        }
    }
}

/// RFC 9728 protected-resource metadata.
pub fn resource_metadata(s: &AuthSettings) -> serde_json::Value {
    json!({
        "resource": s.resource_url,
        "authorization_servers": s.authorization_servers,
        "bearer_methods_supported": ["header"],
        "scopes_supported": <Scope as promptsales_shared::domain::Vocabulary>::ALL
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>(),
    })
}

/// What an HS256 token minted by [`mint_hs256`] says.
#[derive(Debug, Clone)]
pub struct Mint<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    pub subject: &'a str,
    /// `None` mints a token without the (required) tenant claim.
    pub tenant: Option<&'a str>,
    pub scopes: &'a [&'a str],
    pub ttl_secs: i64,
}

/// Mints an HS256 token (tests, local tooling and the demo).
pub fn mint_hs256(secret: &str, m: &Mint<'_>) -> Result<String, AppError> {
    let exp = (chrono::Utc::now().timestamp() + m.ttl_secs).max(0) as u64;
    let claims = Claims {
        sub: m.subject.to_owned(),
        exp,
        iss: m.issuer.to_owned(),
        aud: m.audience.to_owned(),
        tenant: m.tenant.map(str::to_owned),
        scope: Some(m.scopes.join(" ")),
        scp: None,
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(|e| AppError::Internal(format!("cannot sign token: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";
    const ISS: &str = "https://auth.agency.example";
    const AUD: &str = "https://ads.example.com/mcp";

    fn settings() -> AuthSettings {
        AuthSettings {
            hs256_secret: Some(SECRET.into()),
            issuer: Some(ISS.into()),
            audience: Some(AUD.into()),
            resource_url: Some("https://ads.example.com".into()),
            ..Default::default()
        }
    }

    fn verifier() -> TokenVerifier {
        TokenVerifier::from_settings(&settings(), TenantId::parse("acme").unwrap())
            .unwrap()
            .unwrap()
    }

    fn mint(m: Mint<'_>) -> String {
        format!("Bearer {}", mint_hs256(SECRET, &m).unwrap())
    }

    fn good<'a>() -> Mint<'a> {
        Mint {
            issuer: ISS,
            audience: AUD,
            subject: "ana",
            tenant: Some("acme"),
            scopes: &["ads:approve", "ads:launch"],
            ttl_secs: 60,
        }
    }

    #[test]
    fn a_valid_token_yields_its_principal() {
        let p = verifier().verify(Some(&mint(good()))).unwrap();
        assert_eq!(p.subject, "ana");
        assert_eq!(p.tenant.as_str(), "acme");
        assert!(p.has_scope("ads:approve") && p.has_scope("ads:launch"));
        assert!(p.require(Scope::ContentApprove).is_err());
    }

    #[test]
    fn bad_tokens_are_refused() {
        let v = verifier();
        let invalid = |t: String| matches!(v.verify(Some(&t)), Err(TokenError::Invalid(_)));
        assert_eq!(v.verify(None), Err(TokenError::Missing));
        assert_eq!(v.verify(Some("Basic abc")), Err(TokenError::Missing));
        assert!(
            invalid(mint(Mint {
                ttl_secs: -3600,
                ..good()
            })),
            "expired"
        );
        assert!(
            invalid(mint(Mint {
                tenant: None,
                ..good()
            })),
            "no tenant"
        );
        assert!(
            invalid(mint(Mint {
                issuer: "https://evil.example",
                ..good()
            })),
            "issuer"
        );
        assert!(
            invalid(mint(Mint {
                audience: "https://other.example/mcp",
                ..good()
            })),
            "aud"
        );
        let forged = mint_hs256("another-secret-another-secret-xx", &good()).unwrap();
        assert!(invalid(format!("Bearer {forged}")), "signature");
        // `alg: none`, unsigned.
        let none = format!(
            "Bearer {}.{}.",
            base64url(r#"{"alg":"none","typ":"JWT"}"#),
            base64url(&format!(
                r#"{{"sub":"eve","exp":9999999999,"iss":"{ISS}","aud":"{AUD}","tenant":"acme","scope":"admin"}}"#
            ))
        );
        assert!(invalid(none), "alg none");
        assert!(matches!(
            v.verify(Some(&mint(Mint {
                tenant: Some("globex"),
                ..good()
            }))),
            Err(TokenError::WrongTenant { .. })
        ));
    }

    fn base64url(s: &str) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let b = s.as_bytes();
        let mut out = String::new();
        for chunk in b.chunks(3) {
            let n = chunk.iter().fold(0u32, |acc, x| (acc << 8) | u32::from(*x))
                << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    #[test]
    fn challenges_point_at_the_metadata_and_name_missing_scopes() {
        let r = verifier().challenge(&TokenError::Invalid("x".into()));
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let h = r.headers()[header::WWW_AUTHENTICATE].to_str().unwrap();
        assert!(
            h.contains(
                "resource_metadata=\"https://ads.example.com/.well-known/oauth-protected-resource\""
            ) && h.contains("invalid_token"),
            "{h}"
        );
        let r = verifier().challenge(&TokenError::InsufficientScope {
            needed: vec!["crm:gdpr".into()],
        });
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let h = r.headers()[header::WWW_AUTHENTICATE].to_str().unwrap();
        assert!(
            h.contains("error=\"insufficient_scope\"") && h.contains("scope=\"crm:gdpr\""),
            "{h}"
        );
    }

    #[test]
    fn scope_lists_parse_and_refuse_junk() {
        let s = parse_scopes("ads:approve, content:approve ads:launch").unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(parse_scopes("ads:approve,<x>").unwrap_err(), "<x>");
        let p = Principal::new(
            "bob",
            TenantId::parse("acme").unwrap(),
            Vec::<String>::new(),
        );
        let e = p.require(Scope::AdsApprove).unwrap_err().to_string();
        assert!(e.contains("ads:approve") && e.contains("bob"), "{e}");
    }

    #[test]
    fn missing_keys_issuers_and_audiences_are_config_errors() {
        let t = TenantId::parse("acme").unwrap();
        let short = AuthSettings {
            hs256_secret: Some("short".into()),
            ..settings()
        };
        assert!(
            TokenVerifier::from_settings(&short, t.clone())
                .unwrap_err()
                .contains("PROMPTSALES_JWT_SECRET")
        );
        let no_aud = AuthSettings {
            audience: None,
            ..settings()
        };
        assert!(
            TokenVerifier::from_settings(&no_aud, t.clone())
                .unwrap_err()
                .contains("PROMPTSALES_JWT_AUDIENCE")
        );
        let no_iss = AuthSettings {
            issuer: None,
            ..settings()
        };
        assert!(
            TokenVerifier::from_settings(&no_iss, t.clone())
                .unwrap_err()
                .contains("PROMPTSALES_JWT_ISSUER")
        );
        assert!(
            TokenVerifier::from_settings(&AuthSettings::default(), t)
                .unwrap()
                .is_none()
        );
    }
}
