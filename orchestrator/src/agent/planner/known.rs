//! What the planner may resolve names against: the catalogue's clients and products, the campaigns and the tools the servers expose — and the accent-insensitive, typo-tolerant matching of a name in an instruction.

use serde::{Deserialize, Serialize};

use super::lang::{fold, tokens};

/// A client of the agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownClient {
    pub id: String,
    pub name: String,
    /// ISO-3166 alpha-2: the default country of a national phone number.
    pub country: String,
}

/// A product a client sells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownProduct {
    pub id: String,
    pub client_id: String,
    pub name: String,
}

/// A campaign, with its status (which moves apply).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownCampaign {
    pub id: String,
    pub client_id: String,
    pub name: String,
    pub status: String,
}

/// Everything the planner may look names up in; empty when it could not be
/// read (then it asks for ids).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    pub clients: Vec<KnownClient>,
    pub products: Vec<KnownProduct>,
    pub campaigns: Vec<KnownCampaign>,
    /// Qualified names of the tools the servers expose (`ads.pause_campaign`).
    pub tools: Vec<String>,
}

impl Known {
    pub fn has_tool(&self, qualified: &str) -> bool {
        self.tools.iter().any(|t| t == qualified)
    }

    pub fn client(&self, id: &str) -> Option<&KnownClient> {
        self.clients.iter().find(|c| c.id == id)
    }
}

/// How a name in the text matched a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Hit {
    /// Token span in the text.
    start: usize,
    end: usize,
    /// 0 the whole name, 1 the whole name with a typo or two, 2 only part
    /// of it (two or more of its words in a row).
    tier: u8,
    distance: usize,
}

impl Hit {
    fn rank(&self) -> (u8, usize, std::cmp::Reverse<usize>) {
        (
            self.tier,
            self.distance,
            std::cmp::Reverse(self.end - self.start),
        )
    }
}

/// Edits allowed for a name of this many characters: none for short names
/// (a typo there is another word), one up to 10, two beyond.
fn allowed(chars: usize) -> usize {
    match chars {
        0..=4 => 0,
        5..=10 => 1,
        _ => 2,
    }
}

/// Words that never identify a name on their own.
const FILLER: &[&str] = &[
    "de", "del", "la", "el", "los", "las", "y", "the", "of", "and", "for", "para", "en", "in",
];

/// The best place `name` appears in `text_tokens`: windows of the name's
/// word count (±1, a word dropped or added) compared by Levenshtein distance
/// on the folded words joined by a space; else two or more of its words in
/// a row, exactly.
fn best_hit(text_tokens: &[&str], name: &str) -> Option<Hit> {
    let folded = fold(name);
    let name_tokens = tokens(&folded);
    if name_tokens.is_empty() {
        return None;
    }
    let joined = name_tokens.join(" ");
    let limit = allowed(joined.chars().count());
    let n = name_tokens.len();
    let mut hits: Vec<Hit> = Vec::new();
    for size in [n, n.saturating_sub(1).max(1), n + 1] {
        if size > text_tokens.len() {
            continue;
        }
        for start in 0..=text_tokens.len() - size {
            let window = text_tokens[start..start + size].join(" ");
            let distance = strsim::levenshtein(&window, &joined);
            if distance <= limit {
                hits.push(Hit {
                    start,
                    end: start + size,
                    tier: u8::from(distance > 0),
                    distance,
                });
            }
        }
    }
    // Part of a longer name: a run of at least two of its words, not only
    // filler ("black friday" of "Black Friday Sales 2026").
    for len in (2..n).rev() {
        for from in 0..=n - len {
            let run = &name_tokens[from..from + len];
            if run.iter().all(|w| FILLER.contains(w)) {
                continue;
            }
            for start in 0..=text_tokens.len().saturating_sub(len) {
                if text_tokens.get(start..start + len) == Some(run) {
                    hits.push(Hit {
                        start,
                        end: start + len,
                        tier: 2,
                        distance: n - len,
                    });
                }
            }
        }
    }
    hits.into_iter().min_by_key(Hit::rank)
}

