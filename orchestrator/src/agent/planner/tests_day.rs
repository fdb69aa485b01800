//! The day's work, as people type it in English and Spanish, against a fake catalogue, campaign list and tool list: campaign moves by id or name, the follow-up digest, reports, help, leads with their country from the phone, a city or the client, and names resolved to ids — asking which when two match.

use serde_json::{Value, json};

use super::tests::{asked, call};
use super::*;

fn client(id: &str, name: &str, country: &str) -> KnownClient {
    KnownClient {
        id: id.into(),
        name: name.into(),
        country: country.into(),
    }
}

fn product(id: &str, client_id: &str, name: &str) -> KnownProduct {
    KnownProduct {
        id: id.into(),
        client_id: client_id.into(),
        name: name.into(),
    }
}

fn campaign(id: &str, client_id: &str, name: &str, status: &str) -> KnownCampaign {
    KnownCampaign {
        id: id.into(),
        client_id: client_id.into(),
        name: name.into(),
        status: status.into(),
    }
}

const TOOLS: &[&str] = &[
    "analytics.ask",
    "analytics.report",
    "analytics.list_clients",
    "analytics.list_products",
    "crm.follow_ups_due",
    "crm.register_lead",
    "content.generate_content",
    "ads.create_campaign",
    "ads.launch_campaign",
    "ads.list_campaigns",
    "ads.pause_campaign",
    "ads.resume_campaign",
    "ads.complete_campaign",
];

/// A small agency: look-alike names on purpose.
fn known() -> Known {
    Known {
        clients: vec![
            client("cli_001", "Café Andino", "CO"),
            client("cli_002", "Clínica Sonrisa Dental", "MX"),
            client("cli_003", "Hotel Boutique Cartagena", "CO"),
            client("cli_004", "Vinos del Sur", "CL"),
            client("cli_005", "Café Andino Express", "CO"),
            client("cli_006", "Sunrise Dental Group", "US"),
            client("cli_007", "Seguros Horizonte", "ES"),
            client("cli_008", "Moda Urbana Bogotá", "CO"),
            client("cli_009", "Moda Urbana Lima", "PE"),
        ],
        products: vec![
            product("prd_001", "cli_001", "Origin Coffee 500 g"),
            product("prd_002", "cli_001", "Subscription Box"),
            product("prd_003", "cli_003", "Suite Night"),
            product("prd_005", "cli_002", "Teeth Whitening"),
            product("prd_006", "cli_006", "Teeth Whitening"),
            product("prd_007", "cli_004", "Gift Hamper"),
            product("prd_008", "cli_004", "Gift Hamper Premium"),
        ],
        campaigns: vec![
            campaign("cmp_001", "cli_001", "Black Friday Sales 2026", "active"),
            campaign("cmp_002", "cli_003", "Black Friday Sales 2026", "active"),
            campaign("cmp_003", "cli_001", "Holiday Lead Gen 2026", "paused"),
            campaign("cmp_004", "cli_004", "Navidad Vinos 2026", "active"),
            campaign("cmp_005", "cli_004", "Navidad Vinos 2025", "completed"),
            campaign("cmp_006", "cli_002", "Sonrisa Verano", "paused"),
            campaign("cmp_007", "cli_003", "Holiday Lead Gen 2026", "active"),
        ],
        tools: TOOLS.iter().map(|t| (*t).to_owned()).collect(),
    }
}

fn p(text: &str) -> Plan {
    plan_with(text, &known())
}

/// The call an instruction becomes: tool and arguments.
fn calls(text: &str, tool: &str, args: Value) {
    let plan = p(text);
    let (t, a) = call(&plan);
    assert_eq!((t, a), (tool, &args), "{text}");
}

fn question(text: &str) -> (String, Vec<String>) {
    asked(&p(text))
}

fn told(text: &str, known: &Known) -> String {
    match plan_with(text, known) {
        Plan::Tell { text } => text,
        other => panic!("{text}: expected help, got {other:?}"),
    }
}

