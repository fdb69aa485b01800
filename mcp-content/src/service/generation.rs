//! `generate_content`: copy for every channel and variant of a brief, from
//! the LLM (or the client's model) with the offline engine as fallback,
//! saved as draft assets in one transaction with the plan usage they cost.

use std::time::Duration;

use chrono::Utc;
use promptsales_catalog::LimitKind;

use promptsales_shared::domain::TenantId;
use promptsales_shared::{AppError, vocabulary};
use serde::{Deserialize, Serialize};

use super::brand::{brand_check, brand_fields};
use super::{ContentService, field_values};
use crate::domain::brand::{BrandGuidelines, BrandViolation};
use crate::domain::brief::{Brief, BriefInput, stable_hash};
use crate::domain::channels::Placement;
use crate::domain::copy::{CopyField, Fields, measured, render};
use crate::domain::defects::{defects, defects_after_brand};
use crate::domain::{Language, MAX_TITLE_CHARS, NewAsset, offline};
use crate::llm::{ChatEndpoint, CopyModel, LlmCopy, Usage};

vocabulary! {
    /// Which engine writes the copy: `auto` (the LLM when one is
    /// configured, else the MCP client's model through sampling when it
    /// offers one, else offline), `offline` (deterministic templates and
    /// rules), `llm` (the configured OpenAI-compatible model; an error when
    /// none is) or `sampling` (the MCP client's own model; an error when the
    /// client does not offer it).
    pub enum EngineChoice("engine") {
        Auto => "auto",
        Offline => "offline",
        Llm => "llm",
        Sampling => "sampling",
    }
}

/// One generated variant, saved as a draft asset.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GeneratedVariant {
    pub asset_id: String,
    pub channel: Placement,
    /// 0-based index among the channel's variants.
    pub variant: u32,
    /// Every field with its length and limit.
    pub fields: Vec<CopyField>,
    /// Breaches of the client's brand guidelines (empty when none or no guidelines).
    pub brand_violations: Vec<BrandViolation>,
    /// What the engine decided for this variant (a model variant refused and why, fallbacks, disclaimers without room).
    pub notes: Vec<String>,
}

/// The result of `generate_content`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Generation {
    /// offline, llm or sampling.
    pub engine: String,
    /// True when the LLM answer came from the cache (no tokens spent).
    pub cached: bool,
    pub language: Language,
    /// The seed of the variation: pass it back to get the same copy.
    pub seed: u64,
    pub variants: Vec<GeneratedVariant>,
    /// Engine-level notes: repairs, fallbacks.
    pub notes: Vec<String>,
    /// Tokens the LLM spent on this call (0 offline or cached).
    pub usage: Usage,
}

/// The offline engine's variant with the brand applied, checked for
/// defects after the brand too (a preferred term or a disclaimer must not
/// break it); nothing clean from any template is a clear error naming the
/// defects.
fn offline_variant(
    brief: &Brief,
    p: Placement,
    i: u32,
    g: Option<&BrandGuidelines>,
) -> Result<(Fields, Vec<String>), AppError> {
    let branded = |f: Fields| brand_fields(p, f, g, brief).0;
    let fields: Fields = offline::generate_with(brief, p, i, &branded).map_err(|e| {
        AppError::Conflict(format!(
            "{e}; shorten the product name, offer or URL, or leave out this channel"
        ))
    })?;
    // The fields as checked (brand applied); the notes of that application.
    let notes = brand_fields(p, fields.clone(), g, brief).1;
    Ok((fields, notes))
}

/// How long an LLM answer is kept for an identical brief.
const LLM_CACHE_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

