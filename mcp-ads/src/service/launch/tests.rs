//! Launch wiring against a recording Graph fake, on every backend: the
//! approved copy reaches Meta whole, a channel lacking what Meta needs (or
//! an ad account in another currency) refuses the launch before anything
//! is created.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, Uri};
use chrono::NaiveDate;
use promptsales_server::auth::Principal;
use promptsales_shared::domain::{Channel, TenantId};
use serde_json::{Value, json};

use super::Confirmation;
use crate::connectors::Connectors;
use crate::domain::Objective;
use crate::service::{
    AdsService, AppError, AssetCheck, CampaignInput, ContentSource, ReadFut, today,
};
use crate::store::AdsStore;

const BODY: &str = "Tu MBA en Los Andes, a tu ritmo: clases en línea y presenciales en Bogotá, \
    profesores con experiencia en empresas de la región, un semestre de intercambio opcional, \
    becas para quienes trabajan y un plan de pagos mensual sin intereses. Inscripciones abiertas \
    hasta el 30 de marzo; el primer módulo empieza en abril y puedes probarlo sin compromiso.";

/// One approved copy asset and one approved image, both the client's.
struct Library;

impl ContentSource for Library {
    fn usability<'a>(
        &'a self,
        _tenant: &'a TenantId,
        _asset_id: &'a str,
        _channel: Channel,
        _from: NaiveDate,
        _to: NaiveDate,
    ) -> ReadFut<'a, AssetCheck> {
        Box::pin(async {
            Ok(AssetCheck {
                version: 2,
                status: "approved".into(),
                usable: true,
                reasons: Vec::new(),
            })
        })
    }

    fn copy<'a>(
        &'a self,
        _tenant: &'a TenantId,
        asset_id: &'a str,
    ) -> ReadFut<'a, Option<content_read::AssetCopy>> {
        use content_read::domain::{AssetFormat, AssetStatus, FieldValue};
        let field = |name: &str, text: &str| FieldValue {
            name: name.into(),
            text: text.into(),
        };
        let copy = if asset_id == "ast_img" {
            content_read::AssetCopy {
                asset_id: asset_id.into(),
                client_id: "cli_1".into(),
                version: 1,
                status: AssetStatus::Approved,
                format: AssetFormat::Image,
                title: None,
                body: "https://cdn.andes.example/mba.jpg".into(),
                fields: Vec::new(),
            }
        } else {
            content_read::AssetCopy {
                asset_id: asset_id.into(),
                client_id: "cli_1".into(),
                version: 2,
                status: AssetStatus::Approved,
                format: AssetFormat::AdCopy,
                title: Some("MBA".into()),
                body: BODY.into(),
                fields: vec![
                    field("headline", "MBA Andes"),
                    field("description", "Clases en Bogotá"),
                ],
            }
        };
        Box::pin(async move { Ok(Some(copy)) })
    }
}

type Seen = Arc<Mutex<Vec<(String, String, String)>>>;

#[derive(Clone)]
struct Fake {
    seen: Seen,
    currency: &'static str,
}

async fn graph(State(f): State<Fake>, method: Method, uri: Uri, body: Bytes) -> axum::Json<Value> {
    let path = uri.path().to_owned();
    f.seen.lock().unwrap().push((
        method.to_string(),
        path.clone(),
        String::from_utf8_lossy(&body).into_owned(),
    ));
    axum::Json(if method == Method::GET {
        json!({"id": "act_123", "currency": f.currency, "account_status": 1})
    } else if ["/campaigns", "/adsets", "/adcreatives", "/ads"]
        .iter()
        .any(|s| path.ends_with(s))
    {
        json!({"id": format!("9{}", f.seen.lock().unwrap().len())})
    } else {
        json!({"success": true})
    })
}

async fn fake(currency: &'static str) -> (Seen, String) {
    let seen = Seen::default();
    let app = axum::Router::new().fallback(graph).with_state(Fake {
        seen: seen.clone(),
        currency,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (seen, base)
}

fn meta(base: &str, page: bool) -> Connectors {
    let mut vars = vec![
        ("PROMPTSALES_META_ACCESS_TOKEN", "EAAB-token".to_owned()),
        ("PROMPTSALES_META_AD_ACCOUNT_ID", "123".to_owned()),
        ("PROMPTSALES_META_BASE_URL", base.to_owned()),
        ("PROMPTSALES_META_LEAD_FORM_ID", "form5".to_owned()),
        ("PROMPTSALES_META_INSTAGRAM_USER_ID", "ig7".to_owned()),
    ];
    if page {
        vars.push(("PROMPTSALES_META_PAGE_ID", "page9".to_owned()));
    }
    Connectors::from_lookup(&|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
}

fn who(name: &str, scopes: &[&str]) -> Principal {
    Principal::new(
        name,
        TenantId::parse("t1").unwrap(),
        scopes.iter().map(|s| s.to_string()),
    )
}

/// An approved COP leads campaign on Meta and Instagram: 30,000,000 COP
/// over ten days, 3,000,000 COP a day between the two.
async fn approved(svc: &AdsService, name: &str) -> String {
    let ana = who("ana", &[]);
    let bob = who("bob", &["ads:approve"]);
    let start = today();
    let c = svc
        .create_campaign(
            &ana,
            CampaignInput {
                client_id: Some("cli_1".into()),
                name: Some(name.into()),
                objective: Some(Objective::Leads),
                budget_cents: Some(3_000_000_000),
                currency: Some("COP".into()),
                start_date: Some(start.to_string()),
                end_date: Some((start + chrono::Duration::days(9)).to_string()),
                channels: Some(vec![Channel::Meta, Channel::Instagram]),
                countries: Some(vec!["CO".into()]),
                ..CampaignInput::default()
            },
        )
        .await
        .unwrap();
    let id = c.campaign.id.as_str().to_owned();
    svc.attach_content(&ana, &id, "ast_copy", &[Channel::Meta, Channel::Instagram])
        .await
        .unwrap();
    svc.attach_content(&ana, &id, "ast_img", &[Channel::Instagram])
        .await
        .unwrap();
    svc.submit(&ana, &id, None).await.unwrap();
    svc.approve(&bob, &id, None).await.unwrap();
    id
}

async fn launch(svc: &AdsService, id: &str) -> Result<super::LaunchResult, AppError> {
    let carol = who("carol", &["ads:launch"]);
    svc.launch(
        &carol,
        id,
        &format!("k-{id}"),
        Confirmation::NotAsked("test".into()),
    )
    .await
}

fn form(body: &str) -> std::collections::HashMap<String, String> {
    body.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            let v = v.replace('+', " ");
            let mut out = Vec::new();
            let b = v.as_bytes();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'%' {
                    out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).unwrap());
                    i += 3;
                } else {
                    out.push(b[i]);
                    i += 1;
                }
            }
            (k.to_owned(), String::from_utf8(out).unwrap())
        })
        .collect()
}

