//! The IPC types of money in (issue 21): sales per day or month, the movements behind a
//! cell, the accounting account names and the journal export. Same conventions as
//! [`crate::dto`]: integer yen in `*_yen` fields, UTC RFC 3339 times, Japan days as
//! `2026-12-01`.

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::dto::PaymentMethodCode;

/// How sales are grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum SalesPeriodCode {
    Day,
    Month,
}

/// Which sales to add up: Japan days `from` to `to`, both included. Left out, they default
/// on PayDesk's clock: this month so far (days), the last twelve months (months).
#[derive(Clone, Debug, Serialize, Deserialize, Type)]
pub struct SalesQuery {
    pub period: SalesPeriodCode,
    /// First Japan day, `2026-12-01`.
    pub from: Option<String>,
    /// Last Japan day (included).
    pub to: Option<String>,
}

/// Captured, refunded and net, with counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Type)]
pub struct SalesFigures {
    #[specta(type = specta_typescript::Number)]
    pub captured_yen: i64,
    pub captures: u32,
    #[specta(type = specta_typescript::Number)]
    pub refunded_yen: i64,
    pub refunds: u32,
    /// Captured minus refunded.
    #[specta(type = specta_typescript::Number)]
    pub net_yen: i64,
}

/// One period (day or month) of the table.
#[derive(Clone, Debug, Serialize, Type)]
pub struct SalesRow {
    /// The period's first Japan day.
    pub start: String,
    /// Its last Japan day (included; inside the query's range).
    pub end: String,
    pub card: SalesFigures,
    pub paidy: SalesFigures,
    /// Card and Paidy together.
    pub total: SalesFigures,
}

/// Sales per period over the query's range, every period listed (empty ones too).
#[derive(Clone, Debug, Serialize, Type)]
pub struct SalesReport {
    pub period: SalesPeriodCode,
    pub from: String,
    pub to: String,
    pub rows: Vec<SalesRow>,
    /// The whole range.
    pub total: SalesFigures,
}

/// The movements behind one cell: Japan days `from` to `to` (included), one method or all.
#[derive(Clone, Debug, Serialize, Deserialize, Type)]
pub struct MovementsQuery {
    pub from: String,
    pub to: String,
    pub method: Option<PaymentMethodCode>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum MovementKindCode {
    Capture,
    Refund,
}

/// One capture or refund of an order.
#[derive(Clone, Debug, Serialize, Type)]
pub struct MovementItem {
    #[specta(type = specta_typescript::Number)]
    pub order_id: i64,
    pub order_number: String,
    /// The transaction ID the order had when the money moved.
    pub payment_id: String,
    pub method: PaymentMethodCode,
    pub kind: MovementKindCode,
    #[specta(type = specta_typescript::Number)]
    pub amount_yen: i64,
    pub at: String,
    /// The time is the order's last change, not the refund's own (an order older than the
    /// ledger, refunded outside PayDesk).
    pub estimated: bool,
}

/// The movements of a cell, oldest first; `total` counts all, `items` holds at most
/// `RULES.sales_movements_shown`.
#[derive(Clone, Debug, Serialize, Type)]
pub struct MovementList {
    pub items: Vec<MovementItem>,
    pub total: u32,
}

/// The shop's account names and tax categories for the accounting exports (empty = not set).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct AccountingSettings {
    /// 売掛金 (what the gateway owes until it pays out).
    pub receivable: String,
    /// 売上高.
    pub sales: String,
    /// Where refunds are booked (売上値引高, or 売上高).
    pub refunds: String,
    /// freee's 税区分 of a sale, e.g. `課税売上10%`.
    pub freee_tax: String,
    /// Money Forward's 税区分 of a sale, e.g. `課税売上 10%` (empty: the account's own).
    pub moneyforward_tax: String,
    /// Yayoi's 税区分 of a sale, e.g. `課税売上込10%`.
    pub yayoi_tax: String,
    /// Where the gateway's fees are booked, e.g. 支払手数料 (needed once a deposit is in a
    /// Money Forward or Yayoi file).
    pub fees: String,
    /// The bank account deposits arrive in, e.g. 普通預金.
    pub bank: String,
    /// Money Forward's 税区分 of a fee (empty: the account's own).
    pub moneyforward_fee_tax: String,
    /// Yayoi's 税区分 of a fee, e.g. `非課仕入`.
    pub yayoi_fee_tax: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum AccountingFormatCode {
    Freee,
    Moneyforward,
    Yayoi,
}

/// A written journal file.
#[derive(Clone, Debug, Serialize, Type)]
pub struct JournalExportReport {
    pub path: String,
    pub format: AccountingFormatCode,
    /// The month, `2026-12`.
    pub month: String,
    /// Journal entries (lines) written.
    pub entries: u32,
    /// What the shop should know about the file: deposits left to the software's own
    /// matching (freee), a deposit booked without its fee (no period matched).
    pub notes: Vec<crate::Text>,
}

/// One closing day of a settlement contract and when its period is paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct CycleDto {
    /// 1–31 (31: the month's last day).
    pub closing_day: u32,
    /// Months after the closing month (0: the same month).
    pub pay_months_after: u32,
    /// 1–31 (31: the month's last day).
    pub pay_day: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum TransferFeeBorneByCode {
    Shop,
    Gateway,
}

/// The settlement contract of one payment method as the shop entered it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct SettlementContractInput {
    pub method: PaymentMethodCode,
    pub cycles: Vec<CycleDto>,
    /// A percentage as typed (`3.6`); empty = not set.
    pub fee_rate: String,
    #[specta(type = Option<specta_typescript::Number>)]
    pub fee_per_capture_yen: Option<i64>,
    #[specta(type = Option<specta_typescript::Number>)]
    pub transfer_fee_yen: Option<i64>,
    pub transfer_fee_borne_by: Option<TransferFeeBorneByCode>,
}

