//! The Tauri commands of the bank statement import and the deposit check's agreement with
//! the recorded deposits (issue 21, point 3). Thin, like `commands`: pull state, call the
//! API, return its DTO or its `AppError`.

use api::dto::money::ExpectedDepositsQuery;
use api::dto::statement::{
    DepositCheckAgreement, OrderDepositPeriod, StatementImport, StatementMappingDto,
};
use api::{AppError, Desk};
use tauri::State;

/// The bank statement's column mapping.
#[tauri::command]
#[specta::specta]
pub async fn statement_mapping(desk: State<'_, Desk>) -> Result<StatementMappingDto, AppError> {
    desk.statement_mapping().await
}

/// Saves the bank statement's column mapping.
#[tauri::command]
#[specta::specta]
pub async fn save_statement_mapping(
    desk: State<'_, Desk>,
    input: StatementMappingDto,
) -> Result<StatementMappingDto, AppError> {
    desk.save_statement_mapping(input).await
}

/// What importing a bank statement would record (nothing is recorded).
#[tauri::command]
#[specta::specta]
pub async fn preview_statement(
    desk: State<'_, Desk>,
    path: String,
) -> Result<StatementImport, AppError> {
    desk.preview_statement(path).await
}

/// Imports exactly the previewed statement.
#[tauri::command]
#[specta::specta]
pub async fn import_statement(
    desk: State<'_, Desk>,
    path: String,
    token: String,
) -> Result<StatementImport, AppError> {
    desk.import_statement(path, token).await
}

/// Whether the deposit check (入金チェック) agrees with the recorded deposits.
#[tauri::command]
#[specta::specta]
pub async fn deposit_check_agreement(
    desk: State<'_, Desk>,
    query: ExpectedDepositsQuery,
) -> Result<DepositCheckAgreement, AppError> {
    desk.deposit_check_agreement(query).await
}

/// Where one order stands against the recorded deposits (beside its deposit check).
#[tauri::command]
#[specta::specta]
pub async fn order_deposit_period(
    desk: State<'_, Desk>,
    order_id: i32,
) -> Result<Option<OrderDepositPeriod>, AppError> {
    desk.order_deposit_period(i64::from(order_id)).await
}
