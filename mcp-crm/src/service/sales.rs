//! Closed sales: recording one makes the lead a customer.

use chrono::Utc;
use promptsales_shared::AppError;
use promptsales_shared::domain::{Currency, ProductId, TenantId, parse_cents, validate_id};
use promptsales_shared::time::parse_ts;
use schemars::JsonSchema;
use serde::Serialize;

use super::CrmService;
use crate::domain::{LeadStage, Sale, SaleId};
use crate::store::new_id;

/// A recorded sale and the lead's stage after it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SaleRecorded {
    pub sale: Sale,
    pub lead_stage: LeadStage,
}

impl CrmService {
    #[allow(clippy::too_many_arguments)]
    pub async fn record_sale(
        &self,
        tenant: &TenantId,
        actor: &str,
        id: &str,
        amount: &str,
        currency: &str,
        product_id: Option<&str>,
        campaign_id: Option<&str>,
        closed_at: Option<&str>,
    ) -> Result<SaleRecorded, AppError> {
        let rec = self.record(tenant, id).await?;
        let amount_cents = parse_cents("amount", amount)?;
        if amount_cents <= 0 {
            return Err(AppError::invalid("amount", "a positive amount", amount));
        }
        let sale = Sale {
            id: SaleId::from_trusted(new_id(SaleId::PREFIX)),
            client_id: rec.lead.client_id.clone(),
            lead_id: Some(rec.lead.id.clone()),
            campaign_id: match campaign_id {
                Some(c) => Some(validate_id("campaign_id", c)?),
                None => rec.lead.campaign_id.clone(),
            },
            product_id: product_id.map(ProductId::parse).transpose()?,
            channel: rec.lead.channel,
            country: rec.lead.country,
            city: rec.lead.city.clone(),
            amount_cents,
            currency: Currency::parse(currency)?,
            closed_at: closed_at
                .map(|c| parse_ts("closed_at", c))
                .transpose()?
                .unwrap_or_else(Utc::now),
        };
        sale.validate()?;
        self.store
            .import()
            .upsert_sales(tenant, std::slice::from_ref(&sale))
            .await?;
        if rec.lead.stage != LeadStage::Customer {
            self.store
                .change_stage(
                    tenant,
                    &rec.lead.id,
                    rec.lead.stage,
                    LeadStage::Customer,
                    &format!("sale {} recorded", sale.id),
                    actor,
                    None,
                )
                .await?;
        }
        Ok(SaleRecorded {
            sale,
            lead_stage: LeadStage::Customer,
        })
    }
}
