//! Brand guidelines: set and read them; apply and check them on generated copy.

use promptsales_shared::AppError;
use promptsales_shared::domain::{ClientId, TenantId};

use super::{ContentService, long_field};
use crate::domain::brand::{BrandGuidelines, BrandViolation, ClientBrand};
use crate::domain::brief::Brief;
use crate::domain::channels::{Placement, fits};
use crate::domain::copy::Fields;
use crate::domain::seo;

/// Applies the brand's preferred terms and required disclaimers (those in
/// the copy's language) to a variant's fields; nothing is cut: what no
/// longer fits is the defect checker's to refuse.
pub(super) fn brand_fields(
    p: Placement,
    fields: Fields,
    brand: Option<&BrandGuidelines>,
    brief: &Brief,
) -> (Fields, Vec<String>) {
    let Some(g) = brand else {
        return (fields, Vec::new());
    };
    let keep = kept(brief);
    let keep: Vec<&str> = keep.iter().map(String::as_str).collect();
    let mut fields: Fields = fields
        .into_iter()
        // A display path is a URL segment, not prose.
        .map(|(n, t)| {
            let t = if n == "path" {
                t
            } else {
                g.apply_preferred(&t, &keep)
            };
            (n, t)
        })
        .collect();
    let mut notes = Vec::new();
    if let Some(long) = long_field(p)
        && let Some(spec) = p.spec().field(long)
        && let Some((_, text)) = fields.iter_mut().find(|(n, _)| n == long)
    {
        for d in g.disclaimers(Some(brief.language)) {
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
    (fields, notes)
}

/// Brand check of a whole variant.
pub(super) fn brand_check(
    p: Placement,
    fields: &Fields,
    brand: Option<&BrandGuidelines>,
    brief: &Brief,
) -> Vec<BrandViolation> {
    let Some(g) = brand else {
        return Vec::new();
    };
    let text = fields
        .iter()
        .filter(|(n, _)| n != "path")
        .map(|(_, t)| t.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let keep = kept(brief);
    let keep: Vec<&str> = keep.iter().map(String::as_str).collect();
    g.check(&text, long_field(p).is_some(), Some(brief.language), &keep)
}

/// What preferred terms never rewrite: the product's names and the
/// keywords, as given and with their proper capitals.
fn kept(brief: &Brief) -> Vec<String> {
    let mut keep = vec![brief.product.clone(), brief.short_name()];
    for k in &brief.keywords {
        keep.push(k.clone());
        keep.push(brief.proper_keyword(k));
    }
    keep
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
}
