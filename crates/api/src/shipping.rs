//! Fulfilment (issue 20, points 2–4): shipping-label files for the carriers' label
//! software, tracking numbers typed on an order or imported from the carrier's
//! issued-labels file, and the count behind capture on shipment (which itself is the bulk
//! capture with `shipped_only`, its rules, confirmation and logs unchanged).
//!
//! Layout: [`label_sender`] is the one seam for the shop as sender (see there);
//! [`label_file_for`] turns orders into a `domain::labels` file, [`export_labels`]
//! writes it where the shop owner chose; [`add_tracking`] and
//! [`import_tracking`] keep tracking numbers through `store::Store::record_tracking`
//! (one history line per new number, in the same transaction).

use std::path::Path;

use chrono::{NaiveDate, Utc};
use domain::OrderId;
use domain::labels::{Carrier, LabelFile, LabelOptions, LabelOrder, LabelProblem, Sender};
use domain::tracking::parse_tracking_file;
use store::{TrackingRecorded, TrackingSource};

use crate::ErrorCode;
use crate::context::Context;
use crate::dto::shipping::{
    CarrierCode, LabelExportReport, LabelExportRequest, LabelProblemDto, LabelRefusedOrder,
    LabelSettingsDto, TrackingDto, TrackingImportLine, TrackingImportReport, TrackingInput,
    TrackingLineOutcome,
};
use crate::files::{UserFile, read_user_file};
use crate::settings;
use crate::{AppError, Text, convert};

/// Settings keys of the sender and the Yamato contract.
///
/// The sender keys are this branch's stand-in for the shop details issue 20 adds to
/// Settings (name, address, phone; migration 0010 on another branch): when those are
/// merged, [`label_sender`] reads them instead and these keys go. The shop's name
/// is main's existing `shop_name`.
pub(crate) mod keys {
    pub const SENDER_PHONE: &str = "shop_phone";
    pub const SENDER_POSTAL_CODE: &str = "shop_postal_code";
    pub const SENDER_ADDRESS: [&str; 4] = [
        "shop_address_prefecture",
        "shop_address_city",
        "shop_address_line1",
        "shop_address_line2",
    ];
    pub const YAMATO_CUSTOMER_CODE: &str = "yamato_customer_code";
    pub const YAMATO_FREIGHT_NUMBER: &str = "yamato_freight_number";
    pub const DEFAULT_ITEM: &str = "label_default_item";
}

pub(crate) fn carrier_from(code: CarrierCode) -> Carrier {
    match code {
        CarrierCode::Yamato => Carrier::Yamato,
        CarrierCode::Sagawa => Carrier::Sagawa,
        CarrierCode::JapanPost => Carrier::JapanPost,
    }
}

pub(crate) fn carrier_to(carrier: Carrier) -> CarrierCode {
    match carrier {
        Carrier::Yamato => CarrierCode::Yamato,
        Carrier::Sagawa => CarrierCode::Sagawa,
        Carrier::JapanPost => CarrierCode::JapanPost,
    }
}

fn problem_dto(p: &LabelProblem) -> LabelProblemDto {
    LabelProblemDto {
        field: p.field.code().to_owned(),
        field_label: convert::text(&p.field.label()),
        message: convert::text(&p.reason),
    }
}

/// Today as a Japan calendar day.
fn japan_today(now: chrono::DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&domain::history::JAPAN).date_naive()
}

fn tracking_line(carrier: Carrier, number: &str, source: TrackingSource) -> domain::Text {
    let name = carrier.name();
    let (from_ja, from_en) = match source {
        TrackingSource::Typed => ("入力", "typed"),
        TrackingSource::CarrierFile => (
            "送り状ソフトの発行済みデータから",
            "from the carrier's issued-labels file",
        ),
    };
    domain::Text::new(
        format!(
            "問合せ番号 {number}（{}）を登録しました（{from_ja}）。",
            name.ja
        ),
        format!(
            "Tracking number {number} ({}) recorded ({from_en}).",
            name.en
        ),
    )
}

fn bad_date(text: &str) -> AppError {
    AppError::of(ErrorCode::LabelBadShipDate)
        .with("value", text)
        .into()
}

