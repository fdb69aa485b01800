//! Purchase intent: the tenant's logistic-regression model, trained on
//! its own history and retrained when stale, and per-lead predictions.

use chrono::{DateTime, Duration, Utc};
use promptsales_shared::AppError;
use promptsales_shared::domain::TenantId;
use schemars::JsonSchema;
use serde::Serialize;

use super::{CrmService, json};
use crate::domain::intent::{Example, FEATURES, IntentModel};
use crate::domain::scoring::{self, BUY_WORDS, DEMO_WORDS, PRICING_WORDS};
use crate::domain::{LeadId, LeadStage};
use crate::store::IntentRow;

/// Leads the intent model trains on at most (the most recent).
const TRAIN_LIMIT: i64 = 50_000;
/// A model older than this is retrained before predicting.
const MODEL_MAX_AGE_HOURS: i64 = 24;

/// One factor of a prediction.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Factor {
    pub feature: String,
    pub description: String,
    pub value: f64,
    /// Contribution to the log-odds; positive raises the probability.
    pub contribution: f64,
}

/// Summary of the tenant's intent model.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ModelInfo {
    /// AUC on the held-out quarter of the tenant's leads (0.5 = chance).
    pub auc: f64,
    pub trained_at: DateTime<Utc>,
    pub train_rows: usize,
    pub test_rows: usize,
    /// Share of customers among the training leads.
    pub base_rate: f64,
    pub features: Vec<String>,
    /// True when this call (re)trained the model.
    pub retrained: bool,
}

/// A purchase-intent prediction.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct IntentPrediction {
    pub lead_id: LeadId,
    /// Probability of becoming a customer, 0-1 (class-balanced: 0.5 is
    /// neutral).
    pub probability: f64,
    pub top_factors: Vec<Factor>,
    pub model: ModelInfo,
}

impl CrmService {
    fn features(r: &IntentRow) -> Vec<f64> {
        vec![
            f64::from(r.score),
            r.inbound as f64,
            r.outbound as f64,
            r.avg_sentiment,
            f64::from(u8::from(scoring::mentions(&r.texts, PRICING_WORDS))),
            f64::from(u8::from(scoring::mentions(&r.texts, DEMO_WORDS))),
            f64::from(u8::from(scoring::mentions(&r.texts, BUY_WORDS))),
            f64::from(u8::from(r.channel.is_paid())),
            f64::from(u8::from(r.has_company)),
            f64::from(u8::from(r.has_product)),
            f64::from(u8::from(r.has_seller)),
        ]
    }

    /// Trains the tenant's model on its own history and stores it.
    pub async fn train_intent_model(&self, tenant: &TenantId) -> Result<ModelInfo, AppError> {
        let rows = self.store.intent_rows(tenant, None, TRAIN_LIMIT).await?;
        let examples: Vec<Example> = rows
            .iter()
            .map(|r| Example {
                key: r.id.clone(),
                x: Self::features(r),
                y: r.stage == LeadStage::Customer,
            })
            .collect();
        let total = self.store.lead_count(tenant).await?.max(0) as usize;
        let model = IntentModel::train(&examples, total)
            .map_err(|e| AppError::Conflict(format!("cannot train the intent model: {e}")))?;
        self.store.save_model(tenant, &json(&model)?).await?;
        Ok(Self::info(&model, Utc::now(), true))
    }

    fn info(m: &IntentModel, trained_at: DateTime<Utc>, retrained: bool) -> ModelInfo {
        ModelInfo {
            auc: m.auc,
            trained_at,
            train_rows: m.train_rows,
            test_rows: m.test_rows,
            base_rate: m.base_rate,
            features: FEATURES.iter().map(|(n, _)| (*n).to_owned()).collect(),
            retrained,
        }
    }

    /// The model, retrained first when missing or stale (older than a day,
    /// or the tenant grew by more than a fifth since).
    async fn current_model(&self, tenant: &TenantId) -> Result<(IntentModel, ModelInfo), AppError> {
        let total = self.store.lead_count(tenant).await?.max(0) as usize;
        if let Some((at, raw)) = self.store.load_model(tenant).await?
            && let Ok(m) = serde_json::from_str::<IntentModel>(&raw)
            && Utc::now() - at < Duration::hours(MODEL_MAX_AGE_HOURS)
            && total * 5 <= m.leads_seen * 6
        {
            let info = Self::info(&m, at, false);
            return Ok((m, info));
        }
        self.train_intent_model(tenant).await?;
        let (at, raw) = self
            .store
            .load_model(tenant)
            .await?
            .ok_or_else(|| AppError::Internal("intent model missing after training".into()))?;
        let m: IntentModel = serde_json::from_str(&raw)
            .map_err(|e| AppError::Internal(format!("stored intent model: {e}")))?;
        let info = Self::info(&m, at, true);
        Ok((m, info))
    }

    pub async fn predict_purchase_intent(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<IntentPrediction, AppError> {
        let rec = self.record(tenant, id).await?;
        let (model, info) = self.current_model(tenant).await?;
        let row = self
            .store
            .intent_rows(tenant, Some(&rec.lead.id), 1)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::not_found("lead", rec.lead.id.as_str()))?;
        let x = Self::features(&row);
        let probability = model.predict(&x);
        let mut factors: Vec<Factor> = model
            .contributions(&x)
            .into_iter()
            .zip(FEATURES)
            .zip(&x)
            .map(|((c, (name, desc)), v)| Factor {
                feature: (*name).into(),
                description: (*desc).into(),
                value: *v,
                contribution: c,
            })
            .collect();
        factors.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
        factors.truncate(3);
        self.store
            .set_intent(tenant, &rec.lead.id, probability)
            .await?;
        Ok(IntentPrediction {
            lead_id: rec.lead.id.clone(),
            probability,
            top_factors: factors,
            model: info,
        })
    }
}
