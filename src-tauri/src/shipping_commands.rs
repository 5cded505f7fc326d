//! The fulfilment commands (issue 20: label files, tracking numbers), thin like
//! `commands`: pull state, call the API, return its DTO or its `AppError`.

use api::shipping_dto::CarrierCode;
use api::shipping_dto::{
    LabelExportReport, LabelExportRequest, LabelSettingsDto, TrackingDto, TrackingImportReport,
    TrackingInput,
};
use api::{AppError, Desk};
use tauri::State;

/// The sender (the shop) and the saved Yamato contract, for the label dialog.
#[tauri::command]
#[specta::specta]
pub async fn label_settings(desk: State<'_, Desk>) -> Result<LabelSettingsDto, AppError> {
    desk.label_settings().await
}

/// Writes the carrier's label file for the selected orders to `path`.
#[tauri::command]
#[specta::specta]
pub async fn export_labels(
    desk: State<'_, Desk>,
    path: String,
    request: LabelExportRequest,
) -> Result<LabelExportReport, AppError> {
    desk.export_labels(path, request).await
}

/// An order's tracking numbers with their carrier's tracking page.
#[tauri::command]
#[specta::specta]
pub async fn order_tracking(
    desk: State<'_, Desk>,
    order_id: i32,
) -> Result<Vec<TrackingDto>, AppError> {
    desk.order_tracking(i64::from(order_id)).await
}

/// Keeps a tracking number typed on an order.
#[tauri::command]
#[specta::specta]
pub async fn add_tracking(
    desk: State<'_, Desk>,
    input: TrackingInput,
) -> Result<Vec<TrackingDto>, AppError> {
    desk.add_tracking(input).await
}

/// Imports a carrier's issued-labels file (tracking numbers by order number).
#[tauri::command]
#[specta::specta]
pub async fn import_tracking(
    desk: State<'_, Desk>,
    path: String,
    carrier: CarrierCode,
) -> Result<TrackingImportReport, AppError> {
    desk.import_tracking(path, carrier).await
}
