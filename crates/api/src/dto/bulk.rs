//! The bulk-capture (売上確定一括処理) types that cross the IPC boundary: the unprocessed
//! list, the confirmation, a run's progress and its logs. Same conventions as [`crate::dto`]
//! (integer yen in `*_yen`, RFC 3339 UTC times, `Text` pairs, snake_case codes); built by
//! hand in `bulk.rs`.
//!
//! Layout: queries ([`UnprocessedQuery`]) → pages ([`UnprocessedPage`], [`BulkSelectAll`]) →
//! the confirmation ([`BulkConfirmation`]) → a run ([`BulkRunDetail`] with its
//! [`BulkItem`]s and [`BulkRunSummary`]); the events carry [`BulkItem`] +
//! [`BulkProgress`] and the finished run's summary.

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::dto::{OrderListCode, OrderSummary, PaymentMethodCode};
use crate::{AppError, Text};

/// One page request of the unprocessed list. Every field is optional.
#[derive(Clone, Debug, Default, Serialize, Deserialize, Type)]
pub struct UnprocessedQuery {
    #[serde(default)]
    pub method: Option<PaymentMethodCode>,
    /// `null`: orders in all three workflow lists (the default: moving an order to the
    /// completed or cancelled list does not capture it).
    #[serde(default)]
    pub list: Option<OrderListCode>,
    /// Hide rows that cannot be selected (waiting for automatic capture, deadline passed,
    /// operation unsettled).
    #[serde(default)]
    pub selectable_only: bool,
    /// Only orders whose newest bulk capture failed.
    #[serde(default)]
    pub failed_only: bool,
    /// Only orders with a tracking number: capture on shipment.
    #[serde(default)]
    pub shipped_only: bool,
    /// Transaction ID, order number, buyer name (kanji or kana) or amount.
    #[serde(default)]
    pub search: Option<String>,
    /// Zero-based.
    #[serde(default)]
    pub page: u32,
    /// Rows per page; 0 = 50.
    #[serde(default)]
    pub page_size: u32,
}

/// How a row of the unprocessed list can be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum EligibilityCode {
    /// Can be selected.
    Selectable,
    /// Authorize-and-capture: the gateway captures it automatically (`auto_capture_at`);
    /// shown, never selectable.
    WaitingForAutoCapture,
    /// Shown but not selectable now (`reason`): deadline passed, an operation unsettled.
    NotSelectable,
}

/// An order's newest bulk capture, when it failed: the code and the dictionary's plain
/// explanation.
#[derive(Clone, Debug, Serialize, Type)]
pub struct BulkFailure {
    #[specta(type = specta_typescript::Number)]
    pub run_id: i64,
    /// The gateway's `response_code` (or module code).
    pub code: String,
    /// The card vendor's detail code, if any.
    pub detail: Option<String>,
    /// The detailed-log line ("売上確定一括処理: エラーコード: 2002 …").
    pub line: Text,
    /// The dictionary's explanation of the code.
    pub message: Text,
    /// What the shop owner can do.
    pub action: Option<Text>,
    pub at: String,
}

/// One row of the unprocessed list.
#[derive(Clone, Debug, Serialize, Type)]
pub struct UnprocessedRow {
    pub order: OrderSummary,
    pub eligibility: EligibilityCode,
    /// Why it cannot be selected (refusal code, `automatic_capture`, …).
    pub reason_code: Option<String>,
    pub reason: Option<Text>,
    /// Authorize-and-capture: when the gateway captures it.
    pub auto_capture_at: Option<String>,
    /// Its newest bulk capture failed (it stays in the list).
    pub last_failure: Option<BulkFailure>,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct UnprocessedPage {
    pub items: Vec<UnprocessedRow>,
    /// Rows matching in total.
    pub total: u32,
    pub page: u32,
    pub page_size: u32,
    /// The most orders one run takes (the rules table): the screen shows it and stops the
    /// selection there.
    pub max_orders: u32,
}

/// "Select all": the selectable orders matching the filters and search (every page),
/// the most urgent capture deadline first, at most `max_orders`.
#[derive(Clone, Debug, Serialize, Type)]
pub struct BulkSelectAll {
    #[specta(type = Vec<specta_typescript::Number>)]
    pub order_ids: Vec<i64>,
    /// More selectable orders match than one run takes (only the first `max_orders` are
    /// selected).
    pub more: bool,
    pub max_orders: u32,
}

/// One capture the run will send.
#[derive(Clone, Debug, Serialize, Type)]
pub struct BulkPlannedOrder {
    #[specta(type = specta_typescript::Number)]
    pub order_id: i64,
    pub order_number: String,
    pub transaction_id: String,
    pub method: PaymentMethodCode,
    #[specta(type = specta_typescript::Number)]
    pub amount_yen: i64,
}

/// A selected order the run leaves out, with why.
#[derive(Clone, Debug, Serialize, Type)]
pub struct BulkRefusedOrder {
    #[specta(type = specta_typescript::Number)]
    pub order_id: i64,
    pub order_number: String,
    /// `already_captured`, `capture_deadline_passed`, `automatic_capture`,
    /// `selected_twice`, `changed_outside`, …
    pub code: String,
    pub message: Text,
}

/// The confirmation screen: what the run will capture and the total.
#[derive(Clone, Debug, Serialize, Type)]
pub struct BulkConfirmation {
    /// The captures, in selection order.
    pub orders: Vec<BulkPlannedOrder>,
    #[specta(type = specta_typescript::Number)]
    pub total_yen: i64,
    /// Selected orders left out.
    pub refused: Vec<BulkRefusedOrder>,
    /// Set when nothing can be captured (`bulk_nothing_to_capture`): the run button stays
    /// disabled.
    pub problem: Option<AppError>,
    pub max_orders: u32,
}

/// Where one order of a run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum BulkItemStatusCode {
    /// Not sent yet (or waiting to be resent after a busy answer).
    Pending,
    /// Being sent.
    InFlight,
    /// No answer; being confirmed by inquiry (never resent blindly).
    Unknown,
    /// Captured ("completed normally").
    Succeeded,
    /// Refused by the gateway (`error_code` + explanation); stays in the unprocessed list.
    Failed,
    /// Not captured for another reason (`skip_reason`, `line`).
    Skipped,
}

