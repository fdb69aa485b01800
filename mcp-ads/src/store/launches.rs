//! Launches: idempotency keys, the one launch claim per campaign (taken
//! with a conditional update before any platform call, refreshed while the
//! launch runs, taken over when stale), channel publications, and the
//! active spend the caps count.

use ads_read::rows::campaign_from_row;
use chrono::NaiveDate;
use promptsales_shared::AppError;
use promptsales_shared::db::is_unique_violation;
use promptsales_shared::domain::{Channel, Currency, TenantId};
use promptsales_shared::time::{format_date, now_ts, parse_date};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::AdsStore;
use super::lifecycle::{LaunchHold, Move, json_of, move_status, parse_json};
use crate::domain::plan::Publication;
use crate::domain::{Campaign, CampaignId};

/// What a launch's idempotency key found.
#[derive(Debug, Clone, PartialEq)]
pub enum LaunchClaim {
    /// The key is new (or its launch died: stale) and now ours.
    Claimed,
    /// A launch with this key already ran: its stored result.
    Done { campaign_id: String, result: String },
    /// A launch with this key is still running (its row was refreshed
    /// within the claim time).
    Running { campaign_id: String },
}

/// What claiming a campaign for a launch found.
#[derive(Debug, Clone, PartialEq)]
pub enum CampaignClaim {
    /// Ours now; `took_over` is the stale claim we replaced.
    Claimed { took_over: Option<LaunchHold> },
    /// Another launch holds a fresh claim.
    Busy(LaunchHold),
    /// The campaign is neither approved nor active (nothing to launch).
    NotLaunchable,
}

fn publication_from_row(r: &AnyRow) -> Result<Publication, AppError> {
    let launched: Option<String> = r.try_get("launched_on")?;
    Ok(Publication {
        channel: Channel::parse(&r.try_get::<String, _>("channel")?)?,
        platform: r.try_get("platform")?,
        sandbox: r.try_get::<i64, _>("sandbox")? != 0,
        state: r.try_get("state")?,
        external_ids: parse_json("external_ids", &r.try_get::<String, _>("external_ids")?)?,
        budget_cents: r.try_get("budget_cents")?,
        error: r.try_get("error")?,
        retryable: r.try_get::<i64, _>("retryable")? != 0,
        launched_on: launched
            .map(|d| parse_date("launched_on", &d))
            .transpose()?,
        connection_id: r.try_get("connection_id")?,
        updated_at: r.try_get("updated_at")?,
    })
}

