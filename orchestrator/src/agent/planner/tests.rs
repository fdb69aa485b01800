//! The planner's original cases: questions, copy, launches and leads by id, with what is missing asked back.

use serde_json::{Value, json};

use super::*;

pub(super) fn call(p: &Plan) -> (&str, &Value) {
    match p {
        Plan::Call { tool, args } => (tool, args),
        other => panic!("expected a call, got {other:?}"),
    }
}

pub(super) fn asked(p: &Plan) -> (String, Vec<String>) {
    match p {
        Plan::Ask {
            question, missing, ..
        } => (question.clone(), missing.clone()),
        other => panic!("expected a question back, got {other:?}"),
    }
}

#[test]
fn questions_go_to_analytics_ask_unchanged() {
    for q in [
        "How much revenue did we make last month by channel?",
        "¿cuánto vendimos en Colombia el mes pasado por canal?",
        "Which campaign had the best ROAS this quarter?",
        "top 5 campaigns by conversions in October",
        "¿Cuántos leads registramos la semana pasada?",
        "How many leads did we register last week?",
        "ventas por país este año",
        "What was the CTR of cmp_00042 last month?",
        "Show me spend by country for cli_001 this month",
        "dame el ROAS por canal del trimestre pasado",
        "Compare revenue this month with the previous period",
        "¿qué vendedor cerró más ventas en octubre?",
    ] {
        let p = plan(q);
        let (tool, args) = call(&p);
        assert_eq!(tool, "analytics.ask", "{q}");
        assert_eq!(args["question"], q);
    }
}

#[test]
fn content_requests_fill_the_brief() {
    let p = plan("Write copy for \"Plan Pro\" for cli_001 on Instagram and Google Ads, 3 variants");
    let (tool, args) = call(&p);
    assert_eq!(tool, "content.generate_content");
    assert_eq!(
        *args,
        json!({"client_id": "cli_001", "product": "Plan Pro", "channels": ["instagram", "google_ads"], "language": "en", "variants": 3})
    );
    let p = plan("Genera contenido para el producto Crédito Hogar de cli_007 en WhatsApp y email");
    let (tool, args) = call(&p);
    assert_eq!(tool, "content.generate_content");
    assert_eq!(args["product"], "Crédito Hogar");
    assert_eq!(args["channels"], json!(["whatsapp", "email"]));
    assert_eq!(args["language"], "es");
    assert_eq!(args["client_id"], "cli_007");
    let p = plan("por favor redacta un correo para cli_002 sobre \"Seguro Auto\" in English");
    let (_, args) = call(&p);
    assert_eq!(args["language"], "en");
    assert_eq!(args["channels"], json!(["email"]));
    let p = plan("draft an SMS and a TikTok caption for cli_003 about \"Summer Sale\"");
    assert_eq!(call(&p).1["channels"], json!(["sms", "tiktok"]));
}

#[test]
fn content_requests_missing_facts_ask_for_them() {
    let (q, missing) = asked(&plan("Write copy for Instagram"));
    assert_eq!(missing, ["client_id", "product"]);
    assert!(q.starts_with("To do that I still need"), "{q}");
    let (q, missing) = asked(&plan(
        "Genera contenido para cli_004 sobre \"Cuenta Joven\"",
    ));
    assert_eq!(missing, ["channels"]);
    assert!(q.contains("canales"), "{q}");
    let (_, missing) = asked(&plan("escribe algo bonito"));
    assert_eq!(missing, ["client_id", "product", "channels"]);
}

