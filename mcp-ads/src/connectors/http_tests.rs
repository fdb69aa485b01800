//! Tests of one platform call: retry decisions, form encoding, redaction
//! and what a failure may say.

use super::*;

#[test]
fn statuses_map_to_retry_decisions() {
    assert_eq!(verdict_of_status(201, None), Verdict::Ok);
    assert_eq!(verdict_of_status(401, None), Verdict::Unauthorized);
    assert_eq!(
        verdict_of_status(429, Some(Duration::from_secs(2))),
        Verdict::RateLimited(Some(Duration::from_secs(2)))
    );
    assert_eq!(verdict_of_status(503, None), Verdict::ServerError);
    assert_eq!(
        verdict_of_status(400, None),
        Verdict::Fail { retryable: false }
    );
}

#[test]
fn forms_are_percent_encoded() {
    let f = vec![
        ("To".to_owned(), "+57 300".to_owned()),
        ("Body".into(), "¡Hola & adiós!".into()),
    ];
    assert_eq!(
        form_encode(&f),
        "To=%2B57+300&Body=%C2%A1Hola+%26+adi%C3%B3s%21"
    );
}

#[test]
fn dry_run_redacts_secrets() {
    let c = Call::new("create", "POST", "https://x/y".into())
        .auth(Auth::Basic("sid".into(), "secret".into()))
        .header("developer-token", "dev-secret")
        .secret("developer-token")
        .form(vec![
            ("access_token".into(), "tok".into()),
            ("name".into(), "n".into()),
        ])
        .secret("access_token");
    let p = serde_json::to_string(&c.planned()).unwrap();
    assert!(
        !p.contains("secret\"") && !p.contains("dev-secret") && !p.contains("tok\""),
        "{p}"
    );
    assert!(p.contains("\"name\":\"n\""), "{p}");
}

#[test]
fn error_messages_come_from_each_platform_shape() {
    assert_eq!(
        error_message(&json!({"error": {"message": "bad token"}})),
        "bad token"
    );
    assert_eq!(
        error_message(&json!({"title": "x", "detail": "API key invalid"})),
        "API key invalid"
    );
    assert_eq!(
        error_message(&json!({"code": 20003, "message": "Authenticate"})),
        "Authenticate"
    );
}

#[test]
fn what_a_failure_says_masks_the_calls_secrets() {
    let c = Call::new(
        "read insights",
        "GET",
        "https://graph.example/v21.0/1/insights?after=x&access_token=page-token".into(),
    )
    .auth(Auth::Bearer("bearer-secret".into()))
    .query("access_token", "query-token")
    .secret("access_token");
    let secrets = c.secret_values();
    for s in ["bearer-secret", "query-token", "page-token"] {
        assert!(secrets.contains(&s), "{secrets:?}");
    }
    assert_eq!(
        scrub("token query-token is invalid", &secrets),
        "token *** is invalid"
    );
    let body = json!({"paging": {"next": "https://g/x?limit=5&access_token=EAAB123&after=y"}});
    let shown = excerpt(&body, &[]);
    assert!(
        !shown.contains("EAAB123") && shown.contains("access_token=***&after"),
        "{shown}"
    );
    assert!(excerpt(&json!("x".repeat(2000)), &[]).chars().count() <= 501);
}

#[test]
fn transport_errors_name_only_the_host() {
    assert_eq!(
        host_of("https://user:pw@graph.example:8443/v21.0/x?access_token=t"),
        "https://graph.example:8443"
    );
    assert_eq!(host_of("http://127.0.0.1:9/p"), "http://127.0.0.1:9");
}

#[test]
fn bodies_without_a_message_are_not_repeated() {
    let m = error_message(&json!("<html>502 Bad Gateway at proxy 10.0.0.7</html>"));
    assert!(!m.contains("10.0.0.7") && m.contains("no reason"), "{m}");
}
