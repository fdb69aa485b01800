//! Use cases of the content context.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use promptsales_shared::AppError;
use promptsales_shared::cache::Cache;
use promptsales_shared::domain::{Channel, ClientId, Page, TenantId, page_limit, validate_id};
use promptsales_shared::llm::LlmConfig;
use promptsales_shared::time::format_ts;
use serde::{Deserialize, Serialize};

use crate::domain::brand::{BrandGuidelines, BrandViolation, ClientBrand};
use crate::domain::brief::{Brief, BriefInput, stable_hash};
use crate::domain::channels::{Placement, fits};
use crate::domain::copy::{CopyField, Fields, enforce, measured, render, violations};
use crate::domain::seo::{self, Readability, SeoPage, SeoScores};
use crate::domain::visual::{VisualBriefInput, VisualDirection, directions};
use crate::domain::{
    Action, Asset, AssetFormat, AssetId, AssetStatus, AssetVersion, Decision, FieldValue, Language,
    NewAsset, UsageRights, offline, transition,
};
use crate::llm::{ChatEndpoint, CopyModel, ImageConfig, LlmCopy, Usage};
use crate::store::{AssetFilter, ContentStore, Revision};

/// An asset with where its usage rights let it be used at the time asked.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AssetView {
    pub asset: Asset,
    /// Channels the asset's usage rights allow at `checked_at` (every
    /// channel when it has no recorded rights). Approval is a separate
    /// matter: see `asset.status`.
    pub usable_on: Vec<Channel>,
    /// When `usable_on` was computed (RFC 3339, UTC).
    pub checked_at: String,
}

/// Filters of `list_assets` as they arrive from a caller, unparsed.
#[derive(Debug, Clone, Default)]
pub struct AssetQuery<'a> {
    pub client_id: Option<&'a str>,
    pub campaign_id: Option<&'a str>,
    pub channel: Option<&'a str>,
    pub status: Option<&'a str>,
    pub language: Option<&'a str>,
    pub placement: Option<&'a str>,
}

/// Which engine writes the copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EngineChoice {
    /// The LLM when one is configured, else the offline engine.
    Auto,
    /// Deterministic templates and rules.
    Offline,
    /// The configured OpenAI-compatible model (an error when none is).
    Llm,
    /// The MCP client's own model through sampling (an error when the
    /// client does not offer it).
    Sampling,
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
    /// What the engine changed or decided for this variant (trims, fallbacks).
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

/// The result of `score_content`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ContentScore {
    /// 0-100: limits 40, brand 30, readability 20, keywords 10.
    pub score: u32,
    pub channel: Option<Placement>,
    /// Limit problems for the channel (empty when it fits or no channel).
    pub limit_violations: Vec<String>,
    pub brand_violations: Vec<BrandViolation>,
    pub readability: Readability,
    pub keywords_covered: Vec<String>,
    pub keywords_missing: Vec<String>,
}

/// The result of `optimize_for_search`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SearchOptimization {
    pub asset_id: String,
    pub language: Language,
    pub before: SeoScores,
    pub after: SeoScores,
    pub optimized: SeoPage,
}

/// A stored image.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GeneratedImage {
    pub asset_id: String,
    /// Where the file is, inside the data dir.
    pub path: String,
    pub bytes: usize,
    pub kind: String,
}

/// Art direction for one channel, and the image when one was generated.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VisualBriefItem {
    #[serde(flatten)]
    pub direction: VisualDirection,
    pub image: Option<GeneratedImage>,
}

/// The result of `generate_visual_brief`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VisualBrief {
    pub items: Vec<VisualBriefItem>,
    /// Why no images were generated, when asked for and impossible.
    pub notes: Vec<String>,
}

/// How long an LLM answer is kept for an identical brief.
const LLM_CACHE_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// Placements whose long field is a whole piece that must carry disclaimers.
fn long_field(p: Placement) -> Option<&'static str> {
    match p {
        Placement::Email | Placement::Web | Placement::Whatsapp => Some("body"),
        Placement::Linkedin => Some("post"),
        Placement::Meta | Placement::Instagram => Some("primary_text"),
        _ => None,
    }
}

