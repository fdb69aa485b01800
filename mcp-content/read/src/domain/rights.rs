//! Usage rights of an asset: licence, owner, expiry and allowed channels.

use chrono::{DateTime, Utc};
use promptsales_shared::AppError;
use promptsales_shared::domain::{Channel, required_text};
use promptsales_shared::time::format_ts;
use serde::{Deserialize, Serialize};

/// Longest licence or owner text we accept.
const MAX_PARTY_CHARS: usize = 200;

/// The terms under which an asset may be used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UsageRights {
    /// Licence name or reference, e.g. `CC-BY-4.0` or a contract number.
    pub licence: String,
    /// Who holds the rights.
    pub owner: String,
    /// When the rights end; absent means they do not expire.
    pub expires_at: Option<DateTime<Utc>>,
    /// Channels the asset may be used on; empty means every channel.
    pub allowed_channels: Vec<Channel>,
}

impl UsageRights {
    /// Trims the texts, checks them, and sorts and dedupes the channels.
    pub fn normalized(self) -> Result<Self, AppError> {
        let mut allowed_channels = self.allowed_channels;
        allowed_channels.sort_unstable();
        allowed_channels.dedup();
        Ok(Self {
            licence: required_text("licence", &self.licence, MAX_PARTY_CHARS)?,
            owner: required_text("rights_owner", &self.owner, MAX_PARTY_CHARS)?,
            expires_at: self.expires_at,
            allowed_channels,
        })
    }

    /// Whether the asset may be used on `channel` at `now`; the reason when
    /// it may not. Rights end at `expires_at` (exclusive); an empty channel
    /// list allows every channel.
    pub fn usable_on(&self, channel: Channel, now: DateTime<Utc>) -> Result<(), String> {
        if let Some(expires) = self.expires_at
            && now >= expires
        {
            return Err(format!(
                "usage rights ({} from {}) expired at {}",
                self.licence,
                self.owner,
                format_ts(expires)
            ));
        }
        if !self.allowed_channels.is_empty() && !self.allowed_channels.contains(&channel) {
            return Err(format!(
                "usage rights ({}) allow only {}, not {channel}",
                self.licence,
                self.allowed_channels
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use promptsales_shared::time::parse_ts;

    fn ts(s: &str) -> DateTime<Utc> {
        parse_ts("at", s).unwrap()
    }

    fn rights() -> UsageRights {
        UsageRights {
            licence: "stock-123".into(),
            owner: "Acme Photo".into(),
            expires_at: Some(ts("2026-06-30T00:00:00Z")),
            allowed_channels: vec![Channel::Meta, Channel::Instagram],
        }
    }

    #[test]
    fn usable_before_expiry_on_an_allowed_channel() {
        assert_eq!(
            rights().usable_on(Channel::Meta, ts("2026-06-29T23:59:59Z")),
            Ok(())
        );
    }

    #[test]
    fn expired_rights_give_the_date() {
        let why = rights()
            .usable_on(Channel::Meta, ts("2026-06-30T00:00:00Z"))
            .unwrap_err();
        assert!(why.contains("expired"), "{why}");
        assert!(why.contains("2026-06-30T00:00:00.000000Z"), "{why}");
    }

    #[test]
    fn other_channels_name_the_allowed_ones() {
        let why = rights()
            .usable_on(Channel::Tiktok, ts("2026-01-01T00:00:00Z"))
            .unwrap_err();
        assert!(why.contains("meta"), "{why}");
        assert!(why.contains("instagram"), "{why}");
        assert!(why.contains("tiktok"), "{why}");
    }

    #[test]
    fn empty_channel_list_and_no_expiry_allow_everything() {
        let r = UsageRights {
            expires_at: None,
            allowed_channels: vec![],
            ..rights()
        };
        assert!(
            r.usable_on(Channel::Sms, ts("2099-01-01T00:00:00Z"))
                .is_ok()
        );
    }

    #[test]
    fn normalizing_trims_checks_and_dedupes() {
        let r = UsageRights {
            licence: "  CC-BY-4.0 ".into(),
            allowed_channels: vec![Channel::Meta, Channel::Email, Channel::Meta],
            ..rights()
        }
        .normalized()
        .unwrap();
        assert_eq!(r.licence, "CC-BY-4.0");
        assert_eq!(r.allowed_channels, vec![Channel::Meta, Channel::Email]);

        let e = UsageRights {
            owner: "  ".into(),
            ..rights()
        }
        .normalized()
        .unwrap_err()
        .to_string();
        assert!(e.contains("rights_owner"), "{e}");
    }
}
