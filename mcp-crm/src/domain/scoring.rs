//! The transparent lead score (0-100 with its reasons), the offline EN/ES
//! sentiment lexicon, language detection and intent keywords.

use chrono::{DateTime, Utc};
use promptsales_shared::domain::{COUNTRY_NAMES, Country};
use serde::Serialize;

use super::{Direction, LeadStage};

/// Score at which an IQL lead becomes marketing-qualified.
pub const MQL_THRESHOLD: i32 = 40;
/// Score at which a lead becomes sales-qualified.
pub const SQL_THRESHOLD: i32 = 70;

/// One line of a score: what was seen and how many points it gave.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct ScoreReason {
    /// `fit`, `engagement`, `intent` or `sentiment`.
    pub group: String,
    pub points: i32,
    pub reason: String,
}

/// What the score looks at for one message.
#[derive(Debug, Clone)]
pub struct MessageFacts {
    pub at: DateTime<Utc>,
    pub direction: Direction,
    pub text: String,
    pub sentiment: Option<f64>,
}

/// Everything the score looks at for one lead.
#[derive(Debug, Clone)]
pub struct ScoreInput {
    pub country: Country,
    pub company: Option<String>,
    pub product_interest: Option<String>,
    pub messages: Vec<MessageFacts>,
    pub now: DateTime<Utc>,
}

/// Words that signal a pricing question.
pub const PRICING_WORDS: &[&str] = &[
    "price",
    "pricing",
    "cost",
    "quote",
    "how much",
    "budget",
    "precio",
    "precios",
    "cotización",
    "cotizacion",
    "cuánto cuesta",
    "cuanto cuesta",
    "tarifa",
    "presupuesto",
];
/// Words that signal a demo or meeting request.
pub const DEMO_WORDS: &[&str] = &[
    "demo",
    "trial",
    "meeting",
    "call me",
    "schedule",
    "demostración",
    "demostracion",
    "prueba",
    "reunión",
    "reunion",
    "llamada",
    "agendar",
];
/// Words that signal a decision to buy.
pub const BUY_WORDS: &[&str] = &[
    "buy",
    "purchase",
    "contract",
    "sign up",
    "order",
    "comprar",
    "contratar",
    "adquirir",
    "pedido",
    "suscribir",
];

/// Whether `text` contains any of `words` (case- and accent-insensitive on
/// the lower-cased text).
pub fn mentions(text: &str, words: &[&str]) -> bool {
    let t = text.to_lowercase();
    words.iter().any(|w| t.contains(w))
}

const POSITIVE: &[&str] = &[
    "great",
    "good",
    "excellent",
    "love",
    "thanks",
    "thank",
    "interested",
    "perfect",
    "happy",
    "awesome",
    "yes",
    "genial",
    "bueno",
    "buena",
    "excelente",
    "gracias",
    "encanta",
    "interesa",
    "interesado",
    "interesada",
    "perfecto",
    "feliz",
    "sí",
    "claro",
];
const NEGATIVE: &[&str] = &[
    "bad",
    "terrible",
    "expensive",
    "angry",
    "disappointed",
    "problem",
    "cancel",
    "worst",
    "spam",
    "unsubscribe",
    "stop",
    "malo",
    "mala",
    "caro",
    "cara",
    "molesto",
    "molesta",
    "decepcionado",
    "problema",
    "cancelar",
    "peor",
    "queja",
    "nunca",
];
const NEGATORS: &[&str] = &["not", "no", "never", "don't", "nunca", "tampoco", "ni"];

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Offline sentiment from -1 to 1: lexicon hits, flipped after a negator,
/// scaled by how many words carried sentiment.
pub fn lexicon_sentiment(text: &str) -> f64 {
    let ws = words(text);
    let mut sum: f64 = 0.0;
    let mut hits: f64 = 0.0;
    for (i, w) in ws.iter().enumerate() {
        let polarity = if POSITIVE.contains(&w.as_str()) {
            1.0
        } else if NEGATIVE.contains(&w.as_str()) {
            -1.0
        } else {
            continue;
        };
        let negated = i > 0 && NEGATORS.contains(&ws[i - 1].as_str());
        sum += if negated { -polarity } else { polarity };
        hits += 1.0;
    }
    if hits == 0.0 {
        return 0.0;
    }
    // A single hit gives ±0.5; more agreeing hits approach ±1.
    (sum / (hits + 1.0)).clamp(-1.0, 1.0)
}

