//! What a TikTok launch sends: campaign, ad group and ad bodies as the
//! v1.3 reference names their fields, the location table, and what a
//! launch lacks for them.

use promptsales_shared::domain::Country;
use serde_json::{Value, json};

use super::super::{PublishRequest, major_units};
use super::TiktokConfig;
use crate::domain::Objective;

/// Country location ids TikTok targets by: GeoNames ids, as listed by
/// `tool/region/` ("Get available locations", v1.3;
/// <https://business-api.tiktok.com/portal/docs?id=1737189539571713>,
/// ids from <https://www.geonames.org/countries/>).
const LOCATIONS: &[(&str, u32)] = &[
    ("AR", 3_865_483),
    ("BR", 3_469_034),
    ("CA", 6_251_999),
    ("CL", 3_895_114),
    ("CO", 3_686_110),
    ("EC", 3_658_394),
    ("ES", 2_510_769),
    ("GB", 2_635_167),
    ("MX", 3_996_063),
    ("PE", 3_932_488),
    ("US", 6_252_001),
];

/// TikTok's location id of `country`, where the table has it.
pub fn location_id(country: Country) -> Option<u32> {
    LOCATIONS
        .iter()
        .find(|(c, _)| *c == country.as_str())
        .map(|(_, id)| *id)
}

/// Objective → (objective_type, optimization_goal, billing_event,
/// optimization_event): the pairs the ad group reference allows (REACH →
/// CPM, CLICK → CPC, CONVERT → OCPM with a pixel event).
pub fn objective(
    o: Objective,
) -> (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
) {
    match o {
        Objective::Awareness => ("REACH", "REACH", "CPM", None),
        Objective::Traffic => ("TRAFFIC", "CLICK", "CPC", None),
        Objective::Leads => ("WEB_CONVERSIONS", "CONVERT", "OCPM", Some("FORM")),
        Objective::Sales => ("WEB_CONVERSIONS", "CONVERT", "OCPM", Some("SHOPPING")),
    }
}

/// Whether a media URL is a video (else an image).
pub fn is_video(url: &str) -> bool {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    [".mp4", ".mov", ".mpeg", ".avi", ".webm"]
        .iter()
        .any(|e| path.ends_with(e))
}

/// What `req` lacks for a TikTok ad that delivers, in sentences.
pub fn missing(cfg: &TiktokConfig, req: &PublishRequest) -> Vec<String> {
    let mut out = Vec::new();
    match &req.creative {
        None => out.push("approved ad copy: a TikTok ad is built from it".to_owned()),
        Some(c) => {
            if c.media_url.as_deref().is_none_or(|u| u.trim().is_empty()) {
                out.push("a video or image (the creative has no media URL)".to_owned());
            }
            if c.body.trim().is_empty() {
                out.push("ad text (the creative's body)".to_owned());
            }
        }
    }
    if cfg.identity_id.is_none() || cfg.identity_type.is_none() {
        out.push(
            "a TikTok identity (identity_id and identity_type of the connection) the ad speaks as"
                .to_owned(),
        );
    }
    if req
        .landing_url
        .as_deref()
        .is_none_or(|u| u.trim().is_empty())
    {
        out.push("a landing URL (the ad's landing_page_url)".to_owned());
    }
    if objective(req.objective).3.is_some() && cfg.pixel_id.is_none() {
        out.push(format!(
            "a TikTok pixel (tiktok_pixel_id): a {} ad group optimises for a pixel event",
            req.objective
        ));
    }
    if req.countries.is_empty() {
        out.push("at least one country to target".to_owned());
    }
    for c in &req.countries {
        if location_id(*c).is_none() {
            out.push(format!(
                "a TikTok location id for country {c} (not in the table)"
            ));
        }
    }
    out
}

fn label(req: &PublishRequest) -> String {
    format!("{} [{}] {}", req.name, req.channel, req.campaign_id)
}

