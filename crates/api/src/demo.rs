//! The demo: an embedded gateway simulator and relay on loopback, with sample data.
//!
//! Layout: [`Embedded::start`] runs the simulator (library, mutual TLS with a generated
//! certificate kit, state file in the data dir so the demo resumes) and the relay (library,
//! its own SQLite in the data dir, a shop and a desktop token created programmatically),
//! both on `127.0.0.1:0`, and registers the simulator shop with `notify_url` = the relay's
//! notification URL and the same hash key. [`start`] (what `Desk::open` calls in demo
//! mode) then stores the demo shop's credentials the way a real shop's are stored (secrets
//! in the keychain, the rest in settings), runs the storefront generator once (60 orders,
//! fixed seed), syncs, and imports the generated CSV so buyer names show. Tests use
//! [`Embedded`] directly with their own options.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use paygent_sim::storefront::{GenerateRequest, generate};
use paygent_sim::{Pki, SimOptions, Simulator};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::dto::{CredentialsInput, DemoStatus, EnvironmentCode, SettingsInput};
use crate::{AppError, Clock, Desk};

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

impl crate::context::DemoRun for Embedded {
    fn status(&self) -> DemoStatus {
        Embedded::status(self)
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

fn failed(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::internal("demo_failed", &format!("{what}: {e}"))
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
        SettingsInput {
            environment: Some(EnvironmentCode::Simulator),
            custom_base_url: Some(self.gateway_url.clone()),
            custom_ca_path: Some(self.dir.join("demo-ca.pem").display().to_string()),
            relay_url: Some(self.relay_url.clone().unwrap_or_default()),
            shop_name: Some("デモショップ".into()),
            capture_mode_for_new: None,
        }
    }

    /// The credentials a shop would enter (secrets for the keychain).
    pub fn credentials(&self) -> CredentialsInput {
        CredentialsInput {
            merchant_id: Some(DEMO_MERCHANT_ID.into()),
            connect_id: Some(DEMO_CONNECT_ID.into()),
            connect_password: Some(self.connect_password.clone()),
            client_certificate_path: Some(self.dir.join("demo-client.pem").display().to_string()),
            client_certificate_passphrase: Some(self.client_passphrase.clone()),
            hash_key: Some(self.hash_key.clone()),
            relay_token: Some(self.relay_token.clone().unwrap_or_default()),
        }
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(std::process::id().into());
    h.finish()
}

/// Starts the embedded servers for `Desk::open` in demo mode.
pub(crate) async fn start_embedded(data_dir: &Path) -> Result<Embedded, AppError> {
    Embedded::start(&data_dir.join("demo"), EmbeddedOptions::default()).await
}

/// Connects the desk to its embedded servers and, on the first start, fills it with
/// sample data.
pub(crate) async fn start(desk: &Desk, embedded: &Embedded) -> Result<(), AppError> {
    let (settings, credentials, sim, dir) = (
        embedded.settings(),
        embedded.credentials(),
        embedded.sim.clone(),
        embedded.dir.clone(),
    );
    desk.save_settings_input(settings)?;
    desk.save_credentials_input(credentials)?;
    desk.set_label_sender(&crate::shipping::demo_sender())?;
    let marker = dir.join(SAMPLE_MARKER);
    if marker.exists() {
        return Ok(());
    }
    let csv_path = dir.join("storefront-orders.csv");
    let summary = generate(
        &sim,
        &GenerateRequest {
            merchant_id: DEMO_MERCHANT_ID.into(),
            orders: DEMO_ORDERS,
            seed: DEMO_SEED,
            csv_path: Some(csv_path.display().to_string()),
        },
    )
    .map_err(|e| failed("storefront generator", e))?;
    tracing::info!(orders = summary.orders, "demo sample orders generated");
    // Push the notifications to the relay now, then take them in.
    sim.run_due_work().await;
    desk.sync_now().await?;
    let preview = desk.preview_import(&csv_path, false).await?;
    let report = desk.apply_import(&csv_path, false, &preview.token)?;
    tracing::info!(matched = report.matched, "demo storefront CSV imported");
    // The generator's subscription customers become PayDesk subscriptions.
    desk.demo_subscriptions(&csv_path).await?;
    std::fs::write(&marker, b"").map_err(|e| failed("demo marker", e))?;
    Ok(())
}
