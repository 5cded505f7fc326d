//! `paydesk-relay`: parses the command line, reads the configuration, binds, and calls the
//! library. No relay logic lives here.

use std::{io::BufRead, net::IpAddr, path::PathBuf, process::ExitCode, sync::Arc};

use relay::{
    Relay, Tls,
    clock::{Clock, SystemClock},
    config::{Config, LogFormat},
    secret::HashKey,
    store,
};

const USAGE: &str = "\
paydesk-relay: receives Paygent payment notifications and streams them to desktops

USAGE:
  paydesk-relay serve       [--config relay.toml]
  paydesk-relay add-shop    [--config relay.toml] --shop ID [--allow-ip IP]... [--clear-allow-ip]
                            (hash key from PAYDESK_RELAY_HASH_KEY, else the first line of stdin;
                             run again for an existing shop, it keeps the allow-list unless
                             given --allow-ip or --clear-allow-ip)
  paydesk-relay add-desktop [--config relay.toml] --shop ID --name NAME
                            (prints the desktop's token once)
  paydesk-relay rotate-desktop [--config relay.toml] --id N
                            (prints a new token once; the old one stops working)
  paydesk-relay revoke-desktop [--config relay.toml] --id N
  paydesk-relay list        [--config relay.toml]
  paydesk-relay quarantine  [--config relay.toml] [--shop ID] [--clear]
                            (lists quarantined notifications, or deletes them)

Every configuration key can be set by a PAYDESK_RELAY_* variable (see README).
Logs go to stderr; PAYDESK_RELAY_LOG sets the filter (default: info).
";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("paydesk-relay: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut args = pico_args::Arguments::from_env();
    if args.contains(["-h", "--help"]) {
        print!("{USAGE}");
        return Ok(());
    }
    let command = args.subcommand().map_err(|e| e.to_string())?;
    let config_path: Option<PathBuf> = args
        .opt_value_from_str("--config")
        .map_err(|e| e.to_string())?;
    let text = match &config_path {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        None => String::new(),
    };
    let config = Config::from_toml_and_env(&text, |name| std::env::var(name).ok())
        .map_err(|e| e.to_string())?;
    let now = SystemClock.now();
    match command.as_deref() {
        Some("serve") => {
            finish(args)?;
            serve(config)
        }
        Some("add-shop") => {
            let shop: String = args.value_from_str("--shop").map_err(|e| e.to_string())?;
            let allowed: Vec<IpAddr> = args
                .values_from_str("--allow-ip")
                .map_err(|e| e.to_string())?;
            let clear = args.contains("--clear-allow-ip");
            finish(args)?;
            if clear && !allowed.is_empty() {
                return Err("give --allow-ip or --clear-allow-ip, not both".into());
            }
            let key = match std::env::var("PAYDESK_RELAY_HASH_KEY") {
                Ok(key) => key,
                Err(_) => {
                    eprintln!("hash key (ハッシュ値生成キー) for shop {shop}:");
                    let mut line = String::new();
                    std::io::stdin()
                        .lock()
                        .read_line(&mut line)
                        .map_err(|e| e.to_string())?;
                    line.trim().to_string()
                }
            };
            let allow = if clear || !allowed.is_empty() {
                store::AllowList::Set(&allowed)
            } else {
                store::AllowList::Keep
            };
            store::save_shop(&config.database, &shop, &HashKey::new(key), allow, now)
                .map_err(|e| e.to_string())?;
            let base = config
                .public_url
                .as_deref()
                .unwrap_or("https://<relay host>");
            println!("shop {shop} saved.");
            println!(
                "Notification URL to register with Paygent: {}/paygent/{shop}/notify",
                base.trim_end_matches('/')
            );
            Ok(())
        }
        Some("add-desktop") => {
            let shop: String = args.value_from_str("--shop").map_err(|e| e.to_string())?;
            let name: String = args.value_from_str("--name").map_err(|e| e.to_string())?;
            finish(args)?;
            let (id, token) = store::add_desktop(&config.database, &shop, &name, now)
                .map_err(|e| e.to_string())?;
            println!("desktop {id} ({name}) added to shop {shop}.");
            println!("Token (shown once; enter it in PayDesk's relay settings):");
            println!("{}", token.expose());
            Ok(())
        }
        Some("rotate-desktop") => {
            let id: u64 = args.value_from_str("--id").map_err(|e| e.to_string())?;
            finish(args)?;
            match store::rotate_desktop(&config.database, id).map_err(|e| e.to_string())? {
                Some(token) => {
                    println!("desktop {id}: new token (shown once; the old one no longer works):");
                    println!("{}", token.expose());
                    Ok(())
                }
                None => Err(format!("no desktop {id}")),
            }
        }
        Some("revoke-desktop") => {
            let id: u64 = args.value_from_str("--id").map_err(|e| e.to_string())?;
            finish(args)?;
            if store::revoke_desktop(&config.database, id).map_err(|e| e.to_string())? {
                println!("desktop {id} revoked: its token no longer works.");
                Ok(())
            } else {
                Err(format!("no desktop {id}"))
            }
        }
        Some("quarantine") => {
            let shop: Option<String> = args
                .opt_value_from_str("--shop")
                .map_err(|e| e.to_string())?;
            let clear = args.contains("--clear");
            finish(args)?;
            if clear {
                let n = store::quarantine_clear(&config.database, shop.as_deref())
                    .map_err(|e| e.to_string())?;
                println!("{n} quarantined notifications deleted.");
                return Ok(());
            }
            let rows = store::quarantine_list(&config.database, shop.as_deref())
                .map_err(|e| e.to_string())?;
            for r in &rows {
                println!(
                    "{}  {}  shop {}  notice {}  hc {}…  from {}  {} bytes  {}",
                    r.id,
                    r.received_at,
                    r.shop,
                    r.payment_notice_id,
                    r.hc_digest,
                    r.remote_ip.as_deref().unwrap_or("-"),
                    r.size,
                    r.reason
                );
            }
            println!("{} quarantined notifications.", rows.len());
            Ok(())
        }
        Some("list") => {
            finish(args)?;
            let listing = store::list(&config.database).map_err(|e| e.to_string())?;
            for (shop, ips, max) in listing.shops {
                let ips = ips.iter().map(ToString::to_string).collect::<Vec<_>>();
                println!(
                    "shop {shop}  allow-ip: {}  last notice id: {}",
                    if ips.is_empty() {
                        "any".to_string()
                    } else {
                        ips.join(",")
                    },
                    max.map_or("-".to_string(), |m| m.to_string())
                );
            }
            for (id, shop, name, cursor, seen) in listing.desktops {
                println!(
                    "desktop {id}  shop {shop}  name {name}  cursor {cursor}  last seen {}",
                    seen.unwrap_or_else(|| "-".into())
                );
            }
            Ok(())
        }
        _ => Err(format!("unknown or missing command\n\n{USAGE}")),
    }
}

fn finish(args: pico_args::Arguments) -> Result<(), String> {
    let rest = args.finish();
    if rest.is_empty() {
        Ok(())
    } else {
        Err(format!("unexpected arguments: {rest:?}"))
    }
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PAYDESK_RELAY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

fn serve(config: Config) -> Result<(), String> {
    init_logs(config.log_format);
    let limit = relay::raise_open_files_limit();
    tracing::info!(open_files_limit = limit, "starting");
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let tls = match &config.tls {
            Some(files) => {
                Some(Tls::from_pem_files(&files.cert, &files.key).map_err(|e| e.to_string())?)
            }
            None => None,
        };
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| format!("cannot bind {}: {e}", config.listen))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let relay = Relay::open(config, Arc::new(SystemClock)).map_err(|e| e.to_string())?;
        tracing::info!(address = %local, scheme, "listening");
        // Tests and scripts read this line to learn the port when binding port 0.
        println!("listening on {scheme}://{local}");
        relay::serve(listener, relay, tls, shutdown_signal())
            .await
            .map_err(|e| e.to_string())
    })
}

#[cfg(not(unix))]
async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(unix)]
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
