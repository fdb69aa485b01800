//! Verified inbound WhatsApp messages (those the signature-checked webhook
//! received): the sender is registered or found, the message recorded once
//! — durably deduplicated by its id, so a redelivery or a replay changes
//! nothing — an opt-out keyword honoured, and WhatsApp's 24-hour service
//! window opened. Nothing else opens that window.

use aws_lc_rs::digest;
use chrono::{DateTime, Utc};
use promptsales_shared::AppError;
use promptsales_shared::domain::{Channel, ClientId, Country, TenantId};

use super::conversations::{opt_out_channel, suppressions};
use super::{CrmService, LoggedInteraction, NewLead, hashes_for};
use crate::domain::{Direction, InteractionId};
use crate::store::{LedgerChange, VerifiedInbound};

/// Who the ledger, stage history and audit name for what a signed webhook
/// delivery did.
pub const WEBHOOK_ACTOR: &str = "webhook";

/// Why an opt-out from a verified message is in the ledger.
const OPT_OUT_WHY: &str = "opt-out keyword in a verified inbound WhatsApp message";

/// The key a provider message id is remembered by: SHA-256 (hex), since a
/// WhatsApp message id encodes the sender's number.
pub fn message_key(provider_message_id: &str) -> String {
    hex::encode(digest::digest(&digest::SHA256, provider_message_id.as_bytes()).as_ref())
}

/// One text message a signed webhook delivery carried.
#[derive(Debug, Clone)]
pub struct WhatsappInbound {
    /// The provider's message id (`wamid.…`).
    pub message_id: String,
    /// The sender's number, E.164 (`+573001234567`).
    pub phone: String,
    /// The sender's profile name, if sent.
    pub name: Option<String>,
    pub text: String,
    /// When the person wrote (the provider's timestamp), if sent.
    pub at: Option<DateTime<Utc>>,
    /// The client new WhatsApp leads belong to.
    pub client_id: ClientId,
    pub country: Country,
}

impl CrmService {
    /// Records a verified inbound WhatsApp message; `None` when this
    /// message id was already processed (nothing is changed then).
    pub async fn receive_whatsapp(
        &self,
        tenant: &TenantId,
        m: WhatsappInbound,
    ) -> Result<Option<LoggedInteraction>, AppError> {
        let key = message_key(&m.message_id);
        // Checked before registering, so a duplicate does not even add a
        // lead source; the claim below settles concurrent deliveries.
        if self.store.inbound_seen(tenant, &key).await? {
            return Ok(None);
        }
        let reg = self
            .register(
                tenant,
                WEBHOOK_ACTOR,
                NewLead {
                    client_id: m.client_id.as_str().to_owned(),
                    channel: Channel::Whatsapp,
                    country: m.country.as_str().to_owned(),
                    city: None,
                    campaign_id: None,
                    name: m.name,
                    email: None,
                    phone: Some(m.phone),
                    company: None,
                    product_interest: None,
                    language: None,
                },
                false,
            )
            .await?;
        let rec = self.store.lead_record(tenant, &reg.lead.lead.id).await?;
        let text: String = m.text.chars().take(10_000).collect();
        let text = if text.trim().is_empty() {
            "[empty message]".to_owned()
        } else {
            text
        };
        // A provider timestamp ahead of our clock is clamped: the window
        // it opens must not outlast the message.
        let now = Utc::now();
        let at = m.at.map_or(now, |t| t.min(now));
        let id = InteractionId::from_trusted(format!("int_wa_{}", &key[..32]));
        let (interaction, source) = self
            .new_interaction(&rec, Channel::Whatsapp, Direction::In, text, at, Some(id))
            .await?;
        let opted_out = opt_out_channel(&interaction);
        let hashes = opted_out.map(|ch| hashes_for(&rec, ch)).unwrap_or_default();
        let changes: Vec<LedgerChange<'_>> = match opted_out {
            Some(ch) => suppressions(&hashes, ch, OPT_OUT_WHY, WEBHOOK_ACTOR, &rec.lead.id, at),
            None => Vec::new(),
        };
        let verified = VerifiedInbound {
            message_key: &key,
            lead_id: &rec.lead.id,
            contact_hash: rec.phone_hash.as_deref(),
            at,
        };
        if !self
            .store
            .record_verified_inbound(tenant, &verified, &interaction, &changes)
            .await?
        {
            return Ok(None);
        }
        let score = self.rescore(tenant, &rec.lead.id, WEBHOOK_ACTOR).await?;
        Ok(Some(LoggedInteraction {
            interaction,
            sentiment_source: source.into(),
            score,
            opted_out,
        }))
    }
}
