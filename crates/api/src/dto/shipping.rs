//! IPC DTOs of fulfilment (issue 20, points 2–4): shipping-label files, tracking numbers
//! and their import report. Capture on shipment uses the bulk DTOs (`shipped_only`).

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::Text;

/// A carrier PayDesk writes label files for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum CarrierCode {
    /// ヤマト運輸 (B2クラウド).
    Yamato,
    /// 佐川急便 (e飛伝Ⅲ).
    Sagawa,
    /// 日本郵便 (ゆうパックプリントR).
    JapanPost,
}

/// What the label dialog asks for.
#[derive(Clone, Debug, Serialize, Deserialize, Type)]
pub struct LabelExportRequest {
    pub carrier: CarrierCode,
    #[specta(type = Vec<specta_typescript::Number>)]
    pub order_ids: Vec<i64>,
    /// `YYYY-MM-DD`, a Japan calendar day; `null`: today in Japan.
    #[serde(default)]
    pub ship_date: Option<String>,
    /// Yamato only: ご請求先顧客コード (kept for next time once a file was written).
    #[serde(default)]
    pub yamato_customer_code: Option<String>,
    /// Yamato only: 運賃管理番号 (`null`: `01`).
    #[serde(default)]
    pub yamato_freight_number: Option<String>,
    /// 品名 for orders whose items PayDesk does not know (kept for next time).
    #[serde(default)]
    pub default_item: Option<String>,
}

/// One value that kept an order out of the file.
#[derive(Clone, Debug, Serialize, Type)]
pub struct LabelProblemDto {
    /// `name`, `phone`, `postal_code`, `address`, `item`, `order_number`, ….
    pub field: String,
    pub field_label: Text,
    pub message: Text,
}

/// An order that has no row in the file.
#[derive(Clone, Debug, Serialize, Type)]
pub struct LabelRefusedOrder {
    #[specta(type = specta_typescript::Number)]
    pub order_id: i64,
    pub order_number: String,
    pub problems: Vec<LabelProblemDto>,
}

/// What an export did.
#[derive(Clone, Debug, Serialize, Type)]
pub struct LabelExportReport {
    pub carrier: CarrierCode,
    /// The file written; `null` when no order could become a row (no file is written).
    pub path: Option<String>,
    pub written: u32,
    pub refused: Vec<LabelRefusedOrder>,
    /// "3件を書き出しました（2件は書き出せません）" and how to import it.
    pub summary: Text,
}

/// The shop as the sender (ご依頼主) and the saved Yamato contract, for the dialog.
#[derive(Clone, Debug, Serialize, Type)]
pub struct LabelSettingsDto {
    pub sender_name: Option<String>,
    pub sender_phone: Option<String>,
    pub sender_postal_code: Option<String>,
    /// Prefecture, city, line 1, line 2 joined with spaces; `null` when none is set.
    pub sender_address: Option<String>,
    pub yamato_customer_code: Option<String>,
    pub yamato_freight_number: Option<String>,
    pub default_item: Option<String>,
    /// Today in Japan, `YYYY-MM-DD` (the default ship date).
    pub today: String,
}

/// One tracking number of an order.
#[derive(Clone, Debug, Serialize, Type)]
pub struct TrackingDto {
    pub carrier: CarrierCode,
    pub carrier_name: Text,
    pub tracking_number: String,
    /// The carrier's public tracking page for this number.
    pub url: String,
    /// `typed` or `carrier_file`.
    pub source: String,
    pub recorded_at: String,
}

/// A tracking number typed on an order.
#[derive(Clone, Debug, Serialize, Deserialize, Type)]
pub struct TrackingInput {
    #[specta(type = specta_typescript::Number)]
    pub order_id: i64,
    pub carrier: CarrierCode,
    pub tracking_number: String,
}

/// What happened to one line of an issued-labels file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum TrackingLineOutcome {
    /// Kept with its order.
    Added,
    /// The order had it already (a file imported twice changes nothing).
    AlreadyRecorded,
    /// Not kept: see the message.
    Refused,
}

/// One line of the import report.
#[derive(Clone, Debug, Serialize, Type)]
pub struct TrackingImportLine {
    #[specta(type = specta_typescript::Number)]
    pub line: u64,
    pub order_number: Option<String>,
    #[specta(type = Option<specta_typescript::Number>)]
    pub order_id: Option<i64>,
    pub tracking_number: Option<String>,
    pub outcome: TrackingLineOutcome,
    pub message: Text,
}

/// What an import of an issued-labels file did, line by line.
#[derive(Clone, Debug, Serialize, Type)]
pub struct TrackingImportReport {
    pub file_name: String,
    pub carrier: CarrierCode,
    pub added: u32,
    pub already_recorded: u32,
    pub refused: u32,
    pub lines: Vec<TrackingImportLine>,
    /// Orders with a tracking number that are still only authorized: what capture on
    /// shipment would select.
    pub awaiting_capture: u32,
    pub summary: Text,
}
