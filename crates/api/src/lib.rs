//! PayDesk's host-agnostic API.
//!
//! Layout: [`Desk`] is the one entry point the Tauri commands (`src-tauri`), the
//! command-line entry (crate `cli`) and the tests call; this file is its facade (opening a
//! desk, the app's info, and the public methods that belong to no feature). `context`
//! holds what every feature works over: the store, the keychain, the clock, the event
//! sink, the gateway clients, and the little state each background task keeps in memory
//! (`sync_state` for sync's). Each feature is a module of `impl Desk` methods over that
//! context, and the modules depend on each other one way only, lowest first (`cargo xtask
//! tidy` fails on a cycle):
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
use std::sync::{Arc, Mutex};

pub use context::{Build, Desk, EventSink, NoEvents, keychain_namespace};
use context::{BulkShared, ClientCache, Inner, SubscriptionsShared};
pub use demo_servers::{DemoServers, RunningDemo};
pub use error::{AppError, ErrorCode, Text};
/// The relay's operator guide, shown from the setup guide (see `relay::OPERATOR_GUIDE`).
pub use relay::OPERATOR_GUIDE as RELAY_OPERATOR_GUIDE;

use dto::{
    AppInfo, ConnectionTestResult, CredentialsInput, DemoStatus, ExportReport, HomeSummary,
    ImportPreview, ImportReport, KeychainStatus, Language, OrderDetail, OrderListCode, OrderPage,
    OrderQuery, Settings, SettingsInput, SyncStatus,
};
use secrets::Keychain;

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

impl Desk {
    /// Opens the database in `data_dir` (creating it), settles every operation a crash
    /// left open (by 094 inquiry, when credentials are set), and in demo mode starts the
    /// embedded simulator and relay. Spawn [`Desk::run_sync`] afterwards to begin
    /// background sync.
    pub async fn open(config: DeskConfig) -> Result<Desk, AppError> {
        // The demo gets its own folder and keychain namespace here, in the one place every
        // host goes through, so no host can run it over a shop's data or secrets. A build
        // without it refuses before creating or opening anything.
        if config.demo && config.demo_servers.is_none() {
            return Err(demo_servers::unavailable());
        }
        let data_dir = config.data_dir_in_use();
        let namespace = config.keychain_namespace();
        std::fs::create_dir_all(&data_dir).map_err(|e| {
            AppError::internal(
                ErrorCode::DataDirUnusable,
                &format!("the data folder cannot be created: {e}"),
            )
        })?;
        let started = std::time::Instant::now();
        let store = store::Store::open(data_dir.join("paydesk.sqlite3"))?;
        let database_ms = started.elapsed().as_millis();
        let demo = match (&config.demo_servers, config.demo) {
            (Some(servers), true) => Some(servers.start(&data_dir.join("demo")).await?),
            _ => None,
        };
        let clock = match &demo {
            // The demo follows the simulator's clock, so moving simulated time moves ours.
            Some(running) => running.clock(),
            None => config.clock,
        };
        let keychain = Keychain::new(namespace);
        let inner = Inner {
            identifier: config.identifier,
            version: config.version,
            build: config.build,
            data_dir,
            keychain,
            store: Mutex::new(store),
            clock,
            events: config.events,
            sync: sync_state::SyncShared::default(),
            clients: ClientCache::default(),
            operations: tokio::sync::Mutex::new(()),
            bulk: BulkShared::default(),
            subscriptions: SubscriptionsShared::default(),
            retry_wait_divisor: config.retry_wait_divisor.max(1),
            relay_stall_divisor: config.relay_stall_divisor.max(1),
            in_flight_window: config.in_flight_window,
            notice: config.notice,
            demo,
            demo_available: config.demo_servers.is_some(),
        };
        let desk = Desk {
            inner: Arc::new(inner),
        };
        if let Some(running) = &desk.inner.demo {
            // Before recovery: a resumed demo's servers listen on new ports.
            running.prepare(&desk).await?;
        }
        let demo_ms = started.elapsed().as_millis() - database_ms;
        let settling = std::time::Instant::now();
        // Bulk runs first: their journal entries close with the run's one line each.
        desk.recover_bulk_runs().await;
        desk.settle_open_operations().await;
        // Where a cold start spends its time (issue 22).
        tracing::info!(
            database_ms,
            demo_ms,
            settlement_ms = settling.elapsed().as_millis(),
            "desk opened"
        );
        Ok(desk)
    }

