//! The objects a Meta launch creates, per objective, from the Marketing
//! API's documented minimum (campaign → ad set → ad creative → ad, all
//! PAUSED), and what a launch lacks to build them.

use promptsales_shared::domain::{Channel, Country};
use serde_json::{Value, json};

use super::super::units::to_meta;
use super::super::{Call, PublishRequest};
use super::Meta;
use crate::domain::Objective;

/// The custom event a sales ad set optimises for.
const SALES_EVENT: &str = "PURCHASE";

pub(super) fn objective(o: Objective) -> &'static str {
    match o {
        Objective::Awareness => "OUTCOME_AWARENESS",
        Objective::Traffic => "OUTCOME_TRAFFIC",
        Objective::Leads => "OUTCOME_LEADS",
        Objective::Sales => "OUTCOME_SALES",
    }
}

/// An optimisation goal Meta accepts for the objective (the ad set
/// reference's objective/goal table).
pub(super) fn optimization_goal(o: Objective) -> &'static str {
    match o {
        Objective::Awareness => "REACH",
        Objective::Traffic => "LINK_CLICKS",
        Objective::Leads => "LEAD_GENERATION",
        Objective::Sales => "OFFSITE_CONVERSIONS",
    }
}

fn call_to_action(o: Objective) -> &'static str {
    match o {
        Objective::Awareness | Objective::Traffic => "LEARN_MORE",
        Objective::Leads => "SIGN_UP",
        Objective::Sales => "SHOP_NOW",
    }
}

/// Objectives whose ads send people to a landing page.
fn needs_link(o: Objective) -> bool {
    !matches!(o, Objective::Leads)
}

impl Meta {
    /// What `req` lacks for Meta to build an ad that delivers, one sentence
    /// each; empty when complete.
    pub(super) fn lacks(&self, req: &PublishRequest) -> Vec<String> {
        let mut out = Vec::new();
        match &req.creative {
            None => out.push(
                "an approved creative (the channel's creative was waived; a Meta ad needs approved copy)"
                    .to_owned(),
            ),
            Some(c) if c.body.trim().is_empty() => {
                out.push("primary text (the approved creative's body is empty)".to_owned())
            }
            Some(_) => {}
        }
        if self.cfg.page_id.is_none() {
            out.push(
                "a Facebook Page (page_id on the connection or PROMPTSALES_META_PAGE_ID): every Meta ad speaks as a Page"
                    .to_owned(),
            );
        }
        match req.objective {
            Objective::Leads if self.cfg.lead_form_id.is_none() => out.push(
                "a lead form (lead_form_id on the connection or PROMPTSALES_META_LEAD_FORM_ID) for the leads objective"
                    .to_owned(),
            ),
            Objective::Sales if self.cfg.pixel_id.is_none() => out.push(
                "a pixel (pixel_id on the connection or PROMPTSALES_META_PIXEL_ID) for the sales objective's purchase event"
                    .to_owned(),
            ),
            _ => {}
        }
        if needs_link(req.objective) && req.landing_url.is_none() {
            out.push(format!(
                "a landing URL (the {} objective's ads link to it)",
                req.objective.as_str()
            ));
        }
        if req.channel == Channel::Instagram {
            if self.cfg.instagram_user_id.is_none() {
                out.push(
                    "an Instagram account (instagram_user_id on the connection or PROMPTSALES_META_INSTAGRAM_USER_ID)"
                        .to_owned(),
                );
            }
            if req.creative.as_ref().is_some_and(|c| c.media_url.is_none()) {
                out.push(
                    "an image (Instagram ads need one; attach an approved image asset)".to_owned(),
                );
            }
        }
        if req.countries.is_empty() {
            out.push("at least one country to target".to_owned());
        }
        if to_meta(req.daily_budget_cents, req.currency) < 1 {
            out.push(format!(
                "a daily budget of at least one whole unit of {} in Meta's units",
                req.currency
            ));
        }
        out
    }

    pub(super) fn account_call(&self) -> Call {
        Call::new(
            "read the ad account's currency and status",
            "GET",
            self.url(&format!("act_{}", self.cfg.ad_account_id)),
        )
        .auth(self.bearer())
        .query("fields", "currency,account_status")
    }

    pub(super) fn campaign_call(&self, req: &PublishRequest) -> Call {
        self.post(
            "create campaign (paused)",
            &format!("act_{}/campaigns", self.cfg.ad_account_id),
            vec![
                ("name".into(), format!("{} [{}]", req.name, req.channel)),
                ("objective".into(), objective(req.objective).into()),
                ("status".into(), "PAUSED".into()),
                ("special_ad_categories".into(), "[]".into()),
                ("buying_type".into(), "AUCTION".into()),
                // Required from v24 when the budget is the ad set's (no
                // campaign budget); false keeps each ad set to its own.
                ("is_adset_budget_sharing_enabled".into(), "false".into()),
            ],
        )
    }

