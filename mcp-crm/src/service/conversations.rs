//! Conversations with a lead: logged interactions (sentiment, opt-out
//! keywords, re-scoring), the knowledge base (each answer a client's, or
//! explicitly tenant-wide), drafted replies from the lead's client's
//! answers only, and sending under the consent ledger (`crm:send`) from
//! the client's own number, within its plan's messages per month.

use chrono::{DateTime, Duration, Utc};
use promptsales_catalog::LimitKind;
use promptsales_server::auth::Principal;
use promptsales_shared::AppError;
use promptsales_shared::domain::{Channel, ClientId, TenantId, validate_id};
use promptsales_shared::scope::Scope;
use promptsales_shared::time::{format_ts, parse_ts};
use schemars::JsonSchema;
use serde::Serialize;

use super::{CrmService, ScoreCard, contacts, hashes_for, message_text, short_text};
use crate::connector::Content;
use crate::crypto::Field;
use crate::domain::scoring::{self, Language};
use crate::domain::{
    ConsentKind, ConsentState, ContactChannel, Direction, Interaction, InteractionId, LeadId,
};
use crate::store::{KbEntry, LeadRecord, LedgerChange, OutboundMessage, new_id};
use crate::templates::{self, TemplateChoice};

/// Spanish-speaking markets: where we write Spanish unless told otherwise.
const SPANISH_MARKETS: &[&str] = &[
    "AR", "BO", "CL", "CO", "CR", "CU", "DO", "EC", "ES", "GT", "HN", "MX", "NI", "PA", "PE", "PR",
    "PY", "SV", "UY", "VE",
];

/// Inbound texts that mean "stop messaging me".
const OPT_OUT_WORDS: &[&str] = &[
    "stop",
    "unsubscribe",
    "baja",
    "cancelar suscripción",
    "cancelar suscripcion",
    "no más mensajes",
    "no mas mensajes",
];

/// A logged interaction and the score it led to.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LoggedInteraction {
    pub interaction: Interaction,
    /// Where the sentiment came from: `lexicon` or `llm`.
    pub sentiment_source: String,
    pub score: ScoreCard,
    /// Set when the text was an opt-out keyword (STOP, BAJA…) and the
    /// channel was suppressed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opted_out: Option<ContactChannel>,
}

/// A drafted reply for a person to review; never sent by itself.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ReplyDraft {
    pub lead_id: LeadId,
    pub language: Language,
    pub draft: String,
    /// Knowledge-base entries the draft draws on.
    pub kb_entries: Vec<String>,
    /// The inbound interaction answered, if any.
    pub in_reply_to: Option<InteractionId>,
    /// Always false: send it with `send_message` after review.
    pub sent: bool,
}

/// A sent (or sandbox-recorded) message.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SendResult {
    pub message_id: String,
    pub lead_id: LeadId,
    pub channel: ContactChannel,
    /// True when nothing was actually sent (no live connector).
    pub sandbox: bool,
    pub provider_message_id: Option<String>,
    pub interaction_id: InteractionId,
    /// What allowed the send: `consent` or `whatsapp_service_window`.
    pub allowed_by: String,
    /// Where it went out from: `connection` (the client's own number),
    /// `default` (the environment's number) or `sandbox`.
    pub sent_via: String,
    /// The WhatsApp phone-number id it was sent from, when live.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// `text`, or `template` (outside WhatsApp's 24-hour window).
    pub sent_as: String,
    /// The approved template it went out as.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// `accepted` (the platform took it; delivery statuses follow on the
    /// message and the lead's timeline) or `sandbox`.
    pub delivery_status: String,
}

impl CrmService {
    async fn sentiment(&self, text: &str) -> (f64, &'static str) {
        if let Some(llm) = &self.llm
            && let Some(s) = crate::sentiment::llm_sentiment(llm, text).await
        {
            return (s, "llm");
        }
        (scoring::lexicon_sentiment(text), "lexicon")
    }

