//! The demo: an embedded gateway simulator and relay on loopback, with sample data. A crate
//! of its own so that only development and test builds carry it (the app's feature `demo`,
//! which `cargo xtask demo`, the tests and the quick benchmarks turn on); a release build
//! has none of it (`cargo xtask tidy` checks the release dependency graph).
//!
//! Layout: [`Embedded::start`] runs the simulator (library, mutual TLS with a generated
//! certificate kit, state file in the data dir so the demo resumes) and the relay (library,
//! its own SQLite in the data dir, a shop and a desktop token created programmatically),
//! both on `127.0.0.1:0`, and registers the simulator shop with `notify_url` = the relay's
//! notification URL and the same hash key. [`servers`] is what a host puts in
//! `DeskConfig::demo_servers`: `Desk::open` in demo mode starts [`Embedded`] through it in
//! the demo's own data folder, then [`prepare`] stores the demo shop's credentials the way
//! a real shop's are stored (secrets in the keychain, the rest in settings), runs the
//! storefront generator once (60 orders, fixed seed), syncs, and imports the generated CSV
//! so buyer names show. Tests use [`Embedded`] directly with their own options. The
//! benchmark runs the same servers in a process of their own ([`serve_apart`]) and gives
//! the app [`servers_apart`], so the gateway's memory is not counted as the app's (`apart`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use paygent_sim::storefront::{GenerateRequest, generate};
use paygent_sim::{Pki, SimOptions, Simulator};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;

use api::demo_servers::DemoFuture;
use api::dto::subscriptions::SubscriptionInput;
use api::dto::{CredentialsInput, DemoStatus, EnvironmentCode, SettingsInput};
use api::{AppError, Clock, DemoServers, Desk, RunningDemo};
use domain::labels::Sender;
use domain::subscription::japan_date;

mod apart;
pub use apart::{SERVERS_FILE, serve_apart, servers_apart};

/// The demo shop (a local simulator's shop: these values are not secrets anywhere else).
pub const DEMO_MERCHANT_ID: &str = "70000";
const DEMO_CONNECT_ID: &str = "demo_connect";
const DEMO_CONNECT_PASSWORD: &str = "demo-connect-password";
const DEMO_HASH_KEY: &str = "demo-hash-key-0001";
const DEMO_RELAY_SHOP: &str = "demo";
/// Orders the storefront generator makes on the demo's first start.
const DEMO_ORDERS: usize = 60;
const DEMO_SEED: u64 = 1;
/// Marks in the data dir that the sample data was generated (a resumed demo keeps its own).
const SAMPLE_MARKER: &str = "demo-sample-generated";

/// How to run the embedded servers.
#[derive(Debug, Clone)]
pub struct EmbeddedOptions {
    /// The simulator's ticker (due work, notification pushes); `None` = only on demand.
    pub tick_interval: Option<Duration>,
    /// Start the relay and point the shop's notifications at it.
    pub relay: bool,
    /// The relay's heartbeat interval.
    pub heartbeat: Duration,
    /// Keep the simulator's state in a file in the directory.
    pub persist: bool,
    /// The shop's connect password (tests use a sentinel to scan for leaks).
    pub connect_password: String,
    pub hash_key: String,
}

impl Default for EmbeddedOptions {
    fn default() -> Self {
        EmbeddedOptions {
            tick_interval: Some(Duration::from_secs(1)),
            relay: true,
            heartbeat: Duration::from_secs(15),
            persist: true,
            connect_password: DEMO_CONNECT_PASSWORD.into(),
            hash_key: DEMO_HASH_KEY.into(),
        }
    }
}

/// The embedded simulator and relay; dropping it stops both.
pub struct Embedded {
    sim: Simulator,
    dir: PathBuf,
    control_url: String,
    gateway_url: String,
    relay_url: Option<String>,
    relay_token: Option<String>,
    connect_password: String,
    hash_key: String,
    client_passphrase: String,
    stop: watch::Sender<bool>,
}

impl std::fmt::Debug for Embedded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedded")
            .field("control_url", &self.control_url)
            .field("gateway_url", &self.gateway_url)
            .finish_non_exhaustive()
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

fn failed(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::internal(api::ErrorCode::DemoFailed, &format!("{what}: {e}"))
}

