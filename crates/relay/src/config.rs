//! Configuration: one TOML file, each key overridable by a `PAYDESK_RELAY_*` variable.
//!
//! [`Config`] is what the relay runs with (tests build it directly); [`ConfigFile`] is the
//! file's shape. Shops and desktops are not configuration: they live in the database and
//! are managed with `paydesk-relay add-shop` / `add-desktop`.

use std::{net::IpAddr, net::SocketAddr, path::PathBuf, time::Duration};

use serde::Deserialize;

/// Everything the relay needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address the binary binds (the library takes an already bound listener).
    pub listen: SocketAddr,
    /// The SQLite database file.
    pub database: PathBuf,
    /// Events and quarantined records older than this are deleted.
    pub retention: chrono::Duration,
    /// How often retention runs.
    pub prune_every: Duration,
    /// Interval of the heartbeat events on every desktop stream.
    pub heartbeat: Duration,
    /// Every size, time and count limit the relay enforces, in one place.
    pub limits: Limits,
    /// Peers whose `X-Forwarded-For` is believed (a reverse proxy on the same host).
    pub trusted_proxies: Vec<IpAddr>,
    /// Reverse proxies in front of the relay, each appending one `X-Forwarded-For` hop: the
    /// client is the hop this many places from the end (1 = one nginx/Caddy).
    pub proxy_hops: usize,
    /// PEM certificate chain and key for TLS; `None` for plain HTTP behind a proxy.
    pub tls: Option<TlsFiles>,
    /// The relay's public base URL, printed by `add-shop` as the notification URL.
    pub public_url: Option<String>,
    /// `json` or `text` log lines.
    pub log_format: LogFormat,
    /// Serve `GET /v1/stream` on plain TCP through the lean path (`raw_stream`) instead of
    /// hyper. Not a file key: the benchmark turns it off to measure both paths.
    pub lean_streams: bool,
}

/// Every limit that bounds what one client can make the relay hold, with its default.
/// The README's "Limits" table lists the same keys; each is a top-level file key and a
/// `PAYDESK_RELAY_<KEY>` variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// `head_timeout_seconds` (10): a connection has this long to finish the TLS handshake
    /// (or send its first byte), then this long to complete its request head; a kept-alive
    /// connection has this long after an answer for its next head. Otherwise it is closed.
    pub head_timeout: Duration,
    /// `body_timeout_seconds` (10): from a complete head to the answer (reading the body and
    /// storing the notification); a stalled body gets 408 and the connection is closed.
    pub body_timeout: Duration,
    /// `max_connections` (16384, and never more than the open-files limit less 128): open
    /// connections in all. At the cap a new connection closes the oldest connection that has
    /// not authenticated as a desktop; if every one has, the new one is closed.
    pub max_connections: usize,
    /// `max_connections_per_ip` (64): connections of one source IP that have not
    /// authenticated as a desktop; a new one over the cap closes that IP's oldest. A trusted
    /// proxy is exempt (the proxy limits its clients).
    pub max_connections_per_ip: usize,
    /// `max_streams_per_desktop` (4): open streams of one desktop token; a new one over the
    /// cap ends that desktop's oldest (a desktop needs one; a leaked token cannot fill
    /// `max_connections` with streams that are never evicted).
    pub max_streams_per_desktop: usize,
    /// `max_head_bytes` (16384): largest request head (request line and headers).
    pub max_head_bytes: usize,
    /// `max_body_bytes` (65536): largest notification body; Paygent's own telegram limit is
    /// 100 KiB and a notification is well under 4 KiB.
    pub max_body_bytes: usize,
    /// `max_batch` (1024): most writes committed in one transaction (group commit).
    pub max_batch: usize,
    /// `quarantine_per_shop` (1000): quarantined records kept per shop; the oldest go first.
    pub quarantine_per_shop: usize,
    /// `quarantine_per_ip_per_minute` (30): quarantined records stored per source IP and
    /// minute; more are still answered `result=0` but only counted in the log.
    pub quarantine_per_ip_per_minute: u32,
    /// `warn_interval_seconds` (10): a repeated warning (accept failures, refused
    /// connections, rejected notifications) is logged at most once per interval per kind,
    /// with the number suppressed.
    pub warn_interval: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            head_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_connections: 16_384,
            max_connections_per_ip: 64,
            max_streams_per_desktop: 4,
            max_head_bytes: 16 * 1024,
            max_body_bytes: 64 * 1024,
            max_batch: 1024,
            quarantine_per_shop: 1000,
            quarantine_per_ip_per_minute: 30,
            warn_interval: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Text,
}

