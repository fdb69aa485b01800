//! Contact details (email, E.164 phone) normalised for dedupe, and the
//! vocabulary of the consent and suppression ledger.

use promptsales_shared::domain::Country;
use promptsales_shared::{AppError, vocabulary};

vocabulary! {
    /// A channel that reaches a person directly; `all` (suppression only)
    /// covers every channel, paid media included.
    pub enum ContactChannel("channel") {
        Email => "email",
        Sms => "sms",
        Whatsapp => "whatsapp",
        All => "all",
    }
}

vocabulary! {
    /// A channel a message is sent on and consent is given for: one that
    /// reaches a person directly (`all` is only for suppressions).
    pub enum DirectChannel("channel") {
        Email => "email",
        Sms => "sms",
        Whatsapp => "whatsapp",
    }
}

impl From<DirectChannel> for ContactChannel {
    fn from(c: DirectChannel) -> Self {
        match c {
            DirectChannel::Email => ContactChannel::Email,
            DirectChannel::Sms => ContactChannel::Sms,
            DirectChannel::Whatsapp => ContactChannel::Whatsapp,
        }
    }
}

vocabulary! {
    /// What a ledger entry records.
    pub enum ConsentKind("kind") {
        ConsentGranted => "consent_granted",
        ConsentWithdrawn => "consent_withdrawn",
        Suppressed => "suppressed",
        Unsuppressed => "unsuppressed",
    }
}

vocabulary! {
    /// The consent a contact gave for a channel, once asked.
    pub enum ConsentState("consent") {
        Granted => "granted",
        Withdrawn => "withdrawn",
    }
}

impl ContactChannel {
    /// Which contact detail the channel uses: email, or the phone for SMS and
    /// WhatsApp; `None` for `all`.
    pub fn uses_email(self) -> Option<bool> {
        match self {
            ContactChannel::Email => Some(true),
            ContactChannel::Sms | ContactChannel::Whatsapp => Some(false),
            ContactChannel::All => None,
        }
    }
}

/// Trimmed, lower-cased and checked email address.
pub fn normalise_email(raw: &str) -> Result<String, AppError> {
    let e = raw.trim().to_lowercase();
    let bad = || AppError::invalid("email", "an address like name@example.com", raw);
    if e.len() > 254 || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = e.split_once('@').ok_or_else(bad)?;
    let domain_ok = domain.contains('.')
        && !domain.contains('@')
        && domain
            .split('.')
            .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'))
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    if domain_ok && local_ok {
        Ok(e)
    } else {
        Err(bad())
    }
}

/// Country calling codes of the markets we serve (and their trunk prefix
/// for national numbers).
const CALLING_CODES: &[(&str, &str)] = &[
    ("AR", "54"),
    ("BO", "591"),
    ("BR", "55"),
    ("CA", "1"),
    ("CL", "56"),
    ("CO", "57"),
    ("CR", "506"),
    ("CU", "53"),
    ("DE", "49"),
    ("DO", "1"),
    ("EC", "593"),
    ("ES", "34"),
    ("FR", "33"),
    ("GB", "44"),
    ("GT", "502"),
    ("HN", "504"),
    ("IT", "39"),
    ("MX", "52"),
    ("NI", "505"),
    ("PA", "507"),
    ("PE", "51"),
    ("PR", "1"),
    ("PT", "351"),
    ("PY", "595"),
    ("SV", "503"),
    ("US", "1"),
    ("UY", "598"),
    ("VE", "58"),
];

/// The country an E.164 number most likely belongs to (longest calling
/// code first; `+1` is the United States).
pub fn country_of_phone(e164: &str) -> Option<Country> {
    let digits = e164.strip_prefix('+')?;
    let mut best: Option<(&str, &str)> = None;
    for (cc, code) in CALLING_CODES {
        if digits.starts_with(code) && best.is_none_or(|(_, b)| code.len() > b.len()) {
            best = Some((cc, code));
        }
    }
    let cc = match best {
        Some((_, "1")) => "US",
        Some((cc, _)) => cc,
        None => return None,
    };
    Country::parse(cc).ok()
}

