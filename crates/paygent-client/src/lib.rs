//! Async HTTPS client for Paygent's module-type telegrams.
//!
//! Layout: [`ClientConfig`] (in `config`) says where to connect and with which
//! credentials, client certificate, CA, timeout and proxy; `identity` turns certificate
//! files into a TLS identity; [`Client::send`] encodes a typed request with
//! `paygent-codec`, POSTs it and turns the answer into the telegram's typed response or
//! a [`ClientError`] that says what to do next (resend, reconcile with 094, fix
//! settings, explain a gateway code). The TLS backend is native-tls (SChannel on Windows,
//! Security.framework on macOS, OpenSSL on Linux) because the gateway may require TLS
//! renegotiation, which rustls cannot do; see README.md.
//!
//! Invariants: no secret (connect password, key passphrase, card token) appears in a
//! log line, an error message or a `Debug` output; the request body is never logged;
//! a timeout is never reported as a failure the caller may blindly retry.
//!
//! # Example: capture an authorized card payment (022)
//!
//! ```no_run
//! use std::time::Duration;
//! use paygent_client::{Client, ClientConfig, ClientError, ClientIdentity, Endpoint};
//! use paygent_codec::dictionary::ErrorContext;
//! use paygent_codec::request::{CardCapture, PaymentInquiry, PaymentRef};
//! use paygent_codec::{CommonHeader, Secret};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let credentials = CommonHeader::new("12345", "connect-id", Secret::new("from the keychain"));
//! let mut config = ClientConfig::new(Endpoint::Sandbox, credentials);
//! config.identity = Some(ClientIdentity::pem_file(
//!     "client-cert.pem".as_ref(),
//!     Some(Secret::new("changeit")),
//! )?);
//! config.ca_pem = Some(std::fs::read("curl-ca-bundle.crt")?);
//! config.timeout = Duration::from_secs(35);
//! let client = Client::new(config)?;
//!
//! let capture = CardCapture::new(PaymentRef::by_payment_id("1000000000000001"));
//! match client.send(&capture).await {
//!     Ok(done) => println!("captured payment {}", done.payment_id),
//!     Err(ClientError::Gateway(refused)) => {
//!         let why = refused.explain(ErrorContext::Capture);
//!         println!("{}: {} — {}", why.code, why.en, why.action_en);
//!     }
//!     Err(e) if e.outcome_unknown() => {
//!         // Timed out after sending: ask the gateway what happened before anything else.
//!         let inquiry = PaymentInquiry {
//!             target: PaymentRef::by_payment_id("1000000000000001"),
//!             payment_type: None,
//!         };
//!         let state = client.send(&inquiry).await?;
//!         println!("status is now {:?}", state.payment_status);
//!     }
//!     Err(e) if e.safe_to_resend() => println!("not sent, try again: {e}"),
//!     Err(e) => println!("{}", e.explain(ErrorContext::Capture).en),
//! }
//! # Ok(())
//! # }
//! ```

mod config;
mod error;
mod identity;

use std::error::Error as _;

pub use config::{ClientConfig, ClientIdentity, DEFAULT_TIMEOUT, Endpoint};
pub use error::ClientError;
use paygent_codec::form::FORM_CONTENT_TYPE;
use paygent_codec::response::MAX_RESPONSE_BYTES;
use paygent_codec::{CommonHeader, ResponseError, Telegram, encode_request, parse_response};

/// `User-Agent` PayDesk sends. The PHP module sends `curl_php` and the Java module the
/// JVM default, so the gateway evidently does not depend on it; PayDesk names itself.
pub const USER_AGENT: &str = concat!("PayDesk/", env!("CARGO_PKG_VERSION"));

/// A configured client. Cheap to clone; share one per environment.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    endpoint: Endpoint,
    credentials: CommonHeader,
}

