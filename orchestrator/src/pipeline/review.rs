//! What an approver reads at a gate: the campaign as `ads.get_campaign` tells it (budget and per-channel plan in major units of its currency, caps, waivers, attached creatives) and the copy of every creative drafted for it — kept as JSON with the approval and rendered as lines for the CLI, the MCP elicitation and the run's progress.

use serde_json::{Value, json};

/// Hundredths of `currency` in major units with the currency's own
/// decimals and separators (the kernel's `format_money`); an unknown code
/// is shown as two decimals and the code.
pub fn money(cents: i64, currency: &str) -> String {
    match promptsales_shared::domain::Currency::parse(currency) {
        Ok(c) => promptsales_shared::domain::format_money(cents, c),
        Err(_) => format!(
            "{} {currency}",
            promptsales_shared::domain::format_cents(cents)
        ),
    }
}

/// `[{field, text}]` from a creative's `fields` (`name`/`text`), its
/// `title` and `excerpt` (the ads server's attached-copy summary).
fn copy_of(v: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    if let Some(t) = v["title"].as_str() {
        out.push(json!({ "field": "title", "text": t }));
    }
    for f in v["fields"].as_array().into_iter().flatten() {
        if let Some(text) = f["text"].as_str() {
            let field = f["name"].as_str().unwrap_or("text");
            out.push(json!({ "field": field, "text": text }));
        }
    }
    if out.len() <= usize::from(v["title"].is_string())
        && let Some(e) = v["excerpt"].as_str().filter(|e| !e.is_empty())
    {
        out.push(json!({ "field": "body", "text": e }));
    }
    out
}

/// The review of a launch gate. `campaign`: `ads.get_campaign`'s answer
/// (or why it could not be read); `drafted`: the creatives drafted before
/// the gate (each with `asset_id`, `channel`, `fields`).
pub fn build(campaign: Option<Result<Value, String>>, drafted: &Value, as_of: &str) -> Value {
    let mut review = json!({ "as_of": as_of });
    match campaign {
        Some(Ok(c)) => {
            let currency = c["currency"].as_str().unwrap_or("").to_owned();
            let plan = &c["budget_plan"];
            review["campaign"] = json!({
                "id": c["id"],
                "name": c["name"],
                "client_id": c["client_id"],
                "objective": c["objective"],
                "status": c["status"],
                "flight": plan["flight"].as_str().map(str::to_owned).unwrap_or_else(|| format!(
                    "{} → {}",
                    c["start_date"].as_str().unwrap_or("?"),
                    c["end_date"].as_str().unwrap_or("?")
                )),
                "currency": currency,
                "budget": plan["total"].as_str().map(str::to_owned).or_else(|| {
                    c["budget_cents"].as_i64().map(|b| money(b, &currency))
                }),
            });
            review["plan"] = match plan["channels"].as_array() {
                Some(chs) => Value::Array(
                    chs.iter()
                        .map(|a| {
                            json!({
                                "channel": a["channel"],
                                "budget": a["amount"],
                                "per_day": a["per_day"],
                                "share": a["share"],
                            })
                        })
                        .collect(),
                ),
                // An ads server that gives no formatted plan: its raw
                // allocations in hundredths.
                None => Value::Array(
                    c["plan"]["allocations"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|a| {
                            json!({
                                "channel": a["channel"],
                                "budget": a["budget_cents"].as_i64().map(|b| money(b, &currency)),
                                "share": a["share"].as_f64().map(|s| format!("{:.0}%", s * 100.0)),
                            })
                        })
                        .collect(),
                ),
            };
            review["caps"] = c["caps"].clone();
            review["waivers"] = c["waivers"]
                .as_array()
                .cloned()
                .map_or(json!([]), Value::Array);
            review["channels"] = Value::Array(
                c["creatives"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|ch| {
                        json!({
                            "channel": ch["channel"],
                            "ready": ch["ready"],
                            "problem": ch["problem"],
                            "attached": ch["assets"].as_array().into_iter().flatten().map(|a| json!({
                                "asset_id": a["asset_id"],
                                "status": a["status"],
                                "usable": a["usable"],
                                "copy": copy_of(&a["copy"]),
                            })).collect::<Vec<_>>(),
                        })
                    })
                    .collect(),
            );
        }
        Some(Err(why)) => review["campaign_error"] = json!(why),
        None => {}
    }
    let drafted = match drafted {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    };
    review["creatives"] = Value::Array(
        drafted
            .iter()
            .flat_map(|d| match d {
                // A loop's outputs are one array per channel.
                Value::Array(inner) => inner.clone(),
                other => vec![other.clone()],
            })
            .filter(|v| v.is_object())
            .map(|v| {
                json!({
                    "asset_id": v["asset_id"],
                    "channel": v["channel"],
                    "variant": v["variant"],
                    "copy": copy_of(&v),
                })
            })
            .collect(),
    );
    review
}