/// A phone number in E.164 (`+573001234567`). International input (`+…`
/// or `00…`) is kept; a national number gets `country`'s calling code, its
/// trunk `0` dropped (Italy keeps it).
pub fn normalise_phone(raw: &str, country: Country) -> Result<String, AppError> {
    let bad = |why: &str| AppError::invalid("phone", why.to_owned(), raw);
    let t = raw.trim();
    if t.chars()
        .any(|c| !(c.is_ascii_digit() || " +-().".contains(c)))
    {
        return Err(bad("a phone number of digits, spaces, +, -, ( ) or ."));
    }
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    let plus = t.starts_with('+');
    if t.chars().skip(1).any(|c| c == '+') {
        return Err(bad("at most one leading +"));
    }
    let international = if plus {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_owned()
    } else {
        let code = CALLING_CODES
            .iter()
            .find(|(cc, _)| *cc == country.as_str())
            .map(|(_, code)| *code)
            .ok_or_else(|| {
                bad(&format!(
                    "an international number starting with + (no dialling code known for {country})"
                ))
            })?;
        let national = if country.as_str() == "IT" {
            digits.as_str()
        } else {
            digits.trim_start_matches('0')
        };
        if !(6..=12).contains(&national.len()) {
            return Err(bad("a national number of 6-12 digits"));
        }
        format!("{code}{national}")
    };
    if !(8..=15).contains(&international.len()) || international.starts_with('0') {
        return Err(bad("an E.164 number of 8-15 digits, e.g. +573001234567"));
    }
    Ok(format!("+{international}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn co() -> Country {
        Country::parse("CO").unwrap()
    }

    #[test]
    fn emails_are_trimmed_lowercased_and_checked() {
        assert_eq!(
            normalise_email("  Ana.Gomez+promo@Example.COM ").unwrap(),
            "ana.gomez+promo@example.com"
        );
        assert_eq!(normalise_email("josé@correo.es").unwrap(), "josé@correo.es");
        for bad in [
            "",
            "ana",
            "ana@",
            "@x.com",
            "ana@x",
            "a b@x.com",
            "ana@@x.com",
            "ana@x..com",
            ".ana@x.com",
        ] {
            let e = normalise_email(bad).unwrap_err().to_string();
            assert!(e.contains("`email`"), "{bad}: {e}");
        }
    }

    #[test]
    fn phones_become_e164() {
        assert_eq!(
            normalise_phone("300 123 4567", co()).unwrap(),
            "+573001234567"
        );
        assert_eq!(
            normalise_phone("+57 (300) 123-4567", co()).unwrap(),
            "+573001234567"
        );
        assert_eq!(
            normalise_phone("0057 300 123 4567", co()).unwrap(),
            "+573001234567"
        );
        let mx = Country::parse("MX").unwrap();
        assert_eq!(
            normalise_phone("55 1234 5678", mx).unwrap(),
            "+525512345678"
        );
        let gb = Country::parse("GB").unwrap();
        assert_eq!(
            normalise_phone("07700 900123", gb).unwrap(),
            "+447700900123"
        );
        let it = Country::parse("IT").unwrap();
        assert_eq!(
            normalise_phone("06 1234 5678", it).unwrap(),
            "+390612345678"
        );
    }

    #[test]
    fn bad_phones_name_the_field() {
        let jp = Country::parse("JP").unwrap();
        for (bad, c) in [
            ("call me", co()),
            ("12", co()),
            ("+57 300 abc", co()),
            ("3001234567", jp),
            ("+1+2345678901", co()),
            ("+0123456789", co()),
        ] {
            let e = normalise_phone(bad, c).unwrap_err().to_string();
            assert!(e.contains("`phone`"), "{bad}: {e}");
        }
        assert_eq!(
            normalise_phone("+81 3 1234 5678", jp).unwrap(),
            "+81312345678"
        );
    }

    #[test]
    fn phone_countries_come_from_the_calling_code() {
        assert_eq!(country_of_phone("+573001234567").unwrap().as_str(), "CO");
        assert_eq!(country_of_phone("+5491112345678").unwrap().as_str(), "AR");
        assert_eq!(country_of_phone("+59171234567").unwrap().as_str(), "BO");
        assert_eq!(country_of_phone("+12125550100").unwrap().as_str(), "US");
        assert!(country_of_phone("+81312345678").is_none());
    }

    #[test]
    fn ledger_vocabulary_parses() {
        assert_eq!(
            ContactChannel::parse("WhatsApp").unwrap(),
            ContactChannel::Whatsapp
        );
        assert!(ContactChannel::parse("fax").is_err());
        assert_eq!(ContactChannel::Email.uses_email(), Some(true));
        assert_eq!(ContactChannel::All.uses_email(), None);
        assert_eq!(
            ConsentKind::parse("suppressed").unwrap(),
            ConsentKind::Suppressed
        );
        assert_eq!(
            ConsentState::parse("Granted").unwrap(),
            ConsentState::Granted
        );
    }
}
