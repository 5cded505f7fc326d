//! The desktop notification when a bulk-capture run finishes while the window is hidden
//! (closed to the tray or minimized): the run's summary, in Japanese and English.
//!
//! Clicking it cannot open the bulk screen: tauri-plugin-notification's desktop
//! notifications have no click callback. The bulk screen shows the finished run (and its
//! operation log) when the window is opened from the tray.

use tauri::Manager;
use tauri_plugin_notification::NotificationExt;

/// Shows the notification for a `bulk_run_finished` event if the main window is hidden.
pub fn on_event(app: &tauri::AppHandle, event: &api::dto::DeskEvent) {
    let api::dto::DeskEvent::BulkRunFinished { run } = event else {
        return;
    };
    let visible = app
        .get_webview_window("main")
        .and_then(|w| Some(w.is_visible().ok()? && !w.is_minimized().ok()?))
        .unwrap_or(false);
    if visible {
        return;
    }
    // The shell does not keep the UI's language: both languages, Japanese first.
    let title = "売上確定一括処理が終わりました / Bulk capture finished";
    let mut body = format!("{}\n{}", run.summary.ja, run.summary.en);
    if let Some(m) = &run.message {
        body.push_str(&format!("\n{}\n{}", m.ja, m.en));
    }
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        eprintln!("PayDesk: desktop notification failed: {e}");
    }
}
