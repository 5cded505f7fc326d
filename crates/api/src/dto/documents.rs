//! The IPC types of the shop's documents (details in Settings, issuing) and of the deposit
//! check. Conventions as in [`crate::dto`].

use serde::{Deserialize, Serialize};
use specta::Type;

/// The four documents of an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKindCode {
    /// 受注伝票
    OrderSlip,
    /// 納品書
    DeliveryNote,
    /// 請求書 (qualified invoice)
    Invoice,
    /// 領収書 (simplified qualified invoice)
    Receipt,
}

/// How the consumption tax of each rate is rounded (once per rate per document).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum RoundingCode {
    Down,
    Up,
    HalfUp,
}

/// The tax rate of the shop's items: `standard` 10%, `reduced` 8% (food and drink).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ItemRateCode {
    Standard,
    Reduced,
}

/// The logo (top right of a document) or the seal (角印, over the shop's name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ShopImageCode {
    Logo,
    Seal,
}

/// The shop as its documents print it.
#[derive(Clone, Debug, Serialize, Type)]
pub struct ShopDetails {
    /// The shop name of Settings' shop section (the mails use it too); set there.
    pub name: String,
    pub postal_code: String,
    pub address: String,
    pub phone: String,
    /// `T` + 13 digits, or empty (then no invoice or receipt can be issued).
    pub registration_number: String,
    pub rounding: RoundingCode,
    pub item_rate: ItemRateCode,
    pub has_logo: bool,
    pub has_seal: bool,
}

/// The shop's details as typed in Settings; empty boxes clear a field.
#[derive(Clone, Debug, Serialize, Deserialize, Type)]
pub struct ShopDetailsInput {
    pub postal_code: String,
    pub address: String,
    pub phone: String,
    /// As typed: full-width digits, spaces and hyphens are accepted.
    pub registration_number: String,
    pub rounding: RoundingCode,
    pub item_rate: ItemRateCode,
}

/// Documents to issue into one PDF file.
#[derive(Clone, Debug, Serialize, Deserialize, Type)]
pub struct IssueDocumentsRequest {
    pub kind: DocumentKindCode,
    #[specta(type = Vec<specta_typescript::Number>)]
    pub order_ids: Vec<i64>,
    /// Where the PDF goes (the file is replaced).
    pub path: String,
}

/// One document in the file.
#[derive(Clone, Debug, Serialize, Type)]
pub struct IssuedDocument {
    #[specta(type = specta_typescript::Number)]
    pub order_id: i64,
    pub order_number: String,
    /// e.g. `R-1000053-2`: kind, order, the how-many-th issue of this kind.
    pub number: String,
    /// Issued before: marked 再発行 on the document.
    pub reissue: bool,
    #[specta(type = specta_typescript::Number)]
    pub amount_yen: i64,
}

/// What was written.
#[derive(Clone, Debug, Serialize, Type)]
pub struct DocumentsReport {
    pub path: String,
    pub kind: DocumentKindCode,
    pub documents: Vec<IssuedDocument>,
    pub bytes: u32,
}

/// A deposit marked received.
#[derive(Clone, Debug, Serialize, Type)]
pub struct DepositDto {
    /// The Japan day, `2026-12-01`.
    pub received_on: String,
    #[specta(type = Option<specta_typescript::Number>)]
    pub amount_yen: Option<i64>,
}

/// The deposit as the shop owner marks it.
#[derive(Clone, Debug, Serialize, Deserialize, Type)]
pub struct DepositCheckInput {
    /// The Japan day, `2026-12-01`.
    pub received_on: String,
    #[specta(type = Option<specta_typescript::Number>)]
    pub amount_yen: Option<i64>,
}

/// The order lists' deposit filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum DepositFilterCode {
    /// Marked received.
    Received,
    /// Captured and not marked yet (what still waits for its deposit).
    Waiting,
}