/// The caps and plan limits as one line.
fn caps_line(caps: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(c) = caps["campaign_cap"].as_str() {
        parts.push(format!("campaign cap {c}"));
    }
    if let Some(c) = caps["tenant_daily_cap"].as_str() {
        parts.push(format!("daily cap {c}"));
    }
    if let Some(p) = caps["plan"].as_str() {
        let limits: Vec<&str> = caps["plan_limits"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        parts.push(if limits.is_empty() {
            format!("plan {p}")
        } else {
            format!("plan {p} ({})", limits.join("; "))
        });
    }
    if parts.is_empty() {
        if caps["caps_required"] == json!(true) {
            "none set (and this profile requires them: the launch will be refused)".to_owned()
        } else {
            "none set".to_owned()
        }
    } else {
        parts.join("; ")
    }
}

/// The review as lines a person reads; `waiver` is the approver's, once
/// decided.
pub fn lines(review: &Value, waiver: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    let c = &review["campaign"];
    if c.is_object() {
        out.push(format!(
            "campaign {} \"{}\" for {} — {}, {}, {}",
            text(&c["id"]),
            text(&c["name"]),
            text(&c["client_id"]),
            text(&c["objective"]),
            text(&c["status"]),
            text(&c["flight"]),
        ));
        out.push(format!("  budget: {}", text(&c["budget"])));
        for a in review["plan"].as_array().into_iter().flatten() {
            out.push(format!(
                "    {:<12} {:>18}  {:>5}{}",
                text(&a["channel"]),
                text(&a["budget"]),
                text(&a["share"]),
                a["per_day"]
                    .as_str()
                    .map(|d| format!("  {d}"))
                    .unwrap_or_default()
            ));
        }
        out.push(format!("  caps: {}", caps_line(&review["caps"])));
    } else if let Some(why) = review["campaign_error"].as_str() {
        out.push(format!("campaign: could not be read ({why})"));
    }
    let drafted = review["creatives"].as_array().cloned().unwrap_or_default();
    if drafted.is_empty() {
        out.push("  creatives drafted: none".to_owned());
    } else {
        out.push(format!("  creatives drafted ({}):", drafted.len()));
    }
    for cr in &drafted {
        out.push(format!(
            "    {} {}{}",
            text(&cr["channel"]),
            text(&cr["asset_id"]),
            cr["variant"]
                .as_u64()
                .map(|v| format!(" (variant {})", v + 1))
                .unwrap_or_default()
        ));
        for f in cr["copy"].as_array().into_iter().flatten() {
            // Multi-line copy (an email body) stays under its field.
            let lines: Vec<String> = text(&f["text"])
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect();
            out.push(format!(
                "      {}: {}",
                text(&f["field"]),
                lines.join("\n        ")
            ));
        }
    }
    let channels = review["channels"].as_array().cloned().unwrap_or_default();
    let none_attached = channels
        .iter()
        .all(|ch| ch["attached"].as_array().is_none_or(Vec::is_empty));
    if !channels.is_empty() && none_attached {
        out.push(
            "  attached to the campaign: nothing yet (the copy approved here is attached after \
             the gate)"
                .to_owned(),
        );
    }
    for ch in channels.iter().filter(|_| !none_attached) {
        let attached = ch["attached"].as_array().map_or(0, Vec::len);
        out.push(format!(
            "  {}: {} attached, {}",
            text(&ch["channel"]),
            attached,
            if ch["ready"] == json!(true) {
                "ready".to_owned()
            } else {
                format!(
                    "not ready ({})",
                    ch["problem"].as_str().unwrap_or("no usable creative")
                )
            }
        ));
    }
    for w in review["waivers"].as_array().into_iter().flatten() {
        out.push(format!(
            "  waived on {}: {}{}",
            text(&w["channel"]),
            text(&w["note"]),
            w["by"]
                .as_str()
                .map(|b| format!(" (by {b})"))
                .unwrap_or_default()
        ));
    }
    out.push(match waiver {
        Some(w) => format!("  waiver of missing creatives: {w}"),
        None => "  waiver of missing creatives: none (every channel needs an approved creative)"
            .to_owned(),
    });
    out
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn money_is_in_major_units_for_the_currency() {
        assert_eq!(money(400_000, "COP"), "4.000 COP");
        assert_eq!(money(123_456_789, "USD"), "1,234,567.89 USD");
        assert_eq!(money(1_250_000, "CLP"), "12.500 CLP");
        assert_eq!(money(900_050, "EUR"), "9.000,50 EUR");
        assert_eq!(money(-5, "MXN"), "-0.05 MXN");
    }

    #[test]
    fn a_review_shows_plan_caps_copy_and_the_waiver() {
        // As `ads.get_campaign` answers.
        let campaign = json!({
            "id": "cmp_1", "name": "Plan Pro", "client_id": "cli_001", "objective": "leads",
            "status": "pending_approval", "currency": "COP", "budget_cents": 400_000,
            "budget_plan": {"currency": "COP", "decimals": 0, "total": "4.000 COP",
                "flight": "2026-12-01 → 2026-12-20 (20 days)",
                "channels": [
                    {"channel": "meta", "amount": "3.000 COP", "per_day": "150 COP/day", "share": "75%", "budget_cents": 300_000},
                    {"channel": "email", "amount": "1.000 COP", "per_day": "50 COP/day", "share": "25%", "budget_cents": 100_000}
                ]},
            "caps": {"campaign_cap": "10.000.000 COP", "caps_required": false, "plan": "Growth (COP)",
                     "plan_limits": ["active campaigns: at most 20"]},
            "creatives": [
                {"channel": "meta", "needs_creative": true, "ready": true, "assets": [
                    {"asset_id": "ast_1", "version": 1, "status": "approved", "usable": true,
                     "copy": {"title": "Plan Pro, hoy", "excerpt": "Ahorra tiempo", "fields": []}}]},
                {"channel": "email", "needs_creative": true, "ready": false, "assets": [], "problem": "no creative attached"}
            ],
        });
        let drafted = json!([[{"asset_id": "ast_1", "channel": "meta", "variant": 0,
            "fields": [{"name": "headline", "text": "Plan Pro, hoy"}, {"name": "body", "text": "Ahorra tiempo"}]}]]);
        let r = build(Some(Ok(campaign)), &drafted, "2026-11-30T10:00:00Z");
        let text = lines(&r, None).join("\n");
        for want in [
            "budget: 4.000 COP",
            "3.000 COP",
            "75%",
            "150 COP/day",
            "caps: campaign cap 10.000.000 COP; plan Growth (COP) (active campaigns: at most 20)",
            "headline: Plan Pro, hoy",
            "meta: 1 attached, ready",
            "email: 0 attached, not ready (no creative attached)",
            "body: Ahorra tiempo",
            "waiver of missing creatives: none",
        ] {
            assert!(text.contains(want), "{want:?} missing in\n{text}");
        }
        let text = lines(&r, Some("email goes out next week with the newsletter")).join("\n");
        assert!(
            text.contains("waiver of missing creatives: email goes out"),
            "{text}"
        );
        // A campaign that could not be read still shows the copy.
        let r = build(Some(Err("ads is unavailable".into())), &drafted, "now");
        let text = lines(&r, None).join("\n");
        assert!(
            text.contains("could not be read (ads is unavailable)"),
            "{text}"
        );
        assert!(text.contains("body: Ahorra tiempo"), "{text}");
    }
}
