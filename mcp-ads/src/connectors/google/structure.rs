//! What a Google Ads search launch sends: budget, campaign, ad group,
//! responsive search ad, keywords and location criteria, each as the
//! v24+ REST reference names its fields, and what a launch lacks for them.

use promptsales_shared::domain::{Country, Currency};
use serde_json::{Value, json};

use super::super::PublishRequest;
use super::super::units::to_micros;
use crate::domain::Objective;

/// Responsive search ad limits (`ResponsiveSearchAdInfo`: 3–15 headlines of
/// at most 30 characters, 2–4 descriptions of at most 90).
pub const HEADLINES: (usize, usize, usize) = (3, 15, 30);
pub const DESCRIPTIONS: (usize, usize, usize) = (2, 4, 90);

/// Country criterion ids of Google's geo target table
/// (<https://developers.google.com/google-ads/api/data/geotargets>,
/// `Target Type = Country`); used as `geoTargetConstants/{id}`.
const GEO_TARGETS: &[(&str, u32)] = &[
    ("AR", 2032),
    ("BO", 2068),
    ("BR", 2076),
    ("CA", 2124),
    ("CL", 2152),
    ("CO", 2170),
    ("CR", 2188),
    ("DE", 2276),
    ("DO", 2214),
    ("EC", 2218),
    ("ES", 2724),
    ("FR", 2250),
    ("GB", 2826),
    ("GT", 2320),
    ("HN", 2340),
    ("IT", 2380),
    ("MX", 2484),
    ("NI", 2558),
    ("PA", 2591),
    ("PE", 2604),
    ("PR", 2630),
    ("PT", 2620),
    ("PY", 2600),
    ("SV", 2222),
    ("US", 2840),
    ("UY", 2858),
    ("VE", 2862),
];

/// The geo target constant of `country`, where the table has it.
pub fn geo_target(country: Country) -> Option<u32> {
    GEO_TARGETS
        .iter()
        .find(|(c, _)| *c == country.as_str())
        .map(|(_, id)| *id)
}

/// Currencies without minor units (ISO 4217 exponent 0), whose
/// `currency_constant.billable_unit_micros` is a whole unit (1,000,000):
/// Google bills amounts in multiples of it.
const WHOLE_UNIT: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV",
    "XAF", "XOF", "XPF",
];

/// Google's billable unit of `currency`, in micros.
pub fn billable_unit_micros(currency: Currency) -> i64 {
    if WHOLE_UNIT.contains(&currency.as_str()) {
        1_000_000
    } else {
        10_000
    }
}

/// Hundredths → micros, rounded down to a multiple of the currency's
/// billable unit (Google refuses others; down, so it never spends more
/// than the plan).
pub fn budget_micros(cents: i64, currency: Currency) -> i64 {
    let unit = billable_unit_micros(currency);
    to_micros(cents) / unit * unit
}

/// What `req` lacks for a search campaign that serves, in sentences.
pub fn missing(req: &PublishRequest) -> Vec<String> {
    let mut out = Vec::new();
    match &req.creative {
        None => out.push(
            "approved ad copy (headlines, descriptions, keywords): a search ad is built from it"
                .to_owned(),
        ),
        Some(c) => {
            let (min, max, len) = HEADLINES;
            if c.headlines.len() < min || c.headlines.len() > max {
                out.push(format!(
                    "{min} to {max} headlines for the responsive search ad (the copy has {})",
                    c.headlines.len()
                ));
            }
            for h in c.headlines.iter().filter(|h| h.chars().count() > len) {
                out.push(format!("headline \"{h}\" is over {len} characters"));
            }
            let (min, max, len) = DESCRIPTIONS;
            if c.descriptions.len() < min || c.descriptions.len() > max {
                out.push(format!(
                    "{min} to {max} descriptions for the responsive search ad (the copy has {})",
                    c.descriptions.len()
                ));
            }
            for d in c.descriptions.iter().filter(|d| d.chars().count() > len) {
                out.push(format!("description \"{d}\" is over {len} characters"));
            }
            if c.keywords.iter().all(|k| k.trim().is_empty()) {
                out.push("keywords: a search campaign serves on none without them".to_owned());
            }
        }
    }
    if req
        .landing_url
        .as_deref()
        .is_none_or(|u| u.trim().is_empty())
    {
        out.push("a landing URL (the ad's final URL)".to_owned());
    }
    if req.countries.is_empty() {
        out.push("at least one country to target".to_owned());
    }
    for c in &req.countries {
        if geo_target(*c).is_none() {
            out.push(format!(
                "a Google geo target constant for country {c} (not in the table)"
            ));
        }
    }
    if budget_micros(req.daily_budget_cents, req.currency) <= 0 {
        out.push(format!(
            "a daily budget of at least one billable unit of {}",
            req.currency
        ));
    }
    out
}

