//! Copy requests: "write copy for Café Andino on Instagram about "Origin Coffee 500 g"" → `content.generate_content` with the brief's fields.

use serde_json::{Map, Value, json};

use super::extract::{channels, variants};
use super::lang::explicit_lang;
use super::{Cx, Missing, Plan, resolve_client, resolve_product};

pub(super) fn plan(cx: &Cx) -> Plan {
    let mut m = Missing::new(cx.lang);
    let mut brief = Map::new();
    let client = resolve_client(
        cx,
        &mut m,
        Some((
            "which client it is for (its name or an id such as cli_001)",
            "para qué cliente es (su nombre o un id como cli_001)",
        )),
    );
    if let Some(c) = &client {
        brief.insert("client_id".into(), json!(c.id));
    }
    let product = resolve_product(
        cx,
        client.as_ref().map(|c| c.id.as_str()),
        &mut m,
        Some((
            "the product, in quotes (e.g. \"Plan Pro\")",
            "el producto, entre comillas (p. ej. \"Plan Pro\")",
        )),
    );
    if let Some((name, _)) = &product {
        brief.insert("product".into(), json!(name));
    }
    let chans = channels(cx.f);
    if !chans.is_empty() {
        brief.insert("channels".into(), json!(chans));
    }
    brief.insert(
        "language".into(),
        json!(explicit_lang(cx.f).unwrap_or(cx.lang).code()),
    );
    if let Some(n) = variants(cx.f) {
        brief.insert("variants".into(), json!(n));
    }
    if chans.is_empty() {
        m.need(
            "channels",
            "the channels (e.g. meta, google ads, email, sms)",
            "los canales (p. ej. meta, google ads, email, sms)",
        );
    }
    // The brief's fields are the tool's arguments.
    m.finish(Plan::Call {
        tool: "content.generate_content".into(),
        args: Value::Object(brief),
    })
}