async fn scenarios(db: &promptsales_shared::db::Db) {
    // No page: the whole launch is refused before any call, naming each
    // channel and what it lacks; the dry run says the same.
    let (seen, base) = fake("COP").await;
    let svc = AdsService::new(AdsStore::new(db.clone()))
        .with_content(Arc::new(Library))
        .with_connectors(meta(&base, false));
    let id = approved(&svc, "No page").await;
    let e = launch(&svc, &id).await.unwrap_err();
    assert_eq!(e.kind(), "conflict");
    let shown = e.to_string();
    assert!(
        shown.contains("meta lacks")
            && shown.contains("instagram lacks")
            && shown.contains("Facebook Page"),
        "{shown}"
    );
    let carol = who("carol", &["ads:launch"]);
    let e = svc.launch_preview(&carol, &id).await.unwrap_err();
    assert!(e.to_string().contains("Facebook Page"), "{e}");
    assert!(seen.lock().unwrap().is_empty(), "nothing was sent");

    // An ad account in USD: refused after the account read, nothing created.
    let (seen, base) = fake("USD").await;
    let svc = AdsService::new(AdsStore::new(db.clone()))
        .with_content(Arc::new(Library))
        .with_connectors(meta(&base, true));
    let id = approved(&svc, "Dollars").await;
    let e = launch(&svc, &id).await.unwrap_err().to_string();
    assert!(
        e.contains("USD") && e.contains("COP") && e.contains("Nothing was created"),
        "{e}"
    );
    assert!(
        seen.lock().unwrap().iter().all(|(m, _, _)| m == "GET"),
        "only the account was read"
    );

    // Complete: the approved copy goes out whole, budgets in whole pesos.
    let (seen, base) = fake("COP").await;
    let svc = AdsService::new(AdsStore::new(db.clone()))
        .with_content(Arc::new(Library))
        .with_connectors(meta(&base, true));
    let id = approved(&svc, "Complete").await;
    let r = launch(&svc, &id).await.unwrap();
    assert!(
        r.channels.iter().all(|c| c.outcome == "launched"),
        "{:?}",
        r.channels
    );
    let seen = seen.lock().unwrap().clone();
    let adsets: Vec<_> = seen
        .iter()
        .filter(|(_, p, _)| p.ends_with("/adsets"))
        .map(|(_, _, b)| form(b))
        .collect();
    assert_eq!(adsets.len(), 2);
    // Each channel's share a day, in whole pesos (COP has Meta offset 1).
    for (a, ch) in adsets.iter().zip(&r.channels) {
        assert_eq!(a["daily_budget"], (ch.daily_budget_cents / 100).to_string());
    }
    let per_day: i64 = adsets
        .iter()
        .map(|a| a["daily_budget"].parse::<i64>().unwrap())
        .sum();
    assert!((2_999_990..=3_000_000).contains(&per_day), "{per_day}");
    let stories: Vec<Value> = seen
        .iter()
        .filter(|(_, p, _)| p.ends_with("/adcreatives"))
        .map(|(_, _, b)| serde_json::from_str(&form(b)["object_story_spec"]).unwrap())
        .collect();
    assert_eq!(
        stories[0]["link_data"]["message"], BODY,
        "the whole body, not an excerpt"
    );
    assert_eq!(stories[0]["link_data"]["name"], "MBA Andes");
    assert!(stories[0]["link_data"].get("picture").is_none());
    assert_eq!(
        stories[1]["link_data"]["picture"],
        "https://cdn.andes.example/mba.jpg"
    );
    assert_eq!(stories[1]["instagram_user_id"], "ig7");
}

#[tokio::test]
async fn launches_carry_the_approved_copy_and_refuse_what_meta_would() {
    for t in promptsales_shared::testing::backends(&ads_read::MIGRATIONS)
        .await
        .unwrap()
    {
        scenarios(&t.db).await;
        t.cleanup().await;
    }
}
