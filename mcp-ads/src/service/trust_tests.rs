//! Money movement on every backend: scopes checked by the service itself,
//! four eyes on campaigns and change sets, one launch per campaign (claims,
//! stale takeover, unfinished publications finished, keys never left
//! running) and the spend caps on resume.

use std::time::Duration;

use promptsales_server::auth::Principal;
use promptsales_shared::domain::{Channel, TenantId};
use promptsales_shared::time::now_ts;

use super::*;
use crate::caps::Cap;
use crate::store::{AdsStore, CampaignClaim};

fn who(name: &str, scopes: &[&str]) -> Principal {
    Principal::new(
        name,
        TenantId::parse("t1").unwrap(),
        scopes.iter().map(|s| s.to_string()),
    )
}

fn input(name: &str) -> CampaignInput {
    let start = today();
    CampaignInput {
        client_id: Some("cli_1".into()),
        name: Some(name.into()),
        objective: Some(Objective::Sales),
        // 6,000.00 COP over 10 days: 600.00 COP/day.
        budget_cents: Some(600_000),
        currency: Some("COP".into()),
        start_date: Some(start.to_string()),
        end_date: Some((start + chrono::Duration::days(9)).to_string()),
        channels: Some(vec![Channel::Meta, Channel::Sms]),
        countries: Some(vec!["CO".into()]),
        message: Some("Hola".into()),
        sms_recipients: Some(vec!["+573001112233".into()]),
        ..CampaignInput::default()
    }
}

const NOT: Confirmation = Confirmation::Elicited;

fn denied(r: Result<impl std::fmt::Debug, AppError>, scope: &str) {
    match r {
        Err(AppError::PermissionDenied(m)) => assert!(m.contains(scope), "{m}"),
        other => panic!("expected a refusal naming {scope}, got {other:?}"),
    }
}

/// Waivers of `channels` (these tests are about money, not creatives).
pub(super) fn waive(channels: &[Channel]) -> Vec<CreativeWaiver> {
    channels
        .iter()
        .map(|c| CreativeWaiver {
            channel: *c,
            note: "copy approved offline".into(),
        })
        .collect()
}

/// A campaign created by `ana`, approved by `bob` (creatives waived).
async fn approved(svc: &AdsService, name: &str) -> String {
    let ana = who("ana", &[]);
    let bob = who("bob", &["ads:approve"]);
    let c = svc.create_campaign(&ana, input(name)).await.unwrap();
    let id = c.campaign.id.as_str().to_owned();
    svc.submit(&ana, &id, None).await.unwrap();
    svc.approve_with(&bob, &id, None, &waive(&[Channel::Meta, Channel::Sms]))
        .await
        .unwrap();
    id
}

async fn scopes_and_four_eyes(svc: &AdsService) {
    let ana = who("ana", &[]);
    let bob = who("bob", &["ads:approve"]);
    let carol = who("carol", &["ads:approve", "ads:launch"]);
    let c = svc.create_campaign(&ana, input("Four eyes")).await.unwrap();
    let id = c.campaign.id.as_str().to_owned();
    assert_eq!(c.last_edited_by.as_deref(), Some("ana"));

    // Bob edits Ana's draft, then may not approve it; nor may Ana.
    let v = svc
        .update_campaign(
            &bob,
            &id,
            CampaignInput {
                name: Some("Four eyes v2".into()),
                ..CampaignInput::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (v.created_by.as_deref(), v.last_edited_by.as_deref()),
        (Some("ana"), Some("bob"))
    );
    svc.submit(&ana, &id, None).await.unwrap();
    denied(svc.approve(&ana, &id, None).await, "ads:approve");
    let e = svc.approve(&bob, &id, None).await.unwrap_err().to_string();
    assert!(
        e.contains("bob last edited") && e.contains("four eyes") && e.contains("ana, bob"),
        "{e}"
    );
    let ana_approver = who("ana", &["ads:approve"]);
    let e = svc
        .approve(&ana_approver, &id, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("ana created"), "{e}");
    // Attaching content is an edit too (a pending campaign accepts it).
    svc.attach_content(&carol, &id, "ast_ok", &[Channel::Meta])
        .await
        .unwrap();
    let e = svc
        .approve(&carol, &id, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("carol last edited"), "{e}");
    assert_eq!(
        svc.view(&ana.tenant, &id).await.unwrap().campaign.status,
        CampaignStatus::PendingApproval,
        "refused approvals change nothing"
    );
    // The store holds the line even without the service's check.
    let e = svc
        .store()
        .transition(
            &ana.tenant,
            &c.campaign.id,
            crate::store::Move {
                actor: "carol",
                action: "approve",
                from: CampaignStatus::PendingApproval,
                to: CampaignStatus::Approved,
                note: None,
            },
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("edited meanwhile"), "{e}");
    let dave = who("dave", &["ads:approve"]);
    // Meta has approved copy; SMS has none: refused until waived.
    let e = svc
        .approve(&dave, &id, Some("fine".into()))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("sms: no creative attached") && !e.contains("meta:"),
        "{e}"
    );
    let ok = svc
        .approve_with(&dave, &id, Some("fine".into()), &waive(&[Channel::Sms]))
        .await
        .unwrap();
    assert_eq!(ok.campaign.status, CampaignStatus::Approved);

    // Launch-grade acts need ads:launch in the service, whatever the entry.
    denied(svc.launch(&bob, &id, "k", NOT).await, "ads:launch");
    denied(svc.launch_preview(&bob, &id).await, "ads:launch");
    svc.launch(&carol, &id, "k1", NOT).await.unwrap();
    denied(
        svc.platform_action(&bob, &id, PlatformMove::Pause, false)
            .await,
        "ads:launch",
    );

    // A change set is never applied nor rolled back by its proposer.
    let cs = svc
        .optimize(
            &carol,
            OptimizeRequest {
                campaign_id: id.clone(),
                ..OptimizeRequest::default()
            },
        )
        .await
        .unwrap();
    denied(
        svc.settle(&bob, &cs.id, ChangeSetDecision::Apply, false)
            .await,
        "ads:launch",
    );
    let e = svc
        .settle(&carol, &cs.id, ChangeSetDecision::Apply, false)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("carol proposed change set") && e.contains("four eyes"),
        "{e}"
    );
    let e = svc
        .settle(&carol, &cs.id, ChangeSetDecision::Rollback, false)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot roll back"), "{e}");
}

