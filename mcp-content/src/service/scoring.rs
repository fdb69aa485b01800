//! `score_content` and `optimize_for_search`: limits, brand, readability,
//! keywords; search and answer-engine optimisation.

use promptsales_shared::AppError;
use promptsales_shared::domain::{ClientId, TenantId};
use serde::Serialize;

use super::{ContentService, long_field};
use crate::domain::brand::BrandViolation;
use crate::domain::channels::Placement;
use crate::domain::copy::{Fields, violations};
use crate::domain::seo::{self, Readability, SeoPage, SeoScores};
use crate::domain::{Language, MAX_BODY_CHARS};

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

impl ContentService {
    /// Scores text (or an asset) for a channel's limits, the client's brand,
    /// readability and keywords.
    #[allow(clippy::too_many_arguments)]
    pub async fn score_content(
        &self,
        tenant: &TenantId,
        client_id: Option<&str>,
        asset_id: Option<&str>,
        text: Option<String>,
        channel: Option<Placement>,
        language: Option<Language>,
        keywords: &[String],
    ) -> Result<ContentScore, AppError> {
        let (client, fields, language, channel) = match (asset_id, text) {
            (Some(id), None) => {
                let a = self.get_asset(tenant, id).await?;
                let fields: Fields = match &a.fields {
                    Some(f) => f.iter().map(|f| (f.name.clone(), f.text.clone())).collect(),
                    None => vec![("body".into(), a.body.clone())],
                };
                let ch = channel.or(a.placement);
                (Some(a.client_id), fields, a.language, ch)
            }
            (None, Some(t)) => {
                if t.trim().is_empty() || t.chars().count() > MAX_BODY_CHARS {
                    return Err(AppError::invalid(
                        "text",
                        format!("1 to {MAX_BODY_CHARS} characters"),
                        t,
                    ));
                }
                let ch = channel;
                let lang = language.ok_or_else(|| {
                    AppError::invalid("language", "en or es (the language of the text)", "")
                })?;
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
                let keep: Vec<&str> = keywords.iter().map(String::as_str).collect();
                b.guidelines.check(
                    &text,
                    channel.and_then(long_field).is_some() || channel.is_none(),
                    Some(language),
                    &keep,
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
}