    /// Logs an interaction a person reports (a call, a message seen
    /// elsewhere): it re-scores the lead and honours an opt-out keyword, but
    /// it never opens WhatsApp's service window (only messages the signed
    /// webhook verified do) and cannot be dated in the future.
    #[allow(clippy::too_many_arguments)]
    pub async fn log_interaction(
        &self,
        tenant: &TenantId,
        actor: &str,
        id: &str,
        channel: Channel,
        direction: Direction,
        text: &str,
        at: Option<&str>,
    ) -> Result<LoggedInteraction, AppError> {
        let rec = self.record(tenant, id).await?;
        let text = message_text(text)?;
        let at = logged_at(at, Utc::now())?;
        let (interaction, source) = self
            .new_interaction(&rec, channel, direction, text, at, None)
            .await?;
        self.store.add_interaction(tenant, &interaction).await?;
        let opted_out = opt_out_channel(&interaction);
        if let Some(ch) = opted_out {
            let why = format!("opt-out keyword in an inbound {channel} message, logged by hand");
            let hashes = hashes_for(&rec, ch);
            let changes = suppressions(&hashes, ch, &why, actor, &rec.lead.id, at);
            self.store.record_ledger(tenant, &changes).await?;
        }
        let score = self.rescore(tenant, &rec.lead.id, actor).await?;
        Ok(LoggedInteraction {
            interaction,
            sentiment_source: source.into(),
            score,
            opted_out,
        })
    }

    /// A new interaction of a lead not erased, with its sentiment when
    /// inbound; `id` makes the write idempotent (webhook redeliveries).
    pub(super) async fn new_interaction(
        &self,
        rec: &LeadRecord,
        channel: Channel,
        direction: Direction,
        text: String,
        at: DateTime<Utc>,
        id: Option<InteractionId>,
    ) -> Result<(Interaction, &'static str), AppError> {
        if rec.erased_at.is_some() {
            return Err(AppError::Conflict(format!(
                "lead `{}` was erased (GDPR): nothing more is recorded about them",
                rec.lead.id
            )));
        }
        let (sentiment, source) = if direction == Direction::In {
            let (s, src) = self.sentiment(&text).await;
            (Some(s), src)
        } else {
            (None, "none")
        };
        let interaction = Interaction {
            id: id.unwrap_or_else(|| InteractionId::from_trusted(new_id(InteractionId::PREFIX))),
            lead_id: rec.lead.id.clone(),
            at,
            channel,
            direction,
            text,
            sentiment,
        };
        Ok((interaction, source))
    }

    /// Creates or replaces an answer of a client (`entry.client_id`), or
    /// a tenant-wide one when `tenant_wide` — one of the two, explicitly.
    /// An answer id never moves between clients.
    pub async fn upsert_kb_entry(
        &self,
        tenant: &TenantId,
        entry: KbEntry,
        tenant_wide: bool,
    ) -> Result<KbEntry, AppError> {
        let id = validate_id("entry_id", &entry.id)?;
        let client_id = match (entry.client_id, tenant_wide) {
            (Some(c), false) => Some(ClientId::parse(c.as_str())?),
            (None, true) => None,
            (Some(_), true) => {
                return Err(AppError::invalid(
                    "tenant_wide",
                    "either a client_id or tenant_wide: true, not both",
                    "true",
                ));
            }
            (None, false) => {
                return Err(AppError::invalid(
                    "client_id",
                    "the client whose leads this answer is for (or tenant_wide: true for an \
                     answer every client's leads may be told)",
                    "",
                ));
            }
        };
        let language = entry.language;
        let topic = short_text("topic", Some(entry.topic))?
            .ok_or_else(|| AppError::invalid("topic", "a topic of 1-200 characters", ""))?;
        let answer = message_text(&entry.answer)
            .map_err(|_| AppError::invalid("answer", "an answer of 1-10000 characters", ""))?;
        let mut keywords = Vec::new();
        for k in entry.keywords {
            let k = short_text("keywords", Some(k))?;
            keywords.extend(k.map(|k| k.to_lowercase()));
        }
        let e = KbEntry {
            id,
            client_id,
            language,
            topic,
            keywords,
            answer,
        };
        if !self.store.upsert_kb(tenant, &e).await? {
            let owner = match self.store.kb_owner(tenant, &e.id).await? {
                Some(Some(c)) => format!("client `{c}`"),
                _ => "the whole tenant".to_owned(),
            };
            return Err(AppError::Conflict(format!(
                "knowledge-base entry `{}` belongs to {owner}: choose another entry_id",
                e.id
            )));
        }
        Ok(e)
    }

