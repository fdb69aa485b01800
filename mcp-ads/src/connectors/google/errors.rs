//! Google Ads' documented error answers read into [`ConnectorError`]s.
//!
//! A failed REST call answers `{"error": {"code", "message", "status",
//! "details": [{"@type": "…GoogleAdsFailure", "errors": [{"errorCode":
//! {"<kind>Error": "<ENUM>"}, "message", "location", "details":
//! {"quotaErrorDetails": {"retryDelay": "30s"}}}], "requestId"}]}}`
//! (<https://developers.google.com/google-ads/api/docs/best-practices/error-types>,
//! `QuotaErrorDetails`, `AuthenticationErrorEnum`, `AuthorizationErrorEnum`
//! in the v24 RPC reference).

use std::time::Duration;

use serde_json::Value;

use super::super::ConnectorError;
use super::super::http::{Verdict, verdict_of_status};
use super::{HINT, P};

/// The first `GoogleAdsError` of a failure, if the answer carries one.
fn first_error(body: &Value) -> Option<&Value> {
    body.pointer("/error/details")
        .and_then(Value::as_array)?
        .iter()
        .filter_map(|d| d.get("errors").and_then(Value::as_array))
        .flatten()
        .next()
}

/// `("quotaError", "RESOURCE_EXHAUSTED")` of an error's `errorCode`.
fn code_of(err: &Value) -> Option<(String, String)> {
    let (k, v) = err.get("errorCode")?.as_object()?.iter().next()?;
    Some((k.clone(), v.as_str().unwrap_or_default().to_owned()))
}

/// `"30s"` / `"1.5s"` (protobuf Duration in JSON) → a duration.
fn duration_of(v: &Value) -> Option<Duration> {
    let s = v.as_str()?.trim().strip_suffix('s')?;
    let secs: f64 = s.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

/// The retry delay Google asks for on a quota error.
fn retry_delay(body: &Value) -> Option<Duration> {
    first_error(body)
        .and_then(|e| e.pointer("/details/quotaErrorDetails/retryDelay"))
        .and_then(duration_of)
}

fn is_quota(body: &Value) -> bool {
    first_error(body)
        .and_then(code_of)
        .is_some_and(|(k, _)| k == "quotaError")
        || body.pointer("/error/status").and_then(Value::as_str) == Some("RESOURCE_EXHAUSTED")
}

/// How Http treats a Google answer: quota errors wait (Google's own retry
/// delay first), server errors back off, and every other error body is
/// handed back whole so [`failure`] can name the documented error code.
pub(super) fn judge(status: u16, body: &Value, retry_after: Option<Duration>) -> Verdict {
    if (200..300).contains(&status) {
        return Verdict::Ok;
    }
    if status == 429 || is_quota(body) {
        return Verdict::RateLimited(retry_delay(body).or(retry_after));
    }
    if status >= 500 {
        return Verdict::ServerError;
    }
    if body.get("error").is_some_and(Value::is_object) {
        return Verdict::Ok;
    }
    verdict_of_status(status, retry_after)
}

/// The error an answer stands for, if it is one: authentication and
/// authorization errors refuse the credentials; everything else (request,
/// field, mutate errors, an unknown version) is the platform's reason,
/// not retryable.
pub(super) fn failure(body: &Value, version: &str) -> Option<ConnectorError> {
    let e = body.get("error").filter(|e| e.is_object())?;
    let status = e
        .get("code")
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .unwrap_or(400);
    let top = e
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("Google Ads refused the request");
    let grpc = e.get("status").and_then(Value::as_str).unwrap_or_default();
    let detail = first_error(body);
    let code = detail.and_then(code_of);
    let msg = detail
        .and_then(|d| d.get("message"))
        .and_then(Value::as_str)
        .unwrap_or(top);
    let field = detail
        .and_then(|d| d.pointer("/location/fieldPathElements"))
        .and_then(Value::as_array)
        .map(|p| {
            p.iter()
                .filter_map(|x| x.get("fieldName").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(".")
        })
        .filter(|p| !p.is_empty());
    let named = match (&code, &field) {
        (Some((k, v)), Some(f)) => format!("{k} {v} at {f}: {msg}"),
        (Some((k, v)), None) => format!("{k} {v}: {msg}"),
        (None, _) => format!("{grpc} {msg}").trim().to_owned(),
    };
    let auth = matches!(
        code.as_ref().map(|(k, _)| k.as_str()),
        Some("authenticationError" | "authorizationError")
    ) || matches!(grpc, "UNAUTHENTICATED" | "PERMISSION_DENIED");
    if auth {
        return Some(ConnectorError::Unauthorized {
            platform: P,
            status,
            message: named,
            hint: HINT,
        });
    }
    let message = if status == 404 || grpc == "UNIMPLEMENTED" {
        format!(
            "{named} (is API version {version} still served? set PROMPTSALES_GOOGLE_ADS_API_VERSION \
             to a current version)"
        )
    } else {
        named
    };
    Some(ConnectorError::Http {
        platform: P,
        status,
        message,
        retryable: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn failure_of(kind: &str, value: &str, extra: Value) -> Value {
        json!({"error": {"code": 400, "message": "Request contains an invalid argument.", "status": "INVALID_ARGUMENT",
            "details": [{"@type": "type.googleapis.com/google.ads.googleads.v24.errors.GoogleAdsFailure",
                "errors": [{"errorCode": {kind: value}, "message": "The thing went wrong.", "details": extra}],
                "requestId": "r1"}]}})
    }

    #[test]
    fn quota_errors_wait_googles_retry_delay() {
        let b = failure_of(
            "quotaError",
            "RESOURCE_EXHAUSTED",
            json!({"quotaErrorDetails": {"rateScope": "ACCOUNT", "retryDelay": "30s"}}),
        );
        assert_eq!(
            judge(429, &b, None),
            Verdict::RateLimited(Some(Duration::from_secs(30)))
        );
    }

    #[test]
    fn auth_and_request_errors_are_named() {
        let b = failure_of("authenticationError", "OAUTH_TOKEN_EXPIRED", json!({}));
        assert_eq!(judge(401, &b, None), Verdict::Ok);
        let e = failure(&b, "v26").unwrap();
        assert!(matches!(
            e,
            ConnectorError::Unauthorized { status: 400, .. }
        ));
        assert!(e.to_string().contains("OAUTH_TOKEN_EXPIRED"), "{e}");
        let b = failure_of("authorizationError", "USER_PERMISSION_DENIED", json!({}));
        assert!(matches!(
            failure(&b, "v26"),
            Some(ConnectorError::Unauthorized { .. })
        ));
        let b = failure_of("requestError", "REQUIRED_FIELD_MISSING", json!({}));
        let e = failure(&b, "v26").unwrap();
        assert!(
            !e.retryable()
                && e.to_string()
                    .contains("requestError REQUIRED_FIELD_MISSING")
        );
        assert!(failure(&json!({"results": []}), "v26").is_none());
    }
}