    pub fn app_info(&self) -> AppInfo {
        AppInfo {
            name: "PayDesk".into(),
            version: self.inner.version.clone(),
            identifier: self.inner.identifier.clone(),
            keychain_namespace: self.inner.keychain.namespace().to_owned(),
            build: match self.inner.build {
                Build::Release => "release",
                Build::Dev => "dev",
                Build::Test => "test",
            }
            .into(),
            data_dir: self.inner.data_dir.display().to_string(),
            demo: self.is_demo(),
            demo_available: self.inner.demo_available,
            notice: self.inner.notice.clone(),
        }
    }

    /// Frees the database's page cache (the window is gone, the tray reads little; see
    /// `store::Store::shrink_memory`). A failure only means the cache stays.
    pub fn shrink_memory(&self) {
        if let Err(e) = self.store().shrink_memory() {
            tracing::warn!(error = %e, "the database cache could not be shrunk");
        }
    }

    /// Whether the OS keychain can hold merchant secrets; the home screen warns if not.
    pub fn keychain_status(&self) -> KeychainStatus {
        match self.inner.keychain.probe() {
            Ok(()) => KeychainStatus {
                available: true,
                problem: None,
            },
            Err(e) => KeychainStatus {
                available: false,
                problem: Some(AppError::from(e)),
            },
        }
    }

    /// Validates a language choice coming from the UI or the CLI.
    pub fn parse_language(code: &str) -> Result<Language, AppError> {
        match code {
            "ja" => Ok(Language::Ja),
            "en" => Ok(Language::En),
            other => Err(AppError::new(
                ErrorCode::InvalidLanguage,
                Text::new(
                    &format!(
                        "「{other}」は使えない言語です。日本語(ja)か英語(en)を選んでください。"
                    ),
                    &format!(
                        "\"{other}\" is not a supported language; choose Japanese (ja) or English (en)."
                    ),
                ),
                None,
            )),
        }
    }

    // --- Orders -------------------------------------------------------------------------

    /// One page of an order list (paged, filtered and searched in SQL).
    pub async fn list_orders(&self, query: OrderQuery) -> Result<OrderPage, AppError> {
        self.list_orders_sync(&query)
    }

    /// The order detail screen: summary, operations with reasons, history, details.
    pub async fn get_order(&self, order_id: i64) -> Result<OrderDetail, AppError> {
        self.order_detail(order_id)
    }

    /// The orders with this order number (the shop's own number; several orders may share
    /// one): the command line names orders by it.
    pub fn orders_with_number(&self, order_number: &str) -> Result<Vec<i64>, AppError> {
        let ids = self.store().orders_by_number(order_number)?;
        Ok(ids.into_iter().map(|id| id.0).collect())
    }

    /// The order of a gateway payment ID, if PayDesk has it (the demo's sample data).
    pub fn order_with_payment_id(&self, payment_id: &str) -> Result<Option<i64>, AppError> {
        let found = self.store().order_by_payment_id(payment_id)?;
        Ok(found.map(|(id, _)| id.0))
    }

    /// Moves an order to another list (its payment is unchanged).
    pub async fn move_order(
        &self,
        order_id: i64,
        list: OrderListCode,
    ) -> Result<OrderDetail, AppError> {
        let now = self.now();
        self.store()
            .move_to_list(domain::OrderId(order_id), convert::list_from(list), now)?;
        self.orders_changed(&[order_id]);
        self.order_detail(order_id)
    }

