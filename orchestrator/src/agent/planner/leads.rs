//! Leads: registering one (its country from the phone's calling code, a city, a country named or the client's own; where it came from) and the follow-up digest ("which leads should I call today?").

use serde_json::{Map, Value, json};

use super::extract::{city, countries, email, person_name, phone, phone_country, source_channel};
use super::known::{Lookup, product_in};
use super::lang::has_any;
use super::{Cx, Missing, Plan, id_with, resolve_client};

/// Country names for the question about an ambiguous city.
fn country_name(code: &str, es: bool) -> String {
    let (en, sp) = match code {
        "AR" => ("Argentina", "Argentina"),
        "CL" => ("Chile", "Chile"),
        "CO" => ("Colombia", "Colombia"),
        "CR" => ("Costa Rica", "Costa Rica"),
        "DO" => ("Dominican Republic", "República Dominicana"),
        "ES" => ("Spain", "España"),
        "MX" => ("Mexico", "México"),
        "PR" => ("Puerto Rico", "Puerto Rico"),
        "US" => ("United States", "Estados Unidos"),
        "VE" => ("Venezuela", "Venezuela"),
        other => (other, other),
    };
    format!("{} ({code})", if es { sp } else { en })
}

/// `crm.register_lead` from a sentence: client (id or name), name, email,
/// phone, country, city, source channel, campaign, product of interest.
pub(super) fn register(cx: &Cx) -> Plan {
    let mut m = Missing::new(cx.lang);
    let mut args = Map::new();
    let client = resolve_client(
        cx,
        &mut m,
        Some((
            "which client the lead is for (its name or an id such as cli_001)",
            "de qué cliente es el lead (su nombre o un id como cli_001)",
        )),
    );
    if let Some(c) = &client {
        args.insert("client_id".into(), json!(c.id));
    }
    if let Some(n) = person_name(cx.text) {
        args.insert("name".into(), json!(n));
    }
    let mail = email(cx.text);
    if let Some(e) = &mail {
        args.insert("email".into(), json!(e));
    }
    let tel = phone(cx.text);
    if let Some(p) = &tel {
        args.insert("phone".into(), json!(p));
    }
    // Places inside the client's own name ("Hotel Boutique Cartagena",
    // "AutoMotores Guatemala") say nothing about where the lead is.
    let f = match client.as_ref().map(|c| super::lang::fold(&c.name)) {
        Some(name) if !name.is_empty() => cx.f.replace(&name, " "),
        _ => cx.f.to_owned(),
    };
    let town = city(&f);
    if let Some((written, _)) = town {
        args.insert("city".into(), json!(written));
    }
    let by_prefix = tel.as_deref().and_then(phone_country);
    let of_client = client
        .as_ref()
        .map(|c| c.country.clone())
        .filter(|c| !c.is_empty());
    let country = if let Some(named) = countries(&f).into_iter().next() {
        Some(named)
    } else if let Some((written, options)) = town {
        let among = |c: &Option<String>| c.clone().filter(|c| options.contains(&c.as_str()));
        match options {
            [one] => Some((*one).to_owned()),
            _ => among(&by_prefix).or_else(|| among(&of_client)).or_else(|| {
                let es = cx.lang == super::Lang::Es;
                let names: Vec<String> = options.iter().map(|c| country_name(c, es)).collect();
                m.choose(
                    "country",
                    &format!("Which {written}:"),
                    &format!("¿Qué {written}:"),
                    &names,
                );
                None
            }),
        }
    } else {
        by_prefix.or(of_client)
    };
    if let Some(c) = &country {
        args.insert("country".into(), json!(c));
    } else if town.is_none() {
        m.need(
            "country",
            "the lead's country or city (e.g. Colombia, Bogotá), or the phone with its +code",
            "el país o la ciudad del lead (p. ej. Colombia, Bogotá), o el teléfono con su +código",
        );
    }
    match source_channel(cx.text, cx.f) {
        Some(ch) => {
            args.insert("channel".into(), json!(ch));
        }
        None => m.need(
            "channel",
            "where the lead came from (e.g. Instagram, WhatsApp, web, Google Ads)",
            "por dónde llegó el lead (p. ej. Instagram, WhatsApp, web, Google Ads)",
        ),
    }
    if let Some(c) = id_with(cx.f, "cmp_") {
        args.insert("campaign_id".into(), json!(c));
    }
    if let Some(c) = &client
        && let Lookup::One(p) = product_in(cx.text, Some(&c.id), cx.known)
    {
        args.insert("product_interest".into(), json!(p.name));
    }
    if mail.is_none() && tel.is_none() {
        m.need(
            "email",
            "an email or a phone number to reach the person",
            "un email o un teléfono para contactar a la persona",
        );
    }
    m.finish(Plan::Call {
        tool: "crm.register_lead".into(),
        args: Value::Object(args),
    })
}

/// Ways of asking for the follow-up digest.
const FOLLOW_UPS: &[&str] = &[
    "follow up",
    "follow ups",
    "follow-up",
    "follow-ups",
    "followups",
    "followup",
    "should i call",
    "should we call",
    "to call today",
    "call today",
    "who do i call",
    "who should i contact",
    "leads to contact",
    "leads to call",
    "morning digest",
    "a quien llamo",
    "a quien llamar",
    "a quien debo llamar",
    "a quienes llamo",
    "a quienes debo llamar",
    "a quien contacto",
    "a quien debo contactar",
    "llamo hoy",
    "llamar hoy",
    "contactar hoy",
    "seguimientos",
    "seguimientos pendientes",
    "hacer seguimiento",
    "dar seguimiento",
    "leads pendientes",
    "pendientes de llamar",
    "pendientes de contactar",
];

pub(super) fn is_follow_ups(f: &str) -> bool {
    has_any(f, FOLLOW_UPS)
}

/// `crm.follow_ups_due`, for the client named (if any).
pub(super) fn follow_ups(cx: &Cx) -> Plan {
    let mut m = Missing::new(cx.lang);
    let mut args = Map::new();
    if let Some(c) = resolve_client(cx, &mut m, None) {
        args.insert("client_id".into(), json!(c.id));
    }
    if let Some(s) = id_with(cx.f, "sel_") {
        args.insert("seller_id".into(), json!(s));
    }
    m.finish(Plan::Call {
        tool: "crm.follow_ups_due".into(),
        args: Value::Object(args),
    })
}