#[test]
fn launch_requests_become_the_launch_recipe() {
    let p = plan(
        "Launch a campaign for cli_001 selling \"Plan Pro\" with a budget of $5,000 from 2026-12-01 to 2026-12-31 on Meta and Google Ads in Colombia and Mexico",
    );
    match &p {
        Plan::Recipe { recipe, params } => {
            assert_eq!(recipe, "launch-campaign");
            assert_eq!(
                params,
                &json!({"client_id": "cli_001", "product": "Plan Pro", "budget_cents": 500000, "currency": "USD",
                        "start_date": "2026-12-01", "end_date": "2026-12-31", "channels": ["meta", "google_ads"],
                        "countries": ["CO", "MX"], "language": "en"})
            );
        }
        other => panic!("{other:?}"),
    }
    let p = plan(
        "Lanza una campaña para cli_009 del producto \"Crédito Hogar\" con presupuesto de 2.000.000 COP del 2026-12-01 al 2026-12-15 en Facebook",
    );
    match &p {
        Plan::Recipe { params, .. } => {
            assert_eq!(params["budget_cents"], json!(200_000_000));
            assert_eq!(params["currency"], "COP");
            assert_eq!(params["channels"], json!(["meta"]));
            assert_eq!(params["language"], "es");
        }
        other => panic!("{other:?}"),
    }
    let p = plan(
        "crea una campaña para cli_002, \"Seguro Auto\", 3 millones de pesos colombianos, 2027-01-01 a 2027-01-31",
    );
    match &p {
        Plan::Recipe { params, .. } => assert_eq!(params["budget_cents"], json!(300_000_000)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn launch_requests_missing_facts_ask_for_them() {
    let (q, missing) = asked(&plan("Launch a campaign for cli_001"));
    assert_eq!(
        missing,
        ["product", "budget_cents", "start_date", "end_date"]
    );
    assert!(q.contains("budget"), "{q}");
    let (q, missing) = asked(&plan(
        "lanza una campaña de \"Plan Pro\" para cli_001 con 5k USD desde 2026-12-01",
    ));
    assert_eq!(missing, ["end_date"]);
    assert!(q.contains("fecha de fin"), "{q}");
    let (_, missing) = asked(&plan("please launch a campaign"));
    assert_eq!(
        missing,
        [
            "client_id",
            "product",
            "budget_cents",
            "start_date",
            "end_date"
        ]
    );
}

#[test]
fn lead_registrations_fill_the_contact() {
    let p = plan(
        "Registra este lead: Ana Gómez, ana.gomez@example.com, +57 300 123 4567, de Colombia, cliente cli_001, vino por WhatsApp",
    );
    let (tool, args) = call(&p);
    assert_eq!(tool, "crm.register_lead");
    assert_eq!(
        args,
        &json!({"client_id": "cli_001", "name": "Ana Gómez", "email": "ana.gomez@example.com",
                "phone": "+573001234567", "country": "CO", "channel": "whatsapp"})
    );
    let p = plan(
        "Register a new lead named John Smith, john@acme.io for cli_003 from campaign cmp_00042, Miami, came via Google Ads",
    );
    let (_, args) = call(&p);
    assert_eq!(args["name"], "John Smith");
    assert_eq!(args["email"], "john@acme.io");
    assert_eq!(args["campaign_id"], "cmp_00042");
    assert_eq!(args["country"], "US");
    assert_eq!(args["channel"], "google_ads");
    assert!(args.get("phone").is_none());
    let p = plan("add lead for cli_010: phone 555-123-4567 from Mexico, source web");
    let (_, args) = call(&p);
    assert_eq!(args["phone"], "5551234567");
    assert_eq!(args["country"], "MX");
    assert_eq!(args["channel"], "web");
}

#[test]
fn lead_registrations_missing_facts_ask_for_them() {
    // The tool needs the country and the source channel: asked for, never
    // left for the server to refuse with `missing field country`.
    let (q, missing) = asked(&plan("Registra este lead: Pedro Pérez"));
    assert_eq!(missing, ["client_id", "country", "channel", "email"]);
    assert!(q.starts_with("Para hacerlo"), "{q}");
    let (q, missing) = asked(&plan(
        "register this lead: mary@x.com, from Instagram, Lima",
    ));
    assert_eq!(missing, ["client_id"]);
    assert!(q.contains("which client"), "{q}");
}

#[test]
fn language_detection() {
    assert_eq!(detect_lang("¿cuánto vendimos?"), Lang::Es);
    assert_eq!(detect_lang("ventas por canal el mes pasado"), Lang::Es);
    assert_eq!(detect_lang("sales by channel last month"), Lang::En);
}
