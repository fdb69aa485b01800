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
    fn serde_reads_like_parse_and_the_schema_lists_the_values() {
        let c: Channel = serde_json::from_value(serde_json::json!(" Google_Ads ")).unwrap();
        assert_eq!(c, Channel::GoogleAds);
        let e = serde_json::from_value::<Channel>(serde_json::json!("myspace")).unwrap_err();
        assert!(e.to_string().contains("google_ads"), "{e}");
        let schema = schemars::schema_for!(Option<Channel>);
        let v = serde_json::to_value(&schema).unwrap();
        let values = v["enum"].as_array().unwrap();
        assert!(values.contains(&serde_json::json!("whatsapp")), "{v}");
        assert!(v.get("$ref").is_none(), "inline, not a reference: {v}");
    }

    #[test]
    fn unknown_channel_names_the_field_and_the_choices() {
        let err = Channel::parse("myspace").unwrap_err().to_string();
        assert!(err.contains("channel"), "{err}");
        assert!(err.contains("google_ads"), "{err}");
        assert!(err.contains("myspace"), "{err}");
    }
}
