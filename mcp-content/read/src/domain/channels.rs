//! The one table of channel limits: every generator, validator and test reads it.
//!
//! Counting rules (documented per unit, published as `content://channels`):
//! - `graphemes`: user-perceived characters (an emoji with skin tone or a
//!   ZWJ family, a letter with combining accents, a flag: one each) — how
//!   Meta, Instagram, TikTok, LinkedIn, WhatsApp, inboxes and web fields show
//!   lengths.
//! - `google_width`: Google Ads characters: graphemes, where East Asian wide
//!   characters and emoji count 2.
//! - `x_weighted`: X (Twitter) weighted length: Latin-range code points
//!   count 1, everything else 2, an emoji sequence 2, a URL 23.
//! - `sms`: GSM-7 septets (the extension table `^{}\[~]|€` counts 2) with a
//!   160 limit; a text with any character outside GSM-7 is sent as UCS-2
//!   and counted in UTF-16 units with a 70 limit. One segment, no split.

use promptsales_shared::domain::Channel;
use promptsales_shared::vocabulary;
use serde::{Deserialize, Serialize};

use super::AssetFormat;

vocabulary! {
    /// Where a generated piece of copy runs: a channel and its native format.
    pub enum Placement("channel") {
        GoogleAds => "google_ads",
        Meta => "meta",
        Instagram => "instagram",
        Tiktok => "tiktok",
        Linkedin => "linkedin",
        X => "x",
        Email => "email",
        Sms => "sms",
        Whatsapp => "whatsapp",
        Web => "web",
    }
}

vocabulary! {
    /// How a field's length is counted.
    pub enum Unit("unit") {
        Graphemes => "graphemes",
        GoogleWidth => "google_width",
        XWeighted => "x_weighted",
        Sms => "sms",
    }
}

/// One field of a channel's format and its limits.
#[derive(Debug, Clone, Copy, Serialize, schemars::JsonSchema)]
pub struct FieldSpec {
    pub name: &'static str,
    /// Longest value, in `unit`s (for `sms`: the GSM-7 limit; UCS-2 is 70).
    pub max: usize,
    pub unit: Unit,
    /// How many values the format takes (e.g. 3-15 Google headlines).
    pub min_count: usize,
    pub max_count: usize,
    /// Whether emoji are accepted (Google Ads rejects them).
    pub emoji: bool,
    /// Whether `!` is accepted (Google Ads headlines reject it).
    pub exclamation: bool,
    /// What the field is for.
    pub purpose: &'static str,
}

/// A channel's format: its fields and where the limits come from.
#[derive(Debug, Clone, Copy, Serialize, schemars::JsonSchema)]
pub struct ChannelSpec {
    pub channel: Placement,
    /// The library channel assets of this placement are filed under.
    pub library_channel: Channel,
    pub format: AssetFormat,
    pub fields: &'static [FieldSpec],
    /// Counting rule and source of the limits.
    pub notes: &'static str,
}

const fn field(name: &'static str, max: usize, unit: Unit, purpose: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        max,
        unit,
        min_count: 1,
        max_count: 1,
        emoji: true,
        exclamation: true,
        purpose,
    }
}

const GOOGLE_ADS: &[FieldSpec] = &[
    FieldSpec {
        min_count: 3,
        max_count: 15,
        emoji: false,
        exclamation: false,
        ..field(
            "headline",
            30,
            Unit::GoogleWidth,
            "Responsive search ad headline; Google combines up to three",
        )
    },
    FieldSpec {
        min_count: 2,
        max_count: 4,
        emoji: false,
        ..field(
            "description",
            90,
            Unit::GoogleWidth,
            "Responsive search ad description",
        )
    },
    FieldSpec {
        min_count: 0,
        max_count: 2,
        emoji: false,
        exclamation: false,
        ..field("path", 15, Unit::GoogleWidth, "Display URL path segment")
    },
];

const META: &[FieldSpec] = &[
    field(
        "primary_text",
        125,
        Unit::Graphemes,
        "Text above the creative; Meta truncates after 125",
    ),
    field(
        "headline",
        40,
        Unit::Graphemes,
        "Bold line under the creative",
    ),
    field(
        "description",
        30,
        Unit::Graphemes,
        "Small line under the headline",
    ),
];