impl Config {
    /// Defaults for a database at `database` (30 days retention, 15 s heartbeats).
    pub fn new(database: impl Into<PathBuf>) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database: database.into(),
            retention: chrono::Duration::days(30),
            prune_every: Duration::from_secs(3600),
            heartbeat: Duration::from_secs(15),
            limits: Limits::default(),
            trusted_proxies: Vec::new(),
            proxy_hops: 1,
            tls: None,
            public_url: None,
            log_format: LogFormat::Text,
            lean_streams: true,
        }
    }

    /// Reads the TOML text, then applies `PAYDESK_RELAY_*` overrides looked up with `env`.
    pub fn from_toml_and_env(
        text: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let file: ConfigFile =
            toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string()))?;
        let mut file = file;
        file.apply_env(&env)?;
        file.into_config()
    }
}

/// The configuration file's shape. Every key is optional except `database`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub listen: Option<String>,
    pub database: Option<PathBuf>,
    pub retention_days: Option<u32>,
    pub heartbeat_seconds: Option<u64>,
    pub head_timeout_seconds: Option<u64>,
    pub body_timeout_seconds: Option<u64>,
    pub max_connections: Option<usize>,
    pub max_connections_per_ip: Option<usize>,
    pub max_streams_per_desktop: Option<usize>,
    pub max_head_bytes: Option<usize>,
    pub max_body_bytes: Option<usize>,
    pub max_batch: Option<usize>,
    pub quarantine_per_shop: Option<usize>,
    pub quarantine_per_ip_per_minute: Option<u32>,
    pub warn_interval_seconds: Option<u64>,
    pub trusted_proxies: Option<Vec<String>>,
    pub proxy_hops: Option<usize>,
    pub public_url: Option<String>,
    pub log_format: Option<LogFormat>,
    pub tls: Option<TlsSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file: {0}")]
    Toml(String),
    #[error("configuration key {key}: {message}")]
    Invalid { key: &'static str, message: String },
}

fn invalid(key: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        message: message.into(),
    }
}

fn parse_env<T: std::str::FromStr>(
    env: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<T>, ConfigError> {
    match env(name) {
        None => Ok(None),
        Some(text) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| invalid(name, format!("cannot parse {text:?}"))),
    }
}

impl ConfigFile {
    fn apply_env(&mut self, env: &impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(v) = env("PAYDESK_RELAY_LISTEN") {
            self.listen = Some(v);
        }
        if let Some(v) = env("PAYDESK_RELAY_DATABASE") {
            self.database = Some(v.into());
        }
        if let Some(v) = parse_env(env, "PAYDESK_RELAY_RETENTION_DAYS")? {
            self.retention_days = Some(v);
        }
        if let Some(v) = parse_env(env, "PAYDESK_RELAY_HEARTBEAT_SECONDS")? {
            self.heartbeat_seconds = Some(v);
        }
        macro_rules! numbers {
            ($($field:ident = $name:literal),* $(,)?) => {$(
                if let Some(v) = parse_env(env, $name)? {
                    self.$field = Some(v);
                }
            )*};
        }
        numbers!(
            head_timeout_seconds = "PAYDESK_RELAY_HEAD_TIMEOUT_SECONDS",
            body_timeout_seconds = "PAYDESK_RELAY_BODY_TIMEOUT_SECONDS",
            max_connections = "PAYDESK_RELAY_MAX_CONNECTIONS",
            max_connections_per_ip = "PAYDESK_RELAY_MAX_CONNECTIONS_PER_IP",
            max_streams_per_desktop = "PAYDESK_RELAY_MAX_STREAMS_PER_DESKTOP",
            max_head_bytes = "PAYDESK_RELAY_MAX_HEAD_BYTES",
            max_body_bytes = "PAYDESK_RELAY_MAX_BODY_BYTES",
            max_batch = "PAYDESK_RELAY_MAX_BATCH",
            quarantine_per_shop = "PAYDESK_RELAY_QUARANTINE_PER_SHOP",
            quarantine_per_ip_per_minute = "PAYDESK_RELAY_QUARANTINE_PER_IP_PER_MINUTE",
            warn_interval_seconds = "PAYDESK_RELAY_WARN_INTERVAL_SECONDS",
            proxy_hops = "PAYDESK_RELAY_PROXY_HOPS",
        );
        if let Some(v) = env("PAYDESK_RELAY_TRUSTED_PROXIES") {
            self.trusted_proxies = Some(
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect(),
            );
        }
        if let Some(v) = env("PAYDESK_RELAY_PUBLIC_URL") {
            self.public_url = Some(v);
        }
        if let Some(v) = env("PAYDESK_RELAY_LOG_FORMAT") {
            self.log_format = Some(match v.as_str() {
                "json" => LogFormat::Json,
                "text" => LogFormat::Text,
                _ => return Err(invalid("PAYDESK_RELAY_LOG_FORMAT", "json or text")),
            });
        }
        let cert = env("PAYDESK_RELAY_TLS_CERT");
        let key = env("PAYDESK_RELAY_TLS_KEY");
        if cert.is_some() || key.is_some() {
            let tls = self.tls.get_or_insert_with(TlsSection::default);
            if let Some(cert) = cert {
                tls.cert = Some(cert.into());
            }
            if let Some(key) = key {
                tls.key = Some(key.into());
            }
        }
        Ok(())
    }

