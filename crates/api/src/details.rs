//! Buyer and item details: Paidy's verify telegram (343) for new Paidy orders, the
//! storefront's order export (CSV import), and the order list as CSV for Excel (export).
//!
//! The import's parsing (encodings, columns, per-row checks and line numbers) is the pure
//! [`domain::storefront::parse_storefront_csv`], where the column layout is documented; here
//! the file is read (capped, `files`), payments the shop's file names but PayDesk has no
//! order for are adopted (094), and the rows become field changes on the orders they match
//! by order number: previewed, applied, recorded and undone by `store::imports` (only the
//! columns the file has; an empty cell clears a value only when the shop owner asks).

use std::collections::BTreeMap;
use std::path::Path;

use domain::Yen;
use domain::storefront::{DetailField, StorefrontRow, parse_storefront_csv};
use store::imports::{self, ImportRow};
use store::{FieldChange, FieldValue, Item};

use crate::ErrorCode;
use crate::context::Context;
use crate::dto::events::DeskEvent;
use crate::dto::{
    ExportReport, ImportChange, ImportPreview, ImportRecord as ImportRecordDto, ImportReport,
    ImportRowError, OrderQuery, UndoImportReport,
};
use crate::files::{UserFile, read_user_file};
use crate::orders;
use crate::sync;
use crate::{AppError, Text};

fn row_error(line: u32, order_number: Option<&str>, ja: &str, en: &str) -> ImportRowError {
    ImportRowError {
        line,
        order_number: order_number.map(str::to_owned),
        message: Text::new(ja, en),
    }
}

/// The fields a storefront row carries (only the columns its file has), as canonical
/// store values; an empty cell is `None`.
fn import_row(fields: &[DetailField], row: StorefrontRow) -> ImportRow {
    let items: Vec<Item> = row
        .items
        .into_iter()
        .map(|i| Item {
            item_id: None,
            title: i.title,
            description: None,
            unit_price: i.unit_price,
            quantity: i.quantity,
            tax_rate: i.rate,
        })
        .collect();
    let value = |field: DetailField| -> FieldValue {
        match field {
            DetailField::BuyerName => row.buyer_name.clone(),
            DetailField::BuyerNameKana => row.buyer_kana.clone(),
            DetailField::BuyerEmail => row.email.clone(),
            DetailField::BuyerPhone => row.phone.clone(),
            DetailField::ShippingZip => row.postal_code.clone(),
            // The storefront's one address column is the whole address.
            DetailField::Address => imports::address_value([None, None, row.address.clone(), None]),
            DetailField::OrderShipping => imports::yen_value(row.shipping_fee),
            DetailField::Items => imports::items_value(&items),
        }
    };
    ImportRow {
        fields: fields.iter().map(|f| (*f, value(*f))).collect(),
        order_number: row.order_number,
    }
}

/// A canonical value as the shop owner reads it.
fn shown(field: DetailField, value: Option<&str>) -> Option<String> {
    let value = value?;
    Some(match field {
        DetailField::Address => imports::address_parts(Some(value))
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" "),
        DetailField::OrderShipping => value
            .parse::<i64>()
            .map(|y| domain::history::yen(Yen(y)))
            .unwrap_or_else(|_| value.to_owned()),
        DetailField::Items => imports::items_of(Some(value))
            .iter()
            .map(|i| {
                let rate = i
                    .tax_rate
                    .map(|r| format!("（{}%）", r.percent()))
                    .unwrap_or_default();
                format!(
                    "{} ×{} {}{rate}",
                    i.title,
                    i.quantity,
                    domain::history::yen(i.unit_price)
                )
            })
            .collect::<Vec<_>>()
            .join("、"),
        _ => value.to_owned(),
    })
}

fn change_dto(c: &FieldChange) -> ImportChange {
    ImportChange {
        order_id: c.order.0,
        order_number: c.order_number.clone(),
        field: crate::convert::text(&c.field.label()),
        before: shown(c.field, c.old.as_deref()),
        after: shown(c.field, c.new.as_deref()),
    }
}

