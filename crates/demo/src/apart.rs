//! The demo's servers in a process of their own (`paydesk demo-servers DIR`), and a desk
//! that uses them (`PAYDESK_DEMO_SERVERS=DIR/demo-servers.json`).
//!
//! For the benchmark (issue 22): embedded, the simulator's ledger (Paygent's database: every
//! payment, token and notification record kept in memory) and the relay's caches grow in
//! the app's own process as the simulated day makes payments, so the app's memory after the
//! day counted the gateway's growth as PayDesk's. Apart, the app holds what a shop's holds
//! and its servers are somewhere else, as Paygent and the relay are for a shop.
//!
//! The servers process publishes what a desk needs in one file, written once they listen
//! (the demo's loopback credentials, not secrets anywhere else; readable by its owner only),
//! and the desk's clock follows the simulator's through the control API.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use api::dto::{CredentialsInput, DemoStatus, SettingsInput};
use api::{AppError, Clock, DemoServers, Desk, RunningDemo};

use crate::{DEMO_RELAY_SHOP, DemoFuture, Embedded, EmbeddedOptions, failed};

/// The file the servers process writes in its folder once its servers listen.
pub const SERVERS_FILE: &str = "demo-servers.json";

/// How long a desk waits for the servers' file (the servers process may just be starting).
const WAIT_FOR_SERVERS: Duration = Duration::from_secs(60);

/// The longest a control call may take (the storefront generator's 60 orders take about a
/// second on loopback): servers that stopped answering never hold the desk's opening.
const CONTROL_TIMEOUT: Duration = Duration::from_secs(60);

/// How often the desk's clock asks the simulator for its time (the demo moves it in
/// steps of minutes or more; a desk a moment behind is a desk that looks again shortly).
const CLOCK_REFRESH: Duration = Duration::from_millis(500);

/// Runs the demo's simulator and relay with their state in `dir`, publishes them in
/// `dir/demo-servers.json`, and serves until the process ends.
pub async fn serve_apart(dir: &Path) -> Result<(), AppError> {
    // A file an earlier run left names servers that are gone: no desk may read it.
    if let Err(e) = std::fs::remove_file(dir.join(SERVERS_FILE))
        && e.kind() != std::io::ErrorKind::NotFound
    {
        return Err(failed("demo servers file", e));
    }
    let embedded = Embedded::start(dir, EmbeddedOptions::default()).await?;
    let published = json!({
        "dir": dir.display().to_string(),
        "control_url": embedded.control_url,
        "gateway_url": embedded.gateway_url,
        "relay_url": embedded.relay_url,
        "relay_token": embedded.relay_token,
        "connect_password": embedded.connect_password,
        "hash_key": embedded.hash_key,
        "client_passphrase": embedded.client_passphrase,
    });
    write_private(&dir.join(SERVERS_FILE), published.to_string().as_bytes())
        .map_err(|e| failed("demo servers file", e))?;
    tracing::info!(control = %embedded.control_url, "demo servers published");
    std::future::pending::<()>().await;
    drop(embedded);
    Ok(())
}

/// Written whole (a reader never sees half a file) and readable by the owner only.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let partial = path.with_extension("partial");
    // One an interrupted run left keeps its own permissions when opened: start afresh.
    let _ = std::fs::remove_file(&partial);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(&partial)?, bytes)?;
    std::fs::rename(partial, path)
}

/// The demo for `DeskConfig::demo_servers` when its servers run apart: `file` is the one
/// [`serve_apart`] writes.
pub fn servers_apart(file: PathBuf) -> Arc<dyn DemoServers> {
    Arc::new(ApartLauncher { file })
}

struct ApartLauncher {
    file: PathBuf,
}

impl DemoServers for ApartLauncher {
    fn start<'a>(&'a self, _dir: &'a Path) -> DemoFuture<'a, Box<dyn RunningDemo>> {
        Box::pin(
            async move { Ok(Box::new(Apart::connect(&self.file).await?) as Box<dyn RunningDemo>) },
        )
    }
}

/// Servers a desk uses in another process, as their file describes them.
struct Apart {
    dir: PathBuf,
    control_url: String,
    gateway_url: String,
    relay_url: String,
    relay_token: String,
    connect_password: String,
    hash_key: String,
    client_passphrase: String,
    clock: Arc<SimulatorClock>,
}

