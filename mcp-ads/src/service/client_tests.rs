//! The agency's clients as a boundary, on every backend: no approval or
//! launch without usable creatives (or a waiver), the client's plan at
//! launch and resume, and each client's own sealed connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::NaiveDate;
use promptsales_catalog::{
    CatalogReader, CatalogWriter, Client, Limit, LimitKind, Plan, SubCompany,
};
use promptsales_server::auth::Principal;
use promptsales_shared::crypto::Crypto;
use promptsales_shared::domain::{Channel, ClientId, Country, Currency, TenantId};
use promptsales_shared::testing::TestDb;

use super::trust_tests::waive;
use super::*;
use crate::connectors::Secrets;
use crate::store::AdsStore;

fn who(name: &str, scopes: &[&str]) -> Principal {
    Principal::new(
        name,
        TenantId::parse("t1").unwrap(),
        scopes.iter().map(|s| s.to_string()),
    )
}

/// Assets whose approval can be withdrawn between approval and launch.
struct Library {
    approved: Arc<AtomicBool>,
}

impl ContentSource for Library {
    fn usability<'a>(
        &'a self,
        _tenant: &'a TenantId,
        asset_id: &'a str,
        _channel: Channel,
        _from: NaiveDate,
        _to: NaiveDate,
    ) -> ReadFut<'a, AssetCheck> {
        Box::pin(async move {
            if asset_id == "ast_gone" {
                return Err(AppError::not_found("asset", asset_id));
            }
            let ok = self.approved.load(Ordering::SeqCst) && asset_id != "ast_draft";
            Ok(AssetCheck {
                version: 1,
                status: if ok { "approved" } else { "draft" }.into(),
                usable: ok,
                reasons: if ok {
                    Vec::new()
                } else {
                    vec![format!("asset {asset_id} is draft, not approved")]
                },
            })
        })
    }

    fn summary<'a>(
        &'a self,
        _tenant: &'a TenantId,
        asset_id: &'a str,
    ) -> ReadFut<'a, Option<content_read::AssetSummary>> {
        use content_read::domain::{AssetFormat, AssetStatus, Language};
        Box::pin(async move {
            Ok(Some(content_read::AssetSummary {
                asset_id: asset_id.to_owned(),
                client_id: "cli_1".into(),
                version: 1,
                status: AssetStatus::Approved,
                channel: Channel::Meta,
                format: AssetFormat::SocialPost,
                language: Language::Es,
                title: Some("Lluvia".into()),
                excerpt: "Chaquetas para la lluvia".into(),
                fields: Vec::new(),
            }))
        })
    }
}

fn input(name: &str, client: &str, budget: i64, currency: &str) -> CampaignInput {
    let start = today();
    CampaignInput {
        client_id: Some(client.into()),
        name: Some(name.into()),
        objective: Some(Objective::Leads),
        budget_cents: Some(budget),
        currency: Some(currency.into()),
        start_date: Some(start.to_string()),
        end_date: Some((start + chrono::Duration::days(9)).to_string()),
        channels: Some(vec![Channel::Meta, Channel::Email]),
        countries: Some(vec!["CO".into()]),
        subject: Some("Hola".into()),
        message: Some("Compra hoy".into()),
        ..CampaignInput::default()
    }
}

