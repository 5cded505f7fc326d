use std::{net::IpAddr, net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use chrono::{DateTime, TimeZone, Utc};
use relay::{
    Relay, client::DesktopClient, clock::ManualClock, config::Config, secret::HashKey, store,
};
use tokio::{sync::oneshot, task::JoinHandle};

pub const KEY_A: &str = "hashkey-shop-a-0001";
pub const KEY_B: &str = "hashkey-shop-b-0002";

pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 3, 0, 0)
        .single()
        .expect("valid time")
}

/// An in-process relay on 127.0.0.1:0 with a manual clock.
pub struct TestRelay {
    pub addr: SocketAddr,
    pub relay: Relay,
    pub clock: Arc<ManualClock>,
    pub database: PathBuf,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl TestRelay {
    pub async fn start() -> TestRelay {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestRelay {
        let dir = tempfile::tempdir().expect("temp dir");
        let database = dir.path().join("relay.db");
        let mut config = Config::new(&database);
        config.heartbeat = Duration::from_secs(30);
        adjust(&mut config);
        let clock = Arc::new(ManualClock::new(start_time()));
        let relay = Relay::open(config, clock.clone()).expect("relay opens");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(relay::serve(listener, relay.clone(), None, async move {
            let _ = rx.await;
        }));
        let task = tokio::spawn(async move {
            task.await.expect("serve task").expect("serve");
        });
        TestRelay {
            addr,
            relay,
            clock,
            database,
            http: reqwest::Client::new(),
            _dir: dir,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn add_shop(&self, shop: &str, key: &str, allowed: &[&str]) {
        let ips: Vec<IpAddr> = allowed.iter().map(|ip| ip.parse().expect("ip")).collect();
        store::add_shop(&self.database, shop, &HashKey::new(key), &ips, start_time())
            .expect("add shop");
    }

    pub fn add_desktop(&self, shop: &str, name: &str) -> String {
        let (_, token) =
            store::add_desktop(&self.database, shop, name, start_time()).expect("add desktop");
        token.expose().to_string()
    }

    pub fn client(&self, token: &str) -> DesktopClient {
        DesktopClient::new(&format!("http://{}", self.addr), token)
    }

    /// Posts a notification body; returns the status and the body text.
    pub async fn notify(&self, shop: &str, body: Vec<u8>) -> (u16, String) {
        post_notification(&self.http, self.addr, shop, body).await
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server stopped cleanly");
        }
    }
}

pub async fn post_notification(
    http: &reqwest::Client,
    addr: SocketAddr,
    shop: &str,
    body: Vec<u8>,
) -> (u16, String) {
    let response = http
        .post(format!("http://{addr}/paygent/{shop}/notify"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("post notification");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

/// A card authorization notification with a correct `hc` for `key`.
pub fn notification(id: u64, key: &str) -> Vec<u8> {
    let id = id.to_string();
    let payment_id = format!("9{id:0>8}");
    let trading = format!("ORDER-{id}");
    paygent_codec::encode_notification(
        &[
            ("payment_notice_id", id.as_str()),
            ("change_date", "20260115120000"),
            ("payment_id", payment_id.as_str()),
            ("trading_id", trading.as_str()),
            ("payment_type", "02"),
            ("payment_status", "20"),
            ("payment_amount", "1500"),
            ("acq_name", "ＪＣＢ カード"),
        ],
        &HashKey::new(key),
    )
    .expect("encodes")
}

/// Every event of a desktop from the start, through the catch-up API.
pub async fn all_events(client: &DesktopClient) -> Vec<relay::dto::RelayEvent> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = client.catch_up(Some(after), None).await.expect("catch up");
        if let Some(last) = page.events.last() {
            after = last.seq();
        }
        out.extend(page.events);
        if !page.more {
            return out;
        }
    }
}

pub fn notice_ids(events: &[relay::dto::RelayEvent]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match e {
            relay::dto::RelayEvent::Payment(p) => Some(p.payment_notice_id),
            relay::dto::RelayEvent::Gap(_) => None,
        })
        .collect()
}