/// A saved contract and what it still lacks (then no deposit is computed for its method).
#[derive(Clone, Debug, Serialize, Type)]
pub struct SettlementContract {
    pub contract: SettlementContractInput,
    pub missing: Vec<crate::Text>,
}

/// Which periods to show: those overlapping Japan days `from` to `to`. Left out: the last
/// two months up to today (on PayDesk's clock), with what is still to come.
#[derive(Clone, Debug, Serialize, Deserialize, Type)]
pub struct ExpectedDepositsQuery {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// One settlement period's expected deposit.
#[derive(Clone, Debug, Serialize, Type)]
pub struct ExpectedDepositRow {
    pub start: String,
    pub end: String,
    pub payment_date: String,
    #[specta(type = specta_typescript::Number)]
    pub captured_yen: i64,
    pub captures: u32,
    #[specta(type = specta_typescript::Number)]
    pub refunded_yen: i64,
    pub refunds: u32,
    #[specta(type = specta_typescript::Number)]
    pub fee_yen: i64,
    #[specta(type = specta_typescript::Number)]
    pub transfer_fee_yen: i64,
    /// Captured − refunded − fee − transfer fee.
    #[specta(type = specta_typescript::Number)]
    pub expected_yen: i64,
    /// The payment date is today or later.
    pub to_come: bool,
}

/// One method's periods, or what its contract lacks (then `periods` is empty).
#[derive(Clone, Debug, Serialize, Type)]
pub struct MethodDeposits {
    pub method: PaymentMethodCode,
    pub missing: Vec<crate::Text>,
    pub periods: Vec<ExpectedDepositRow>,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct ExpectedDepositsReport {
    pub from: String,
    pub to: String,
    pub methods: Vec<MethodDeposits>,
    /// The sum of the periods still to come (methods with a complete contract).
    #[specta(type = specta_typescript::Number)]
    pub to_come_yen: i64,
}

/// A deposit the shop received, as typed.
#[derive(Clone, Debug, Serialize, Deserialize, Type)]
pub struct DepositInput {
    pub method: PaymentMethodCode,
    /// The Japan day it arrived, `2026-12-15`.
    pub received_on: String,
    #[specta(type = specta_typescript::Number)]
    pub amount_yen: i64,
}

/// A received deposit matched to the settlement period it pays, with the difference and
/// the orders that explain it.
#[derive(Clone, Debug, Serialize, Type)]
pub struct ReconciledDeposit {
    #[specta(type = specta_typescript::Number)]
    pub id: i64,
    pub method: PaymentMethodCode,
    pub received_on: String,
    #[specta(type = specta_typescript::Number)]
    pub amount_yen: i64,
    /// The period whose payment date is nearest (none: no period is paid near that day).
    pub period: Option<ExpectedDepositRow>,
    /// Received − expected.
    #[specta(type = Option<specta_typescript::Number>)]
    pub difference_yen: Option<i64>,
    /// Captures and refunds after the period closed, up to the day the money arrived: the
    /// gateway may have counted them in this deposit.
    pub explanation: Vec<MovementItem>,
    /// The explanation's captures less refunds come to exactly the difference.
    pub explained: bool,
    /// When nothing explains it: the fee rate the deposit implies (`3.9`), a fee change.
    pub implied_fee_rate: Option<String>,
    /// What the contract lacks (then no period and no difference).
    pub missing: Vec<crate::Text>,
    /// From the bank's statement: the bank's record, never corrected in PayDesk. A typed
    /// one can be corrected or withdrawn.
    pub imported: bool,
    /// How many times it was corrected (the earlier values are kept).
    pub corrections: u32,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct ReconciliationReport {
    pub from: String,
    pub to: String,
    pub deposits: Vec<ReconciledDeposit>,
}
