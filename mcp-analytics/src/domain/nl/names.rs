//! Campaign, client and product names and ids in a question: accent- and
//! case-insensitive, tolerant of small typos, longest and most exact match
//! first. Names shared by several ids (seeded campaigns repeat names) match
//! all of them.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use super::NameIndex;
use super::lexicon::{FILLER, is_vocabulary, name_hint, name_stopword};
use super::normalize::{similar, tokenize};
use super::patterns::Ctx;
use crate::domain::semantic::Dimension;

/// Most ids one name filter may carry (the spec's `in` limit).
pub const MAX_IDS: usize = 100;

/// The names of one kind that fold to the same words, and their ids.
#[derive(Debug, Clone)]
pub struct Group {
    pub kind: Dimension,
    pub name: String,
    pub words: Vec<String>,
    pub ids: Vec<String>,
}

/// What a stretch of the question names.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    Match {
        start: usize,
        end: usize,
        kind: Dimension,
        ids: Vec<String>,
        /// The name, or what part of a name was matched.
        label: String,
        /// The words typed, when they differ from the name (typos, partial).
        typed: Option<String>,
        /// A word such as "campaign" that named the kind.
        hint: Option<usize>,
    },
    Ambiguous {
        start: usize,
        end: usize,
        text: String,
        options: Vec<String>,
    },
    TooBroad {
        start: usize,
        end: usize,
        text: String,
        count: usize,
    },
}

fn kinds(names: &NameIndex) -> [(Dimension, &Vec<(String, String)>); 3] {
    [
        (Dimension::Campaign, &names.campaigns),
        (Dimension::Client, &names.clients),
        (Dimension::Product, &names.products),
    ]
}

/// The index grouped by kind and folded words, with an inverted index from
/// each non-numeric word to the groups that contain it, so a question only
/// looks at the names that share a word with it.
#[derive(Debug, Default)]
pub struct Prepared {
    pub groups: Vec<Group>,
    by_word: HashMap<String, Vec<usize>>,
    /// One-word names, which may match with a typo and no exact word.
    singles: Vec<usize>,
    /// Lower-case id → (kind, name).
    ids: HashMap<String, (Dimension, String)>,
}

impl Prepared {
    pub fn new(names: &NameIndex) -> Prepared {
        let mut p = Prepared::default();
        let mut at: HashMap<(Dimension, &str), usize> = HashMap::new();
        let mut by_words: HashMap<(Dimension, Vec<String>), usize> = HashMap::new();
        for (kind, list) in kinds(names) {
            for (id, name) in list {
                p.ids.insert(id.to_ascii_lowercase(), (kind, name.clone()));
                // Identical names are folded once.
                if let Some(&g) = at.get(&(kind, name.as_str())) {
                    p.groups[g].ids.push(id.clone());
                    continue;
                }
                let words: Vec<String> = tokenize(name)
                    .into_iter()
                    .map(|t| t.text)
                    .filter(|w| !name_stopword(w))
                    .collect();
                if words.is_empty() {
                    continue;
                }
                let g = match by_words.get(&(kind, words.clone())) {
                    Some(&g) => {
                        p.groups[g].ids.push(id.clone());
                        g
                    }
                    None => {
                        let g = p.groups.len();
                        by_words.insert((kind, words.clone()), g);
                        p.groups.push(Group {
                            kind,
                            name: name.clone(),
                            words,
                            ids: vec![id.clone()],
                        });
                        g
                    }
                };
                at.insert((kind, name.as_str()), g);
            }
        }
        for (g, group) in p.groups.iter_mut().enumerate() {
            group.ids.sort();
            group.ids.dedup();
            if group.words.len() == 1 {
                p.singles.push(g);
            }
            let mut seen: Vec<&str> = Vec::new();
            for w in &group.words {
                if w.chars().all(|c| c.is_ascii_digit()) || seen.contains(&w.as_str()) {
                    continue;
                }
                seen.push(w);
                p.by_word.entry(w.clone()).or_default().push(g);
            }
        }
        p
    }