impl Embedded {
    /// Starts the simulator and (optionally) the relay with their state in `dir`.
    pub async fn start(dir: &Path, options: EmbeddedOptions) -> Result<Embedded, AppError> {
        std::fs::create_dir_all(dir).map_err(|e| failed("demo folder", e))?;
        let (stop, stop_rx) = watch::channel(false);
        let shutdown = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stopped| *stopped).await;
        };

        // Relay first: the simulator's shop needs its URL.
        let (relay_url, relay_token) = if options.relay {
            let database = dir.join("demo-relay.sqlite3");
            let now = Utc::now();
            let mut config = relay::config::Config::new(&database);
            config.heartbeat = options.heartbeat;
            // Opening creates and migrates the database; shops and desktops are rows in it.
            let relay = relay::Relay::open(config, Arc::new(relay::clock::SystemClock))
                .map_err(|e| failed("relay", e))?;
            relay::store::add_shop(
                &database,
                DEMO_RELAY_SHOP,
                &relay::secret::HashKey::new(options.hash_key.clone()),
                &[],
                now,
            )
            .map_err(|e| failed("relay shop", e))?;
            let (_, token) =
                relay::store::add_desktop(&database, DEMO_RELAY_SHOP, "PayDesk demo", now)
                    .map_err(|e| failed("relay desktop", e))?;
            let listener = TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|e| failed("relay listener", e))?;
            let url = format!(
                "http://{}",
                listener
                    .local_addr()
                    .map_err(|e| failed("relay listener", e))?
            );
            tokio::spawn(relay::serve(
                listener,
                relay,
                None,
                shutdown(stop_rx.clone()),
            ));
            (Some(url), Some(token.expose().to_owned()))
        } else {
            (None, None)
        };

        let sim = Simulator::open(SimOptions {
            state_path: options.persist.then(|| dir.join("demo-simulator.json")),
            tick_interval: options.tick_interval,
            ..SimOptions::default()
        })
        .map_err(|e| failed("simulator state", e))?;
        let pki = Pki::generate("paydesk-demo").map_err(|e| failed("certificates", e))?;
        let tls = pki.tls_config().map_err(|e| failed("certificates", e))?;
        let gateway = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| failed("simulator listener", e))?;
        let control = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| failed("simulator listener", e))?;
        let gateway_url = format!(
            "https://{}",
            gateway.local_addr().map_err(|e| failed("listener", e))?
        );
        let control_url = format!(
            "http://{}",
            control.local_addr().map_err(|e| failed("listener", e))?
        );
        tokio::spawn(paygent_sim::serve(
            gateway,
            control,
            sim.clone(),
            Some(tls),
            shutdown(stop_rx.clone()),
        ));

        // The client kit, as Paygent would send it: certificate + encrypted key (PEM).
        let client_passphrase = format!("demo-{:x}", rand_suffix());
        let key = pki
            .encrypted_client_key_pem(&client_passphrase)
            .map_err(|e| failed("client key", e))?;
        std::fs::write(
            dir.join("demo-client.pem"),
            format!("{}{}", pki.client_cert_pem, key),
        )
        .map_err(|e| failed("client certificate file", e))?;
        std::fs::write(dir.join("demo-ca.pem"), &pki.ca_cert_pem)
            .map_err(|e| failed("CA file", e))?;

        let embedded = Embedded {
            sim,
            dir: dir.to_owned(),
            control_url,
            gateway_url,
            relay_url,
            relay_token,
            connect_password: options.connect_password,
            hash_key: options.hash_key,
            client_passphrase,
            stop,
        };
        embedded.register_shop().await?;
        tracing::info!(control = %embedded.control_url, gateway = %embedded.gateway_url, relay = ?embedded.relay_url, "embedded simulator and relay started");
        Ok(embedded)
    }

    /// Creates (or updates) the simulator's shop; notifications go to the relay.
    async fn register_shop(&self) -> Result<(), AppError> {
        let notify_url = self
            .relay_url
            .as_ref()
            .map(|u| format!("{u}/paygent/{DEMO_RELAY_SHOP}/notify"));
        let response = reqwest::Client::new()
            .post(format!("{}/control/shops", self.control_url))
            .json(&json!({
                "merchant_id": DEMO_MERCHANT_ID,
                "connect_id": DEMO_CONNECT_ID,
                "connect_password": self.connect_password,
                "hash_key": self.hash_key,
                "notify_url": notify_url,
            }))
            .send()
            .await
            .map_err(|e| failed("simulator shop", e))?;
        if !response.status().is_success() {
            return Err(failed("simulator shop", response.status()));
        }
        Ok(())
    }

    pub fn status(&self) -> DemoStatus {
        DemoStatus {
            control_url: self.control_url.clone(),
            gateway_url: self.gateway_url.clone(),
            relay_url: self.relay_url.clone().unwrap_or_default(),
            merchant_id: DEMO_MERCHANT_ID.into(),
            relay_shop: DEMO_RELAY_SHOP.into(),
        }
    }

    pub fn simulator(&self) -> &Simulator {
        &self.sim
    }

    /// A clock that follows the simulator's.
    pub fn clock(&self) -> Arc<dyn Clock> {
        Arc::new(self.sim.clone())
    }

    /// The non-secret settings a shop would enter for this simulator.
    pub fn settings(&self) -> SettingsInput {
        demo_settings(
            &self.gateway_url,
            &self.dir,
            self.relay_url.as_deref().unwrap_or_default(),
        )
    }

    /// The credentials a shop would enter (secrets for the keychain).
    pub fn credentials(&self) -> CredentialsInput {
        demo_credentials(
            &self.connect_password,
            &self.dir,
            &self.client_passphrase,
            &self.hash_key,
            self.relay_token.as_deref().unwrap_or_default(),
        )
    }
}

