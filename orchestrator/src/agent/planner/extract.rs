//! Facts read from an instruction: ids, email, phone, channels, countries and cities, dates, budget, quoted names, variants, a person's name.

use super::lang::{fold, phrase_at, words};

pub fn id_with(f: &str, prefix: &str) -> Option<String> {
    words(f)
        .into_iter()
        .find(|w| w.starts_with(prefix) && w.len() > prefix.len())
        .map(|w| w.trim_end_matches(['.', ',']).to_owned())
}

pub fn email(text: &str) -> Option<String> {
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

pub fn phone(text: &str) -> Option<String> {
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
    ("insta", "instagram"),
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
    ("website", "web"),
    ("sitio web", "web"),
    ("pagina web", "web"),
    ("influencer", "influencer"),
    ("organic", "organic"),
    ("organico", "organic"),
];

/// Every channel named, in the order they appear, with where.
fn channels_at(f: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for (word, canonical) in CHANNELS {
        for at in phrase_at(f, word) {
            if !out.iter().any(|(_, c)| c == canonical) {
                out.push((at, (*canonical).to_owned()));
            }
        }
    }
    out.sort();
    out
}

pub fn channels(f: &str) -> Vec<String> {
    channels_at(f).into_iter().map(|(_, c)| c).collect()
}

/// Words that introduce where a lead came from.
const SOURCE_MARKERS: &[&str] = &[
    "vino por",
    "vino de",
    "llego por",
    "llego de",
    "llego desde",
    "entro por",
    "viene de",
    "viene por",
    "came from",
    "came through",
    "came via",
    "came in through",
    "via",
    "from",
    "source",
    "fuente",
    "canal",
    "channel",
    "por",
    "desde",
    "through",
];

/// The channel a lead came from: the one introduced by "vino por", "came
/// from"…; else the only channel named that is not just a contact label
/// (the word "email" before an address).
pub fn source_channel(text: &str, f: &str) -> Option<String> {
    let found = channels_at(f);
    let introduced = found.iter().find(|(at, _)| {
        let before = f[..*at].trim_end();
        SOURCE_MARKERS.iter().any(|m| {
            before
                .strip_suffix(m)
                .is_some_and(|b| b.is_empty() || b.ends_with(|c: char| !c.is_alphanumeric()))
                || before
                    .strip_suffix(" el")
                    .or_else(|| before.strip_suffix(" la"))
                    .or_else(|| before.strip_suffix(" the"))
                    .or_else(|| before.strip_suffix(" su"))
                    .is_some_and(|b| b.trim_end().ends_with(m))
        })
    });
    if let Some((_, c)) = introduced {
        return Some(c.clone());
    }
    let labels_only = email(text).is_some();
    let rest: Vec<&String> = found
        .iter()
        .filter(|(_, c)| !(labels_only && c == "email"))
        .map(|(_, c)| c)
        .collect();
    match rest.as_slice() {
        [one] => Some((*one).clone()),
        _ => None,
    }
}

const COUNTRIES: &[(&str, &str)] = &[
    ("colombia", "CO"),
    ("mexico", "MX"),
    ("estados unidos", "US"),
    ("united states", "US"),
    ("usa", "US"),
    ("eeuu", "US"),
    ("ee.uu", "US"),
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
    ("guatemala", "GT"),
    ("uruguay", "UY"),
    ("paraguay", "PY"),
    ("bolivia", "BO"),
    ("venezuela", "VE"),
    ("republica dominicana", "DO"),
    ("dominican republic", "DO"),
    ("puerto rico", "PR"),
    ("el salvador", "SV"),
    ("honduras", "HN"),
    ("nicaragua", "NI"),
    ("canada", "CA"),
];

/// Countries named, as ISO codes, in the order of the table.
pub fn countries(f: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (name, code) in COUNTRIES {
        if !phrase_at(f, name).is_empty() && !out.iter().any(|c: &String| c == code) {
            out.push((*code).to_owned());
        }
    }
    out
}

/// (folded name, how it is written, the countries it may be in). A city in
/// two countries is resolved by the client's country or asked about.
const CITIES: &[(&str, &str, &[&str])] = &[
    ("bogota", "Bogotá", &["CO"]),
    ("medellin", "Medellín", &["CO"]),
    ("cali", "Cali", &["CO"]),
    ("barranquilla", "Barranquilla", &["CO"]),
    ("cartagena", "Cartagena", &["CO"]),
    ("bucaramanga", "Bucaramanga", &["CO"]),
    ("pereira", "Pereira", &["CO"]),
    ("ciudad de mexico", "Ciudad de México", &["MX"]),
    ("mexico city", "Ciudad de México", &["MX"]),
    ("cdmx", "Ciudad de México", &["MX"]),
    ("guadalajara", "Guadalajara", &["MX", "ES"]),
    ("monterrey", "Monterrey", &["MX"]),
    ("puebla", "Puebla", &["MX"]),
    ("cancun", "Cancún", &["MX"]),
    ("tijuana", "Tijuana", &["MX"]),
    ("merida", "Mérida", &["MX", "VE", "ES"]),
    ("lima", "Lima", &["PE"]),
    ("arequipa", "Arequipa", &["PE"]),
    ("cusco", "Cusco", &["PE"]),
    ("trujillo", "Trujillo", &["PE"]),
    ("santiago de chile", "Santiago", &["CL"]),
    ("santiago de compostela", "Santiago de Compostela", &["ES"]),
    (
        "santiago de los caballeros",
        "Santiago de los Caballeros",
        &["DO"],
    ),
    ("santiago", "Santiago", &["CL"]),
    ("valparaiso", "Valparaíso", &["CL"]),
    ("concepcion", "Concepción", &["CL"]),
    ("buenos aires", "Buenos Aires", &["AR"]),
    ("rosario", "Rosario", &["AR"]),
    ("mendoza", "Mendoza", &["AR"]),
    ("cordoba", "Córdoba", &["AR", "ES"]),
    ("quito", "Quito", &["EC"]),
    ("guayaquil", "Guayaquil", &["EC"]),
    ("madrid", "Madrid", &["ES"]),
    ("barcelona", "Barcelona", &["ES"]),
    ("sevilla", "Sevilla", &["ES"]),
    ("seville", "Sevilla", &["ES"]),
    ("valencia", "Valencia", &["ES", "VE"]),
    ("bilbao", "Bilbao", &["ES"]),
    ("caracas", "Caracas", &["VE"]),
    ("montevideo", "Montevideo", &["UY"]),
    ("asuncion", "Asunción", &["PY"]),
    ("la paz", "La Paz", &["BO"]),
    (
        "santa cruz de la sierra",
        "Santa Cruz de la Sierra",
        &["BO"],
    ),
    ("santo domingo", "Santo Domingo", &["DO"]),
    ("san juan", "San Juan", &["PR", "AR"]),
    ("san jose", "San José", &["CR", "US"]),
    ("ciudad de panama", "Ciudad de Panamá", &["PA"]),
    ("panama city", "Ciudad de Panamá", &["PA"]),
    ("ciudad de guatemala", "Ciudad de Guatemala", &["GT"]),
    ("guatemala city", "Ciudad de Guatemala", &["GT"]),
    ("san salvador", "San Salvador", &["SV"]),
    ("tegucigalpa", "Tegucigalpa", &["HN"]),
    ("managua", "Managua", &["NI"]),
    ("miami", "Miami", &["US"]),
    ("new york", "New York", &["US"]),
    ("nueva york", "New York", &["US"]),
    ("los angeles", "Los Angeles", &["US"]),
    ("houston", "Houston", &["US"]),
    ("chicago", "Chicago", &["US"]),
    ("sao paulo", "São Paulo", &["BR"]),
    ("rio de janeiro", "Rio de Janeiro", &["BR"]),
    ("toronto", "Toronto", &["CA"]),
];

/// A city named in the text: how it is written and its possible countries
/// (the longest name wins: "Santiago de Compostela" over "Santiago").
pub fn city(f: &str) -> Option<(&'static str, &'static [&'static str])> {
    CITIES
        .iter()
        .filter(|(name, _, _)| !phrase_at(f, name).is_empty())
        .max_by_key(|(name, _, _)| name.len())
        .map(|(_, written, countries)| (*written, *countries))
}

/// The country of an international number (`+57…`, `0057…`), by its
/// calling code through libphonenumber; None for a national number.
pub fn phone_country(phone: &str) -> Option<String> {
    let intl = if let Some(rest) = phone.strip_prefix("00") {
        format!("+{rest}")
    } else if phone.starts_with('+') {
        phone.to_owned()
    } else {
        return None;
    };
    phonenumber::parse(None, &intl)
        .ok()
        .and_then(|n| n.country().id())
        .map(|id| id.as_ref().to_owned())
}

pub fn dates(f: &str) -> Vec<String> {
    words(f)
        .into_iter()
        .filter(|w| chrono::NaiveDate::parse_from_str(w, "%Y-%m-%d").is_ok())
        .collect()
}

/// A budget in hundredths and its currency: "$5,000", "5000 USD",
/// "2.000.000 COP", "5k", "3 millones de pesos colombianos".
pub fn budget(text: &str, f: &str) -> Option<(i64, String)> {
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

pub fn quoted(text: &str) -> Option<String> {
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
pub fn product(text: &str) -> Option<String> {
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

pub fn variants(f: &str) -> Option<u32> {
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

/// The person's name: after "named"/"llamado"/"nombre"/"name", or the
/// text after "lead:" up to the first comma.
pub fn person_name(text: &str) -> Option<String> {
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