const TIKTOK: &[FieldSpec] = &[field(
    "caption",
    100,
    Unit::Graphemes,
    "Ad text shown over the video, hashtags included",
)];

const LINKEDIN: &[FieldSpec] = &[
    field(
        "hook",
        150,
        Unit::Graphemes,
        "First line, visible before \"see more\"",
    ),
    field(
        "post",
        3000,
        Unit::Graphemes,
        "The whole post, hook included",
    ),
];

const X: &[FieldSpec] = &[field("post", 280, Unit::XWeighted, "The post")];

const EMAIL: &[FieldSpec] = &[
    field("subject", 60, Unit::Graphemes, "Subject line"),
    field(
        "preheader",
        100,
        Unit::Graphemes,
        "Preview text shown after the subject",
    ),
    field("body", 2000, Unit::Graphemes, "Body in Markdown"),
];

const SMS: &[FieldSpec] = &[FieldSpec {
    emoji: false,
    ..field(
        "text",
        160,
        Unit::Sms,
        "One segment, opt-out included: 160 GSM-7 or 70 UCS-2",
    )
}];

const WHATSAPP: &[FieldSpec] = &[
    FieldSpec {
        emoji: false,
        ..field(
            "header",
            60,
            Unit::Graphemes,
            "Template header (text, no emoji)",
        )
    },
    field(
        "body",
        1024,
        Unit::Graphemes,
        "Template body; {{1}} is the recipient's first name",
    ),
    field("footer", 60, Unit::Graphemes, "Template footer"),
    FieldSpec {
        emoji: false,
        ..field("button", 25, Unit::Graphemes, "Quick-reply or URL button")
    },
];

const WEB: &[FieldSpec] = &[
    FieldSpec {
        emoji: false,
        ..field("headline", 70, Unit::Graphemes, "Section H1/H2")
    },
    field("subheadline", 160, Unit::Graphemes, "Supporting line"),
    field("body", 600, Unit::Graphemes, "Section copy in Markdown"),
    FieldSpec {
        emoji: false,
        ..field("cta", 25, Unit::Graphemes, "Button label")
    },
];

/// Every channel's format, in `Placement` order.
pub const CHANNELS: &[ChannelSpec] = &[
    ChannelSpec {
        channel: Placement::GoogleAds,
        library_channel: Channel::GoogleAds,
        format: AssetFormat::AdCopy,
        fields: GOOGLE_ADS,
        notes: "Google Ads responsive search ad: 3-15 headlines of 30, 2-4 descriptions of 90, \
                paths of 15; wide characters count 2; no emoji, no '!' in headlines.",
    },
    ChannelSpec {
        channel: Placement::Meta,
        library_channel: Channel::Meta,
        format: AssetFormat::AdCopy,
        fields: META,
        notes: "Facebook feed ad: recommended visible lengths (Meta truncates beyond them).",
    },
    ChannelSpec {
        channel: Placement::Instagram,
        library_channel: Channel::Instagram,
        format: AssetFormat::AdCopy,
        fields: META,
        notes: "Instagram feed ad (Meta Ads Manager): same fields as Meta; hashtags count \
                towards the primary text.",
    },
    ChannelSpec {
        channel: Placement::Tiktok,
        library_channel: Channel::Tiktok,
        format: AssetFormat::SocialPost,
        fields: TIKTOK,
        notes: "TikTok in-feed ad text: up to 100 characters, hashtags included.",
    },
    ChannelSpec {
        channel: Placement::Linkedin,
        library_channel: Channel::Linkedin,
        format: AssetFormat::SocialPost,
        fields: LINKEDIN,
        notes: "LinkedIn post: 3,000 characters; the first ~150 show before \"see more\".",
    },
    ChannelSpec {
        channel: Placement::X,
        library_channel: Channel::Organic,
        format: AssetFormat::SocialPost,
        fields: X,
        notes: "X post: 280 weighted characters (twitter-text v3 weights; URLs count 23). \
                Filed in the library under the organic channel.",
    },
    ChannelSpec {
        channel: Placement::Email,
        library_channel: Channel::Email,
        format: AssetFormat::Email,
        fields: EMAIL,
        notes: "Email: subject 60 (inboxes cut longer ones), preheader 100, Markdown body; \
                the HTML body is rendered from the Markdown.",
    },
    ChannelSpec {
        channel: Placement::Sms,
        library_channel: Channel::Sms,
        format: AssetFormat::Sms,
        fields: SMS,
        notes: "SMS: one segment. GSM-7: 160 septets, ^{}\\[~]|€ count 2. Any other character \
                (á, í, ó, ú, emoji…) forces UCS-2: 70 UTF-16 units. The offline engine \
                transliterates á, í, ó, ú when that keeps the whole message in one GSM-7 segment; \
                the opt-out is always included.",
    },
    ChannelSpec {
        channel: Placement::Whatsapp,
        library_channel: Channel::Whatsapp,
        format: AssetFormat::WhatsappTemplate,
        fields: WHATSAPP,
        notes: "WhatsApp Business marketing template: header 60, body 1,024, footer 60, \
                button 25.",
    },
    ChannelSpec {
        channel: Placement::Web,
        library_channel: Channel::Web,
        format: AssetFormat::LandingSection,
        fields: WEB,
        notes: "Landing page section: headline 70, subheadline 160, body 600, button 25.",
    },
];