async fn creatives(svc: &AdsService, approved: &AtomicBool) {
    let ana = who("ana", &[]);
    let bob = who("bob", &["ads:approve", "ads:launch"]);
    let c = svc
        .create_campaign(&ana, input("Creatives", "cli_1", 123_456_700, "COP"))
        .await
        .unwrap();
    let id = c.campaign.id.as_str().to_owned();
    svc.attach_content(&ana, &id, "ast_rain", &[Channel::Meta])
        .await
        .unwrap();
    svc.submit(&ana, &id, None).await.unwrap();

    // Email has nothing: refused, naming the channel and the way out.
    let e = svc.approve(&bob, &id, None).await.unwrap_err();
    assert_eq!(e.kind(), "conflict");
    let e = e.to_string();
    assert!(
        e.contains("email: no creative attached") && !e.contains("meta:") && e.contains("waivers"),
        "{e}"
    );
    // Waivers are checked: a campaign channel, once, needing one, with a note.
    for (w, field) in [
        (waive(&[Channel::Tiktok]), "`waivers`"),
        (waive(&[Channel::Meta]), "`waivers`"),
        (waive(&[Channel::Email, Channel::Email]), "`waivers`"),
        (
            vec![CreativeWaiver {
                channel: Channel::Email,
                note: "  ".into(),
            }],
            "`note`",
        ),
    ] {
        let e = svc.approve_with(&bob, &id, None, &w).await.unwrap_err();
        assert!(e.to_string().contains(field), "{e}");
    }
    let v = svc.view(&ana.tenant, &id).await.unwrap();
    assert_eq!(v.campaign.status, CampaignStatus::PendingApproval);
    // The view shows the copy, the budget in pesos and what blocks.
    let meta = v
        .creatives
        .iter()
        .find(|c| c.channel == Channel::Meta)
        .unwrap();
    assert!(meta.ready);
    let copy = meta.assets[0].copy.as_ref().unwrap();
    assert_eq!(copy.excerpt, "Chaquetas para la lluvia");
    assert_eq!(v.budget_plan.total, "1.234.567 COP");
    assert_eq!(v.budget_plan.decimals, 0);
    let a = svc.approval_view(&ana.tenant, &id).await.unwrap();
    assert!(!a.creatives_ready);
    assert_eq!(a.blockers, ["email: no creative attached"]);

    let ok = svc
        .approve_with(&bob, &id, Some("go".into()), &waive(&[Channel::Email]))
        .await
        .unwrap();
    assert_eq!(ok.campaign.status, CampaignStatus::Approved);
    assert_eq!(ok.waivers.len(), 1);
    assert_eq!(
        (ok.waivers[0].channel, ok.waivers[0].by.as_str()),
        (Channel::Email, "bob")
    );
    let email = ok
        .creatives
        .iter()
        .find(|c| c.channel == Channel::Email)
        .unwrap();
    assert!(email.ready && email.waiver.is_some());
    let waived: Vec<&str> = ok
        .history
        .iter()
        .filter(|e| e.action == "waive_creative")
        .filter_map(|e| e.note.as_deref())
        .collect();
    assert_eq!(waived, ["email: copy approved offline"]);

    // Launch checks again: the Meta copy lost its approval meanwhile.
    approved.store(false, Ordering::SeqCst);
    let e = svc
        .launch(&bob, &id, "k1", Confirmation::NotAsked("test".into()))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("cannot launch") && e.contains("meta:") && e.contains("ast_rain"),
        "{e}"
    );
    let e = svc.launch_preview(&bob, &id).await.unwrap_err().to_string();
    assert!(e.contains("cannot launch"), "{e}");
    assert!(
        svc.store()
            .publications(&ana.tenant, &c.campaign.id)
            .await
            .unwrap()
            .is_empty(),
        "nothing was published"
    );
    approved.store(true, Ordering::SeqCst);
    let l = svc
        .launch(&bob, &id, "k2", Confirmation::NotAsked("test".into()))
        .await
        .unwrap();
    assert_eq!(l.status, CampaignStatus::Active);
}

fn plan(active: i64, spend: i64, currency: &str) -> Plan {
    Plan {
        id: "ads_starter".into(),
        context: SubCompany::Ads,
        name: "Starter".into(),
        limits: vec![
            Limit {
                kind: LimitKind::ActiveCampaigns,
                value: active,
                currency: None,
            },
            Limit {
                kind: LimitKind::MonthlyAdSpend,
                value: spend,
                currency: Some(Currency::parse(currency).unwrap()),
            },
        ],
    }
}

async fn catalog(t: &TestDb) -> CatalogReader {
    let db = t.open(&promptsales_catalog::MIGRATIONS).await.unwrap();
    let w = CatalogWriter::new(db.clone());
    let tenant = TenantId::parse("t1").unwrap();
    for id in ["cli_1", "cli_2"] {
        w.upsert_client(
            &tenant,
            &Client::new(
                ClientId::parse(id).unwrap(),
                id,
                "retail",
                Country::parse("CO").unwrap(),
            ),
        )
        .await
        .unwrap();
    }
    // Two campaigns at once, 10,000.00 USD a month.
    w.upsert_plan(&tenant, &plan(2, 1_000_000, "USD"))
        .await
        .unwrap();
    w.assign_plan(&tenant, &ClientId::parse("cli_1").unwrap(), "ads_starter")
        .await
        .unwrap();
    CatalogReader::new(db)
}

