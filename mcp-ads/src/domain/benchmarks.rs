//! Documented channel benchmarks: what a channel delivers when the tenant
//! has no history of its own, and the platform each channel launches on.
//!
//! Ratios (CTR, conversion rate, ROAS) are currency-free; costs are in US
//! cents and converted with [`usd_rate`] for other currencies. Figures are
//! cross-industry medians from public 2024 reports: WordStream/LocaliQ
//! "Search Advertising Benchmarks 2024" (Google Ads search: CTR 6.42 %,
//! CVR 6.96 %, CPC $4.66), WordStream "Facebook Ads Benchmarks 2024" (Meta
//! lead campaigns: CTR 2.53 %, CVR 7.72 %, CPC $1.88), Instagram and TikTok
//! from the same publisher's social reports (CTR 0.88 % / 0.84 %), LinkedIn
//! Marketing Solutions (CTR 0.56 %, CPC $5.58), Mailchimp "Email Marketing
//! Benchmarks" (unique click rate 2.62 % of sends) and SMS/WhatsApp figures
//! from Twilio's and Attentive's published benchmarks (click rates near
//! 8–10 % of sends). ROAS medians come from the same reports where given,
//! otherwise from their CPA and an order value of $100.

use promptsales_shared::domain::{Channel, Currency};
use serde::Serialize;

/// Typical delivery of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Benchmark {
    pub channel: Channel,
    /// Cost per thousand impressions (or sends), US cents.
    pub cpm_usd_cents: i64,
    /// Clicks per impression.
    pub ctr: f64,
    /// Conversions per click.
    pub cvr: f64,
    /// Unique people reached per impression.
    pub reach_ratio: f64,
    /// Revenue per unit of spend.
    pub roas: f64,
}

impl Benchmark {
    /// Cost per click in US cents, from CPM and CTR.
    pub fn cpc_usd_cents(&self) -> f64 {
        self.cpm_usd_cents as f64 / 1000.0 / self.ctr
    }
}

/// The benchmark of every channel (organic and web buy no media: they have
/// no cost and are never allocated budget).
pub fn benchmark(channel: Channel) -> Benchmark {
    let (cpm, ctr, cvr, reach, roas) = match channel {
        Channel::GoogleAds => (29_900, 0.0642, 0.0696, 0.55, 2.87),
        Channel::Meta => (4_760, 0.0253, 0.0772, 0.62, 2.19),
        Channel::Instagram => (1_060, 0.0088, 0.0531, 0.66, 1.98),
        Channel::Tiktok => (1_000, 0.0084, 0.0410, 0.71, 1.67),
        Channel::Linkedin => (3_120, 0.0056, 0.0660, 0.58, 1.52),
        Channel::Email => (150, 0.0262, 0.0320, 0.95, 3.60),
        Channel::Sms => (900, 0.0950, 0.0290, 0.98, 3.10),
        Channel::Whatsapp => (800, 0.0820, 0.0350, 0.98, 3.30),
        Channel::Influencer => (2_500, 0.0120, 0.0250, 0.60, 1.40),
        Channel::Web | Channel::Organic => (0, 0.0200, 0.0300, 0.70, 0.0),
    };
    Benchmark {
        channel,
        cpm_usd_cents: cpm,
        ctr,
        cvr,
        reach_ratio: reach,
        roas,
    }
}

/// Units of `currency` per US dollar: rough 2026 rates, used only to turn
/// benchmark costs into a campaign's currency for forecasts and the sandbox
/// simulation (never for reporting).
pub fn usd_rate(currency: Currency) -> f64 {
    match currency.as_str() {
        "USD" | "PAB" | "SVC" => 1.0,
        "EUR" => 0.92,
        "GBP" => 0.79,
        "MXN" => 18.0,
        "COP" => 4_000.0,
        "CLP" => 950.0,
        "PEN" => 3.7,
        "ARS" => 1_000.0,
        "BRL" => 5.5,
        "GTQ" => 7.7,
        "CRC" => 510.0,
        "DOP" => 60.0,
        "UYU" => 40.0,
        "PYG" => 7_500.0,
        "BOB" => 6.9,
        "HNL" => 25.0,
        "NIO" => 37.0,
        "CAD" => 1.37,
        _ => 1.0,
    }
}

/// The platform a channel is launched on, and what the platform creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// Meta Marketing API (Facebook and Instagram placements).
    Meta,
    /// Google Ads API (REST).
    GoogleAds,
    /// TikTok Marketing API.
    Tiktok,
    /// Mailchimp Marketing API v3.
    Mailchimp,
    /// Twilio Programmable Messaging.
    Twilio,
    /// No public buying API: recorded and simulated only.
    None,
}

impl Platform {
    pub fn of(channel: Channel) -> Platform {
        match channel {
            Channel::Meta | Channel::Instagram => Platform::Meta,
            Channel::GoogleAds => Platform::GoogleAds,
            Channel::Tiktok => Platform::Tiktok,
            Channel::Email => Platform::Mailchimp,
            Channel::Sms => Platform::Twilio,
            _ => Platform::None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Meta => "meta",
            Platform::GoogleAds => "google_ads",
            Platform::Tiktok => "tiktok",
            Platform::Mailchimp => "mailchimp",
            Platform::Twilio => "twilio",
            Platform::None => "none",
        }
    }

    /// What the platform creates for one campaign channel.
    pub fn spec(self) -> &'static str {
        match self {
            Platform::Meta => {
                "campaign + ad set (daily budget, country targeting, placements) created PAUSED, then set ACTIVE"
            }
            Platform::GoogleAds => {
                "campaign budget + search campaign created PAUSED, then ENABLED; metrics by googleAds:searchStream"
            }
            Platform::Tiktok => {
                "campaign with a total budget created DISABLE, then ENABLE; metrics by the integrated report"
            }
            Platform::Mailchimp => {
                "regular campaign to the configured audience list, saved unsent; launch sends (or schedules at the start date)"
            }
            Platform::Twilio => {
                "nothing is created before launch; launch sends one SMS per reachable recipient"
            }
            Platform::None => "no buying API: the sandbox records and simulates it",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_paid_channel_has_a_positive_benchmark() {
        for c in <Channel as promptsales_shared::domain::Vocabulary>::ALL {
            let b = benchmark(*c);
            if c.is_paid() {
                assert!(b.cpm_usd_cents > 0 && b.roas > 0.0, "{c}");
                assert!(b.cpc_usd_cents() > 0.0);
            } else {
                assert_eq!(b.roas, 0.0);
            }
            assert!(b.ctr < 1.0 && b.cvr < 1.0 && b.reach_ratio <= 1.0);
        }
        // Search clicks cost a few dollars (WordStream: $4.66).
        let cpc = benchmark(Channel::GoogleAds).cpc_usd_cents();
        assert!((400.0..=520.0).contains(&cpc), "{cpc}");
    }

    #[test]
    fn instagram_launches_through_meta() {
        assert_eq!(Platform::of(Channel::Instagram), Platform::Meta);
        assert_eq!(Platform::of(Channel::Email), Platform::Mailchimp);
        assert_eq!(Platform::of(Channel::Influencer), Platform::None);
    }
}
