//! Campaigns: launching one (the `launch-campaign` recipe) and pausing, resuming or completing one by id or by name (`ads.pause_campaign`, `ads.resume_campaign`, `ads.complete_campaign`, which keep their own confirmation and scope rules).

use serde_json::{Map, Value, json};

use super::extract::{budget, channels, countries, dates, quoted};
use super::known::{KnownCampaign, campaigns_in};
use super::lang::{explicit_lang, fold, has_any, starts_with_any};
use super::{Cx, Lang, Missing, Plan, id_with, labelled, resolve_client, resolve_product};

/// A move of a running campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Pause,
    Resume,
    Complete,
}

impl Move {
    fn tool(self) -> &'static str {
        match self {
            Move::Pause => "ads.pause_campaign",
            Move::Resume => "ads.resume_campaign",
            Move::Complete => "ads.complete_campaign",
        }
    }

    /// The statuses the move applies to.
    fn applies_to(self, status: &str) -> bool {
        match self {
            Move::Pause => status == "active",
            Move::Resume => status == "paused",
            Move::Complete => status == "active" || status == "paused",
        }
    }

    /// What the move needs, as a sentence's end (English, Spanish).
    fn needs(self) -> (&'static str, &'static str) {
        match self {
            Move::Pause => (
                "an active campaign can be paused",
                "se puede pausar una campaña activa",
            ),
            Move::Resume => (
                "a paused campaign can be resumed",
                "se puede reanudar una campaña pausada",
            ),
            Move::Complete => (
                "an active or paused campaign can be completed",
                "se puede finalizar una campaña activa o pausada",
            ),
        }
    }

    fn verb(self, lang: Lang) -> String {
        match self {
            Move::Pause => lang.pick("pause", "pausar"),
            Move::Resume => lang.pick("resume", "reanudar"),
            Move::Complete => lang.pick("complete", "finalizar"),
        }
    }
}

// "para" is never a verb here: in Spanish it is mostly "for".
const PAUSE: &[&str] = &[
    "pause",
    "pausa",
    "pausar",
    "pausame",
    "stop",
    "deten",
    "detener",
    "detenga",
    "frena",
    "frenar",
    "suspende",
    "suspender",
    "put on hold",
];
const RESUME: &[&str] = &[
    "resume",
    "unpause",
    "restart",
    "reactivate",
    "reanuda",
    "reanudar",
    "reactiva",
    "reactivar",
    "reanudame",
    "retoma",
    "retomar",
    "despausa",
    "continue",
    "continua",
    "continuar",
    "turn back on",
    "activa de nuevo",
    "vuelve a activar",
];
const COMPLETE: &[&str] = &[
    "complete",
    "finish",
    "end",
    "terminate",
    "close",
    "wrap up",
    "completa",
    "completar",
    "finaliza",
    "finalizar",
    "termina",
    "terminar",
    "cierra",
    "cerrar",
    "da por terminada",
];

/// Verbs that mean a campaign move whatever follows ("pausa Black
/// Friday"); the others ("stop", "termina", "close"…) only with the word
/// campaign or a campaign id.
const ALWAYS: &[&str] = &[
    "pause",
    "pausa",
    "pausar",
    "pausame",
    "unpause",
    "despausa",
    "reanuda",
    "reanudar",
    "reanudame",
    "resume",
];

/// The move the instruction starts with, if any (`head`: its leading
/// words, `f`: all of it, folded).
pub(super) fn move_of(head: &str, f: &str) -> Option<Move> {
    let mv = if starts_with_any(head, PAUSE) {
        Move::Pause
    } else if starts_with_any(head, RESUME) {
        Move::Resume
    } else if starts_with_any(head, COMPLETE) {
        Move::Complete
    } else {
        return None;
    };
    let about_campaign = has_any(f, &["campaign", "campana", "campaigns", "campanas"])
        || id_with(f, "cmp_").is_some();
    (about_campaign || starts_with_any(head, ALWAYS)).then_some(mv)
}

/// A campaign status in Spanish.
fn status_es(status: &str) -> &str {
    match status {
        "draft" => "en borrador",
        "pending_approval" => "pendiente de aprobación",
        "approved" => "aprobada",
        "active" => "activa",
        "paused" => "pausada",
        "completed" => "finalizada",
        "rejected" => "rechazada",
        other => other,
    }
}

/// "Black Friday Sales 2026 (cmp_00012, Café Andino, active)", the status
/// in the person's language; without it when `status` is false.
fn described(c: &KnownCampaign, cx: &Cx, status: bool) -> String {
    let client = cx
        .known
        .client(&c.client_id)
        .map_or(c.client_id.clone(), |k| k.name.clone());
    let state = match (status, cx.lang) {
        (false, _) => String::new(),
        (true, Lang::En) => format!(", {}", c.status),
        (true, Lang::Es) => format!(", {}", status_es(&c.status)),
    };
    format!("{} ({}, {client}{state})", c.name, c.id)
}

