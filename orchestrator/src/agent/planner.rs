//! The deterministic planner (no LLM): an English or Spanish instruction becomes a tool call, a recipe run, or a question back naming what is missing — never a guess.

use serde::Serialize;
use serde_json::{Map, Value, json};

/// Language of an instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Es,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }
}

/// What to do with an instruction.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Plan {
    /// Call one tool.
    Call { tool: String, args: Value },
    /// Run a recipe.
    Recipe { recipe: String, params: Value },
    /// Ask the person for what is missing (in their language).
    Ask {
        question: String,
        missing: Vec<String>,
        /// What was understood so far, to merge with the answer.
        partial: Box<Plan>,
    },
}

/// Lower-case, accents folded, for matching only.
fn fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'Á' => 'a',
            'é' | 'è' | 'ë' | 'É' => 'e',
            'í' | 'ì' | 'ï' | 'Í' => 'i',
            'ó' | 'ò' | 'ö' | 'Ó' => 'o',
            'ú' | 'ù' | 'ü' | 'Ú' => 'u',
            'ñ' | 'Ñ' => 'n',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

fn words(folded: &str) -> Vec<String> {
    folded
        .split(|c: char| {
            !(c.is_alphanumeric() || c == '_' || c == '@' || c == '.' || c == '+' || c == '-')
        })
        .map(|w| w.trim_matches(|c: char| c == '.' || c == '-'))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

const ES_MARKERS: &[&str] = &[
    "el", "la", "los", "las", "de", "del", "para", "en", "que", "cuanto", "cuantos", "cuantas",
    "cual", "cuales", "genera", "lanza", "registra", "escribe", "redacta", "crea", "campana",
    "ventas", "mes", "pasado", "ano", "por", "con", "una", "un", "este", "esta", "quien", "donde",
    "como", "dame", "muestra", "semana",
];

/// Spanish when it reads Spanish: ¿/ñ/accents or more Spanish function
/// words than English ones.
pub fn detect_lang(text: &str) -> Lang {
    if text.contains('¿') || text.contains('¡') || text.contains('ñ') {
        return Lang::Es;
    }
    let f = fold(text);
    let w = words(&f);
    let es = w
        .iter()
        .filter(|x| ES_MARKERS.contains(&x.as_str()))
        .count();
    let en = w
        .iter()
        .filter(|x| {
            [
                "the", "of", "for", "in", "what", "how", "which", "was", "were", "is", "did",
                "last", "month", "write", "launch", "register", "a", "an", "this", "with", "show",
                "sales", "by",
            ]
            .contains(&x.as_str())
        })
        .count();
    let accents = text.chars().any(|c| "áéíóú".contains(c));
    if es > en || (es == en && accents) {
        Lang::Es
    } else {
        Lang::En
    }
}

fn t(lang: Lang, en: &str, es: &str) -> String {
    match lang {
        Lang::En => en.to_owned(),
        Lang::Es => es.to_owned(),
    }
}

const POLITE: &[&str] = &[
    "please",
    "por favor",
    "can you",
    "could you",
    "would you",
    "puedes",
    "podrias",
    "quiero que",
    "i want you to",
    "i want to",
    "quiero",
    "necesito",
    "i need to",
    "i need you to",
    "help me",
    "ayudame a",
    "let's",
    "vamos a",
];

/// The instruction's leading verb after politeness.
fn leading(f: &str) -> String {
    let mut s = f.trim().trim_start_matches(['¿', '¡']).trim().to_owned();
    loop {
        let before = s.clone();
        for p in POLITE {
            if let Some(rest) = s.strip_prefix(p) {
                s = rest.trim_start_matches([',', ' ', ':']).to_owned();
            }
        }
        if s == before {
            return s;
        }
    }
}

fn starts_with_any(s: &str, verbs: &[&str]) -> bool {
    verbs.iter().any(|v| {
        s.strip_prefix(v)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(|c: char| !c.is_alphanumeric()))
    })
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
];
const LAUNCH_VERBS: &[&str] = &[
    "lanza", "lanzar", "launch", "start", "inicia", "iniciar", "arranca", "crea", "create", "run",
    "monta", "set up",
];
const CONTENT_VERBS: &[&str] = &[
    "genera", "generar", "generate", "write", "escribe", "escribir", "redacta", "redactar",
    "draft", "create", "crea", "compose", "prepara", "haz", "make",
];