async fn one_launch_per_campaign(svc: &AdsService) {
    let t = TenantId::parse("t1").unwrap();
    let carol = who("carol", &["ads:launch"]);
    let id = approved(svc, "Race").await;
    let cid = CampaignId::parse(&id).unwrap();

    // Two launches with different keys at once: one launches, the other is
    // refused (held, or already active) and sends nothing.
    let (a, b) = tokio::join!(
        svc.launch(&carol, &id, "key-a", NOT),
        svc.launch(&carol, &id, "key-b", NOT),
    );
    let fresh = [&a, &b].iter().filter(|r| r.is_ok()).count();
    assert_eq!(fresh, 1, "{a:?} {b:?}");
    let refusal = [a, b]
        .into_iter()
        .find_map(Result::err)
        .unwrap()
        .to_string();
    assert!(
        refusal.contains("is being launched by carol") || refusal.contains("already active"),
        "{refusal}"
    );
    let pubs = svc.store().publications(&t, &cid).await.unwrap();
    assert_eq!(pubs.len(), 2);
    assert!(pubs.iter().all(|p| p.state == "active"));
    // Neither key is left running; the refused one may be used again.
    for key in ["key-a", "key-b"] {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM launches WHERE tenant_id = 't1' AND idempotency_key = $1 AND status = 'running'",
        )
        .bind(key)
        .fetch_one(svc.store().db().pool())
        .await
        .unwrap();
        assert_eq!(n, 0, "{key}");
    }
    let v = svc.view(&t, &id).await.unwrap();
    assert!(
        v.launching.is_none() && v.delivery_state == "launched",
        "{v:?}"
    );

    // A process that claimed, published Meta paused and died: its claim
    // blocks others until it is stale, then a retry takes it over, only
    // enables Meta (same ids: never published again) and publishes SMS.
    let id = approved(svc, "Crash").await;
    let cid = CampaignId::parse(&id).unwrap();
    let stale = svc.stale_before();
    assert!(matches!(
        svc.store()
            .claim_campaign(&t, &cid, "dead-key", "carol", &stale)
            .await
            .unwrap(),
        CampaignClaim::Claimed { took_over: None }
    ));
    sqlx::query(
        "INSERT INTO launches (tenant_id, idempotency_key, campaign_id, actor, status, created_at, updated_at) \
         VALUES ('t1', 'dead-key', $1, 'carol', 'running', $2, $2)",
    )
    .bind(&id)
    .bind(now_ts())
    .execute(svc.store().db().pool())
    .await
    .unwrap();
    let paused = crate::domain::plan::Publication {
        channel: Channel::Meta,
        platform: "meta".into(),
        sandbox: true,
        state: "paused".into(),
        external_ids: [("campaign".to_owned(), "sbx-before-crash".to_owned())].into(),
        budget_cents: 300_000,
        error: None,
        retryable: false,
        launched_on: None,
        connection_id: None,
        updated_at: String::new(),
    };
    svc.store()
        .save_publication(&t, &cid, &paused)
        .await
        .unwrap();
    let v = svc.view(&t, &id).await.unwrap();
    assert_eq!(v.delivery_state, "launching");
    let e = svc
        .launch(&carol, &id, "retry-1", NOT)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("being launched by carol")
            && e.contains("dead-key")
            && e.contains("nothing was sent"),
        "{e}"
    );
    assert!(
        svc.launch(&carol, &id, "dead-key", NOT)
            .await
            .unwrap_err()
            .to_string()
            .contains("still running")
    );
    let dry = svc.launch_preview(&carol, &id).await.unwrap();
    let outcome = |r: &LaunchResult, ch: Channel| {
        r.channels
            .iter()
            .find(|c| c.channel == ch)
            .unwrap()
            .outcome
            .clone()
    };
    assert_eq!(outcome(&dry, Channel::Meta), "would_enable");
    assert_eq!(outcome(&dry, Channel::Sms), "would_launch");
    // The claim goes stale (the short time of this service).
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    let r = svc.launch(&carol, &id, "retry-2", NOT).await.unwrap();
    assert_eq!(r.status, CampaignStatus::Active);
    assert_eq!(outcome(&r, Channel::Meta), "launched");
    let pubs = svc.store().publications(&t, &cid).await.unwrap();
    let meta = pubs.iter().find(|p| p.channel == Channel::Meta).unwrap();
    assert_eq!(meta.external_ids["campaign"], "sbx-before-crash");
    assert_eq!(meta.state, "active");
    assert!(meta.launched_on.is_some());
    let v = svc.view(&t, &id).await.unwrap();
    assert!(v.launching.is_none(), "{v:?}");
    // The dead launch's key expired too: it may be used again, and replays
    // nothing it never finished.
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM launches WHERE tenant_id = 't1' AND status = 'running'",
    )
    .fetch_one(svc.store().db().pool())
    .await
    .unwrap();
    assert_eq!(n, 1, "only the dead key, stale, is still marked running");
    let e = svc
        .launch(&carol, &id, "dead-key", NOT)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("already active"), "{e}");
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM launches WHERE tenant_id = 't1' AND status = 'running'",
    )
    .fetch_one(svc.store().db().pool())
    .await
    .unwrap();
    assert_eq!(n, 0, "a refused launch releases its key");
}