    /// For every group sharing a word with the free words of the question,
    /// how many distinct question words it contains.
    fn shared(&self, ctx: &Ctx) -> HashMap<usize, usize> {
        let mut seen: Vec<&str> = Vec::new();
        let mut counts: HashMap<usize, usize> = HashMap::new();
        for i in 0..ctx.len() {
            let t = ctx.text(i);
            if !ctx.free(i) || seen.contains(&t) {
                continue;
            }
            seen.push(t);
            for &g in self.by_word.get(t).into_iter().flatten() {
                *counts.entry(g).or_default() += 1;
            }
        }
        counts
    }

    /// Groups that could match as whole names: a name of n words allows two
    /// typos, so at least n − 2 (and one) of its words are in the question;
    /// one-word names may carry a typo and share none.
    fn candidates(&self, ctx: &Ctx) -> Vec<usize> {
        let mut out: Vec<usize> = self.singles.clone();
        for (g, n) in self.shared(ctx) {
            if n >= self.groups[g].words.len().saturating_sub(2).max(1) {
                out.push(g);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

fn fingerprint(names: &NameIndex) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    names.hash(&mut h);
    h.finish()
}

type Cache = Mutex<Vec<(u64, Arc<Prepared>)>>;

/// Prepared indexes of the last few catalogues seen (one per tenant, say).
static CACHE: LazyLock<Cache> = LazyLock::new(|| Mutex::new(Vec::new()));
const CACHED: usize = 8;

/// The prepared index of `names`, built once per distinct catalogue.
pub fn prepared(names: &NameIndex) -> Arc<Prepared> {
    if names.campaigns.is_empty() && names.clients.is_empty() && names.products.is_empty() {
        return Arc::new(Prepared::default());
    }
    let key = fingerprint(names);
    if let Ok(cache) = CACHE.lock()
        && let Some((_, p)) = cache.iter().find(|(k, _)| *k == key)
    {
        return Arc::clone(p);
    }
    let p = Arc::new(Prepared::new(names));
    if let Ok(mut cache) = CACHE.lock() {
        cache.retain(|(k, _)| *k != key);
        if cache.len() >= CACHED {
            cache.remove(0);
        }
        cache.push((key, Arc::clone(&p)));
    }
    p
}

/// Matches `words` from `p`: (end, edits, exactly matched words). Stop
/// words of the question may sit between the name's words.
fn match_words(ctx: &Ctx, words: &[String], p: usize) -> Option<(usize, usize, usize)> {
    let (mut i, mut k, mut edits, mut exact) = (p, 0, 0, 0);
    while k < words.len() {
        if k > 0 {
            while ctx.free(i) && name_stopword(ctx.text(i)) {
                i += 1;
            }
        }
        if !ctx.free(i) {
            return None;
        }
        let q = ctx.text(i);
        if let Some(d) = similar(q, &words[k]) {
            edits += d;
            exact += usize::from(d == 0);
            i += 1;
            k += 1;
        } else if let Some(d) = words
            .get(k + 1)
            .and_then(|w2| similar(q, &format!("{}{w2}", words[k])))
        {
            // "tecnohogar" typed for "Tecno Hogar".
            edits += d + 1;
            i += 1;
            k += 2;
        } else if let Some(d) = ctx
            .free(i + 1)
            .then(|| similar(&format!("{q}{}", ctx.text(i + 1)), &words[k]))
            .flatten()
        {
            // "tecno hogar" typed for "TecnoHogar".
            edits += d + 1;
            i += 2;
            k += 1;
        } else {
            return None;
        }
    }
    Some((i, edits, exact))
}

/// A kind-naming word right before (skipping an article) or right after.
fn hint_at(ctx: &Ctx, start: usize, end: usize, kind: Dimension) -> Option<usize> {
    let mut before = start.checked_sub(1);
    if let Some(b) = before
        && ctx.free(b)
        && matches!(
            ctx.text(b),
            "la" | "el" | "the" | "de" | "del" | "los" | "las"
        )
    {
        before = b.checked_sub(1);
    }
    before
        .into_iter()
        .chain(std::iter::once(end))
        .find(|&i| ctx.free(i) && name_hint(ctx.text(i)) == Some(kind))
}

fn looks_like_id(t: &str) -> Option<Dimension> {
    let (prefix, rest) = t.split_once('_')?;
    let kind = match prefix {
        "cmp" => Dimension::Campaign,
        "cli" => Dimension::Client,
        "prd" => Dimension::Product,
        _ => return None,
    };
    (!rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then_some(kind)
}

/// Ids typed literally: `cmp_00042`, `cli_003`, `prd_0012`, or any id of the index.
pub fn ids(ctx: &Ctx, prep: &Prepared) -> Vec<Found> {
    let mut out = Vec::new();
    for i in 0..ctx.len() {
        if !ctx.free(i) {
            continue;
        }
        let t = ctx.text(i);
        let known = (t.len() >= 4)
            .then(|| prep.ids.get(t))
            .flatten()
            .map(|(kind, name)| (*kind, t.to_owned(), name.clone()));
        let found =
            known.or_else(|| looks_like_id(t).map(|kind| (kind, t.to_owned(), t.to_owned())));
        if let Some((kind, id, label)) = found {
            out.push(Found::Match {
                start: i,
                end: i + 1,
                kind,
                ids: vec![id],
                label,
                typed: None,
                hint: hint_at(ctx, i, i + 1, kind),
            });
        }
    }
    out
}

/// Whole names, typos allowed.
pub fn full(ctx: &Ctx, prep: &Prepared) -> Vec<Found> {
    let groups = &prep.groups;
    struct Cand {
        start: usize,
        end: usize,
        edits: usize,
        group: usize,
    }
    let mut cands = Vec::new();
    for g in prep.candidates(ctx) {
        let group = &groups[g];
        if let [only] = group.words.as_slice()
            && (only.len() < 3 || is_vocabulary(only))
        {
            continue;
        }
        for p in 0..ctx.len() {
            if !ctx.free(p) || name_stopword(ctx.text(p)) {
                continue;
            }
            if let Some((end, edits, exact)) = match_words(ctx, &group.words, p) {
                let ok = if group.words.len() == 1 {
                    edits <= 2
                } else {
                    exact >= 1 && edits <= 2
                };
                if ok {
                    cands.push(Cand {
                        start: p,
                        end,
                        edits,
                        group: g,
                    });
                }
            }
        }
    }
    cands.sort_by_key(|c| (std::cmp::Reverse(c.end - c.start), c.edits, c.start));
    let mut out: Vec<Found> = Vec::new();
    let overlaps = |out: &[Found], s: usize, e: usize| {
        out.iter().any(|f| {
            let (fs, fe) = match f {
                Found::Match { start, end, .. }
                | Found::Ambiguous { start, end, .. }
                | Found::TooBroad { start, end, .. } => (*start, *end),
            };
            s < fe && e > fs
        })
    };
    for (ci, c) in cands.iter().enumerate() {
        if overlaps(&out, c.start, c.end) {
            continue;
        }
        // Equally good matches of other names on the same words.
        let mut rivals: Vec<usize> = cands[ci..]
            .iter()
            .filter(|o| o.start == c.start && o.end == c.end && o.edits == c.edits)
            .map(|o| o.group)
            .collect();
        rivals.dedup();
        if rivals.len() > 1 {
            let hinted: Vec<usize> = rivals
                .iter()
                .copied()
                .filter(|&g| hint_at(ctx, c.start, c.end, groups[g].kind).is_some())
                .collect();
            if hinted.len() == 1 {
                rivals = hinted;
            }
        }
        let typed = ctx.orig(c.start, c.end);
        if rivals.len() > 1 {
            out.push(Found::Ambiguous {
                start: c.start,
                end: c.end,
                text: typed,
                options: rivals.iter().map(|&g| groups[g].name.clone()).collect(),
            });
            continue;
        }
        let g = &groups[c.group];
        out.push(Found::Match {
            start: c.start,
            end: c.end,
            kind: g.kind,
            ids: g.ids.clone(),
            label: g.name.clone(),
            typed: (c.edits > 0).then_some(typed),
            hint: hint_at(ctx, c.start, c.end, g.kind),
        });
    }
    out
}

/// Part of a name among words nothing else understood ("Black Friday"
/// campaigns): every name containing those words, of one kind.
pub fn partial(ctx: &Ctx, prep: &Prepared) -> Vec<Found> {
    let shared = prep.shared(ctx);
    let mut groups: Vec<(usize, &Group)> =
        shared.iter().map(|(g, n)| (*n, &prep.groups[*g])).collect();
    groups.sort_by_key(|(_, g)| (g.kind, g.name.as_str()));
    let mut out = Vec::new();
    let usable = |i: usize| ctx.free(i) && !FILLER.contains(ctx.text(i));
    let mut i = 0;
    while i < ctx.len() {
        if !usable(i) {
            i += 1;
            continue;
        }
        let run = (i..ctx.len()).take_while(|&j| usable(j)).count().min(6);
        let mut matched = false;
        for len in (1..=run).rev() {
            let sub: Vec<&str> = (i..i + len).map(|j| ctx.text(j)).collect();
            if len == 1
                && (sub[0].len() < 4
                    || is_vocabulary(sub[0])
                    || sub[0].chars().all(|c| c.is_ascii_digit()))
            {
                continue;
            }
            let mut distinct = sub.clone();
            distinct.sort_unstable();
            distinct.dedup();
            let mut hits: Vec<&Group> = groups
                .iter()
                .filter(|(n, _)| *n >= distinct.len())
                .map(|(_, g)| *g)
                .filter(|g| {
                    g.words
                        .windows(len)
                        .any(|w| w.iter().zip(&sub).all(|(a, b)| a == b))
                })
                .collect();
            // The map above has no order: sort for stable labels and options.
            hits.sort_by_key(|g| (g.kind, g.name.as_str()));
            if hits.is_empty() {
                continue;
            }
            let (start, end) = (i, i + len);
            let text = ctx.orig(start, end);
            let mut kinds: Vec<Dimension> = hits.iter().map(|g| g.kind).collect();
            kinds.sort();
            kinds.dedup();
            let hinted: Vec<Dimension> = kinds
                .iter()
                .copied()
                .filter(|k| hint_at(ctx, start, end, *k).is_some())
                .collect();
            let kind = match (kinds.as_slice(), hinted.as_slice()) {
                ([k], _) | (_, [k]) => *k,
                _ => {
                    out.push(Found::Ambiguous {
                        start,
                        end,
                        text,
                        options: hits.iter().take(5).map(|g| g.name.clone()).collect(),
                    });
                    matched = true;
                    i = end;
                    break;
                }
            };
            let mut ids: Vec<String> = hits
                .iter()
                .filter(|g| g.kind == kind)
                .flat_map(|g| g.ids.iter().cloned())
                .collect();
            ids.sort();
            ids.dedup();
            if ids.len() > MAX_IDS {
                out.push(Found::TooBroad {
                    start,
                    end,
                    text,
                    count: ids.len(),
                });
            } else {
                let names: Vec<&str> = hits
                    .iter()
                    .filter(|g| g.kind == kind)
                    .map(|g| g.name.as_str())
                    .collect();
                let label = match names.as_slice() {
                    [one] => (*one).to_owned(),
                    _ => format!("names containing '{text}'"),
                };
                out.push(Found::Match {
                    start,
                    end,
                    kind,
                    ids,
                    label,
                    typed: Some(text),
                    hint: hint_at(ctx, start, end, kind),
                });
            }
            matched = true;
            i = end;
            break;
        }
        if !matched {
            i += 1;
        }
    }
    out
}
