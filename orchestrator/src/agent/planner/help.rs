//! Help: "help" / "ayuda" / "what can you do?" → what this agent can do with the tools the servers really expose, with an example of each, in the person's language.

use super::lang::tokens;
use super::{Cx, Lang, Plan};

/// Words a help request is made of.
const HELP_WORDS: &[&str] = &[
    "help", "ayuda", "ayudame", "please", "por", "favor", "me", "i", "need", "necesito", "hola",
    "hi", "hello", "some", "una", "un", "poco", "de", "commands", "comandos", "menu", "options",
    "opciones",
];

const HELP_PHRASES: &[&str] = &[
    "what can you do",
    "what can i do",
    "what do you do",
    "how does this work",
    "que puedes hacer",
    "que sabes hacer",
    "que haces",
    "como funciona",
    "que puedo hacer",
];

/// The whole instruction is a request for help ("help", "¿ayuda?", "what
/// can you do?"), not an instruction that happens to say "help me".
pub(super) fn is_help(f: &str) -> bool {
    let t = tokens(f);
    let only_help_words = !t.is_empty()
        && t.iter().all(|w| HELP_WORDS.contains(w))
        && t.iter()
            .any(|w| ["help", "ayuda", "ayudame", "commands", "comandos", "menu"].contains(w));
    // A greeting alone opens with what the agent can do.
    let greeting = !t.is_empty()
        && t.iter().all(|w| {
            [
                "hola",
                "hi",
                "hello",
                "hey",
                "buenas",
                "buenos",
                "dias",
                "tardes",
                "good",
                "morning",
                "afternoon",
            ]
            .contains(w)
        });
    let joined = t.join(" ");
    only_help_words || greeting || HELP_PHRASES.iter().any(|p| joined.contains(p))
}

/// One thing the agent can do: the tools it needs, what it is, an example.
struct Can {
    tools: &'static [&'static str],
    en: (&'static str, &'static str),
    es: (&'static str, &'static str),
}

const CAN: &[Can] = &[
    Can {
        tools: &["analytics.ask"],
        en: (
            "answer questions about results",
            "How much revenue did we make last month by channel?",
        ),
        es: (
            "responder preguntas sobre resultados",
            "¿cuánto vendimos el mes pasado por canal?",
        ),
    },
    Can {
        tools: &["crm.follow_ups_due"],
        en: (
            "list the leads to follow up today",
            "Which leads should I call today?",
        ),
        es: (
            "decirte a qué leads hacer seguimiento hoy",
            "¿a quién llamo hoy?",
        ),
    },
    Can {
        tools: &["analytics.report"],
        en: (
            "send a weekly or monthly report",
            "Send me the weekly report for Café Andino",
        ),
        es: (
            "enviarte el informe semanal o mensual",
            "informe semanal de Café Andino",
        ),
    },
    Can {
        tools: &["crm.register_lead"],
        en: (
            "register a lead (country from the phone's +code or the city)",
            "Register this lead: Ana Gómez, +57 300 123 4567, for Café Andino, came from Instagram",
        ),
        es: (
            "registrar un lead (el país sale del +código del teléfono o de la ciudad)",
            "Registra este lead: Ana Gómez, 310 555 1234, Bogotá, para Café Andino, vino por Instagram",
        ),
    },
    Can {
        tools: &["content.generate_content"],
        en: (
            "write copy for a product and channels",
            "Write copy for \"Origin Coffee 500 g\" for Café Andino on Instagram, 3 variants",
        ),
        es: (
            "redactar textos para un producto y sus canales",
            "Redacta textos de \"Origin Coffee 500 g\" para Café Andino en Instagram y email",
        ),
    },
    Can {
        tools: &["ads.create_campaign", "ads.launch_campaign"],
        en: (
            "prepare a campaign launch (a person approves before it spends)",
            "Launch a campaign for Café Andino, \"Origin Coffee 500 g\", 5000 USD, 2026-12-01 to 2026-12-31 on Meta",
        ),
        es: (
            "preparar el lanzamiento de una campaña (una persona aprueba antes de gastar)",
            "Lanza una campaña para Café Andino, \"Origin Coffee 500 g\", 2.000.000 COP, del 2026-12-01 al 2026-12-31 en Meta",
        ),
    },
    Can {
        tools: &[
            "ads.pause_campaign",
            "ads.resume_campaign",
            "ads.complete_campaign",
        ],
        en: (
            "pause, resume or complete a campaign by name or id (you confirm first)",
            "Pause the campaign Black Friday Sales 2026",
        ),
        es: (
            "pausar, reanudar o finalizar una campaña por nombre o id (confirmas antes)",
            "Pausa la campaña Black Friday Sales 2026",
        ),
    },
];

/// The help text: the things whose tools are all exposed, then how many
/// tools each server has.
pub(super) fn text(lang: Lang, tools: &[String]) -> String {
    let has = |t: &str| tools.iter().any(|x| x == t);
    let mut out = vec![lang.pick(
        "I can, in English or Spanish:",
        "Puedo, en español o en inglés:",
    )];
    let mut any = false;
    for c in CAN.iter().filter(|c| c.tools.iter().all(|t| has(t))) {
        any = true;
        let (what, example) = match lang {
            Lang::En => c.en,
            Lang::Es => c.es,
        };
        let e = lang.pick("e.g.", "p. ej.");
        out.push(format!("  • {what} — {e} “{example}”"));
    }
    if !any {
        return lang.pick(
            "No server is reachable, so I cannot do anything yet: check `promptsales tools`.",
            "No hay ningún servidor disponible, así que todavía no puedo hacer nada: revisa `promptsales tools`.",
        );
    }
    let mut servers: Vec<(&str, usize)> = Vec::new();
    for t in tools {
        let s = t.split('.').next().unwrap_or(t);
        match servers.iter_mut().find(|(n, _)| *n == s) {
            Some((_, k)) => *k += 1,
            None => servers.push((s, 1)),
        }
    }
    let list: Vec<String> = servers.iter().map(|(s, k)| format!("{s} {k}")).collect();
    out.push(match lang {
        Lang::En => format!(
            "Names of clients, products and campaigns work as well as ids; when two match I ask which. Tools available: {} (`promptsales tools` lists them).",
            list.join(", ")
        ),
        Lang::Es => format!(
            "Los nombres de clientes, productos y campañas sirven igual que los ids; si dos coinciden te pregunto cuál. Herramientas disponibles: {} (`promptsales tools` las lista).",
            list.join(", ")
        ),
    });
    out.join("\n")
}

pub(super) fn plan(cx: &Cx) -> Plan {
    Plan::Tell {
        text: text(cx.lang, &cx.known.tools),
    }
}