/// A campaign created by ana and approved by bob (creatives waived).
async fn approved(svc: &AdsService, name: &str, client: &str, budget: i64, cur: &str) -> String {
    let ana = who("ana", &[]);
    let bob = who("bob", &["ads:approve"]);
    let c = svc
        .create_campaign(&ana, input(name, client, budget, cur))
        .await
        .unwrap();
    let id = c.campaign.id.as_str().to_owned();
    svc.submit(&ana, &id, None).await.unwrap();
    svc.approve_with(&bob, &id, None, &waive(&[Channel::Meta, Channel::Email]))
        .await
        .unwrap();
    id
}

async fn launch(svc: &AdsService, id: &str) -> Result<LaunchResult, AppError> {
    let carol = who("carol", &["ads:launch"]);
    svc.launch(
        &carol,
        id,
        &format!("k-{id}"),
        Confirmation::NotAsked("test".into()),
    )
    .await
}

async fn tiers(svc: &AdsService) {
    let t = TenantId::parse("t1").unwrap();
    let carol = who("carol", &["ads:launch"]);
    // 6,000.00 USD over ten days from today.
    let one = approved(svc, "One", "cli_1", 600_000, "USD").await;
    launch(svc, &one).await.unwrap();
    let u = svc.usage(&t, "cli_1").await.unwrap();
    assert_eq!(u.plan.as_deref(), Some("ads_starter"));
    let active = &u.lines[0];
    assert_eq!(
        (active.kind, active.used, active.limit),
        (LimitKind::ActiveCampaigns, 1, Some(2))
    );
    let spend = &u.lines[1];
    assert_eq!(
        (spend.kind, spend.limit),
        (LimitKind::MonthlyAdSpend, Some(1_000_000))
    );
    assert!(
        spend.used <= 600_000 && spend.resets_at.is_some(),
        "{spend:?}"
    );
    // Another currency: refused, no rate; nothing launched.
    let pesos = approved(svc, "Pesos", "cli_1", 600_000, "COP").await;
    let e = launch(svc, &pesos).await.unwrap_err().to_string();
    assert!(e.contains("exchange rate"), "{e}");
    // Over the monthly spend (a tenth of 200,000.00 USD is already more
    // than the month allows, whatever today is): refused with the numbers.
    let big = approved(svc, "Big", "cli_1", 20_000_000, "USD").await;
    let e = launch(svc, &big).await.unwrap_err();
    assert_eq!(e.kind(), "quota_exceeded", "{e}");
    let e = e.to_string();
    assert!(
        e.contains("ad spend under management this month")
            && e.contains("limit 10,000.00 USD")
            && e.contains("resets"),
        "{e}"
    );
    let two = approved(svc, "Two", "cli_1", 100_000, "USD").await;
    launch(svc, &two).await.unwrap();
    let three = approved(svc, "Three", "cli_1", 100_000, "USD").await;
    let e = launch(svc, &three).await.unwrap_err().to_string();
    assert!(
        e.contains(
            "active campaigns for client cli_1 (plan Starter): 2 used + 1 requested > limit 2"
        ),
        "{e}"
    );
    // Another client has no plan: nothing limits it.
    let elsewhere = approved(svc, "Elsewhere", "cli_2", 9_000_000, "USD").await;
    launch(svc, &elsewhere).await.unwrap();
    // Room again once one pauses; resuming it then is refused.
    svc.platform_action(&carol, &one, PlatformMove::Pause, false)
        .await
        .unwrap();
    launch(svc, &three).await.unwrap();
    let e = svc
        .platform_action(&carol, &one, PlatformMove::Resume, false)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("quota exceeded: active campaigns"), "{e}");
}

fn key() -> Crypto {
    Crypto::new(&[7u8; 32]).unwrap()
}

