//! The shop's documents (order slip, delivery note, invoice, receipt) issued as one PDF for
//! one order or a selection, the shop's details they print (Settings), and the deposit
//! check (入金チェック).
//!
//! A document is built from the order as the store has it now: its items and shipping,
//! then a line for each change since the sale (refund, amount change, cancellation), so its
//! total is what the payment holds (`domain::deposit::held_amount`) and it never
//! contradicts the payment. Each issue is recorded (`document_issues`) with a history line;
//! the second issue of a kind is marked 再発行. A selection is issued whole or not at all:
//! one order that cannot have the document refuses the file and is named.

use std::path::Path;

use chrono::NaiveDate;
use documents::{Adjustment, DocumentError, DocumentKind, Issue, Line, OrderDocument, Shop};
use domain::deposit::held_amount;
use domain::invoice::{RegistrationNumber, TaxRate};
use domain::{Order, OrderId, PaymentStatus, RULES, Yen};
use store::documents::{ItemRate, ShopImage, ShopProfile};

use crate::ErrorCode;
use crate::context::Context;
use crate::dto::OrderDetail;
use crate::dto::documents::{
    DepositCheckInput, DocumentKindCode, DocumentsReport, IssueDocumentsRequest, IssuedDocument,
    ItemRateCode, RoundingCode, ShopDetails, ShopDetailsInput, ShopImageCode,
};
use crate::files::{UserFile, read_user_file};
use crate::orders;
use crate::{AppError, Text};

fn kind_of(code: DocumentKindCode) -> DocumentKind {
    match code {
        DocumentKindCode::OrderSlip => DocumentKind::OrderSlip,
        DocumentKindCode::DeliveryNote => DocumentKind::DeliveryNote,
        DocumentKindCode::Invoice => DocumentKind::Invoice,
        DocumentKindCode::Receipt => DocumentKind::Receipt,
    }
}

/// The letter that starts a document's number.
fn letter(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::OrderSlip => "S",
        DocumentKind::DeliveryNote => "D",
        DocumentKind::Invoice => "I",
        DocumentKind::Receipt => "R",
    }
}

fn english_title(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::OrderSlip => "order slip",
        DocumentKind::DeliveryNote => "delivery note",
        DocumentKind::Invoice => "invoice",
        DocumentKind::Receipt => "receipt",
    }
}

/// "Set it in Settings, under the shop's details": where every missing detail is set.
fn in_settings() -> Text {
    Text::new(
        "設定画面の「帳票に載せるお店の情報」で入力して保存してください。",
        "Enter it in Settings, under \"Shop details for documents\", and save.",
    )
}

/// Where the shop's name is set.
/// The shop's name (Settings' shop section), blank when not set.
fn shop_name(store: &store::Store) -> Result<String, AppError> {
    Ok(store
        .setting(crate::settings::keys::SHOP_NAME)?
        .unwrap_or_default()
        .trim()
        .to_owned())
}

fn from_document_error(e: &DocumentError) -> AppError {
    let action = matches!(e, DocumentError::NoRegistrationNumber).then(in_settings);
    AppError::foreign(e.code(), crate::convert::text(&e.message()), action)
}

