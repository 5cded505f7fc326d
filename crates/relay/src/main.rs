//! `paydesk-relay`: parses the command line, reads the configuration, binds, and calls the
//! library. No relay logic lives here.

use std::{io::BufRead, net::IpAddr, path::PathBuf, process::ExitCode, sync::Arc};

use clap::{Parser, Subcommand};

use relay::{
    Relay, Tls,
    clock::{Clock, SystemClock},
    config::{Config, LogFormat},
    secret::HashKey,
    store,
};

/// Receives Paygent's payment notifications and streams them to the shop's desktops.
///
/// Every configuration key can be set by a PAYDESK_RELAY_* variable (see the README). Logs
/// go to stderr; PAYDESK_RELAY_LOG sets the filter (default: info). Exit status: 0 done,
/// 1 failed (the reason on stderr), 2 a usage error.
#[derive(Parser)]
#[command(name = "paydesk-relay", version)]
struct Cli {
    /// The configuration file (TOML); without it, defaults and PAYDESK_RELAY_* variables.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve: receive notifications, stream them to desktops.
    Serve,
    /// Add a shop, or update one. The hash key comes from PAYDESK_RELAY_HASH_KEY, else the
    /// first line of stdin. Run again for an existing shop, it keeps the allow-list unless
    /// given --allow-ip or --clear-allow-ip.
    AddShop {
        /// The shop's merchant ID.
        #[arg(long)]
        shop: String,
        /// An address Paygent's notifications come from (repeat for several).
        #[arg(
            long = "allow-ip",
            value_name = "IP",
            conflicts_with = "clear_allow_ip"
        )]
        allow_ip: Vec<IpAddr>,
        /// Accept notifications from any address (clears the allow-list).
        #[arg(long)]
        clear_allow_ip: bool,
    },
    /// Add a desktop to a shop; prints its token once.
    AddDesktop {
        /// The shop's merchant ID (as given to add-shop).
        #[arg(long)]
        shop: String,
        /// A name that tells the shop owner which desktop this is.
        #[arg(long)]
        name: String,
    },
    /// Give a desktop a new token (printed once); the old one stops working.
    RotateDesktop {
        /// The desktop's number (see `list`).
        #[arg(long)]
        id: u64,
    },
    /// Revoke a desktop: its token stops working.
    RevokeDesktop {
        /// The desktop's number (see `list`).
        #[arg(long)]
        id: u64,
    },
    /// List shops and desktops.
    List,
    /// List quarantined notifications, or delete them.
    Quarantine {
        /// Only this shop's.
        #[arg(long)]
        shop: Option<String>,
        /// Delete them instead of listing.
        #[arg(long)]
        clear: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("paydesk-relay: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let text = match &cli.config {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        None => String::new(),
    };
    let config = Config::from_toml_and_env(&text, |name| std::env::var(name).ok())
        .map_err(|e| e.to_string())?;
    let now = SystemClock.now();
    match cli.command {
        Command::Serve => serve(config),
        Command::AddShop {
            shop,
            allow_ip,
            clear_allow_ip,
        } => {
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
            let allow = if clear_allow_ip || !allow_ip.is_empty() {
                store::AllowList::Set(&allow_ip)
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
        Command::AddDesktop { shop, name } => {
            let (id, token) = store::add_desktop(&config.database, &shop, &name, now)
                .map_err(|e| e.to_string())?;
            println!("desktop {id} ({name}) added to shop {shop}.");
            println!("Token (shown once; enter it in PayDesk's relay settings):");
            println!("{}", token.expose());
            Ok(())
        }
        Command::RotateDesktop { id } => {
            match store::rotate_desktop(&config.database, id).map_err(|e| e.to_string())? {
                Some(token) => {
                    println!("desktop {id}: new token (shown once; the old one no longer works):");
                    println!("{}", token.expose());
                    Ok(())
                }
                None => Err(format!("no desktop {id}")),
            }
        }
        Command::RevokeDesktop { id } => {
            if store::revoke_desktop(&config.database, id).map_err(|e| e.to_string())? {
                println!("desktop {id} revoked: its token no longer works.");
                Ok(())
            } else {
                Err(format!("no desktop {id}"))
            }
        }
        Command::Quarantine { shop, clear } => {
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
        Command::List => {
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