    /// The answers a client's leads may be told (its own and the
    /// tenant-wide ones), or only the tenant-wide ones without a client.
    pub async fn knowledge_base(
        &self,
        tenant: &TenantId,
        client_id: Option<&str>,
    ) -> Result<Vec<KbEntry>, AppError> {
        let client = client_id.map(ClientId::parse).transpose()?;
        self.store.list_kb(tenant, client.as_ref()).await
    }

    /// Drafts a reply in the lead's language from the knowledge base of
    /// the lead's client (its answers and the tenant-wide ones, never
    /// another client's) and the last inbound message; a person reviews
    /// and sends it.
    pub async fn suggest_reply(&self, tenant: &TenantId, id: &str) -> Result<ReplyDraft, AppError> {
        let rec = self.record(tenant, id).await?;
        let interactions = self.store.interactions_of(tenant, &rec.lead.id).await?;
        let last_in = interactions
            .iter()
            .rev()
            .find(|i| i.direction == Direction::In);
        let lang = rec
            .language
            .as_deref()
            .and_then(|l| Language::parse(l).ok())
            .or_else(|| last_in.and_then(|i| scoring::detect_language(&i.text)))
            .unwrap_or(if SPANISH_MARKETS.contains(&rec.lead.country.as_str()) {
                Language::Es
            } else {
                Language::En
            });
        let kb = self
            .store
            .list_kb(tenant, Some(&rec.lead.client_id))
            .await?;
        let question = last_in.map(|i| i.text.to_lowercase()).unwrap_or_default();
        let mut ranked: Vec<(usize, &KbEntry)> = kb
            .iter()
            .filter(|e| e.language == lang)
            .map(|e| {
                let hits = e
                    .keywords
                    .iter()
                    .filter(|k| !k.is_empty() && question.contains(k.as_str()))
                    .count();
                (hits, e)
            })
            .filter(|(h, _)| *h > 0)
            .collect();
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
        ranked.truncate(2);
        let name = self
            .crypto
            .decrypt_opt(
                Field::lead(tenant.as_str(), rec.lead.id.as_str(), "name_enc"),
                rec.name_enc.as_deref(),
            )?
            .and_then(|n| n.split_whitespace().next().map(str::to_owned));
        let answers: Vec<&str> = ranked.iter().map(|(_, e)| e.answer.as_str()).collect();
        let draft = match lang {
            Language::Es => {
                let hello = name.map_or("Hola".to_owned(), |n| format!("Hola {n}"));
                let body = if answers.is_empty() {
                    "Con gusto te ayudamos con tu consulta; un asesor te confirma los detalles hoy mismo.".to_owned()
                } else {
                    answers.join("\n\n")
                };
                format!(
                    "{hello}, gracias por escribirnos.\n\n{body}\n\n¿Te parece si agendamos una llamada corta para revisar los detalles?"
                )
            }
            Language::En => {
                let hello = name.map_or("Hi".to_owned(), |n| format!("Hi {n}"));
                let body = if answers.is_empty() {
                    "Happy to help with your question; an advisor will confirm the details today."
                        .to_owned()
                } else {
                    answers.join("\n\n")
                };
                format!(
                    "{hello}, thanks for reaching out.\n\n{body}\n\nWould a short call this week work to go over the details?"
                )
            }
        };
        Ok(ReplyDraft {
            lead_id: rec.lead.id.clone(),
            language: lang,
            draft,
            kb_entries: ranked.iter().map(|(_, e)| e.id.clone()).collect(),
            in_reply_to: last_in.map(|i| i.id.clone()),
            sent: false,
        })
    }

