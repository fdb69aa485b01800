//! Links to the other contexts through their documented read paths:
//! audience segments sized by CRM, content assets checked by mcp-content.

use chrono::NaiveDate;
use crm_read::domain::LeadStage;
use promptsales_server::auth::Principal;
use promptsales_shared::AppError;
use promptsales_shared::domain::{Channel, ClientId, Country, TenantId};
use promptsales_shared::time::{now_ts, parse_date};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AdsService, CampaignView, ReadFut, check_channels};
use crate::domain::CampaignId;
use crate::domain::plan::Segment;
use crate::store::new_id;

/// A CRM audience filter (the ads side of `crm_read::AudienceFilter`),
/// stored as a segment's definition.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AudienceQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub countries: Vec<Country>,
    /// Lead stages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<LeadStage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_score: Option<u8>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_channels: Vec<Channel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_since: Option<NaiveDate>,
    /// Count as reachable only people who consented to this channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reach_channel: Option<Channel>,
}

/// Audience size as CRM counts it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, JsonSchema)]
pub struct AudienceSize {
    pub matched: i64,
    pub reachable: i64,
    pub suppressed: i64,
    pub without_consent: i64,
}

/// Counts audiences in CRM.
pub trait AudienceSource: Send + Sync {
    fn count<'a>(&'a self, tenant: &'a TenantId, q: &'a AudienceQuery)
    -> ReadFut<'a, AudienceSize>;

    /// One client's sales attributed to its campaigns since a day: the
    /// real return a forecast weighs (none where the CRM is not linked).
    fn attributed_revenue<'a>(
        &'a self,
        _tenant: &'a TenantId,
        _client_id: &'a str,
        _since: chrono::NaiveDate,
    ) -> ReadFut<'a, Vec<crm_read::AttributedRevenue>> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

/// Whether an asset may run on a channel over a flight (from mcp-content).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct AssetCheck {
    pub version: i64,
    pub status: String,
    pub usable: bool,
    pub reasons: Vec<String>,
}

/// Checks assets in mcp-content.
pub trait ContentSource: Send + Sync {
    fn usability<'a>(
        &'a self,
        tenant: &'a TenantId,
        asset_id: &'a str,
        channel: Channel,
        from: NaiveDate,
        to: NaiveDate,
    ) -> ReadFut<'a, AssetCheck>;

    /// The asset's copy for approval views (None: not available here).
    fn summary<'a>(
        &'a self,
        _tenant: &'a TenantId,
        _asset_id: &'a str,
    ) -> ReadFut<'a, Option<content_read::AssetSummary>> {
        Box::pin(async { Ok(None) })
    }

    /// The asset's whole copy, as a launch builds ads from it (None: not
    /// available here).
    fn copy<'a>(
        &'a self,
        _tenant: &'a TenantId,
        _asset_id: &'a str,
    ) -> ReadFut<'a, Option<content_read::AssetCopy>> {
        Box::pin(async { Ok(None) })
    }
}

/// An asset attached to a campaign channel.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct AttachedAsset {
    pub asset_id: String,
    pub channel: Channel,
    pub version: i64,
}

/// Arguments of `segment_audience`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct SegmentRequest {
    /// A unique name, e.g. "CO MQL+ from Meta, active 90 days".
    pub name: String,
    pub client_id: Option<String>,
    #[serde(default)]
    pub countries: Vec<String>,
    /// Only leads in these stages.
    #[serde(default)]
    pub stages: Vec<LeadStage>,
    /// Least lead score, 0-100.
    pub min_score: Option<u8>,
    /// Channels the leads came from.
    #[serde(default)]
    pub source_channels: Vec<Channel>,
    /// Only leads with activity on or after this date (YYYY-MM-DD).
    pub active_since: Option<String>,
    /// Count as reachable only leads that consented to this channel.
    pub reach_channel: Option<Channel>,
    /// Attach the segment to this draft/rejected campaign.
    pub campaign_id: Option<String>,
}

/// The outcome of `segment_audience`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SegmentResult {
    pub segment: Segment,
    /// The campaign it was attached to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign: Option<CampaignView>,
}

