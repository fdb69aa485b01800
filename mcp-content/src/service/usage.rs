//! The content plan of each client, enforced: generations (every variant a
//! call writes), LLM tokens (what the LLM engine reports; offline and the
//! client's own model through sampling spend none of ours) and seats
//! (distinct people generating), all counted per calendar month in the
//! client's time zone. The plan comes from the catalog; a client without
//! one — or one the catalog does not know — is unlimited but still counted.

use std::ops::Deref;

use chrono::{DateTime, Utc};
use promptsales_catalog::plan;
use promptsales_catalog::{LimitKind, SubCompany, Usage};
use promptsales_shared::AppError;
use promptsales_shared::domain::{ClientId, TenantId, TimeZone};
use promptsales_shared::error::QuotaExceeded;

use super::ContentService;
use crate::store::{Bill, Charge, Over};

/// What a content plan can limit, in the order `usage` lists it.
const KINDS: [LimitKind; 3] = [
    LimitKind::GenerationsPerMonth,
    LimitKind::LlmTokensPerMonth,
    LimitKind::Seats,
];

/// A client's content plan and this month's counters, read once per call.
#[derive(Debug, Clone)]
pub(super) struct Meter(plan::Meter);

impl Deref for Meter {
    type Target = plan::Meter;
    fn deref(&self) -> &plan::Meter {
        &self.0
    }
}

impl Meter {
    /// `Ok` when `adding` more of `kind` fits this month; otherwise the
    /// refusal with what, used, requested, limit and the local reset.
    pub fn check(&self, kind: LimitKind, used: i64, adding: i64) -> Result<(), AppError> {
        if kind == LimitKind::Seats {
            return self.check_seat(used);
        }
        self.0.check(kind, used, adding)
    }

    /// Seats here are the people generating this month, so unlike a
    /// standing seat count the refusal says when the month turns.
    fn check_seat(&self, used: i64) -> Result<(), AppError> {
        let (Some(plan), Some(limit)) = (&self.plan, self.limit(LimitKind::Seats)) else {
            return Ok(());
        };
        if used < limit {
            return Ok(());
        }
        Err(QuotaExceeded {
            what: "seats (people generating content this month)".into(),
            client: self.client.as_str().to_owned(),
            plan: plan.name.clone(),
            used: used.to_string(),
            requested: "1".into(),
            limit: limit.to_string(),
            resets: Some(self.resets_local()),
        }
        .into())
    }

    /// A charge the store refused (another call got there first): the
    /// same refusal, with the count as it stands now.
    pub fn refusal(&self, over: Over, bill: &Bill<'_>) -> AppError {
        let adding = bill
            .charges
            .iter()
            .find(|c| c.kind == over.kind)
            .map_or(1, |c| c.amount);
        match self.check(over.kind, over.used, adding) {
            Err(e) => e,
            // The limit moved between the check and the charge.
            Ok(()) => AppError::Conflict(format!(
                "the {} limit changed while this call ran; retry",
                over.kind
            )),
        }
    }

    /// A bill for `count` generations by `author`, with the plan's limits.
    pub fn bill<'a>(&'a self, count: i64, author: &'a str) -> Bill<'a> {
        Bill {
            client: &self.client,
            period: &self.period,
            charges: vec![Charge {
                kind: LimitKind::GenerationsPerMonth,
                amount: count,
                limit: self.limit(LimitKind::GenerationsPerMonth),
            }],
            seat: Some((author, self.limit(LimitKind::Seats))),
        }
    }

    pub fn usage(&self) -> Usage {
        // Every content count is this month's, seats included.
        self.0.usage(SubCompany::Content, &KINDS)
    }
}

impl ContentService {
    /// The client's plan, zone and this month's counters. Without a
    /// catalog (tests, tools) or for a client it does not know: no plan,
    /// months in UTC.
    pub(super) async fn meter(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        now: DateTime<Utc>,
    ) -> Result<Meter, AppError> {
        let (plan, time_zone) = match &self.catalog {
            None => (None, TimeZone::UTC),
            Some(catalog) => {
                catalog
                    .plan_and_zone(tenant, client, SubCompany::Content)
                    .await?
            }
        };
        let m = plan::Meter::new(client.clone(), plan, time_zone, now);
        let used = self.store.usage(tenant, client, &m.period).await?;
        Ok(Meter(m.with_used(used)))
    }

