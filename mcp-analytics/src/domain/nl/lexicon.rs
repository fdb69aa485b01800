//! The parser's vocabulary beyond the semantic model: channel aliases,
//! country names, month names, numerals, ranking and filter words, and the
//! filler words a question may contain without changing its meaning.
//! Metric and dimension synonyms come from [`crate::domain::semantic`].

use std::collections::HashSet;
use std::sync::LazyLock;

use promptsales_shared::domain::{COUNTRY_NAMES, Channel};

use super::normalize::fold;
use super::patterns::Pattern;
use crate::domain::semantic::{DIMENSIONS, Dimension, METRICS, Metric};
use crate::domain::spec::FilterOp;

/// Every metric synonym (both languages) as a phrase pattern.
pub static METRIC_TABLE: LazyLock<Vec<(Pattern, Metric)>> = LazyLock::new(|| {
    METRICS
        .iter()
        .flat_map(|m| {
            m.synonyms_en
                .iter()
                .chain(m.synonyms_es)
                .map(move |s| (Pattern::phrase(s), m.name))
        })
        .filter(|(p, _)| !p.is_empty())
        .collect()
});

/// Every dimension synonym with whether it is a plural form.
pub static DIM_TABLE: LazyLock<Vec<(Pattern, (Dimension, bool))>> = LazyLock::new(|| {
    let mut out = Vec::new();
    for d in DIMENSIONS {
        let all: Vec<String> = d
            .synonyms_en
            .iter()
            .chain(d.synonyms_es)
            .map(|s| fold(s))
            .collect();
        for s in &all {
            let singular_of = |stem: &str| all.iter().any(|o| o == stem);
            let plural = (s.ends_with('s') && singular_of(&s[..s.len() - 1]))
                || (s.ends_with("es") && singular_of(&s[..s.len() - 2]))
                || (s.ends_with("ies") && singular_of(&format!("{}y", &s[..s.len() - 3])));
            let p = Pattern::phrase(s);
            if !p.is_empty() {
                out.push((p, (d.name, plural)));
            }
        }
    }
    out
});

/// Time-grain adjectives that group by themselves ("monthly revenue").
pub const GRAIN_ADJECTIVES: &[(&str, Dimension)] = &[
    ("daily", Dimension::Day),
    ("diario", Dimension::Day),
    ("diaria", Dimension::Day),
    ("diarios", Dimension::Day),
    ("diarias", Dimension::Day),
    ("dia a dia", Dimension::Day),
    ("day by day", Dimension::Day),
    ("weekly", Dimension::Week),
    ("semanal", Dimension::Week),
    ("semanales", Dimension::Week),
    ("semana a semana", Dimension::Week),
    ("week by week", Dimension::Week),
    ("monthly", Dimension::Month),
    ("mensual", Dimension::Month),
    ("mensuales", Dimension::Month),
    ("mes a mes", Dimension::Month),
    ("month by month", Dimension::Month),
    ("quarterly", Dimension::Quarter),
    ("trimestral", Dimension::Quarter),
    ("trimestrales", Dimension::Quarter),
    ("yearly", Dimension::Year),
    ("annual", Dimension::Year),
    ("annually", Dimension::Year),
    ("anual", Dimension::Year),
    ("anuales", Dimension::Year),
];

pub static GRAIN_TABLE: LazyLock<Vec<(Pattern, Dimension)>> = LazyLock::new(|| {
    GRAIN_ADJECTIVES
        .iter()
        .map(|(s, d)| (Pattern::phrase(s), *d))
        .collect()
});

