//! PayDesk's host-agnostic API.
//!
//! Layout: [`Desk`] is the one entry point the Tauri commands (`src-tauri`), the
//! command-line entry (crate `cli`), the demo and the tests call. `desk.rs` is its facade:
//! [`Desk::open`], then one-line methods grouped by feature, each handing the desk's
//! `Context` to a feature module's function of the same name. `context` holds that
//! context, what every feature works over: the store, the keychain, the clock, the event
//! sink, the gateway clients, and the little state each background task keeps in memory
//! (`sync_state` for sync's). Each feature is a module of free functions over it
//! (`pub(crate) async fn capture(cx: &Context, …)`); a feature calls a lower feature's
//! function (`settings::gateway(cx)`), never `Desk`, so the modules depend on each other
//! one way only, lowest first (`cargo xtask tidy` fails on a cycle, and on a feature module
//! that names `Desk`):
//!
//! - `files` (every file the shop owner picks, read under its cap), `convert` (DTOs
//!   built from domain and store types by hand), `error` ([`AppError`]);
//! - `settings` (non-secret settings in the store, secrets in the OS keychain, the
//!   Paygent client built from both, the connection and relay tests);
//! - `orders` (lists and the order detail); `documents` (the shop's documents as PDF, the
//!   shop's details they print, the deposit check), `shipping` (label files, tracking
//!   numbers), `money` (sales per Japan day or month from the ledger, the journal files),
//!   `deposits` (the settlement contract, expected and received deposits), `statements`
//!   (the bank statement's import, the deposit check against the recorded deposits),
//!   `money_summary` (the monthly summary's sales and deposits, from the screens' calls);
//! - `operations` (capture, cancel, refunds, amount change: checked, journaled, sent,
//!   settled by 094 after a timeout or crash);
//! - `bulk` (bulk capture: runs with bounded concurrency journaled per order, their logs,
//!   settling at start the runs a crash left open);
//! - `sync` (the background tasks: relay stream, 091 polling, stall and wake detection,
//!   the settler that retries open entries; the home screen's counts);
//! - `details` (Paidy 343 verify is sync's; storefront CSV import, undo, CSV export);
//! - `templates` (the shop's editable e-mail texts of every kind: one store, one save
//!   path checked against the kind's placeholders);
//! - `mailing` (SMTP settings, the reminders, the mail queue — each mail claimed
//!   before it is handed to the server, so never sent twice — the monthly summary), then
//!   `order_mails` (the shipping notice and the order confirmation through that queue:
//!   per-order refusals, preview, "sent before" asks first) and `subscriptions` (renewals
//!   on stored cards, failed renewals and their choices, the card dashboard, the scheduler
//!   [`Desk::run_subscriptions`]);
//! - `guide` (the setup guide, over settings' tests and saves); [`identity`] (moving a
//!   desk from the previous identifier at start); [`demo_servers`] (the seam to crate
//!   `demo`, the embedded simulator and relay with sample data, which only development and
//!   test builds link).
//!
//! [`dto`] holds the only types that cross the IPC boundary (they derive `Serialize` and
//! `specta::Type`, so the frontend's TypeScript types are generated from them), one file
//! per feature below it; [`AppError`] is the one error that crosses it.
//!
//! Invariants: no secret reaches a log line, an error, a DTO or the database (secrets are
//! read from the keychain right before use, wrapped in `Sensitive`/`Secret`); time comes
//! from the [`Clock`] given to [`Desk::open`]; the store's mutex is held only for short
//! synchronous sections, never across an `.await`.

mod accounting;
mod bulk;
mod context;
mod convert;
pub mod demo_servers;
mod deposits;
mod desk;
mod details;
mod documents;
pub mod dto;
mod error;
mod error_code;
mod files;
mod guide;
pub mod identity;
pub mod log;
mod mailing;
mod money;
mod money_summary;
mod operations;
mod order_mails;
mod orders;
mod settings;
mod shipping;
mod statements;
mod subscriptions;
mod sync;
mod sync_state;
mod templates;

use std::path::PathBuf;
use std::sync::Arc;

pub use context::{Build, Desk, EventSink, NoEvents, keychain_namespace};
pub use demo_servers::{DemoServers, RunningDemo};
pub use error::{AppError, ErrorCode, Filling, Text};
/// The relay's operator guide, shown from the setup guide (see `relay::OPERATOR_GUIDE`).
pub use relay::OPERATOR_GUIDE as RELAY_OPERATOR_GUIDE;

/// Where PayDesk gets the time from (the workspace's one clock): the app uses
/// [`SystemClock`]; the demo follows the embedded simulator's clock so that moving the
/// simulated time moves PayDesk's too.
pub use clock::{Clock, SystemClock};

