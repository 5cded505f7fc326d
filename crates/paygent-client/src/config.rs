//! Client configuration: endpoint, credentials, TLS identity, CA, timeout, proxy.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use paygent_codec::{CommonHeader, Secret, TelegramKind};

/// Default timeout of the official PHP module (`timeout_value` 35 s, §1.4).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(35);

/// Where telegrams go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `https://sandbox.paygent.co.jp` (試験環境).
    Sandbox,
    /// `https://module.paygent.co.jp` (本番).
    Production,
    /// Any base URL, e.g. the simulator: `https://127.0.0.1:8443` or, in its quick mode,
    /// plain `http://127.0.0.1:8080` (no TLS, no client certificate).
    Custom(String),
}

impl Endpoint {
    /// Base URL (scheme and host, no trailing slash) for a telegram kind. Production
    /// token (098) and file payment (20x) telegrams live on other hosts; PayDesk sends
    /// neither, so every kind it knows goes to the module host.
    pub fn base_url(&self, _kind: TelegramKind) -> &str {
        match self {
            Endpoint::Sandbox => "https://sandbox.paygent.co.jp",
            Endpoint::Production => "https://module.paygent.co.jp",
            Endpoint::Custom(base) => base.trim_end_matches('/'),
        }
    }
}

/// The merchant's client certificate and private key (Paygent issues one per merchant
/// and environment). `Debug` shows only the format and size.
#[derive(Clone)]
pub enum ClientIdentity {
    /// A PEM file holding the certificate (and chain) and the private key, as the PHP
    /// module uses. The key may be unencrypted PKCS#8 (`PRIVATE KEY`) or encrypted
    /// PKCS#8 (`ENCRYPTED PRIVATE KEY`); Paygent's kits use the passphrase `changeit`.
    Pem {
        /// File contents.
        pem: Vec<u8>,
        /// Passphrase of an encrypted key.
        passphrase: Option<Secret>,
    },
    /// A PKCS#12 (`.pfx` / `.p12`) file, as the Java module uses.
    Pkcs12 {
        /// File contents.
        der: Vec<u8>,
        /// Passphrase (Paygent: `changeit`).
        passphrase: Secret,
    },
}

impl ClientIdentity {
    /// Reads a PEM identity file.
    pub fn pem_file(path: &Path, passphrase: Option<Secret>) -> std::io::Result<ClientIdentity> {
        Ok(ClientIdentity::Pem {
            pem: std::fs::read(path)?,
            passphrase,
        })
    }

    /// Reads a PKCS#12 identity file.
    pub fn pkcs12_file(path: &Path, passphrase: Secret) -> std::io::Result<ClientIdentity> {
        Ok(ClientIdentity::Pkcs12 {
            der: std::fs::read(path)?,
            passphrase,
        })
    }
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientIdentity::Pem { pem, passphrase } => f
                .debug_struct("Pem")
                .field("bytes", &pem.len())
                .field("passphrase", passphrase)
                .finish(),
            ClientIdentity::Pkcs12 { der, passphrase } => f
                .debug_struct("Pkcs12")
                .field("bytes", &der.len())
                .field("passphrase", passphrase)
                .finish(),
        }
    }
}

/// Everything [`crate::Client::new`] needs.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Sandbox, production or a custom base URL.
    pub endpoint: Endpoint,
    /// Merchant ID, connect ID and connect password.
    pub credentials: CommonHeader,
    /// Client certificate; required by the real gateway, optional for the simulator.
    pub identity: Option<ClientIdentity>,
    /// Extra trusted CA certificates (PEM), added to the system's roots — the PHP
    /// module's `curl-ca-bundle.crt`, or the simulator's test CA.
    pub ca_pem: Option<Vec<u8>>,
    /// Total time for one telegram, also used as the connect timeout (module default
    /// 35 s). After it expires the outcome is unknown.
    pub timeout: Duration,
    /// HTTP proxy URL (`http://host:port`); HTTPS goes through it with CONNECT.
    pub proxy: Option<String>,
}

impl ClientConfig {
    /// A configuration with no identity, no extra CA, no proxy and the 35 s timeout.
    pub fn new(endpoint: Endpoint, credentials: CommonHeader) -> ClientConfig {
        ClientConfig {
            endpoint,
            credentials,
            identity: None,
            ca_pem: None,
            timeout: DEFAULT_TIMEOUT,
            proxy: None,
        }
    }
}
