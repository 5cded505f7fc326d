//! Test servers: a one-shot HTTPS server that requires a client certificate (rustls,
//! certificates from rcgen), and a plain-HTTP one. Each records the raw request.

use std::sync::Arc;

use pkcs8::der::pem::LineEnding;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig, crypto};

/// The host name the TLS tests connect to: the loopback address, or on Windows `localhost`
/// (Wine's SChannel matches a server certificate by DNS name only, never by IP address).
pub const HOST: &str = if cfg!(windows) {
    "localhost"
} else {
    "127.0.0.1"
};

/// A CA, a server certificate for 127.0.0.1 and a client certificate, all made now.
pub struct Pki {
    pub ca_pem: String,
    /// What the client trusts for the server: the CA, or on Windows the server's own
    /// certificate (see [`Pki::new`]).
    pub server_trust_pem: String,
    ca_der: CertificateDer<'static>,
    server_der: CertificateDer<'static>,
    server_key_der: Vec<u8>,
    pub client_cert_pem: String,
    pub client_key_pkcs8_der: Vec<u8>,
}

/// An RSA key for the client certificates of these tests (ring signs with RSA but cannot
/// make RSA keys). Paygent's kits hold RSA keys, and Windows imports RSA and EC keys by
/// different paths, so the tests use both.
const CLIENT_RSA_KEY: &str = include_str!("test-client-rsa.pem");

impl Pki {
    /// A set whose client key is RSA, as Paygent's.
    pub fn new() -> Pki {
        Pki::with_client_key(KeyPair::from_pem(CLIENT_RSA_KEY).unwrap())
    }

    /// A set whose client key is ECDSA P-256.
    pub fn with_ec_client() -> Pki {
        Pki::with_client_key(KeyPair::generate().unwrap())
    }

    fn with_client_key(client_key: KeyPair) -> Pki {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "PayDesk test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();

        let server_key = KeyPair::generate().unwrap();
        // Wine's SChannel matches no IP address, so on Windows the tests connect to
        // `localhost` (see [`HOST`]).
        let server_params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        // Under Wine, SChannel's check of a server chain below a CA fails on revocation
        // (Wine ignores CERT_CHAIN_POLICY_IGNORE_ALL_REV_UNKNOWN_FLAGS, which Windows and
        // native-tls rely on; a root is never checked), so on Windows the server's
        // certificate is its own root: the Windows run then tests the client's identity.
        let (server, server_trust_pem) = if cfg!(windows) {
            let server = server_params.self_signed(&server_key).unwrap();
            let pem = server.pem();
            (server, pem)
        } else {
            (
                server_params.signed_by(&server_key, &ca, &ca_key).unwrap(),
                ca.pem(),
            )
        };

        let mut client_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        client_params
            .distinguished_name
            .push(DnType::CommonName, "test-merchant-00000");
        let client = client_params.signed_by(&client_key, &ca, &ca_key).unwrap();

        Pki {
            ca_pem: ca.pem(),
            server_trust_pem,
            ca_der: ca.der().clone(),
            server_der: server.der().clone(),
            server_key_der: server_key.serialize_der(),
            client_cert_pem: client.pem(),
            client_key_pkcs8_der: client_key.serialize_der(),
        }
    }

    /// The client certificate and its key encrypted with `passphrase` (PKCS#8 PBES2 with
    /// PBKDF2-SHA256 and AES-256-CBC, what `openssl pkcs8 -topk8` writes), in one PEM
    /// file like Paygent's kit.
    pub fn client_pem_encrypted(&self, passphrase: &str) -> Vec<u8> {
        use rand_core::RngCore;
        let info = pkcs8::PrivateKeyInfo::try_from(self.client_key_pkcs8_der.as_slice()).unwrap();
        let mut salt = [0u8; 16];
        let mut iv = [0u8; 16];
        rand_core::OsRng.fill_bytes(&mut salt);
        rand_core::OsRng.fill_bytes(&mut iv);
        let params =
            pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(2048, &salt, &iv).unwrap();
        let encrypted = info
            .encrypt_with_params(params, passphrase.as_bytes())
            .unwrap();
        let key_pem = encrypted
            .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
            .unwrap();
        format!("{}{}", self.client_cert_pem, key_pem.as_str()).into_bytes()
    }

    /// The client certificate and its unencrypted PKCS#8 key.
    pub fn client_pem_plain(&self) -> Vec<u8> {
        let key = pkcs8::der::pem::encode_string(
            "PRIVATE KEY",
            LineEnding::LF,
            &self.client_key_pkcs8_der,
        )
        .unwrap();
        format!("{}{key}", self.client_cert_pem).into_bytes()
    }

