//! Use cases on every backend with fake read paths: content attachment,
//! audience segments and concurrent launches with one idempotency key.

use std::sync::Arc;

use chrono::NaiveDate;
use crm_read::domain::LeadStage;
use promptsales_server::auth::Principal;
use promptsales_shared::domain::{Channel, TenantId};

use super::*;
use crate::store::AdsStore;

pub(super) struct Assets;

impl ContentSource for Assets {
    fn usability<'a>(
        &'a self,
        _tenant: &'a TenantId,
        asset_id: &'a str,
        channel: Channel,
        _from: NaiveDate,
        to: NaiveDate,
    ) -> ReadFut<'a, AssetCheck> {
        Box::pin(async move {
            if asset_id == "ast_missing" {
                return Err(AppError::not_found("asset", asset_id));
            }
            let mut reasons = Vec::new();
            if asset_id == "ast_draft" {
                reasons.push("status is draft: only approved assets can run".to_owned());
            }
            if asset_id == "ast_expiring"
                && to > NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default()
            {
                reasons.push(format!("usage rights expire before {to}"));
            }
            if channel == Channel::Sms && asset_id == "ast_banner" {
                reasons.push("an image cannot run on sms".to_owned());
            }
            Ok(AssetCheck {
                version: 3,
                status: "approved".into(),
                usable: reasons.is_empty(),
                reasons,
            })
        })
    }
}

struct Crm;

impl AudienceSource for Crm {
    fn count<'a>(
        &'a self,
        _tenant: &'a TenantId,
        q: &'a AudienceQuery,
    ) -> ReadFut<'a, AudienceSize> {
        Box::pin(async move {
            let matched = 100 * q.countries.len() as i64;
            Ok(AudienceSize {
                matched,
                reachable: matched - 30,
                suppressed: 10,
                without_consent: 20,
            })
        })
    }
}

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
        budget_cents: Some(600_000),
        currency: Some("COP".into()),
        start_date: Some(start.to_string()),
        end_date: Some((start + chrono::Duration::days(9)).to_string()),
        channels: Some(vec![Channel::Meta, Channel::Sms]),
        countries: Some(vec!["CO".into()]),
        ..CampaignInput::default()
    }
}

async fn run(svc: AdsService) {
    let ana = who("ana", &[]);
    let bob = who("bob", &["ads:approve", "ads:launch"]);
    let c = svc.create_campaign(&ana, input("Attach")).await.unwrap();
    let id = c.campaign.id.as_str().to_owned();

    // Content: approved and in rights on every channel, or nothing.
    let v = svc
        .attach_content(&ana, &id, "ast_ok", &[Channel::Meta, Channel::Sms])
        .await
        .unwrap();
    assert_eq!(v.assets.len(), 2);
    assert_eq!(v.assets[0].version, 3);
    let e = svc
        .attach_content(&ana, &id, "ast_banner", &[Channel::Meta, Channel::Sms])
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot run on sms"), "{e}");
    let e = svc
        .attach_content(&ana, &id, "ast_draft", &[Channel::Meta])
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("only approved"), "{e}");
    assert!(
        svc.attach_content(&ana, &id, "ast_missing", &[Channel::Meta])
            .await
            .unwrap_err()
            .to_string()
            .contains("not found")
    );
    let e = svc
        .attach_content(&ana, &id, "ast_ok", &[Channel::Tiktok])
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("`channel`") && e.contains("meta, sms"), "{e}");
    assert_eq!(
        svc.view(&ana.tenant, &id).await.unwrap().assets.len(),
        2,
        "refusals attach nothing"
    );

    // Segments: sized, stored, attached to the draft.
    let req = |name: &str| SegmentRequest {
        name: name.into(),
        client_id: Some("cli_1".into()),
        countries: vec!["CO".into(), "MX".into()],
        stages: vec![LeadStage::Mql, LeadStage::Sql],
        min_score: Some(60),
        source_channels: vec![Channel::Meta],
        active_since: Some("2026-01-01".into()),
        reach_channel: Some(Channel::Sms),
        campaign_id: Some(id.clone()),
    };
    let s = svc.segment(&ana, req("CO+MX warm")).await.unwrap();
    assert_eq!((s.segment.matched, s.segment.reachable), (200, 170));
    assert_eq!(
        s.segment.definition["stages"],
        serde_json::json!(["mql", "sql"])
    );
    let camp = s.campaign.unwrap();
    assert_eq!(
        camp.audience.segment_id.as_deref(),
        Some(s.segment.id.as_str())
    );
    assert_eq!(camp.audience.reachable, Some(170));
    assert!(
        svc.segment(&ana, req("CO+MX warm"))
            .await
            .unwrap_err()
            .to_string()
            .contains("already exists")
    );
    // Stages are a closed vocabulary: any case is read, others refused
    // before the tool runs.
    let parsed: SegmentRequest = serde_json::from_value(serde_json::json!({
        "name": "typed", "stages": ["mql", "SQL"], "source_channels": ["Meta"]
    }))
    .unwrap();
    assert_eq!(parsed.stages, [LeadStage::Mql, LeadStage::Sql]);
    assert_eq!(parsed.source_channels, [Channel::Meta]);
    let e = serde_json::from_value::<SegmentRequest>(serde_json::json!({
        "name": "bad", "stages": ["hot"]
    }))
    .unwrap_err()
    .to_string();
    assert!(e.contains("hot") && e.contains("mql"), "{e}");

    // Two launches with one key at once: one launches, the other sends
    // nothing (it finds the key running or done).
    svc.submit(&ana, &id, None).await.unwrap();
    svc.approve(&bob, &id, None).await.unwrap();
    let (a, b) = tokio::join!(
        svc.launch(&bob, &id, "same", Confirmation::NotAsked("test".into())),
        svc.launch(&bob, &id, "same", Confirmation::NotAsked("test".into())),
    );
    let fresh = [&a, &b]
        .iter()
        .filter(|r| matches!(r, Ok(x) if !x.replayed))
        .count();
    assert_eq!(fresh, 1, "{a:?} {b:?}");
    let pubs = svc
        .store()
        .publications(&ana.tenant, &c.campaign.id)
        .await
        .unwrap();
    assert_eq!(pubs.len(), 2);
    assert!(pubs.iter().all(|p| p.sandbox && p.state == "active"));
}

#[tokio::test]
async fn links_and_concurrent_launches_on_every_backend() {
    for t in promptsales_shared::testing::backends(&ads_read::MIGRATIONS)
        .await
        .unwrap()
    {
        let svc = AdsService::new(AdsStore::new(t.db.clone()))
            .with_content(Arc::new(Assets))
            .with_audiences(Arc::new(Crm));
        run(svc).await;
        t.cleanup().await;
    }
}