/// Plans one instruction.
pub fn plan(instruction: &str) -> Plan {
    let text = instruction.trim();
    let lang = detect_lang(text);
    let f = fold(text);
    let lead_word =
        f.contains("lead") || f.contains("prospecto") || f.contains("cliente potencial");
    let campaign_word = f.contains("campaign") || f.contains("campana");
    let head = leading(&f);
    if starts_with_any(&head, LEAD_VERBS) && lead_word {
        return register_lead(text, &f, lang);
    }
    if starts_with_any(&head, LAUNCH_VERBS) && campaign_word {
        return launch(text, &f, lang);
    }
    if starts_with_any(&head, CONTENT_VERBS) && !lead_word {
        return content(text, &f, lang);
    }
    Plan::Call {
        tool: "analytics.ask".into(),
        args: json!({ "question": text }),
    }
}

fn ask(lang: Lang, missing: Vec<(&str, &str, &str)>, partial: Plan) -> Plan {
    let names: Vec<String> = missing.iter().map(|(n, _, _)| (*n).to_owned()).collect();
    let asks: Vec<String> = missing.iter().map(|(_, en, es)| t(lang, en, es)).collect();
    let question = match lang {
        Lang::En => format!("To do that I still need: {}.", asks.join("; ")),
        Lang::Es => format!("Para hacerlo todavía necesito: {}.", asks.join("; ")),
    };
    Plan::Ask {
        question,
        missing: names,
        partial: Box::new(partial),
    }
}

fn id_with(f: &str, prefix: &str) -> Option<String> {
    words(f)
        .into_iter()
        .find(|w| w.starts_with(prefix) && w.len() > prefix.len())
        .map(|w| w.trim_end_matches(['.', ',']).to_owned())
}

fn email(text: &str) -> Option<String> {
    text.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| {
                !(c.is_alphanumeric() || c == '@' || c == '.' || c == '_' || c == '-' || c == '+')
            })
        })
        .map(|w| w.trim_end_matches('.'))
        .find(|w| {
            w.split_once('@')
                .is_some_and(|(a, b)| !a.is_empty() && b.contains('.') && !b.starts_with('.'))
        })
        .map(str::to_lowercase)
}

fn phone(text: &str) -> Option<String> {
    // A run of digits, spaces, dashes and one leading '+', with 7-15 digits.
    let mut best: Option<String> = None;
    let mut cur = String::new();
    let flush = |cur: &mut String, best: &mut Option<String>| {
        let digits = cur.chars().filter(char::is_ascii_digit).count();
        if (7..=15).contains(&digits) && best.is_none() {
            let plus = if cur.trim_start().starts_with('+') {
                "+"
            } else {
                ""
            };
            *best = Some(format!(
                "{plus}{}",
                cur.chars().filter(char::is_ascii_digit).collect::<String>()
            ));
        }
        cur.clear();
    };
    let chars: Vec<char> = text.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        let prev_alnum =
            i > 0 && (chars[i - 1].is_alphabetic() || chars[i - 1] == '_' || chars[i - 1] == '@');
        if c.is_ascii_digit()
            || (*c == '+' && cur.is_empty())
            || ((*c == ' ' || *c == '-' || *c == '(' || *c == ')') && !cur.is_empty())
        {
            if cur.is_empty() && prev_alnum {
                continue;
            }
            cur.push(*c);
        } else {
            flush(&mut cur, &mut best);
        }
    }
    flush(&mut cur, &mut best);
    best
}