/// The non-secret settings a shop would enter for the demo's servers (`dir` holds their
/// CA certificate).
fn demo_settings(gateway_url: &str, dir: &Path, relay_url: &str) -> SettingsInput {
    SettingsInput {
        environment: Some(EnvironmentCode::Simulator),
        custom_base_url: Some(gateway_url.to_owned()),
        custom_ca_path: Some(dir.join("demo-ca.pem").display().to_string()),
        relay_url: Some(relay_url.to_owned()),
        shop_name: Some("デモショップ".into()),
        capture_mode_for_new: None,
    }
}

/// The credentials a shop would enter for the demo's servers (`dir` holds the client
/// certificate kit).
fn demo_credentials(
    connect_password: &str,
    dir: &Path,
    client_passphrase: &str,
    hash_key: &str,
    relay_token: &str,
) -> CredentialsInput {
    CredentialsInput {
        merchant_id: Some(DEMO_MERCHANT_ID.into()),
        connect_id: Some(DEMO_CONNECT_ID.into()),
        connect_password: Some(connect_password.to_owned()),
        client_certificate_path: Some(dir.join("demo-client.pem").display().to_string()),
        client_certificate_passphrase: Some(client_passphrase.to_owned()),
        hash_key: Some(hash_key.to_owned()),
        relay_token: Some(relay_token.to_owned()),
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(std::process::id().into());
    h.finish()
}

/// The demo for `DeskConfig::demo_servers`: `Desk::open` in demo mode starts it.
pub fn servers() -> Arc<dyn DemoServers> {
    Arc::new(DemoLauncher)
}

struct DemoLauncher;

impl DemoServers for DemoLauncher {
    fn start<'a>(&'a self, dir: &'a Path) -> DemoFuture<'a, Box<dyn RunningDemo>> {
        Box::pin(async move {
            let embedded = Embedded::start(dir, EmbeddedOptions::default()).await?;
            Ok(Box::new(embedded) as Box<dyn RunningDemo>)
        })
    }
}

impl RunningDemo for Embedded {
    fn status(&self) -> DemoStatus {
        Embedded::status(self)
    }

    fn clock(&self) -> Arc<dyn Clock> {
        Embedded::clock(self)
    }

    fn prepare<'a>(&'a self, desk: &'a Desk) -> DemoFuture<'a, ()> {
        Box::pin(prepare(self, desk))
    }
}

/// The demo shop as sender, so the demo's label files can be made.
fn demo_sender() -> Sender {
    Sender {
        name: "デモショップ".into(),
        phone: "03-1234-5678".into(),
        postal_code: "150-0001".into(),
        address: [
            "東京都".into(),
            "渋谷区".into(),
            "神宮前1-2-3".into(),
            String::new(),
        ],
    }
}

/// What filling a desk needs from the demo's servers, embedded or apart.
trait Servers: Send + Sync {
    /// The servers' folder: their certificate kit, the storefront CSV, the sample marker.
    fn dir(&self) -> &Path;
    fn settings(&self) -> SettingsInput;
    fn credentials(&self) -> CredentialsInput;
    /// The simulator's clock.
    fn clock(&self) -> &dyn Clock;
    /// Runs the storefront generator (a `GenerateRequest` as JSON).
    fn generate<'a>(&'a self, request: serde_json::Value) -> DemoFuture<'a, ()>;
    /// Runs the simulator's due work now (its notification pushes among it).
    fn run_due_work(&self) -> DemoFuture<'_, ()>;
}

impl Servers for Embedded {
    fn dir(&self) -> &Path {
        &self.dir
    }

