//! The IPC types of the bank statement import (issue 21, point 3) and of the agreement
//! between the deposit check (入金チェック) and the reconciled periods. Same conventions
//! as [`crate::money_dto`]: integer yen in `*_yen` fields, Japan days as `2026-12-15`.

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::dto::PaymentMethodCode;
use crate::dto::money::ReconciledDeposit;

/// The statement's column mapping, set once. Empty = the default (documented on the
/// screen and in README: the usual header names of Japanese banks' statements; card
/// ペイジェント, PAYGENT; Paidy ペイディ, PAIDY).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct StatementMappingDto {
    /// The date column: its header (`日付`) or its number from 1.
    pub date_column: String,
    /// The deposit amount column (`お預入金額`), header or number.
    pub amount_column: String,
    /// The description column (`摘要`), header or number; empty: every other cell.
    pub description_column: String,
    /// Texts of a card deposit's description, separated by commas.
    pub card_texts: String,
    /// Texts of a Paidy deposit's description, separated by commas.
    pub paidy_texts: String,
}

/// What a statement line is, and what the import does or did with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum StatementLineStatusCode {
    /// A gateway deposit recorded by this import (preview: to be recorded).
    Record,
    /// A gateway deposit imported before: not recorded twice.
    AlreadyImported,
    /// A gateway deposit typed by hand before (same method, day and amount): that deposit
    /// is taken as this line's, nothing new is recorded.
    AlreadyTyped,
    /// A deposit from someone else.
    NotGateway,
    /// A withdrawal.
    Withdrawal,
    /// The date or the amount cannot be read.
    Unreadable,
}

/// One line of the statement and what became of it.
#[derive(Clone, Debug, Serialize, Type)]
pub struct StatementLineDto {
    /// The file's line number.
    pub line: u32,
    /// The date as written.
    pub date: String,
    #[specta(type = Option<specta_typescript::Number>)]
    pub amount_yen: Option<i64>,
    pub description: String,
    pub method: Option<PaymentMethodCode>,
    pub status: StatementLineStatusCode,
    /// Why a line is not recorded, or why a gateway deposit matches no period.
    pub reason: Option<crate::Text>,
    /// A gateway deposit matched to its period, with the difference and the orders that
    /// explain it (`id` 0 in a preview of a line not recorded yet).
    pub deposit: Option<ReconciledDeposit>,
}

/// A statement previewed or imported. The preview's `token` applies exactly it.
#[derive(Clone, Debug, Serialize, Type)]
pub struct StatementImport {
    pub path: String,
    /// `utf-8` or `shift_jis`.
    pub encoding: String,
    pub token: String,
    /// False: a preview, nothing recorded.
    pub applied: bool,
    /// The import's number (none: a preview, or nothing was new).
    #[specta(type = Option<specta_typescript::Number>)]
    pub import_id: Option<i64>,
    /// Every line after the header, in file order.
    pub lines: Vec<StatementLineDto>,
    /// The gateway's deposits in the file.
    pub deposits: u32,
    /// Recorded new (preview: to record).
    pub recorded: u32,
    /// Recorded before (imported or typed): not recorded again.
    pub already: u32,
    /// Gateway deposits matched to a settlement period.
    pub matched: u32,
    /// Gateway deposits matched to no period (each says why).
    pub unmatched: u32,
    /// Matched deposits whose amount differs from the expected deposit.
    pub differences: u32,
    /// Lines that are not the gateway's deposits.
    pub other_lines: u32,
}

/// An order in an agreement list.
#[derive(Clone, Debug, Serialize, Type)]
pub struct AgreementOrder {
    #[specta(type = specta_typescript::Number)]
    pub order_id: i64,
    pub order_number: String,
    pub method: PaymentMethodCode,
    /// Its deposit check's day (none: not marked).
    pub marked_on: Option<String>,
}

/// A recorded deposit's period, and its captured orders whose deposit check is not marked.
#[derive(Clone, Debug, Serialize, Type)]
pub struct PeriodUnmarked {
    #[specta(type = specta_typescript::Number)]
    pub deposit_id: i64,
    pub method: PaymentMethodCode,
    pub received_on: String,
    pub start: String,
    pub end: String,
    /// Orders captured in the period.
    pub orders: u32,
    /// Those not marked received (at most `RULES.sales_movements_shown`).
    pub unmarked: Vec<AgreementOrder>,
    /// How many are not marked in all.
    pub unmarked_count: u32,
}

/// An order marked received whose settlement period has no recorded deposit.
#[derive(Clone, Debug, Serialize, Type)]
pub struct MarkedWithoutDeposit {
    pub order: AgreementOrder,
    /// The period its capture falls in and when it is paid.
    pub start: String,
    pub end: String,
    pub payment_date: String,
}

/// Whether the per-order deposit check and the period view agree: every order captured in
/// a period whose deposit is recorded is marked received, and every order marked received
/// belongs to a period whose deposit is recorded.
#[derive(Clone, Debug, Serialize, Type)]
pub struct DepositCheckAgreement {
    pub from: String,
    pub to: String,
    pub agree: bool,
    /// Per recorded deposit (matched to a period) with orders not marked.
    pub periods: Vec<PeriodUnmarked>,
    /// Orders marked received (marked from `from` to `to`) whose period has no deposit.
    pub marked_without_deposit: Vec<MarkedWithoutDeposit>,
}

/// Where one order stands against the recorded deposits (shown beside its deposit check):
/// the settlement period its first capture falls in, when that period is paid, the
/// deposit recorded for it if any, and whether the order's deposit check agrees.
#[derive(Clone, Debug, Serialize, Type)]
pub struct OrderDepositPeriod {
    pub method: PaymentMethodCode,
    pub start: String,
    pub end: String,
    pub payment_date: String,
    /// The day the deposit paying this period was received, when it is recorded.
    pub deposit_received_on: Option<String>,
    /// The order's deposit check agrees with the recorded deposits: both marked and
    /// recorded, or neither.
    pub agrees: bool,
    /// What the shop owner should read, in plain words.
    pub message: crate::Text,
}