#[test]
fn campaigns_pause_resume_and_complete_by_id_or_name() {
    let (pause, resume) = ("ads.pause_campaign", "ads.resume_campaign");
    for (text, tool, id) in [
        ("Pause campaign cmp_004", pause, "cmp_004"),
        ("stop campaign cmp_001", pause, "cmp_001"),
        ("pausa la campaña Navidad Vinos 2026", pause, "cmp_004"),
        // The same name for two clients: only one of them can be paused
        // (and only the other resumed).
        ("pause the Holiday Lead Gen 2026 campaign", pause, "cmp_007"),
        (
            "Please resume the Holiday Lead Gen 2026 campaign",
            resume,
            "cmp_003",
        ),
        ("reanuda la campaña Sonrisa Verano", resume, "cmp_006"),
        (
            "pausa la campaña Black Friday Sales 2026 de Hotel Boutique Cartagena",
            pause,
            "cmp_002",
        ),
        (
            "Complete the campaign \"Navidad Vinos 2026\"",
            "ads.complete_campaign",
            "cmp_004",
        ),
        // A typo in the name, the client by name.
        (
            "pause campaign Black Fridy Sales 2026 for Café Andino",
            pause,
            "cmp_001",
        ),
    ] {
        calls(text, tool, json!({ "campaign_id": id }));
    }
}

#[test]
fn campaign_names_that_match_twice_or_not_at_all_are_asked_about() {
    let (q, missing) = question("pause Black Friday Sales 2026");
    assert_eq!(missing, ["campaign_id"]);
    assert!(
        q.starts_with("Which campaign should I pause:")
            && q.contains("cmp_001, Café Andino, active")
            && q.contains("cmp_002, Hotel Boutique Cartagena, active"),
        "{q}"
    );
    // Part of a name matching two campaigns: asked, even if only one of
    // them could be paused.
    let (q, missing) = question("pausa la campaña navidad vinos");
    assert_eq!(missing, ["campaign_id"]);
    assert!(
        q.starts_with("¿Qué campaña debo pausar: Navidad Vinos 2026 (cmp_004, Vinos del Sur, activa) o Navidad Vinos 2025 (cmp_005, Vinos del Sur, finalizada)?"),
        "{q}"
    );
    // The client named, not the campaign: its campaigns are offered.
    let (q, _) = question("termina la campaña de Vinos del Sur");
    assert!(
        q.starts_with("¿Qué campaña debo finalizar: Navidad Vinos 2026 (cmp_004, Vinos del Sur, activa) o Navidad Vinos 2025"),
        "{q}"
    );
    // The one campaign named cannot take the move: said, not attempted.
    let (q, missing) = question("reanuda la campaña Navidad Vinos 2026");
    assert_eq!(missing, ["campaign_id"]);
    assert_eq!(
        q,
        "Navidad Vinos 2026 (cmp_004, Vinos del Sur) está activa: solo se puede reanudar una campaña pausada. ¿Qué campaña entonces?"
    );
    let (q, missing) = question("finaliza la campaña Halloween Terror");
    assert_eq!(missing, ["campaign_id"]);
    assert!(q.contains("ninguna coincide"), "{q}");
    // With nothing to look names up in, it asks for the id.
    let (q, _) = asked(&plan("pausa la campaña Navidad Vinos 2026"));
    assert!(
        q.contains("cmp_00042") && q.contains("no puedo buscar nombres"),
        "{q}"
    );
}

#[test]
fn the_follow_up_digest() {
    let tool = "crm.follow_ups_due";
    calls("Which leads should I call today?", tool, json!({}));
    calls("¿a quién llamo hoy?", tool, json!({}));
    calls(
        "¿A quién debo llamar hoy de Café Andino?",
        tool,
        json!({"client_id": "cli_001"}),
    );
    calls(
        "show me today's follow-ups for Vinos del Sur",
        tool,
        json!({"client_id": "cli_004"}),
    );
    calls("prepara los seguimientos de hoy", tool, json!({}));
    // Copy about a follow-up is copy.
    calls(
        "Write a follow-up email for Café Andino about \"Subscription Box\"",
        "content.generate_content",
        json!({"client_id": "cli_001", "product": "Subscription Box",
               "channels": ["email"], "language": "en"}),
    );
    calls(
        "seguimientos pendientes de sel_003",
        tool,
        json!({"seller_id": "sel_003"}),
    );
}

