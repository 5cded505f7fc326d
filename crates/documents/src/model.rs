//! What a document says: the shop (set once in Settings), one order as the payment stands
//! now, and the issue (date, number, first copy or reissue).

use chrono::NaiveDate;
use domain::Yen;
use domain::invoice::{RegistrationNumber, Rounding, TaxRate};

/// The four documents of the seed's order detail (step 7-4, item 7G).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// 受注伝票: the shop's own record of the order (buyer, items, payment).
    OrderSlip,
    /// 納品書: goes in the parcel.
    DeliveryNote,
    /// 請求書: a qualified invoice (適格請求書).
    Invoice,
    /// 領収書: a receipt, a simplified qualified invoice (適格簡易請求書).
    Receipt,
}

impl DocumentKind {
    /// The title printed on the document.
    pub fn title(self) -> &'static str {
        match self {
            DocumentKind::OrderSlip => "受注伝票",
            DocumentKind::DeliveryNote => "納品書",
            DocumentKind::Invoice => "請求書",
            DocumentKind::Receipt => "領収書",
        }
    }

    /// The stable code used in files and the history.
    pub fn code(self) -> &'static str {
        match self {
            DocumentKind::OrderSlip => "order_slip",
            DocumentKind::DeliveryNote => "delivery_note",
            DocumentKind::Invoice => "invoice",
            DocumentKind::Receipt => "receipt",
        }
    }

    /// Invoices and receipts carry the registration number and the tax per rate.
    pub fn is_qualified_invoice(self) -> bool {
        matches!(self, DocumentKind::Invoice | DocumentKind::Receipt)
    }
}

/// The shop as its documents name it.
#[derive(Debug, Clone, Default)]
pub struct Shop {
    pub name: String,
    pub postal_code: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub registration_number: Option<RegistrationNumber>,
    /// How the tax of each rate is rounded (once per rate per document).
    pub rounding: Rounding,
    /// A PNG drawn at the top right.
    pub logo_png: Option<Vec<u8>>,
    /// A PNG of the shop's seal (角印), drawn over the shop's name.
    pub seal_png: Option<Vec<u8>>,
}

/// One item line: tax-inclusive unit price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub title: String,
    pub quantity: i64,
    pub unit_price: Yen,
    pub rate: TaxRate,
}

/// A change to the order's amount after the sale: a refund (negative) or an amount change,
/// at the rate of what it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    /// What the document says, e.g. 「一部返金（2025-04-02）」.
    pub label: String,
    pub amount: Yen,
    pub rate: TaxRate,
}

/// One order as the payment stands now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderDocument {
    pub order_number: String,
    /// The order's date in Japan.
    pub ordered_on: NaiveDate,
    pub buyer_name: String,
    pub buyer_postal_code: Option<String>,
    pub buyer_address: Option<String>,
    /// How it was paid, as the shop owner reads it (「クレジットカード」, 「あと払い（Paidy）」).
    pub payment_method: String,
    pub lines: Vec<Line>,
    pub shipping_fee: Option<Yen>,
    pub adjustments: Vec<Adjustment>,
    /// What the payment holds now: the lines, shipping and adjustments must add up to it.
    pub payment_amount: Yen,
    /// A line printed under the title when the payment is not a plain sale, e.g.
    /// 「この注文は取り消されました」.
    pub note: Option<String>,
}

/// One issue of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The issue date in Japan.
    pub issued_on: NaiveDate,
    /// The document's number, e.g. `R-1000053-2` (kind, order, issue count).
    pub number: String,
    /// A copy issued again: marked 再発行.
    pub reissue: bool,
}