promptsales_shared::vocabulary! {
    /// The language we write to a lead in.
    pub enum Language("language") {
        En => "en",
        Es => "es",
    }
}

/// Spanish or English from stop-word counts; `None` when nothing tells.
pub fn detect_language(text: &str) -> Option<Language> {
    const ES: &[&str] = &[
        "el", "la", "los", "las", "de", "que", "y", "en", "un", "una", "por", "para", "con",
        "hola", "quiero", "tienen", "cuánto", "cuanto", "gracias", "precio", "es", "mi", "me",
    ];
    const EN: &[&str] = &[
        "the", "and", "of", "to", "is", "in", "for", "with", "hello", "hi", "want", "do", "you",
        "have", "how", "much", "thanks", "price", "my", "me", "i",
    ];
    let ws = words(text);
    let es = ws.iter().filter(|w| ES.contains(&w.as_str())).count();
    let en = ws.iter().filter(|w| EN.contains(&w.as_str())).count();
    match es.cmp(&en) {
        std::cmp::Ordering::Greater => Some(Language::Es),
        std::cmp::Ordering::Less => Some(Language::En),
        std::cmp::Ordering::Equal => None,
    }
}

/// The points model: fit (≤ 30), engagement (≤ 40), intent (≤ 30) and a
/// sentiment penalty (≥ -10), clamped to 0-100.
pub fn score(input: &ScoreInput) -> (i32, Vec<ScoreReason>) {
    let mut reasons = Vec::new();
    let mut add = |group: &str, points: i32, reason: String| {
        reasons.push(ScoreReason {
            group: group.into(),
            points,
            reason,
        });
    };
    // Fit.
    if COUNTRY_NAMES
        .iter()
        .any(|(c, _, _)| *c == input.country.as_str())
    {
        add("fit", 10, format!("in a served market ({})", input.country));
    } else {
        add(
            "fit",
            3,
            format!("outside the core markets ({})", input.country),
        );
    }
    if let Some(p) = &input.product_interest {
        add("fit", 10, format!("interested in a product ({p})"));
    }
    if let Some(c) = &input.company {
        add("fit", 10, format!("buying for a company ({c})"));
    }
    // Engagement.
    let inbound: Vec<&MessageFacts> = input
        .messages
        .iter()
        .filter(|m| m.direction == Direction::In)
        .collect();
    if !inbound.is_empty() {
        let n = inbound.len().min(5) as i32;
        add(
            "engagement",
            n * 4,
            format!("{} inbound message(s)", inbound.len()),
        );
    }
    if let Some(last) = inbound.iter().map(|m| m.at).max() {
        let days = (input.now - last).num_days();
        if days <= 3 {
            add("engagement", 10, format!("last message {days} day(s) ago"));
        } else if days <= 14 {
            add("engagement", 5, format!("last message {days} days ago"));
        }
    }
    let mut sorted: Vec<&MessageFacts> = input.messages.iter().collect();
    sorted.sort_by_key(|m| m.at);
    let replied = sorted
        .windows(2)
        .any(|w| w[0].direction == Direction::Out && w[1].direction == Direction::In);
    if replied {
        add("engagement", 10, "replied to our message".into());
    }
    // Intent.
    let said = |ws: &[&str]| inbound.iter().any(|m| mentions(&m.text, ws));
    if said(PRICING_WORDS) {
        add("intent", 10, "asked about pricing".into());
    }
    if said(DEMO_WORDS) {
        add("intent", 10, "asked for a demo or meeting".into());
    }
    if said(BUY_WORDS) {
        add("intent", 10, "talked about buying".into());
    }
    // Sentiment.
    let scored: Vec<f64> = inbound.iter().filter_map(|m| m.sentiment).collect();
    if !scored.is_empty() {
        let avg = scored.iter().sum::<f64>() / scored.len() as f64;
        if avg <= -0.3 {
            add(
                "sentiment",
                -10,
                format!("negative tone (average {avg:.2})"),
            );
        }
    }
    let total = reasons.iter().map(|r| r.points).sum::<i32>().clamp(0, 100);
    (total, reasons)
}