#[test]
fn reports_on_demand_in_the_persons_language() {
    let recipe = |text: &str| match p(text) {
        Plan::Recipe { recipe, params } => {
            assert_eq!(recipe, "weekly-report", "{text}");
            params
        }
        other => panic!("{text}: {other:?}"),
    };
    assert_eq!(
        recipe("send me the weekly report"),
        json!({"language": "en"})
    );
    assert_eq!(recipe("informe semanal"), json!({"language": "es"}));
    assert_eq!(
        recipe("mándame el informe semanal de Café Andino"),
        json!({"client_id": "cli_001", "language": "es"})
    );
    assert_eq!(
        recipe("weekly report in Spanish for Clinica Sonrisa Dental"),
        json!({"client_id": "cli_002", "language": "es"})
    );
    calls(
        "Give me last month's report for Hotel Boutique Cartagena",
        "analytics.report",
        json!({"client_id": "cli_003", "language": "en",
               "time_range": {"type": "relative", "period": "last_month"}}),
    );
    calls(
        "dame el reporte mensual de Vinos del Sur",
        "analytics.report",
        json!({"client_id": "cli_004", "language": "es",
               "time_range": {"type": "relative", "period": "last_month"}}),
    );
}

#[test]
fn help_lists_what_the_tools_allow_in_the_persons_language() {
    let all = known();
    let en = told("help", &all);
    assert!(en.starts_with("I can, in English or Spanish:"), "{en}");
    for want in [
        "Which leads should I call today?",
        "Pause the campaign",
        "Register this lead",
        "analytics 4",
        "ads 6",
    ] {
        assert!(en.contains(want), "{want:?} in\n{en}");
    }
    let es = told("ayuda", &all);
    assert!(
        es.starts_with("Puedo")
            && es.contains("¿a quién llamo hoy?")
            && es.contains("Pausa la campaña"),
        "{es}"
    );
    assert!(told("¿qué puedes hacer?", &all).starts_with("Puedo"));
    assert!(told("hola", &all).starts_with("Puedo"));
    // Only what the servers really expose.
    let few = Known {
        tools: vec!["analytics.ask".into()],
        ..Known::default()
    };
    let only = told("what can you do?", &few);
    assert!(
        only.contains("answer questions") && !only.contains("Pause"),
        "{only}"
    );
    // "help me …" is an instruction, not a request for help.
    assert!(matches!(
        p("help me write copy for Café Andino about \"Subscription Box\" on email"),
        Plan::Call { .. }
    ));
}

#[test]
fn leads_get_their_country_from_the_phone_a_city_or_the_client() {
    let tool = "crm.register_lead";
    // The case: a national number, the client's country.
    calls(
        "registra este lead: Laura Martínez, 310 555 1234, para Café Andino, vino por Instagram",
        tool,
        json!({"client_id": "cli_001", "name": "Laura Martínez", "phone": "3105551234",
               "country": "CO", "channel": "instagram"}),
    );
    calls(
        "Register this lead: Tom Baker, +52 55 1234 5678, for Sunrise Dental Group, came from Facebook",
        tool,
        json!({"client_id": "cli_006", "name": "Tom Baker", "phone": "+525512345678",
               "country": "MX", "channel": "meta"}),
    );
    calls(
        "registra un lead: Sofía Rojas, sofia@correo.com, de Medellín, para Vinos del Sur, llegó por WhatsApp",
        tool,
        json!({"client_id": "cli_004", "name": "Sofía Rojas", "email": "sofia@correo.com",
               "city": "Medellín", "country": "CO", "channel": "whatsapp"}),
    );
    // Córdoba is in Argentina and Spain: the client's country decides.
    calls(
        "registra este lead: Pedro Gómez, 600 123 456, Córdoba, para Seguros Horizonte, vino por la web",
        tool,
        json!({"client_id": "cli_007", "name": "Pedro Gómez", "phone": "600123456",
               "city": "Córdoba", "country": "ES", "channel": "web"}),
    );
    calls(
        "registra este lead: Carla, +56 9 6123 4567, para Vinos del Sur, vino por Google, interesada en Gift Hamper",
        tool,
        json!({"client_id": "cli_004", "name": "Carla", "phone": "+56961234567",
               "country": "CL", "channel": "google_ads", "product_interest": "Gift Hamper"}),
    );
    // A city in the client's name is not where the lead is.
    calls(
        "registra este lead: Marta, 300 123 4567, para Hotel Boutique Cartagena, vino por Instagram",
        tool,
        json!({"client_id": "cli_003", "name": "Marta", "phone": "3001234567",
               "country": "CO", "channel": "instagram"}),
    );
}