impl Apart {
    /// Waits (at most [`WAIT_FOR_SERVERS`]) until the file names servers that answer: the
    /// servers process may just be starting, and a file an earlier run left names servers
    /// that are gone until the new ones replace it.
    async fn connect(file: &Path) -> Result<Apart, AppError> {
        let deadline = tokio::time::Instant::now() + WAIT_FOR_SERVERS;
        loop {
            match Apart::read(file).await {
                Ok(apart) => return Ok(apart),
                Err(e) if tokio::time::Instant::now() > deadline => return Err(e),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    async fn read(file: &Path) -> Result<Apart, AppError> {
        let text = std::fs::read_to_string(file).map_err(|e| failed("demo servers file", e))?;
        let v: Value = serde_json::from_str(&text).map_err(|e| failed("demo servers file", e))?;
        let field = |name: &str| v[name].as_str().unwrap_or_default().to_owned();
        let control_url = field("control_url");
        // Asking the simulator's time is also the check that the servers answer.
        let clock = SimulatorClock::follow(&control_url).await?;
        Ok(Apart {
            dir: PathBuf::from(field("dir")),
            gateway_url: field("gateway_url"),
            relay_url: field("relay_url"),
            relay_token: field("relay_token"),
            connect_password: field("connect_password"),
            hash_key: field("hash_key"),
            client_passphrase: field("client_passphrase"),
            control_url,
            clock,
        })
    }

    async fn control(&self, path: &str, body: Value) -> Result<Value, AppError> {
        control_post(&self.control_url, path, body).await
    }
}

async fn control_post(control_url: &str, path: &str, body: Value) -> Result<Value, AppError> {
    let response = reqwest::Client::builder()
        .timeout(CONTROL_TIMEOUT)
        .build()
        .map_err(|e| failed(path, e))?
        .post(format!("{control_url}{path}"))
        .json(&body)
        .send()
        .await
        .map_err(|e| failed(path, e))?;
    if !response.status().is_success() {
        return Err(failed(path, response.status()));
    }
    response.json().await.map_err(|e| failed(path, e))
}

impl RunningDemo for Apart {
    fn status(&self) -> DemoStatus {
        DemoStatus {
            control_url: self.control_url.clone(),
            gateway_url: self.gateway_url.clone(),
            relay_url: self.relay_url.clone(),
            merchant_id: crate::DEMO_MERCHANT_ID.into(),
            relay_shop: DEMO_RELAY_SHOP.into(),
        }
    }

    fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    fn prepare<'a>(&'a self, desk: &'a Desk) -> DemoFuture<'a, ()> {
        Box::pin(crate::fill(desk, self))
    }
}

impl crate::Servers for Apart {
    fn dir(&self) -> &Path {
        &self.dir
    }

    fn settings(&self) -> SettingsInput {
        crate::demo_settings(&self.gateway_url, &self.dir, &self.relay_url)
    }

    fn credentials(&self) -> CredentialsInput {
        crate::demo_credentials(
            &self.connect_password,
            &self.dir,
            &self.client_passphrase,
            &self.hash_key,
            &self.relay_token,
        )
    }

    fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    fn generate<'a>(&'a self, request: Value) -> DemoFuture<'a, ()> {
        Box::pin(async move {
            self.control("/control/storefront/generate", request)
                .await?;
            Ok(())
        })
    }

    fn run_due_work(&self) -> DemoFuture<'_, ()> {
        Box::pin(async move {
            self.control("/control/tick", json!({})).await?;
            Ok(())
        })
    }
}

/// The simulator's time, read from its control API: the real time plus the simulator's
/// offset, asked again every [`CLOCK_REFRESH`] while the clock is in use.
pub(crate) struct SimulatorClock {
    offset_ms: AtomicI64,
}

impl SimulatorClock {
    /// Asks the simulator once (so the clock is right from the start), then keeps asking
    /// in the background until the clock is dropped.
    pub(crate) async fn follow(control_url: &str) -> Result<Arc<SimulatorClock>, AppError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| failed("simulator clock", e))?;
        let url = format!("{control_url}/control/clock");
        let clock = Arc::new(SimulatorClock {
            offset_ms: AtomicI64::new(offset_ms(&client, &url).await?),
        });
        let weak: Weak<SimulatorClock> = Arc::downgrade(&clock);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(CLOCK_REFRESH).await;
                let Some(clock) = weak.upgrade() else { return };
                // A missed answer keeps the last offset: the servers may be busy.
                if let Ok(ms) = offset_ms(&client, &url).await {
                    clock.offset_ms.store(ms, Ordering::Relaxed);
                }
            }
        });
        Ok(clock)
    }
}

async fn offset_ms(client: &reqwest::Client, url: &str) -> Result<i64, AppError> {
    let v: Value = client
        .get(url)
        .send()
        .await
        .map_err(|e| failed("simulator clock", e))?
        .json()
        .await
        .map_err(|e| failed("simulator clock", e))?;
    v["offset_milliseconds"]
        .as_i64()
        .ok_or_else(|| failed("simulator clock", "no offset in the answer"))
}

impl Clock for SimulatorClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }
}