    pub(super) fn adset_call(&self, req: &PublishRequest, campaign_id: &str) -> Call {
        let platforms = if req.channel == Channel::Instagram {
            json!(["instagram"])
        } else {
            json!(["facebook"])
        };
        let countries: Vec<&str> = req.countries.iter().map(Country::as_str).collect();
        let targeting = json!({
            "geo_locations": {"countries": countries},
            "publisher_platforms": platforms,
        });
        let mut fields: Vec<(String, String)> = vec![
            (
                "name".into(),
                format!("{} [{}] ad set", req.name, req.channel),
            ),
            ("campaign_id".into(), campaign_id.into()),
            // Meta's units: whole pesos for COP (offset 1), cents for USD.
            (
                "daily_budget".into(),
                to_meta(req.daily_budget_cents, req.currency).to_string(),
            ),
            ("billing_event".into(), "IMPRESSIONS".into()),
            (
                "optimization_goal".into(),
                optimization_goal(req.objective).into(),
            ),
            ("bid_strategy".into(), "LOWEST_COST_WITHOUT_CAP".into()),
            ("targeting".into(), targeting.to_string()),
            ("start_time".into(), format!("{}T00:00:00+0000", req.start)),
            ("end_time".into(), format!("{}T23:59:59+0000", req.end)),
            ("status".into(), "PAUSED".into()),
        ];
        let promoted = match req.objective {
            Objective::Leads => self.cfg.page_id.as_ref().map(|p| json!({"page_id": p})),
            Objective::Sales => self
                .cfg
                .pixel_id
                .as_ref()
                .map(|p| json!({"pixel_id": p, "custom_event_type": SALES_EVENT})),
            _ => None,
        };
        if let Some(p) = promoted {
            fields.push(("promoted_object".into(), p.to_string()));
        }
        if req.objective == Objective::Leads {
            // Instant forms: the lead is collected on the ad itself.
            fields.push(("destination_type".into(), "ON_AD".into()));
        }
        self.post(
            "create ad set (paused)",
            &format!("act_{}/adsets", self.cfg.ad_account_id),
            fields,
        )
    }

    /// The link ad's story: the Page (and Instagram account) it speaks as,
    /// the approved copy, the image, the call to action.
    pub(super) fn story(&self, req: &PublishRequest) -> Value {
        let c = req.creative.clone().unwrap_or_default();
        let link = req
            .landing_url
            .clone()
            // Lead ads without a site: Meta's documented placeholder link.
            .unwrap_or_else(|| "http://fb.me/".to_owned());
        let mut cta_value = json!({"link": link});
        if req.objective == Objective::Leads
            && let (Some(form), Some(v)) = (&self.cfg.lead_form_id, cta_value.as_object_mut())
        {
            v.insert("lead_gen_form_id".into(), json!(form));
        }
        let mut link_data = json!({
            "link": link,
            "message": c.body,
            "call_to_action": {"type": call_to_action(req.objective), "value": cta_value},
        });
        if let Some(d) = link_data.as_object_mut() {
            if let Some(h) = c.headlines.first() {
                d.insert("name".into(), json!(h));
            }
            if let Some(desc) = c.descriptions.first() {
                d.insert("description".into(), json!(desc));
            }
            if let Some(m) = &c.media_url {
                d.insert("picture".into(), json!(m));
            }
        }
        let mut spec = json!({"page_id": self.cfg.page_id, "link_data": link_data});
        if req.channel == Channel::Instagram
            && let (Some(ig), Some(o)) = (&self.cfg.instagram_user_id, spec.as_object_mut())
        {
            o.insert("instagram_user_id".into(), json!(ig));
        }
        spec
    }

    pub(super) fn creative_call(&self, req: &PublishRequest) -> Call {
        self.post(
            "create ad creative",
            &format!("act_{}/adcreatives", self.cfg.ad_account_id),
            vec![
                (
                    "name".into(),
                    format!("{} [{}] creative", req.name, req.channel),
                ),
                ("object_story_spec".into(), self.story(req).to_string()),
            ],
        )
    }

    pub(super) fn ad_call(&self, req: &PublishRequest, adset_id: &str, creative_id: &str) -> Call {
        self.post(
            "create ad (paused)",
            &format!("act_{}/ads", self.cfg.ad_account_id),
            vec![
                ("name".into(), format!("{} [{}] ad", req.name, req.channel)),
                ("adset_id".into(), adset_id.into()),
                (
                    "creative".into(),
                    json!({"creative_id": creative_id}).to_string(),
                ),
                ("status".into(), "PAUSED".into()),
            ],
        )
    }
}