/// A storefront file read and parsed, ready to plan.
struct ParsedImport {
    encoding: &'static str,
    records: u32,
    fields: Vec<DetailField>,
    rows: Vec<ImportRow>,
    payment_ids: Vec<String>,
    lines_of: BTreeMap<String, Vec<u32>>,
    errors: Vec<ImportRowError>,
}

impl ParsedImport {
    fn read(path: &Path) -> Result<ParsedImport, AppError> {
        let bytes = read_user_file(path, UserFile::Csv, "", "")?;
        let export = parse_storefront_csv(&bytes).map_err(|e| {
            let message = e.message();
            AppError::foreign(e.code(), Text::new(&message.ja, &message.en), None)
        })?;
        drop(bytes);
        let errors = export
            .errors
            .into_iter()
            .map(|e| ImportRowError {
                line: e.line,
                order_number: e.order_number,
                message: Text::new(&e.message.ja, &e.message.en),
            })
            .collect();
        let mut lines_of: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        let payment_ids = export
            .rows
            .iter()
            .filter_map(|r| r.payment_id.clone())
            .collect();
        let fields = export.fields;
        let rows = export
            .rows
            .into_iter()
            .map(|row| {
                lines_of
                    .entry(row.order_number.clone())
                    .or_default()
                    .push(row.line);
                import_row(&fields, row)
            })
            .collect();
        Ok(ParsedImport {
            encoding: export.encoding.code(),
            records: export.records,
            fields,
            rows,
            payment_ids,
            lines_of,
            errors,
        })
    }