/// The stage a score qualifies an open lead for: only upward moves
/// IQL → MQL → SQL; customers and lost leads are never moved by a score.
pub fn qualified_stage(current: LeadStage, score: i32) -> Option<LeadStage> {
    let target = if score >= SQL_THRESHOLD {
        LeadStage::Sql
    } else if score >= MQL_THRESHOLD {
        LeadStage::Mql
    } else {
        return None;
    };
    let rank = |s: LeadStage| match s {
        LeadStage::Iql => Some(0),
        LeadStage::Mql => Some(1),
        LeadStage::Sql => Some(2),
        LeadStage::Customer | LeadStage::Lost => None,
    };
    match (rank(current), rank(target)) {
        (Some(a), Some(b)) if b > a => Some(target),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn msg(when: &str, direction: Direction, text: &str) -> MessageFacts {
        MessageFacts {
            at: at(when),
            direction,
            text: text.into(),
            sentiment: Some(lexicon_sentiment(text)),
        }
    }

    #[test]
    fn sentiment_reads_english_and_spanish() {
        assert!(lexicon_sentiment("Great, thanks! I'm interested") > 0.5);
        assert!(lexicon_sentiment("Excelente, gracias, me interesa") > 0.5);
        assert!(lexicon_sentiment("Terrible service, too expensive") < -0.5);
        assert!(lexicon_sentiment("Muy caro y malo") < -0.5);
        assert!(lexicon_sentiment("not good") < 0.0);
        assert_eq!(lexicon_sentiment("¿Tienen envío a Cali?"), 0.0);
    }

    #[test]
    fn languages_are_detected() {
        assert_eq!(
            detect_language("Hola, ¿cuánto cuesta el plan?"),
            Some(Language::Es)
        );
        assert_eq!(
            detect_language("Hi, how much is the price?"),
            Some(Language::En)
        );
        assert_eq!(detect_language("ok"), None);
    }

    #[test]
    fn a_cold_lead_scores_low_and_a_hot_one_high_with_reasons() {
        let now = at("2026-03-10T00:00:00Z");
        let cold = ScoreInput {
            country: Country::parse("JP").unwrap(),
            company: None,
            product_interest: None,
            messages: vec![],
            now,
        };
        let (s, r) = score(&cold);
        assert_eq!(s, 3);
        assert_eq!(r.len(), 1);
        let hot = ScoreInput {
            country: Country::parse("CO").unwrap(),
            company: Some("Acme".into()),
            product_interest: Some("CRM Pro".into()),
            messages: vec![
                msg(
                    "2026-03-01T10:00:00Z",
                    Direction::Out,
                    "Hola, ¿te interesa?",
                ),
                msg(
                    "2026-03-09T10:00:00Z",
                    Direction::In,
                    "Sí, ¿cuánto cuesta? Quiero una demo para contratar",
                ),
            ],
            now,
        };
        let (s, r) = score(&hot);
        // fit 30 + 1 inbound 4 + recent 10 + replied 10 + intent 30 = 84.
        assert_eq!(s, 84, "{r:?}");
        assert!(r.iter().any(|x| x.reason == "asked about pricing"));
        assert_eq!(r.iter().map(|x| x.points).sum::<i32>(), 84);
    }

    #[test]
    fn negative_tone_costs_points_and_scores_are_clamped() {
        let now = at("2026-03-10T00:00:00Z");
        let angry = ScoreInput {
            country: Country::parse("JP").unwrap(),
            company: None,
            product_interest: None,
            messages: vec![msg(
                "2026-01-01T00:00:00Z",
                Direction::In,
                "terrible, malo, caro",
            )],
            now,
        };
        let (s, r) = score(&angry);
        assert_eq!(s, 0, "3 + 4 - 10 clamps to 0: {r:?}");
        assert!(r.iter().any(|x| x.group == "sentiment"));
    }

    #[test]
    fn stages_only_move_up_at_the_thresholds() {
        assert_eq!(qualified_stage(LeadStage::Iql, 39), None);
        assert_eq!(qualified_stage(LeadStage::Iql, 40), Some(LeadStage::Mql));
        assert_eq!(qualified_stage(LeadStage::Iql, 70), Some(LeadStage::Sql));
        assert_eq!(qualified_stage(LeadStage::Mql, 70), Some(LeadStage::Sql));
        assert_eq!(qualified_stage(LeadStage::Sql, 45), None);
        assert_eq!(qualified_stage(LeadStage::Customer, 90), None);
        assert_eq!(qualified_stage(LeadStage::Lost, 90), None);
    }
}