/// The content use cases, over one store.
#[derive(Clone, Debug)]
pub struct ContentService {
    store: ContentStore,
    cache: Option<Cache>,
    llm: Option<LlmConfig>,
    images: Option<ImageConfig>,
    data_dir: Option<PathBuf>,
}

impl ContentService {
    /// Offline only: no cache, no LLM, no image endpoint.
    pub fn new(store: ContentStore) -> Self {
        Self {
            store,
            cache: None,
            llm: None,
            images: None,
            data_dir: None,
        }
    }

    pub fn with_cache(mut self, cache: Cache) -> Self {
        self.cache = Some(cache);
        self
    }

    pub fn with_llm(mut self, llm: Option<LlmConfig>) -> Self {
        self.llm = llm;
        self
    }

    /// Images are generated with `images` and stored under `data_dir`.
    pub fn with_images(mut self, images: Option<ImageConfig>, data_dir: PathBuf) -> Self {
        self.images = images;
        self.data_dir = Some(data_dir);
        self
    }

    pub fn store(&self) -> &ContentStore {
        &self.store
    }

    pub async fn create_asset(&self, tenant: &TenantId, new: &NewAsset) -> Result<Asset, AppError> {
        self.store.create_asset(tenant, new).await
    }

    pub async fn get_asset(&self, tenant: &TenantId, id: &str) -> Result<Asset, AppError> {
        let id = AssetId::parse(id)?;
        self.store.get_asset(tenant, &id).await
    }