/// Pause, resume or complete one campaign: its id, else its name (quoted
/// or not) among the campaigns of the client named, if any. Several
/// campaigns of the very same name (one per client) narrow to the one the
/// move applies to; any other several are asked about.
pub(super) fn plan_move(cx: &Cx, mv: Move) -> Plan {
    let mut m = Missing::new(cx.lang);
    let call = |id: &str| Plan::Call {
        tool: mv.tool().into(),
        args: json!({ "campaign_id": id }),
    };
    if let Some(id) = id_with(cx.f, "cmp_") {
        return call(&id);
    }
    let client = resolve_client(cx, &mut m, None);
    let named_in = quoted(cx.text).unwrap_or_else(|| cx.text.to_owned());
    let mut found = campaigns_in(&named_in, client.as_ref().map(|c| c.id.as_str()), cx.known);
    // Only the client named: its campaigns are the options.
    let client_only = found.is_empty() && client.is_some();
    if client_only && let Some(c) = &client {
        found = cx
            .known
            .campaigns
            .iter()
            .filter(|k| k.client_id == c.id)
            .cloned()
            .collect();
    }
    let eligible: Vec<&KnownCampaign> = found.iter().filter(|c| mv.applies_to(&c.status)).collect();
    let one_name = found
        .windows(2)
        .all(|w| fold(&w[0].name) == fold(&w[1].name));
    let chosen: Option<&KnownCampaign> = match (found.as_slice(), eligible.as_slice()) {
        _ if client_only => None,
        ([one], _) => Some(one),
        (_, [one]) if one_name => Some(*one),
        _ => None,
    };
    let partial = Plan::Call {
        tool: mv.tool().into(),
        args: json!({}),
    };
    if let Some(c) = chosen {
        if mv.applies_to(&c.status) {
            return call(&c.id);
        }
        // The one campaign named cannot take this move: say so rather than
        // ask to confirm a call the server would refuse.
        let (en, es) = mv.needs();
        let question = match cx.lang {
            Lang::En => format!(
                "{} is {}: only {en}. Which campaign then?",
                described(c, cx, false),
                c.status
            ),
            Lang::Es => format!(
                "{} está {}: solo {es}. ¿Qué campaña entonces?",
                described(c, cx, false),
                status_es(&c.status)
            ),
        };
        return Plan::Ask {
            question,
            missing: vec!["campaign_id".into()],
            partial: Box::new(partial),
        };
    }
    if found.len() > 1 || (client_only && !found.is_empty()) {
        let options: Vec<String> = found.iter().map(|c| described(c, cx, true)).collect();
        m.choose(
            "campaign_id",
            &format!("Which campaign should I {}:", mv.verb(Lang::En)),
            &format!("¿Qué campaña debo {}:", mv.verb(Lang::Es)),
            &options,
        );
        return m.finish(partial);
    }
    if cx.known.campaigns.is_empty() {
        m.need(
            "campaign_id",
            "which campaign (its id, such as cmp_00042; names cannot be looked up here)",
            "qué campaña (su id, como cmp_00042; aquí no puedo buscar nombres)",
        );
    } else {
        let whose = client
            .as_ref()
            .map(|c| labelled(&c.name, &c.id))
            .map(|c| (format!(" of {c}"), format!(" de {c}")))
            .unwrap_or_default();
        m.need(
            "campaign_id",
            &format!(
                "which campaign (its id such as cmp_00042, or its name as listed: none{} matches)",
                whose.0
            ),
            &format!(
                "qué campaña (su id como cmp_00042, o su nombre tal como aparece: ninguna{} coincide)",
                whose.1
            ),
        );
    }
    m.finish(partial)
}

pub(super) fn launch(cx: &Cx) -> Plan {
    let mut m = Missing::new(cx.lang);
    let mut params = Map::new();
    let client = resolve_client(
        cx,
        &mut m,
        Some((
            "which client (its name or an id such as cli_001)",
            "para qué cliente (su nombre o un id como cli_001)",
        )),
    );
    if let Some(c) = &client {
        params.insert("client_id".into(), json!(c.id));
    }
    let product = resolve_product(
        cx,
        client.as_ref().map(|c| c.id.as_str()),
        &mut m,
        Some(("the product, in quotes", "el producto, entre comillas")),
    );
    if let Some((name, id)) = &product {
        params.insert("product".into(), json!(name));
        if let Some(id) = id {
            params.insert("product_id".into(), json!(id));
        }
    }
    let money = budget(cx.text, cx.f);
    if let Some((cents, cur)) = &money {
        params.insert("budget_cents".into(), json!(cents));
        params.insert("currency".into(), json!(cur));
    }
    let d = dates(cx.f);
    if let Some(s) = d.first() {
        params.insert("start_date".into(), json!(s));
    }
    if let Some(e) = d.get(1) {
        params.insert("end_date".into(), json!(e));
    }
    let chans = channels(cx.f);
    if !chans.is_empty() {
        params.insert("channels".into(), json!(chans));
    }
    let ctry = countries(cx.f);
    if !ctry.is_empty() {
        params.insert("countries".into(), json!(ctry));
    }
    params.insert(
        "language".into(),
        json!(explicit_lang(cx.f).unwrap_or(cx.lang).code()),
    );
    if money.is_none() {
        m.need(
            "budget_cents",
            "the budget with its currency (e.g. 5000 USD)",
            "el presupuesto con su moneda (p. ej. 5000 USD)",
        );
    }
    if d.is_empty() {
        m.need(
            "start_date",
            "the start date (YYYY-MM-DD)",
            "la fecha de inicio (AAAA-MM-DD)",
        );
    }
    if d.len() < 2 {
        m.need(
            "end_date",
            "the end date (YYYY-MM-DD)",
            "la fecha de fin (AAAA-MM-DD)",
        );
    }
    m.finish(Plan::Recipe {
        recipe: "launch-campaign".into(),
        params: Value::Object(params),
    })
}
