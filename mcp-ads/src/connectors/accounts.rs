//! A client's own platform accounts: the ids that name them (not secret),
//! the credentials that open them (secret, sealed at rest, never shown),
//! what each platform requires, and the live connector built from them.
//! Where the platforms' APIs are (base URLs, versions, the OAuth token
//! endpoint) is the deployment's, from the environment, for every client.

use serde::{Deserialize, Serialize};

use super::google::{GoogleAdsConfig, GoogleAuth, digits};
use super::mailchimp::{MailchimpConfig, base_url_for};
use super::meta::MetaConfig;
use super::oauth::RefreshConfig;
use super::tiktok::TiktokConfig;
use super::twilio::TwilioConfig;
use super::{Lookup, Secret};
use crate::domain::benchmarks::Platform;

/// Where each platform's API is: the same for every client (tests point
/// them at local fakes).
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoints {
    pub meta_base: String,
    pub meta_version: String,
    pub google_base: String,
    pub google_version: String,
    pub google_token_url: String,
    pub tiktok_base: String,
    /// None: the data centre of each API key.
    pub mailchimp_base: Option<String>,
    pub mailchimp_from_name: String,
    pub twilio_base: String,
}

impl Endpoints {
    pub fn from_lookup(env: Lookup<'_>) -> Self {
        let url = |k: &str, d: &str| {
            env(k)
                .unwrap_or_else(|| d.to_owned())
                .trim_end_matches('/')
                .to_owned()
        };
        Self {
            meta_base: url("PROMPTSALES_META_BASE_URL", super::meta::BASE_URL),
            meta_version: env("PROMPTSALES_META_API_VERSION")
                .unwrap_or_else(|| super::meta::API_VERSION.into()),
            google_base: url("PROMPTSALES_GOOGLE_ADS_BASE_URL", super::google::BASE_URL),
            google_version: env("PROMPTSALES_GOOGLE_ADS_API_VERSION")
                .unwrap_or_else(|| super::google::API_VERSION.into()),
            google_token_url: url(
                "PROMPTSALES_GOOGLE_OAUTH_TOKEN_URL",
                super::google::TOKEN_URL,
            ),
            tiktok_base: url("PROMPTSALES_TIKTOK_BASE_URL", super::tiktok::BASE_URL),
            mailchimp_base: env("PROMPTSALES_MAILCHIMP_BASE_URL")
                .map(|u| u.trim_end_matches('/').to_owned()),
            mailchimp_from_name: env("PROMPTSALES_MAILCHIMP_FROM_NAME")
                .unwrap_or_else(|| "PromptSales".into()),
            twilio_base: url("PROMPTSALES_TWILIO_BASE_URL", super::twilio::BASE_URL),
        }
    }
}

/// The ids of a client's account on one platform. None of them is secret:
/// they are listed by `list_connections` and sent in paths and bodies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Account {
    /// Meta: the ad account (digits; an `act_` prefix is dropped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ad_account_id: Option<String>,
    /// Meta: the Facebook Page the ads speak as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_id: Option<String>,
    /// Meta: the Instagram account the `instagram` channel speaks as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instagram_user_id: Option<String>,
    /// Meta: the pixel whose purchase event sales campaigns optimise for
    /// (required for the sales objective).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pixel_id: Option<String>,
    /// Meta: the instant form leads campaigns collect with (required for
    /// the leads objective).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_form_id: Option<String>,
    /// Google Ads: the customer (digits; dashes are dropped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// Google Ads: the manager account acted through (`login-customer-id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_customer_id: Option<String>,
    /// Google Ads: the OAuth client of the refresh-token flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_client_id: Option<String>,
    /// TikTok: the advertiser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advertiser_id: Option<String>,
    /// TikTok: the identity the ads speak as (`identity/get/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_id: Option<String>,
    /// TikTok: that identity's type (`CUSTOMIZED_USER`, `TT_USER`, `BC_AUTH_TT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_type: Option<String>,
    /// TikTok: the pixel that leads and sales ad groups optimise for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiktok_pixel_id: Option<String>,
    /// Mailchimp: the audience (list) emails go to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience_id: Option<String>,
    /// Mailchimp: the reply-to address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// Mailchimp: the sender's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_name: Option<String>,
    /// Twilio: the account SID (`AC…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_sid: Option<String>,
    /// Twilio: the sender, an E.164 number or a Messaging Service SID (`MG…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
}

/// The secrets of a connection: given to `set_connection`, sealed at
/// rest, never returned. `Debug` names which are set, never their values.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Secrets {
    /// Meta: a long-lived system-user token with ads_management; TikTok: the
    /// advertiser's long-term token; Google Ads: an access token instead of
    /// the refresh-token flow (it expires within the hour).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// Google Ads: the developer token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub developer_token: Option<String>,
    /// Google Ads: the OAuth client's secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_client_secret: Option<String>,
    /// Google Ads: the account's refresh token (scope adwords).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Mailchimp: the API key (`key-dc`, e.g. `abc123-us21`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// Twilio: the auth token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_token: Option<String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} set, values ***)", self.names().join(", "))
    }
}

