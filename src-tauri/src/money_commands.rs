//! The Tauri commands of money in (issue 21): sales, the movements behind a cell, the
//! accounting account names, the journal export, the settlement contracts and the
//! expected deposits. Thin, like `commands`: pull state,
//! call the API, return its DTO or its `AppError`.

use api::dto::money::{
    AccountingFormatCode, AccountingSettings, DepositInput, ExpectedDepositsQuery,
    ExpectedDepositsReport, JournalExportReport, MovementList, MovementsQuery, ReconciledDeposit,
    ReconciliationReport, SalesQuery, SalesReport, SettlementContract, SettlementContractInput,
};
use api::{AppError, Desk};
use tauri::State;

/// Captured, refunded and net per Japan day or month and method.
#[tauri::command]
#[specta::specta]
pub async fn sales_report(
    desk: State<'_, Desk>,
    query: SalesQuery,
) -> Result<SalesReport, AppError> {
    desk.sales_report(query).await
}

/// The captures and refunds behind one cell of the sales table.
#[tauri::command]
#[specta::specta]
pub async fn sales_movements(
    desk: State<'_, Desk>,
    query: MovementsQuery,
) -> Result<MovementList, AppError> {
    desk.sales_movements(query).await
}

/// The account names the accounting exports use.
#[tauri::command]
#[specta::specta]
pub async fn accounting_settings(desk: State<'_, Desk>) -> Result<AccountingSettings, AppError> {
    desk.accounting_settings().await
}

/// Saves the account names.
#[tauri::command]
#[specta::specta]
pub async fn save_accounting_settings(
    desk: State<'_, Desk>,
    input: AccountingSettings,
) -> Result<AccountingSettings, AppError> {
    desk.save_accounting_settings(input).await
}

/// Writes one Japan month's journal entries for freee, Money Forward or Yayoi.
#[tauri::command]
#[specta::specta]
pub async fn export_journal(
    desk: State<'_, Desk>,
    path: String,
    format: AccountingFormatCode,
    month: String,
) -> Result<JournalExportReport, AppError> {
    desk.export_journal(path, format, month).await
}

/// Both payment methods' settlement contracts and what each still lacks.
#[tauri::command]
#[specta::specta]
pub async fn settlement_contracts(
    desk: State<'_, Desk>,
) -> Result<Vec<SettlementContract>, AppError> {
    desk.settlement_contracts().await
}

/// Saves one payment method's settlement contract.
#[tauri::command]
#[specta::specta]
pub async fn save_settlement_contract(
    desk: State<'_, Desk>,
    input: SettlementContractInput,
) -> Result<SettlementContract, AppError> {
    desk.save_settlement_contract(input).await
}

/// Each settlement period's expected deposit per payment method.
#[tauri::command]
#[specta::specta]
pub async fn expected_deposits(
    desk: State<'_, Desk>,
    query: ExpectedDepositsQuery,
) -> Result<ExpectedDepositsReport, AppError> {
    desk.expected_deposits(query).await
}

/// Records a deposit received from the gateway and returns it matched to its period.
#[tauri::command]
#[specta::specta]
pub async fn record_deposit(
    desk: State<'_, Desk>,
    input: DepositInput,
) -> Result<ReconciledDeposit, AppError> {
    desk.record_deposit(input).await
}

/// Corrects a deposit typed by hand (the earlier values are kept) and returns it matched.
#[tauri::command]
#[specta::specta]
pub async fn correct_deposit(
    desk: State<'_, Desk>,
    id: i32,
    input: DepositInput,
) -> Result<ReconciledDeposit, AppError> {
    desk.correct_deposit(i64::from(id), input).await
}

/// Withdraws a deposit typed by mistake (kept in the store, no longer counted).
#[tauri::command]
#[specta::specta]
pub async fn withdraw_deposit(desk: State<'_, Desk>, id: i32) -> Result<(), AppError> {
    desk.withdraw_deposit(i64::from(id)).await
}

/// The deposits received, each matched to its period, with differences and explanations.
#[tauri::command]
#[specta::specta]
pub async fn reconciliation(
    desk: State<'_, Desk>,
    query: ExpectedDepositsQuery,
) -> Result<ReconciliationReport, AppError> {
    desk.reconciliation(query).await
}
