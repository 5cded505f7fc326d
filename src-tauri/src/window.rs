//! The main window, made when it is asked for and destroyed when it is closed (issue 22).
//!
//! A hidden webview kept WebKit's web and network processes (about 330 MiB of the 516 MiB
//! the demo used in the tray). So closing the window destroys it, and the app goes on in
//! the tray without one: the core (`api::Desk`'s sync, renewals, scheduled mail and
//! notifications) never waits on a window. `lib.rs` keeps the app running when its last
//! window closes (`RunEvent::ExitRequested` without an exit code).
//!
//! [`open`] shows the window, making it first when it is gone (the tray, a notification
//! click, a second launch). A new window opens on the screen the shop owner left
//! ([`remember_place`], the UI reports each change), or on the screen of a notification
//! click not yet taken (`notify::take_click`). Both reach the page before its first frame,
//! through an initialization script, so it paints that screen first with no jump.

use std::sync::Mutex;

use tauri::{AppHandle, Manager, WebviewWindowBuilder};

pub const MAIN: &str = "main";

/// The longest place the UI may leave (its route as JSON is a few hundred bytes).
const MAX_PLACE_BYTES: usize = 16 * 1024;

/// The UI's last place (its route, as JSON the UI reads back), kept while no window exists.
static PLACE: Mutex<Option<String>> = Mutex::new(None);

fn place() -> std::sync::MutexGuard<'static, Option<String>> {
    PLACE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Keeps the screen the UI shows, for the next window (see the module docs). A place
/// that is not JSON or is oversized is dropped: the next window then opens on Home.
pub fn remember_place(json: String) {
    let valid = json.len() <= MAX_PLACE_BYTES
        && serde_json::from_str::<serde_json::Value>(&json).is_ok_and(|v| v.is_object());
    *place() = valid.then_some(json);
}

/// When a window was last asked for with none there (opened from the tray), until its
/// page shows its first screen ([`take_asked`]).
static ASKED: Mutex<Option<std::time::Instant>> = Mutex::new(None);

/// When the window whose page now shows its first screen was asked for, if it was made
/// from the tray (a new window after a close, or the first one after a start at login);
/// taken once. `None` for the window made at start, measured from `main` instead.
pub fn take_asked() -> Option<std::time::Instant> {
    ASKED.lock().unwrap_or_else(|p| p.into_inner()).take()
}

/// Shows the main window, made anew when it was closed.
pub fn open(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(MAIN) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
        return;
    }
    *ASKED.lock().unwrap_or_else(|p| p.into_inner()) = Some(std::time::Instant::now());
    if let Err(e) = create(app) {
        take_asked();
        tracing::warn!(error = %e, "the window could not be opened");
    }
}

/// Makes the main window from its configuration (`tauri.conf.json`, which does not create
/// it by itself), shown.
pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let Some(config) = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == MAIN)
        .cloned()
    else {
        return Err(tauri::Error::WindowNotFound);
    };
    // What the page reads before its first frame: the place to open and a click to follow.
    let start = serde_json::json!({
        "place": place().clone(),
        "click": crate::notify::take_click(),
    });
    WebviewWindowBuilder::from_config(app, &config)?
        .initialization_script(format!("window.__PAYDESK_START__ = {start};"))
        .build()?;
    tracing::info!("window opened");
    Ok(())
}

/// Under `cargo xtask bench` (`PAYDESK_BENCH_STARTUP` set), the benchmark closes and
/// opens the window by writing `close` or `open` lines to the app's standard input, the
/// same paths as the title bar's close button and the tray's "Open".
pub fn follow_bench_commands(app: &AppHandle) {
    if std::env::var_os("PAYDESK_BENCH_STARTUP").is_none() {
        return;
    }
    let app = app.clone();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            match line.trim() {
                "close" => {
                    if let Some(window) = app.get_webview_window(MAIN) {
                        let _ = window.close();
                    }
                }
                "open" => open(&app),
                _ => {}
            }
        }
    });
}