const CHANNELS: &[(&str, &str)] = &[
    ("google ads", "google_ads"),
    ("google_ads", "google_ads"),
    ("google", "google_ads"),
    ("facebook", "meta"),
    ("meta", "meta"),
    ("instagram", "instagram"),
    ("tiktok", "tiktok"),
    ("linkedin", "linkedin"),
    ("email", "email"),
    ("e-mail", "email"),
    ("correo", "email"),
    ("newsletter", "email"),
    ("sms", "sms"),
    ("whatsapp", "whatsapp"),
    ("landing", "web"),
    ("web", "web"),
    ("sitio web", "web"),
    ("influencer", "influencer"),
];

fn channels(f: &str) -> Vec<String> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for (word, canonical) in CHANNELS {
        let mut from = 0;
        while let Some(i) = f[from..].find(word) {
            let at = from + i;
            let before_ok = at == 0 || !f[..at].ends_with(|c: char| c.is_alphanumeric());
            let end = at + word.len();
            let after_ok = end >= f.len() || !f[end..].starts_with(|c: char| c.is_alphanumeric());
            if before_ok && after_ok && !out.iter().any(|(_, c)| c == canonical) {
                out.push((at, (*canonical).to_owned()));
            }
            from = end;
        }
    }
    out.sort();
    out.into_iter().map(|(_, c)| c).collect()
}

const COUNTRIES: &[(&str, &str)] = &[
    ("colombia", "CO"),
    ("mexico", "MX"),
    ("estados unidos", "US"),
    ("united states", "US"),
    ("usa", "US"),
    ("eeuu", "US"),
    ("spain", "ES"),
    ("espana", "ES"),
    ("argentina", "AR"),
    ("chile", "CL"),
    ("peru", "PE"),
    ("brazil", "BR"),
    ("brasil", "BR"),
    ("ecuador", "EC"),
    ("panama", "PA"),
    ("costa rica", "CR"),
];

fn countries(f: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (name, code) in COUNTRIES {
        if f.contains(name) && !out.iter().any(|c: &String| c == code) {
            out.push((*code).to_owned());
        }
    }
    out
}

fn dates(f: &str) -> Vec<String> {
    words(f)
        .into_iter()
        .filter(|w| chrono::NaiveDate::parse_from_str(w, "%Y-%m-%d").is_ok())
        .collect()
}

/// A budget in hundredths and its currency: "$5,000", "5000 USD",
/// "2.000.000 COP", "5k", "3 millones de pesos colombianos".
fn budget(text: &str, f: &str) -> Option<(i64, String)> {
    let currency = if f.contains("cop") || f.contains("pesos colombianos") {
        "COP"
    } else if f.contains("mxn") || f.contains("pesos mexicanos") {
        "MXN"
    } else if f.contains("eur") || f.contains('€') {
        "EUR"
    } else {
        "USD"
    };
    let money_words = [
        "$",
        "usd",
        "cop",
        "mxn",
        "eur",
        "€",
        "dolares",
        "dollars",
        "pesos",
        "euros",
        "budget",
        "presupuesto",
    ];
    if !money_words.iter().any(|m| f.contains(m)) {
        return None;
    }
    let toks: Vec<&str> = text.split_whitespace().collect();
    for (i, raw) in toks.iter().enumerate() {
        let tok = raw
            .trim_start_matches(['$', '€'])
            .trim_end_matches([',', '.', ';', ')']);
        let lower = fold(tok);
        let (num_part, mult) = if let Some(n) = lower.strip_suffix('k') {
            (n.to_owned(), 1_000.0)
        } else {
            (lower.clone(), 1.0)
        };
        if num_part.is_empty()
            || !num_part
                .chars()
                .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
        {
            continue;
        }
        if chrono::NaiveDate::parse_from_str(tok, "%Y-%m-%d").is_ok()
            || !num_part.chars().next().is_some_and(|c| c.is_ascii_digit())
        {
            continue;
        }
        // "5,000" / "5.000" group thousands; "5,000.50" / "5.000,50" have cents.
        let value: f64 = {
            let s = num_part.as_str();
            let last_sep = s.rfind([',', '.']);
            match last_sep {
                Some(p) if s.len() - p - 1 == 2 => {
                    let int: String = s[..p].chars().filter(char::is_ascii_digit).collect();
                    format!("{int}.{}", &s[p + 1..]).parse().ok()?
                }
                _ => s
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect::<String>()
                    .parse()
                    .ok()?,
            }
        };
        let next = toks.get(i + 1).map(|w| fold(w)).unwrap_or_default();
        let mult = if next.starts_with("millon") || next.starts_with("million") {
            1_000_000.0
        } else if next == "mil" || next == "thousand" {
            1_000.0
        } else {
            mult
        };
        let cents = (value * mult * 100.0).round() as i64;
        if cents > 0 {
            return Some((cents, currency.to_owned()));
        }
    }
    None
}