impl Placement {
    /// This placement's row of the table.
    pub fn spec(self) -> &'static ChannelSpec {
        // CHANNELS is in Placement order; the fallback keeps this total.
        CHANNELS
            .iter()
            .find(|c| c.channel == self)
            .unwrap_or(&CHANNELS[0])
    }

    /// The placement a library channel's copy is written for, if any.
    pub fn for_channel(channel: Channel) -> Option<Self> {
        CHANNELS
            .iter()
            .find(|c| c.library_channel == channel)
            .map(|c| c.channel)
    }
}

impl ChannelSpec {
    pub fn field(&self, name: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }
}

// ---------------------------------------------------------------- counting

/// GSM 03.38 basic character set.
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// GSM 03.38 extension table: each costs an escape plus the character.
const GSM_EXTENSION: &str = "^{}\\[~]|€\u{000C}";

/// How an SMS is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SmsEncoding {
    Gsm7,
    Ucs2,
}

/// GSM-7 septets of `text`, or `None` when it needs UCS-2.
pub fn gsm7_septets(text: &str) -> Option<usize> {
    text.chars().try_fold(0usize, |n, c| {
        if GSM_BASIC.contains(c) {
            Some(n + 1)
        } else if GSM_EXTENSION.contains(c) {
            Some(n + 2)
        } else {
            None
        }
    })
}

/// Length, limit and encoding of an SMS text (one segment).
pub fn sms_length(text: &str) -> (usize, usize, SmsEncoding) {
    match gsm7_septets(text) {
        Some(n) => (n, 160, SmsEncoding::Gsm7),
        None => (text.encode_utf16().count(), 70, SmsEncoding::Ucs2),
    }
}

fn is_combining(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF
        | 0xFE20..=0xFE2F | 0xFE00..=0xFE0F | 0xE0100..=0xE01EF
        | 0x1F3FB..=0x1F3FF | 0xE0020..=0xE007F)
}

fn is_regional_indicator(c: char) -> bool {
    matches!(c as u32, 0x1F1E6..=0x1F1FF)
}

/// Whether `c` is an emoji or pictograph.
pub fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF 
        | 0x2300..=0x23FF | 0x2190..=0x21FF | 0x3030 | 0x303D | 0x3297 | 0x3299)
}

fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

