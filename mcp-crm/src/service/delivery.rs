//! Delivery statuses the signed WhatsApp webhook reported (`statuses[]`):
//! each message's state follows them, and a failure — with the platform's
//! code and reason, such as 131047 re-engagement — lands on the lead's
//! timeline, so a failed message is never left recorded as sent.

use promptsales_shared::AppError;
use promptsales_shared::domain::{Channel, TenantId};

use super::CrmService;
use super::inbound::message_key;
use crate::domain::{Direction, Interaction, InteractionId};
use crate::store::{DeliveryStatus, StatusApplied};

/// The statuses Cloud API documents for a message we sent.
const KNOWN: &[&str] = &["sent", "delivered", "read", "failed"];

impl CrmService {
    /// Applies one delivery status: `None` when it names no message this
    /// tenant sent (or a status we do not track); a redelivered status
    /// changes nothing (`new: false`).
    pub async fn whatsapp_status(
        &self,
        tenant: &TenantId,
        s: DeliveryStatus,
    ) -> Result<Option<StatusApplied>, AppError> {
        if !KNOWN.contains(&s.status.as_str()) {
            return Ok(None);
        }
        let why = match (&s.error_code, &s.error_title) {
            (Some(c), Some(t)) => format!("{c} {t}"),
            (Some(c), None) => c.clone(),
            (None, Some(t)) => t.clone(),
            (None, None) => "no reason given".to_owned(),
        };
        // One id per (message, failure): a redelivery cannot add a second
        // timeline entry even if the status table were bypassed.
        let id = format!(
            "{}{}",
            InteractionId::PREFIX,
            &message_key(&format!("{}:failed", s.provider_message_id))[..24]
        );
        let at = s.at;
        self.store
            .record_delivery_status(tenant, &s, |lead, msg| Interaction {
                id: InteractionId::from_trusted(id),
                lead_id: lead.clone(),
                at,
                channel: Channel::Whatsapp,
                direction: Direction::Out,
                text: format!("WhatsApp message {msg} was not delivered: {why}"),
                sentiment: None,
            })
            .await
    }
}
