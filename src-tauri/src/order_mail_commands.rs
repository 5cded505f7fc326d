//! The order mail commands (issue 20, point 5: shipping notice, order confirmation), thin
//! like `commands`: pull state, call the API, return its DTO or its `AppError`.

use api::dto::order_mail::{OrderMailPreviews, OrderMailReport, OrderMailRequest};
use api::dto::subscriptions::QueuedMailDto;
use api::{AppError, Desk};
use tauri::State;

/// Each selected order's mail as the buyer will get it, or why it cannot go.
#[tauri::command]
#[specta::specta]
pub async fn preview_order_mails(
    desk: State<'_, Desk>,
    request: OrderMailRequest,
) -> Result<OrderMailPreviews, AppError> {
    desk.preview_order_mails(request).await
}

/// Sends the mail to each selected order's buyer; reports per order.
#[tauri::command]
#[specta::specta]
pub async fn send_order_mails(
    desk: State<'_, Desk>,
    request: OrderMailRequest,
) -> Result<OrderMailReport, AppError> {
    desk.send_order_mails(request).await
}

/// An order's mails, newest first.
#[tauri::command]
#[specta::specta]
pub async fn order_mail_log(
    desk: State<'_, Desk>,
    order_id: i32,
) -> Result<Vec<QueuedMailDto>, AppError> {
    desk.order_mail_log(i64::from(order_id)).await
}
