//! The store on every backend: create, read, list, revise, decide, rights, brand.

use promptsales_shared::db::Db;
use promptsales_shared::domain::{Channel, ClientId, TenantId};
use promptsales_shared::time::parse_ts;

use super::*;
use crate::domain::brand::BrandGuidelines;
use crate::domain::{
    AssetFormat, AssetId, AssetStatus, Decision, FieldValue, Language, NewAsset, Placement,
    UsageRights,
};

fn new_asset(client: &str, campaign: Option<&str>, channel: Channel) -> NewAsset {
    NewAsset {
        client_id: ClientId::parse(client).unwrap(),
        campaign_id: campaign.map(str::to_owned),
        channel,
        format: AssetFormat::SocialPost,
        language: Language::Es,
        title: Some("Lanzamiento".into()),
        body: "¡Probá el nuevo sabor!".into(),
        rights: None,
        created_by: Some("ana".into()),
        placement: None,
        fields: None,
    }
}

async fn exercise(db: Db) {
    let store = ContentStore::new(db);
    let t = TenantId::parse("agency_a").unwrap();
    let other = TenantId::parse("agency_b").unwrap();

    // Create → get: what is returned is what is stored.
    let mut n = new_asset("cli_1", Some("cmp_1"), Channel::Instagram);
    n.rights = Some(UsageRights {
        licence: "stock-42".into(),
        owner: "Acme Photo".into(),
        expires_at: Some(parse_ts("e", "2030-01-01T00:00:00Z").unwrap()),
        allowed_channels: vec![Channel::Instagram, Channel::Meta],
    });
    let created = store.create_asset(&t, &n).await.unwrap();
    assert!(created.id.as_str().starts_with("ast_"));
    assert_eq!(created.id.as_str().len(), 16);
    assert_eq!(created.version, 1);
    assert_eq!(created.status, AssetStatus::Draft);
    let got = store.get_asset(&t, &created.id).await.unwrap();
    assert_eq!(got, created);
    assert_eq!(
        got.rights.as_ref().unwrap().allowed_channels,
        [Channel::Meta, Channel::Instagram]
    );
    // Tenants are isolated.
    let e = store.get_asset(&other, &created.id).await.unwrap_err();
    assert_eq!(e.kind(), "not_found");

    // Versions: the first one is written with the asset.
    let versions = store.asset_versions(&t, &created.id).await.unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].version, 1);
    assert_eq!(versions[0].body, created.body);
    assert_eq!(versions[0].created_by.as_deref(), Some("ana"));
    assert_eq!(versions[0].created_at, created.created_at);
    let missing = AssetId::parse("ast_missing").unwrap();
    assert_eq!(
        store.asset_versions(&t, &missing).await.unwrap_err().kind(),
        "not_found"
    );

    // Bad input is rejected before anything is written.
    let mut bad = new_asset("cli_1", None, Channel::Email);
    bad.body = "   ".into();
    let e = store.create_asset(&t, &bad).await.unwrap_err().to_string();
    assert!(e.contains("`body`"), "{e}");

    // More assets, then pagination in id order.
    for i in 0..4 {
        let ch = if i % 2 == 0 {
            Channel::Email
        } else {
            Channel::Meta
        };
        store
            .create_asset(&t, &new_asset("cli_2", None, ch))
            .await
            .unwrap();
    }
    store
        .create_asset(&other, &new_asset("cli_2", None, Channel::Email))
        .await
        .unwrap();
    let all = AssetFilter::default();
    let p1 = store.list_assets(&t, &all, None, 2).await.unwrap();
    assert_eq!(p1.items.len(), 2);
    let c1 = p1.next_cursor.clone().unwrap();
    let p2 = store.list_assets(&t, &all, Some(&c1), 2).await.unwrap();
    assert_eq!(p2.items.len(), 2);
    let c2 = p2.next_cursor.clone().unwrap();
    let p3 = store.list_assets(&t, &all, Some(&c2), 2).await.unwrap();
    assert_eq!(p3.items.len(), 1);
    assert!(p3.next_cursor.is_none());
    let ids: Vec<&str> = p1
        .items
        .iter()
        .chain(&p2.items)
        .chain(&p3.items)
        .map(|a| a.id.as_str())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(ids, sorted, "pages are in id order without repeats");
    assert_eq!(ids.len(), 5);

    // Filters.
    let by = |f: AssetFilter| {
        let store = store.clone();
        let t = t.clone();
        async move { store.list_assets(&t, &f, None, 50).await.unwrap().items }
    };
    let emails = by(AssetFilter {
        channel: Some(Channel::Email),
        ..Default::default()
    })
    .await;
    assert_eq!(emails.len(), 2);
    let campaign = by(AssetFilter {
        campaign_id: Some("cmp_1".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(campaign, std::slice::from_ref(&created));
    let client2 = by(AssetFilter {
        client_id: Some(ClientId::parse("cli_2").unwrap()),
        status: Some(AssetStatus::Draft),
        language: Some(Language::Es),
        ..Default::default()
    })
    .await;
    assert_eq!(client2.len(), 4);
    let english = by(AssetFilter {
        language: Some(Language::En),
        ..Default::default()
    })
    .await;
    assert!(english.is_empty());

    // Upserts keep imported ids and are idempotent.
    let mut imported = created.clone();
    imported.id = AssetId::parse("imp_001").unwrap();
    imported.version = 3;
    imported.status = AssetStatus::Approved;
    imported.rights = None;
    let one = std::slice::from_ref(&imported);
    assert_eq!(store.upsert_assets(&t, one).await.unwrap(), 2);
    assert_eq!(store.upsert_assets(&t, one).await.unwrap(), 0);
    let got = store.get_asset(&t, &imported.id).await.unwrap();
    assert_eq!(got.version, 3);
    assert_eq!(got.status, AssetStatus::Approved);
    assert_eq!(got.rights, None);
    let v = store.asset_versions(&t, &imported.id).await.unwrap();
    assert_eq!(v.iter().map(|v| v.version).collect::<Vec<_>>(), [3]);

    assert_eq!(
        store.counts(&t).await.unwrap(),
        [("content_assets", 6), ("content_asset_versions", 6)]
    );
    assert_eq!(
        store.counts(&other).await.unwrap(),
        [("content_assets", 1), ("content_asset_versions", 1)]
    );
}

#[test]
fn generated_ids_have_the_prefix_and_twelve_hex_digits() {
    let a = new_asset_id();
    let b = new_asset_id();
    assert_ne!(a, b);
    let hex = a.as_str().strip_prefix("ast_").unwrap();
    assert_eq!(hex.len(), 12);
    assert!(
        hex.chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    );
    assert!(AssetId::parse(a.as_str()).is_ok());
}

/// Batch creation, optimistic revisions and decisions, rights, brand.
async fn exercise_lifecycle(db: Db) {
    let store = ContentStore::new(db);
    let t = TenantId::parse("agency_a").unwrap();
    let mut a = new_asset("cli_9", None, Channel::Sms);
    a.placement = Some(Placement::Sms);
    a.fields = Some(vec![FieldValue {
        name: "text".into(),
        text: "Hola".into(),
    }]);
    let made = store
        .create_assets(&t, &[a.clone(), a.clone(), a])
        .await
        .unwrap();
    assert_eq!(made.len(), 3);
    let first = store.get_asset(&t, &made[0].id).await.unwrap();
    assert_eq!(first.placement, Some(Placement::Sms));
    assert_eq!(first.fields.as_ref().unwrap()[0].text, "Hola");

    let rev = Revision {
        title: None,
        body: "Hola de nuevo".into(),
        fields: Some(vec![FieldValue {
            name: "text".into(),
            text: "Hola de nuevo".into(),
        }]),
        author: Some("luis".into()),
        note: Some("más cálido".into()),
    };
    let v2 = store.revise(&t, &first.id, 1, &rev).await.unwrap();
    assert_eq!((v2.version, v2.status), (2, AssetStatus::Draft));
    // A stale version is a conflict, not a lost update.
    let e = store.revise(&t, &first.id, 1, &rev).await.unwrap_err();
    assert_eq!(e.kind(), "conflict");

    let at = now_stored();
    let d = Decision {
        status: AssetStatus::Approved,
        by: "maria".into(),
        at,
        note: Some("ok".into()),
    };
    let ok = store
        .set_status(
            &t,
            &first.id,
            2,
            AssetStatus::Draft,
            AssetStatus::Approved,
            Some(&d),
        )
        .await
        .unwrap();
    assert_eq!(ok.decision, Some(d.clone()));
    let e = store
        .set_status(
            &t,
            &first.id,
            2,
            AssetStatus::Draft,
            AssetStatus::Approved,
            Some(&d),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "conflict");
    let versions = store.asset_versions(&t, &first.id).await.unwrap();
    assert_eq!(versions[1].note.as_deref(), Some("más cálido"));
    assert_eq!(versions[1].created_by.as_deref(), Some("luis"));
    assert_eq!(
        versions[1].decision.as_ref().map(|d| d.by.as_str()),
        Some("maria")
    );
    assert_eq!(versions[0].decision, None);

    let rights = UsageRights {
        licence: "L".into(),
        owner: "O".into(),
        expires_at: None,
        allowed_channels: vec![Channel::Sms],
    };
    let r = store
        .set_rights(&t, &first.id, Some(&rights))
        .await
        .unwrap();
    assert_eq!(r.rights, Some(rights));
    let r = store.set_rights(&t, &first.id, None).await.unwrap();
    assert_eq!(r.rights, None);
    let missing = AssetId::parse("ast_missing").unwrap();
    assert_eq!(
        store
            .set_rights(&t, &missing, None)
            .await
            .unwrap_err()
            .kind(),
        "not_found"
    );

    let client = ClientId::parse("cli_9").unwrap();
    assert_eq!(store.brand(&t, &client).await.unwrap(), None);
    let g = BrandGuidelines {
        voice: "cálido".into(),
        banned_words: vec!["barato".into()],
        ..Default::default()
    };
    store.set_brand(&t, &client, &g, Some("ana")).await.unwrap();
    let g2 = BrandGuidelines {
        voice: "experto".into(),
        ..g
    };
    store
        .set_brand(&t, &client, &g2, Some("ana"))
        .await
        .unwrap();
    let got = store.brand(&t, &client).await.unwrap().unwrap();
    assert_eq!(got.guidelines, g2);
    let clients = store.brand_clients(&t).await.unwrap();
    assert!(clients.contains(&"cli_9".to_owned()), "{clients:?}");
    assert!(clients.is_sorted());
}

#[tokio::test]
async fn store_creates_lists_and_versions_on_every_backend() {
    for t in promptsales_shared::testing::backends(&crate::MIGRATIONS)
        .await
        .unwrap()
    {
        exercise(t.db.clone()).await;
        exercise_lifecycle(t.db.clone()).await;
        t.cleanup().await;
    }
}
