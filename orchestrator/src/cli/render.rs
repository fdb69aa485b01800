//! Tool results as people read them, in their language: sentences and aligned tables for the agent's everyday tools (answers, reports, follow-ups, leads, campaign moves, copy), and a generic table view for the rest.

use serde_json::Value;

use crate::agent::planner::{Known, Lang};

/// Longest cell shown; longer text ends in "…".
const MAX_CELL: usize = 60;

fn cell(v: &Value) -> String {
    let s = match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(cell).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    };
    let s = s.replace('\n', " ");
    if s.chars().count() > MAX_CELL {
        s.chars().take(MAX_CELL - 1).collect::<String>() + "…"
    } else {
        s
    }
}

/// An aligned text table: a header, a rule, one line per row.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> Vec<String> {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| -> String {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.chars().count()))))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = vec![line(headers.iter().map(|h| (*h).to_owned()).collect())];
    out.push(line(widths.iter().map(|w| "-".repeat(*w)).collect()));
    out.extend(rows.iter().map(|r| line(r.clone())));
    out
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

/// "Café Andino (cli_001)", or the id alone when its name is not known.
fn named(id: &str, name: Option<&str>) -> String {
    match name.filter(|n| !n.is_empty()) {
        Some(n) => format!("{n} ({id})"),
        None => id.to_owned(),
    }
}

/// A tool's result as lines for a person.
pub fn result_lines(tool: &str, v: &Value, lang: Lang, known: &Known) -> Vec<String> {
    match tool {
        "analytics.ask" if v["answer"].is_string() => vec![s(v, "answer").to_owned()],
        "analytics.report" if v["markdown"].is_string() => vec![s(v, "markdown").to_owned()],
        "crm.follow_ups_due" => follow_ups(v, lang),
        "crm.register_lead" if v["lead"].is_object() => lead(v, lang, known),
        "ads.pause_campaign" | "ads.resume_campaign" | "ads.complete_campaign" => {
            campaign_move(v, lang, known)
        }
        "content.generate_content" if v["variants"].is_array() => copy(v, lang),
        _ => generic(v),
    }
}

fn reason(r: &str, lang: Lang) -> String {
    match r {
        "unanswered_inbound" => lang.pick("unanswered message", "mensaje sin responder"),
        "hot_without_contact" => lang.pick("hot, not contacted", "caliente sin contacto"),
        other => other.replace('_', " "),
    }
}

fn priority(p: &str, lang: Lang) -> String {
    match p {
        "high" => lang.pick("high", "alta"),
        "medium" => lang.pick("medium", "media"),
        "low" => lang.pick("low", "baja"),
        other => other.to_owned(),
    }
}

/// The follow-up digest: a sentence, then one row per lead.
fn follow_ups(v: &Value, lang: Lang) -> Vec<String> {
    let total = v["total_due"].as_u64().unwrap_or(0);
    let returned = v["returned"].as_u64().unwrap_or(0);
    if total == 0 {
        return vec![lang.pick(
            "Nobody is due for a follow-up right now.",
            "Nadie necesita seguimiento ahora mismo.",
        )];
    }
    let mut out = vec![match lang {
        Lang::En => format!("{total} leads to follow up (showing {returned}), most urgent first:"),
        Lang::Es => format!(
            "{total} leads para hacer seguimiento (se muestran {returned}), los más urgentes primero:"
        ),
    }];
    let mut rows = Vec::new();
    for g in v["groups"].as_array().into_iter().flatten() {
        let client = g["client_name"]
            .as_str()
            .unwrap_or_else(|| s(g, "client_id"))
            .to_owned();
        let seller = g["seller_name"]
            .as_str()
            .or_else(|| g["seller_id"].as_str())
            .map_or_else(|| lang.pick("(unassigned)", "(sin asignar)"), str::to_owned);
        for i in g["items"].as_array().into_iter().flatten() {
            let who = match i["name"].as_str().filter(|n| !n.is_empty()) {
                Some(n) => format!("{n} ({})", s(i, "lead_id")),
                None => s(i, "lead_id").to_owned(),
            };
            rows.push(vec![
                priority(s(i, "priority"), lang),
                who,
                client.clone(),
                seller.clone(),
                reason(s(i, "reason"), lang),
                s(i, "age").to_owned(),
                cell(&i["detail"]),
            ]);
        }
    }
    let headers: &[&str] = match lang {
        Lang::En => &[
            "priority", "lead", "client", "seller", "why", "waiting", "detail",
        ],
        Lang::Es => &[
            "prioridad",
            "lead",
            "cliente",
            "vendedor",
            "motivo",
            "espera",
            "detalle",
        ],
    };
    out.extend(table(headers, &rows));
    if v["next_cursor"].is_string() {
        out.push(match lang {
            Lang::En => format!("… and {} more.", total.saturating_sub(returned)),
            Lang::Es => format!("… y {} más.", total.saturating_sub(returned)),
        });
    }
    out
}