impl Secrets {
    /// Every secret field by name.
    pub fn fields(&self) -> [(&'static str, &Option<String>); 6] {
        [
            ("access_token", &self.access_token),
            ("developer_token", &self.developer_token),
            ("oauth_client_secret", &self.oauth_client_secret),
            ("refresh_token", &self.refresh_token),
            ("api_key", &self.api_key),
            ("auth_token", &self.auth_token),
        ]
    }

    /// The names of the secrets that are set.
    pub fn names(&self) -> Vec<&'static str> {
        self.fields()
            .into_iter()
            .filter(|(_, v)| v.is_some())
            .map(|(k, _)| k)
            .collect()
    }

    /// These secrets with those `newer` sets replacing them (a rotated
    /// token is given alone; the others are kept).
    pub fn merged(self, newer: Secrets) -> Secrets {
        Secrets {
            access_token: newer.access_token.or(self.access_token),
            developer_token: newer.developer_token.or(self.developer_token),
            oauth_client_secret: newer.oauth_client_secret.or(self.oauth_client_secret),
            refresh_token: newer.refresh_token.or(self.refresh_token),
            api_key: newer.api_key.or(self.api_key),
            auth_token: newer.auth_token.or(self.auth_token),
        }
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self.names().is_empty()
    }

    /// Every value, to mask wherever text could carry one.
    pub fn values(&self) -> Vec<&str> {
        self.fields()
            .into_iter()
            .filter_map(|(_, v)| v.as_deref())
            .filter(|v| v.len() >= 4)
            .collect()
    }
}

impl Account {
    /// Every account field by name.
    pub fn fields(&self) -> [(&'static str, &Option<String>); 17] {
        [
            ("ad_account_id", &self.ad_account_id),
            ("page_id", &self.page_id),
            ("instagram_user_id", &self.instagram_user_id),
            ("pixel_id", &self.pixel_id),
            ("lead_form_id", &self.lead_form_id),
            ("customer_id", &self.customer_id),
            ("login_customer_id", &self.login_customer_id),
            ("oauth_client_id", &self.oauth_client_id),
            ("advertiser_id", &self.advertiser_id),
            ("identity_id", &self.identity_id),
            ("identity_type", &self.identity_type),
            ("tiktok_pixel_id", &self.tiktok_pixel_id),
            ("audience_id", &self.audience_id),
            ("reply_to", &self.reply_to),
            ("from_name", &self.from_name),
            ("account_sid", &self.account_sid),
            ("sender", &self.sender),
        ]
    }
}

/// What a platform's connection may hold: its account fields and secrets.
pub fn fields_of(platform: Platform) -> (&'static [&'static str], &'static [&'static str]) {
    match platform {
        Platform::Meta => (
            &[
                "ad_account_id",
                "page_id",
                "instagram_user_id",
                "pixel_id",
                "lead_form_id",
            ],
            &["access_token"],
        ),
        Platform::GoogleAds => (
            &["customer_id", "login_customer_id", "oauth_client_id"],
            &[
                "developer_token",
                "access_token",
                "oauth_client_secret",
                "refresh_token",
            ],
        ),
        Platform::Tiktok => (
            &[
                "advertiser_id",
                "identity_id",
                "identity_type",
                "tiktok_pixel_id",
            ],
            &["access_token"],
        ),
        Platform::Mailchimp => (&["audience_id", "reply_to", "from_name"], &["api_key"]),
        Platform::Twilio => (&["account_sid", "sender"], &["auth_token"]),
        Platform::None => (&[], &[]),
    }
}

/// What a connection still lacks to launch (field names; a Google
/// connection needs an access token or the whole refresh-token flow).
pub fn missing(platform: Platform, a: &Account, secret_names: &[&str]) -> Vec<String> {
    let has = |n: &str| secret_names.contains(&n);
    let mut out: Vec<String> = Vec::new();
    let mut need = |ok: bool, what: &str| {
        if !ok {
            out.push(what.to_owned());
        }
    };
    match platform {
        Platform::Meta => {
            need(a.ad_account_id.is_some(), "ad_account_id");
            need(has("access_token"), "access_token");
        }
        Platform::GoogleAds => {
            need(a.customer_id.is_some(), "customer_id");
            need(has("developer_token"), "developer_token");
            let flow =
                a.oauth_client_id.is_some() && has("oauth_client_secret") && has("refresh_token");
            need(
                flow || has("access_token"),
                "refresh_token with oauth_client_id and oauth_client_secret (or an access_token)",
            );
        }
        Platform::Tiktok => {
            need(a.advertiser_id.is_some(), "advertiser_id");
            need(has("access_token"), "access_token");
        }
        Platform::Mailchimp => {
            need(a.audience_id.is_some(), "audience_id");
            need(a.reply_to.is_some(), "reply_to");
            need(has("api_key"), "api_key");
        }
        Platform::Twilio => {
            need(a.account_sid.is_some(), "account_sid");
            need(a.sender.is_some(), "sender");
            need(has("auth_token"), "auth_token");
        }
        Platform::None => {}
    }
    out
}

