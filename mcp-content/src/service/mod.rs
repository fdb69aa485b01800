//! Use cases of the content context, one file per toolset: `library`,
//! `editing`, `approval`, `brand`, and for `generation` the copy
//! (`generation`), art direction (`visual`) and scoring (`scoring`); the
//! client's plan limits they are metered against (`usage`).

mod approval;
mod brand;
mod editing;
mod generation;
mod library;
mod scoring;
mod usage;
mod visual;

use std::path::PathBuf;

use promptsales_catalog::CatalogReader;
use promptsales_shared::cache::Cache;
use promptsales_shared::config::LlmConfig;
use promptsales_shared::domain::Channel;
use serde::Serialize;

use crate::domain::Placement;
use crate::domain::copy::Fields;
use crate::domain::{Asset, AssetStatus, FieldValue, Language};
use crate::llm::ImageConfig;
use crate::store::ContentStore;

pub use generation::{EngineChoice, GeneratedVariant, Generation};
pub use scoring::{ContentScore, SearchOptimization};
pub use visual::{GeneratedImage, VisualBrief, VisualBriefItem};

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

/// Filters of `list_assets` as they arrive from a caller: the closed
/// vocabularies typed, the ids still to check.
#[derive(Debug, Clone, Default)]
pub struct AssetQuery<'a> {
    pub client_id: Option<&'a str>,
    pub campaign_id: Option<&'a str>,
    pub channel: Option<Channel>,
    pub status: Option<AssetStatus>,
    pub language: Option<Language>,
    pub placement: Option<Placement>,
}

/// Placements whose long field is a whole piece that must carry disclaimers.
pub(super) fn long_field(p: Placement) -> Option<&'static str> {
    match p {
        Placement::Email | Placement::Web | Placement::Whatsapp => Some("body"),
        Placement::Linkedin => Some("post"),
        Placement::Meta | Placement::Instagram => Some("primary_text"),
        _ => None,
    }
}

/// The content use cases, over one store.
#[derive(Clone)]
pub struct ContentService {
    store: ContentStore,
    cache: Option<Cache>,
    llm: Option<LlmConfig>,
    images: Option<ImageConfig>,
    data_dir: Option<PathBuf>,
    /// Clients' time zones and plans (none: every client unlimited, UTC).
    catalog: Option<CatalogReader>,
}

/// Endpoints print without their keys or URL credentials.
impl std::fmt::Debug for ContentService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentService")
            .field("store", &self.store)
            .field("llm", &self.llm.clone().map(crate::llm::ChatEndpoint))
            .field("images", &self.images)
            .field("data_dir", &self.data_dir)
            .finish()
    }
}

impl ContentService {
    /// Offline only: no cache, no LLM, no image endpoint, no plans.
    pub fn new(store: ContentStore) -> Self {
        Self {
            store,
            cache: None,
            llm: None,
            images: None,
            data_dir: None,
            catalog: None,
        }
    }

    /// Plans and time zones come from the catalog: generation is metered
    /// against each client's content plan.
    pub fn with_catalog(mut self, catalog: CatalogReader) -> Self {
        self.catalog = Some(catalog);
        self
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
}

pub(super) fn field_values(fields: &Fields) -> Vec<FieldValue> {
    fields
        .iter()
        .map(|(n, t)| FieldValue {
            name: n.clone(),
            text: t.clone(),
        })
        .collect()
}