/// The candidates whose name appears in `text` (accents and case ignored,
/// a typo or two allowed by length, or a run of its words). The closest
/// kind of match wins, and a name inside a longer matched name ("Café
/// Andino" in "Café Andino Express") gives way to it. Indexes into `names`.
pub fn find_named<'a>(text: &str, names: impl IntoIterator<Item = &'a str>) -> Vec<usize> {
    let f = fold(text);
    let text_tokens = tokens(&f);
    let hits: Vec<(usize, Hit)> = names
        .into_iter()
        .enumerate()
        .filter_map(|(i, n)| best_hit(&text_tokens, n).map(|h| (i, h)))
        .collect();
    let Some(best) = hits.iter().map(|(_, h)| (h.tier, h.distance)).min() else {
        return Vec::new();
    };
    // Partial matches compete on their kind only: how much of each name
    // was left out does not make one more likely than another.
    let close: Vec<(usize, Hit)> = hits
        .into_iter()
        .filter(|(_, h)| {
            if best.0 == 2 {
                h.tier == 2
            } else {
                (h.tier, h.distance) == best
            }
        })
        .collect();
    close
        .iter()
        .filter(|(_, h)| {
            !close.iter().any(|(_, o)| {
                o.start <= h.start && h.end <= o.end && (o.end - o.start) > (h.end - h.start)
            })
        })
        .map(|(i, _)| *i)
        .collect()
}

/// What looking a name up gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup<T> {
    /// Not named (or nothing to look it up in).
    None,
    One(T),
    /// Several match: the person says which.
    Many(Vec<T>),
}

/// The client: its id written in the text, else its name in the catalogue.
pub fn client_in(text: &str, id: Option<String>, known: &Known) -> Lookup<KnownClient> {
    if let Some(id) = id {
        return Lookup::One(known.client(&id).cloned().unwrap_or(KnownClient {
            id,
            name: String::new(),
            country: String::new(),
        }));
    }
    pick(
        find_named(text, known.clients.iter().map(|c| c.name.as_str())),
        &known.clients,
    )
}

fn pick<T: Clone>(hits: Vec<usize>, from: &[T]) -> Lookup<T> {
    let mut found: Vec<T> = hits
        .into_iter()
        .filter_map(|i| from.get(i).cloned())
        .collect();
    match found.len() {
        0 => Lookup::None,
        1 => Lookup::One(found.remove(0)),
        _ => Lookup::Many(found),
    }
}

/// A product of `client` (or of anyone when the client is not known) named
/// in `text`.
pub fn product_in(text: &str, client: Option<&str>, known: &Known) -> Lookup<KnownProduct> {
    let pool: Vec<KnownProduct> = known
        .products
        .iter()
        .filter(|p| client.is_none_or(|c| p.client_id == c))
        .cloned()
        .collect();
    pick(
        find_named(text, pool.iter().map(|p| p.name.as_str())),
        &pool,
    )
}

/// Campaigns (of `client`, when known) named in `text`.
pub fn campaigns_in(text: &str, client: Option<&str>, known: &Known) -> Vec<KnownCampaign> {
    let pool: Vec<KnownCampaign> = known
        .campaigns
        .iter()
        .filter(|c| client.is_none_or(|id| c.client_id == id))
        .cloned()
        .collect();
    find_named(text, pool.iter().map(|c| c.name.as_str()))
        .into_iter()
        .filter_map(|i| pool.get(i).cloned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_without_accents_case_or_a_typo() {
        let names = ["Café Andino", "Café Andino Express", "Vinos del Sur", "Pet"];
        assert_eq!(find_named("para cafe andino por favor", names), [0]);
        assert_eq!(find_named("para CAFÉ ANDINO EXPRESS", names), [1]);
        assert_eq!(find_named("para Cafe Andno", names), [0]);
        assert_eq!(find_named("de vinos del sur", names), [2]);
        // Short names need the exact word.
        assert!(find_named("a pot of gold", names).is_empty());
        assert_eq!(find_named("for pet", names), [3]);
        // Two equally close: both, so the planner asks.
        let twins = ["Black Friday Sales 2026", "Black Friday Leads 2026"];
        assert_eq!(find_named("pause black friday 2026", twins), [0, 1]);
    }
}