/// The shop as the sender (ご依頼主) of every label: the one seam between labels and
/// the shop's details (see [`keys`]).
pub(crate) fn label_sender(cx: &Context) -> Result<Sender, AppError> {
    let get = |key: &str| -> Result<String, AppError> {
        Ok(settings::setting(cx, key)?.unwrap_or_default())
    };
    // The shop's details in Settings (the ones its documents print) come first; the
    // sender keys only fill what they leave empty.
    let profile = cx.store().shop_profile()?;
    let or = |set: Option<String>, key: &str| -> Result<String, AppError> {
        match set.filter(|v| !v.trim().is_empty()) {
            Some(v) => Ok(v),
            None => get(key),
        }
    };
    let address = match profile.address.filter(|a| !a.trim().is_empty()) {
        Some(whole) => [whole, String::new(), String::new(), String::new()],
        None => [
            get(keys::SENDER_ADDRESS[0])?,
            get(keys::SENDER_ADDRESS[1])?,
            get(keys::SENDER_ADDRESS[2])?,
            get(keys::SENDER_ADDRESS[3])?,
        ],
    };
    Ok(Sender {
        name: get(crate::settings::keys::SHOP_NAME)?,
        phone: or(profile.phone, keys::SENDER_PHONE)?,
        postal_code: or(profile.postal_code, keys::SENDER_POSTAL_CODE)?,
        address,
    })
}

/// Saves the sender's phone, postal code and address (the name is Settings' shop
/// name) for labels, where Settings' shop details leave them empty. Used by the demo
/// and tests.
pub(crate) fn set_label_sender(cx: &Context, sender: &Sender) -> Result<(), AppError> {
    let mut store = cx.store();
    store.set_setting(crate::settings::keys::SHOP_NAME, sender.name.trim())?;
    store.set_setting(keys::SENDER_PHONE, sender.phone.trim())?;
    store.set_setting(keys::SENDER_POSTAL_CODE, sender.postal_code.trim())?;
    for (key, value) in keys::SENDER_ADDRESS.iter().zip(&sender.address) {
        store.set_setting(key, value.trim())?;
    }
    Ok(())
}