    /// Sends a message after checking the ledger: a suppressed contact or
    /// one without consent is refused with the reason. WhatsApp also allows
    /// replies within 24 h of the person's last message that the signed
    /// webhook verified (the platform's service window), and goes out from
    /// the lead's client's own number when it has a connection. The
    /// client's `messages_per_month` is checked first. Needs `crm:send`,
    /// checked here so every entry point is covered.
    pub async fn send_message(
        &self,
        who: &Principal,
        id: &str,
        channel: ContactChannel,
        text: &str,
    ) -> Result<SendResult, AppError> {
        self.send_message_with(who, id, channel, Some(text), None)
            .await
    }

    /// [`Self::send_message`] with WhatsApp's rule for free text: only
    /// within 24 h of the lead's last verified message; outside it the
    /// caller chooses an approved `template` (name, language, body
    /// parameters), checked against the account's approved list, or the
    /// send is refused naming the approved templates. Free text outside
    /// the window is never sent.
    pub async fn send_message_with(
        &self,
        who: &Principal,
        id: &str,
        channel: ContactChannel,
        text: Option<&str>,
        template: Option<TemplateChoice>,
    ) -> Result<SendResult, AppError> {
        who.require(Scope::CrmSend)?;
        let tenant = &who.tenant;
        let rec = self.record(tenant, id).await?;
        if channel == ContactChannel::All {
            return Err(AppError::invalid(
                "channel",
                "email, sms or whatsapp",
                "all",
            ));
        }
        if let Some(t) = &template {
            if channel != ContactChannel::Whatsapp {
                return Err(AppError::invalid(
                    "template",
                    "templates only on the whatsapp channel; send `text` on email and sms",
                    t.name.clone(),
                ));
            }
            templates::validate(t)?;
        }
        let text = match (&template, text) {
            (Some(_), None) => None,
            (_, t) => Some(message_text(t.unwrap_or_default())?),
        };
        if rec.erased_at.is_some() {
            return Err(AppError::Conflict(format!(
                "refused: lead `{}` was erased (GDPR) and has no contact details",
                rec.lead.id
            )));
        }
        let uses_email = channel == ContactChannel::Email;
        let (column, enc, hash) = if uses_email {
            (
                "email_enc",
                rec.email_enc.as_deref(),
                rec.email_hash.as_deref(),
            )
        } else {
            (
                "phone_enc",
                rec.phone_enc.as_deref(),
                rec.phone_hash.as_deref(),
            )
        };
        let (Some(enc), Some(hash)) = (enc, hash) else {
            return Err(AppError::Conflict(format!(
                "refused: lead `{}` has no {} for {channel}",
                rec.lead.id,
                if uses_email { "email" } else { "phone number" }
            )));
        };
        let perms = self.store.permissions(tenant, &contacts(&rec)).await?;
        if let Some(p) = perms
            .iter()
            .find(|p| p.suppressed && (p.channel == channel || p.channel == ContactChannel::All))
        {
            return Err(AppError::Conflict(format!(
                "refused: the contact is suppressed on {} since {} (source: {})",
                p.channel,
                format_ts(p.updated_at),
                p.source
            )));
        }
        let label = if uses_email { "email" } else { "phone" };
        let consent = perms
            .iter()
            .find(|p| p.contact == label && p.channel == channel)
            .and_then(|p| p.consent);
        let window_open = channel == ContactChannel::Whatsapp
            && self
                .store
                .last_verified_inbound(tenant, hash, Utc::now() - Duration::hours(24))
                .await?
                .is_some();
        let account = if channel == ContactChannel::Whatsapp {
            self.sender_of(tenant, &rec.lead.client_id).await?
        } else {
            None
        };
        let allowed_by = if consent == Some(ConsentState::Granted) {
            "consent"
        } else if window_open {
            "whatsapp_service_window"
        } else {
            return Err(AppError::Conflict(format!(
                "refused: no consent for {channel} on record for lead `{}` ({}){}; record_consent first",
                rec.lead.id,
                match consent {
                    Some(ConsentState::Withdrawn) => "consent was withdrawn",
                    _ => "never given",
                },
                if channel == ContactChannel::Whatsapp {
                    ", and no verified WhatsApp message from them in the last 24 h opens the \
                     service window"
                } else {
                    ""
                }
            )));
        };
        // Consent first (a template needs it too), then the window.
        if channel == ContactChannel::Whatsapp && !window_open && template.is_none() {
            let listed = self.connector.approved_templates(account.as_ref()).await?;
            let choices = match listed.as_deref() {
                Some(list) => templates::listing(list)
                    .unwrap_or_else(|| "none is approved on this account yet".into()),
                None => "none can be listed (sandbox, or no WhatsApp Business Account id on \
                         the connection or in PROMPTSALES_WHATSAPP_WABA_ID)"
                    .into(),
            };
            return Err(AppError::Conflict(format!(
                "refused: lead `{}` has not written on WhatsApp in the last 24 h, so WhatsApp \
                 allows only an approved template, not free text; choose one with `template` \
                 (name, language, parameters). Approved templates: {choices}",
                rec.lead.id
            )));
        }
        self.check_quota(
            tenant,
            &rec.lead.client_id,
            LimitKind::MessagesPerMonth,
            None,
        )
        .await?;
        let to = self.crypto.decrypt(
            Field::lead(tenant.as_str(), rec.lead.id.as_str(), column),
            enc,
        )?;
        // What goes out, and what the timeline says the lead received.
        let (content, text) = match template {
            Some(choice) => {
                let listed = self.connector.approved_templates(account.as_ref()).await?;
                let rendered = match listed.as_deref() {
                    Some(list) => templates::pick(list, &choice)?.render(&choice.parameters),
                    // Not listable here: the platform checks the template.
                    None => None,
                };
                let shown = rendered.unwrap_or_else(|| {
                    format!(
                        "[template {} ({})] {}",
                        choice.name,
                        choice.language,
                        choice.parameters.join(" | ")
                    )
                });
                (Content::Template(choice), message_text(&shown)?)
            }
            None => {
                let text = text.ok_or_else(|| {
                    AppError::invalid("text", "the message text (or a WhatsApp `template`)", "")
                })?;
                (Content::Text(text.clone()), text)
            }
        };
        let receipt = self
            .connector
            .send_from(account.as_ref(), channel, &to, &content)
            .await?;
        let template_name = match &content {
            Content::Template(t) => Some(t.name.clone()),
            Content::Text(_) => None,
        };
        let delivery_status = if receipt.sandbox {
            "sandbox"
        } else {
            "accepted"
        };
        let sent_via = match (&receipt.from, &account) {
            (None, _) => "sandbox",
            (Some(_), Some(_)) => "connection",
            (Some(_), None) => "default",
        };
        let now = Utc::now();
        let msg = OutboundMessage {
            id: new_id("msg_"),
            channel,
            text: text.clone(),
            sandbox: receipt.sandbox,
            provider_message_id: receipt.provider_message_id.clone(),
            at: now,
            delivery_status: Some(delivery_status.into()),
            status_at: None,
            failure_code: None,
            failure_reason: None,
            template_name: template_name.clone(),
        };
        let interaction = Interaction {
            id: InteractionId::from_trusted(new_id(InteractionId::PREFIX)),
            lead_id: rec.lead.id.clone(),
            at: now,
            channel: match channel {
                ContactChannel::Email => Channel::Email,
                ContactChannel::Sms => Channel::Sms,
                _ => Channel::Whatsapp,
            },
            direction: Direction::Out,
            text,
            sentiment: None,
        };
        self.store
            .record_outbound(tenant, &rec.lead.id, &msg, &interaction)
            .await?;
        Ok(SendResult {
            message_id: msg.id,
            lead_id: rec.lead.id.clone(),
            channel,
            sandbox: receipt.sandbox,
            provider_message_id: receipt.provider_message_id,
            interaction_id: interaction.id,
            allowed_by: allowed_by.into(),
            sent_via: sent_via.into(),
            from: receipt.from,
            sent_as: if template_name.is_some() {
                "template"
            } else {
                "text"
            }
            .into(),
            template: template_name,
            delivery_status: delivery_status.into(),
        })
    }
}