impl AdsService {
    /// `segment_audience`: sizes a filter in CRM, stores it, optionally
    /// attaches it to a campaign.
    pub async fn segment(
        &self,
        who: &Principal,
        req: SegmentRequest,
    ) -> Result<SegmentResult, AppError> {
        let tenant = &who.tenant;
        let name = req.name.trim();
        if name.is_empty() || name.chars().count() > 120 {
            return Err(AppError::invalid("name", "1-120 characters", &req.name));
        }
        let mut q = AudienceQuery {
            client_id: req
                .client_id
                .as_deref()
                .map(ClientId::parse)
                .transpose()?
                .map(|c| c.into_string()),
            min_score: req.min_score,
            active_since: req
                .active_since
                .as_deref()
                .map(|d| parse_date("active_since", d))
                .transpose()?,
            reach_channel: req.reach_channel,
            stages: req.stages.clone(),
            source_channels: req.source_channels.clone(),
            ..AudienceQuery::default()
        };
        for c in &req.countries {
            q.countries.push(Country::parse_field("countries", c)?);
        }
        if let Some(m) = q.min_score
            && m > 100
        {
            return Err(AppError::invalid("min_score", "0 to 100", m.to_string()));
        }
        // Check the campaign before any work, so nothing is half-done.
        let target = match &req.campaign_id {
            Some(id) => {
                let rec = self
                    .store
                    .get_record(tenant, &CampaignId::parse(id)?)
                    .await?;
                if !rec.campaign.status.editable() {
                    return Err(AppError::Conflict(format!(
                        "campaign `{}` is {}: segments attach only to draft or rejected campaigns",
                        rec.campaign.id, rec.campaign.status
                    )));
                }
                Some(rec)
            }
            None => None,
        };
        let source = self.audiences.as_ref().ok_or_else(|| {
            AppError::Unavailable("the CRM read path is not configured for this server".into())
        })?;
        let size = source.count(tenant, &q).await?;
        let seg = Segment {
            id: new_id("seg_"),
            name: name.to_owned(),
            client_id: q.client_id.clone(),
            definition: serde_json::to_value(&q)
                .map_err(|e| AppError::Internal(format!("encode: {e}")))?,
            matched: size.matched,
            reachable: size.reachable,
            suppressed: size.suppressed,
            without_consent: size.without_consent,
            computed_at: now_ts(),
            created_by: who.subject.clone(),
        };
        self.store.save_segment(tenant, &seg).await?;
        let campaign = match target {
            Some(rec) => {
                let mut audience = rec.audience.clone();
                audience.segment_id = Some(seg.id.clone());
                audience.reachable = Some(seg.reachable);
                self.store
                    .save_campaign(
                        tenant,
                        &rec.campaign,
                        &rec.plan,
                        &audience,
                        rec.campaign.status,
                        &who.subject,
                        None,
                    )
                    .await?;
                Some(self.view(tenant, rec.campaign.id.as_str()).await?)
            }
            None => None,
        };
        Ok(SegmentResult {
            segment: seg,
            campaign,
        })
    }

    /// `attach_content`: only approved assets of the campaign's client
    /// whose rights cover the channel and the campaign's flight.
    pub async fn attach_content(
        &self,
        who: &Principal,
        campaign_id: &str,
        asset_id: &str,
        channels: &[Channel],
    ) -> Result<CampaignView, AppError> {
        let tenant = &who.tenant;
        let id = CampaignId::parse(campaign_id)?;
        let asset = promptsales_shared::domain::validate_id("asset_id", asset_id)?;
        let rec = self.store.get_record(tenant, &id).await?;
        let c = &rec.campaign;
        if c.status == crate::domain::CampaignStatus::Completed {
            return Err(AppError::Conflict(format!(
                "campaign `{id}` is completed: no content can be attached"
            )));
        }
        let channels = check_channels(channels)?;
        for ch in &channels {
            if !c.channels.contains(ch) {
                return Err(AppError::invalid(
                    "channel",
                    format!(
                        "a channel of the campaign ({})",
                        c.channels
                            .iter()
                            .map(|c| c.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    ch.as_str(),
                ));
            }
        }
        let source = self.content.as_ref().ok_or_else(|| {
            AppError::Unavailable("the content read path is not configured for this server".into())
        })?;
        // Check every channel first: all are attached or none.
        let mut checks = Vec::new();
        for ch in &channels {
            let a = source
                .usability(tenant, &asset, *ch, c.start_date, c.end_date)
                .await?;
            if !a.usable {
                return Err(AppError::Conflict(format!(
                    "asset `{asset}` (version {}, {}) cannot run on {ch} from {} to {}: {}",
                    a.version,
                    a.status,
                    c.start_date,
                    c.end_date,
                    a.reasons.join("; ")
                )));
            }
            checks.push((*ch, a.version));
        }
        // Clients apart: a campaign runs only its own client's copy.
        if let Some(copy) = source.summary(tenant, &asset).await?
            && copy.client_id != c.client_id.as_str()
        {
            return Err(AppError::Conflict(format!(
                "asset `{asset}` belongs to client {}, not to {}: a campaign runs only its client's copy",
                copy.client_id, c.client_id
            )));
        }
        self.store
            .attach_assets(tenant, &id, &asset, &checks, &who.subject)
            .await?;
        self.view(tenant, id.as_str()).await
    }
}