#[test]
fn leads_missing_or_ambiguous_facts_are_asked_about() {
    let (q, missing) = question(
        "add a new lead: Maria Lopez, 11 2345 6789, Córdoba, for Café Andino, via Instagram",
    );
    assert_eq!(missing, ["country"]);
    assert!(
        q.starts_with("Which Córdoba: Argentina (AR) or Spain (ES)?"),
        "{q}"
    );
    let (q, missing) = question(
        "registra este lead: Juan, 987 654 321, vino por TikTok, de Lima, para Moda Urbana",
    );
    assert_eq!(missing, ["client_id"]);
    assert!(
        q.contains("Moda Urbana Bogotá (cli_008) o Moda Urbana Lima (cli_009)"),
        "{q}"
    );
    let (q, missing) = question("register lead Ana Ruiz, ana@x.co, Bogotá, for cli_001");
    assert_eq!(missing, ["channel"]);
    assert!(q.contains("where the lead came from"), "{q}");
    let (_, missing) = question("Register this lead: Luis, 310 555 1234, came from Instagram");
    assert_eq!(missing, ["client_id", "country"]);
}

#[test]
fn client_and_product_names_become_ids() {
    calls(
        "Write copy for Café Andino about Origin Coffee on Instagram",
        "content.generate_content",
        json!({"client_id": "cli_001", "product": "Origin Coffee 500 g",
               "channels": ["instagram"], "language": "en"}),
    );
    calls(
        "redacta un correo para Cafe Andino Express sobre \"Subscription Box\"",
        "content.generate_content",
        json!({"client_id": "cli_005", "product": "Subscription Box",
               "channels": ["email"], "language": "es"}),
    );
    calls(
        "Write copy for Cafe Andno on email about \"subscription box\"",
        "content.generate_content",
        json!({"client_id": "cli_001", "product": "Subscription Box",
               "channels": ["email"], "language": "en"}),
    );
    let (q, missing) = question("genera contenido de Teeth Whitening en Instagram y TikTok");
    assert_eq!(missing, ["client_id", "product"]);
    assert!(
        q.starts_with("¿Qué producto: Teeth Whitening (prd_005) o Teeth Whitening (prd_006)?"),
        "{q}"
    );
    match p(
        "Launch a campaign for Vinos del Sur selling Gift Hamper with 2.000.000 COP from 2026-12-01 to 2026-12-31 on Meta in Chile",
    ) {
        Plan::Recipe { recipe, params } => {
            assert_eq!(recipe, "launch-campaign");
            assert_eq!(
                params,
                json!({"client_id": "cli_004", "product": "Gift Hamper", "product_id": "prd_007",
                       "budget_cents": 200_000_000, "currency": "COP", "start_date": "2026-12-01",
                       "end_date": "2026-12-31", "channels": ["meta"], "countries": ["CL"],
                       "language": "en"})
            );
        }
        other => panic!("{other:?}"),
    }
    match p(
        "lanza una campaña para Clinica Sonrisa con \"Teeth Whitening\", 50000 MXN del 2026-12-01 al 2026-12-20",
    ) {
        Plan::Recipe { params, .. } => {
            assert_eq!(params["client_id"], "cli_002");
            assert_eq!(params["product_id"], "prd_005");
            assert_eq!(params["currency"], "MXN");
        }
        other => panic!("{other:?}"),
    }
    let (q, missing) = question(
        "crea una campaña para Moda Urbana, \"Denim Jacket\", 3 millones de pesos colombianos, 2027-01-01 a 2027-01-31",
    );
    assert_eq!(missing, ["client_id"]);
    assert!(q.starts_with("¿Qué cliente:"), "{q}");
}
