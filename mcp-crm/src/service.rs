//! Use cases of the CRM context.

use promptsales_shared::AppError;
use promptsales_shared::domain::{
    Channel, ClientId, Country, Page, TenantId, page_limit, validate_id,
};

use crate::domain::{Lead, LeadId, LeadStage, Seller, SellerId};
use crate::store::{CrmStore, LeadFilter};

/// Raw `search_leads` arguments as a caller sends them; every one is
/// optional and checked by [`CrmService::search_leads`].
#[derive(Debug, Clone, Default)]
pub struct LeadQuery {
    pub stage: Option<String>,
    pub country: Option<String>,
    pub channel: Option<String>,
    pub campaign_id: Option<String>,
    pub client_id: Option<String>,
    pub seller_id: Option<String>,
    pub min_score: Option<i32>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// The CRM use cases, over one store.
#[derive(Clone, Debug)]
pub struct CrmService {
    store: CrmStore,
}

impl CrmService {
    pub fn new(store: CrmStore) -> Self {
        Self { store }
    }

    pub fn store(&self) -> &CrmStore {
        &self.store
    }

    pub async fn get_lead(&self, tenant: &TenantId, id: &str) -> Result<Lead, AppError> {
        let id = LeadId::parse(id)?;
        self.store.get_lead(tenant, &id).await
    }

    pub async fn search_leads(
        &self,
        tenant: &TenantId,
        query: &LeadQuery,
    ) -> Result<Page<Lead>, AppError> {
        let filter = lead_filter(query)?;
        let cursor = query
            .cursor
            .as_deref()
            .map(|c| {
                LeadId::parse(c).map_err(|_| {
                    AppError::invalid("cursor", "a cursor returned by a previous page", c)
                })
            })
            .transpose()?;
        self.store
            .search_leads(
                tenant,
                &filter,
                cursor.as_ref().map(|c| c.as_str()),
                page_limit(query.limit)?,
            )
            .await
    }

    /// Sellers by id; with `active_only`, only those taking new leads.
    pub async fn list_sellers(
        &self,
        tenant: &TenantId,
        active_only: bool,
    ) -> Result<Vec<Seller>, AppError> {
        let mut sellers = self.store.list_sellers(tenant).await?;
        if active_only {
            sellers.retain(|s| s.active);
        }
        Ok(sellers)
    }
}

/// Checks and types the filters of a lead search.
fn lead_filter(q: &LeadQuery) -> Result<LeadFilter, AppError> {
    if let Some(s) = q.min_score
        && !Lead::SCORE_RANGE.contains(&s)
    {
        return Err(AppError::invalid(
            "min_score",
            "a score from 0 to 100",
            s.to_string(),
        ));
    }
    Ok(LeadFilter {
        stage: q.stage.as_deref().map(LeadStage::parse).transpose()?,
        country: q.country.as_deref().map(Country::parse).transpose()?,
        channel: q.channel.as_deref().map(Channel::parse).transpose()?,
        campaign_id: q
            .campaign_id
            .as_deref()
            .map(|c| validate_id("campaign_id", c))
            .transpose()?,
        client_id: q.client_id.as_deref().map(ClientId::parse).transpose()?,
        seller_id: q.seller_id.as_deref().map(SellerId::parse).transpose()?,
        min_score: q.min_score,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_parsed_at_the_boundary() {
        let q = LeadQuery {
            stage: Some("SQL".into()),
            country: Some("co".into()),
            channel: Some("meta".into()),
            campaign_id: Some(" cmp_1 ".into()),
            client_id: Some("cli_1".into()),
            seller_id: Some("sel_1".into()),
            min_score: Some(40),
            ..Default::default()
        };
        let f = lead_filter(&q).unwrap();
        assert_eq!(f.stage, Some(LeadStage::Sql));
        assert_eq!(f.country.map(|c| c.to_string()).as_deref(), Some("CO"));
        assert_eq!(f.channel, Some(Channel::Meta));
        assert_eq!(f.campaign_id.as_deref(), Some("cmp_1"));
        assert_eq!(f.min_score, Some(40));
    }

    #[test]
    fn bad_filters_name_the_argument() {
        for (q, field) in [
            (
                LeadQuery {
                    stage: Some("hot".into()),
                    ..Default::default()
                },
                "stage",
            ),
            (
                LeadQuery {
                    country: Some("Colombia".into()),
                    ..Default::default()
                },
                "country",
            ),
            (
                LeadQuery {
                    channel: Some("myspace".into()),
                    ..Default::default()
                },
                "channel",
            ),
            (
                LeadQuery {
                    min_score: Some(101),
                    ..Default::default()
                },
                "min_score",
            ),
            (
                LeadQuery {
                    seller_id: Some("a b".into()),
                    ..Default::default()
                },
                "seller_id",
            ),
        ] {
            let e = lead_filter(&q).unwrap_err().to_string();
            assert!(e.contains(&format!("`{field}`")), "{field}: {e}");
        }
    }
}