fn secret(v: &Option<String>) -> Secret {
    Secret::new(v.clone().unwrap_or_default())
}

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

/// The configuration of a live client for a complete connection (check
/// [`missing`] first: absent values become empty strings).
pub(super) enum Built {
    Meta(MetaConfig),
    Google(GoogleAdsConfig),
    Tiktok(TiktokConfig),
    Mailchimp(MailchimpConfig),
    Twilio(TwilioConfig),
}

pub(super) fn build(ep: &Endpoints, platform: Platform, a: &Account, s: &Secrets) -> Option<Built> {
    Some(match platform {
        Platform::Meta => Built::Meta(MetaConfig {
            base_url: ep.meta_base.clone(),
            api_version: ep.meta_version.clone(),
            access_token: secret(&s.access_token),
            ad_account_id: text(&a.ad_account_id).trim_start_matches("act_").to_owned(),
            page_id: a.page_id.clone(),
            instagram_user_id: a.instagram_user_id.clone(),
            pixel_id: a.pixel_id.clone(),
            lead_form_id: a.lead_form_id.clone(),
        }),
        Platform::GoogleAds => {
            let auth = match (&a.oauth_client_id, &s.oauth_client_secret, &s.refresh_token) {
                (Some(client_id), Some(cs), Some(rt)) => GoogleAuth::refresh(RefreshConfig {
                    token_url: ep.google_token_url.clone(),
                    client_id: client_id.clone(),
                    client_secret: Secret::new(cs.clone()),
                    refresh_token: Secret::new(rt.clone()),
                }),
                _ => GoogleAuth::Token(secret(&s.access_token)),
            };
            Built::Google(GoogleAdsConfig {
                base_url: ep.google_base.clone(),
                api_version: ep.google_version.clone(),
                developer_token: secret(&s.developer_token),
                auth,
                customer_id: digits(&text(&a.customer_id)),
                login_customer_id: a.login_customer_id.as_deref().map(digits),
            })
        }
        Platform::Tiktok => Built::Tiktok(TiktokConfig {
            base_url: ep.tiktok_base.clone(),
            access_token: secret(&s.access_token),
            advertiser_id: text(&a.advertiser_id),
            identity_id: a.identity_id.clone(),
            identity_type: a.identity_type.clone(),
            pixel_id: a.tiktok_pixel_id.clone(),
        }),
        Platform::Mailchimp => {
            let key = text(&s.api_key);
            Built::Mailchimp(MailchimpConfig {
                base_url: base_url_for(&key, ep.mailchimp_base.clone()),
                api_key: Secret::new(key),
                list_id: text(&a.audience_id),
                from_name: a
                    .from_name
                    .clone()
                    .unwrap_or_else(|| ep.mailchimp_from_name.clone()),
                reply_to: text(&a.reply_to),
            })
        }
        Platform::Twilio => Built::Twilio(TwilioConfig {
            base_url: ep.twilio_base.clone(),
            account_sid: text(&a.account_sid),
            auth_token: secret(&s.auth_token),
            from: text(&a.sender),
        }),
        Platform::None => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_print_their_names_only() {
        let s = Secrets {
            access_token: Some("EAAB-very-secret".into()),
            ..Secrets::default()
        };
        let shown = format!("{s:?}");
        assert!(
            shown.contains("access_token") && !shown.contains("EAAB"),
            "{shown}"
        );
        assert_eq!(s.values(), ["EAAB-very-secret"]);
        let rotated = s.clone().merged(Secrets {
            api_key: Some("k-123".into()),
            ..Secrets::default()
        });
        assert_eq!(rotated.names(), ["access_token", "api_key"]);
    }

    #[test]
    fn each_platform_says_what_it_lacks() {
        let a = Account {
            customer_id: Some("123".into()),
            ..Account::default()
        };
        let m = missing(Platform::GoogleAds, &a, &["developer_token"]);
        assert_eq!(m.len(), 1);
        assert!(m[0].starts_with("refresh_token"), "{m:?}");
        assert!(
            missing(
                Platform::GoogleAds,
                &a,
                &["developer_token", "access_token"]
            )
            .is_empty()
        );
        let flow = Account {
            oauth_client_id: Some("cid".into()),
            ..a
        };
        assert!(
            missing(
                Platform::GoogleAds,
                &flow,
                &["developer_token", "oauth_client_secret", "refresh_token"]
            )
            .is_empty()
        );
        assert_eq!(
            missing(Platform::Twilio, &Account::default(), &[]),
            ["account_sid", "sender", "auth_token"]
        );
    }
}