fn quoted(text: &str) -> Option<String> {
    for (open, close) in [('"', '"'), ('“', '”'), ('«', '»'), ('\'', '\'')] {
        if let Some(a) = text.find(open) {
            let rest = &text[a + open.len_utf8()..];
            if let Some(b) = rest.find(close) {
                let q = rest[..b].trim();
                if !q.is_empty() {
                    return Some(q.to_owned());
                }
            }
        }
    }
    None
}

/// The product: quoted text, or the words after "product"/"producto".
fn product(text: &str) -> Option<String> {
    if let Some(q) = quoted(text) {
        return Some(q);
    }
    // `fold` maps every char to one char, so char positions agree.
    let f = fold(text);
    let chars: Vec<char> = text.chars().collect();
    for key in ["producto ", "product "] {
        if let Some(i) = f.find(key) {
            let start = f[..i + key.len()].chars().count();
            let rest: String = f.chars().skip(start).collect();
            let stops = [
                ",",
                ".",
                ";",
                " for ",
                " para ",
                " on ",
                " en ",
                " in ",
                " with ",
                " con ",
                " from ",
                " desde ",
                " del ",
                " budget",
                " presupuesto",
                " de cli_",
                " cli_",
            ];
            let end = stops
                .iter()
                .filter_map(|s| rest.find(s).map(|b| rest[..b].chars().count()))
                .min()
                .unwrap_or(rest.chars().count());
            let name: String = chars[start..(start + end).min(chars.len())]
                .iter()
                .collect();
            let name = name.trim();
            if !name.is_empty() {
                return Some(name.to_owned());
            }
        }
    }
    None
}

fn explicit_lang(f: &str) -> Option<Lang> {
    if ["in spanish", "en espanol", "en castellano", "in espanol"]
        .iter()
        .any(|p| f.contains(p))
    {
        Some(Lang::Es)
    } else if ["in english", "en ingles"].iter().any(|p| f.contains(p)) {
        Some(Lang::En)
    } else {
        None
    }
}

fn variants(f: &str) -> Option<u32> {
    let w = words(f);
    w.windows(2).find_map(|p| {
        let n: u32 = p[0].parse().ok()?;
        [
            "variants",
            "variantes",
            "versions",
            "versiones",
            "options",
            "opciones",
            "variations",
        ]
        .contains(&p[1].as_str())
        .then_some(n)
    })
}

