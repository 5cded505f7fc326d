//! Start-up without a blocked window (issue 22, point 2). The desk (`api::Desk::open`:
//! database and migrations, the keychain, the demo's embedded servers and sample data,
//! settling what a crash left open) opens on the async runtime while WebKit starts and
//! the page paints its frame; it used to block the main thread first, so WebKit could not
//! even start. A command that needs the desk and comes before it is open waits for it
//! ([`wait_for_desk`]) instead of failing; the UI shows its screens once the first such
//! answer came (`App.svelte`), so nothing jumps.

use std::sync::Arc;

use tauri::ipc::Invoke;
use tauri::{Manager, Wry};

/// Commands that never touch the desk, answered at once even while it opens.
const WITHOUT_DESK: &[&str] = &[
    "first_paint",
    "first_screen",
    "remember_place",
    "take_notification_click",
    "set_language",
];

static OPENED: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// The desk is managed: every command waiting for it goes ahead.
pub fn desk_opened() {
    OPENED.notify_waiters();
}

async fn desk_open(app: &tauri::AppHandle) {
    loop {
        // Registered before the check, so a `desk_opened` in between is not missed.
        let opened = OPENED.notified();
        if app.try_state::<api::Desk>().is_some() {
            return;
        }
        opened.await;
    }
}

/// The app's invoke handler around `commands`: a command that needs the desk while it is
/// still opening runs once it is open.
pub fn wait_for_desk(
    commands: impl Fn(Invoke<Wry>) -> bool + Send + Sync + 'static,
) -> impl Fn(Invoke<Wry>) -> bool + Send + Sync + 'static {
    let commands = Arc::new(commands);
    move |invoke: Invoke<Wry>| {
        let app = invoke.message.webview().app_handle().clone();
        if WITHOUT_DESK.contains(&invoke.message.command())
            || app.try_state::<api::Desk>().is_some()
        {
            return commands(invoke);
        }
        let commands = commands.clone();
        tauri::async_runtime::spawn(async move {
            desk_open(&app).await;
            commands(invoke);
        });
        // Answered later, as an async command is.
        true
    }
}