    /// The client certificate and its RSA key as PKCS#1 (`RSA PRIVATE KEY`, what
    /// `openssl genrsa` and OpenSSL 1.x's `openssl pkcs12 -nodes` write).
    pub fn client_pem_pkcs1(&self) -> Vec<u8> {
        let info = pkcs8::PrivateKeyInfo::try_from(self.client_key_pkcs8_der.as_slice()).unwrap();
        let key =
            pkcs8::der::pem::encode_string("RSA PRIVATE KEY", LineEnding::LF, info.private_key)
                .unwrap();
        format!("{key}{}", self.client_cert_pem).into_bytes()
    }

    /// The CA certificate first, then the encrypted key, then the client certificate.
    pub fn client_pem_ca_first(&self, passphrase: &str) -> Vec<u8> {
        let mut pem = self.ca_pem.clone().into_bytes();
        let client = String::from_utf8(self.client_pem_encrypted(passphrase)).unwrap();
        let (cert, key) = client.split_at(client.find("-----BEGIN ENCRYPTED").unwrap());
        pem.extend_from_slice(key.as_bytes());
        pem.extend_from_slice(cert.as_bytes());
        pem
    }

    /// The client certificate, its key and the CA as PKCS#12, encrypted with `algorithm`.
    pub fn client_p12(
        &self,
        passphrase: &str,
        algorithm: p12_keystore::EncryptionAlgorithm,
        mac: p12_keystore::MacAlgorithm,
    ) -> Vec<u8> {
        use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
        let client_der = rustls_pemfile_cert(&self.client_cert_pem);
        let certs = [
            Certificate::from_der(&client_der).unwrap(),
            Certificate::from_der(&self.ca_der).unwrap(),
        ];
        let key = PrivateKey::from_der(&self.client_key_pkcs8_der).unwrap();
        let mut store = KeyStore::new();
        store.add_entry(
            "merchant",
            KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(b"1".to_vec(), key, certs)),
        );
        store
            .writer(passphrase)
            .encryption_algorithm(algorithm)
            .mac_algorithm(mac)
            .write()
            .unwrap()
    }

    fn acceptor(&self) -> TlsAcceptor {
        let provider = Arc::new(crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        roots.add(self.ca_der.clone()).unwrap();
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .unwrap();
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(
                vec![self.server_der.clone()],
                PrivateKeyDer::Pkcs8(self.server_key_der.clone().into()),
            )
            .unwrap();
        TlsAcceptor::from(Arc::new(config))
    }
}

fn rustls_pemfile_cert(pem: &str) -> Vec<u8> {
    pkcs8::der::pem::decode_vec(pem.as_bytes()).unwrap().1
}

/// What the server saw.
#[derive(Debug)]
pub struct Seen {
    /// Request line and headers, as text.
    pub head: String,
    /// Body bytes.
    pub body: Vec<u8>,
    /// Whether the client presented a certificate (TLS only).
    pub client_certificate: bool,
}

/// The HTTP answer the server gives.
pub fn http_answer(status: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.0 {status}\r\nContent-Type: text/plain; charset=Windows-31J\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .unwrap_or(0);
            while buf.len() < end + 4 + length {
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some((head, buf[end + 4..end + 4 + length].to_vec()));
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn answer<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    response: &[u8],
) -> Option<(String, Vec<u8>)> {
    let request = read_request(stream).await?;
    stream.write_all(response).await.ok()?;
    stream.shutdown().await.ok()?;
    Some(request)
}

/// Serves one HTTPS connection that must present a client certificate. Returns the base
/// URL and a receiver for what was seen (`None` if the handshake failed).
pub async fn https_once(pki: &Pki, response: Vec<u8>) -> (String, oneshot::Receiver<Option<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://{HOST}:{}", listener.local_addr().unwrap().port());
    let acceptor = pki.acceptor();
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let seen = match acceptor.accept(tcp).await {
            Ok(mut tls) => {
                let client_certificate = tls.get_ref().1.peer_certificates().is_some();
                answer(&mut tls, &response).await.map(|(head, body)| Seen {
                    head,
                    body,
                    client_certificate,
                })
            }
            Err(_) => None,
        };
        let _ = tx.send(seen);
    });
    (base, rx)
}

/// Serves one plain-HTTP connection.
pub async fn http_once(response: Vec<u8>) -> (String, oneshot::Receiver<Option<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let seen = answer(&mut tcp, &response).await.map(|(head, body)| Seen {
            head,
            body,
            client_certificate: false,
        });
        let _ = tx.send(seen);
    });
    (base, rx)
}

/// Accepts one connection, reads the request, and never answers until dropped.
pub async fn http_silent() -> (String, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let _ = read_request(&mut tcp).await;
        let _ = stop_rx.await;
    });
    (base, stop_tx)
}
