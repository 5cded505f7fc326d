//! `paygent-sim`: parses flags, binds, and runs `paygent_sim::serve` until Ctrl-C.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgGroup, Parser};
use paygent_sim::{SimOptions, Simulator, TlsConfig, serve};

/// A faithful local Paygent for development and tests: telegram endpoints with mutual TLS,
/// the card and Paidy state machines, notifications, fault injection and a JSON control API.
/// Exit status: 0 stopped by Ctrl-C, 1 failed (the reason on stderr), 2 a usage error.
#[derive(Parser)]
#[command(name = "paygent-sim", version)]
#[command(group(ArgGroup::new("transport").required(true).args(["tls_dir", "plain_http"])))]
struct Flags {
    /// The telegram listener.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:18443")]
    listen: String,
    /// The control API listener.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:18444")]
    control_listen: String,
    /// A JSON snapshot to load and keep up to date (default: in memory).
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Mutual TLS; generates ca.pem, server.pem/.key, client.crt/.key/.pem/.p12 and
    /// client.passphrase into DIR when absent.
    #[arg(long, value_name = "DIR")]
    tls_dir: Option<PathBuf>,
    /// The generated client key's passphrase (default: random).
    #[arg(
        long,
        value_name = "PASS",
        conflicts_with_all = ["paygent_passphrase", "plain_http"]
    )]
    client_passphrase: Option<String>,
    /// The generated client key uses Paygent's fixed kit passphrase (changeit), as a shop's
    /// kit from Paygent does (§1.3).
    #[arg(long, conflicts_with = "plain_http")]
    paygent_passphrase: bool,
    /// Serve plain HTTP instead of TLS (quick local runs).
    #[arg(long)]
    plain_http: bool,
}

impl Flags {
    /// The passphrase for a newly generated kit, if one was chosen.
    fn kit_passphrase(&self) -> Option<&str> {
        if self.paygent_passphrase {
            Some(paygent_sim::tls::PAYGENT_KIT_PASSPHRASE)
        } else {
            self.client_passphrase.as_deref()
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let flags = Flags::parse();
    let tls = match &flags.tls_dir {
        None => None,
        Some(dir) => match TlsConfig::load_or_generate_with(dir, flags.kit_passphrase()) {
            Ok((config, generated)) => {
                if generated.is_some() {
                    println!(
                        "generated a certificate kit in {}; the client key passphrase is in {}",
                        dir.display(),
                        dir.join("client.passphrase").display()
                    );
                }
                Some(config)
            }
            Err(e) => {
                eprintln!("paygent-sim: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let sim = match Simulator::open(SimOptions {
        state_path: flags.state.clone(),
        ..SimOptions::default()
    }) {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("paygent-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    let bind = |addr: String| async move {
        tokio::net::TcpListener::bind(&addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}"))
    };
    let (gateway, control) = match (
        bind(flags.listen.clone()).await,
        bind(flags.control_listen.clone()).await,
    ) {
        (Ok(g), Ok(c)) => (g, c),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("paygent-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!(
        "telegrams: {scheme}://{}  control API: http://{}/control",
        flags.listen, flags.control_listen
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match serve(gateway, control, sim, tls, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("paygent-sim: {e}");
            ExitCode::FAILURE
        }
    }
}