/// What the label dialog shows before the shop owner exports.
pub(crate) async fn label_settings(cx: &Context) -> Result<LabelSettingsDto, AppError> {
    let sender = label_sender(cx)?;
    let some = |s: String| (!s.trim().is_empty()).then_some(s);
    let address = sender
        .address
        .iter()
        .filter(|p| !p.trim().is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    Ok(LabelSettingsDto {
        sender_name: some(sender.name),
        sender_phone: some(sender.phone),
        sender_postal_code: some(sender.postal_code),
        sender_address: some(address),
        yamato_customer_code: settings::setting(cx, keys::YAMATO_CUSTOMER_CODE)?,
        yamato_freight_number: settings::setting(cx, keys::YAMATO_FREIGHT_NUMBER)?,
        default_item: settings::setting(cx, keys::DEFAULT_ITEM)?,
        today: japan_today(cx.now()).format("%Y-%m-%d").to_string(),
    })
}

/// The label file for the selected orders (in selection order, each once), with the
/// order IDs of the refused ones. `Err`: the sender or the Yamato contract is
/// incomplete, or an order does not exist.
pub(crate) fn label_file_for(
    cx: &Context,
    request: &LabelExportRequest,
) -> Result<(LabelFile, Vec<(i64, String)>), AppError> {
    let ship_date = match request.ship_date.as_deref().map(str::trim) {
        None | Some("") => japan_today(cx.now()),
        Some(text) => domain::import::parse_date(text).ok_or_else(|| bad_date(text))?,
    };
    let options = LabelOptions {
        ship_date,
        yamato_customer_code: request.yamato_customer_code.clone(),
        yamato_freight_number: request.yamato_freight_number.clone(),
        default_item: request
            .default_item
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
    };
    let mut seen = std::collections::HashSet::new();
    let mut orders = Vec::with_capacity(request.order_ids.len());
    let mut numbers = Vec::with_capacity(request.order_ids.len());
    {
        let store = cx.store();
        for &id in &request.order_ids {
            if !seen.insert(id) {
                continue;
            }
            let order = store
                .get_order(OrderId(id))?
                .ok_or_else(|| AppError::order_not_found(id))?;
            let details = store.order_details(OrderId(id))?;
            let d = details.as_ref();
            numbers.push((id, order.order_number.clone()));
            orders.push(LabelOrder {
                order_number: order.order_number.clone(),
                name: d.and_then(|d| d.buyer_name.clone()).or(order.buyer_name),
                phone: d.and_then(|d| d.buyer_phone.clone()),
                postal_code: d.and_then(|d| d.shipping_zip.clone()),
                address: [
                    d.and_then(|d| d.shipping_state.clone()),
                    d.and_then(|d| d.shipping_city.clone()),
                    d.and_then(|d| d.shipping_line1.clone()),
                    d.and_then(|d| d.shipping_line2.clone()),
                ],
                item: d.and_then(|d| d.items.first()).map(|i| i.title.clone()),
            });
        }
    }
    let sender = label_sender(cx)?;
    let carrier = carrier_from(request.carrier);
    let file = domain::labels::label_file(carrier, &sender, &options, &orders)
        .map_err(|problems| incomplete(&problems))?;
    Ok((file, numbers))
}

/// Writes the label file to `path` (nothing is written when no order could become a
/// row) and reports every order left out with the field named.
pub(crate) async fn export_labels(
    cx: &Context,
    path: String,
    request: LabelExportRequest,
) -> Result<LabelExportReport, AppError> {
    if request.order_ids.is_empty() {
        return Err(AppError::of(ErrorCode::LabelNoOrders).into());
    }
    let (file, numbers) = label_file_for(cx, &request)?;
    let refused: Vec<LabelRefusedOrder> = file
        .refused
        .iter()
        .map(|r| LabelRefusedOrder {
            order_id: numbers[r.index].0,
            order_number: r.order_number.clone(),
            problems: r.problems.iter().map(problem_dto).collect(),
        })
        .collect();
    let written = file.written.len();
    let carrier = carrier_from(request.carrier);
    let written_path = if written > 0 {
        crate::files::write_user_file(std::path::Path::new(&path), &file.bytes)?;
        let mut store = cx.store();
        if let Some(item) = &request.default_item {
            store.set_setting(keys::DEFAULT_ITEM, item.trim())?;
        }
        if carrier == Carrier::Yamato {
            if let Some(code) = &request.yamato_customer_code {
                store.set_setting(keys::YAMATO_CUSTOMER_CODE, code.trim())?;
            }
            if let Some(n) = &request.yamato_freight_number {
                store.set_setting(keys::YAMATO_FREIGHT_NUMBER, n.trim())?;
            }
        }
        drop(store);
        tracing::info!(
            carrier = carrier.code(),
            written,
            refused = refused.len(),
            "label file written"
        );
        Some(path)
    } else {
        None
    };
    let name = carrier.name();
    let how = match carrier {
        Carrier::Yamato => (
            "B2クラウドの「外部データから発行」で取り込んでください（1行目は見出しです：取込開始行は2）。",
            "Import it in B2 Cloud's \"issue from external data\" (line 1 is the header: start at line 2).",
        ),
        Carrier::Sagawa => (
            "e飛伝Ⅲの「出荷データ取込」で取り込んでください（1行目は見出しです）。",
            "Import it in e-Hiden III's shipment data import (line 1 is the header).",
        ),
        Carrier::JapanPost => (
            "ゆうパックプリントRの外部データ取込（標準取込）で取り込んでください（見出し行なし）。",
            "Import it in Yu-Pack Print R's external data import (standard layout, no header).",
        ),
    };
    let summary = if written == 0 {
        Text::new(
            &format!(
                "{}件とも送り状にできませんでした。ファイルは作っていません。各注文の理由を確認してください。",
                refused.len()
            ),
            &format!(
                "None of the {} orders could become a label; no file was written. See each order's reason.",
                refused.len()
            ),
        )
    } else if refused.is_empty() {
        Text::new(
            &format!(
                "{}の送り状データを{written}件書き出しました。{}",
                name.ja, how.0
            ),
            &format!("Wrote {written} {} labels. {}", name.en, how.1),
        )
    } else {
        Text::new(
            &format!(
                "{}の送り状データを{written}件書き出しました。{}件は書き出せませんでした（理由は下のとおり）。{}",
                name.ja,
                refused.len(),
                how.0
            ),
            &format!(
                "Wrote {written} {} labels; {} orders were left out (reasons below). {}",
                name.en,
                refused.len(),
                how.1
            ),
        )
    };
    Ok(LabelExportReport {
        carrier: request.carrier,
        path: written_path,
        written: u32::try_from(written).unwrap_or(u32::MAX),
        refused,
        summary,
    })
}

/// An order's tracking numbers, oldest first, with their carrier's tracking page.
pub(crate) async fn order_tracking(
    cx: &Context,
    order_id: i64,
) -> Result<Vec<TrackingDto>, AppError> {
    let store = cx.store();
    store
        .get_order(OrderId(order_id))?
        .ok_or_else(|| AppError::order_not_found(order_id))?;
    Ok(store
        .shipments(OrderId(order_id))?
        .into_iter()
        .map(|s| TrackingDto {
            carrier: carrier_to(s.carrier),
            carrier_name: convert::text(&s.carrier.name()),
            url: s.carrier.tracking_url(&s.tracking_number),
            tracking_number: s.tracking_number,
            source: s.source.code().to_owned(),
            recorded_at: convert::time(s.recorded_at),
        })
        .collect())
}

/// The carrier's tracking page for a number, built here from the number's digits only,
/// so the shell opens nothing but one of the three carriers' pages.
pub(crate) fn tracking_page(carrier: CarrierCode, number: &str) -> Result<String, AppError> {
    let digits = domain::labels::normalize_tracking_number(number).ok_or_else(|| {
        AppError::of(ErrorCode::TrackingNumberNotDigits).with("number", number.trim())
    })?;
    Ok(carrier_from(carrier).tracking_url(&digits))
}

/// Keeps a tracking number typed on an order (a second one is a multi-piece shipment)
/// and returns the order's tracking numbers.
pub(crate) async fn add_tracking(
    cx: &Context,
    input: TrackingInput,
) -> Result<Vec<TrackingDto>, AppError> {
    let Some(number) = domain::labels::normalize_tracking_number(&input.tracking_number) else {
        return Err(AppError::of(ErrorCode::TrackingNumberInvalid)
            .with("number", input.tracking_number.trim())
            .into());
    };
    let carrier = carrier_from(input.carrier);
    let line = tracking_line(carrier, &number, TrackingSource::Typed);
    let now = cx.now();
    let outcome = {
        let mut store = cx.store();
        store
            .get_order(OrderId(input.order_id))?
            .ok_or_else(|| AppError::order_not_found(input.order_id))?;
        store.record_tracking(
            OrderId(input.order_id),
            carrier,
            &number,
            TrackingSource::Typed,
            &line,
            now,
        )?
    };
    if let TrackingRecorded::OtherOrder(other) = outcome {
        return Err(AppError::of(ErrorCode::TrackingNumberTaken)
            .with("number", number)
            .with("order", other)
            .into());
    }
    order_tracking(cx, input.order_id).await
}

/// Imports a carrier's issued-labels file: each line is matched to its order by order
/// number and its tracking number kept; every line gets an outcome in the report.
pub(crate) async fn import_tracking(
    cx: &Context,
    path: String,
    carrier: CarrierCode,
) -> Result<TrackingImportReport, AppError> {
    let path_ref = Path::new(&path);
    let file_name = path_ref
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.clone());
    let bytes = read_user_file(path_ref, UserFile::Csv, "", "")?;
    let file = parse_tracking_file(&bytes).map_err(|t| {
        AppError::of(ErrorCode::TrackingFileUnreadable).with_text("reason", &convert::text(&t))
    })?;
    let c = carrier_from(carrier);
    let now = cx.now();
    let mut lines: Vec<TrackingImportLine> = file
        .errors
        .iter()
        .map(|e| TrackingImportLine {
            line: e.line,
            order_number: e.order_number.clone(),
            order_id: None,
            tracking_number: None,
            outcome: TrackingLineOutcome::Refused,
            message: convert::text(&e.reason),
        })
        .collect();
    for row in &file.rows {
        let mut out = TrackingImportLine {
            line: row.line,
            order_number: Some(row.order_number.clone()),
            order_id: None,
            tracking_number: Some(row.tracking_number.clone()),
            outcome: TrackingLineOutcome::Refused,
            message: Text::new("", ""),
        };
        let mut store = cx.store();
        let ids = store.orders_numbered(&row.order_number)?;
        match ids.as_slice() {
            [] => {
                out.message = Text::new(
                    &format!(
                        "注文番号 {} の注文はPayDeskにありません。",
                        row.order_number
                    ),
                    &format!("PayDesk has no order numbered {}.", row.order_number),
                );
            }
            [id] => {
                out.order_id = Some(id.0);
                let line = tracking_line(c, &row.tracking_number, TrackingSource::CarrierFile);
                match store.record_tracking(
                    *id,
                    c,
                    &row.tracking_number,
                    TrackingSource::CarrierFile,
                    &line,
                    now,
                )? {
                    TrackingRecorded::Added => {
                        out.outcome = TrackingLineOutcome::Added;
                        out.message = Text::new("登録しました。", "Recorded.");
                    }
                    TrackingRecorded::AlreadyRecorded => {
                        out.outcome = TrackingLineOutcome::AlreadyRecorded;
                        out.message = Text::new(
                            "この注文に登録済みです（変更なし）。",
                            "Already recorded on this order (nothing changed).",
                        );
                    }
                    TrackingRecorded::OtherOrder(other) => {
                        out.message = Text::new(
                            &format!("この問合せ番号は注文 {other} に登録済みです。"),
                            &format!("This tracking number is already recorded on order {other}."),
                        );
                    }
                }
            }
            _ => {
                out.message = Text::new(
                    &format!(
                        "注文番号 {} の注文が複数あるため、どれか決められません。注文画面で入力してください。",
                        row.order_number
                    ),
                    &format!(
                        "More than one order is numbered {}, so the line cannot be matched. Enter it on the order's screen.",
                        row.order_number
                    ),
                );
            }
        }
        lines.push(out);
    }
    lines.sort_by_key(|l| l.line);
    let count = |o: TrackingLineOutcome| {
        u32::try_from(lines.iter().filter(|l| l.outcome == o).count()).unwrap_or(u32::MAX)
    };
    let (added, already, refused) = (
        count(TrackingLineOutcome::Added),
        count(TrackingLineOutcome::AlreadyRecorded),
        count(TrackingLineOutcome::Refused),
    );
    let awaiting_capture = awaiting_capture_count(cx)?;
    tracing::info!(
        carrier = c.code(),
        added,
        already,
        refused,
        "tracking numbers imported"
    );
    Ok(TrackingImportReport {
        file_name,
        carrier,
        added,
        already_recorded: already,
        refused,
        lines,
        awaiting_capture,
        summary: Text::new(
            &format!(
                "{added}件の問合せ番号を登録しました（登録済み{already}件、登録できない行{refused}件）。"
            ),
            &format!(
                "Recorded {added} tracking numbers ({already} already recorded, {refused} lines not recorded)."
            ),
        ),
    })
}

/// Orders with a tracking number that one bulk capture could take now (authorize-only,
/// before the capture deadline, no open operation): what capture on shipment selects.
pub(crate) fn awaiting_capture_count(cx: &Context) -> Result<u32, AppError> {
    let mut query = store::UnprocessedQuery::new(cx.now());
    query.selectable_only = true;
    query.shipped_only = true;
    query.page_size = 1;
    let page = cx.store().unprocessed_list(&query)?;
    Ok(u32::try_from(page.total).unwrap_or(u32::MAX))
}

/// The sender or Yamato contract is incomplete: no row can be made.
fn incomplete(problems: &[LabelProblem]) -> AppError {
    let ja: Vec<String> = problems.iter().map(|p| p.reason.ja.clone()).collect();
    let en: Vec<String> = problems.iter().map(|p| p.reason.en.clone()).collect();
    AppError::of(ErrorCode::LabelSenderIncomplete)
        .with_each("problems", ja.join(" "), en.join(" "))
        .into()
}
