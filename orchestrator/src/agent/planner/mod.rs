//! The deterministic planner (no LLM): an English or Spanish instruction becomes a tool call, a recipe run, a text to show, or a question back naming what is missing or which of several matches was meant — never a guess.

mod campaigns;
mod content;
mod extract;
mod help;
pub mod known;
pub mod lang;
mod leads;
mod reports;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_day;

use serde::Serialize;
use serde_json::{Value, json};

pub use known::{Known, KnownCampaign, KnownClient, KnownProduct};
pub use lang::{Lang, detect_lang};

use extract::{id_with, product as product_phrase, quoted};
use known::{Lookup, client_in, find_named, product_in};
use lang::{fold, has_any, leading, starts_with_any};

/// What to do with an instruction.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Plan {
    /// Call one tool.
    Call { tool: String, args: Value },
    /// Run a recipe.
    Recipe { recipe: String, params: Value },
    /// Show a text (help), in the person's language.
    Tell { text: String },
    /// Ask the person for what is missing, or which of several matches
    /// they meant (in their language).
    Ask {
        question: String,
        missing: Vec<String>,
        /// What was understood so far, to merge with the answer.
        partial: Box<Plan>,
    },
}

/// What an instruction is about, before any name is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    Help,
    /// Pause, resume or complete a campaign.
    CampaignMove(campaigns::Move),
    RegisterLead,
    FollowUps,
    Report,
    Launch,
    Content,
    Question,
}

impl Intent {
    /// Whether planning it looks names up in the catalogue (clients,
    /// products).
    pub fn needs_catalog(self) -> bool {
        !matches!(self, Intent::Help | Intent::Question)
    }

    /// Whether planning it looks campaign names up.
    pub fn needs_campaigns(self) -> bool {
        matches!(self, Intent::CampaignMove(_))
    }
}

const LEAD_VERBS: &[&str] = &[
    "registra",
    "registrar",
    "register",
    "add",
    "agrega",
    "agregar",
    "anade",
    "anadir",
    "crea",
    "create",
    "record",
    "guarda",
    "save",
    "captura",
    "log",
    "new",
    "nuevo",
    "ingresa",
    "carga",
];
const LAUNCH_VERBS: &[&str] = &[
    "lanza", "lanzar", "launch", "start", "inicia", "iniciar", "arranca", "crea", "create", "run",
    "monta", "set up",
];
const CONTENT_VERBS: &[&str] = &[
    "genera", "generar", "generate", "write", "escribe", "escribir", "redacta", "redactar",
    "draft", "create", "crea", "compose", "prepara", "haz", "make",
];

/// Verbs that only ever mean writing copy.
const WRITING_VERBS: &[&str] = &[
    "write", "escribe", "escribir", "redacta", "redactar", "draft", "compose",
];

/// What the instruction asks for (names not looked up yet).
pub fn intent(instruction: &str) -> Intent {
    let text = instruction.trim();
    let f = fold(text);
    let head = leading(&f);
    let lead_word = has_any(&f, &["lead", "leads", "prospecto", "cliente potencial"]);
    let campaign_word = has_any(&f, &["campaign", "campana", "campaigns", "campanas"]);
    if help::is_help(&f) {
        return Intent::Help;
    }
    if let Some(m) = campaigns::move_of(&head, &f) {
        return Intent::CampaignMove(m);
    }
    if starts_with_any(&head, LEAD_VERBS) && lead_word {
        return Intent::RegisterLead;
    }
    // "Write a follow-up email" is copy, not the digest; a report is
    // asked for even with "genera".
    if starts_with_any(&head, WRITING_VERBS) && !lead_word && !reports::is_report(&f, &head) {
        return Intent::Content;
    }
    if leads::is_follow_ups(&f) {
        return Intent::FollowUps;
    }
    if reports::is_report(&f, &head) {
        return Intent::Report;
    }
    if starts_with_any(&head, LAUNCH_VERBS) && campaign_word {
        return Intent::Launch;
    }
    if starts_with_any(&head, CONTENT_VERBS) && !lead_word {
        return Intent::Content;
    }
    Intent::Question
}

/// Plans one instruction with nothing to look names up in (ids only).
pub fn plan(instruction: &str) -> Plan {
    plan_with(instruction, &Known::default())
}

/// Plans one instruction, resolving client, product and campaign names
/// through `known`.
pub fn plan_with(instruction: &str, known: &Known) -> Plan {
    let text = instruction.trim();
    let lang = detect_lang(text);
    let f = fold(text);
    let cx = Cx {
        text,
        f: &f,
        lang,
        known,
    };
    match intent(text) {
        Intent::Help => help::plan(&cx),
        Intent::CampaignMove(m) => campaigns::plan_move(&cx, m),
        Intent::RegisterLead => leads::register(&cx),
        Intent::FollowUps => leads::follow_ups(&cx),
        Intent::Report => reports::plan(&cx),
        Intent::Launch => campaigns::launch(&cx),
        Intent::Content => content::plan(&cx),
        Intent::Question => Plan::Call {
            tool: "analytics.ask".into(),
            args: json!({ "question": text }),
        },
    }
}