/// Optional text: blank is none.
fn optional(value: &str) -> Option<String> {
    let v = value.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

fn details_dto(name: String, p: &ShopProfile) -> ShopDetails {
    ShopDetails {
        name,
        postal_code: p.postal_code.clone().unwrap_or_default(),
        address: p.address.clone().unwrap_or_default(),
        phone: p.phone.clone().unwrap_or_default(),
        registration_number: p.registration_number.clone().unwrap_or_default(),
        rounding: match p.rounding {
            domain::invoice::Rounding::Down => RoundingCode::Down,
            domain::invoice::Rounding::Up => RoundingCode::Up,
            domain::invoice::Rounding::HalfUp => RoundingCode::HalfUp,
        },
        item_rate: match p.item_rate {
            ItemRate::Standard => ItemRateCode::Standard,
            ItemRate::Reduced => ItemRateCode::Reduced,
        },
        has_logo: p.logo_png.is_some(),
        has_seal: p.seal_png.is_some(),
    }
}

/// The shop as the documents crate draws it.
fn shop_of(name: String, p: &ShopProfile) -> Shop {
    Shop {
        name,
        postal_code: p.postal_code.clone(),
        address: p.address.clone(),
        phone: p.phone.clone(),
        registration_number: p
            .registration_number
            .as_deref()
            .and_then(|n| RegistrationNumber::parse(n).ok()),
        rounding: p.rounding,
        logo_png: p.logo_png.clone(),
        seal_png: p.seal_png.clone(),
    }
}

fn japan_day(at: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    at.with_timezone(&domain::history::JAPAN).date_naive()
}

/// Why this order cannot have a document of this kind, in plain words.
fn refusal(kind: DocumentKind, order: &Order) -> Option<Text> {
    let held = held_amount(order);
    if held.0 <= 0 && kind != DocumentKind::OrderSlip {
        return Some(Text::new(
            &format!(
                "決済に代金が残っていない（取消・全額返金・期限切れ）ため、{}は発行できません（受注伝票は発行できます）。",
                kind.title()
            ),
            &format!(
                "the payment holds nothing (cancelled, fully refunded or expired), so no {} can be issued (an order slip can).",
                english_title(kind)
            ),
        ));
    }
    if kind == DocumentKind::Receipt && !domain::deposit::is_captured(order) {
        return Some(Text::new(
            "領収書は代金を受け取った証明なので、売上確定の後に発行できます（それまでは請求書を発行できます）。",
            "a receipt certifies that the money was received, so it can be issued once the payment is captured (an invoice can be issued before).",
        ));
    }
    None
}

/// The order as a document prints it now: items and shipping as sold, then a line for each
/// change since (each refund with its Japan day, an amount change, a cancellation), adding
/// up to what the payment holds. `refunds` are the ledger's, oldest first.
fn order_document(
    order: &Order,
    details: Option<&store::OrderDetails>,
    profile: &ShopProfile,
    refunds: &[(chrono::NaiveDate, Yen)],
) -> OrderDocument {
    // The shop's rate, for items that have none of their own.
    let rate = profile.item_rate.rate();
    let captured = domain::deposit::is_captured(order);
    let held = held_amount(order);
    let mut lines: Vec<Line> = details
        .map(|d| {
            d.items
                .iter()
                .map(|i| Line {
                    title: i.title.clone(),
                    quantity: i.quantity,
                    unit_price: i.unit_price,
                    rate: i.tax_rate.unwrap_or(rate),
                })
                .collect()
        })
        .unwrap_or_default();
    let shipping_fee = details
        .and_then(|d| d.order_shipping)
        .filter(|fee| fee.0 != 0);
    // No item details (an order known only from the gateway): one line of what was sold.
    if lines.is_empty() {
        let sold = if captured {
            order.captured_amount
        } else {
            order.amount
        };
        lines.push(Line {
            title: format!("ご注文代金（注文番号 {}）", order.order_number),
            quantity: 1,
            unit_price: Yen(sold.0 - shipping_fee.map_or(0, |f| f.0)),
            rate,
        });
    }
    let sold: i64 = lines
        .iter()
        .map(|l| l.unit_price.0 * l.quantity)
        .sum::<i64>()
        + shipping_fee.map_or(0, |f| f.0);
    // Refunds and amount changes do not say which item they concern: they carry the items'
    // rate, or, when the items have two rates, are split over them in proportion (按分).
    let mut shares: Vec<(TaxRate, Yen)> = Vec::new();
    for l in &lines {
        match shares.iter_mut().find(|(r, _)| *r == l.rate) {
            Some((_, total)) => total.0 += l.unit_price.0 * l.quantity,
            None => shares.push((l.rate, Yen(l.unit_price.0 * l.quantity))),
        }
    }
    let split = shares.len() > 1;
    let mut adjustments = Vec::new();
    let mut adjust = |label: String, amount: Yen| {
        for (rate, part) in domain::invoice::allocate(amount, &shares) {
            let label = if split {
                format!("{label}（{}%対象）", rate.percent())
            } else {
                label.clone()
            };
            adjustments.push(Adjustment {
                label,
                amount: part,
                rate,
            });
        }
    };
    if order.refunded_amount.0 > 0 {
        let label = if held.0 > 0 {
            "一部返金"
        } else {
            "全額返金"
        };
        // One line per refund with its day when the ledger's refunds add up to the
        // payment's; otherwise (a refund the ledger only estimated) one line of the total.
        let ledger_total: i64 = refunds.iter().map(|(_, y)| y.0).sum();
        if ledger_total == order.refunded_amount.0 {
            for (day, amount) in refunds {
                adjust(
                    format!("{label}（{}）", day.format("%Y年%-m月%-d日")),
                    Yen(-amount.0),
                );
            }
        } else {
            adjust(label.into(), Yen(-order.refunded_amount.0));
        }
    }
    let rest = held.0 - (sold - order.refunded_amount.0);
    if rest != 0 {
        let label = match order.status {
            PaymentStatus::Cancelled | PaymentStatus::CancelPending => "決済の取消",
            PaymentStatus::AuthorizationExpired => "決済の期限切れ",
            PaymentStatus::AuthorizationFailed => "決済の不成立",
            _ => "金額変更",
        };
        adjust(label.into(), Yen(rest));
    }
    let mut note = if held.0 > 0 {
        None
    } else if order.refunded_amount.0 > 0 {
        Some("この注文は全額返金されました。".to_owned())
    } else {
        Some("この注文の決済は取り消されました（お支払いはありません）。".to_owned())
    };
    if split && !adjustments.is_empty() {
        let why = "返金・金額変更は、税率ごとの商品代金の割合で按分しています。";
        note = Some(note.map_or_else(|| why.to_owned(), |n| format!("{n}{why}")));
    }
    let (postal, address) = match details {
        Some(d) => {
            let address: Vec<&str> = [
                &d.shipping_state,
                &d.shipping_city,
                &d.shipping_line1,
                &d.shipping_line2,
            ]
            .into_iter()
            .filter_map(|p| p.as_deref())
            .filter(|p| !p.trim().is_empty())
            .collect();
            (
                d.shipping_zip.clone().filter(|z| !z.trim().is_empty()),
                (!address.is_empty()).then(|| address.join(" ")),
            )
        }
        None => (None, None),
    };
    OrderDocument {
        order_number: order.order_number.clone(),
        ordered_on: japan_day(order.ordered_at),
        buyer_name: details
            .and_then(|d| d.buyer_name.clone())
            .or_else(|| order.buyer_name.clone())
            .unwrap_or_default(),
        buyer_postal_code: postal,
        buyer_address: address,
        payment_method: match order.method {
            domain::PaymentMethod::Card => "クレジットカード".into(),
            domain::PaymentMethod::Paidy => "あと払い（ペイディ）".into(),
        },
        lines,
        shipping_fee,
        adjustments,
        payment_amount: held,
        note,
    }
}

/// The shop's details for its documents.
pub(crate) async fn shop_details(cx: &Context) -> Result<ShopDetails, AppError> {
    let store = cx.store();
    Ok(details_dto(shop_name(&store)?, &store.shop_profile()?))
}

/// Saves the shop's details; a registration number that does not check out is refused
/// and nothing is saved.
pub(crate) async fn save_shop_details(
    cx: &Context,
    input: ShopDetailsInput,
) -> Result<ShopDetails, AppError> {
    let registration_number = match optional(&input.registration_number) {
        None => None,
        Some(typed) => Some(
            RegistrationNumber::parse(&typed)
                .map_err(|e| AppError::foreign(e.code(), crate::convert::text(&e.message()), None))?
                .as_str()
                .to_owned(),
        ),
    };
    let limit = RULES.buyer_text_max_chars;
    for (value, ja, en) in [
        (&input.postal_code, "郵便番号", "postal code"),
        (&input.address, "住所", "address"),
        (&input.phone, "電話番号", "phone number"),
    ] {
        if value.trim().chars().count() > limit {
            return Err(AppError::of(ErrorCode::ShopDetailTooLong)
                .with_each("field", ja, en)
                .with("max", limit)
                .into());
        }
    }
    let now = cx.now();
    let mut store = cx.store();
    let mut profile = store.shop_profile()?;
    profile.postal_code = optional(&input.postal_code);
    profile.address = optional(&input.address);
    profile.phone = optional(&input.phone);
    profile.registration_number = registration_number;
    profile.rounding = match input.rounding {
        RoundingCode::Down => domain::invoice::Rounding::Down,
        RoundingCode::Up => domain::invoice::Rounding::Up,
        RoundingCode::HalfUp => domain::invoice::Rounding::HalfUp,
    };
    profile.item_rate = match input.item_rate {
        ItemRateCode::Standard => ItemRate::Standard,
        ItemRateCode::Reduced => ItemRate::Reduced,
    };
    store.save_shop_profile(&profile, now)?;
    Ok(details_dto(shop_name(&store)?, &store.shop_profile()?))
}

/// Sets the logo or seal from a PNG file (read under `RULES.max_image_file_bytes`,
/// checked by drawing it), or removes it with `None`.
pub(crate) async fn set_shop_image(
    cx: &Context,
    which: ShopImageCode,
    path: Option<String>,
) -> Result<ShopDetails, AppError> {
    let png = match path.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(path) => {
            let bytes = read_user_file(Path::new(path), UserFile::Image, "画像", "image ")?;
            documents::check_image(&bytes)
                .map_err(|_| AppError::of(ErrorCode::ImageNotPng).with("path", path))?;
            Some(bytes)
        }
    };
    let which = match which {
        ShopImageCode::Logo => ShopImage::Logo,
        ShopImageCode::Seal => ShopImage::Seal,
    };
    let now = cx.now();
    let mut store = cx.store();
    store.set_shop_image(which, png.as_deref(), now)?;
    Ok(details_dto(shop_name(&store)?, &store.shop_profile()?))
}

