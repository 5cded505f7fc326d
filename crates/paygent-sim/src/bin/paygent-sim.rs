//! `paygent-sim`: parses flags, binds, and runs `paygent_sim::serve` until Ctrl-C.

use std::path::PathBuf;
use std::process::ExitCode;

use paygent_sim::{SimOptions, Simulator, TlsConfig, serve};

const USAGE: &str = "\
usage: paygent-sim [--listen ADDR] [--control-listen ADDR] [--state FILE]
                   (--tls-dir DIR | --plain-http)

  --listen ADDR          telegram listener (default 127.0.0.1:18443)
  --control-listen ADDR  control API listener (default 127.0.0.1:18444)
  --state FILE           JSON snapshot to load and keep up to date (default: in memory)
  --tls-dir DIR          mutual TLS; generates ca.pem, server.pem/.key, client.crt/.key/.pem/.p12
                         and client.passphrase into DIR when absent
  --plain-http           serve plain HTTP instead of TLS (quick local runs)";

struct Flags {
    listen: String,
    control_listen: String,
    state: Option<PathBuf>,
    tls_dir: Option<PathBuf>,
    plain_http: bool,
}

fn parse(args: impl Iterator<Item = String>) -> Result<Flags, String> {
    let mut flags = Flags {
        listen: "127.0.0.1:18443".into(),
        control_listen: "127.0.0.1:18444".into(),
        state: None,
        tls_dir: None,
        plain_http: false,
    };
    let mut args = args.skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--listen" => flags.listen = value("--listen")?,
            "--control-listen" => flags.control_listen = value("--control-listen")?,
            "--state" => flags.state = Some(value("--state")?.into()),
            "--tls-dir" => flags.tls_dir = Some(value("--tls-dir")?.into()),
            "--plain-http" => flags.plain_http = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if flags.plain_http == flags.tls_dir.is_some() {
        return Err("give exactly one of --tls-dir DIR and --plain-http".into());
    }
    Ok(flags)
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let flags = match parse(std::env::args()) {
        Ok(flags) => flags,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("paygent-sim: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let tls = match &flags.tls_dir {
        None => None,
        Some(dir) => match TlsConfig::load_or_generate(dir) {
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
