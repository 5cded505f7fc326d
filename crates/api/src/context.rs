//! The desk's context: [`Context`], what every feature module's functions work over (the
//! store, the keychain, the clock, the event sink, the gateway clients, and the little
//! state each background task keeps in memory), and the [`Desk`] handle that carries it
//! (its methods are the facade, `desk.rs`). It sits below every feature module and calls
//! none of them (`cargo xtask tidy` checks the order).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use clock::Clock;
use domain::bulk::RunId;
use paygent_client::Client;
use secrets::Keychain;

use crate::dto::DemoStatus;
use crate::dto::events::DeskEvent;
use crate::error::{AppError, Text};
use crate::sync_state::SyncShared;

/// Which build this is; it picks the keychain namespace so that test and dev builds never
/// read or overwrite the release app's secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Build {
    Release,
    Dev,
    Test,
}

/// Where the backend's events go: the Tauri shell emits them to the window, tests collect
/// them, the CLI drops them.
pub trait EventSink: Send + Sync {
    fn emit(&self, event: DeskEvent);
}

/// An event sink that drops everything (the CLI).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoEvents;

impl EventSink for NoEvents {
    fn emit(&self, _event: DeskEvent) {}
}

// The demo's seam (crate `demo` implements it; `demo_servers` names it for the outside):
// here because the desk carries the running demo and the demo prepares the desk.

/// What a demo step returns: a boxed future, so the traits stay object-safe.
pub type DemoFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, AppError>> + Send + 'a>>;

/// Starts the demo's servers (crate `demo`).
pub trait DemoServers: Send + Sync {
    /// Starts the servers with their state in `dir`, inside the demo's own data folder.
    fn start<'a>(&'a self, dir: &'a Path) -> DemoFuture<'a, Box<dyn RunningDemo>>;
}

/// The demo's running servers; dropping them stops them.
pub trait RunningDemo: Send + Sync {
    fn status(&self) -> DemoStatus;
    /// The simulator's clock, which the demo's desk follows.
    fn clock(&self) -> Arc<dyn Clock>;
    /// Connects the desk to the servers (settings and secrets as a shop enters them) and,
    /// on the first start, fills it with sample data.
    fn prepare<'a>(&'a self, desk: &'a Desk) -> DemoFuture<'a, ()>;
}

pub(crate) struct Inner {
    pub(crate) identifier: String,
    pub(crate) version: String,
    pub(crate) build: Build,
    pub(crate) data_dir: PathBuf,
    pub(crate) keychain: Keychain,
    pub(crate) store: Mutex<store::Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) events: Arc<dyn EventSink>,
    pub(crate) sync: SyncShared,
    pub(crate) clients: ClientCache,
    pub(crate) retry_wait_divisor: u32,
    pub(crate) relay_stall_divisor: u32,
    pub(crate) in_flight_window: chrono::TimeDelta,
    pub(crate) notice: Option<Text>,
    /// Serializes operations so two clicks never race on one order's journal.
    pub(crate) operations: tokio::sync::Mutex<()>,
    /// The bulk-capture run this process executes.
    pub(crate) bulk: BulkShared,
    /// The subscription scheduler's wake-up call and locks.
    pub(crate) subscriptions: SubscriptionsShared,
    /// The demo's running servers, in a demo run (dropping them stops them).
    pub(crate) demo: Option<Box<dyn RunningDemo>>,
    /// Whether this build can run the demo (the setup guide offers it only then).
    pub(crate) demo_available: bool,
}

/// What every feature module's functions work over (`cx: &Context`). Cheap to clone (an
/// `Arc` inside), so a background task takes its own.
#[derive(Clone)]
pub(crate) struct Context {
    pub(crate) inner: Arc<Inner>,
}

/// The application: one per process. Cheap to clone (an `Arc` inside). Its methods (the
/// facade, `desk.rs`) delegate to the feature modules' functions over its [`Context`].
#[derive(Clone)]
pub struct Desk {
    pub(crate) cx: Context,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk")
            .field("data_dir", &self.cx.inner.data_dir)
            .finish_non_exhaustive()
    }
}

/// The keychain namespace of a build, and of its demo: the demo stores its own (local
/// simulator) credentials, and storing one deletes the entry first, so it must never share
/// a namespace with a shop's real secrets, whatever the build.
pub fn keychain_namespace(identifier: &str, build: Build, demo: bool) -> String {
    let base = match build {
        Build::Release => identifier.to_owned(),
        Build::Dev => format!("{identifier}.dev"),
        Build::Test => format!("{identifier}.test"),
    };
    if demo { format!("{base}.demo") } else { base }
}

/// What the process knows about bulk runs beyond the database.
#[derive(Default)]
pub(crate) struct BulkShared {
    /// The run this process is executing (recovery leaves it alone; a second start is
    /// refused).
    pub(crate) active: Mutex<Option<RunId>>,
}

impl BulkShared {
    pub(crate) fn active(&self) -> Option<RunId> {
        *self.active.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The clients built from the settings, dropped whenever a setting changes.
#[derive(Default)]
pub(crate) struct ClientCache {
    /// The client, and the settings generation it was built from.
    pub(crate) gateway: Mutex<(Option<Client>, u64)>,
}

impl ClientCache {
    pub(crate) fn clear(&self) {
        let mut cache = self.gateway.lock().unwrap_or_else(|p| p.into_inner());
        // A client still being built from the old settings (sync runs alongside) must
        // not be kept after this: it would send the old password until the next change.
        *cache = (None, cache.1.wrapping_add(1));
    }
}

/// The scheduler's wake-up call and its one-at-a-time lock.
#[derive(Default)]
pub(crate) struct SubscriptionsShared {
    pub(crate) wake: tokio::sync::Notify,
    /// One renewal pass at a time (the scheduler, or the "run now" button).
    pub(crate) running: tokio::sync::Mutex<()>,
    /// One pass over the mail queue at a time.
    pub(crate) sending: tokio::sync::Mutex<()>,
}

impl Context {
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// The store, for a short synchronous section (never across an `.await`).
    pub(crate) fn store(&self) -> MutexGuard<'_, store::Store> {
        self.inner
            .store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Frees the database's page cache (the window is gone, the tray reads little; see
    /// `store::Store::shrink_memory`). A failure only means the cache stays.
    pub(crate) fn shrink_memory(&self) {
        if let Err(e) = self.store().shrink_memory() {
            tracing::warn!(error = %e, "the database cache could not be shrunk");
        }
    }

    pub(crate) fn emit(&self, event: DeskEvent) {
        self.inner.events.emit(event);
    }

    pub(crate) fn keychain(&self) -> &Keychain {
        &self.inner.keychain
    }

    pub(crate) fn orders_changed(&self, ids: &[i64]) {
        if !ids.is_empty() {
            self.emit(DeskEvent::OrdersChanged {
                order_ids: ids.to_vec(),
            });
        }
    }

    pub(crate) fn demo_status_dto(&self) -> Option<DemoStatus> {
        self.inner.demo.as_ref().map(|running| running.status())
    }

    pub(crate) fn is_demo(&self) -> bool {
        self.demo_status_dto().is_some()
    }
}