    /// Refuses a call of `author` that would write `count` generations
    /// beyond the plan, before anything is spent: generations, then the
    /// seat a person new this month would take.
    pub(super) async fn precheck(
        &self,
        tenant: &TenantId,
        meter: &Meter,
        count: i64,
        author: &str,
    ) -> Result<(), AppError> {
        meter.check(
            LimitKind::GenerationsPerMonth,
            meter.used(LimitKind::GenerationsPerMonth),
            count,
        )?;
        if meter.limit(LimitKind::Seats).is_some()
            && !self
                .store
                .has_seat(tenant, &meter.client, &meter.period, author)
                .await?
        {
            meter.check(LimitKind::Seats, meter.used(LimitKind::Seats), 1)?;
        }
        Ok(())
    }

    /// A client's use of its content plan this month (the `usage` tool).
    pub async fn usage(&self, tenant: &TenantId, client_id: &str) -> Result<Usage, AppError> {
        let client = ClientId::parse(client_id)?;
        Ok(self.meter(tenant, &client, Utc::now()).await?.usage())
    }
}

#[cfg(test)]
mod tests {
    use promptsales_catalog::{CatalogReader, CatalogWriter, Client, Limit, Plan};
    use promptsales_shared::db::Db;
    use promptsales_shared::domain::Country;

    use super::*;
    use crate::domain::brief::BriefInput;
    use crate::service::EngineChoice;
    use crate::store::ContentStore;

    fn meter(limits: &[(LimitKind, i64)], used: &[(LimitKind, i64)]) -> Meter {
        let tz = TimeZone::parse("America/Bogota").unwrap();
        let now: DateTime<Utc> = "2026-12-01T03:00:00Z".parse().unwrap();
        let plan = Plan {
            id: "content_starter".into(),
            context: SubCompany::Content,
            name: "Starter".into(),
            limits: limits
                .iter()
                .map(|&(kind, value)| Limit {
                    kind,
                    value,
                    currency: None,
                })
                .collect(),
        };
        let client = ClientId::parse("cli_001").unwrap();
        Meter(plan::Meter::new(client, Some(plan), tz, now).with_used(used.to_vec()))
    }

    #[test]
    fn months_are_counted_in_the_clients_zone() {
        // 03:00 UTC on 1 December is still 30 November in Bogotá.
        let m = meter(&[], &[]);
        assert_eq!(m.period, "2026-11");
        assert_eq!(m.resets_at.to_rfc3339(), "2026-12-01T05:00:00+00:00");
        let (utc, _) = plan::period_of(TimeZone::UTC, m.now);
        assert_eq!(utc, "2026-12");
    }

