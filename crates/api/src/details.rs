//! Buyer and item details: Paidy's verify telegram (343) for new Paidy orders, the
//! storefront's order export (CSV import), and the order list as CSV for Excel (export).
//!
//! The import's parsing (encodings, columns, per-row checks and line numbers) is the pure
//! [`domain::storefront::parse_storefront_csv`], where the column layout is documented; here
//! the file is read, payments the shop's file names but PayDesk has no order for are
//! adopted (094), and the rows are stored on the orders they match by order number.

use std::collections::BTreeMap;
use std::path::Path;

use domain::storefront::{StorefrontRow, parse_storefront_csv, parse_yen};
use domain::{OrderId, Yen};
use paygent_codec::request::PaidyVerify;
use store::{DetailsSource, Item, OrderDetails};

use crate::dto::DeskEvent;
use crate::dto::{ExportReport, ImportReport, ImportRowError, OrderQuery};
use crate::{AppError, Desk, Text};

fn row_error(line: u32, order_number: Option<&str>, ja: &str, en: &str) -> ImportRowError {
    ImportRowError {
        line,
        order_number: order_number.map(str::to_owned),
        message: Text::new(ja, en),
    }
}

/// What a storefront row tells about its order, as the store keeps it.
fn details_of_row(row: StorefrontRow) -> OrderDetails {
    OrderDetails {
        source: DetailsSource::StorefrontCsv,
        buyer_name: row.buyer_name,
        buyer_name_kana: row.buyer_kana,
        buyer_email: row.email,
        buyer_phone: row.phone,
        shipping_zip: row.postal_code,
        shipping_state: None,
        shipping_city: None,
        shipping_line1: row.address,
        shipping_line2: None,
        order_tax: None,
        order_shipping: row.shipping_fee,
        items: row
            .items
            .into_iter()
            .map(|i| Item {
                item_id: None,
                title: i.title,
                description: None,
                unit_price: i.unit_price,
                quantity: i.quantity,
            })
            .collect(),
    }
}

/// Protects a text cell from being run as a formula by Excel.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