/// Channel aliases → canonical channel.
pub const CHANNEL_ALIASES: &[(&str, Channel)] = &[
    ("google_ads", Channel::GoogleAds),
    ("google ads", Channel::GoogleAds),
    ("google adwords", Channel::GoogleAds),
    ("adwords", Channel::GoogleAds),
    ("google", Channel::GoogleAds),
    ("search", Channel::GoogleAds),
    ("paid search", Channel::GoogleAds),
    ("busqueda pagada", Channel::GoogleAds),
    ("meta", Channel::Meta),
    ("meta ads", Channel::Meta),
    ("facebook", Channel::Meta),
    ("facebook ads", Channel::Meta),
    ("fb", Channel::Meta),
    ("instagram", Channel::Instagram),
    ("instagram ads", Channel::Instagram),
    ("ig", Channel::Instagram),
    ("insta", Channel::Instagram),
    ("tiktok", Channel::Tiktok),
    ("tik tok", Channel::Tiktok),
    ("tiktok ads", Channel::Tiktok),
    ("linkedin", Channel::Linkedin),
    ("linked in", Channel::Linkedin),
    ("linkedin ads", Channel::Linkedin),
    ("email", Channel::Email),
    ("emails", Channel::Email),
    ("e-mail", Channel::Email),
    ("e-mails", Channel::Email),
    ("email marketing", Channel::Email),
    ("correo", Channel::Email),
    ("correos", Channel::Email),
    ("correo electronico", Channel::Email),
    ("correos electronicos", Channel::Email),
    ("mailing", Channel::Email),
    ("newsletter", Channel::Email),
    ("newsletters", Channel::Email),
    ("sms", Channel::Sms),
    ("mensajes de texto", Channel::Sms),
    ("mensajes sms", Channel::Sms),
    ("text messages", Channel::Sms),
    ("text message", Channel::Sms),
    ("whatsapp", Channel::Whatsapp),
    ("whats app", Channel::Whatsapp),
    ("wa", Channel::Whatsapp),
    ("influencer", Channel::Influencer),
    ("influencers", Channel::Influencer),
    ("influencer marketing", Channel::Influencer),
    ("influenciador", Channel::Influencer),
    ("influenciadores", Channel::Influencer),
    ("influenciadoras", Channel::Influencer),
    ("web", Channel::Web),
    ("website", Channel::Web),
    ("sitio web", Channel::Web),
    ("pagina web", Channel::Web),
    ("organic", Channel::Organic),
    ("organic search", Channel::Organic),
    ("organico", Channel::Organic),
    ("organica", Channel::Organic),
    ("organicos", Channel::Organic),
    ("organicas", Channel::Organic),
    ("busqueda organica", Channel::Organic),
    ("trafico organico", Channel::Organic),
    ("seo", Channel::Organic),
];

pub static CHANNEL_TABLE: LazyLock<Vec<(Pattern, Channel)>> = LazyLock::new(|| {
    CHANNEL_ALIASES
        .iter()
        .map(|(s, c)| (Pattern::phrase(s), *c))
        .collect()
});

/// Channel names for sentences.
pub fn channel_display(c: Channel, es: bool) -> &'static str {
    match c {
        Channel::GoogleAds => "Google Ads",
        Channel::Meta => "Meta",
        Channel::Instagram => "Instagram",
        Channel::Tiktok => "TikTok",
        Channel::Linkedin => "LinkedIn",
        Channel::Email => "Email",
        Channel::Sms => "SMS",
        Channel::Whatsapp => "WhatsApp",
        Channel::Influencer => "Influencers",
        Channel::Web => "Web",
        Channel::Organic if es => "Orgánico",
        Channel::Organic => "Organic",
    }
}

/// Extra country spellings (lower-case ones; "US"/"USA"/"UK" and ISO codes
/// count only when typed in capitals, see [`uppercase_country`]).
const COUNTRY_EXTRAS: &[(&str, &str)] = &[
    ("eeuu", "US"),
    ("ee uu", "US"),
    ("estados unidos de america", "US"),
    ("united states of america", "US"),
    ("the states", "US"),
    ("u s a", "US"),
    ("u s", "US"),
    ("gran bretana", "GB"),
    ("great britain", "GB"),
    ("inglaterra", "GB"),
    ("england", "GB"),
    ("brasil", "BR"),
    ("brazil", "BR"),
    ("republica dominicana", "DO"),
    ("dominicana", "DO"),
];

/// Country names (English and Spanish, folded) → ISO code.
pub static COUNTRY_TABLE: LazyLock<Vec<(Pattern, &'static str)>> = LazyLock::new(|| {
    let mut out = Vec::new();
    for (code, en, es) in COUNTRY_NAMES {
        out.push((Pattern::phrase(en), *code));
        out.push((Pattern::phrase(es), *code));
    }
    for (name, code) in COUNTRY_EXTRAS {
        out.push((Pattern::phrase(name), *code));
    }
    out
});

/// An ISO code or "USA"/"UK" typed in capitals.
pub fn uppercase_country(orig: &str) -> Option<&'static str> {
    match orig {
        "USA" | "US" | "EEUU" => Some("US"),
        "UK" => Some("GB"),
        // "IT" is too often the department.
        "IT" => None,
        _ if orig.len() == 2 && orig.chars().all(|c| c.is_ascii_uppercase()) => COUNTRY_NAMES
            .iter()
            .find(|(c, _, _)| *c == orig)
            .map(|(c, _, _)| *c),
        _ => None,
    }
}