/// Decimal major units of the advertiser's currency (checked equal).
fn amount(cents: i64) -> f64 {
    major_units(cents).parse::<f64>().unwrap_or(0.0)
}

pub fn campaign(cfg: &TiktokConfig, req: &PublishRequest) -> Value {
    json!({
        "advertiser_id": cfg.advertiser_id,
        "campaign_name": label(req),
        "objective_type": objective(req.objective).0,
        // The budget lives in the ad group, with the schedule.
        "budget_mode": "BUDGET_MODE_INFINITE",
        "operation_status": "DISABLE"
    })
}

pub fn ad_group(cfg: &TiktokConfig, req: &PublishRequest, campaign: &str) -> Value {
    let (_, goal, billing, event) = objective(req.objective);
    let video = req
        .creative
        .as_ref()
        .and_then(|c| c.media_url.as_deref())
        .is_some_and(is_video);
    // Single-image ads do not run on TikTok's own feed: Pangle serves them.
    let placement = if video {
        "PLACEMENT_TIKTOK"
    } else {
        "PLACEMENT_PANGLE"
    };
    let mut g = json!({
        "advertiser_id": cfg.advertiser_id,
        "campaign_id": campaign,
        "adgroup_name": format!("{} ad group", label(req)),
        "promotion_type": "WEBSITE",
        "placement_type": "PLACEMENT_TYPE_NORMAL",
        "placements": [placement],
        "location_ids": req.countries.iter().filter_map(|c| location_id(*c)).map(|id| id.to_string()).collect::<Vec<_>>(),
        "budget_mode": "BUDGET_MODE_TOTAL",
        "budget": amount(req.budget_cents),
        "schedule_type": "SCHEDULE_START_END",
        "schedule_start_time": format!("{} 00:00:00", req.start.format("%Y-%m-%d")),
        "schedule_end_time": format!("{} 23:59:59", req.end.format("%Y-%m-%d")),
        "optimization_goal": goal,
        "billing_event": billing,
        "bid_type": "BID_TYPE_NO_BID",
        "pacing": "PACING_MODE_SMOOTH",
        "operation_status": "DISABLE"
    });
    if let (Some(o), Some(ev)) = (g.as_object_mut(), event) {
        o.insert("pixel_id".into(), json!(cfg.pixel_id));
        o.insert("optimization_event".into(), json!(ev));
    }
    g
}

pub fn ad(cfg: &TiktokConfig, req: &PublishRequest, ad_group: &str, media: &Media) -> Value {
    let c = req.creative.clone().unwrap_or_default();
    let mut creative = json!({
        "ad_name": format!("{} ad", label(req)),
        "identity_id": cfg.identity_id,
        "identity_type": cfg.identity_type,
        "ad_text": c.body,
        "call_to_action": match req.objective {
            Objective::Sales => "SHOP_NOW",
            Objective::Leads => "SIGN_UP",
            _ => "LEARN_MORE",
        },
        "landing_page_url": req.landing_url
    });
    if let Some(o) = creative.as_object_mut() {
        match media {
            Media::Video(id) => {
                o.insert("ad_format".into(), json!("SINGLE_VIDEO"));
                o.insert("video_id".into(), json!(id));
            }
            Media::Image(id) => {
                o.insert("ad_format".into(), json!("SINGLE_IMAGE"));
                o.insert("image_ids".into(), json!([id]));
            }
        }
    }
    json!({"advertiser_id": cfg.advertiser_id, "adgroup_id": ad_group, "creatives": [creative]})
}

/// An uploaded creative file.
#[derive(Debug, Clone, PartialEq)]
pub enum Media {
    Video(String),
    Image(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_map_to_geonames_ids_and_media_by_extension() {
        assert_eq!(location_id(Country::parse("CO").unwrap()), Some(3_686_110));
        assert_eq!(location_id(Country::parse("JP").unwrap()), None);
        assert!(is_video("https://x.example/a.MP4?sig=1"));
        assert!(!is_video("https://x.example/a.jpg"));
    }
}
