//! Tests of the WhatsApp connector against the strict fake Graph API.

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;

use super::*;
use crate::fake_graph::{self, TOKEN};

fn cfg(base: &str, token: &str) -> WhatsappConfig {
    WhatsappConfig {
        base_url: base.into(),
        version: DEFAULT_VERSION.into(),
        phone_number_id: "1055".into(),
        token: token.into(),
        waba_id: Some("WABA1".into()),
    }
}

fn template(name: &str, language: &str, params: &[&str]) -> Content {
    Content::Template(TemplateChoice {
        name: name.into(),
        language: language.into(),
        parameters: params.iter().map(|p| (*p).to_owned()).collect(),
    })
}

#[test]
fn versions_below_the_floor_are_refused_at_configuration() {
    assert_eq!(check_version(DEFAULT_VERSION).unwrap(), DEFAULT_VERSION);
    assert!(check_version("v22.0").is_ok() && check_version("v30.1").is_ok());
    for old in ["v21.0", "v20.0", "v17.0"] {
        let e = check_version(old).unwrap_err();
        assert!(
            e.contains("PROMPTSALES_WHATSAPP_API_VERSION")
                && e.contains(old)
                && e.contains("v22.0"),
            "{e}"
        );
    }
    for bad in ["22.0", "v22", "latest", ""] {
        assert!(check_version(bad).is_err(), "{bad}");
    }
    assert!(WhatsappApi::new("https://graph.facebook.com/", "v21.0").is_err());
    assert_eq!(
        WhatsappApi::new("https://graph.facebook.com/", "v24.0")
            .unwrap()
            .base_url,
        "https://graph.facebook.com"
    );
    // The default is one the strict fake serves.
    assert!(fake_graph::ALLOWED_VERSIONS.contains(&DEFAULT_VERSION));
}

#[tokio::test]
async fn the_old_default_v21_is_rejected_by_the_platform() {
    let (base, _) = fake_graph::start().await;
    // Built around the configuration check, as an old deployment would.
    let api = WhatsappApi {
        base_url: base,
        version: "v21.0".into(),
    };
    let account = WhatsappAccount {
        phone_number_id: "1055".into(),
        token: TOKEN.into(),
        waba_id: None,
    };
    let c = Connector::new(api, Some(account)).unwrap();
    let e = c
        .send(ContactChannel::Whatsapp, "+573001234567", "Hola")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("2635") && e.contains("PROMPTSALES_WHATSAPP_API_VERSION"),
        "{e}"
    );
}

