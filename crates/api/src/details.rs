//! Buyer and item details: Paidy's verify telegram (343) for new Paidy orders, the
//! storefront's order export (CSV import), and the order list as CSV for Excel (export).
//!
//! Import columns (header names, in any order; English as the simulator's storefront
//! writes them, or the Japanese in [`COLUMN_ALIASES`]): `order_number` (required; the
//! `trading_id` column wins when present and not empty, since that is the number Paygent
//! knows), `buyer_name`, `buyer_kana`, `email`, `phone`, `postal_code`, `address`,
//! `items` (`title xQTY @PRICE; …`), `shipping_fee`, and `payment_id` (the transaction
//! ID: a payment PayDesk has no order for, e.g. one whose notification is older than the
//! gateway's 7-day retention, is checked with 094 and becomes an order first). Other
//! columns are ignored. The file may be UTF-8 (with or without BOM) or Shift_JIS
//! (Windows-31J).

use std::collections::BTreeMap;
use std::path::Path;

use domain::{OrderId, Yen};
use paygent_codec::request::PaidyVerify;
use store::{DetailsSource, Item, OrderDetails};

use crate::dto::DeskEvent;
use crate::dto::{ExportReport, ImportReport, ImportRowError, OrderQuery};
use crate::{AppError, Desk, Text};

/// Japanese header names accepted for each column.
pub const COLUMN_ALIASES: &[(&str, &str)] = &[
    ("注文番号", "order_number"),
    ("取引ID", "payment_id"),
    ("決済ID", "payment_id"),
    ("外部決済注文番号", "trading_id"),
    ("購入者名", "buyer_name"),
    ("お名前", "buyer_name"),
    ("購入者カナ", "buyer_kana"),
    ("フリガナ", "buyer_kana"),
    ("メールアドレス", "email"),
    ("電話番号", "phone"),
    ("郵便番号", "postal_code"),
    ("住所", "address"),
    ("商品", "items"),
    ("送料", "shipping_fee"),
];

/// Decodes a CSV file: UTF-8 (BOM or valid UTF-8) or Shift_JIS.
fn decode(bytes: &[u8]) -> Result<(String, &'static str), AppError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(|s| (s.to_owned(), "utf-8"))
            .map_err(|_| not_text());
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.to_owned(), "utf-8"));
    }
    let (text, _, errors) = encoding_rs::SHIFT_JIS.decode(bytes);
    if errors {
        return Err(not_text());
    }
    Ok((text.into_owned(), "shift_jis"))
}

fn not_text() -> AppError {
    AppError::refused(
        "csv_encoding",
        Text::new(
            "CSVファイルの文字コードを読み取れません。UTF-8 か Shift_JIS で保存したファイルを選んでください。",
            "The CSV file's encoding cannot be read. Select a file saved as UTF-8 or Shift_JIS.",
        ),
    )
}

fn row_error(line: u32, order_number: Option<&str>, ja: &str, en: &str) -> ImportRowError {
    ImportRowError {
        line,
        order_number: order_number.map(str::to_owned),
        message: Text::new(ja, en),
    }
}

/// `title xQTY @PRICE; …`
fn parse_items(text: &str) -> Result<Vec<Item>, String> {
    text.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|part| {
            let (rest, price) = part
                .rsplit_once('@')
                .ok_or_else(|| format!("\"{part}\" has no @price"))?;
            let (title, qty) = rest
                .trim()
                .rsplit_once(" x")
                .ok_or_else(|| format!("\"{part}\" has no xQuantity"))?;
            let quantity = qty
                .trim()
                .parse::<i64>()
                .map_err(|_| format!("\"{part}\": quantity is not a number"))?;
            let unit_price = parse_yen(price)
                .ok_or_else(|| format!("\"{part}\": price is not a whole yen amount"))?;
            Ok(Item {
                item_id: None,
                title: title.trim().to_owned(),
                description: None,
                unit_price,
                quantity,
            })
        })
        .collect()
}

fn parse_yen(text: &str) -> Option<Yen> {
    let digits: String = text
        .trim()
        .trim_start_matches(['¥', '￥'])
        .chars()
        .filter(|c| *c != ',')
        .collect();
    digits.parse::<i64>().ok().map(Yen)
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
        let (text, encoding) = decode(&bytes)?;
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers: Vec<String> = reader
            .headers()
            .map_err(|_| not_text())?
            .iter()
            .map(|h| {
                let h = h.trim();
                COLUMN_ALIASES
                    .iter()
                    .find(|(ja, _)| *ja == h)
                    .map_or(h, |(_, en)| en)
                    .to_owned()
            })
            .collect();
        if !headers
            .iter()
            .any(|h| h == "order_number" || h == "trading_id")
        {
            return Err(AppError::refused(
                "csv_no_order_number",
                Text::new(
                    "CSVに「order_number」（注文番号）の列がありません。1行目に列名を入れてください。",
                    "The CSV has no \"order_number\" column. Put the column names in the first line.",
                ),
            ));
        }
        let mut errors = Vec::new();
        let mut rows: Vec<(String, OrderDetails)> = Vec::new();
        let mut lines_of: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        let mut read = 0u32;
        let mut payment_ids: Vec<String> = Vec::new();
        for (index, record) in reader.records().enumerate() {
            let line = index as u32 + 2;
            read += 1;
            let record = match record {
                Ok(r) => r,
                Err(_) => {
                    errors.push(row_error(
                        line,
                        None,
                        "この行を読み取れません。",
                        "This line cannot be read.",
                    ));
                    continue;
                }
            };
            let get = |name: &str| -> Option<String> {
                headers
                    .iter()
                    .position(|h| h == name)
                    .and_then(|i| record.get(i))
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
            };
            let Some(number) = get("trading_id").or_else(|| get("order_number")) else {
                errors.push(row_error(
                    line,
                    None,
                    "注文番号が空です。",
                    "The order number is empty.",
                ));
                continue;
            };
            let items = match get("items").map(|t| parse_items(&t)).transpose() {
                Ok(items) => items.unwrap_or_default(),
                Err(why) => {
                    errors.push(row_error(
                        line,
                        Some(&number),
                        &format!("商品欄を読み取れません：{why}"),
                        &format!("The items column cannot be read: {why}"),
                    ));
                    continue;
                }
            };
            let shipping = match get("shipping_fee") {
                Some(v) => match parse_yen(&v) {
                    Some(y) => Some(y),
                    None => {
                        errors.push(row_error(
                            line,
                            Some(&number),
                            &format!("送料「{v}」が金額（円の整数）ではありません。"),
                            &format!("The shipping fee \"{v}\" is not a whole yen amount."),
                        ));
                        continue;
                    }
                },
                None => None,
            };
            if let Some(id) = get("payment_id").filter(|id| id.bytes().all(|b| b.is_ascii_digit()))
            {
                payment_ids.push(id);
            }
            lines_of.entry(number.clone()).or_default().push(line);
            rows.push((
                number,
                OrderDetails {
                    source: DetailsSource::StorefrontCsv,
                    buyer_name: get("buyer_name"),
                    buyer_name_kana: get("buyer_kana"),
                    buyer_email: get("email"),
                    buyer_phone: get("phone"),
                    shipping_zip: get("postal_code"),
                    shipping_state: None,
                    shipping_city: None,
                    shipping_line1: get("address"),
                    shipping_line2: None,
                    order_tax: None,
                    order_shipping: shipping,
                    items,
                },
            ));
        }
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