/// What [`Desk::open`] needs from its host.
pub struct DeskConfig {
    /// The bundle identifier (`jp.paydesk.desk`); the keychain namespace derives from it.
    pub identifier: String,
    pub version: String,
    pub build: Build,
    /// The shop's data folder (database, logs). The demo never uses it: it runs in
    /// [`demo_data_dir`] beside it (see [`DeskConfig::data_dir_in_use`]).
    pub data_dir: PathBuf,
    pub clock: Arc<dyn Clock>,
    pub events: Arc<dyn EventSink>,
    /// Run as the demo: the embedded simulator and relay with sample data
    /// ([`DeskConfig::demo_servers`]), in the demo's own data folder and keychain namespace.
    pub demo: bool,
    /// The demo's servers (crate `demo`), `None` in a build without the demo (a release):
    /// then [`Desk::open`] refuses `demo` before touching any folder.
    pub demo_servers: Option<Arc<dyn DemoServers>>,
    /// Divides the back-off waits of sync (busy answers, relay reconnects); 1 in the app,
    /// larger in tests so a 9004 back-off does not take 30 real seconds.
    pub retry_wait_divisor: u32,
    /// Divides the relay-stall threshold (`RULES.relay_stall_threshold`), how often the
    /// stream loop checks it, and the relay calls' connect and request timeouts
    /// (`RULES.relay_connect_timeout`, `RULES.relay_request_timeout`); 1 in the app, larger
    /// in tests so a silent stall or a relay that never answers shows in a second instead
    /// of minutes.
    pub relay_stall_divisor: u32,
    /// How long after sending a telegram an inquiry that finds nothing done still means
    /// "may be in flight" (`RULES.in_flight_window`). Test builds take
    /// `PAYDESK_IN_FLIGHT_WINDOW_SECS` so a crash test need not wait two minutes; other
    /// builds ignore it (a short window could double a refund).
    pub in_flight_window: chrono::TimeDelta,
    /// A notice from the host's start for the shop owner (the data could not be moved to
    /// the current identifier's place: see [`identity`]); shown on the home screen.
    pub notice: Option<Text>,
}

impl DeskConfig {
    /// A configuration with the system clock and no event sink.
    pub fn new(identifier: &str, version: &str, build: Build, data_dir: PathBuf) -> DeskConfig {
        DeskConfig {
            identifier: identifier.to_owned(),
            version: version.to_owned(),
            build,
            data_dir,
            clock: Arc::new(SystemClock),
            events: Arc::new(NoEvents),
            demo: false,
            demo_servers: None,
            retry_wait_divisor: 1,
            relay_stall_divisor: 1,
            in_flight_window: in_flight_window_for(build),
            notice: None,
        }
    }

    /// The folder this desk reads and writes: the shop's, or the demo's beside it. The
    /// host puts its log there too.
    pub fn data_dir_in_use(&self) -> PathBuf {
        if self.demo {
            demo_data_dir(&self.data_dir)
        } else {
            self.data_dir.clone()
        }
    }

    /// The keychain namespace this desk reads and writes.
    pub fn keychain_namespace(&self) -> String {
        keychain_namespace(&self.identifier, self.build, self.demo)
    }
}

/// The in-flight window of a build: the rules table's, or the test override.
fn in_flight_window_for(build: Build) -> chrono::TimeDelta {
    let test_override = (build == Build::Test)
        .then(|| std::env::var("PAYDESK_IN_FLIGHT_WINDOW_SECS").ok())
        .flatten()
        .and_then(|v| v.parse::<i64>().ok())
        .and_then(chrono::TimeDelta::try_seconds);
    test_override.unwrap_or(domain::RULES.in_flight_window)
}

/// The data directory: `PAYDESK_DATA_DIR` if set (and not empty), else `default` (the
/// host's app data dir).
pub fn data_dir_from_env(default: PathBuf) -> PathBuf {
    std::env::var_os("PAYDESK_DATA_DIR")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .unwrap_or(default)
}

/// The demo's data folder for a shop's data folder: beside it, never inside it
/// (`…/jp.paydesk.desk` → `…/jp.paydesk.desk.demo`), so the demo's sample orders never mix
/// with a shop's and moving or backing up the shop's folder leaves the demo out.
pub fn demo_data_dir(shop_data_dir: &std::path::Path) -> PathBuf {
    let mut name = shop_data_dir
        .file_name()
        .map(std::ffi::OsStr::to_os_string)
        .unwrap_or_else(|| "paydesk".into());
    name.push(".demo");
    shop_data_dir.with_file_name(name)
}

/// Whether the demo was asked for (`PAYDESK_DEMO=1` or a `--demo` argument).
pub fn demo_requested(args: &[String]) -> bool {
    args.iter().any(|a| a == "--demo")
        || std::env::var("PAYDESK_DEMO").is_ok_and(|v| !v.is_empty() && v != "0")
}
