//! A simulator on 127.0.0.1:0 per test, with helpers for the control API and a
//! `paygent-client` configured with the generated client certificate.

use std::net::SocketAddr;
use std::path::PathBuf;

use paygent_client::{Client, ClientConfig, ClientIdentity, Endpoint};
use paygent_codec::{CommonHeader, Secret};
use paygent_sim::{Pki, SimOptions, Simulator, serve};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub const MERCHANT: &str = "00000";
pub const CONNECT_ID: &str = "test_connect";
pub const PASSWORD: &str = "test_password";
pub const HASH_KEY: &str = "abcdefg1234567";

pub struct TestSim {
    pub gateway: SocketAddr,
    pub control: String,
    pub pki: Option<Pki>,
    /// The CA clients must trust, when the gateway speaks TLS.
    pub ca_pem: Option<Vec<u8>>,
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestSim {
    /// Mutual TLS with a fresh certificate kit, no background ticker.
    pub async fn tls() -> TestSim {
        TestSim::start(true, None).await
    }

    /// Plain HTTP, no background ticker.
    pub async fn plain() -> TestSim {
        TestSim::start(false, None).await
    }

    pub async fn start(tls: bool, state_path: Option<PathBuf>) -> TestSim {
        let pki = tls.then(|| Pki::generate("test-merchant-00000").expect("certificates"));
        let tls_config = pki.as_ref().map(|p| p.tls_config().expect("tls config"));
        let ca = pki.as_ref().map(|p| p.ca_cert_pem.clone().into_bytes());
        TestSim::launch(pki, tls_config, ca, state_path).await
    }

    /// TLS with a given server configuration (e.g. loaded from a `--tls-dir` kit).
    pub async fn start_with_tls(config: paygent_sim::TlsConfig, ca_pem: Vec<u8>) -> TestSim {
        TestSim::launch(None, Some(config), Some(ca_pem), None).await
    }

    async fn launch(
        pki: Option<Pki>,
        tls_config: Option<paygent_sim::TlsConfig>,
        ca_pem: Option<Vec<u8>>,
        state_path: Option<PathBuf>,
    ) -> TestSim {
        let sim = Simulator::open(SimOptions {
            state_path,
            tick_interval: None,
            ..SimOptions::default()
        })
        .expect("simulator");
        let gateway = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let control = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let gateway_addr = gateway.local_addr().expect("addr");
        let control_addr = control.local_addr().expect("addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(gateway, control, sim, tls_config, async move {
            let _ = stopped.await;
        }));
        let test = TestSim {
            gateway: gateway_addr,
            control: format!("http://{control_addr}/control"),
            pki,
            ca_pem,
            http: reqwest::Client::builder().no_proxy().build().expect("http"),
            stop: Some(stop),
            task: Some(task),
        };
        test.create_shop(MERCHANT).await;
        test
    }

    /// Stops the server and waits for its final snapshot.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("join").expect("serve");
        }
    }

    pub fn base_url(&self) -> String {
        let scheme = if self.ca_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.gateway)
    }

    pub async fn create_shop(&self, merchant: &str) {
        let (status, body) = self
            .post(
                "/shops",
                json!({
                    "merchant_id": merchant,
                    "connect_id": CONNECT_ID,
                    "connect_password": PASSWORD,
                    "hash_key": HASH_KEY,
                }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }

    /// The official-client-like client for `MERCHANT`, over mutual TLS when the sim uses it.
    pub fn client(&self) -> Client {
        self.client_with(MERCHANT, PASSWORD, std::time::Duration::from_secs(10))
    }

    pub fn client_with(
        &self,
        merchant: &str,
        password: &str,
        timeout: std::time::Duration,
    ) -> Client {
        let header = CommonHeader::new(merchant, CONNECT_ID, Secret::new(password));
        let mut config = ClientConfig::new(Endpoint::Custom(self.base_url()), header);
        config.timeout = timeout;
        if let Some(pki) = &self.pki {
            let pem = format!("{}{}", pki.client_cert_pem, pki.client_key_pem).into_bytes();
            config.identity = Some(ClientIdentity::Pem {
                pem,
                passphrase: None,
            });
            config.ca_pem = Some(pki.ca_cert_pem.clone().into_bytes());
        }
        Client::new(config).expect("client")
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.control))
            .json(&body)
            .send()
            .await
            .expect("control");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn put(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .put(format!("{}{path}", self.control))
            .json(&body)
            .send()
            .await
            .expect("control");
        assert!(
            response.status().is_success(),
            "PUT {path}: {}",
            response.status()
        );
        response.json().await.expect("json")
    }

    pub async fn get(&self, path: &str) -> Value {
        let response = self
            .http
            .get(format!("{}{path}", self.control))
            .send()
            .await
            .expect("control");
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response.json().await.expect("json")
    }

    pub async fn ok(&self, path: &str, body: Value) -> Value {
        let (status, value) = self.post(path, body).await;
        assert!(
            (200..300).contains(&status),
            "POST {path}: {status} {value}"
        );
        value
    }

    /// A one-time card token for a stub number.
    pub async fn token(&self, card_number: &str, expiry: Option<&str>) -> Secret {
        let mut body = json!({ "merchant_id": MERCHANT, "card_number": card_number });
        if let Some(e) = expiry {
            body["expiry"] = json!(e);
        }
        let v = self.ok("/tokens", body).await;
        Secret::new(v["token"].as_str().expect("token"))
    }

    pub async fn tick(&self) -> Value {
        self.ok("/tick", json!({})).await
    }

    pub async fn advance(&self, days: i64, minutes: i64) {
        self.ok(
            "/clock/advance",
            json!({ "days": days, "minutes": minutes }),
        )
        .await;
    }

    pub async fn payment(&self, id: &str) -> Value {
        self.get(&format!("/payments/{id}")).await
    }

    pub async fn status(&self, id: &str) -> String {
        self.payment(id).await["status"]
            .as_str()
            .expect("status")
            .to_owned()
    }

    pub async fn events(&self) -> Vec<Value> {
        self.get("/events").await["events"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Status changes logged for a payment.
    pub async fn status_changes(&self, payment_id: &str) -> Vec<String> {
        self.events()
            .await
            .iter()
            .filter(|e| e["type"] == "status_change" && e["payment_id"] == payment_id)
            .map(|e| {
                format!(
                    "{}->{}",
                    e["from"].as_str().unwrap_or("-"),
                    e["to"].as_str().unwrap_or("")
                )
            })
            .collect()
    }

    /// POSTs raw bytes to the gateway (plain-HTTP sims only).
    pub async fn raw(&self, path: &str, body: impl Into<Vec<u8>>) -> (u16, Vec<u8>) {
        assert!(self.ca_pem.is_none(), "raw() needs a plain-HTTP simulator");
        let response = self
            .http
            .post(format!("{}{path}", self.base_url()))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body.into())
            .send()
            .await
            .expect("raw post");
        let status = response.status().as_u16();
        (status, response.bytes().await.expect("body").to_vec())
    }
}

/// The header part of a raw form body for `kind`.
pub fn header(kind: &str) -> String {
    format!(
        "merchant_id={MERCHANT}&connect_id={CONNECT_ID}&connect_password={PASSWORD}&telegram_kind={kind}&telegram_version=1.0"
    )
}

/// Parses a Windows-31J key=value reply into (key, value) lines.
pub fn lines(body: &[u8]) -> Vec<(String, String)> {
    let (text, _, _) = encoding_rs::SHIFT_JIS.decode(body);
    text.split("\r\n")
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

pub fn item(body: &[u8], key: &str) -> String {
    lines(body)
        .into_iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
        .unwrap_or_default()
}

/// The gateway code of a client error, or a description of the non-gateway error.
pub fn code_of(e: &paygent_client::ClientError) -> String {
    match e {
        paygent_client::ClientError::Gateway(g) => g.response_code.clone(),
        other => format!("{other:?}"),
    }
}