impl AdsStore {
    /// Takes an idempotency key for a launch, or reports what it already
    /// did. A key whose launch stopped refreshing before `stale_before`
    /// (the process died) is taken over.
    pub async fn claim_launch(
        &self,
        tenant: &TenantId,
        key: &str,
        campaign: &CampaignId,
        actor: &str,
        stale_before: &str,
    ) -> Result<LaunchClaim, AppError> {
        let now = now_ts();
        let r = sqlx::query(
            "INSERT INTO launches (tenant_id, idempotency_key, campaign_id, actor, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'running', $5, $5)",
        )
        .bind(tenant.as_str())
        .bind(key)
        .bind(campaign.as_str())
        .bind(actor)
        .bind(now.as_str())
        .execute(self.db.pool())
        .await;
        match r {
            Ok(_) => Ok(LaunchClaim::Claimed),
            Err(e) if is_unique_violation(&e) => {
                let row = sqlx::query(
                    "SELECT campaign_id, status, result, updated_at FROM launches \
                     WHERE tenant_id = $1 AND idempotency_key = $2",
                )
                .bind(tenant.as_str())
                .bind(key)
                .fetch_one(self.db.pool())
                .await?;
                let campaign_id: String = row.try_get("campaign_id")?;
                let status: String = row.try_get("status")?;
                let result: Option<String> = row.try_get("result")?;
                let seen: String = row.try_get("updated_at")?;
                match (status.as_str(), result) {
                    ("done", Some(result)) => Ok(LaunchClaim::Done {
                        campaign_id,
                        result,
                    }),
                    _ if seen.as_str() < stale_before && campaign_id == campaign.as_str() => {
                        // Taken over only if nobody refreshed it meanwhile.
                        let n = sqlx::query(
                            "UPDATE launches SET actor = $3, updated_at = $4 \
                             WHERE tenant_id = $1 AND idempotency_key = $2 AND status = 'running' AND updated_at = $5",
                        )
                        .bind(tenant.as_str())
                        .bind(key)
                        .bind(actor)
                        .bind(now.as_str())
                        .bind(seen.as_str())
                        .execute(self.db.pool())
                        .await?
                        .rows_affected();
                        Ok(if n == 1 {
                            LaunchClaim::Claimed
                        } else {
                            LaunchClaim::Running { campaign_id }
                        })
                    }
                    _ => Ok(LaunchClaim::Running { campaign_id }),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Claims campaign `id` for the launch with `key`: one conditional
    /// update, taken only if the campaign is approved (or active, retrying
    /// failed channels) and nobody holds a claim refreshed since
    /// `stale_before`.
    pub async fn claim_campaign(
        &self,
        tenant: &TenantId,
        id: &CampaignId,
        key: &str,
        actor: &str,
        stale_before: &str,
    ) -> Result<CampaignClaim, AppError> {
        let prior = self.launch_hold(tenant, id).await?;
        let n = sqlx::query(
            "UPDATE campaigns SET launch_claim_key = $3, launch_claimed_by = $4, launch_claimed_at = $5 \
             WHERE tenant_id = $1 AND id = $2 AND status IN ('approved', 'active') \
             AND (launch_claim_key IS NULL OR launch_claimed_at IS NULL OR launch_claimed_at < $6)",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .bind(key)
        .bind(actor)
        .bind(now_ts())
        .bind(stale_before)
        .execute(self.db.pool())
        .await?
        .rows_affected();
        if n == 1 {
            return Ok(CampaignClaim::Claimed { took_over: prior });
        }
        Ok(match self.launch_hold(tenant, id).await? {
            Some(h) if h.at.as_str() >= stale_before => CampaignClaim::Busy(h),
            _ => CampaignClaim::NotLaunchable,
        })
    }

    async fn launch_hold(
        &self,
        tenant: &TenantId,
        id: &CampaignId,
    ) -> Result<Option<LaunchHold>, AppError> {
        let row = sqlx::query(
            "SELECT launch_claim_key, launch_claimed_by, launch_claimed_at FROM campaigns \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(self.db.pool())
        .await?
        .ok_or_else(|| AppError::not_found("campaign", id.as_str()))?;
        let key: Option<String> = row.try_get("launch_claim_key")?;
        Ok(match key {
            Some(key) => Some(LaunchHold {
                key,
                by: row
                    .try_get::<Option<String>, _>("launch_claimed_by")?
                    .unwrap_or_default(),
                at: row
                    .try_get::<Option<String>, _>("launch_claimed_at")?
                    .unwrap_or_default(),
            }),
            None => None,
        })
    }

    /// Refreshes a running launch's claims (campaign and key); false when
    /// the campaign claim is no longer ours (taken over as stale).
    pub async fn refresh_launch(
        &self,
        tenant: &TenantId,
        id: &CampaignId,
        key: &str,
    ) -> Result<bool, AppError> {
        let now = now_ts();
        let mut tx = self.db.pool().begin().await?;
        let n = sqlx::query(
            "UPDATE campaigns SET launch_claimed_at = $4 \
             WHERE tenant_id = $1 AND id = $2 AND launch_claim_key = $3",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .bind(key)
        .bind(now.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query(
            "UPDATE launches SET updated_at = $3 \
             WHERE tenant_id = $1 AND idempotency_key = $2 AND status = 'running'",
        )
        .bind(tenant.as_str())
        .bind(key)
        .bind(now.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Ends a launch that stopped: frees the campaign claim (if still ours)
    /// and the key, so a corrected retry (with any key) can run. Whatever
    /// reached a platform is in `publications` and is finished, never
    /// published again, by the retry.
    pub async fn release_launch(
        &self,
        tenant: &TenantId,
        id: &CampaignId,
        key: &str,
    ) -> Result<(), AppError> {
        let mut tx = self.db.pool().begin().await?;
        sqlx::query(
            "UPDATE campaigns SET launch_claim_key = NULL, launch_claimed_by = NULL, launch_claimed_at = NULL \
             WHERE tenant_id = $1 AND id = $2 AND launch_claim_key = $3",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .bind(key)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM launches WHERE tenant_id = $1 AND idempotency_key = $2 AND status = 'running'",
        )
        .bind(tenant.as_str())
        .bind(key)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records the outcome of a claimed launch in one transaction: the
    /// status move (`approved → active` when a channel runs), the claim
    /// freed and the key done with its result. False when the campaign
    /// claim had been taken over meanwhile (the result is stored anyway).
    pub async fn finish_launch(
        &self,
        tenant: &TenantId,
        id: &CampaignId,
        key: &str,
        mv: Option<Move<'_>>,
        result: &str,
    ) -> Result<bool, AppError> {
        let now = now_ts();
        let mut tx = self.db.pool().begin().await?;
        if let Some(m) = mv {
            move_status(&mut tx, tenant, id, &m, &now).await?;
        }
        let held = sqlx::query(
            "UPDATE campaigns SET launch_claim_key = NULL, launch_claimed_by = NULL, launch_claimed_at = NULL \
             WHERE tenant_id = $1 AND id = $2 AND launch_claim_key = $3",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .bind(key)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query(
            "UPDATE launches SET status = 'done', result = $3, updated_at = $4 \
             WHERE tenant_id = $1 AND idempotency_key = $2",
        )
        .bind(tenant.as_str())
        .bind(key)
        .bind(result)
        .bind(now.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(held == 1)
    }

    /// Inserts or replaces a channel's publication.
    pub async fn save_publication(
        &self,
        tenant: &TenantId,
        campaign: &CampaignId,
        p: &Publication,
    ) -> Result<(), AppError> {
        let now = now_ts();
        sqlx::query(
            "INSERT INTO publications (tenant_id, campaign_id, channel, platform, sandbox, state, external_ids, \
             budget_cents, error, retryable, launched_on, connection_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) \
             ON CONFLICT (tenant_id, campaign_id, channel) DO UPDATE SET platform = excluded.platform, \
             sandbox = excluded.sandbox, state = excluded.state, external_ids = excluded.external_ids, \
             budget_cents = excluded.budget_cents, error = excluded.error, retryable = excluded.retryable, \
             launched_on = excluded.launched_on, connection_id = excluded.connection_id, \
             updated_at = excluded.updated_at",
        )
        .bind(tenant.as_str())
        .bind(campaign.as_str())
        .bind(p.channel.as_str())
        .bind(p.platform.as_str())
        .bind(i64::from(p.sandbox))
        .bind(p.state.as_str())
        .bind(json_of(&p.external_ids)?)
        .bind(p.budget_cents)
        .bind(p.error.as_deref())
        .bind(i64::from(p.retryable))
        .bind(p.launched_on.map(format_date))
        .bind(p.connection_id.as_deref())
        .bind(now.as_str())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    pub async fn publications(
        &self,
        tenant: &TenantId,
        campaign: &CampaignId,
    ) -> Result<Vec<Publication>, AppError> {
        let rows = sqlx::query(
            "SELECT channel, platform, sandbox, state, external_ids, budget_cents, error, retryable, \
             launched_on, connection_id, updated_at FROM publications WHERE tenant_id = $1 AND campaign_id = $2 ORDER BY channel",
        )
        .bind(tenant.as_str())
        .bind(campaign.as_str())
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(publication_from_row).collect()
    }

    /// Ids of the tenant's active campaigns (what `sync_metrics` pulls).
    pub async fn active_campaign_ids(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<CampaignId>, AppError> {
        let rows = sqlx::query(
            "SELECT id FROM campaigns WHERE tenant_id = $1 AND status = 'active' ORDER BY id",
        )
        .bind(tenant.as_str())
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| Ok(CampaignId::from_trusted(r.try_get("id")?)))
            .collect()
    }

    /// Campaigns in `currency` other than `except` that spend or are about
    /// to: active ones and those a launch has claimed (their budgets and
    /// flights, for the tenant's daily spend cap).
    pub async fn active_in_currency(
        &self,
        tenant: &TenantId,
        currency: Currency,
        except: &CampaignId,
    ) -> Result<Vec<Campaign>, AppError> {
        let rows = sqlx::query(
            "SELECT id, client_id, name, objective, status, budget_cents, currency, start_date, end_date, \
             channels, countries FROM campaigns WHERE tenant_id = $1 \
             AND (status = 'active' OR (status = 'approved' AND launch_claim_key IS NOT NULL)) \
             AND currency = $2 AND id <> $3",
        )
        .bind(tenant.as_str())
        .bind(currency.as_str())
        .bind(except.as_str())
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(campaign_from_row).collect()
    }
}

/// What a campaign commits per day over the rest of its flight (from
/// `day` or its start, whichever is later), hundredths: the figure the
/// daily cap adds up.
pub fn daily_commitment(
    budget_cents: i64,
    start: NaiveDate,
    end: NaiveDate,
    day: NaiveDate,
) -> i64 {
    let d = (end - start.max(day)).num_days() + 1;
    if d > 0 { budget_cents / d } else { 0 }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use promptsales_shared::db::Db;
    use promptsales_shared::domain::{ClientId, Country};
    use promptsales_shared::time::format_ts;

    use super::*;
    use crate::domain::plan::{Audience, CampaignPlan};
    use crate::domain::{CampaignStatus, Objective};

    fn campaign(id: &str, status: CampaignStatus) -> Campaign {
        Campaign {
            id: CampaignId::parse(id).unwrap(),
            client_id: ClientId::parse("cli_1").unwrap(),
            name: format!("Campaign {id}"),
            objective: Objective::Leads,
            status,
            budget_cents: 1_000,
            currency: Currency::parse("USD").unwrap(),
            start_date: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            end_date: NaiveDate::from_ymd_opt(2026, 3, 10).unwrap(),
            channels: vec![Channel::Meta],
            countries: vec![Country::parse("MX").unwrap()],
        }
    }

    async fn claims(db: Db) {
        let store = AdsStore::new(db);
        let t = TenantId::parse("t1").unwrap();
        for (id, status) in [
            ("cmp_a", CampaignStatus::Approved),
            ("cmp_d", CampaignStatus::Draft),
        ] {
            store
                .create_campaign(
                    &t,
                    &campaign(id, status),
                    &CampaignPlan::default(),
                    &Audience::default(),
                    "ana",
                )
                .await
                .unwrap();
        }
        let a = CampaignId::parse("cmp_a").unwrap();
        let long_ago = format_ts(chrono::Utc::now() - chrono::Duration::hours(1));
        let claim = |key: &'static str, who: &'static str, stale: String| {
            let store = store.clone();
            let (t, a) = (t.clone(), a.clone());
            async move {
                store
                    .claim_campaign(&t, &a, key, who, &stale)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(
            claim("k1", "bob", long_ago.clone()).await,
            CampaignClaim::Claimed { took_over: None }
        );
        // Held and fresh: refused, whoever asks, whatever the key.
        match claim("k2", "carol", long_ago.clone()).await {
            CampaignClaim::Busy(h) => assert_eq!((h.key.as_str(), h.by.as_str()), ("k1", "bob")),
            other => panic!("{other:?}"),
        }
        let rec = store.get_record(&t, &a).await.unwrap();
        assert_eq!(
            rec.launch_claim.as_ref().map(|h| h.key.as_str()),
            Some("k1")
        );
        assert!(store.refresh_launch(&t, &a, "k1").await.unwrap());
        // Stale (nothing refreshed since "the future"): taken over.
        let future = format_ts(chrono::Utc::now() + chrono::Duration::hours(1));
        match claim("k2", "carol", future).await {
            CampaignClaim::Claimed { took_over: Some(h) } => assert_eq!(h.key, "k1"),
            other => panic!("{other:?}"),
        }
        assert!(
            !store.refresh_launch(&t, &a, "k1").await.unwrap(),
            "the old holder learns it lost the claim"
        );
        // Releasing someone else's claim does nothing; one's own frees it.
        store.release_launch(&t, &a, "k1").await.unwrap();
        assert!(
            store
                .get_record(&t, &a)
                .await
                .unwrap()
                .launch_claim
                .is_some()
        );
        store.release_launch(&t, &a, "k2").await.unwrap();
        assert!(
            store
                .get_record(&t, &a)
                .await
                .unwrap()
                .launch_claim
                .is_none()
        );
        // Drafts cannot be claimed.
        let d = CampaignId::parse("cmp_d").unwrap();
        assert_eq!(
            store
                .claim_campaign(&t, &d, "k3", "bob", &long_ago)
                .await
                .unwrap(),
            CampaignClaim::NotLaunchable
        );

        // Keys: new, running, stale (taken over), done.
        assert_eq!(
            store
                .claim_launch(&t, "k9", &a, "bob", &long_ago)
                .await
                .unwrap(),
            LaunchClaim::Claimed
        );
        assert!(matches!(
            store
                .claim_launch(&t, "k9", &a, "carol", &long_ago)
                .await
                .unwrap(),
            LaunchClaim::Running { .. }
        ));
        let future = format_ts(chrono::Utc::now() + chrono::Duration::hours(1));
        assert_eq!(
            store
                .claim_launch(&t, "k9", &a, "carol", &future)
                .await
                .unwrap(),
            LaunchClaim::Claimed,
            "a key whose launch died is taken over"
        );
        let other = CampaignId::parse("cmp_d").unwrap();
        assert!(
            matches!(
                store
                    .claim_launch(&t, "k9", &other, "carol", &future)
                    .await
                    .unwrap(),
                LaunchClaim::Running { .. }
            ),
            "never for another campaign"
        );
        assert_eq!(
            claim("k9", "carol", long_ago.clone()).await,
            CampaignClaim::Claimed { took_over: None }
        );
        let mv = Move {
            actor: "carol",
            action: "launch",
            from: CampaignStatus::Approved,
            to: CampaignStatus::Active,
            note: None,
        };
        assert!(
            store
                .finish_launch(&t, &a, "k9", Some(mv), "{}")
                .await
                .unwrap()
        );
        let rec = store.get_record(&t, &a).await.unwrap();
        assert_eq!(rec.campaign.status, CampaignStatus::Active);
        assert!(rec.launch_claim.is_none());
        assert!(matches!(
            store
                .claim_launch(&t, "k9", &a, "carol", &long_ago)
                .await
                .unwrap(),
            LaunchClaim::Done { .. }
        ));
    }

    #[tokio::test]
    async fn claims_are_exclusive_expire_and_finish_on_every_backend() {
        for t in promptsales_shared::testing::backends(&ads_read::MIGRATIONS)
            .await
            .unwrap()
        {
            claims(t.db.clone()).await;
            t.cleanup().await;
        }
    }

    #[test]
    fn daily_commitments_spread_the_rest_of_the_flight() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        assert_eq!(daily_commitment(1_000, d(3, 1), d(3, 10), d(2, 1)), 100);
        assert_eq!(daily_commitment(1_000, d(3, 1), d(3, 10), d(3, 6)), 200);
        assert_eq!(daily_commitment(1_000, d(3, 1), d(3, 10), d(3, 11)), 0);
    }
}
