//! The canonical marketing channels (BRIEF §3).

crate::vocabulary! {
    /// A channel a campaign runs on, a lead comes from or a sale is credited to.
    pub enum Channel("channel") {
        GoogleAds => "google_ads",
        Meta => "meta",
        Instagram => "instagram",
        Tiktok => "tiktok",
        Linkedin => "linkedin",
        Email => "email",
        Sms => "sms",
        Whatsapp => "whatsapp",
        Influencer => "influencer",
        Web => "web",
        Organic => "organic",
    }
}

impl Channel {
    /// Channels that buy media: they have ad spend, impressions and clicks.
    pub fn is_paid(self) -> bool {
        !matches!(self, Channel::Organic | Channel::Web)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Vocabulary;

    #[test]
    fn parses_canonical_names_case_insensitively() {
        assert_eq!(Channel::parse(" Google_Ads ").unwrap(), Channel::GoogleAds);
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()).unwrap(), *c);
        }
    }

    #[test]
    fn unknown_channel_names_the_field_and_the_choices() {
        let err = Channel::parse("myspace").unwrap_err().to_string();
        assert!(err.contains("channel"), "{err}");
        assert!(err.contains("google_ads"), "{err}");
        assert!(err.contains("myspace"), "{err}");
    }
}
