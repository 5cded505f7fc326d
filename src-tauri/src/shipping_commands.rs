//! The fulfilment commands (issue 20: label files, tracking numbers), thin like
//! `commands`: pull state, call the API, return its DTO or its `AppError`.

use api::dto::shipping::CarrierCode;
use api::dto::shipping::{
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

/// Opens the carrier's tracking page for a number in the system browser (the window never
/// navigates away). The URL is built by the API from the digits, never taken from the UI.
#[tauri::command]
#[specta::specta]
pub async fn open_tracking_page(
    desk: State<'_, Desk>,
    carrier: CarrierCode,
    tracking_number: String,
) -> Result<(), AppError> {
    let url = desk.tracking_page(carrier, &tracking_number)?;
    open_in_browser(&url).map_err(|e| {
        AppError::of(api::ErrorCode::BrowserNotOpened)
            .with("detail", e)
            .with("url", &url)
            .into()
    })
}

fn open_in_browser(url: &str) -> std::io::Result<()> {
    #[cfg(target_os = "windows")]
    let mut command = {
        // `start` would split the URL at `&`; the URL handler takes it whole.
        let mut c = std::process::Command::new("rundll32");
        c.args(["url.dll,FileProtocolHandler", url]);
        c
    };
    #[cfg(target_os = "macos")]
    let mut command = {
        let mut c = std::process::Command::new("open");
        c.arg(url);
        c
    };
    #[cfg(not(any(target_os = "windows", target_os = "macos")))]
    let mut command = {
        let mut c = std::process::Command::new("xdg-open");
        c.arg(url);
        c
    };
    let mut child = command.spawn()?;
    // Reaped on its own thread: the opener exits at once, and no zombie is left behind.
    std::thread::spawn(move || child.wait());
    Ok(())
}