/// How far in the future a logged `at` may lie: clocks drift a little, but
/// an interaction is logged after it happens.
const MAX_SKEW: Duration = Duration::minutes(5);

/// When a logged interaction happened: `at` if given (at most
/// [`MAX_SKEW`] after `now`), else `now`.
pub(super) fn logged_at(at: Option<&str>, now: DateTime<Utc>) -> Result<DateTime<Utc>, AppError> {
    let Some(raw) = at else { return Ok(now) };
    let t = parse_ts("at", raw)?;
    if t > now + MAX_SKEW {
        return Err(AppError::invalid(
            "at",
            "when the interaction happened, not in the future (at most 5 minutes ahead of the \
             server clock)",
            raw,
        ));
    }
    Ok(t)
}

/// The channel an inbound opt-out keyword (STOP, BAJA…) suppresses.
pub(super) fn opt_out_channel(i: &Interaction) -> Option<ContactChannel> {
    let lowered = i.text.trim().to_lowercase();
    let lowered = lowered.trim_end_matches(['.', '!']);
    if i.direction != Direction::In || !OPT_OUT_WORDS.contains(&lowered) {
        return None;
    }
    Some(match i.channel {
        Channel::Whatsapp => ContactChannel::Whatsapp,
        Channel::Sms => ContactChannel::Sms,
        Channel::Email => ContactChannel::Email,
        _ => ContactChannel::All,
    })
}

