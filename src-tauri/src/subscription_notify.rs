//! The desktop notifications of subscriptions: a failed renewal (at once), the daily card
//! digest, and orders near their capture deadline. The backend decides when (and whether:
//! each kind can be turned off); this only shows them, in the UI's language.
//!
//! tauri-plugin-notification's desktop notifications have no click callback, so the UI
//! remembers the last notification's screen and opens it when the window is next shown
//! or focused (which is what a click does where the platform activates the app).

use std::sync::atomic::{AtomicBool, Ordering};

use api::dto::DeskEvent;
use tauri_plugin_notification::NotificationExt;

/// The UI's language (the `set_language` command), English when true.
static ENGLISH: AtomicBool = AtomicBool::new(false);

pub fn set_language(language: api::dto::Language) {
    ENGLISH.store(language == api::dto::Language::En, Ordering::Relaxed);
}

/// Shows the notification carried by a subscription event.
pub fn on_event(app: &tauri::AppHandle, event: &DeskEvent) {
    let notification = match event {
        DeskEvent::RenewalFailed { notification }
        | DeskEvent::CardDigest { notification }
        | DeskEvent::DeadlineNear { notification } => notification,
        _ => return,
    };
    let english = ENGLISH.load(Ordering::Relaxed);
    let pick = |t: &api::Text| if english { t.en.clone() } else { t.ja.clone() };
    if let Err(e) = app
        .notification()
        .builder()
        .title(pick(&notification.title))
        .body(pick(&notification.body))
        .show()
    {
        eprintln!("PayDesk: desktop notification failed: {e}");
    }
}
