//! What a campaign carries beyond its row: plan, audience, approval,
//! history and per-channel publication state.

use chrono::NaiveDate;
use promptsales_shared::domain::Channel;
use serde::{Deserialize, Serialize};

use super::budget::{Allocation, ChannelOutlook};
use super::forecast::Forecast;
use super::generate::{ChannelChoice, KpiTargets, Phase};

/// The plan of a campaign: budget per channel, KPI targets and schedule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CampaignPlan {
    /// Budget per channel, summing to the campaign budget.
    #[serde(default)]
    pub allocations: Vec<Allocation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kpis: Option<KpiTargets>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedule: Vec<Phase>,
    /// Why each channel is in the mix (generated campaigns).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channel_mix: Vec<ChannelChoice>,
    /// The economics the plan was built on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outlooks: Vec<ChannelOutlook>,
    /// Product the campaign promotes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    /// The goal in the requester's words (generated campaigns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<String>,
    /// Expected delivery with 90 % ranges, its sources and weights, and
    /// the goal against it (generated and planned campaigns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forecast: Option<Forecast>,
    /// Email subject line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Email / SMS text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// E.164 numbers the SMS channel sends to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sms_recipients: Vec<String>,
    /// Where the ads send people (https URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landing_url: Option<String>,
}

impl CampaignPlan {
    /// Budget of `channel` in the plan.
    pub fn budget_of(&self, channel: Channel) -> Option<i64> {
        self.allocations
            .iter()
            .find(|a| a.channel == channel)
            .map(|a| a.budget_cents)
    }
}

/// Who a campaign is for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Audience {
    /// A stored segment (`segment_audience`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_id: Option<String>,
    /// Segment size when attached: reachable people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reachable: Option<i64>,
    /// Free-text descriptions of the people to reach.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_min: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_max: Option<u8>,
}

/// The decision on a campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Approval {
    /// approved or rejected.
    pub decision: String,
    pub by: String,
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One lifecycle move.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Event {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A channel of a campaign on its platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Publication {
    pub channel: Channel,
    /// meta, google_ads, tiktok, mailchimp, twilio or none.
    pub platform: String,
    /// True when the sandbox connector stands in for the platform.
    pub sandbox: bool,
    /// paused (created, not delivering), active, failed or completed.
    pub state: String,
    /// The platform's ids, e.g. {"campaign": "120210…", "adset": "…"}.
    pub external_ids: std::collections::BTreeMap<String, String>,
    /// Budget on the platform, hundredths.
    pub budget_cents: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Whether launching again may succeed (failed channels).
    pub retryable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launched_on: Option<NaiveDate>,
    /// The client's connection it was published through (absent: the
    /// environment's account, or the sandbox); pause, resume, budgets and
    /// metrics go back through the same one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    pub updated_at: String,
}

/// A channel approved without a creative: who waived it, when and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Waiver {
    pub channel: Channel,
    /// Why the channel runs without an approved creative.
    pub note: String,
    pub by: String,
    pub at: String,
}

/// A stored audience segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Segment {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The filter it was built from.
    pub definition: serde_json::Value,
    /// Leads matching the filter.
    pub matched: i64,
    /// Matched leads that may be contacted (consent given, not suppressed).
    pub reachable: i64,
    pub suppressed: i64,
    pub without_consent: i64,
    pub computed_at: String,
    pub created_by: String,
}
