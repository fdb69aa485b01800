//! Pure types and rules of the CRM context: no I/O. The lead, sale, seller
//! and interaction types are `crm-read`'s (other contexts share them); the
//! server's own rules (contacts and the ledger, scoring, intent,
//! assignment) live here.

mod assignment;
mod contact;
pub mod intent;
pub mod scoring;

pub use assignment::AssignStrategy;
pub use contact::{
    ConsentKind, ConsentState, ContactChannel, DirectChannel, country_of_phone, normalise_email,
    normalise_phone,
};
pub use crm_read::domain::{
    Direction, Interaction, InteractionId, Lead, LeadId, LeadStage, Sale, SaleId, Seller, SellerId,
};
pub use scoring::Language;