    fn settings(&self) -> SettingsInput {
        Embedded::settings(self)
    }

    fn credentials(&self) -> CredentialsInput {
        Embedded::credentials(self)
    }

    fn clock(&self) -> &dyn Clock {
        &self.sim
    }

    fn generate<'a>(&'a self, request: serde_json::Value) -> DemoFuture<'a, ()> {
        Box::pin(async move {
            let request: GenerateRequest =
                serde_json::from_value(request).map_err(|e| failed("storefront generator", e))?;
            let summary =
                generate(&self.sim, &request).map_err(|e| failed("storefront generator", e))?;
            tracing::info!(orders = summary.orders, "demo sample orders generated");
            Ok(())
        })
    }

    fn run_due_work(&self) -> DemoFuture<'_, ()> {
        Box::pin(async move {
            self.sim.run_due_work().await;
            Ok(())
        })
    }
}

/// Connects the desk to its embedded servers and, on the first start, fills it with
/// sample data.
pub async fn prepare(embedded: &Embedded, desk: &Desk) -> Result<(), AppError> {
    fill(desk, embedded).await
}

/// Connects the desk to the demo's servers (settings and secrets as a shop enters them)
/// and, on the servers' first start, fills it with sample data.
async fn fill(desk: &Desk, servers: &dyn Servers) -> Result<(), AppError> {
    desk.save_settings(servers.settings()).await?;
    desk.save_credentials(servers.credentials()).await?;
    desk.set_label_sender(&demo_sender())?;
    let marker = servers.dir().join(SAMPLE_MARKER);
    if marker.exists() {
        return Ok(());
    }
    let csv_path = servers.dir().join("storefront-orders.csv");
    servers
        .generate(json!({
            "merchant_id": DEMO_MERCHANT_ID,
            "orders": DEMO_ORDERS,
            "seed": DEMO_SEED,
            "csv_path": csv_path.display().to_string(),
        }))
        .await?;
    // Push the notifications to the relay now, then take them in.
    servers.run_due_work().await?;
    desk.sync_now().await?;
    let path = csv_path.display().to_string();
    let preview = desk.preview_orders_import(path.clone(), false).await?;
    let report = desk.import_orders_csv(path, false, preview.token).await?;
    tracing::info!(matched = report.matched, "demo storefront CSV imported");
    // The generator's subscription customers become PayDesk subscriptions.
    demo_subscriptions(desk, servers.clock(), &csv_path).await?;
    std::fs::write(&marker, b"").map_err(|e| failed("demo marker", e))?;
    Ok(())
}

/// The demo's subscriptions: every subscription first purchase of the storefront
/// generator's CSV becomes a monthly PayDesk subscription on its stored card, so the card
/// dashboard shows the generator's expiring and expired cards and the first renewals (due
/// while "PayDesk was off") run late, some failing with P010.
async fn demo_subscriptions(
    desk: &Desk,
    clock: &dyn Clock,
    csv_path: &Path,
) -> Result<u32, AppError> {
    let text = std::fs::read_to_string(csv_path).map_err(|e| failed("storefront CSV", e))?;
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| failed("storefront CSV", e))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (Some(payment), Some(customer), Some(note), Some(email)) = (
        column("payment_id"),
        column("customer_id"),
        column("note"),
        column("email"),
    ) else {
        return Ok(0);
    };
    let mut created = 0;
    for record in reader.records().flatten() {
        let get = |i: usize| record.get(i).unwrap_or("").to_owned();
        if get(customer).is_empty() || get(note) != "subscription first purchase" {
            continue;
        }
        let Some(order_id) = desk.order_with_payment_id(&get(payment))? else {
            continue;
        };
        match desk
            .create_subscription_from_order(order_id, "1m".into())
            .await
        {
            Ok(sub) => {
                created += 1;
                // The first renewal falls on the demo's first day at the latest, so the
                // first start shows renewals running (late) and P010 failures.
                let today = japan_date(clock.now()).format("%Y-%m-%d").to_string();
                let email = get(email);
                desk.update_subscription(
                    sub.id,
                    SubscriptionInput {
                        buyer_email: (sub.buyer_email.is_none() && !email.is_empty())
                            .then_some(email),
                        next_renewal_date: sub
                            .next_renewal_date
                            .is_some_and(|d| d > today)
                            .then_some(today),
                        ..SubscriptionInput::default()
                    },
                )
                .await?;
            }
            Err(e) => tracing::info!(code = %e.code, "demo subscription not created"),
        }
    }
    tracing::info!(created, "demo subscriptions created");
    Ok(created)
}