/// The suppressions of an opt-out on `hashes`, by `actor` for `why`.
pub(super) fn suppressions<'a>(
    hashes: &'a [(&'static str, String)],
    channel: ContactChannel,
    why: &'a str,
    actor: &'a str,
    lead: &'a LeadId,
    at: DateTime<Utc>,
) -> Vec<LedgerChange<'a>> {
    hashes
        .iter()
        .map(|(_, h)| LedgerChange {
            contact_hash: h,
            channel,
            kind: ConsentKind::Suppressed,
            source: why,
            actor,
            lead_id: Some(lead),
            at,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logged_time_may_not_lie_in_the_future() {
        let now = parse_ts("now", "2026-03-01T12:00:00Z").unwrap();
        assert_eq!(logged_at(None, now).unwrap(), now);
        let past = logged_at(Some("2026-02-28T09:30:00Z"), now).unwrap();
        assert_eq!(format_ts(past), "2026-02-28T09:30:00.000000Z");
        // A little clock skew is fine.
        assert!(logged_at(Some("2026-03-01T12:04:59Z"), now).is_ok());
        for future in ["2026-03-01T12:05:01Z", "2099-01-01T00:00:00Z"] {
            let e = logged_at(Some(future), now).unwrap_err().to_string();
            assert!(e.contains("`at`") && e.contains("future"), "{e}");
        }
        assert!(logged_at(Some("yesterday"), now).is_err());
    }

    #[test]
    fn only_inbound_opt_out_words_opt_out() {
        let i = |direction, channel, text: &str| Interaction {
            id: InteractionId::from_trusted("int_1".into()),
            lead_id: LeadId::from_trusted("lead_1".into()),
            at: Utc::now(),
            channel,
            direction,
            text: text.into(),
            sentiment: None,
        };
        assert_eq!(
            opt_out_channel(&i(Direction::In, Channel::Whatsapp, " Stop! ")),
            Some(ContactChannel::Whatsapp)
        );
        assert_eq!(
            opt_out_channel(&i(Direction::In, Channel::Web, "baja")),
            Some(ContactChannel::All)
        );
        assert_eq!(
            opt_out_channel(&i(Direction::Out, Channel::Sms, "STOP")),
            None
        );
        assert_eq!(
            opt_out_channel(&i(Direction::In, Channel::Sms, "please don't stop")),
            None
        );
    }
}
