//! 022 telegrams per second through `paygent-client` over loopback mutual TLS.
//!
//! `cargo run --release -p paygent-sim --example sim_bench [-- --quick]`
//!
//! Authorizes N payments through the control API, then captures each with 022 from C
//! concurrent clients and prints the rate. `--quick` uses a small N for CI.

use std::time::{Duration, Instant};

use paygent_client::{Client, ClientConfig, ClientIdentity, Endpoint};
use paygent_codec::request::{CardCapture, PaymentRef};
use paygent_codec::{CommonHeader, Secret};
use paygent_sim::{Pki, SimOptions, Simulator, serve};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let quick = std::env::args().any(|a| a == "--quick");
    let plain = std::env::args().any(|a| a == "--plain-http");
    let (payments, concurrency) = if quick { (200, 4) } else { (5_000, 16) };

    let pki = Pki::generate("bench-merchant")?;
    let tls = if plain { None } else { Some(pki.tls_config()?) };
    let sim = Simulator::open(SimOptions {
        tick_interval: None,
        ..SimOptions::default()
    })?;
    let gateway = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let control = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let gateway_addr = gateway.local_addr()?;
    let control_url = format!("http://{}/control", control.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(gateway, control, sim, tls, async move {
        let _ = stopped.await;
    }));

    let http = reqwest::Client::builder().no_proxy().build()?;
    http.post(format!("{control_url}/shops"))
        .json(&json!({ "merchant_id": "10001", "connect_id": "bench", "connect_password": "bench-pass", "hash_key": "k" }))
        .send()
        .await?
        .error_for_status()?;
    let mut ids = Vec::with_capacity(payments);
    for i in 0..payments {
        let v: serde_json::Value = http
            .post(format!("{control_url}/checkouts/card"))
            .json(&json!({ "merchant_id": "10001", "amount": 1000 + i, "trading_id": format!("B{i}") }))
            .send()
            .await?
            .json()
            .await?;
        ids.push(v["payment_id"].as_str().ok_or("no payment id")?.to_owned());
    }

    let scheme = if plain { "http" } else { "https" };
    let mut config = ClientConfig::new(
        Endpoint::Custom(format!("{scheme}://{gateway_addr}")),
        CommonHeader::new("10001", "bench", Secret::new("bench-pass")),
    );
    config.timeout = Duration::from_secs(30);
    if !plain {
        let pem = format!("{}{}", pki.client_cert_pem, pki.client_key_pem).into_bytes();
        config.identity = Some(ClientIdentity::Pem {
            pem,
            passphrase: None,
        });
        config.ca_pem = Some(pki.ca_cert_pem.clone().into_bytes());
    }
    let client = Client::new(config)?;

    let started = Instant::now();
    let chunks: Vec<Vec<String>> = ids
        .chunks(payments.div_ceil(concurrency))
        .map(<[String]>::to_vec)
        .collect();
    let mut workers = Vec::new();
    for chunk in chunks {
        let client = client.clone();
        workers.push(tokio::spawn(async move {
            let mut failures = 0usize;
            for id in chunk {
                if client
                    .send(&CardCapture::new(PaymentRef::by_payment_id(id)))
                    .await
                    .is_err()
                {
                    failures += 1;
                }
            }
            failures
        }));
    }
    let mut failures = 0;
    for worker in workers {
        failures += worker.await?;
    }
    let elapsed = started.elapsed();
    let rate = payments as f64 / elapsed.as_secs_f64();
    println!(
        "022 capture: {payments} telegrams in {:.2} s over {} with {concurrency} concurrent clients: {rate:.0} telegrams/s ({failures} failures)",
        elapsed.as_secs_f64(),
        if plain {
            "plain HTTP"
        } else {
            "mutual TLS (a new connection per telegram, as the official modules do)"
        },
    );
    println!(
        "METRIC\t022 capture telegrams/s (simulator, {concurrency} clients)\t{rate:.0}\t/s\t-"
    );
    let _ = stop.send(());
    server.await??;
    if failures > 0 {
        return Err(format!("{failures} telegrams failed").into());
    }
    Ok(())
}