impl Client {
    /// Builds the HTTP client: native-tls, the identity and CA from `config`, HTTP/1.x
    /// only, timeout for connect and for the whole exchange, optional proxy.
    pub fn new(config: ClientConfig) -> Result<Client, ClientError> {
        if let Endpoint::Custom(base) = &config.endpoint {
            check_base_url(base)?;
        }
        let mut builder = reqwest::Client::builder()
            .use_native_tls()
            .http1_only()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .pool_max_idle_per_host(0)
            .user_agent(USER_AGENT);
        if let Some(identity) = &config.identity {
            builder = builder.identity(identity::to_reqwest_identity(identity)?);
        }
        if let Some(ca) = &config.ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(ca).map_err(|_| {
                ClientError::Config("the CA file holds no readable PEM certificate".into())
            })?;
            if certs.is_empty() {
                return Err(ClientError::Config(
                    "the CA file holds no PEM certificate".into(),
                ));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        match &config.proxy {
            Some(url) => {
                let proxy = reqwest::Proxy::all(url)
                    .map_err(|_| ClientError::Config("the proxy URL is not valid".into()))?;
                builder = builder.proxy(proxy);
            }
            None => builder = builder.no_proxy(),
        }
        let http = builder
            .build()
            .map_err(|e| ClientError::Config(format!("the TLS client could not be built: {e}")))?;
        Ok(Client {
            http,
            endpoint: config.endpoint,
            credentials: config.credentials,
        })
    }

    /// Sends one telegram and returns its typed response.
    pub async fn send<T: Telegram>(&self, request: &T) -> Result<T::Response, ClientError> {
        let encoded = encode_request(&self.credentials, request)?;
        let url = format!("{}{}", self.endpoint.base_url(T::KIND), encoded.path);
        tracing::debug!(kind = %T::KIND, path = encoded.path, body_bytes = encoded.body.len(), "sending telegram");
        let mut response = self
            .http
            .post(&url)
            .version(reqwest::Version::HTTP_10)
            .header(reqwest::header::ACCEPT, "*/*")
            .header(reqwest::header::CONTENT_TYPE, FORM_CONTENT_TYPE)
            .body(encoded.body)
            .send()
            .await
            .map_err(classify)?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_RESPONSE_BYTES {
                return Err(ResponseError::TooLarge { len: body.len() }.into());
            }
        }
        tracing::debug!(kind = %T::KIND, status, body_bytes = body.len(), "telegram answered");
        let raw = parse_response(T::KIND, status, &body)?;
        Ok(T::Response::try_from(raw)?)
    }
}

/// Whether a custom base URL may carry the connect password: `https://` to any host, plain
/// `http://` only to this computer (`localhost`, 127.0.0.0/8, `::1`: the simulator's quick
/// mode in the demo and the tests). Refused with [`ClientError::Config`] otherwise.
pub fn check_base_url(url: &str) -> Result<(), ClientError> {
    let refused = || {
        ClientError::Config(
            "the gateway URL must start with https:// (plain http:// only to this computer)".into(),
        )
    };
    let url = reqwest::Url::parse(url.trim()).map_err(|_| refused())?;
    let loopback = |host: &str| {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        match bare.parse::<std::net::IpAddr>() {
            Ok(ip) => ip.is_loopback(),
            Err(_) => host.eq_ignore_ascii_case("localhost"),
        }
    };
    match url.scheme() {
        "https" if url.host_str().is_some() => Ok(()),
        "http" if url.host_str().is_some_and(loopback) => Ok(()),
        _ => Err(refused()),
    }
}

/// Sorts a reqwest error into what the caller must do next.
fn classify(error: reqwest::Error) -> ClientError {
    let tls = tls_cause(&error);
    if error.is_connect() {
        return match tls {
            Some(message) => ClientError::Tls(message),
            None => ClientError::Connect(describe(&error)),
        };
    }
    if error.is_timeout() {
        return ClientError::Timeout;
    }
    match tls {
        Some(message) => ClientError::Tls(message),
        None => ClientError::ConnectionLost(describe(&error)),
    }
}

/// The native-tls error in the source chain, if any.
fn tls_cause(error: &reqwest::Error) -> Option<String> {
    let mut source = error.source();
    while let Some(e) = source {
        if let Some(tls) = e.downcast_ref::<native_tls::Error>() {
            return Some(tls_message(&tls.to_string(), cfg!(target_os = "macos")));
        }
        source = e.source();
    }
    None
}

/// The TLS error as the caller sees it. On macOS it also names renegotiation: Secure
/// Transport allows a server's renegotiation only with its context's session option
/// `kSSLSessionOptionAllowRenegotiation`, which native-tls neither sets nor lets us set,
/// and Paygent's manual says its gateway may ask for the client certificate that way.
fn tls_message(os_message: &str, macos: bool) -> String {
    if macos {
        format!(
            "{os_message} (on macOS the system TLS stack does not allow TLS renegotiation: if the gateway asks for the client certificate by renegotiation, the exchange fails on a Mac; see paygent-client's README)"
        )
    } else {
        os_message.to_owned()
    }
}

/// The innermost message of the chain (reqwest's top level only says "error sending
/// request"). Messages hold URLs and OS errors, never request bodies.
fn describe(error: &reqwest::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        message = e.to_string();
        source = e.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::tls_message;

    #[test]
    fn on_macos_a_tls_failure_names_renegotiation() {
        let mac = tls_message("handshake failure", true);
        assert!(mac.starts_with("handshake failure ("), "{mac}");
        assert!(mac.contains("does not allow TLS renegotiation"), "{mac}");
        assert_eq!(tls_message("handshake failure", false), "handshake failure");
    }
}
