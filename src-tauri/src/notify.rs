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
//!   again instead; the single-instance plugin turns that into showing the running window
//!   (`lib.rs`), and the UI opens the last notification's screen when the window gets focus.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use api::dto::DeskEvent;
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
/// `api::subscriptions_dto::DesktopNotification`, which the UI already reads.
#[derive(Clone, Debug, Serialize)]
pub struct Target {
    pub screen: String,
    /// The order (`order`) or bulk-capture run (`bulk_run`) to open.
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
        // The screen first, then the window: the UI then opens this screen before the
        // focus could open the one it remembered from the last notification.
        let _ = handle.emit(OPEN_SCREEN, target);
        crate::tray::show_main_window(&handle);
    });
    if let Err(e) = registered {
        eprintln!("PayDesk: notification clicks are not reported: {e}");
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
    if let Err(e) = shown {
        eprintln!("PayDesk: desktop notification failed: {e}");
    }
}
