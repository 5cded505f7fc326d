//! The test harness: a temp data dir, the embedded simulator (mutual TLS) and relay on
//! loopback, a `Desk` with its own keychain namespace, and helpers that drive the
//! simulator's control API. Waiting is on the desk's events, never on sleeps.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use api::dto::events::DeskEvent;
use api::dto::{
    CaptureModeCode, OperationKindCode, OperationOutcomeCode, OperationRequest, OperationResult,
    OrderDetail, OrderQuery, SettingsInput,
};
use api::{Build, Desk, DeskConfig, EventSink};
use demo::{Embedded, EmbeddedOptions};
use serde_json::{Value, json};
pub use test_support::{folder_state, shop_secrets};

/// The most a test waits for something to arrive before failing.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// The desks' in-flight window (`RULES.in_flight_window` is two minutes): longer than any
/// latency the tests inject, so a telegram still at the gateway is never concluded
/// "not applied" while the tests stay quick.
pub const IN_FLIGHT_WINDOW: chrono::TimeDelta = chrono::TimeDelta::seconds(3);

/// Secrets every test uses, so the sentinel scans can look for them.
pub const SENTINEL_PASSWORD: &str = "SENTINEL-connect-pw-7f3a9c";
pub const SENTINEL_HASH_KEY: &str = "SENTINEL-hash-key-51c2e8";

/// Every log line of the test binary.
pub fn logs() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| Mutex::new(Vec::new()))
}

struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        logs().lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn init_logs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug,hyper=info,reqwest=info,rustls=info,h2=info")
            .with_writer(|| LogWriter)
            .with_ansi(false)
            .try_init();
    });
}

/// Collects every event the desk pushes (as JSON, for the sentinel scan too).
#[derive(Default)]
pub struct Events {
    pub seen: Mutex<Vec<DeskEvent>>,
    pub notify: tokio::sync::Notify,
}

impl EventSink for Events {
    fn emit(&self, event: DeskEvent) {
        self.seen.lock().unwrap().push(event);
        self.notify.notify_waiters();
    }
}

/// Every DTO a test produced, as JSON, for the sentinel scan.
pub fn dto_log() -> &'static Mutex<Vec<String>> {
    static DTOS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    DTOS.get_or_init(|| Mutex::new(Vec::new()))
}

pub fn keep<T: serde::Serialize>(value: &T) {
    dto_log()
        .lock()
        .unwrap()
        .push(serde_json::to_string(value).unwrap());
}

pub struct Options {
    pub relay: bool,
    pub run_sync: bool,
}

/// Timing knobs beyond [`Options`], for the sync fault tests.
pub struct Tuning {
    /// The relay's heartbeat interval.
    pub heartbeat: Duration,
    /// `DeskConfig::relay_stall_divisor`: shortens the relay-stall threshold and the relay
    /// timeouts.
    pub relay_stall_divisor: u32,
}

impl Default for Tuning {
    fn default() -> Tuning {
        Tuning {
            heartbeat: Duration::from_secs(1),
            relay_stall_divisor: 1,
        }
    }
}

pub struct Harness {
    pub dir: tempfile::TempDir,
    pub desk: Desk,
    pub embedded: Embedded,
    pub events: Arc<Events>,
    pub http: reqwest::Client,
    name: String,
    relay_stall_divisor: u32,
}

impl Harness {
    /// `name` must be unique per test: it names the keychain namespace.
    pub async fn start(name: &str, options: Options) -> Harness {
        Harness::start_tuned(name, options, Tuning::default()).await
    }

    /// A shop on the simulator alone: no relay, and no background sync (the test syncs
    /// when it wants to). What most tests start with.
    pub async fn quiet(name: &str) -> Harness {
        let options = Options {
            relay: false,
            run_sync: false,
        };
        Harness::start(name, options).await
    }

    /// [`Harness::start`] with other timings.
    pub async fn start_tuned(name: &str, options: Options, tuning: Tuning) -> Harness {
        Harness::start_inner(name, options, tuning, true).await
    }

    /// A fresh shop: the embedded servers run, but nothing is saved in the desk (the setup
    /// guide's first start).
    pub async fn start_blank(name: &str, relay: bool) -> Harness {
        let options = Options {
            relay,
            run_sync: false,
        };
        Harness::start_inner(name, options, Tuning::default(), false).await
    }

    async fn start_inner(name: &str, options: Options, tuning: Tuning, save: bool) -> Harness {
        init_logs();
        let dir = tempfile::tempdir().unwrap();
        let embedded = Embedded::start(
            &dir.path().join("servers"),
            EmbeddedOptions {
                tick_interval: None,
                relay: options.relay,
                heartbeat: tuning.heartbeat,
                persist: false,
                connect_password: SENTINEL_PASSWORD.into(),
                hash_key: SENTINEL_HASH_KEY.into(),
            },
        )
        .await
        .unwrap();
        let events = Arc::new(Events::default());
        let desk = open_desk(
            name,
            dir.path().join("data"),
            &embedded,
            events.clone(),
            tuning.relay_stall_divisor,
            IN_FLIGHT_WINDOW,
        )
        .await;
        if save {
            desk.save_settings(embedded.settings()).await.unwrap();
            desk.save_credentials(embedded.credentials()).await.unwrap();
        }
        if options.run_sync {
            tokio::spawn(desk.clone().run_sync());
        }
        Harness {
            dir,
            desk,
            embedded,
            events,
            http: reqwest::Client::new(),
            name: name.to_owned(),
            relay_stall_divisor: tuning.relay_stall_divisor,
        }
    }

    /// Opens a second desk on the same data dir (a restart).
    pub async fn reopen(&self) -> Desk {
        self.reopen_with_window(IN_FLIGHT_WINDOW).await
    }