/// Issues documents of one kind for the orders into one PDF at `path`, built from each
/// order as it stands now, and records each issue in the order's history.
pub(crate) async fn issue_documents(
    cx: &Context,
    request: IssueDocumentsRequest,
) -> Result<DocumentsReport, AppError> {
    let kind = kind_of(request.kind);
    let path = request.path.trim();
    if path.is_empty() {
        return Err(AppError::of(ErrorCode::NoPath).into());
    }
    if request.order_ids.len() > RULES.max_orders_per_document_file {
        return Err(AppError::of(ErrorCode::TooManyDocuments)
            .with("max", RULES.max_orders_per_document_file)
            .into());
    }
    let now = cx.now();
    let (shop, pages, issues) = {
        let store = cx.store();
        let profile = store.shop_profile()?;
        let name = shop_name(&store)?;
        if name.is_empty() {
            return Err(AppError::of(ErrorCode::ShopNameMissing).into());
        }
        let shop = shop_of(name, &profile);
        if kind.is_qualified_invoice() && shop.registration_number.is_none() {
            return Err(from_document_error(&DocumentError::NoRegistrationNumber));
        }
        let mut refused: Vec<(String, Text)> = Vec::new();
        let mut pages = Vec::new();
        let mut issues = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for &id in &request.order_ids {
            if !seen.insert(id) {
                continue;
            }
            let order = store
                .get_order(OrderId(id))?
                .ok_or_else(|| AppError::order_not_found(id))?;
            if let Some(why) = refusal(kind, &order) {
                // Named as the shop knows it: its number, else its transaction ID.
                let name = if order.order_number.is_empty() {
                    order.payment_id.clone()
                } else {
                    order.order_number.clone()
                };
                refused.push((name, why));
                continue;
            }
            let details = store.order_details(OrderId(id))?;
            let refunds: Vec<(chrono::NaiveDate, Yen)> = store
                .order_movements(OrderId(id))?
                .into_iter()
                .filter(|m| m.kind == domain::money::MovementKind::Refund)
                .map(|m| (domain::money::tokyo_day(m.at), m.amount))
                .collect();
            let document = order_document(&order, details.as_ref(), &profile, &refunds);
            let count = store.document_issue_count(OrderId(id), kind.code())?;
            let number_part = if order.order_number.is_empty() {
                id.to_string()
            } else {
                order.order_number.clone()
            };
            let issue = Issue {
                issued_on: japan_day(now),
                number: format!("{}-{number_part}-{}", letter(kind), count + 1),
                reissue: count > 0,
            };
            let (ja, en) = if issue.reissue {
                ("を再発行しました", "reissued")
            } else {
                ("を発行しました", "issued")
            };
            issues.push(store::DocumentIssue {
                order: OrderId(id),
                kind: kind.code(),
                number: issue.number.clone(),
                reissue: issue.reissue,
                amount: document.payment_amount,
                history: domain::Text::new(
                    format!(
                        "{}（{}、{}）{ja}",
                        kind.title(),
                        issue.number,
                        domain::history::yen(document.payment_amount)
                    ),
                    format!(
                        "{} {} ({}, {}) {en}",
                        english_title(kind),
                        issue.number,
                        domain::history::yen(document.payment_amount),
                        if issue.reissue {
                            "marked 再発行"
                        } else {
                            "first copy"
                        }
                    ),
                ),
            });
            pages.push((document, issue));
        }
        if !refused.is_empty() {
            let list_ja: Vec<String> = refused
                .iter()
                .map(|(n, why)| format!("注文 {n}: {}", why.ja))
                .collect();
            let list_en: Vec<String> = refused
                .iter()
                .map(|(n, why)| format!("order {n}: {}", why.en))
                .collect();
            let code = if kind == DocumentKind::Receipt {
                ErrorCode::ReceiptRefused
            } else {
                ErrorCode::DocumentRefused
            };
            return Err(AppError::of(code)
                .with_each("document", kind.title(), english_title(kind))
                .with_each("orders", list_ja.join(" "), list_en.join(" "))
                .into());
        }
        (shop, pages, issues)
    };
    // Drawn without the store's lock: 50 documents take about a second.
    let pdf = documents::render(kind, &shop, &pages).map_err(|e| from_document_error(&e))?;
    // Recorded as the file is written, in one transaction: a failed write records
    // nothing, and a number issued meanwhile writes no file.
    cx.store().record_document_issues(&issues, now, || {
        crate::files::write_user_file(Path::new(path), &pdf)
    })?;
    let ids: Vec<i64> = issues.iter().map(|i| i.order.0).collect();
    cx.orders_changed(&ids);
    Ok(DocumentsReport {
        path: path.to_owned(),
        kind: request.kind,
        documents: issues
            .iter()
            .zip(&pages)
            .map(|(i, (d, _))| IssuedDocument {
                order_id: i.order.0,
                order_number: d.order_number.clone(),
                number: i.number.clone(),
                reissue: i.reissue,
                amount_yen: i.amount.0,
            })
            .collect(),
        bytes: u32::try_from(pdf.len()).unwrap_or(u32::MAX),
    })
}