async fn caps_on_resume(svc: AdsService) {
    let svc = svc.with_caps(SpendCaps {
        campaign: Cap::parse("c", "COP=100000").unwrap(),
        tenant_daily: Cap::parse("d", "COP=1000").unwrap(),
        required: false,
    });
    let t = TenantId::parse("t1").unwrap();
    let carol = who("carol", &["ads:launch"]);
    let a = approved(&svc, "A").await;
    svc.launch(&carol, &a, "a-1", NOT).await.unwrap();
    svc.platform_action(&carol, &a, PlatformMove::Pause, false)
        .await
        .unwrap();
    let b = approved(&svc, "B").await;
    svc.launch(&carol, &b, "b-1", NOT).await.unwrap();
    // 600/day live (B) + 600/day requested (A) > 1000/day.
    for dry_run in [true, false] {
        let e = svc
            .platform_action(&carol, &a, PlatformMove::Resume, dry_run)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&format!("resuming campaign `{a}`"))
                && e.contains("cap 1000.00 COP/day")
                && e.contains("current 600.00 COP/day")
                && e.contains("requested 600.00 COP/day"),
            "{e}"
        );
    }
    let v = svc.view(&t, &a).await.unwrap();
    assert_eq!(v.campaign.status, CampaignStatus::Paused, "nothing changed");
    // With B paused there is room again.
    svc.platform_action(&carol, &b, PlatformMove::Pause, false)
        .await
        .unwrap();
    let r = svc
        .platform_action(&carol, &a, PlatformMove::Resume, false)
        .await
        .unwrap();
    assert_eq!(r.status, CampaignStatus::Active);
}

#[tokio::test]
async fn money_moves_only_with_scope_four_eyes_one_claim_and_caps_on_every_backend() {
    for t in promptsales_shared::testing::backends(&ads_read::MIGRATIONS)
        .await
        .unwrap()
    {
        let svc = AdsService::new(AdsStore::new(t.db.clone()))
            .with_content(std::sync::Arc::new(super::tests::Assets))
            .with_launch_claim_ttl(Duration::from_secs(2));
        scopes_and_four_eyes(&svc).await;
        one_launch_per_campaign(&svc).await;
        t.cleanup().await;
    }
    // A fresh database for the caps (no other active campaigns).
    for t in promptsales_shared::testing::backends(&ads_read::MIGRATIONS)
        .await
        .unwrap()
    {
        let svc = AdsService::new(AdsStore::new(t.db.clone()));
        caps_on_resume(svc).await;
        t.cleanup().await;
    }
}