fn some(text: Option<&String>) -> Option<String> {
    text.map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

impl Desk {
    pub(crate) async fn import_csv(&self, path: &Path) -> Result<ImportReport, AppError> {
        let bytes = std::fs::read(path).map_err(|e| {
            AppError::refused(
                "file_unreadable",
                Text::new(
                    &format!("ファイル「{}」を読めませんでした（{e}）。", path.display()),
                    &format!("The file \"{}\" could not be read ({e}).", path.display()),
                ),
            )
        })?;
        let export = parse_storefront_csv(&bytes).map_err(|e| {
            let message = e.message();
            AppError::refused(e.code(), Text::new(&message.ja, &message.en))
        })?;
        let mut errors: Vec<ImportRowError> = export
            .errors
            .into_iter()
            .map(|e| ImportRowError {
                line: e.line,
                order_number: e.order_number,
                message: Text::new(&e.message.ja, &e.message.en),
            })
            .collect();
        let mut lines_of: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        let payment_ids: Vec<String> = export
            .rows
            .iter()
            .filter_map(|r| r.payment_id.clone())
            .collect();
        let rows: Vec<(String, OrderDetails)> = export
            .rows
            .into_iter()
            .map(|row| {
                lines_of
                    .entry(row.order_number.clone())
                    .or_default()
                    .push(row.line);
                (row.order_number.clone(), details_of_row(row))
            })
            .collect();
        let (read, encoding) = (export.records, export.encoding.code());
        // Rows whose payment PayDesk never heard of (older than the gateway keeps
        // notifications) are checked with 094 first and become orders.
        if !payment_ids.is_empty() {
            let adopted = self.adopt_payments(&payment_ids).await;
            tracing::info!(adopted, "payments from the CSV adopted");
        }
        let now = self.now();
        let summary = self.store().import_buyer_details(&rows, now)?;
        for number in &summary.unmatched {
            for line in lines_of.get(number).into_iter().flatten() {
                errors.push(row_error(
                    *line,
                    Some(number),
                    &format!("注文番号「{number}」の受注が PayDesk にありません（決済が成立していない注文か、まだ同期されていません）。"),
                    &format!("PayDesk has no order with number \"{number}\" (the payment failed, or it has not synced yet)."),
                ));
            }
        }
        errors.sort_by_key(|e| e.line);
        tracing::info!(
            rows = read,
            matched = summary.matched,
            errors = errors.len(),
            encoding,
            "storefront CSV imported"
        );
        // Many orders changed: an empty list means "reload everything".
        self.emit(DeskEvent::OrdersChanged {
            order_ids: Vec::new(),
        });
        Ok(ImportReport {
            encoding: encoding.to_owned(),
            rows: read,
            matched: u32::try_from(summary.matched).unwrap_or(u32::MAX),
            errors,
        })
    }

    pub(crate) fn export_csv(
        &self,
        path: &Path,
        query: OrderQuery,
    ) -> Result<ExportReport, AppError> {
        let mut out: Vec<u8> = b"\xEF\xBB\xBF".to_vec();
        let mut rows = 0u32;
        {
            let mut writer = csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(&mut out);
            let write_err = |e: csv::Error| AppError::internal("csv_write", &e.to_string());
            writer
                .write_record([
                    "注文番号",
                    "取引ID",
                    "決済方法",
                    "決済状況",
                    "受注日時",
                    "金額",
                    "売上確定額",
                    "返金額",
                    "返金可能額",
                    "購入者名",
                    "購入者カナ",
                    "一覧",
                    "期限",
                ])
                .map_err(write_err)?;
            let mut page_query = query.clone();
            page_query.page = 0;
            page_query.page_size = 500;
            loop {
                let page = self.list_orders_sync(&page_query)?;
                for o in &page.items {
                    let list = match o.list {
                        crate::dto::OrderListCode::Open => "受注一覧",
                        crate::dto::OrderListCode::Completed => "受注完了一覧",
                        crate::dto::OrderListCode::Cancelled => "受注キャンセル一覧",
                    };
                    let ordered = chrono::DateTime::parse_from_rfc3339(&o.ordered_at)
                        .map(|t| domain::history::jst(t.with_timezone(&chrono::Utc)))
                        .unwrap_or_default();
                    writer
                        .write_record([
                            cell(&o.order_number),
                            cell(&o.transaction_id),
                            match o.method {
                                crate::dto::PaymentMethodCode::Card => "クレジットカード".into(),
                                crate::dto::PaymentMethodCode::Paidy => "ペイディ".into(),
                            },
                            o.status.label.ja.clone(),
                            ordered,
                            o.amount_yen.to_string(),
                            o.captured_yen.to_string(),
                            o.refunded_yen.to_string(),
                            o.refundable_yen.to_string(),
                            cell(o.buyer_name.as_deref().unwrap_or("")),
                            cell(o.buyer_name_kana.as_deref().unwrap_or("")),
                            list.into(),
                            o.deadline
                                .as_ref()
                                .map(|d| d.text.ja.clone())
                                .unwrap_or_default(),
                        ])
                        .map_err(write_err)?;
                    rows += 1;
                }
                if page.items.is_empty() || (page_query.page + 1) * page.page_size >= page.total {
                    break;
                }
                page_query.page += 1;
            }
            writer
                .flush()
                .map_err(|e| AppError::internal("csv_write", &e.to_string()))?;
        }
        std::fs::write(path, &out).map_err(|e| {
            AppError::refused(
                "file_unwritable",
                Text::new(
                    &format!(
                        "ファイル「{}」に書き込めませんでした（{e}）。",
                        path.display()
                    ),
                    &format!(
                        "The file \"{}\" could not be written ({e}).",
                        path.display()
                    ),
                ),
            )
        })?;
        Ok(ExportReport {
            path: path.display().to_string(),
            rows,
        })
    }

    /// Fills a new Paidy order's buyer, shipping and items from Paidy's verify telegram.
    pub(crate) async fn fill_from_paidy_verify(
        &self,
        id: OrderId,
        trading_id: &str,
        paidy_payment_id: &str,
    ) {
        let Ok(client) = self.gateway() else {
            return;
        };
        let request = PaidyVerify {
            trading_id: (!trading_id.is_empty()).then(|| trading_id.to_owned()),
            paidy_payment_id: paidy_payment_id.to_owned(),
        };
        let answer = match client.send(&request).await {
            Ok(a) if a.exists => a,
            Ok(_) => {
                tracing::info!(order = id.0, "Paidy verify: payment not found at Paidy");
                return;
            }
            Err(e) => {
                tracing::warn!(order = id.0, error = %e, "Paidy verify failed");
                return;
            }
        };
        let f = &answer.fields;
        let mut items = Vec::new();
        for i in 0.. {
            let Some(title) = some(f.get(&format!("order_items_title[{i}]"))) else {
                break;
            };
            items.push(Item {
                item_id: some(f.get(&format!("order_items_id[{i}]"))),
                title,
                description: some(f.get(&format!("order_items_description[{i}]"))),
                unit_price: f
                    .get(&format!("order_items_unit_price[{i}]"))
                    .and_then(|v| parse_yen(v))
                    .unwrap_or(Yen(0)),
                quantity: f
                    .get(&format!("order_items_quantity[{i}]"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(1),
            });
        }
        let details = OrderDetails {
            source: DetailsSource::PaidyVerify,
            buyer_name: some(f.get("buyer_name_kanji")),
            buyer_name_kana: some(f.get("buyer_name_kana")),
            buyer_email: some(f.get("buyer_email")),
            buyer_phone: some(f.get("buyer_phone")),
            shipping_zip: some(f.get("shipping_address_zip")),
            shipping_state: some(f.get("shipping_address_state")),
            shipping_city: some(f.get("shipping_address_city")),
            shipping_line1: some(f.get("shipping_address_line1")),
            shipping_line2: some(f.get("shipping_address_line2")),
            order_tax: f.get("order_tax").and_then(|v| parse_yen(v)),
            order_shipping: f.get("order_shipping").and_then(|v| parse_yen(v)),
            items,
        };
        let now = self.now();
        if let Err(e) = self.store().save_order_details(id, &details, now) {
            tracing::warn!(order = id.0, error = %e, "Paidy details not saved");
        }
    }
}