/// Marks the order's deposit received (after the capture only), or changes the mark.
pub(crate) async fn mark_deposit(
    cx: &Context,
    order_id: i64,
    input: DepositCheckInput,
) -> Result<OrderDetail, AppError> {
    let day = NaiveDate::parse_from_str(input.received_on.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::of(ErrorCode::InvalidDate)
            .with_each("field", "入金日", "deposit day")
            .with("value", &input.received_on)
    })?;
    let now = cx.now();
    {
        let mut store = cx.store();
        let order = store
            .get_order(OrderId(order_id))?
            .ok_or_else(|| AppError::order_not_found(order_id))?;
        let deposit =
            domain::deposit::check(&order, day, input.amount_yen.map(Yen), japan_day(now))
                .map_err(|r| {
                    AppError::foreign(r.code(), crate::convert::text(&r.message()), None)
                })?;
        store.mark_deposit(OrderId(order_id), &deposit, now)?;
    }
    cx.orders_changed(&[order_id]);
    orders::get_order(cx, order_id)
}

/// Undoes the deposit mark (recorded in the history).
pub(crate) async fn undo_deposit(cx: &Context, order_id: i64) -> Result<OrderDetail, AppError> {
    let now = cx.now();
    let undone = cx.store().undo_deposit(OrderId(order_id), now)?;
    if undone.is_none() {
        return Err(AppError::of(ErrorCode::DepositNotMarked).into());
    }
    cx.orders_changed(&[order_id]);
    orders::get_order(cx, order_id)
}