/// Country name in the language asked, from the code.
pub fn country_display(code: &str, es: bool) -> String {
    COUNTRY_NAMES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, en, e)| if es { *e } else { *en })
        .unwrap_or(code)
        .to_owned()
}

/// Month names and abbreviations → month number. "may" and "mar" are
/// handled with care by the pattern slot.
pub const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("enero", 1),
    ("ene", 1),
    ("february", 2),
    ("feb", 2),
    ("febrero", 2),
    ("march", 3),
    ("marzo", 3),
    ("april", 4),
    ("apr", 4),
    ("abril", 4),
    ("abr", 4),
    ("may", 5),
    ("mayo", 5),
    ("june", 6),
    ("jun", 6),
    ("junio", 6),
    ("july", 7),
    ("jul", 7),
    ("julio", 7),
    ("august", 8),
    ("aug", 8),
    ("agosto", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("septiembre", 9),
    ("setiembre", 9),
    ("october", 10),
    ("oct", 10),
    ("octubre", 10),
    ("november", 11),
    ("nov", 11),
    ("noviembre", 11),
    ("december", 12),
    ("dec", 12),
    ("diciembre", 12),
    ("dic", 12),
];

pub const MONTH_NAMES_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

pub const MONTH_NAMES_ES: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

/// Number words accepted wherever a count is expected.
pub const NUMERALS: &[(&str, u64)] = &[
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("fifteen", 15),
    ("twenty", 20),
    ("thirty", 30),
    ("sixty", 60),
    ("ninety", 90),
    ("hundred", 100),
    ("uno", 1),
    ("dos", 2),
    ("tres", 3),
    ("cuatro", 4),
    ("cinco", 5),
    ("seis", 6),
    ("siete", 7),
    ("ocho", 8),
    ("nueve", 9),
    ("diez", 10),
    ("once", 11),
    ("doce", 12),
    ("quince", 15),
    ("veinte", 20),
    ("treinta", 30),
    ("sesenta", 60),
    ("noventa", 90),
    ("cien", 100),
];

/// Ordinals of quarters.
pub const ORDINALS: &[(&str, u32)] = &[
    ("first", 1),
    ("1st", 1),
    ("primer", 1),
    ("primero", 1),
    ("1er", 1),
    ("1ro", 1),
    ("1o", 1),
    ("second", 2),
    ("2nd", 2),
    ("segundo", 2),
    ("2do", 2),
    ("2o", 2),
    ("third", 3),
    ("3rd", 3),
    ("tercer", 3),
    ("tercero", 3),
    ("3er", 3),
    ("3ro", 3),
    ("3o", 3),
    ("fourth", 4),
    ("4th", 4),
    ("cuarto", 4),
    ("4to", 4),
    ("4o", 4),
];

/// How a ranking word orders: literal words follow the number (highest,
/// lowest, top, bottom); evaluative ones follow what is good for the
/// metric (the best CPA is the lowest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cue {
    High,
    Low,
    Best,
    Worst,
}

/// What a ranking phrase says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankTag {
    /// A cue with a count ("top 5", "los 3 peores").
    CueN(Cue),
    /// A count before a dimension ("las 5 campañas"): the cue is elsewhere.
    NDim,
    /// A cue alone ("the best", "más").
    Cue(Cue),
}

pub static RANK_TABLE: LazyLock<Vec<(Pattern, RankTag)>> = LazyLock::new(|| {
    use Cue::{Best, High, Low, Worst};
    use RankTag::{CueN, NDim};
    let rows: &[(&str, RankTag)] = &[
        ("top <n>", CueN(High)),
        ("bottom <n>", CueN(Low)),
        ("best <n>", CueN(Best)),
        ("<n> best", CueN(Best)),
        ("mejores <n>", CueN(Best)),
        ("<n> mejores", CueN(Best)),
        ("worst <n>", CueN(Worst)),
        ("<n> worst", CueN(Worst)),
        ("peores <n>", CueN(Worst)),
        ("<n> peores", CueN(Worst)),
        ("highest <n>", CueN(High)),
        ("<n> highest", CueN(High)),
        ("<n> mayores", CueN(High)),
        ("lowest <n>", CueN(Low)),
        ("<n> lowest", CueN(Low)),
        ("<n> menores", CueN(Low)),
        ("<n> <dim>", NDim),
        (
            "top|highest|most|greatest|largest|biggest|mayor|mayores|maximo|maxima|mas",
            RankTag::Cue(High),
        ),
        ("top performing", RankTag::Cue(Best)),
        ("highest performing|grossing", RankTag::Cue(High)),
        (
            "mas alto|alta|altos|altas|grande|grandes",
            RankTag::Cue(High),
        ),
        (
            "bottom|lowest|least|fewest|smallest|menor|menores|minimo|minima|menos",
            RankTag::Cue(Low),
        ),
        (
            "mas bajo|baja|bajos|bajas|pequeno|pequena",
            RankTag::Cue(Low),
        ),
        ("best|mejor|mejores", RankTag::Cue(Best)),
        ("best performing", RankTag::Cue(Best)),
        ("mejor desempeno|rendimiento", RankTag::Cue(Best)),
        ("worst|peor|peores", RankTag::Cue(Worst)),
        ("worst performing", RankTag::Cue(Worst)),
        ("peor desempeno|rendimiento", RankTag::Cue(Worst)),
    ];
    rows.iter().map(|(p, t)| (Pattern::new(p), *t)).collect()
});

