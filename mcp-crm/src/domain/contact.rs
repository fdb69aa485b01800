//! Email addresses normalised for dedupe (phones are `phone.rs`'s), and
//! the vocabulary of the consent and suppression ledger.

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

#[cfg(test)]
mod tests {
    use super::*;

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