/// A registration: what was stored, or the existing lead it joined.
fn lead(v: &Value, lang: Lang, known: &Known) -> Vec<String> {
    let l = &v["lead"];
    let name = l["name"].as_str().unwrap_or("");
    let who = if name.is_empty() {
        lang.pick("the person", "la persona")
    } else {
        name.to_owned()
    };
    let place = [s(l, "city"), s(l, "country")]
        .iter()
        .filter(|x| !x.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    let contact = [s(l, "phone"), s(l, "email")]
        .iter()
        .filter(|x| !x.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    let id = s(l, "id");
    let client = named(
        s(l, "client_id"),
        known.client(s(l, "client_id")).map(|c| c.name.as_str()),
    );
    if let Some(dup) = v["duplicate_of"].as_str() {
        let on = match (v["matched_on"].as_str(), lang) {
            (Some("phone"), Lang::Es) => "teléfono".to_owned(),
            (Some(m), _) => m.to_owned(),
            (None, _) => "contact".to_owned(),
        };
        return vec![match lang {
            Lang::En => format!(
                "{who} is already lead {dup} of {client} (same {on}): this contact was added to it, no new lead was created."
            ),
            Lang::Es => format!(
                "{who} ya es el lead {dup} de {client} (mismo {on}): sumé este contacto a ese lead, no se creó otro."
            ),
        }];
    }
    vec![match lang {
        Lang::En => format!(
            "Registered {who} as lead {id} of {client}: {contact}; {place}; came from {}; stage {}, score {}.",
            s(l, "channel"),
            s(l, "stage"),
            l["score"]
        ),
        Lang::Es => format!(
            "Registré a {who} como lead {id} de {client}: {contact}; {place}; llegó por {}; etapa {}, puntaje {}.",
            s(l, "channel"),
            s(l, "stage"),
            l["score"]
        ),
    }]
}

/// A pause, resume or completion: the campaign's status in a sentence,
/// then each channel's outcome.
fn campaign_move(v: &Value, lang: Lang, known: &Known) -> Vec<String> {
    let id = named(
        s(v, "campaign_id"),
        known
            .campaigns
            .iter()
            .find(|c| c.id == s(v, "campaign_id"))
            .map(|c| c.name.as_str()),
    );
    let status = s(v, "status");
    let es_status = match status {
        "paused" => "pausada",
        "active" => "activa",
        "completed" => "finalizada",
        other => other,
    };
    let mut out = vec![match lang {
        Lang::En => format!("Campaign {id} is now {status}."),
        Lang::Es => format!("La campaña {id} quedó {es_status}."),
    }];
    let rows: Vec<Vec<String>> = v["channels"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            vec![
                s(c, "channel").to_owned(),
                s(c, "platform").to_owned(),
                s(c, "outcome").to_owned(),
                cell(&c["error"]),
            ]
        })
        .collect();
    if !rows.is_empty() {
        let headers: &[&str] = match lang {
            Lang::En => &["channel", "platform", "outcome", "error"],
            Lang::Es => &["canal", "plataforma", "resultado", "error"],
        };
        out.extend(table(headers, &rows));
    }
    if v["sandbox"].as_bool() == Some(true) {
        out.push(lang.pick(
            "(sandbox: no real platform was called)",
            "(sandbox: no se llamó a ninguna plataforma real)",
        ));
    }
    out
}

/// Generated copy: one row per variant with its first field.
fn copy(v: &Value, lang: Lang) -> Vec<String> {
    let variants = v["variants"].as_array().cloned().unwrap_or_default();
    let mut out = vec![match lang {
        Lang::En => format!(
            "{} variants written ({} engine, language {}), saved as drafts:",
            variants.len(),
            s(v, "engine"),
            s(v, "language")
        ),
        Lang::Es => format!(
            "{} variantes redactadas (motor {}, idioma {}), guardadas como borrador:",
            variants.len(),
            s(v, "engine"),
            s(v, "language")
        ),
    }];
    let rows: Vec<Vec<String>> = variants
        .iter()
        .map(|x| {
            let first = x["fields"]
                .as_array()
                .and_then(|f| f.first())
                .map(|f| format!("{}: {}", s(f, "name"), cell(&f["text"])))
                .unwrap_or_default();
            vec![
                cell(&x["variant"]),
                s(x, "channel").to_owned(),
                s(x, "asset_id").to_owned(),
                first,
            ]
        })
        .collect();
    let headers: &[&str] = match lang {
        Lang::En => &["variant", "channel", "asset_id", "copy"],
        Lang::Es => &["variante", "canal", "asset_id", "texto"],
    };
    out.extend(table(headers, &rows));
    out
}

/// Any other result: its sentence (answer, summary, markdown), its scalar
/// fields, and each list of objects as a table of their scalar fields.
fn generic(v: &Value) -> Vec<String> {
    let Some(obj) = v.as_object() else {
        return vec![cell(v)];
    };
    let mut out = Vec::new();
    for k in ["answer", "summary", "markdown", "message"] {
        if let Some(t) = obj.get(k).and_then(Value::as_str) {
            out.push(t.to_owned());
        }
    }
    for (k, x) in obj {
        if ["answer", "summary", "markdown", "message"].contains(&k.as_str()) {
            continue;
        }
        match x {
            Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => {
                let mut cols: Vec<String> = Vec::new();
                for it in items {
                    for (c, cv) in it.as_object().into_iter().flatten() {
                        if !cv.is_object() && !cv.is_array() && !cols.contains(c) {
                            cols.push(c.clone());
                        }
                    }
                }
                cols.truncate(8);
                out.push(format!("{k}:"));
                let rows: Vec<Vec<String>> = items
                    .iter()
                    .map(|it| cols.iter().map(|c| cell(&it[c])).collect())
                    .collect();
                let headers: Vec<&str> = cols.iter().map(String::as_str).collect();
                out.extend(table(&headers, &rows).into_iter().map(|l| format!("  {l}")));
            }
            Value::Object(_) | Value::Null => {}
            other => out.push(format!("{k}: {}", cell(other))),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use serde_json::json;

    use super::*;

    #[test]
    fn tables_align_and_cells_are_cut() {
        let t = table(
            &["a", "bb"],
            &[vec!["xxx".into(), "y".into()], vec!["z".into(), "w".into()]],
        );
        assert_eq!(t, ["a    bb", "---  --", "xxx  y", "z    w"]);
        assert!(cell(&json!("é".repeat(100))).ends_with('…'));
    }

    #[test]
    fn follow_ups_read_as_a_table_in_the_persons_language() {
        let d = json!({"total_due": 1, "returned": 1, "limit": 50, "groups": [
            {"client_id": "cli_001", "client_name": "Café Andino", "seller_id": null, "seller_name": null,
             "items": [{"lead_id": "lead_1", "name": "Ana Pérez", "priority": "high",
                        "reason": "unanswered_inbound", "age": "26 h", "detail": "asked for the price"}]}]});
        let es = result_lines("crm.follow_ups_due", &d, Lang::Es, &Known::default()).join("\n");
        for want in [
            "1 leads para hacer seguimiento",
            "prioridad",
            "alta",
            "Ana Pérez (lead_1)",
            "(sin asignar)",
            "mensaje sin responder",
        ] {
            assert!(es.contains(want), "{want:?} in\n{es}");
        }
        let en = result_lines("crm.follow_ups_due", &d, Lang::En, &Known::default()).join("\n");
        assert!(
            en.contains("unanswered message") && en.contains("priority"),
            "{en}"
        );
        let none = json!({"total_due": 0, "returned": 0, "groups": []});
        assert_eq!(
            result_lines("crm.follow_ups_due", &none, Lang::Es, &Known::default()),
            ["Nadie necesita seguimiento ahora mismo."]
        );
    }

    #[test]
    fn leads_moves_and_the_rest_read_as_sentences() {
        let known = Known {
            clients: vec![crate::agent::planner::KnownClient {
                id: "cli_001".into(),
                name: "Café Andino".into(),
                country: "CO".into(),
            }],
            ..Known::default()
        };
        let v = json!({"created": true, "lead": {"id": "lead_9", "client_id": "cli_001", "name": "Laura",
            "phone": "+573105551234", "email": null, "city": "Bogotá", "country": "CO",
            "channel": "instagram", "stage": "iql", "score": 35}});
        assert_eq!(
            result_lines("crm.register_lead", &v, Lang::Es, &known),
            [
                "Registré a Laura como lead lead_9 de Café Andino (cli_001): +573105551234; Bogotá, CO; llegó por instagram; etapa iql, puntaje 35."
            ]
        );
        let v = json!({"campaign_id": "cmp_7", "status": "paused", "sandbox": true, "summary": "x",
            "channels": [{"channel": "meta", "platform": "meta", "outcome": "paused", "error": null}]});
        let l = result_lines("ads.pause_campaign", &v, Lang::Es, &known);
        assert_eq!(l[0], "La campaña cmp_7 quedó pausada.");
        assert!(l[3].starts_with("meta"), "{l:?}");
        let g = result_lines(
            "crm.list_sellers",
            &json!({"sellers": [{"id": "sel_1", "name": "Val"}], "next_cursor": null}),
            Lang::En,
            &known,
        );
        assert_eq!(g[0], "sellers:");
        assert!(g[1].contains("id") && g[3].contains("sel_1"), "{g:?}");
    }
}
