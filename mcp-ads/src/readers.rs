//! Adapters from the other contexts' read crates to the ports the ads
//! service uses: CRM audience counts (`crm-read`), asset checks and the
//! copy approval views show (`content-read`).

use chrono::NaiveDate;
use content_read::AssetReader;
use crm_read::{AudienceFilter, CrmReader};
use promptsales_shared::domain::{Channel, TenantId};

use crate::service::{
    AssetCheck, AudienceQuery, AudienceSize, AudienceSource, ContentSource, ReadFut,
};

/// CRM audiences through `crm_read::CrmReader`.
pub struct CrmAudiences(pub CrmReader);

impl AudienceSource for CrmAudiences {
    fn count<'a>(
        &'a self,
        tenant: &'a TenantId,
        q: &'a AudienceQuery,
    ) -> ReadFut<'a, AudienceSize> {
        Box::pin(async move {
            let f = AudienceFilter {
                client_id: q.client_id.clone(),
                countries: q.countries.clone(),
                stages: q.stages.clone(),
                min_score: q.min_score,
                source_channels: q.source_channels.clone(),
                active_since: q.active_since,
                reach_channel: q.reach_channel,
            };
            let c = self.0.count_audience(tenant, &f).await?;
            let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
            Ok(AudienceSize {
                matched: n(c.matched),
                reachable: n(c.reachable),
                suppressed: n(c.suppressed),
                without_consent: n(c.without_consent),
            })
        })
    }

    fn attributed_revenue<'a>(
        &'a self,
        tenant: &'a TenantId,
        client_id: &'a str,
        since: NaiveDate,
    ) -> ReadFut<'a, Vec<crm_read::AttributedRevenue>> {
        Box::pin(self.0.attributed_revenue(tenant, client_id, since))
    }
}

/// Asset checks through `content_read::AssetReader`.
pub struct ContentAssets(pub AssetReader);

impl ContentSource for ContentAssets {
    fn usability<'a>(
        &'a self,
        tenant: &'a TenantId,
        asset_id: &'a str,
        channel: Channel,
        from: NaiveDate,
        to: NaiveDate,
    ) -> ReadFut<'a, AssetCheck> {
        Box::pin(async move {
            let u = self
                .0
                .usability(tenant, asset_id, channel, from, to)
                .await?;
            Ok(AssetCheck {
                version: u.version,
                status: u.status,
                usable: u.usable,
                reasons: u.reasons,
            })
        })
    }

    fn summary<'a>(
        &'a self,
        tenant: &'a TenantId,
        asset_id: &'a str,
    ) -> ReadFut<'a, Option<content_read::AssetSummary>> {
        Box::pin(async move { Ok(Some(self.0.summary(tenant, asset_id).await?)) })
    }

    fn copy<'a>(
        &'a self,
        tenant: &'a TenantId,
        asset_id: &'a str,
    ) -> ReadFut<'a, Option<content_read::AssetCopy>> {
        Box::pin(async move { Ok(Some(self.0.copy(tenant, asset_id).await?)) })
    }
}