async fn connections(svc: &AdsService, db: &promptsales_shared::db::Db) {
    let admin = who("root", &["admin"]);
    let ana = who("ana", &[]);
    let req = |client: &str, account: &str, token: &str| SetConnectionRequest {
        client_id: client.into(),
        channel: Channel::Meta,
        account: crate::connectors::Account {
            ad_account_id: Some(account.into()),
            page_id: Some("555".into()),
            ..Default::default()
        },
        secrets: Secrets {
            access_token: Some(token.into()),
            ..Secrets::default()
        },
        expires_at: Some((today() + chrono::Duration::days(3)).to_string()),
    };
    let e = svc
        .set_connection(&ana, req("cli_1", "111", "EAAB-one-secret"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("admin"), "{e}");
    let v = svc
        .set_connection(&admin, req("cli_1", "act_111", "EAAB-one-secret"))
        .await
        .unwrap();
    assert_eq!(v.account.ad_account_id.as_deref(), Some("111"));
    assert_eq!(
        (v.credential_set, v.status),
        (true, ConnectionStatus::Expiring)
    );
    assert!(
        v.expires_in_days.is_some_and(|d| (1..=3).contains(&d)),
        "{v:?}"
    );
    svc.set_connection(&admin, req("cli_2", "222", "EAAB-two-secret"))
        .await
        .unwrap();
    // The secret is sealed at rest and shown nowhere.
    let stored: Vec<String> = sqlx::query_scalar("SELECT credentials FROM connections ORDER BY id")
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert!(
        stored
            .iter()
            .all(|c| c.starts_with("v2:") && !c.contains("EAAB"))
    );
    let list = svc
        .list_connections(&admin, None, None, None)
        .await
        .unwrap();
    let shown = serde_json::to_string(&list).unwrap();
    assert!(!shown.contains("EAAB"), "{shown}");
    assert_eq!(list.connections.len(), 2);
    assert_eq!(list.alerts.len(), 2, "{:?}", list.alerts);
    assert!(
        svc.list_connections(&admin, None, None, Some(1))
            .await
            .unwrap()
            .connections
            .is_empty()
    );
    // A rotated token alone keeps the account; the other client's stays.
    let rotated = svc
        .set_connection(
            &admin,
            SetConnectionRequest {
                client_id: "cli_1".into(),
                channel: Channel::Meta,
                account: Default::default(),
                secrets: Secrets {
                    access_token: Some("EAAB-one-rotated".into()),
                    ..Secrets::default()
                },
                expires_at: Some(String::new()),
            },
        )
        .await
        .unwrap();
    assert_eq!(rotated.account.page_id.as_deref(), Some("555"));
    assert_eq!(
        (rotated.status, rotated.expires_at),
        (ConnectionStatus::Ready, None)
    );
    // Routes: each client its own account; Instagram follows Meta; no
    // connection: the environment's (here none: the sandbox).
    let t = &admin.tenant;
    let c1 = ClientId::parse("cli_1").unwrap();
    let r = svc.route(t, &c1, Channel::Instagram).await.unwrap();
    assert_eq!(
        (r.source, r.connection_id.as_deref()),
        ("connection", Some(rotated.id.as_str()))
    );
    let r = svc.route(t, &c1, Channel::Tiktok).await.unwrap();
    assert_eq!((r.source, r.connector.sandbox()), ("sandbox", true));
    // Whatsapp numbers belong to the CRM.
    let e = svc
        .test_connection(&admin, "cli_1", Channel::Whatsapp)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("mcp-crm"), "{e}");
    // A sandbox test passes and says so.
    let tt = svc
        .test_connection(&admin, "cli_1", Channel::Tiktok)
        .await
        .unwrap();
    assert!(tt.ok && tt.source == "sandbox", "{tt:?}");
    // Another key cannot open them: the route fails the channel, never
    // falling back to another account.
    let other = AdsService::new(svc.store().clone()).with_crypto(Crypto::new(&[9u8; 32]).unwrap());
    let r = other.route(t, &c1, Channel::Meta).await.unwrap();
    let req = crate::connectors::PublishRequest {
        campaign_id: "cmp_x".into(),
        name: "x".into(),
        objective: Objective::Leads,
        channel: Channel::Meta,
        countries: vec![Country::parse("CO").unwrap()],
        currency: Currency::parse("USD").unwrap(),
        budget_cents: 100,
        daily_budget_cents: 10,
        start: today(),
        end: today(),
        subject: None,
        message: None,
        recipients: Vec::new(),
        landing_url: None,
        creative: None,
    };
    let e = r
        .connector
        .publish_paused(&req)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("cannot be read") && r.source == "connection",
        "{e}"
    );
}

#[tokio::test]
async fn creatives_tiers_and_connections_on_every_backend() {
    for t in promptsales_shared::testing::backends(&ads_read::MIGRATIONS)
        .await
        .unwrap()
    {
        let approved = Arc::new(AtomicBool::new(true));
        let svc = AdsService::new(AdsStore::new(t.db.clone()))
            .with_content(Arc::new(Library {
                approved: approved.clone(),
            }))
            .with_crypto(key());
        creatives(&svc, &approved).await;
        connections(&svc, &t.db).await;
        t.cleanup().await;
    }
    for t in promptsales_shared::testing::backends(&ads_read::MIGRATIONS)
        .await
        .unwrap()
    {
        let svc = AdsService::new(AdsStore::new(t.db.clone())).with_catalog(catalog(&t).await);
        tiers(&svc).await;
        t.cleanup().await;
    }
}
