//! Use cases of the ads context.

use promptsales_shared::AppError;
use promptsales_shared::domain::{ClientId, Page, TenantId, page_limit};

use crate::domain::{Campaign, CampaignId, CampaignStatus};
use crate::store::{AdsStore, CampaignFilter};

/// The ads use cases, over one store.
#[derive(Clone, Debug)]
pub struct AdsService {
    store: AdsStore,
}

impl AdsService {
    pub fn new(store: AdsStore) -> Self {
        Self { store }
    }

    pub fn store(&self) -> &AdsStore {
        &self.store
    }

    pub async fn get_campaign(&self, tenant: &TenantId, id: &str) -> Result<Campaign, AppError> {
        let id = CampaignId::parse(id)?;
        self.store.get_campaign(tenant, &id).await
    }

    pub async fn list_campaigns(
        &self,
        tenant: &TenantId,
        client_id: Option<&str>,
        status: Option<&str>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Page<Campaign>, AppError> {
        let filter = CampaignFilter {
            client_id: client_id.map(ClientId::parse).transpose()?,
            status: status.map(CampaignStatus::parse).transpose()?,
        };
        let cursor = cursor
            .map(|c| {
                CampaignId::parse(c).map_err(|_| {
                    AppError::invalid("cursor", "a cursor returned by a previous page", c)
                })
            })
            .transpose()?;
        self.store
            .list_campaigns(
                tenant,
                &filter,
                cursor.as_ref().map(|c| c.as_str()),
                page_limit(limit)?,
            )
            .await
    }
}