/// Metric value filters: "ROAS above 2", "más de 100 ventas".
pub static METRIC_FILTER_TABLE: LazyLock<Vec<(Pattern, FilterOp)>> = LazyLock::new(|| {
    let ops: &[(&str, FilterOp)] = &[
        ("more|greater|higher|bigger|larger than", FilterOp::Gt),
        ("over|above|exceeding", FilterOp::Gt),
        ("mas de|que", FilterOp::Gt),
        (
            "mayor|mayores|superior|superiores a|al|que|de",
            FilterOp::Gt,
        ),
        ("por encima de", FilterOp::Gt),
        ("at least", FilterOp::Gte),
        ("al menos", FilterOp::Gte),
        ("como minimo", FilterOp::Gte),
        ("less|fewer|lower|smaller than", FilterOp::Lt),
        ("under|below", FilterOp::Lt),
        ("menos de|que", FilterOp::Lt),
        (
            "menor|menores|inferior|inferiores a|al|que|de",
            FilterOp::Lt,
        ),
        ("por debajo de", FilterOp::Lt),
        ("at most", FilterOp::Lte),
        ("como maximo", FilterOp::Lte),
        ("a lo sumo", FilterOp::Lte),
        ("no mas de", FilterOp::Lte),
    ];
    let mut out = Vec::new();
    for (op, f) in ops {
        out.push((Pattern::new(&format!("{op} <value> %|percent|pct?")), *f));
        out.push((Pattern::new(&format!("{op} <value> por ciento")), *f));
    }
    out
});

/// Campaign objectives and how questions name them.
pub const OBJECTIVE_WORDS: &[(&str, &str)] = &[
    ("awareness", "awareness"),
    ("brand awareness", "awareness"),
    ("branding", "awareness"),
    ("reconocimiento", "awareness"),
    ("reconocimiento de marca", "awareness"),
    ("traffic", "traffic"),
    ("trafico", "traffic"),
    ("lead", "leads"),
    ("leads", "leads"),
    ("lead gen", "leads"),
    ("lead generation", "leads"),
    ("generacion de leads", "leads"),
    ("captacion", "leads"),
    ("captacion de leads", "leads"),
    ("sales", "sales"),
    ("ventas", "sales"),
];

/// "<objective> campaigns", "campañas de <objective>", "objective <objective>".
pub static OBJECTIVE_TABLE: LazyLock<Vec<(Pattern, &'static str)>> = LazyLock::new(|| {
    let mut out = Vec::new();
    for (w, o) in OBJECTIVE_WORDS {
        let w = fold(w);
        // The campaign word itself stays free: it may still name the dimension.
        out.push((Pattern::new(&format!("{w} @campaign|campaigns")), *o));
        out.push((Pattern::new(&format!("@campana|campanas de {w}")), *o));
        out.push((
            Pattern::new(&format!("objective|objetivo|goal de? {w}")),
            *o,
        ));
    }
    out
});

/// Words that would change data: refused outright.
pub const DESTRUCTIVE: &[&str] = &[
    "delete",
    "remove",
    "drop",
    "truncate",
    "update",
    "insert",
    "modify",
    "erase",
    "wipe",
    "borrar",
    "borra",
    "borrame",
    "elimina",
    "eliminar",
    "eliminame",
    "modificar",
    "modifica",
    "actualizar",
    "actualiza",
    "insertar",
    "inserta",
    "crear",
    "crea",
    "create",
    "pause",
    "pausar",
    "pausa",
    "cancel",
    "cancelar",
];

