//! The Tauri commands of the shop's documents and the deposit check: thin, like
//! `commands` (pull state, call one `api::Desk` method, return its DTO or `AppError`).

use api::dto::OrderDetail;
use api::dto::documents::{
    DepositCheckInput, DocumentsReport, IssueDocumentsRequest, ShopDetails, ShopDetailsInput,
    ShopImageCode,
};
use api::{AppError, Desk};
use tauri::State;

/// The shop's details its documents print (Settings).
#[tauri::command]
#[specta::specta]
pub async fn shop_details(desk: State<'_, Desk>) -> Result<ShopDetails, AppError> {
    desk.shop_details().await
}

#[tauri::command]
#[specta::specta]
pub async fn save_shop_details(
    desk: State<'_, Desk>,
    input: ShopDetailsInput,
) -> Result<ShopDetails, AppError> {
    desk.save_shop_details(input).await
}

/// Sets the logo or seal from a PNG file the shop owner chose; `null` removes it.
#[tauri::command]
#[specta::specta]
pub async fn set_shop_image(
    desk: State<'_, Desk>,
    which: ShopImageCode,
    path: Option<String>,
) -> Result<ShopDetails, AppError> {
    desk.set_shop_image(which, path).await
}

/// Documents of one kind for one order or a selection, into one PDF at the chosen path.
#[tauri::command]
#[specta::specta]
pub async fn issue_documents(
    desk: State<'_, Desk>,
    request: IssueDocumentsRequest,
) -> Result<DocumentsReport, AppError> {
    desk.issue_documents(request).await
}

/// The deposit check (入金チェック): marks the deposit received.
#[tauri::command]
#[specta::specta]
pub async fn mark_deposit(
    desk: State<'_, Desk>,
    order_id: i32,
    input: DepositCheckInput,
) -> Result<OrderDetail, AppError> {
    desk.mark_deposit(i64::from(order_id), input).await
}

#[tauri::command]
#[specta::specta]
pub async fn undo_deposit(desk: State<'_, Desk>, order_id: i32) -> Result<OrderDetail, AppError> {
    desk.undo_deposit(i64::from(order_id)).await
}