/// Splits `text` into user-perceived characters: a base character with the
/// combining marks, variation selectors, skin tones and ZWJ-joined parts that
/// follow it; two regional indicators make one flag. (An approximation of
/// UAX #29 that is exact for text, accents and common emoji.)
pub fn graphemes(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    let mut start = 0;
    let mut prev: Option<char> = None;
    let mut ri_run = 0usize;
    for (i, c) in text.char_indices() {
        let joins = i > 0
            && (is_combining(c)
                || c == '\u{200D}'
                || prev == Some('\u{200D}')
                || (is_regional_indicator(c) && ri_run % 2 == 1)
                || (prev == Some('\r') && c == '\n'));
        if !joins && i > 0 {
            out.push(&text[start..i]);
            start = i;
        }
        ri_run = if is_regional_indicator(c) {
            ri_run + 1
        } else {
            0
        };
        prev = Some(c);
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

fn x_weight_char(c: char) -> usize {
    match c as u32 {
        0..=4351 | 8192..=8205 | 8208..=8223 | 8242..=8247 => 1,
        _ => 2,
    }
}

/// X weighted length: URLs 23, emoji sequences 2, other characters 1 or 2.
pub fn x_weighted(text: &str) -> usize {
    let mut total = 0;
    for (k, word) in text.split(' ').enumerate() {
        if k > 0 {
            total += 1;
        }
        if word.starts_with("http://") || word.starts_with("https://") {
            total += 23;
            continue;
        }
        for g in graphemes(word) {
            total += if g.chars().any(is_emoji) {
                2
            } else {
                g.chars()
                    .filter(|c| !is_combining(*c))
                    .map(x_weight_char)
                    .sum::<usize>()
                    .max(1)
            };
        }
    }
    total
}

/// The length of `text` in `unit`, and the limit that applies to it
/// (`max` except for UCS-2 SMS, whose limit is 70).
pub fn measure(text: &str, unit: Unit, max: usize) -> (usize, usize) {
    match unit {
        Unit::Graphemes => (graphemes(text).len(), max),
        Unit::GoogleWidth => (
            graphemes(text)
                .iter()
                .map(|g| {
                    if g.chars().any(|c| is_wide(c) || is_emoji(c)) {
                        2
                    } else {
                        1
                    }
                })
                .sum(),
            max,
        ),
        Unit::XWeighted => (x_weighted(text), max),
        Unit::Sms => {
            let (n, limit, _) = sms_length(text);
            (n, limit.min(max))
        }
    }
}

/// Whether `text` fits the field.
pub fn fits(text: &str, f: &FieldSpec) -> bool {
    let (n, max) = measure(text, f.unit, f.max);
    n <= max
}

/// Drops emoji (and the selectors and joiners around them).
pub fn strip_emoji(text: &str) -> String {
    let out: String = graphemes(text)
        .into_iter()
        .filter(|g| !g.chars().any(is_emoji))
        .collect();
    collapse_spaces(&out)
}

/// Single spaces, trimmed; newlines kept.
pub fn collapse_spaces(text: &str) -> String {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

/// Cuts `text` to fit `f`: at the last word boundary that fits, without a
/// dangling connector or punctuation; mid-word only when one word is too
/// long. The result always fits.
pub fn trim_to_fit(text: &str, f: &FieldSpec) -> String {
    if fits(text, f) {
        return text.to_owned();
    }
    let g = graphemes(text);
    // The longest grapheme prefix that fits (lengths are monotonic).
    let (mut lo, mut hi) = (0usize, g.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fits(&g[..mid].concat(), f) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let prefix = g[..lo].concat();
    let cut = if g.get(lo).is_some_and(|n| n.trim().is_empty()) {
        prefix.as_str()
    } else {
        match prefix.rfind(char::is_whitespace) {
            Some(i) if i > 0 => &prefix[..i],
            _ => prefix.as_str(),
        }
    };
    let mut words: Vec<&str> = cut.split_whitespace().collect();
    const DANGLING: &[&str] = &[
        "and", "or", "with", "for", "to", "the", "a", "an", "of", "in", "y", "o", "con", "para",
        "a", "de", "del", "el", "la", "los", "las", "un", "una", "en", "—", "-", "–", "|", "·",
    ];
    while words.len() > 1
        && words
            .last()
            .is_some_and(|w| DANGLING.contains(&w.to_lowercase().as_str()))
    {
        words.pop();
    }
    let joined = words.join(" ");
    let cleaned = joined
        .trim_end_matches([',', ';', ':', '—', '–', '-', '(', '¡', '¿', ' '])
        .to_owned();
    // Cutting back to a word boundary may leave nothing (a lone "¡" before
    // one over-long word): the mid-word prefix is then better than empty.
    if fits(&cleaned, f) && !cleaned.is_empty() {
        cleaned
    } else {
        prefix
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use promptsales_shared::domain::Vocabulary;

    #[test]
    fn the_table_has_every_placement_once_in_order() {
        assert_eq!(CHANNELS.len(), Placement::ALL.len());
        for (spec, p) in CHANNELS.iter().zip(Placement::ALL) {
            assert_eq!(spec.channel, *p);
            assert_eq!(p.spec().channel, *p);
        }
        assert_eq!(
            Placement::GoogleAds.spec().field("headline").map(|f| f.max),
            Some(30)
        );
        assert_eq!(
            Placement::Email.spec().field("subject").map(|f| f.max),
            Some(60)
        );
        assert_eq!(Placement::X.spec().field("post").map(|f| f.max), Some(280));
    }

    #[test]
    fn gsm7_counts_the_extension_table_double() {
        assert_eq!(gsm7_septets("Hello"), Some(5));
        assert_eq!(gsm7_septets("Only 5€"), Some(8));
        assert_eq!(gsm7_septets("{x}"), Some(5));
        assert_eq!(gsm7_septets("¡Año nuevo! ¿Te apuntas?"), Some(24));
        assert_eq!(gsm7_septets("más"), None);
        assert_eq!(sms_length(&"a".repeat(160)), (160, 160, SmsEncoding::Gsm7));
        assert_eq!(sms_length("Oferta única"), (12, 70, SmsEncoding::Ucs2));
        // An emoji is two UTF-16 units.
        assert_eq!(sms_length("Hi 👋"), (5, 70, SmsEncoding::Ucs2));
    }

    #[test]
    fn graphemes_keep_emoji_sequences_and_accents_together() {
        assert_eq!(graphemes("año").len(), 3);
        assert_eq!(graphemes("an\u{0303}o").len(), 3);
        assert_eq!(graphemes("👩‍👩‍👧‍👦").len(), 1);
        assert_eq!(graphemes("👍🏽!").len(), 2);
        assert_eq!(graphemes("🇲🇽🇪🇸").len(), 2);
        assert_eq!(graphemes("❤️").len(), 1);
    }

    #[test]
    fn google_and_x_count_wide_characters_double() {
        assert_eq!(measure("日本", Unit::GoogleWidth, 30).0, 4);
        assert_eq!(measure("Café", Unit::GoogleWidth, 30).0, 4);
        assert_eq!(x_weighted("hola 🇲🇽"), 7);
        assert_eq!(x_weighted("see https://example.com/a/very/long/path"), 27);
        assert_eq!(x_weighted("日本"), 4);
    }

    #[test]
    fn trimming_cuts_at_words_and_always_fits() {
        let f = field("h", 30, Unit::GoogleWidth, "");
        let t = trim_to_fit("The quickest way to cook dinner for the whole family", &f);
        assert_eq!(t, "The quickest way to cook");
        let t = trim_to_fit(&"x".repeat(50), &f);
        assert_eq!(t.len(), 30);
        let sms = SMS[0];
        let t = trim_to_fit(&"Última oportunidad para comprar ".repeat(5), &sms);
        assert!(fits(&t, &sms), "{t}");
        assert!(!t.ends_with(' '));
        // A cut that would leave only punctuation keeps the word instead.
        let button = field("button", 25, Unit::Graphemes, "");
        let t = trim_to_fit(&format!("¡ {}", "a".repeat(24)), &button);
        assert_eq!(t, format!("¡ {}", "a".repeat(23)));
    }

    #[test]
    fn strip_emoji_removes_sequences() {
        assert_eq!(strip_emoji("Nuevo ☕️ café 👩‍👩‍👧 ya"), "Nuevo café ya");
    }
}