fn content(text: &str, f: &str, lang: Lang) -> Plan {
    let mut brief = Map::new();
    let client = id_with(f, "cli_");
    let product = product(text);
    let chans = channels(f);
    if let Some(c) = &client {
        brief.insert("client_id".into(), json!(c));
    }
    if let Some(p) = &product {
        brief.insert("product".into(), json!(p));
    }
    if !chans.is_empty() {
        brief.insert("channels".into(), json!(chans));
    }
    brief.insert(
        "language".into(),
        json!(explicit_lang(f).unwrap_or(lang).code()),
    );
    if let Some(n) = variants(f) {
        brief.insert("variants".into(), json!(n));
    }
    // The brief's fields are the tool's arguments.
    let partial = Plan::Call {
        tool: "content.generate_content".into(),
        args: Value::Object(brief),
    };
    let mut missing = Vec::new();
    if client.is_none() {
        missing.push((
            "client_id",
            "which client it is for (an id such as cli_001)",
            "para qué cliente es (un id como cli_001)",
        ));
    }
    if product.is_none() {
        missing.push((
            "product",
            "the product, in quotes (e.g. \"Plan Pro\")",
            "el producto, entre comillas (p. ej. \"Plan Pro\")",
        ));
    }
    if chans.is_empty() {
        missing.push((
            "channels",
            "the channels (e.g. meta, google ads, email, sms)",
            "los canales (p. ej. meta, google ads, email, sms)",
        ));
    }
    if missing.is_empty() {
        partial
    } else {
        ask(lang, missing, partial)
    }
}

fn launch(text: &str, f: &str, lang: Lang) -> Plan {
    let mut params = Map::new();
    let client = id_with(f, "cli_");
    let product = product(text);
    let money = budget(text, f);
    let d = dates(f);
    if let Some(c) = &client {
        params.insert("client_id".into(), json!(c));
    }
    if let Some(p) = &product {
        params.insert("product".into(), json!(p));
    }
    if let Some(p) = id_with(f, "prd_") {
        params.insert("product_id".into(), json!(p));
    }
    if let Some((cents, cur)) = &money {
        params.insert("budget_cents".into(), json!(cents));
        params.insert("currency".into(), json!(cur));
    }
    if let Some(s) = d.first() {
        params.insert("start_date".into(), json!(s));
    }
    if let Some(e) = d.get(1) {
        params.insert("end_date".into(), json!(e));
    }
    let chans = channels(f);
    if !chans.is_empty() {
        params.insert("channels".into(), json!(chans));
    }
    let ctry = countries(f);
    if !ctry.is_empty() {
        params.insert("countries".into(), json!(ctry));
    }
    params.insert(
        "language".into(),
        json!(explicit_lang(f).unwrap_or(lang).code()),
    );
    let partial = Plan::Recipe {
        recipe: "launch-campaign".into(),
        params: Value::Object(params),
    };
    let mut missing = Vec::new();
    if client.is_none() {
        missing.push((
            "client_id",
            "which client (an id such as cli_001)",
            "para qué cliente (un id como cli_001)",
        ));
    }
    if product.is_none() {
        missing.push((
            "product",
            "the product, in quotes",
            "el producto, entre comillas",
        ));
    }
    if money.is_none() {
        missing.push((
            "budget_cents",
            "the budget with its currency (e.g. 5000 USD)",
            "el presupuesto con su moneda (p. ej. 5000 USD)",
        ));
    }
    if d.is_empty() {
        missing.push((
            "start_date",
            "the start date (YYYY-MM-DD)",
            "la fecha de inicio (AAAA-MM-DD)",
        ));
    }
    if d.len() < 2 {
        missing.push((
            "end_date",
            "the end date (YYYY-MM-DD)",
            "la fecha de fin (AAAA-MM-DD)",
        ));
    }
    if missing.is_empty() {
        partial
    } else {
        ask(lang, missing, partial)
    }
}

/// The person's name: after "named"/"llamado"/"nombre"/"name", or the
/// text after "lead:" up to the first comma.
fn person_name(text: &str) -> Option<String> {
    let f = fold(text);
    for key in [
        "named ", "llamado ", "llamada ", "nombre: ", "nombre ", "name: ", "name ",
    ] {
        if let Some(i) = f.find(key) {
            let start = text
                .char_indices()
                .nth(f[..i + key.len()].chars().count())
                .map_or(text.len(), |(b, _)| b);
            let name: Vec<&str> = text[start..]
                .split_whitespace()
                .take_while(|w| w.chars().next().is_some_and(char::is_uppercase))
                .take(4)
                .collect();
            if !name.is_empty() {
                return Some(name.join(" ").trim_end_matches([',', '.']).to_owned());
            }
        }
    }
    if let Some(i) = text.find(':') {
        let after = text[i + 1..].split(',').next().unwrap_or("").trim();
        if !after.is_empty()
            && !after.contains('@')
            && after.chars().next().is_some_and(char::is_uppercase)
            && after.split_whitespace().count() <= 4
        {
            return Some(after.trim_end_matches('.').to_owned());
        }
    }
    None
}