    fn into_config(self) -> Result<Config, ConfigError> {
        let database = self
            .database
            .ok_or_else(|| invalid("database", "missing (or set PAYDESK_RELAY_DATABASE)"))?;
        let mut config = Config::new(database);
        if let Some(listen) = self.listen {
            config.listen = listen
                .parse()
                .map_err(|_| invalid("listen", format!("not an address:port: {listen:?}")))?;
        }
        if let Some(days) = self.retention_days {
            if days == 0 {
                return Err(invalid("retention_days", "must be at least 1"));
            }
            config.retention = chrono::Duration::days(i64::from(days));
        }
        if let Some(secs) = self.heartbeat_seconds {
            if secs == 0 {
                return Err(invalid("heartbeat_seconds", "must be at least 1"));
            }
            config.heartbeat = Duration::from_secs(secs);
        }
        let limits = &mut config.limits;
        let seconds = |key: &'static str, value: Option<u64>, into: &mut Duration| match value {
            Some(0) => Err(invalid(key, "must be at least 1")),
            Some(secs) => {
                *into = Duration::from_secs(secs);
                Ok(())
            }
            None => Ok(()),
        };
        seconds(
            "head_timeout_seconds",
            self.head_timeout_seconds,
            &mut limits.head_timeout,
        )?;
        seconds(
            "body_timeout_seconds",
            self.body_timeout_seconds,
            &mut limits.body_timeout,
        )?;
        seconds(
            "warn_interval_seconds",
            self.warn_interval_seconds,
            &mut limits.warn_interval,
        )?;
        let count = |key: &'static str, value: Option<usize>, into: &mut usize| match value {
            Some(0) => Err(invalid(key, "must be at least 1")),
            Some(n) => {
                *into = n;
                Ok(())
            }
            None => Ok(()),
        };
        count(
            "max_connections",
            self.max_connections,
            &mut limits.max_connections,
        )?;
        count(
            "max_connections_per_ip",
            self.max_connections_per_ip,
            &mut limits.max_connections_per_ip,
        )?;
        count(
            "max_body_bytes",
            self.max_body_bytes,
            &mut limits.max_body_bytes,
        )?;
        count("max_batch", self.max_batch, &mut limits.max_batch)?;
        count(
            "max_streams_per_desktop",
            self.max_streams_per_desktop,
            &mut limits.max_streams_per_desktop,
        )?;
        count(
            "quarantine_per_shop",
            self.quarantine_per_shop,
            &mut limits.quarantine_per_shop,
        )?;
        if let Some(bytes) = self.max_head_bytes {
            if bytes < 8192 {
                // hyper's smallest read buffer; a browser-sized head fits well inside.
                return Err(invalid("max_head_bytes", "must be at least 8192"));
            }
            limits.max_head_bytes = bytes;
        }
        if let Some(n) = self.quarantine_per_ip_per_minute {
            limits.quarantine_per_ip_per_minute = n;
        }
        if let Some(hops) = self.proxy_hops {
            if hops == 0 {
                return Err(invalid(
                    "proxy_hops",
                    "must be at least 1 (or list no trusted_proxies)",
                ));
            }
            config.proxy_hops = hops;
        }
        if let Some(proxies) = self.trusted_proxies {
            config.trusted_proxies = proxies
                .iter()
                .map(|p| {
                    p.parse::<IpAddr>()
                        .map(|ip| ip.to_canonical())
                        .map_err(|_| invalid("trusted_proxies", format!("not an IP: {p:?}")))
                })
                .collect::<Result<_, _>>()?;
        }
        config.public_url = self.public_url;
        if let Some(format) = self.log_format {
            config.log_format = format;
        }
        if let Some(tls) = self.tls {
            match (tls.cert, tls.key) {
                (Some(cert), Some(key)) => config.tls = Some(TlsFiles { cert, key }),
                (None, None) => {}
                _ => return Err(invalid("tls", "needs both cert and key")),
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn file_values_and_defaults() {
        let c = Config::from_toml_and_env(
            r#"
            listen = "0.0.0.0:8443"
            database = "/var/lib/paydesk-relay/relay.db"
            retention_days = 7
            [tls]
            cert = "/etc/relay/cert.pem"
            key = "/etc/relay/key.pem"
            "#,
            no_env,
        )
        .expect("valid");
        assert_eq!(c.listen.port(), 8443);
        assert_eq!(c.retention, chrono::Duration::days(7));
        assert_eq!(c.heartbeat, Duration::from_secs(15));
        assert_eq!(c.tls.expect("tls").key, PathBuf::from("/etc/relay/key.pem"));
    }

    #[test]
    fn environment_overrides_the_file() {
        let env = |name: &str| match name {
            "PAYDESK_RELAY_DATABASE" => Some("/tmp/other.db".to_string()),
            "PAYDESK_RELAY_RETENTION_DAYS" => Some("45".to_string()),
            "PAYDESK_RELAY_TRUSTED_PROXIES" => Some("127.0.0.1, ::1".to_string()),
            _ => None,
        };
        let c = Config::from_toml_and_env("database = \"/a.db\"\nretention_days = 3", env)
            .expect("valid");
        assert_eq!(c.database, PathBuf::from("/tmp/other.db"));
        assert_eq!(c.retention, chrono::Duration::days(45));
        assert_eq!(c.trusted_proxies.len(), 2);
    }

    #[test]
    fn limits_have_defaults_and_take_the_file_and_the_environment() {
        let env =
            |name: &str| (name == "PAYDESK_RELAY_MAX_CONNECTIONS_PER_IP").then(|| "8".to_string());
        let c = Config::from_toml_and_env(
            "database = \"a\"\nbody_timeout_seconds = 3\ntrusted_proxies = [\"::ffff:127.0.0.1\"]",
            env,
        )
        .expect("valid");
        assert_eq!(c.limits.body_timeout, Duration::from_secs(3));
        assert_eq!(c.limits.max_connections_per_ip, 8);
        assert_eq!(c.limits.head_timeout, Limits::default().head_timeout);
        // An IPv4-mapped proxy address is its IPv4 address, as peers are.
        assert_eq!(c.trusted_proxies, vec![IpAddr::from([127, 0, 0, 1])]);
    }

    #[test]
    fn the_documented_example_file_is_valid() {
        let c = Config::from_toml_and_env(include_str!("../deploy/relay.example.toml"), no_env)
            .expect("example parses");
        assert_eq!(c.log_format, LogFormat::Json);
        assert!(c.tls.is_some());
    }

    #[test]
    fn bad_values_are_named() {
        for (text, key) in [
            ("", "database"),
            ("database = \"a\"\nlisten = \"nope\"", "listen"),
            ("database = \"a\"\n[tls]\ncert = \"c\"", "tls"),
            ("database = \"a\"\nretention_days = 0", "retention_days"),
            ("database = \"a\"\nmax_connections = 0", "max_connections"),
            (
                "database = \"a\"\nhead_timeout_seconds = 0",
                "head_timeout_seconds",
            ),
            ("database = \"a\"\nmax_head_bytes = 100", "max_head_bytes"),
            ("database = \"a\"\nproxy_hops = 0", "proxy_hops"),
        ] {
            let err = Config::from_toml_and_env(text, no_env).expect_err(text);
            assert!(err.to_string().contains(key), "{err}");
        }
        assert!(Config::from_toml_and_env("database = \"a\"\nunknown = 1", no_env).is_err());
    }
}