    /// The file's row errors and one per line of an order number PayDesk has no order
    /// for, by line.
    fn errors(&self, unmatched: &[String]) -> Vec<ImportRowError> {
        let mut errors = self.errors.clone();
        for number in unmatched {
            for line in self.lines_of.get(number).into_iter().flatten() {
                errors.push(row_error(
                    *line,
                    Some(number),
                    &format!("注文番号「{number}」の受注が PayDesk にありません（決済が成立していない注文か、まだ同期されていません）。"),
                    &format!("PayDesk has no order with number \"{number}\" (the payment failed, or it has not synced yet)."),
                ));
            }
        }
        errors.sort_by_key(|e| e.line);
        errors
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn import_error(e: store::Error) -> AppError {
    match e {
        store::Error::ImportPlanChanged => AppError::of(ErrorCode::ImportChanged).into(),
        store::Error::ImportNotFound(id) => AppError::of(ErrorCode::ImportNotFound)
            .with("id", id)
            .into(),
        store::Error::ImportAlreadyUndone(id) => AppError::of(ErrorCode::ImportAlreadyUndone)
            .with("id", id)
            .into(),
        other => other.into(),
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

/// What importing the file would change (nothing of the shop's details is written).
/// Payments the file names that PayDesk has no order for are adopted first (094), as
/// a sync would, so the preview covers them.
pub(crate) async fn preview_orders_import(
    cx: &Context,
    path: &Path,
    clear_empty: bool,
) -> Result<ImportPreview, AppError> {
    let parsed = ParsedImport::read(path)?;
    if !parsed.payment_ids.is_empty() {
        let adopted = sync::adopt_payments(cx, &parsed.payment_ids).await;
        tracing::info!(adopted, "payments from the CSV adopted");
    }
    let plan = cx.store().plan_details_import(&parsed.rows, clear_empty)?;
    Ok(ImportPreview {
        path: path.display().to_string(),
        clear_empty,
        token: plan.fingerprint.clone(),
        encoding: parsed.encoding.to_owned(),
        rows: parsed.records,
        matched: count(plan.matched_rows),
        orders: count(plan.orders),
        fields: count(plan.changes.len()),
        columns: parsed
            .fields
            .iter()
            .map(|f| crate::convert::text(&f.label()))
            .collect(),
        sample: plan
            .changes
            .iter()
            .take(domain::RULES.import_preview_sample)
            .map(change_dto)
            .collect(),
        errors: parsed.errors(&plan.unmatched),
    })
}

/// Applies the previewed import: the same plan, or nothing (`import_changed`).
pub(crate) fn import_orders_csv(
    cx: &Context,
    path: &Path,
    clear_empty: bool,
    token: &str,
) -> Result<ImportReport, AppError> {
    let parsed = ParsedImport::read(path)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let now = cx.now();
    let (plan, import_id) = cx
        .store()
        .apply_details_import(&parsed.rows, clear_empty, token, &file_name, now)
        .map_err(import_error)?;
    tracing::info!(
        rows = parsed.records,
        matched = plan.matched_rows,
        orders = plan.orders,
        fields = plan.changes.len(),
        import = import_id,
        encoding = parsed.encoding,
        "storefront CSV imported"
    );
    if import_id.is_some() {
        // Many orders changed: an empty list means "reload everything".
        cx.emit(DeskEvent::OrdersChanged {
            order_ids: Vec::new(),
        });
    }
    Ok(ImportReport {
        import_id,
        encoding: parsed.encoding.to_owned(),
        rows: parsed.records,
        matched: count(plan.matched_rows),
        orders: count(plan.orders),
        fields: count(plan.changes.len()),
        errors: parsed.errors(&plan.unmatched),
    })
}

/// Undoes an applied import as a whole; fields changed since it are kept and listed.
pub(crate) async fn undo_orders_import(
    cx: &Context,
    import_id: i64,
) -> Result<UndoImportReport, AppError> {
    let now = cx.now();
    let outcome = cx
        .store()
        .undo_details_import(import_id, now)
        .map_err(import_error)?;
    tracing::info!(
        import = import_id,
        restored = outcome.restored,
        kept = outcome.kept.len(),
        "storefront CSV import undone"
    );
    cx.emit(DeskEvent::OrdersChanged {
        order_ids: Vec::new(),
    });
    Ok(UndoImportReport {
        import_id,
        orders: count(outcome.orders),
        restored: count(outcome.restored),
        kept: outcome
            .kept
            .iter()
            .map(|k| ImportChange {
                order_id: k.order.0,
                order_number: k.order_number.clone(),
                field: crate::convert::text(&k.field.label()),
                before: shown(k.field, k.imported.as_deref()),
                after: shown(k.field, k.now.as_deref()),
            })
            .collect(),
    })
}

/// The latest applied imports (to undo one), newest first.
pub(crate) async fn orders_imports(cx: &Context) -> Result<Vec<ImportRecordDto>, AppError> {
    Ok(cx
        .store()
        .details_imports(20)?
        .into_iter()
        .map(|r| ImportRecordDto {
            id: r.id,
            at: crate::convert::time(r.at),
            file_name: r.file_name,
            clear_empty: r.clear_empty,
            orders: count(r.orders),
            fields: count(r.fields),
            undone_at: r.undone_at.map(crate::convert::time),
        })
        .collect())
}

pub(crate) fn export_orders_csv(
    cx: &Context,
    path: &Path,
    query: OrderQuery,
) -> Result<ExportReport, AppError> {
    let mut out: Vec<u8> = b"\xEF\xBB\xBF".to_vec();
    let mut rows = 0u32;
    {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        let write_err = |e: csv::Error| AppError::internal(ErrorCode::CsvWrite, &e.to_string());
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
                // The deposit check (入金チェック): the day the money arrived, and the
                // amount when the shop noted it.
                "入金日",
                "入金額",
            ])
            .map_err(write_err)?;
        let mut page_query = query.clone();
        page_query.page = 0;
        page_query.page_size = 500;
        loop {
            let page = orders::list_orders(cx, &page_query)?;
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
                        o.deposit
                            .as_ref()
                            .map(|d| d.received_on.clone())
                            .unwrap_or_default(),
                        o.deposit
                            .as_ref()
                            .and_then(|d| d.amount_yen)
                            .map(|a| a.to_string())
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
            .map_err(|e| AppError::internal(ErrorCode::CsvWrite, &e.to_string()))?;
    }
    crate::files::write_user_file(path, &out)?;
    Ok(ExportReport {
        path: path.display().to_string(),
        rows,
    })
}
