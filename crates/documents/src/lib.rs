//! The shop's printable documents as PDF: order slip (受注伝票), delivery note (納品書),
//! invoice (請求書) and receipt (領収書), A4, in Japanese, with the BIZ UDGothic font
//! embedded as a subset (only the glyphs a document uses).
//!
//! Layout: [`model`] holds what a document says (the shop, one order as it stands at the
//! gateway, the issue); [`render`] checks it and draws one page or more per order into one
//! PDF; `layout` is the drawing. The invoice and the receipt are qualified invoices
//! (適格請求書, 適格簡易請求書 for the receipt): they carry the shop's registration number
//! and, per tax rate, the tax-inclusive total and the tax in it, rounded once per rate
//! (`domain::invoice`). A document never contradicts the payment: its lines must add up to
//! the amount the payment holds now (after refunds and amount changes), or it is refused.

mod layout;
pub mod model;

use domain::Yen;
use domain::invoice::{TaxedAmount, totals_per_rate};

pub use model::{Adjustment, DocumentKind, Issue, Line, OrderDocument, Shop};

/// Why a document was not made. Each says what to do, in plain words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// An invoice or receipt needs the shop's registration number.
    #[error("no registration number")]
    NoRegistrationNumber,
    /// The lines do not add up to what the payment holds now.
    #[error("order {order_number}: lines total {lines}, the payment holds {payment}")]
    TotalsDisagree {
        order_number: String,
        lines: Yen,
        payment: Yen,
    },
    /// Nothing to print.
    #[error("no orders")]
    NoOrders,
    /// The PDF could not be written (a damaged logo or seal image, for example).
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

impl DocumentError {
    /// The stable code the UI switches on.
    pub fn code(&self) -> &'static str {
        match self {
            DocumentError::NoRegistrationNumber => "document_no_registration_number",
            DocumentError::TotalsDisagree { .. } => "document_totals_disagree",
            DocumentError::NoOrders => "document_no_orders",
            DocumentError::Pdf(_) => "document_pdf",
        }
    }

    /// What happened and what to do, in Japanese and English.
    pub fn message(&self) -> domain::Text {
        match self {
            DocumentError::NoRegistrationNumber => domain::Text::new(
                "請求書と領収書には適格請求書発行事業者の登録番号が必要です。設定の「お店の情報」で登録番号（T＋13桁）を入れてください。",
                "Invoices and receipts need the shop's qualified invoice registration number. Enter it (T and 13 digits) in Settings, under the shop's details.",
            ),
            DocumentError::TotalsDisagree {
                order_number,
                lines,
                payment,
            } => domain::Text::new(
                format!(
                    "注文 {order_number} の明細の合計（{}）が決済の金額（{}）と合いません。返金や金額変更の後は、明細をそろえてから発行してください。",
                    domain::history::yen(*lines),
                    domain::history::yen(*payment)
                ),
                format!(
                    "Order {order_number}: its lines add up to {} but the payment holds {}. After a refund or an amount change, bring the lines in line before issuing.",
                    domain::history::yen(*lines),
                    domain::history::yen(*payment)
                ),
            ),
            DocumentError::NoOrders => domain::Text::new(
                "発行する注文が選ばれていません。",
                "No order is selected to issue.",
            ),
            DocumentError::Pdf(e) => domain::Text::new(
                format!(
                    "PDFを作れませんでした（{e}）。ロゴや印影の画像をPNGで入れ直してください。"
                ),
                format!(
                    "The PDF could not be made ({e}). Set the logo or seal image again as a PNG."
                ),
            ),
        }
    }
}

/// The priced lines of one order with their rates: items, shipping (standard rate, as a
/// delivery service) and adjustments (refunds and amount changes, negative or positive).
pub fn taxed_amounts(order: &OrderDocument) -> Vec<TaxedAmount> {
    let items = order.lines.iter().map(|l| TaxedAmount {
        rate: l.rate,
        amount: Yen(l.unit_price.0 * l.quantity),
    });
    let shipping = order.shipping_fee.map(|fee| TaxedAmount {
        rate: domain::invoice::TaxRate::Standard,
        amount: fee,
    });
    let adjustments = order.adjustments.iter().map(|a| TaxedAmount {
        rate: a.rate,
        amount: a.amount,
    });
    items.chain(shipping).chain(adjustments).collect()
}

/// Whether `png` can be drawn as the shop's logo or seal: a PNG that a one-page document
/// with it is written from. Settings check an image with this before storing it, so a
/// document never fails later for its image.
pub fn check_image(png: &[u8]) -> Result<(), DocumentError> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if !png.starts_with(SIGNATURE) {
        return Err(DocumentError::Pdf("not a PNG image".into()));
    }
    let shop = Shop {
        name: "-".into(),
        logo_png: Some(png.to_vec()),
        ..Shop::default()
    };
    let order = OrderDocument {
        order_number: "-".into(),
        ordered_on: chrono::NaiveDate::default(),
        buyer_name: "-".into(),
        buyer_postal_code: None,
        buyer_address: None,
        payment_method: "-".into(),
        lines: Vec::new(),
        shipping_fee: None,
        adjustments: Vec::new(),
        payment_amount: Yen(0),
        note: None,
    };
    let issue = Issue {
        issued_on: chrono::NaiveDate::default(),
        number: "-".into(),
        reissue: false,
    };
    render(DocumentKind::OrderSlip, &shop, &[(order, issue)]).map(|_| ())
}

/// One PDF with a document of `kind` for each order (one page or more each, in order).
pub fn render(
    kind: DocumentKind,
    shop: &Shop,
    orders: &[(OrderDocument, Issue)],
) -> Result<Vec<u8>, DocumentError> {
    if orders.is_empty() {
        return Err(DocumentError::NoOrders);
    }
    if kind.is_qualified_invoice() && shop.registration_number.is_none() {
        return Err(DocumentError::NoRegistrationNumber);
    }
    for (order, _) in orders {
        let lines: i64 = taxed_amounts(order).iter().map(|t| t.amount.0).sum();
        if lines != order.payment_amount.0 {
            return Err(DocumentError::TotalsDisagree {
                order_number: order.order_number.clone(),
                lines: Yen(lines),
                payment: order.payment_amount,
            });
        }
    }
    let pages: Vec<layout::Page> = orders
        .iter()
        .map(|(order, issue)| {
            let totals = totals_per_rate(&taxed_amounts(order), shop.rounding);
            layout::Page {
                kind,
                order,
                issue,
                totals,
            }
        })
        .collect();
    layout::draw(shop, &pages).map_err(DocumentError::Pdf)
}