/// Words that negate the filter that follows ("excluding Mexico").
pub const NEGATIONS: &[&str] = &[
    "excluding",
    "except",
    "not",
    "without",
    "sin",
    "excepto",
    "salvo",
    "excluyendo",
];

/// Words that may appear in a question without changing what it asks.
pub static FILLER: LazyLock<HashSet<String>> = LazyLock::new(|| {
    const EN: &str = "a an the of in on at for to from with and or but vs versus v is are was were be been being am \
        what whats which who how much many when where why did do does done doing have has had having we our ours us \
        me my i you your it its this that these those there their them they show shows showing tell give get got \
        getting list display find see view want need know please thanks thank total totals overall all each every \
        by per across during within so far till until through about generated generate generating made make makes \
        brought bring bringing performed perform performance results result number numbers value values amount data \
        report figure figures compare comparison can could would should will let lets just only also both as than \
        more any some same into out ever whole entire period time like look looks looking go went achieve achieved \
        obtained drive drove driven produced yielded delivered return returned happen happened breakdown split \
        grouped broken down ads ad marketing company business agency current currently our overall respectively \
        metric metrics kpi kpis numbers stats statistics summary then via close closed gave given \
        earned earn brings helped over one ones";
    const ES: &str = "el la los las lo le les un una unos unas de del al a ante en con por para que cual cuales \
        cuanto cuanta cuantos cuantas como donde cuando quien quienes y e o u pero es son era eran fue fueron sera \
        ser estar esta estan estuvo estuvieron ha han he hemos habia habian hubo hay tiene tienen tenia tuvo \
        tuvieron tuvimos tenemos tengo nos nuestro nuestra nuestros nuestras mi mis me te tu tus su sus se dame \
        dime muestrame muestra mostrar mostrame ensename ensenar ver quiero quisiera queremos necesito saber \
        conocer total totales todo toda todos todas este estos estas ese esa esos esas eso genero generaron \
        generamos generado generada generados generadas dio dieron dado trajo trajeron logro logramos lograron \
        obtuvo obtuvimos obtuvieron obtenido consiguio conseguimos cerramos cerraron cerrado cerradas cerrados \
        produjo rindio rindieron desempeno rendimiento resultado resultados dato datos valor valores monto informe \
        reporte favor ejemplo ciento hasta ahora momento periodo lista listado anuncios anuncio publicidad \
        marketing empresa agencia negocio desde entre durante sobre segun respecto comparado frente cada tal \
        cifra cifras numero actual actualmente metrica metricas resumen tambien solo solamente respectivamente \
        desglose desglosado desglosados desglosada agrupado agrupados dividido van vamos llevamos va mediante traves";
    EN.split_whitespace()
        .chain(ES.split_whitespace())
        .map(str::to_owned)
        .collect()
});

/// Every one-word entry of the tables and the filler words.
static VOCABULARY: LazyLock<HashSet<String>> = LazyLock::new(|| {
    let mut v: HashSet<String> = FILLER.clone();
    let tables = METRIC_TABLE
        .iter()
        .filter_map(|(p, _)| p.single_word())
        .chain(DIM_TABLE.iter().filter_map(|(p, _)| p.single_word()))
        .chain(CHANNEL_TABLE.iter().filter_map(|(p, _)| p.single_word()))
        .chain(COUNTRY_TABLE.iter().filter_map(|(p, _)| p.single_word()))
        .chain(MONTHS.iter().map(|(m, _)| *m));
    v.extend(tables.map(str::to_owned));
    v
});

/// Whether a folded word is a known word of any table (used to keep a
/// one-word campaign or client name from swallowing vocabulary).
pub fn is_vocabulary(word: &str) -> bool {
    VOCABULARY.contains(word)
}

/// Dimension words that hint at the kind of a following name.
pub fn name_hint(word: &str) -> Option<Dimension> {
    match word {
        "campaign" | "campaigns" | "campana" | "campanas" => Some(Dimension::Campaign),
        "client" | "clients" | "cliente" | "clientes" | "brand" | "marca" | "customer"
        | "account" => Some(Dimension::Client),
        "product" | "products" | "producto" | "productos" => Some(Dimension::Product),
        _ => None,
    }
}

/// Words of a name that do not count when matching it.
pub fn name_stopword(word: &str) -> bool {
    matches!(
        word,
        "de" | "del" | "la" | "el" | "los" | "las" | "y" | "the" | "of" | "and" | "a" | "en"
    )
}