fn register_lead(text: &str, f: &str, lang: Lang) -> Plan {
    let mut args = Map::new();
    let client = id_with(f, "cli_");
    let mail = email(text);
    let tel = phone(text);
    if let Some(c) = &client {
        args.insert("client_id".into(), json!(c));
    }
    if let Some(n) = person_name(text) {
        args.insert("name".into(), json!(n));
    }
    if let Some(e) = &mail {
        args.insert("email".into(), json!(e));
    }
    if let Some(p) = &tel {
        args.insert("phone".into(), json!(p));
    }
    if let Some(c) = countries(f).first() {
        args.insert("country".into(), json!(c));
    }
    if let Some(ch) = channels(f).first() {
        args.insert("channel".into(), json!(ch));
    }
    if let Some(c) = id_with(f, "cmp_") {
        args.insert("campaign_id".into(), json!(c));
    }
    let partial = Plan::Call {
        tool: "crm.register_lead".into(),
        args: Value::Object(args),
    };
    let mut missing = Vec::new();
    if client.is_none() {
        missing.push((
            "client_id",
            "which client the lead is for (an id such as cli_001)",
            "de qué cliente es el lead (un id como cli_001)",
        ));
    }
    if mail.is_none() && tel.is_none() {
        missing.push((
            "email",
            "an email or a phone number to reach the person",
            "un email o un teléfono para contactar a la persona",
        ));
    }
    if missing.is_empty() {
        partial
    } else {
        ask(lang, missing, partial)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(p: &Plan) -> (&str, &Value) {
        match p {
            Plan::Call { tool, args } => (tool, args),
            other => panic!("expected a call, got {other:?}"),
        }
    }

    fn asked(p: &Plan) -> (String, Vec<String>) {
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
        let p =
            plan("Write copy for \"Plan Pro\" for cli_001 on Instagram and Google Ads, 3 variants");
        let (tool, args) = call(&p);
        assert_eq!(tool, "content.generate_content");
        assert_eq!(
            *args,
            json!({"client_id": "cli_001", "product": "Plan Pro", "channels": ["instagram", "google_ads"], "language": "en", "variants": 3})
        );
        let p =
            plan("Genera contenido para el producto Crédito Hogar de cli_007 en WhatsApp y email");
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
            "Register a new lead named John Smith, john@acme.io for cli_003 from campaign cmp_00042",
        );
        let (_, args) = call(&p);
        assert_eq!(args["name"], "John Smith");
        assert_eq!(args["email"], "john@acme.io");
        assert_eq!(args["campaign_id"], "cmp_00042");
        assert!(args.get("phone").is_none());
        let p = plan("add lead for cli_010: phone 555-123-4567 from Mexico");
        let (_, args) = call(&p);
        assert_eq!(args["phone"], "5551234567");
        assert_eq!(args["country"], "MX");
    }

    #[test]
    fn lead_registrations_missing_facts_ask_for_them() {
        let (q, missing) = asked(&plan("Registra este lead: Pedro Pérez"));
        assert_eq!(missing, ["client_id", "email"]);
        assert!(q.starts_with("Para hacerlo"), "{q}");
        let (q, missing) = asked(&plan("register this lead: mary@x.com"));
        assert_eq!(missing, ["client_id"]);
        assert!(q.contains("which client"), "{q}");
    }

    #[test]
    fn language_detection() {
        assert_eq!(detect_lang("¿cuánto vendimos?"), Lang::Es);
        assert_eq!(detect_lang("ventas por canal el mes pasado"), Lang::Es);
        assert_eq!(detect_lang("sales by channel last month"), Lang::En);
    }
}
