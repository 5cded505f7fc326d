//! The one event the backend pushes to the UI (`desk-event`), with every kind it carries.

use serde::Serialize;
use specta::Type;

use super::{OperationResult, SyncStatus};

/// Everything the backend pushes to the UI, as one Tauri event `desk-event`.
#[derive(Clone, Debug, Serialize, Type)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DeskEvent {
    /// These orders changed (notification, sync, operation, import): reload what shows them.
    OrdersChanged {
        #[specta(type = Vec<specta_typescript::Number>)]
        order_ids: Vec<i64>,
    },
    /// Sync liveness changed.
    SyncStatusChanged { status: SyncStatus },
    /// An operation finished (also one settled in the background after a timeout).
    OperationFinished { result: Box<OperationResult> },
    /// A bulk-capture run started (its items, all pending).
    BulkRunStarted {
        run: Box<super::bulk::BulkRunDetail>,
    },
    /// One order of a bulk-capture run changed (sent, settled): the live per-order result
    /// and the run's progress.
    BulkItemChanged {
        #[specta(type = specta_typescript::Number)]
        run_id: i64,
        item: Box<super::bulk::BulkItem>,
        progress: super::bulk::BulkProgress,
    },
    /// A bulk-capture run finished (also one settled at start after a crash): its summary
    /// (the desktop notification when the window is hidden).
    BulkRunFinished {
        run: Box<super::bulk::BulkRunSummary>,
    },
    /// A renewal failed: the desktop notification (sent at once; the shop can turn it off).
    RenewalFailed {
        notification: super::subscriptions::DesktopNotification,
    },
    /// Cards entered "expiring soon" or "expired" (the daily digest notification).
    CardDigest {
        notification: super::subscriptions::DesktopNotification,
    },
    /// Orders are near their capture deadline (the daily notification).
    DeadlineNear {
        notification: super::subscriptions::DesktopNotification,
    },
    /// These subscriptions changed (renewal, choice, card refresh, import); an empty list
    /// means "reload everything".
    SubscriptionsChanged {
        #[specta(type = Vec<specta_typescript::Number>)]
        subscription_ids: Vec<i64>,
    },
    /// The mail queue changed (queued, sent, failed, discarded).
    MailQueueChanged {},
}
