//! How Meta's answers are judged: token errors, throttling codes and the
//! usage headers that say when access returns, deprecated versions.

use std::time::Duration;

use serde_json::Value;

use super::super::http::{Reply, Verdict, verdict_of_status};

/// Meta's throttling error codes (rate limiting page: 4 app, 17 user, 32
/// page, 613 ad account; 80000–80014 business use case limits).
pub(super) fn throttling(code: i64) -> bool {
    matches!(code, 4 | 17 | 32 | 613 | 80_000..=80_014)
}

/// The longest wait Meta announces for this answer: the business use case
/// header's `estimated_time_to_regain_access` (minutes), the ad account
/// header's `reset_time_duration` (seconds) and `Retry-After`; None when
/// none is given (or all are zero).
pub(super) fn regain(r: &Reply<'_>) -> Option<Duration> {
    let mut secs: Vec<u64> = Vec::new();
    if let Some(Value::Object(per_business)) = r.json_header("x-business-use-case-usage") {
        for entries in per_business.values() {
            for e in entries.as_array().into_iter().flatten() {
                if let Some(m) = e
                    .get("estimated_time_to_regain_access")
                    .and_then(Value::as_f64)
                {
                    secs.push((m.max(0.0) * 60.0).round() as u64);
                }
            }
        }
    }
    if let Some(acc) = r.json_header("x-ad-account-usage")
        && let Some(s) = acc.get("reset_time_duration").and_then(Value::as_f64)
    {
        secs.push(s.max(0.0).round() as u64);
    }
    if let Some(ra) = r.retry_after {
        secs.push(ra.as_secs());
    }
    secs.into_iter()
        .max()
        .filter(|s| *s > 0)
        .map(Duration::from_secs)
}

/// Meta's verdict: 190 is a refused token whatever the status (Graph
/// answers it with 400 or 401); a throttling code waits for the time Meta
/// gives (or the backoff when it gives none); 2635, a deprecated version,
/// fails at once.
pub(super) fn judge(r: &Reply<'_>) -> Verdict {
    let code = r.body.pointer("/error/code").and_then(Value::as_i64);
    match code {
        Some(190) => Verdict::Unauthorized,
        Some(c) if throttling(c) && r.status >= 400 => match regain(r) {
            Some(wait) => Verdict::Blocked(wait),
            None => Verdict::RateLimited(None),
        },
        Some(2635) => Verdict::Fail { retryable: false },
        _ => verdict_of_status(r.status, r.retry_after),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reply<'a>(
        status: u16,
        body: &'a Value,
        headers: &'a reqwest::header::HeaderMap,
    ) -> Reply<'a> {
        Reply {
            status,
            body,
            headers,
            retry_after: None,
        }
    }

    #[test]
    fn usage_headers_give_the_wait() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(
            "x-business-use-case-usage",
            r#"{"1234":[{"type":"ads_management","call_count":100,"estimated_time_to_regain_access":3}]}"#
                .parse()
                .unwrap(),
        );
        h.insert(
            "x-ad-account-usage",
            r#"{"acc_id_util_pct":100,"reset_time_duration":40}"#
                .parse()
                .unwrap(),
        );
        let body = json!({"error": {"code": 80004, "message": "too many calls"}});
        assert_eq!(
            judge(&reply(400, &body, &h)),
            Verdict::Blocked(Duration::from_secs(180))
        );
        let none = reqwest::header::HeaderMap::new();
        assert_eq!(judge(&reply(400, &body, &none)), Verdict::RateLimited(None));
        let token = json!({"error": {"code": 190, "type": "OAuthException"}});
        assert_eq!(judge(&reply(400, &token, &none)), Verdict::Unauthorized);
        let old = json!({"error": {"code": 2635, "type": "OAuthException"}});
        assert_eq!(
            judge(&reply(400, &old, &none)),
            Verdict::Fail { retryable: false }
        );
    }
}