    /// [`Harness::reopen`] with another in-flight window.
    pub async fn reopen_with_window(&self, in_flight_window: chrono::TimeDelta) -> Desk {
        open_desk(
            &self.name,
            self.dir.path().join("data"),
            &self.embedded,
            self.events.clone(),
            self.relay_stall_divisor,
            in_flight_window,
        )
        .await
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub async fn control(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.embedded.status().control_url);
        let request = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            "PUT" => self.http.put(url).json(&body),
            _ => self.http.post(url).json(&body),
        };
        let response = request.send().await.unwrap();
        let status = response.status();
        let value: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{method} {path}: {status} {value}");
        value
    }

    pub async fn card_checkout(
        &self,
        order: &str,
        amount: i64,
        mode: &str,
        three_d_secure: bool,
    ) -> String {
        let answer = self
            .control(
                "POST",
                "/control/checkouts/card",
                json!({
                    "merchant_id": demo::DEMO_MERCHANT_ID,
                    "trading_id": order,
                    "amount": amount,
                    "card_number": "4900000000000000",
                    "expiry": "1239",
                    "capture_mode": mode,
                    "three_d_secure": three_d_secure,
                }),
            )
            .await;
        assert_eq!(answer["result"], "0", "{answer}");
        answer["payment_id"].as_str().unwrap().to_owned()
    }

    pub async fn paidy_checkout(&self, order: &str, amount: i64) -> String {
        let answer = self
            .control(
                "POST",
                "/control/checkouts/paidy",
                json!({
                    "merchant_id": demo::DEMO_MERCHANT_ID,
                    "trading_id": order,
                    "amount": amount,
                    "buyer": {"name": "山田 太郎", "name_kana": "ヤマダ タロウ", "email": "taro@example.jp", "phone": "090-1234-5678"},
                    "items": [{"title": "有機緑茶", "unit_price": amount, "quantity": 1}],
                    "shipping_address": {"zip": "150-0001", "state": "東京都", "city": "渋谷区", "line1": "神宮前1-2-3"},
                    "order_shipping": 0,
                    "capture_mode": "authorize_only",
                }),
            )
            .await;
        answer["payment_id"].as_str().unwrap().to_owned()
    }

    /// The simulator's payment as the control API shows it.
    pub async fn payment(&self, payment_id: &str) -> Value {
        self.control(
            "GET",
            &format!("/control/payments/{payment_id}"),
            Value::Null,
        )
        .await
    }

    /// Telegram events of one kind the simulator processed.
    pub async fn processed_telegrams(&self, kind: &str) -> usize {
        let events = self
            .control("GET", "/control/events?after=0", Value::Null)
            .await;
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "telegram" && e["kind"] == kind && e["processed"] == true)
            .count()
    }

    /// Runs the simulator's due work now (pushes notifications to the relay).
    pub async fn tick(&self) {
        self.embedded.simulator().run_due_work().await;
    }

    /// Takes in everything (091 polling; with a relay also its backlog).
    pub async fn sync(&self) {
        let report = self.desk.sync_now().await.unwrap();
        keep(&report);
    }

    /// The order holding this transaction ID.
    pub async fn order_of(&self, payment_id: &str) -> Option<OrderDetail> {
        let page = self
            .desk
            .list_orders(OrderQuery {
                search: Some(payment_id.to_owned()),
                ..OrderQuery::default()
            })
            .await
            .unwrap();
        keep(&page);
        let id = page.items.first()?.id;
        let detail = self.desk.get_order(id).await.unwrap();
        keep(&detail);
        Some(detail)
    }

    /// Runs an operation on an order as the order screen does; the result is kept for the
    /// secrets check.
    pub async fn perform(
        &self,
        id: i64,
        kind: OperationKindCode,
        amount: Option<i64>,
    ) -> OperationResult {
        let result = self
            .desk
            .perform_operation(
                id,
                OperationRequest {
                    kind,
                    amount_yen: amount,
                },
            )
            .await
            .unwrap();
        keep(&result);
        result
    }

    /// [`Harness::perform`], which must succeed.
    pub async fn perform_ok(&self, id: i64, kind: OperationKindCode, amount: Option<i64>) {
        let result = self.perform(id, kind, amount).await;
        assert_eq!(
            result.outcome,
            OperationOutcomeCode::Succeeded,
            "{:?}",
            result.error
        );
    }

    /// Waits (on the desk's events) until `check` holds.
    pub async fn wait_until<F, Fut, T>(&self, what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let notified = self.events.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(value) = check().await {
                return value;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("timed out waiting for {what}");
            }
        }
    }

    pub async fn set_capture_mode_for_new(&self, mode: CaptureModeCode) {
        self.desk
            .save_settings(SettingsInput {
                capture_mode_for_new: Some(mode),
                ..SettingsInput::default()
            })
            .await
            .unwrap();
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        for key in secrets::SecretKey::ALL {
            let _ = self.desk.keychain().delete(key);
        }
    }
}

async fn open_desk(
    name: &str,
    data_dir: PathBuf,
    embedded: &Embedded,
    events: Arc<Events>,
    relay_stall_divisor: u32,
    in_flight_window: chrono::TimeDelta,
) -> Desk {
    let mut config = DeskConfig::new(
        &format!("jp.paydesk.it.{name}"),
        "0.0.0",
        Build::Test,
        data_dir,
    );
    config.events = events;
    config.clock = embedded.clock();
    config.retry_wait_divisor = 1000;
    config.relay_stall_divisor = relay_stall_divisor;
    config.in_flight_window = in_flight_window;
    Desk::open(config).await.unwrap()
}