/// One instruction being planned.
struct Cx<'a> {
    text: &'a str,
    /// `text` folded (lower case, no accents).
    f: &'a str,
    lang: Lang,
    known: &'a Known,
}

/// What is still to be asked, in the person's language.
struct Missing {
    lang: Lang,
    names: Vec<String>,
    asks: Vec<String>,
    /// "Which one?" questions: asked on their own, before what is missing.
    choices: Vec<String>,
}

impl Missing {
    fn new(lang: Lang) -> Self {
        Self {
            lang,
            names: Vec::new(),
            asks: Vec::new(),
            choices: Vec::new(),
        }
    }

    fn need(&mut self, name: &str, en: &str, es: &str) {
        self.names.push(name.to_owned());
        self.asks.push(self.lang.pick(en, es));
    }

    /// Several matched: which one (each option as the person reads it).
    fn choose(&mut self, name: &str, en: &str, es: &str, options: &[String]) {
        self.names.push(name.to_owned());
        let or = self.lang.pick(" or ", " o ");
        let list = match options.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{}{or}{last}", rest.join(", ")),
            None => String::new(),
        };
        self.choices
            .push(format!("{} {list}?", self.lang.pick(en, es)));
    }

    fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// `partial` when nothing is missing, else the question back.
    fn finish(self, partial: Plan) -> Plan {
        if self.is_empty() {
            return partial;
        }
        let mut parts = self.choices;
        if !self.asks.is_empty() {
            parts.push(match self.lang {
                Lang::En => format!("To do that I still need: {}.", self.asks.join("; ")),
                Lang::Es => format!("Para hacerlo todavía necesito: {}.", self.asks.join("; ")),
            });
        }
        Plan::Ask {
            question: parts.join(" "),
            missing: self.names,
            partial: Box::new(partial),
        }
    }
}

/// "Café Andino (cli_001)".
fn labelled(name: &str, id: &str) -> String {
    if name.is_empty() {
        id.to_owned()
    } else {
        format!("{name} ({id})")
    }
}

/// The client: its id in the text, else its name looked up in the
/// catalogue; several matches are asked about, none is asked for when
/// `required`.
fn resolve_client(cx: &Cx, m: &mut Missing, required: Option<(&str, &str)>) -> Option<KnownClient> {
    match client_in(cx.text, id_with(cx.f, "cli_"), cx.known) {
        Lookup::One(c) => Some(c),
        Lookup::Many(cs) => {
            let options: Vec<String> = cs.iter().map(|c| labelled(&c.name, &c.id)).collect();
            m.choose("client_id", "Which client:", "¿Qué cliente:", &options);
            None
        }
        Lookup::None => {
            if let Some((en, es)) = required {
                m.need("client_id", en, es);
            }
            None
        }
    }
}

/// A product: its id (`prd_…`), a quoted name (the catalogue's spelling
/// when it is one of the client's products), a catalogue name in the text,
/// or the words after "product"/"producto". Returns (name, id).
fn resolve_product(
    cx: &Cx,
    client: Option<&str>,
    m: &mut Missing,
    required: Option<(&str, &str)>,
) -> Option<(String, Option<String>)> {
    if let Some(id) = id_with(cx.f, "prd_") {
        let name = cx
            .known
            .products
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.name.clone())
            .or_else(|| quoted(cx.text));
        if let Some(name) = name {
            return Some((name, Some(id)));
        }
    }
    let pool: Vec<&KnownProduct> = cx
        .known
        .products
        .iter()
        .filter(|p| client.is_none_or(|c| p.client_id == c))
        .collect();
    if let Some(q) = quoted(cx.text) {
        let hits = find_named(&q, pool.iter().map(|p| p.name.as_str()));
        return match hits.as_slice() {
            [one] => pool.get(*one).map(|p| (p.name.clone(), Some(p.id.clone()))),
            _ => Some((q, None)),
        };
    }
    match product_in(cx.text, client, cx.known) {
        Lookup::One(p) => return Some((p.name, Some(p.id))),
        Lookup::Many(ps) => {
            let options: Vec<String> = ps.iter().map(|p| labelled(&p.name, &p.id)).collect();
            m.choose("product", "Which product:", "¿Qué producto:", &options);
            return None;
        }
        Lookup::None => {}
    }
    if let Some(p) = product_phrase(cx.text) {
        return Some((p, None));
    }
    if let Some((en, es)) = required {
        m.need("product", en, es);
    }
    None
}