impl ContentService {
    async fn llm_copy(
        &self,
        tenant: &TenantId,
        model: &dyn CopyModel,
        brief: &Brief,
        brand: Option<&BrandGuidelines>,
    ) -> Result<(LlmCopy, bool), AppError> {
        let brand_json = serde_json::to_string(&brand).unwrap_or_default();
        let key = format!(
            "content:llm:{}:{:016x}",
            tenant.as_str(),
            stable_hash(&[
                &brief.fingerprint().to_string(),
                &brief.seed.to_string(),
                &brief.variants.to_string(),
                &model.id(),
                &brand_json,
            ])
        );
        if let Some(cache) = &self.cache
            && let Some(hit) = cache.get_json::<LlmCopy>(&key).await
        {
            return Ok((hit, true));
        }
        let copy = crate::llm::write_copy(model, brief, brand).await?;
        if let Some(cache) = &self.cache {
            cache.set_json(&key, &copy, Some(LLM_CACHE_TTL)).await;
        }
        Ok((copy, false))
    }

    /// Writes copy for every channel and variant of the brief, checks it
    /// against the channel table and the client's brand, and saves each
    /// variant as a draft asset (version 1), all in one transaction with
    /// the generations (and the author's seat) charged to the client's
    /// plan. Beyond the plan nothing is generated or saved; with the
    /// month's LLM tokens used up, `auto` writes without the LLM and `llm`
    /// is refused.
    pub async fn generate_content(
        &self,
        tenant: &TenantId,
        author: &str,
        input: &BriefInput,
        engine: EngineChoice,
        client_model: Option<&dyn CopyModel>,
    ) -> Result<Generation, AppError> {
        let brief = input.parse()?;
        let meter = self.meter(tenant, &brief.client_id, Utc::now()).await?;
        let count = i64::try_from(brief.channels.len())
            .unwrap_or(i64::MAX)
            .saturating_mul(i64::from(brief.variants));
        self.precheck(tenant, &meter, count, author).await?;
        let brand = self.store.brand(tenant, &brief.client_id).await?;
        let g = brand.as_ref().map(|b| &b.guidelines);
        let mut notes = Vec::new();
        // Our LLM spends the client's tokens; at the plan's limit it is not
        // asked (the client's own model through sampling spends none).
        let tokens = meter.check(
            LimitKind::LlmTokensPerMonth,
            meter.used(LimitKind::LlmTokensPerMonth),
            1,
        );
        let endpoint = match (self.llm.clone().map(ChatEndpoint), tokens) {
            (Some(e), Ok(())) => Some(e),
            (Some(_), Err(e)) => match engine {
                EngineChoice::Llm => return Err(e),
                EngineChoice::Auto => {
                    notes.push(
                        "the client's plan has no LLM tokens left this month: the LLM was not asked"
                            .to_owned(),
                    );
                    None
                }
                EngineChoice::Offline | EngineChoice::Sampling => None,
            },
            (None, _) => None,
        };
        let endpoint = endpoint.as_ref().map(|e| e as &dyn CopyModel);
        let use_llm: Option<&dyn CopyModel> = match engine {
            EngineChoice::Offline => None,
            EngineChoice::Auto => endpoint.or(client_model),
            EngineChoice::Llm => Some(endpoint.ok_or_else(|| {
                AppError::invalid(
                    "engine",
                    "offline, auto or sampling: no LLM endpoint is configured (set PROMPTSALES_LLM_BASE_URL)",
                    "llm",
                )
            })?),
            EngineChoice::Sampling => Some(client_model.ok_or_else(|| {
                AppError::invalid(
                    "engine",
                    "offline, auto or llm: this client does not offer MCP sampling",
                    "sampling",
                )
            })?),
        };
        let mut engine_name = "offline";
        let mut cached = false;
        let mut usage = Usage::default();
        let mut from_llm: Option<LlmCopy> = None;
        if let Some(model) = use_llm {
            match self.llm_copy(tenant, model, &brief, g).await {
                Ok((copy, hit)) => {
                    engine_name = model.engine();
                    cached = hit;
                    if !hit {
                        usage = copy.usage;
                    }
                    if !hit && model.engine() == "llm" {
                        // Spent whatever happens next: recorded now.
                        self.store
                            .record_usage(
                                tenant,
                                &meter.client,
                                &meter.period,
                                LimitKind::LlmTokensPerMonth,
                                i64::from(usage.prompt_tokens) + i64::from(usage.completion_tokens),
                            )
                            .await?;
                    }
                    if copy.repaired {
                        notes.push(format!(
                            "the model's first answer broke the channel limits or had defects; it was sent back once for repair{}",
                            if copy.remaining.is_empty() { "" } else { " and what was still wrong was refused for the offline engine's copy" }
                        ));
                    }
                    from_llm = Some(copy);
                }
                Err(e) => {
                    // The note reaches the caller: an internal failure is
                    // named by its kind only, its detail stays in the log.
                    let why = match &e {
                        AppError::Internal(detail) => {
                            tracing::warn!(engine = model.engine(), detail, "copy model failed");
                            "an internal error; the details are in the server log".to_owned()
                        }
                        other => other.to_string(),
                    };
                    notes.push(format!(
                        "the {} engine failed ({why}); the offline engine wrote this copy",
                        if model.engine() == "llm" {
                            "LLM"
                        } else {
                            "sampling"
                        }
                    ));
                }
            }
        }
        let mut drafts: Vec<(Placement, u32, Fields, Vec<String>)> = Vec::new();
        for p in &brief.channels {
            for i in 0..brief.variants {
                let mut vnotes = Vec::new();
                let model = from_llm
                    .as_ref()
                    .and_then(|c| c.variants.iter().find(|(c, n, _)| c == p && *n == i));
                // The model's variant, brand applied, when the defect
                // checker passes it; else the offline engine's (itself
                // checked); never a variant with a defect.
                let checked = model.map(|(_, _, f)| {
                    let raw = offline::cleaned(*p, f.clone());
                    let mut found = defects(&raw, &brief, *p);
                    let (f, bnotes) = brand_fields(*p, raw, g, &brief);
                    if found.is_empty() {
                        found = defects_after_brand(&f, &brief, *p);
                    }
                    (f, bnotes, found)
                });
                let fields = match checked {
                    Some((f, bnotes, found)) if found.is_empty() => {
                        vnotes.extend(bnotes);
                        f
                    }
                    other => {
                        match other {
                            Some((_, _, found)) => vnotes.push(format!(
                                "refused the model's {p} variant {i} ({}); the offline engine wrote it",
                                found.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
                            )),
                            None if from_llm.is_some() => vnotes.push(format!(
                                "the model returned no {p} variant {i}; the offline engine wrote it"
                            )),
                            None => {}
                        }
                        let (f, mut bnotes) = offline_variant(&brief, *p, i, g)?;
                        vnotes.append(&mut bnotes);
                        f
                    }
                };
                drafts.push((*p, i, fields, vnotes));
            }
        }
        let news: Vec<NewAsset> = drafts
            .iter()
            .map(|(p, _, fields, _)| {
                let (title, body) = render(*p, fields, brief.language);
                let spec = p.spec();
                NewAsset {
                    client_id: brief.client_id.clone(),
                    campaign_id: brief.campaign_id.clone(),
                    channel: spec.library_channel,
                    format: spec.format,
                    language: brief.language,
                    title: title.map(|t| t.chars().take(MAX_TITLE_CHARS).collect()),
                    body,
                    rights: None,
                    created_by: Some(author.to_owned()),
                    placement: Some(*p),
                    fields: Some(field_values(fields)),
                }
            })
            .collect();
        let bill = meter.bill(count, author);
        let assets = self
            .store
            .create_assets_billed(tenant, &news, Some(&bill))
            .await?
            .map_err(|over| meter.refusal(over, &bill))?;
        let variants = drafts
            .into_iter()
            .zip(assets)
            .map(|((p, i, fields, vnotes), asset)| GeneratedVariant {
                asset_id: asset.id.into_string(),
                channel: p,
                variant: i,
                brand_violations: brand_check(p, &fields, g, &brief),
                fields: measured(p, &fields),
                notes: vnotes,
            })
            .collect();
        Ok(Generation {
            engine: engine_name.into(),
            cached,
            language: brief.language,
            seed: brief.seed,
            variants,
            notes,
            usage,
        })
    }
}