fn label(req: &PublishRequest) -> String {
    format!("{} [{}] {}", req.name, req.channel, req.campaign_id)
}

pub fn budget(req: &PublishRequest) -> Value {
    json!({"operations": [{"create": {
        "name": format!("{} budget", label(req)),
        "amountMicros": budget_micros(req.daily_budget_cents, req.currency).to_string(),
        "deliveryMethod": "STANDARD",
        "explicitlyShared": false
    }}]})
}

pub fn campaign(req: &PublishRequest, budget: &str) -> Value {
    let mut create = json!({
        "name": label(req),
        "status": "PAUSED",
        "advertisingChannelType": "SEARCH",
        "campaignBudget": budget,
        "networkSettings": {
            "targetGoogleSearch": true,
            "targetSearchNetwork": true,
            "targetContentNetwork": false,
            "targetPartnerSearchNetwork": false
        },
        // Required on create since v19 (EU political ads declaration).
        "containsEuPoliticalAdvertising": "DOES_NOT_CONTAIN_EU_POLITICAL_ADVERTISING",
        // v23 replaced start_date/end_date: "yyyy-MM-dd HH:mm:ss" in the
        // account's time zone.
        "startDateTime": format!("{} 00:00:00", req.start.format("%Y-%m-%d")),
        "endDateTime": format!("{} 23:59:59", req.end.format("%Y-%m-%d"))
    });
    let bidding = match req.objective {
        Objective::Awareness | Objective::Traffic => ("targetSpend", json!({})),
        Objective::Leads | Objective::Sales => ("maximizeConversions", json!({})),
    };
    if let Some(o) = create.as_object_mut() {
        o.insert(bidding.0.to_owned(), bidding.1);
    }
    json!({"operations": [{"create": create}]})
}

pub fn ad_group(req: &PublishRequest, campaign: &str) -> Value {
    json!({"operations": [{"create": {
        "name": format!("{} ad group", label(req)),
        "campaign": campaign,
        "status": "PAUSED",
        "type": "SEARCH_STANDARD"
    }}]})
}

pub fn ad(req: &PublishRequest, ad_group: &str) -> Value {
    let c = req.creative.clone().unwrap_or_default();
    let texts = |v: &[String]| v.iter().map(|t| json!({"text": t})).collect::<Vec<_>>();
    json!({"operations": [{"create": {
        "adGroup": ad_group,
        "status": "PAUSED",
        "ad": {
            "finalUrls": [req.landing_url.clone().unwrap_or_default()],
            "responsiveSearchAd": {
                "headlines": texts(&c.headlines),
                "descriptions": texts(&c.descriptions)
            }
        }
    }}]})
}

pub fn keywords(req: &PublishRequest, ad_group: &str) -> Value {
    let ops: Vec<Value> = req
        .creative
        .iter()
        .flat_map(|c| c.keywords.iter())
        .filter(|k| !k.trim().is_empty())
        .map(|k| {
            json!({"create": {
                "adGroup": ad_group,
                "status": "ENABLED",
                "keyword": {"text": k.trim(), "matchType": "PHRASE"}
            }})
        })
        .collect();
    json!({ "operations": ops })
}

pub fn locations(req: &PublishRequest, campaign: &str) -> Value {
    let ops: Vec<Value> = req
        .countries
        .iter()
        .filter_map(|c| geo_target(*c))
        .map(|id| {
            json!({"create": {
                "campaign": campaign,
                "location": {"geoTargetConstant": format!("geoTargetConstants/{id}")}
            }})
        })
        .collect();
    json!({ "operations": ops })
}

/// One atomic `googleAds:mutate` setting the ad, the ad group and the
/// campaign to `status` (the campaign last).
pub fn statuses(ad: &str, ad_group: &str, campaign: &str, status: &str) -> Value {
    let op = |kind: &str, name: &str| json!({ kind: {"update": {"resourceName": name, "status": status}, "updateMask": "status"} });
    json!({"mutateOperations": [
        op("adGroupAdOperation", ad),
        op("adGroupOperation", ad_group),
        op("campaignOperation", campaign),
    ]})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_are_multiples_of_the_billable_unit() {
        let usd = Currency::parse("USD").unwrap();
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(budget_micros(1_234, usd), 12_340_000);
        // 123.45 JPY cannot be billed: 123 yen.
        assert_eq!(budget_micros(12_345, jpy), 123_000_000);
        assert_eq!(budget_micros(50, jpy), 0);
    }

    #[test]
    fn countries_map_to_geo_target_constants() {
        assert_eq!(geo_target(Country::parse("CO").unwrap()), Some(2170));
        assert_eq!(geo_target(Country::parse("MX").unwrap()), Some(2484));
        assert_eq!(geo_target(Country::parse("JP").unwrap()), None);
    }
}