    #[test]
    fn refusals_carry_used_requested_limit_and_the_local_reset() {
        let m = meter(
            &[(LimitKind::GenerationsPerMonth, 10), (LimitKind::Seats, 2)],
            &[(LimitKind::GenerationsPerMonth, 8), (LimitKind::Seats, 2)],
        );
        assert!(m.check(LimitKind::GenerationsPerMonth, 8, 2).is_ok());
        let e = m
            .check(LimitKind::GenerationsPerMonth, 8, 3)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("content generations this month for client cli_001 (plan Starter)")
                && e.contains("8 used + 3 requested > limit 10")
                && e.contains("resets 2026-12-01 00:00 America/Bogota"),
            "{e}"
        );
        let e = m.check(LimitKind::Seats, 2, 1).unwrap_err();
        assert_eq!(e.kind(), "quota_exceeded");
        let e = e.to_string();
        assert!(
            e.contains("seats") && e.contains("2 used + 1 requested > limit 2"),
            "{e}"
        );
        assert!(e.contains("resets 2026-12-01 00:00 America/Bogota"), "{e}");
        // No token limit in this plan: anything goes.
        assert!(m.check(LimitKind::LlmTokensPerMonth, 1 << 40, 1).is_ok());
    }

    #[test]
    fn usage_lists_every_content_limit_with_its_reset() {
        let m = meter(
            &[(LimitKind::GenerationsPerMonth, 10)],
            &[
                (LimitKind::GenerationsPerMonth, 4),
                (LimitKind::LlmTokensPerMonth, 900),
            ],
        );
        let u = serde_json::to_value(m.usage()).unwrap();
        assert_eq!(u["plan"], "content_starter");
        assert_eq!(u["time_zone"], "America/Bogota");
        assert_eq!(u["context"], "content");
        assert_eq!(
            u["lines"][0],
            serde_json::json!({"kind": "generations_per_month", "used": 4, "limit": 10,
                               "resets_at": "2026-12-01T05:00:00Z"})
        );
        assert_eq!(u["lines"][1]["used"], 900);
        assert_eq!(u["lines"][1]["limit"], serde_json::Value::Null);
        assert_eq!(u["lines"][2]["kind"], "seats");
    }

    fn brief(client: &str, channels: &[&str], variants: u32) -> BriefInput {
        serde_json::from_value(serde_json::json!({
            "client_id": client, "product": "Andes Cold Brew", "benefit": "a smoother cup",
            "channels": channels, "language": "en", "variants": variants,
        }))
        .unwrap()
    }

    async fn assets(db: &Db, client: &str) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM content_assets WHERE client_id = $1")
            .bind(client)
            .fetch_one(db.pool())
            .await
            .unwrap()
    }

    fn line(u: &Usage, kind: LimitKind) -> (i64, Option<i64>) {
        let l = u.lines.iter().find(|l| l.kind == kind).unwrap();
        (l.used, l.limit)
    }

    /// Plans from the catalog, counted in the content database: refused
    /// beyond the limit with nothing saved, seats per person, a client
    /// without a plan unlimited, and no client's count in another's.
    async fn plans_are_enforced(content: Db, catalog: Db, label: &str) {
        let tenant = TenantId::parse("default").unwrap();
        let writer = CatalogWriter::new(catalog.clone());
        for (id, country) in [("cli_001", "CO"), ("cli_002", "MX"), ("cli_003", "ES")] {
            let c = Client::new(
                ClientId::parse(id).unwrap(),
                id,
                "retail",
                Country::parse(country).unwrap(),
            );
            writer.upsert_client(&tenant, &c).await.unwrap();
        }
        let plan = |id: &str, limits: &[(LimitKind, i64)]| Plan {
            id: id.into(),
            context: SubCompany::Content,
            name: id.into(),
            limits: limits
                .iter()
                .map(|&(kind, value)| Limit {
                    kind,
                    value,
                    currency: None,
                })
                .collect(),
        };
        writer
            .upsert_plan(
                &tenant,
                &plan("starter", &[(LimitKind::GenerationsPerMonth, 5)]),
            )
            .await
            .unwrap();
        writer
            .upsert_plan(&tenant, &plan("solo", &[(LimitKind::Seats, 1)]))
            .await
            .unwrap();
        let c1 = ClientId::parse("cli_001").unwrap();
        let c3 = ClientId::parse("cli_003").unwrap();
        writer.assign_plan(&tenant, &c1, "starter").await.unwrap();
        writer.assign_plan(&tenant, &c3, "solo").await.unwrap();
        let svc = ContentService::new(ContentStore::new(content.clone()))
            .with_catalog(CatalogReader::new(catalog));
        let generate =
            |client: &'static str, channels: &'static [&'static str], n: u32, who: &'static str| {
                let svc = svc.clone();
                let tenant = tenant.clone();
                async move {
                    svc.generate_content(
                        &tenant,
                        who,
                        &brief(client, channels, n),
                        EngineChoice::Offline,
                        None,
                    )
                    .await
                }
            };

        // 2 channels × 2 variants = 4 of 5.
        generate("cli_001", &["x", "sms"], 2, "ana").await.unwrap();
        let e = generate("cli_001", &["x"], 2, "ana").await.unwrap_err();
        assert_eq!(e.kind(), "quota_exceeded", "{label}");
        let e = e.to_string();
        assert!(
            e.contains("4 used + 2 requested > limit 5")
                && e.contains("plan starter")
                && e.contains("America/Bogota"),
            "{label}: {e}"
        );
        assert_eq!(
            assets(&content, "cli_001").await,
            4,
            "{label}: nothing saved"
        );
        // A visual brief counts its directions, and is refused the same way.
        let visual = crate::domain::visual::VisualBriefInput {
            client_id: "cli_001".into(),
            product: "Andes Cold Brew".into(),
            channels: vec![
                crate::domain::Placement::Instagram,
                crate::domain::Placement::Meta,
            ],
            ..Default::default()
        };
        let e = svc.visual_brief(&tenant, "ana", &visual).await.unwrap_err();
        assert!(
            e.to_string().contains("4 used + 2 requested"),
            "{label}: {e}"
        );
        generate("cli_001", &["x"], 1, "ana").await.unwrap();
        let u = svc.usage(&tenant, "cli_001").await.unwrap();
        assert_eq!(u.plan.as_deref(), Some("starter"));
        assert_eq!(
            line(&u, LimitKind::GenerationsPerMonth),
            (5, Some(5)),
            "{label}"
        );
        assert_eq!(line(&u, LimitKind::LlmTokensPerMonth), (0, None), "{label}");
        assert_eq!(line(&u, LimitKind::Seats), (1, None), "{label}");

        // No plan: unlimited, counted apart.
        generate("cli_002", &["x", "sms", "email"], 5, "ana")
            .await
            .unwrap();
        let u = svc.usage(&tenant, "cli_002").await.unwrap();
        assert_eq!(u.plan, None);
        assert_eq!(u.time_zone.as_str(), "America/Mexico_City");
        assert_eq!(
            line(&u, LimitKind::GenerationsPerMonth),
            (15, None),
            "{label}"
        );
        let u = svc.usage(&tenant, "cli_001").await.unwrap();
        assert_eq!(line(&u, LimitKind::GenerationsPerMonth).0, 5, "{label}");

        // One seat: ana holds it this month, bob is refused, ana goes on.
        generate("cli_003", &["x"], 1, "ana").await.unwrap();
        let e = generate("cli_003", &["x"], 1, "bob")
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("seats") && e.contains("1 used + 1 requested > limit 1"),
            "{label}: {e}"
        );
        generate("cli_003", &["x"], 1, "ana").await.unwrap();
        assert_eq!(assets(&content, "cli_003").await, 2, "{label}");

        // Concurrent calls cannot pass the limit together.
        writer
            .upsert_plan(
                &tenant,
                &plan("starter", &[(LimitKind::GenerationsPerMonth, 12)]),
            )
            .await
            .unwrap();
        let calls: Vec<_> = (0..10)
            .map(|_| tokio::spawn(generate("cli_001", &["x"], 1, "ana")))
            .collect();
        let mut done = 0;
        for c in calls {
            match c.await.unwrap() {
                Ok(_) => done += 1,
                Err(e) => assert_eq!(e.kind(), "quota_exceeded", "{label}: {e}"),
            }
        }
        assert_eq!(done, 7, "{label}");
        assert_eq!(assets(&content, "cli_001").await, 12, "{label}");
        let u = svc.usage(&tenant, "cli_001").await.unwrap();
        assert_eq!(
            line(&u, LimitKind::GenerationsPerMonth),
            (12, Some(12)),
            "{label}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn plans_are_enforced_on_every_backend() {
        for t in promptsales_shared::testing::backends(&crate::MIGRATIONS)
            .await
            .unwrap()
        {
            let catalog = t.open(&promptsales_catalog::MIGRATIONS).await.unwrap();
            plans_are_enforced(t.db.clone(), catalog, t.label()).await;
            t.cleanup().await;
        }
    }
}
