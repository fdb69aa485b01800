//! The morning follow-up digest as a seller reads it: `crm.follow_ups_due`'s groups (per seller and client, with names, each lead's reason, age and priority) turned into lines — what the per-client digest job prints and stores with its run.

use serde_json::Value;

fn text<'a>(v: &'a Value, or: &'a str) -> &'a str {
    v.as_str().filter(|s| !s.is_empty()).unwrap_or(or)
}

/// The digest's lines: a heading per client and seller group, one line per
/// lead (priority, name or id, reason, age, the sentence for the seller),
/// and how to read on when there is more.
pub fn lines(digest: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let groups = digest["groups"].as_array().cloned().unwrap_or_default();
    let returned = digest["returned"].as_u64().unwrap_or(0);
    let total = digest["total_due"].as_u64().unwrap_or(returned);
    out.push(format!(
        "Follow-ups due: {returned} shown of {total} (limit {})",
        digest["limit"]
            .as_i64()
            .map_or("?".to_owned(), |l| l.to_string())
    ));
    let mut client = String::new();
    for g in &groups {
        let this_client = text(&g["client_id"], "?").to_owned();
        if this_client != client {
            out.push(format!(
                "{} ({}) — {} in {}",
                text(&g["client_name"], &this_client),
                this_client,
                text(&g["local_date"], "today"),
                text(&g["time_zone"], "UTC")
            ));
            client = this_client;
        }
        let seller = match g["seller_id"].as_str() {
            Some(id) => format!("{} ({id})", text(&g["seller_name"], id)),
            None => "not assigned to a seller".to_owned(),
        };
        out.push(format!("  {seller}:"));
        for i in g["items"].as_array().into_iter().flatten() {
            let lead = text(&i["lead_id"], "?");
            let who = match i["name"].as_str().filter(|n| !n.is_empty()) {
                Some(n) => format!("{n} ({lead})"),
                None => lead.to_owned(),
            };
            out.push(format!(
                "    [{}] {who} — {}, waiting {}{}",
                text(&i["priority"], "?"),
                text(&i["reason"], "?").replace('_', " "),
                text(&i["age"], "?"),
                i["detail"]
                    .as_str()
                    .filter(|d| !d.is_empty())
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            ));
        }
    }
    if let Some(c) = digest["next_cursor"].as_str() {
        out.push(format!(
            "  … {} more: call crm.follow_ups_due again with cursor {c}",
            total.saturating_sub(returned)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use serde_json::json;

    use super::*;

    #[test]
    fn groups_read_per_client_and_seller_with_names() {
        let d = json!({
            "total_due": 7, "returned": 2, "limit": 2, "next_cursor": "abc",
            "groups": [
                {"seller_id": "sel_01", "seller_name": "Valentina Ríos", "client_id": "cli_001",
                 "client_name": "Café Andino", "time_zone": "America/Bogota", "local_date": "2026-12-04",
                 "items": [{"lead_id": "lead_1", "name": "Ana Pérez", "reason": "unanswered_inbound",
                            "priority": "high", "age": "26 h", "detail": "asked for the price"}]},
                {"client_id": "cli_001", "client_name": "Café Andino", "time_zone": "America/Bogota",
                 "local_date": "2026-12-04",
                 "items": [{"lead_id": "lead_2", "reason": "hot_without_contact", "priority": "medium", "age": "4 days"}]}
            ]
        });
        let text = lines(&d).join("\n");
        for want in [
            "2 shown of 7 (limit 2)",
            "Café Andino (cli_001) — 2026-12-04 in America/Bogota",
            "Valentina Ríos (sel_01):",
            "[high] Ana Pérez (lead_1) — unanswered inbound, waiting 26 h: asked for the price",
            "not assigned to a seller:",
            "[medium] lead_2 — hot without contact, waiting 4 days",
            "5 more: call crm.follow_ups_due again with cursor abc",
        ] {
            assert!(text.contains(want), "{want:?} missing in\n{text}");
        }
        // The client heading once for its two groups.
        assert_eq!(text.matches("Café Andino (cli_001)").count(), 1);
    }
}