#[tokio::test]
async fn templates_are_listed_once_per_account_and_sent_with_their_parameters() {
    let (base, seen) = fake_graph::start().await;
    let c = Connector::with_whatsapp(Some(cfg(&base, TOKEN))).unwrap();
    let list = c.approved_templates(None).await.unwrap().unwrap();
    let names: Vec<_> = list.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        ["follow_up", "welcome"],
        "pending templates are left out"
    );
    c.approved_templates(None).await.unwrap().unwrap();
    let listed = |seen: &fake_graph::Seen| {
        seen.lock()
            .unwrap()
            .iter()
            .filter(|(_, p, _)| p.ends_with("message_templates"))
            .count()
    };
    assert_eq!(listed(&seen), 1, "cached per account");
    let r = c
        .send_from(
            None,
            ContactChannel::Whatsapp,
            "+573001234567",
            &template("follow_up", "es", &["Ana"]),
        )
        .await
        .unwrap();
    assert!(r.provider_message_id.unwrap().starts_with("wamid."));
    let body = seen.lock().unwrap().last().unwrap().2.clone();
    assert_eq!(body["type"], "template");
    assert_eq!(body["template"]["name"], "follow_up");
    assert_eq!(body["template"]["language"]["code"], "es");
    assert_eq!(
        body["template"]["components"][0]["parameters"][0]["text"],
        "Ana"
    );
    // The platform's documented template errors reach the caller as such.
    let e = c
        .send_from(
            None,
            ContactChannel::Whatsapp,
            "+573001234567",
            &template("nope", "es", &[]),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("132001") && e.contains("template"), "{e}");
    let e = c
        .send_from(
            None,
            ContactChannel::Whatsapp,
            "+573001234567",
            &template("follow_up", "es", &[]),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("132000"), "{e}");
    // Without a WABA id there is nothing to list.
    let mut no_waba = cfg(&base, TOKEN);
    no_waba.waba_id = None;
    let c = Connector::with_whatsapp(Some(no_waba)).unwrap();
    assert!(c.approved_templates(None).await.unwrap().is_none());
    assert!(
        Connector::sandbox()
            .approved_templates(None)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn whatsapp_sends_the_documented_request() {
    let (base, seen) = fake_graph::start().await;
    let c = Connector::with_whatsapp(Some(cfg(&base, TOKEN))).unwrap();
    assert!(c.is_live(ContactChannel::Whatsapp));
    let r = c
        .send(ContactChannel::Whatsapp, "+573001234567", "Hola Ana")
        .await
        .unwrap();
    assert_eq!(r.provider_message_id.as_deref(), Some("wamid.TEST1"));
    assert!(!r.sandbox);
    let seen = seen.lock().unwrap();
    let (_, path, body) = &seen[0];
    assert_eq!(path, &format!("{DEFAULT_VERSION}/1055/messages"));
    assert_eq!(body["messaging_product"], "whatsapp");
    assert_eq!(body["to"], "573001234567");
    assert_eq!(body["type"], "text");
    assert_eq!(body["text"]["body"], "Hola Ana");
}

#[tokio::test]
async fn a_clients_account_sends_from_its_number_and_is_checked() {
    let (base, seen) = fake_graph::start().await;
    let api = WhatsappApi::new(&base, DEFAULT_VERSION).unwrap();
    // No default account: only a client's own connection sends.
    let c = Connector::new(api, None).unwrap();
    assert!(!c.is_live(ContactChannel::Whatsapp));
    let r = c
        .send(ContactChannel::Whatsapp, "+573001234567", "x")
        .await
        .unwrap();
    assert!(r.sandbox && r.from.is_none());
    let account = WhatsappAccount {
        phone_number_id: "2077".into(),
        token: TOKEN.into(),
        waba_id: None,
    };
    let r = c
        .send_from(
            Some(&account),
            ContactChannel::Whatsapp,
            "+573001234567",
            &Content::Text("Hola".into()),
        )
        .await
        .unwrap();
    assert_eq!(r.from.as_deref(), Some("2077"));
    assert_eq!(
        seen.lock().unwrap()[0].1,
        format!("{DEFAULT_VERSION}/2077/messages")
    );
    assert!(c.check(&account).await.unwrap().contains("Café"));
    let wrong = WhatsappAccount {
        phone_number_id: "2077".into(),
        token: "nope".into(),
        waba_id: None,
    };
    let e = c.check(&wrong).await.unwrap_err();
    assert!(e.contains("401") && !e.contains("nope"), "{e}");
    assert!(!format!("{wrong:?}").contains("nope"));
    let e = Connector::sandbox().check(&account).await.unwrap_err();
    assert!(e.contains("sandbox"), "{e}");
}

#[tokio::test]
async fn provider_errors_are_reported_and_sandbox_sends_nothing() {
    let (base, seen) = fake_graph::start().await;
    let c = Connector::with_whatsapp(Some(cfg(&base, "wrong"))).unwrap();
    let e = c
        .send(ContactChannel::Whatsapp, "+573001234567", "x")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("HTTP 401") && e.contains("credentials"), "{e}");
    // Neither the provider's text nor the token reaches the client.
    assert!(!e.contains("Invalid OAuth") && !e.contains("wrong"), "{e}");
    let s = Connector::sandbox();
    let r = s
        .send(ContactChannel::Whatsapp, "+573001234567", "x")
        .await
        .unwrap();
    assert!(r.sandbox && r.provider_message_id.is_none());
    // Email has no live connector: always sandboxed.
    let r = c.send(ContactChannel::Email, "a@b.co", "x").await.unwrap();
    assert!(r.sandbox);
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn an_unreachable_api_names_no_url() {
    let c = Connector::with_whatsapp(Some(cfg("http://127.0.0.1:9", "tok"))).unwrap();
    let e = c
        .send(ContactChannel::Whatsapp, "+573001234567", "x")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "unavailable");
    let e = e.to_string();
    assert!(!e.contains("127.0.0.1") && !e.contains("1055"), "{e}");
    assert!(refusal(503, None).contains("may or may not"));
    assert!(refusal(400, Some(100)).contains("HTTP 400, code 100"));
    assert!(refusal(400, Some(131047)).contains("template"));
}

/// A provider that misbehaves: `/slow` never answers, `/huge` answers
/// with more than the cap, `/echo` fails with the request in its text.
async fn misbehaving() -> String {
    let app = axum::Router::new()
        .route(
            "/slow/v25.0/1055/messages",
            post(|| async {
                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                "late"
            }),
        )
        .route(
            "/huge/v25.0/1055/messages",
            post(|| async {
                let pad = "x".repeat(MAX_RESPONSE_BYTES * 2);
                Json(json!({"messages": [{"id": "wamid.BIG"}], "pad": pad}))
            }),
        )
        .route(
            "/echo/v25.0/1055/messages",
            post(|headers: HeaderMap| async move {
                let auth = headers["authorization"].to_str().unwrap().to_owned();
                (
                    StatusCode::BAD_GATEWAY,
                    Json(json!({"error": {"message": format!("upstream said {auth}"), "code": 1}})),
                )
            }),
        );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn timeouts_size_caps_and_5xx_never_leak_the_token_or_the_url() {
    let base = misbehaving().await;
    let secret = "EAAG-secret-token";
    let limited = |path: &str| {
        let (api, account) = cfg(&format!("{base}/{path}"), secret).split();
        Connector::with_limits(
            api,
            Some(account),
            std::time::Duration::from_millis(200),
            std::time::Duration::from_millis(400),
        )
        .unwrap()
    };
    let started = std::time::Instant::now();
    let e = limited("slow")
        .send(ContactChannel::Whatsapp, "+573001234567", "x")
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "the total timeout holds"
    );
    assert_eq!(e.kind(), "unavailable");
    let huge = limited("huge")
        .send(ContactChannel::Whatsapp, "+573001234567", "x")
        .await
        .unwrap_err();
    assert_eq!(
        huge.kind(),
        "unavailable",
        "an over-cap answer is not trusted"
    );
    let echo = limited("echo")
        .send(ContactChannel::Whatsapp, "+573001234567", "x")
        .await
        .unwrap_err();
    assert!(echo.to_string().contains("HTTP 502"), "{echo}");
    for err in [e, huge, echo] {
        let m = err.to_string();
        for leak in [secret, "127.0.0.1", "1055", "/messages"] {
            assert!(!m.contains(leak), "{leak} in {m}");
        }
    }
    let shown = format!("{:?}", cfg(&base, secret));
    assert!(
        !shown.contains(secret) && shown.contains("[redacted]"),
        "{shown}"
    );
}