    /// The shop owner's edit of the buyer's details: checked (every bad field named in
    /// plain words, nothing saved then), saved, and recorded in the order's history.
    pub async fn edit_buyer_details(
        &self,
        order_id: i64,
        input: dto::BuyerDetailsInput,
    ) -> Result<OrderDetail, AppError> {
        self.order_detail(order_id)?;
        let typed = domain::buyer::BuyerInput {
            name: input.name,
            kana: input.kana,
            email: input.email,
            phone: input.phone,
            postal_code: input.postal_code,
            address: [
                input.prefecture,
                input.city,
                input.address_line1,
                input.address_line2,
            ],
        };
        let details = domain::buyer::check_buyer(&typed).map_err(|problems| {
            let join = |ja: bool| {
                problems
                    .iter()
                    .map(|p| {
                        if ja {
                            p.reason.ja.as_str()
                        } else {
                            p.reason.en.as_str()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(if ja { "" } else { " " })
            };
            AppError::new(
                ErrorCode::InvalidBuyerDetails,
                Text::new(&join(true), &join(false)),
                Some(Text::new(
                    "直してからもう一度保存してください。入力した内容はそのまま残っています。",
                    "Correct it and save again; what you typed is still there.",
                )),
            )
        })?;
        use domain::storefront::DetailField;
        let values = [
            (DetailField::BuyerName, details.name),
            (DetailField::BuyerNameKana, details.kana),
            (DetailField::BuyerEmail, details.email),
            (DetailField::BuyerPhone, details.phone),
            (DetailField::ShippingZip, details.postal_code),
            (
                DetailField::Address,
                store::imports::address_value(details.address),
            ),
        ];
        let now = self.now();
        let changed = self
            .store()
            .edit_buyer_details(domain::OrderId(order_id), &values, now)?;
        tracing::info!(order_id, fields = changed.len(), "buyer details edited");
        if !changed.is_empty() {
            self.orders_changed(&[order_id]);
        }
        self.order_detail(order_id)
    }

    /// Hides the outside-change banner (the history keeps the lines).
    pub async fn acknowledge_outside_change(&self, order_id: i64) -> Result<OrderDetail, AppError> {
        let now = self.now();
        self.store()
            .acknowledge_outside_change(domain::OrderId(order_id), now)?;
        self.orders_changed(&[order_id]);
        self.order_detail(order_id)
    }

    /// Asks the gateway (094) for the order's current state and adopts it.
    pub async fn refresh_order(&self, order_id: i64) -> Result<OrderDetail, AppError> {
        self.refresh_order_by_inquiry(order_id).await?;
        self.order_detail(order_id)
    }

    /// The home screen's counts and sync status.
    pub async fn home_summary(&self) -> Result<HomeSummary, AppError> {
        self.home_summary_sync()
    }

    // --- Settings -----------------------------------------------------------------------

    /// Non-secret settings and which secrets are set (never their values).
    pub async fn get_settings(&self) -> Result<Settings, AppError> {
        self.settings_dto()
    }

    pub async fn save_settings(&self, input: SettingsInput) -> Result<Settings, AppError> {
        self.save_settings_input(input)?;
        self.inner.sync.nudge();
        self.settings_dto()
    }

    /// Stores secrets in the OS keychain (and nowhere else).
    pub async fn save_credentials(&self, input: CredentialsInput) -> Result<Settings, AppError> {
        self.save_credentials_input(input)?;
        self.inner.sync.nudge();
        self.settings_dto()
    }

    /// Sends a real telegram (094 for a payment that cannot exist) and explains the result.
    pub async fn test_connection(&self) -> Result<ConnectionTestResult, AppError> {
        self.run_connection_test(None).await
    }

    /// The settings screen's test: the values on screen (unsaved) over the saved ones.
    /// Secrets typed there are used for this test only: never stored, logged or returned.
    pub async fn test_connection_with(
        &self,
        form: dto::ConnectionTestInput,
    ) -> Result<ConnectionTestResult, AppError> {
        self.run_connection_test(Some(&form)).await
    }

    // --- Setup guide ----------------------------------------------------------------------

    /// Where the setup guide stands, and whether the window opens on it.
    pub async fn setup_guide(&self) -> Result<dto::guide::SetupGuide, AppError> {
        self.guide_dto()
    }

    /// The guide was opened (or reopened from Settings): it is in progress.
    pub async fn open_setup_guide(&self) -> Result<dto::guide::SetupGuide, AppError> {
        self.guide_open()
    }

    // --- Sync ---------------------------------------------------------------------------

    pub async fn sync_status(&self) -> Result<SyncStatus, AppError> {
        Ok(self.sync_status_dto())
    }

    // --- Import / export ----------------------------------------------------------------

    /// What importing the storefront's order export (UTF-8 or Shift_JIS, matched by order
    /// number) would change: counts, a sample old → new, and the token to apply it with.
    /// Only the columns the file has; empty cells clear values only with `clear_empty`.
    pub async fn preview_orders_import(
        &self,
        path: String,
        clear_empty: bool,
    ) -> Result<ImportPreview, AppError> {
        self.preview_import(std::path::Path::new(&path), clear_empty)
            .await
    }

    /// Applies a previewed import (`token` from [`Desk::preview_orders_import`]); refuses
    /// with `import_changed` when the changes are no longer the ones previewed.
    pub async fn import_orders_csv(
        &self,
        path: String,
        clear_empty: bool,
        token: String,
    ) -> Result<ImportReport, AppError> {
        self.apply_import(std::path::Path::new(&path), clear_empty, &token)
    }

    /// Writes the orders matching `query` (every page) as CSV for Excel (UTF-8 BOM, CRLF).
    pub async fn export_orders_csv(
        &self,
        path: String,
        query: OrderQuery,
    ) -> Result<ExportReport, AppError> {
        self.export_csv(std::path::Path::new(&path), query)
    }

    // --- Demo ---------------------------------------------------------------------------

    /// The embedded simulator and relay, in a demo run; `None` otherwise.
    pub async fn demo_status(&self) -> Result<Option<DemoStatus>, AppError> {
        Ok(self.demo_status_dto())
    }
}