    /// The asset and the channels its rights allow at `now`.
    pub async fn get_asset_view(
        &self,
        tenant: &TenantId,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<AssetView, AppError> {
        let asset = self.get_asset(tenant, id).await?;
        Ok(AssetView {
            usable_on: asset.usable_channels(now),
            checked_at: format_ts(now),
            asset,
        })
    }

    pub async fn asset_versions(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Vec<AssetVersion>, AppError> {
        let id = AssetId::parse(id)?;
        self.store.asset_versions(tenant, &id).await
    }

    pub async fn list_assets(
        &self,
        tenant: &TenantId,
        query: &AssetQuery<'_>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Page<Asset>, AppError> {
        let filter = AssetFilter {
            client_id: query.client_id.map(ClientId::parse).transpose()?,
            campaign_id: query
                .campaign_id
                .map(|c| validate_id("campaign_id", c))
                .transpose()?,
            channel: query.channel.map(Channel::parse).transpose()?,
            status: query.status.map(AssetStatus::parse).transpose()?,
            language: query.language.map(Language::parse).transpose()?,
            placement: query.placement.map(Placement::parse).transpose()?,
        };
        let cursor = cursor
            .map(|c| {
                AssetId::parse(c).map_err(|_| {
                    AppError::invalid("cursor", "a cursor returned by a previous page", c)
                })
            })
            .transpose()?;
        self.store
            .list_assets(
                tenant,
                &filter,
                cursor.as_ref().map(|c| c.as_str()),
                page_limit(limit)?,
            )
            .await
    }
}

/// Applies the brand's preferred terms and required disclaimers to a
/// variant's fields, then cuts it back to the format.
fn brand_fields(
    p: Placement,
    fields: Fields,
    brand: Option<&BrandGuidelines>,
) -> (Fields, Vec<String>) {
    let Some(g) = brand else {
        return enforce(p, fields);
    };
    let mut fields: Fields = fields
        .into_iter()
        .map(|(n, t)| (n, g.apply_preferred(&t)))
        .collect();
    let mut notes = Vec::new();
    if let Some(long) = long_field(p)
        && let Some(spec) = p.spec().field(long)
        && let Some((_, text)) = fields.iter_mut().find(|(n, _)| n == long)
    {
        for d in &g.required_disclaimers {
            if seo::fold(text).contains(&seo::fold(d)) {
                continue;
            }
            let sep = if matches!(p, Placement::Meta | Placement::Instagram) {
                " "
            } else {
                "\n\n"
            };
            let with = format!("{text}{sep}{d}");
            if fits(&with, spec) {
                *text = with;
            } else {
                notes.push(format!("no room for the disclaimer \"{d}\" in `{long}`"));
            }
        }
    }
    let (fields, mut trims) = enforce(p, fields);
    notes.append(&mut trims);
    (fields, notes)
}

/// Brand check of a whole variant.
fn brand_check(
    p: Placement,
    fields: &Fields,
    brand: Option<&BrandGuidelines>,
) -> Vec<BrandViolation> {
    let Some(g) = brand else {
        return Vec::new();
    };
    let text = fields
        .iter()
        .map(|(_, t)| t.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    g.check(&text, long_field(p).is_some())
}

fn field_values(fields: &Fields) -> Vec<FieldValue> {
    fields
        .iter()
        .map(|(n, t)| FieldValue {
            name: n.clone(),
            text: t.clone(),
        })
        .collect()
}

impl ContentService {
    /// A client's guidelines, if any.
    pub async fn brand(
        &self,
        tenant: &TenantId,
        client: &ClientId,
    ) -> Result<Option<ClientBrand>, AppError> {
        self.store.brand(tenant, client).await
    }

    pub async fn set_brand(
        &self,
        tenant: &TenantId,
        client_id: &str,
        g: BrandGuidelines,
        by: &str,
    ) -> Result<ClientBrand, AppError> {
        let client = ClientId::parse(client_id)?;
        let g = g.normalized()?;
        self.store.set_brand(tenant, &client, &g, Some(by)).await
    }

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
    /// variant as a draft asset (version 1), all in one transaction.
    pub async fn generate_content(
        &self,
        tenant: &TenantId,
        author: &str,
        input: &BriefInput,
        engine: EngineChoice,
        client_model: Option<&dyn CopyModel>,
    ) -> Result<Generation, AppError> {
        let brief = input.parse()?;
        let brand = self.store.brand(tenant, &brief.client_id).await?;
        let g = brand.as_ref().map(|b| &b.guidelines);
        let endpoint = self.llm.clone().map(ChatEndpoint);
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
        let mut notes = Vec::new();
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
                    if copy.repaired {
                        notes.push(format!(
                            "the model's first answer broke the channel limits; it was sent back once for repair{}",
                            if copy.remaining.is_empty() { "" } else { " and what was still over was trimmed or refused" }
                        ));
                    }
                    from_llm = Some(copy);
                }
                Err(e) => {
                    notes.push(format!(
                        "the {} engine failed ({e}); the offline engine wrote this copy",
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
                let fields = match from_llm
                    .as_ref()
                    .and_then(|c| c.variants.iter().find(|(c, n, _)| c == p && *n == i))
                {
                    Some((_, _, f)) => {
                        let (f, trims) = enforce(*p, f.clone());
                        if violations(*p, &f).is_empty() {
                            vnotes.extend(trims);
                            f
                        } else {
                            vnotes.push(format!(
                                "refused the model's {p} variant {i} ({}); the offline engine wrote it",
                                violations(*p, &f).join("; ")
                            ));
                            offline::generate(&brief, *p, i)
                        }
                    }
                    None if from_llm.is_some() => {
                        vnotes.push(format!(
                            "the model returned no {p} variant {i}; the offline engine wrote it"
                        ));
                        offline::generate(&brief, *p, i)
                    }
                    None => offline::generate(&brief, *p, i),
                };
                let (fields, mut bnotes) = brand_fields(*p, fields, g);
                vnotes.append(&mut bnotes);
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
                    title: title.map(|t| t.chars().take(crate::domain::MAX_TITLE_CHARS).collect()),
                    body,
                    rights: None,
                    created_by: Some(author.to_owned()),
                    placement: Some(*p),
                    fields: Some(field_values(fields)),
                }
            })
            .collect();
        let assets = self.store.create_assets(tenant, &news).await?;
        let variants = drafts
            .into_iter()
            .zip(assets)
            .map(|((p, i, fields, vnotes), asset)| GeneratedVariant {
                asset_id: asset.id.into_string(),
                channel: p,
                variant: i,
                brand_violations: brand_check(p, &fields, g),
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

    /// Writes a new version of an asset. Generated copy is revised through
    /// its fields (or, for single-text formats, its body) and must fit its
    /// channel: nothing over a limit is stored.
    #[allow(clippy::too_many_arguments)]
    pub async fn revise_asset(
        &self,
        tenant: &TenantId,
        author: &str,
        id: &str,
        expected_version: Option<i32>,
        title: Option<String>,
        body: Option<String>,
        fields: Option<Vec<FieldValue>>,
        note: Option<String>,
    ) -> Result<Asset, AppError> {
        let id = AssetId::parse(id)?;
        let current = self.store.get_asset(tenant, &id).await?;
        transition(current.status, Action::Revise)?;
        let version = expected_version.unwrap_or(current.version);
        if version != current.version {
            return Err(AppError::Conflict(format!(
                "asset {} is at version {}, not {version}: read it again and revise the current text",
                id.as_str(),
                current.version
            )));
        }
        let note = note
            .map(|n| n.trim().chars().take(1000).collect::<String>())
            .filter(|n| !n.is_empty());
        let rev = match current.placement {
            Some(p) => {
                let single = match p {
                    Placement::Sms => Some("text"),
                    Placement::X => Some("post"),
                    Placement::Tiktok => Some("caption"),
                    _ => None,
                };
                let fields: Fields = match (fields, body, single) {
                    (Some(f), _, _) => f.into_iter().map(|f| (f.name, f.text)).collect(),
                    (None, Some(b), Some(name)) => vec![(name.to_owned(), b)],
                    (None, _, _) => {
                        return Err(AppError::invalid(
                            "fields",
                            format!(
                                "the {p} fields ({}) of generated copy",
                                p.spec()
                                    .fields
                                    .iter()
                                    .map(|f| f.name)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                            "nothing",
                        ));
                    }
                };
                let fields: Fields = fields
                    .into_iter()
                    .map(|(n, t)| (n, t.trim().to_owned()))
                    .collect();
                let problems = violations(p, &fields);
                if !problems.is_empty() {
                    return Err(AppError::invalid(
                        "fields",
                        "copy within the channel's limits",
                        problems.join("; "),
                    ));
                }
                let (t, b) = render(p, &fields, current.language);
                Revision {
                    title: t,
                    body: b,
                    fields: Some(field_values(&fields)),
                    author: Some(author.to_owned()),
                    note,
                }
            }
            None => {
                let body =
                    body.ok_or_else(|| AppError::invalid("body", "the new text", "nothing"))?;
                let body = promptsales_shared::catalog::model::required_text(
                    "body",
                    &body,
                    crate::domain::MAX_BODY_CHARS,
                )?;
                let title = match title {
                    Some(t) if !t.trim().is_empty() => {
                        Some(promptsales_shared::catalog::model::required_text(
                            "title",
                            &t,
                            crate::domain::MAX_TITLE_CHARS,
                        )?)
                    }
                    Some(_) => None,
                    None => current.title.clone(),
                };
                Revision {
                    title,
                    body,
                    fields: None,
                    author: Some(author.to_owned()),
                    note,
                }
            }
        };
        self.store.revise(tenant, &id, current.version, &rev).await
    }

    /// Approves or rejects the current version (the caller has checked the
    /// scope), recording who, when and why.
    pub async fn decide(
        &self,
        tenant: &TenantId,
        by: &str,
        id: &str,
        action: Action,
        note: Option<String>,
    ) -> Result<Asset, AppError> {
        let id = AssetId::parse(id)?;
        let current = self.store.get_asset(tenant, &id).await?;
        let to = transition(current.status, action)?;
        let note = note
            .map(|n| n.trim().chars().take(1000).collect::<String>())
            .filter(|n| !n.is_empty());
        if action == Action::Reject && note.is_none() {
            return Err(AppError::invalid(
                "note",
                "why the asset is rejected, so it can be fixed",
                "",
            ));
        }
        let decision = Decision {
            status: to,
            by: by.to_owned(),
            at: Utc::now().trunc_subsecs(6),
            note,
        };
        self.store
            .set_status(
                tenant,
                &id,
                current.version,
                current.status,
                to,
                Some(&decision),
            )
            .await
    }

    pub async fn archive(&self, tenant: &TenantId, id: &str) -> Result<Asset, AppError> {
        let id = AssetId::parse(id)?;
        let current = self.store.get_asset(tenant, &id).await?;
        let to = transition(current.status, Action::Archive)?;
        self.store
            .set_status(tenant, &id, current.version, current.status, to, None)
            .await
    }

    pub async fn set_rights(
        &self,
        tenant: &TenantId,
        id: &str,
        rights: Option<UsageRights>,
    ) -> Result<Asset, AppError> {
        let id = AssetId::parse(id)?;
        let rights = rights.map(UsageRights::normalized).transpose()?;
        self.store.set_rights(tenant, &id, rights.as_ref()).await
    }

    /// Scores text (or an asset) for a channel's limits, the client's brand,
    /// readability and keywords.
    #[allow(clippy::too_many_arguments)]
    pub async fn score_content(
        &self,
        tenant: &TenantId,
        client_id: Option<&str>,
        asset_id: Option<&str>,
        text: Option<String>,
        channel: Option<&str>,
        language: Option<&str>,
        keywords: &[String],
    ) -> Result<ContentScore, AppError> {
        let (client, fields, language, channel) = match (asset_id, text) {
            (Some(id), None) => {
                let a = self.get_asset(tenant, id).await?;
                let fields: Fields = match &a.fields {
                    Some(f) => f.iter().map(|f| (f.name.clone(), f.text.clone())).collect(),
                    None => vec![("body".into(), a.body.clone())],
                };
                let ch = match channel {
                    Some(c) => Some(Placement::parse(c)?),
                    None => a.placement,
                };
                (Some(a.client_id), fields, a.language, ch)
            }
            (None, Some(t)) => {
                if t.trim().is_empty() || t.chars().count() > crate::domain::MAX_BODY_CHARS {
                    return Err(AppError::invalid(
                        "text",
                        format!("1 to {} characters", crate::domain::MAX_BODY_CHARS),
                        t,
                    ));
                }
                let ch = channel.map(Placement::parse).transpose()?;
                let lang = Language::parse(language.unwrap_or(""))?;
                let client = client_id.map(ClientId::parse).transpose()?;
                let fields: Fields = match ch {
                    Some(p) => {
                        let main = p
                            .spec()
                            .fields
                            .iter()
                            .max_by_key(|f| f.max)
                            .map(|f| f.name)
                            .unwrap_or("body");
                        vec![(main.to_owned(), t)]
                    }
                    None => vec![("body".into(), t)],
                };
                (client, fields, lang, ch)
            }
            _ => {
                return Err(AppError::invalid(
                    "asset_id",
                    "either asset_id or text (not both)",
                    "",
                ));
            }
        };
        let client = match (client, client_id) {
            (Some(c), _) => Some(c),
            (None, Some(c)) => Some(ClientId::parse(c)?),
            _ => None,
        };
        let brand = match &client {
            Some(c) => self.store.brand(tenant, c).await?,
            None => None,
        };
        let text = fields
            .iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let limit_violations = match channel {
            // A bare text is scored as the channel's main field: its length
            // and content rules apply, not the other fields' counts.
            Some(p) => violations(p, &fields)
                .into_iter()
                .filter(|v| asset_id.is_some() || !v.contains(" takes "))
                .collect(),
            None => Vec::new(),
        };
        let brand_violations = brand
            .as_ref()
            .map(|b| {
                b.guidelines.check(
                    &text,
                    channel.and_then(long_field).is_some() || channel.is_none(),
                )
            })
            .unwrap_or_default();
        let readability = seo::readability(&text, language);
        let covered: Vec<String> = seo::covered(&text, keywords)
            .into_iter()
            .map(str::to_owned)
            .collect();
        let missing: Vec<String> = keywords
            .iter()
            .filter(|k| !covered.contains(k))
            .cloned()
            .collect();
        let mut score = 0.0;
        if limit_violations.is_empty() {
            score += 40.0;
        }
        score += (30.0 - 10.0 * brand_violations.len() as f64).max(0.0);
        score += 20.0 * (readability.score / 60.0).min(1.0);
        score += if keywords.is_empty() {
            10.0
        } else {
            10.0 * covered.len() as f64 / keywords.len() as f64
        };
        Ok(ContentScore {
            score: score.round() as u32,
            channel,
            limit_violations,
            brand_violations,
            readability,
            keywords_covered: covered,
            keywords_missing: missing,
        })
    }

    /// SEO/answer-engine optimisation of an asset's text, with scores before and after.
    pub async fn optimize_for_search(
        &self,
        tenant: &TenantId,
        asset_id: &str,
        keywords: &[String],
    ) -> Result<SearchOptimization, AppError> {
        if keywords.is_empty() || keywords.len() > 10 {
            return Err(AppError::invalid(
                "keywords",
                "1 to 10 keywords, the main one first",
                keywords.len().to_string(),
            ));
        }
        let keywords: Vec<String> = keywords
            .iter()
            .map(|k| k.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        if let Some(k) = keywords
            .iter()
            .find(|k| k.is_empty() || k.chars().count() > 60)
        {
            return Err(AppError::invalid(
                "keywords",
                "keywords of 1 to 60 characters",
                k,
            ));
        }
        let a = self.get_asset(tenant, asset_id).await?;
        let body = match &a.fields {
            Some(f) => f
                .iter()
                .filter(|f| {
                    matches!(
                        f.name.as_str(),
                        "body"
                            | "post"
                            | "primary_text"
                            | "subheadline"
                            | "caption"
                            | "text"
                            | "description"
                    )
                })
                .map(|f| f.text.clone())
                .collect::<Vec<_>>()
                .join("\n\n"),
            None => a.body.clone(),
        };
        let body = if body.trim().is_empty() {
            a.body.clone()
        } else {
            body
        };
        let title = a.title.clone().unwrap_or_default();
        let before = seo::score(&title, "", &body, &keywords, a.language);
        let page = seo::optimize(&title, &body, &keywords, a.language);
        let after = seo::score(
            &page.title,
            &page.meta_description,
            &page.body,
            &keywords,
            a.language,
        );
        Ok(SearchOptimization {
            asset_id: a.id.into_string(),
            language: a.language,
            before,
            after,
            optimized: page,
        })
    }

    /// Art direction per channel; with an image endpoint configured and
    /// `generate_images`, the images too, stored in the data dir as assets.
    pub async fn visual_brief(
        &self,
        tenant: &TenantId,
        author: &str,
        input: &VisualBriefInput,
    ) -> Result<VisualBrief, AppError> {
        let client = ClientId::parse(&input.client_id)?;
        let campaign = input
            .campaign_id
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| validate_id("campaign_id", c))
            .transpose()?;
        let dirs = directions(input)?;
        let language = Language::parse(&input.language)?;
        let mut notes = Vec::new();
        let mut items = Vec::new();
        let images = match (&self.images, &self.data_dir, input.generate_images) {
            (Some(cfg), Some(dir), true) => Some((cfg, dir)),
            (None, _, true) | (_, None, true) => {
                notes.push("no image endpoint is configured (set PROMPTSALES_IMAGE_BASE_URL): art direction only, no images".into());
                None
            }
            _ => None,
        };
        for d in dirs {
            let image = match images {
                Some((cfg, dir)) if d.medium == "image" => {
                    let (bytes, kind) =
                        crate::llm::generate_image(cfg, &d.image_prompt, &d.generation_size)
                            .await?;
                    let name = format!(
                        "{:016x}.{}",
                        stable_hash(&[&String::from_utf8_lossy(&bytes)]),
                        if kind == "jpeg" { "jpg" } else { kind }
                    );
                    let folder = dir.join("content").join("images").join(tenant.as_str());
                    tokio::fs::create_dir_all(&folder).await.map_err(|e| {
                        AppError::Internal(format!("creating {}: {e}", folder.display()))
                    })?;
                    let path = folder.join(name);
                    tokio::fs::write(&path, &bytes).await.map_err(|e| {
                        AppError::Internal(format!("writing {}: {e}", path.display()))
                    })?;
                    let asset = self
                        .store
                        .create_asset(
                            tenant,
                            &NewAsset {
                                client_id: client.clone(),
                                campaign_id: campaign.clone(),
                                channel: d.channel.spec().library_channel,
                                format: AssetFormat::Image,
                                language,
                                title: Some(d.alt_text.clone()),
                                body: path.display().to_string(),
                                rights: None,
                                created_by: Some(author.to_owned()),
                                placement: None,
                                fields: None,
                            },
                        )
                        .await?;
                    Some(GeneratedImage {
                        asset_id: asset.id.into_string(),
                        path: path.display().to_string(),
                        bytes: bytes.len(),
                        kind: kind.into(),
                    })
                }
                Some(_) => {
                    notes.push(format!(
                        "{}: video is art direction only (the endpoint makes still images)",
                        d.channel
                    ));
                    None
                }
                None => None,
            };
            items.push(VisualBriefItem {
                direction: d,
                image,
            });
        }
        Ok(VisualBrief { items, notes })
    }
}