/// One order's line in a run (progress and detailed log).
#[derive(Clone, Debug, Serialize, Type)]
pub struct BulkItem {
    #[specta(type = specta_typescript::Number)]
    pub order_id: i64,
    pub position: u32,
    pub order_number: String,
    pub transaction_id: String,
    #[specta(type = specta_typescript::Number)]
    pub amount_yen: i64,
    pub status: BulkItemStatusCode,
    /// Captures handed to the network.
    pub attempts: u32,
    pub error_code: Option<String>,
    pub error_detail: Option<String>,
    /// `already_captured`, `run_stopped`, `interrupted`, `changed_elsewhere`, …
    pub skip_reason: Option<String>,
    /// The detailed-log line, also in the order's history: "正常終了" / "エラーコード: xxx"
    /// with the dictionary's explanation, or why it was not sent. `null` while open.
    pub line: Option<Text>,
    /// Failed: the dictionary's explanation of `error_code`.
    pub explanation: Option<Text>,
    pub settled_at: Option<String>,
}

/// Counts for the progress bar.
#[derive(Clone, Debug, Serialize, Type)]
pub struct BulkProgress {
    pub total: u32,
    pub succeeded: u32,
    pub failed: u32,
    pub skipped: u32,
    /// Not settled yet.
    pub open: u32,
    #[specta(type = specta_typescript::Number)]
    pub captured_yen: i64,
}

/// How a run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum BulkRunStatusCode {
    Running,
    /// Every order settled during the run.
    Finished,
    /// Ended with orders whose outcome is still unknown (settled by inquiry later).
    Interrupted,
    /// Was running (app closed or crashed) or interrupted; settled by inquiry afterwards.
    Settled,
}

/// One run in the operation log.
#[derive(Clone, Debug, Serialize, Type)]
pub struct BulkRunSummary {
    #[specta(type = specta_typescript::Number)]
    pub run_id: i64,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: BulkRunStatusCode,
    /// `app` or `cli`.
    pub requested_by: String,
    pub progress: BulkProgress,
    /// The planned total.
    #[specta(type = specta_typescript::Number)]
    pub total_yen: i64,
    /// The credentials error that stopped the run.
    pub stop_code: Option<String>,
    /// "売上確定一括処理 50件: 成功 47件（¥…）、失敗 2件、未実行 1件".
    pub summary: Text,
    /// The per-run message: a stop on a credentials error, outcomes still unknown.
    pub message: Option<Text>,
}

/// A run's detailed log (also what a run returns and what starting one shows).
#[derive(Clone, Debug, Serialize, Type)]
pub struct BulkRunDetail {
    pub summary: BulkRunSummary,
    /// By position.
    pub items: Vec<BulkItem>,
    /// Starting a run: selected orders left out because they could no longer be captured
    /// (captured or cancelled, deadline passed since the confirmation), each with its
    /// reason. Not kept in the log (empty when reading it).
    pub left_out: Vec<BulkRefusedOrder>,
}

/// The operation log: the newest runs first (the rules table says how many are kept).
#[derive(Clone, Debug, Serialize, Type)]
pub struct BulkOperationLog {
    pub runs: Vec<BulkRunSummary>,
    /// How many runs the log keeps.
    pub keeps: u32,
}
