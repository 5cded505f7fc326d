//! Desktop notifications, and opening the matching screen when one is clicked (issues #8
//! and #9).
//!
//! Layout: [`on_event`] turns the backend's events into notifications: a bulk-capture run
//! that finished while the window was hidden, and the subscription notifications (a failed
//! renewal at once, the daily card digest, orders near their capture deadline; the backend
//! decides when and whether). Each carries a [`Target`], the screen a click opens.
//! [`listen_for_clicks`] registers the one click handler: it tells the UI which screen to
//! open (the [`OPEN_SCREEN`] event, handled in `ui/src/lib/subscriptions.ts`) and brings the
//! window forward. [`set_language`] keeps the UI's language for the texts.
//!
//! Clicks are reported by tauri-plugin-notification (since 2.6: `Notification::on_action`,
//! the action `tap`), so no second notification library is needed:
//! - Linux and the BSDs: the plugin offers the freedesktop `default` action (what a click on
//!   the notification invokes) and listens for `ActionInvoked` on the one session-bus
//!   connection that sent the notification (dunst sends the signal only to that connection).
//! - Windows and macOS: the plugin waits for the toast's answer on a thread, so a click while
//!   the toast is on screen is reported. A click in Windows' Action Center launches PayDesk
//!   again instead; the single-instance plugin hands that launch to [`open_last_shown`]
//!   (`lib.rs`), which opens the screen of the last notification nobody clicked.
//!
//! Only an explicit act opens a screen: a reported click or a second launch. Merely
//! switching back to the window never does, so a shop owner in the middle of a refund is
//! not carried off to another screen by a notification that came meanwhile.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use api::dto::events::DeskEvent;
use serde::Serialize;
use tauri::{Emitter, Manager};
use tauri_plugin_notification::NotificationExt;

/// The event that tells the UI to open a notification's screen; its payload is a
/// [`Target`].
pub const OPEN_SCREEN: &str = "open-screen";

/// The screen of a finished bulk-capture run (its detailed log); `target_id` is the run.
/// The subscription notifications name theirs in `domain` (`NotificationKind::screen`).
const BULK_RUN_SCREEN: &str = "bulk_run";

/// Where a click on a notification leads: the same two fields as
/// `api::dto::subscriptions::DesktopNotification`, which the UI already reads.
#[derive(Clone, Debug, PartialEq, Serialize, specta::Type)]
pub struct Target {
    pub screen: String,
    /// The order (`order`) or bulk-capture run (`bulk_run`) to open.
    #[specta(type = Option<specta_typescript::Number>)]
    pub target_id: Option<i64>,
}

impl Target {
    /// The target a notification carries in its `extra` payload (see [`show`]).
    fn from_extra(extra: &HashMap<String, serde_json::Value>) -> Option<Target> {
        Some(Target {
            screen: extra.get("screen")?.as_str()?.to_owned(),
            target_id: extra.get("target_id").and_then(serde_json::Value::as_i64),
        })
    }
}

/// The target of the last notification shown and not yet opened (see [`open_last_shown`]).
static LAST_SHOWN: Mutex<Option<Target>> = Mutex::new(None);

fn last_shown() -> std::sync::MutexGuard<'static, Option<Target>> {
    LAST_SHOWN.lock().unwrap_or_else(|p| p.into_inner())
}

/// The last reported click, until the UI takes it (see [`take_click`]).
static CLICKED: Mutex<Option<Target>> = Mutex::new(None);

fn clicked() -> std::sync::MutexGuard<'static, Option<Target>> {
    CLICKED.lock().unwrap_or_else(|p| p.into_inner())
}

/// The click reported before the UI listened for [`OPEN_SCREEN`] (it registers late while
/// the demo starts), if any; taken once. The UI asks as soon as it listens, and again on
/// each `open-screen` event, which clears a click it has already opened.
pub fn take_click() -> Option<Target> {
    clicked().take()
}

/// PayDesk was launched again while running (a click in Windows' Action Center, or the
/// shop owner starting it once more): shows the window, on the screen of the last
/// notification that was not clicked, if there is one. That screen opens once.
pub fn open_last_shown(app: &tauri::AppHandle) {
    let target = last_shown().take();
    if let Some(target) = target {
        // Kept for the window too, should it have to be made first (see `window`).
        *clicked() = Some(target.clone());
        let _ = app.emit(OPEN_SCREEN, target);
    }
    crate::tray::show_main_window(app);
}

/// The UI's language (the `set_language` command), English when true.
static ENGLISH: AtomicBool = AtomicBool::new(false);

pub fn set_language(language: api::dto::Language) {
    ENGLISH.store(language == api::dto::Language::En, Ordering::Relaxed);
}

fn pick(text: &api::Text) -> String {
    if ENGLISH.load(Ordering::Relaxed) {
        text.en.clone()
    } else {
        text.ja.clone()
    }
}

/// Registers the click handler. Call it before anything can notify: the plugin offers the
/// click (the freedesktop `default` action) only while a handler exists.
pub fn listen_for_clicks(app: &tauri::AppHandle) {
    let handle = app.clone();
    let registered = app.notification().on_action(move |performed| {
        if performed.action_id() != "tap" {
            return;
        }
        let Some(target) = performed
            .notification()
            .and_then(|n| Target::from_extra(n.extra()))
        else {
            return;
        };
        // Opened now: a later second launch must not open it again.
        {
            let mut last = last_shown();
            if last.as_ref() == Some(&target) {
                last.take();
            }
        }
        *clicked() = Some(target.clone());
        let _ = handle.emit(OPEN_SCREEN, target);
        crate::tray::show_main_window(&handle);
    });
    if let Err(e) = registered {
        tracing::warn!(error = %e, "notification clicks are not reported");
    }
}

/// Shows the notification an event calls for, if any.
pub fn on_event(app: &tauri::AppHandle, event: &DeskEvent) {
    match event {
        DeskEvent::BulkRunFinished { run } => {
            // Only when the window is hidden (closed to the tray) or minimized: otherwise
            // the bulk screen shows the end itself.
            let visible = app
                .get_webview_window("main")
                .and_then(|w| Some(w.is_visible().ok()? && !w.is_minimized().ok()?))
                .unwrap_or(false);
            if visible {
                return;
            }
            let title = api::Text::new("売上確定一括処理が終わりました", "Bulk capture finished");
            let mut body = pick(&run.summary);
            if let Some(message) = &run.message {
                body.push('\n');
                body.push_str(&pick(message));
            }
            let target = Target {
                screen: BULK_RUN_SCREEN.into(),
                target_id: Some(run.run_id),
            };
            show(app, pick(&title), body, target);
        }
        DeskEvent::RenewalFailed { notification }
        | DeskEvent::CardDigest { notification }
        | DeskEvent::DeadlineNear { notification } => {
            let target = Target {
                screen: notification.screen.clone(),
                target_id: notification.target_id,
            };
            show(
                app,
                pick(&notification.title),
                pick(&notification.body),
                target,
            );
        }
        _ => {}
    }
}

/// Shows a notification whose click opens `target`. The target travels in the
/// notification's `extra` payload, which the plugin hands back with the click.
fn show(app: &tauri::AppHandle, title: String, body: String, target: Target) {
    let shown = app
        .notification()
        .builder()
        .title(title)
        .body(body)
        .extra("screen", &target.screen)
        .extra("target_id", target.target_id)
        .show();
    match shown {
        Ok(()) => *last_shown() = Some(target),
        Err(e) => tracing::warn!(error = %e, "desktop notification failed"),
    }
}
