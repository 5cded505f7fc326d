//! Mutual TLS: certificate generation (a CA, a server certificate and a client
//! certificate, as Paygent's merchant kit has) and the rustls server configuration that
//! requires a client certificate signed by the CA.
//!
//! Files written by [`Pki::write_dir`] (and read back by [`TlsConfig::load_or_generate`]):
//! `ca.pem`, `server.pem`, `server.key`, `client.crt`, `client.key` (PKCS#8 encrypted with
//! the passphrase, PBKDF2-SHA256 + AES-256-CBC), `client.pem` (certificate + encrypted key,
//! the PHP module's format), `client.p12` (PKCS#12 with the same passphrase, the Java
//! module's format) and `client.passphrase`.

use std::path::Path;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;

/// Errors of certificate handling; never include key material.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Generating a certificate failed.
    #[error("certificate generation failed: {0}")]
    Generate(String),
    /// A PEM file could not be read.
    #[error("cannot read {0}")]
    Read(String),
    /// The rustls configuration was rejected.
    #[error("TLS configuration rejected: {0}")]
    Config(String),
    /// Writing the files failed.
    #[error("cannot write {0}")]
    Write(String),
}

/// A generated certificate set.
pub struct Pki {
    /// The CA certificate (PEM).
    pub ca_cert_pem: String,
    /// The server certificate (PEM), for `localhost` and `127.0.0.1`.
    pub server_cert_pem: String,
    /// The server key (PKCS#8 PEM, unencrypted: only the simulator reads it).
    pub server_key_pem: String,
    /// The client certificate (PEM).
    pub client_cert_pem: String,
    /// The client key (PKCS#8 PEM, unencrypted; [`Pki::encrypted_client_key_pem`] for
    /// the kit's encrypted form).
    pub client_key_pem: String,
    client_cert_der: Vec<u8>,
    client_key_der: Vec<u8>,
    ca_cert_der: Vec<u8>,
}

impl std::fmt::Debug for Pki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pki").finish_non_exhaustive()
    }
}

fn gen_err(e: impl std::fmt::Display) -> TlsError {
    TlsError::Generate(e.to_string())
}

impl Pki {
    /// Generates a CA, a server certificate and a client certificate whose subject is
    /// `CN=<client_name>`.
    pub fn generate(client_name: &str) -> Result<Pki, TlsError> {
        let ca_key = KeyPair::generate().map_err(gen_err)?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(gen_err)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "paygent-sim test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca_params.self_signed(&ca_key).map_err(gen_err)?;

        let server_key = KeyPair::generate().map_err(gen_err)?;
        let mut server_params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .map_err(gen_err)?;
        server_params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server_cert = server_params
            .signed_by(&server_key, &ca_cert, &ca_key)
            .map_err(gen_err)?;

        let client_key = KeyPair::generate().map_err(gen_err)?;
        let mut client_params = CertificateParams::new(Vec::<String>::new()).map_err(gen_err)?;
        client_params
            .distinguished_name
            .push(DnType::CommonName, client_name);
        client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client_cert = client_params
            .signed_by(&client_key, &ca_cert, &ca_key)
            .map_err(gen_err)?;

        Ok(Pki {
            ca_cert_pem: ca_cert.pem(),
            server_cert_pem: server_cert.pem(),
            server_key_pem: server_key.serialize_pem(),
            client_cert_pem: client_cert.pem(),
            client_key_pem: client_key.serialize_pem(),
            client_cert_der: client_cert.der().to_vec(),
            client_key_der: client_key.serialize_der(),
            ca_cert_der: ca_cert.der().to_vec(),
        })
    }

    /// The server configuration for this set.
    pub fn tls_config(&self) -> Result<TlsConfig, TlsError> {
        TlsConfig::from_pem(
            self.server_cert_pem.as_bytes(),
            self.server_key_pem.as_bytes(),
            self.ca_cert_pem.as_bytes(),
        )
    }

    /// The client key encrypted with `passphrase` (PKCS#8 `ENCRYPTED PRIVATE KEY`).
    pub fn encrypted_client_key_pem(&self, passphrase: &str) -> Result<String, TlsError> {
        use pkcs8::der::pem::LineEnding;
        use rand_core::{OsRng, RngCore};
        let info =
            pkcs8::PrivateKeyInfo::try_from(self.client_key_der.as_slice()).map_err(gen_err)?;
        let mut salt = [0u8; 16];
        let mut iv = [0u8; 16];
        OsRng.fill_bytes(&mut salt);
        OsRng.fill_bytes(&mut iv);
        let params = pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(100_000, &salt, &iv)
            .map_err(gen_err)?;
        let encrypted = info
            .encrypt_with_params(params, passphrase.as_bytes())
            .map_err(gen_err)?;
        encrypted
            .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
            .map(|pem| pem.to_string())
            .map_err(gen_err)
    }

    /// The client certificate, its CA and key as PKCS#12 (PBES2 with PBKDF2-SHA256 and
    /// AES-256, HMAC-SHA256), protected by `passphrase`.
    pub fn client_p12(&self, passphrase: &str) -> Result<Vec<u8>, TlsError> {
        use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
        let key = PrivateKey::from_der(&self.client_key_der).map_err(gen_err)?;
        let certs = [
            Certificate::from_der(&self.client_cert_der).map_err(gen_err)?,
            Certificate::from_der(&self.ca_cert_der).map_err(gen_err)?,
        ];
        let mut store = KeyStore::new();
        store.add_entry(
            "paygent-sim client",
            KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(b"1".to_vec(), key, certs)),
        );
        store.writer(passphrase).write().map_err(gen_err)
    }

    /// Writes the kit into `dir` with a fresh random passphrase (also written, as
    /// `client.passphrase`) and returns the passphrase.
    pub fn write_dir(&self, dir: &Path) -> Result<String, TlsError> {
        self.write_dir_with(dir, None)
    }

    /// Writes the kit into `dir` with the client key (PEM and PKCS#12) protected by
    /// `passphrase`, or by a fresh random one when `None`; returns the passphrase (also
    /// written, as `client.passphrase`). A shop's kit from Paygent carries the fixed
    /// [`PAYGENT_KIT_PASSPHRASE`] (§1.3; the vectors' README).
    pub fn write_dir_with(&self, dir: &Path, passphrase: Option<&str>) -> Result<String, TlsError> {
        let passphrase = passphrase.map_or_else(random_passphrase, str::to_owned);
        if passphrase.is_empty() {
            return Err(TlsError::Config(
                "the client key passphrase is empty".into(),
            ));
        }
        let encrypted_key = self.encrypted_client_key_pem(&passphrase)?;
        let p12 = self.client_p12(&passphrase)?;
        let client_pem = format!("{}{}", self.client_cert_pem, encrypted_key);
        std::fs::create_dir_all(dir).map_err(|_| TlsError::Write(dir.display().to_string()))?;
        let files: [(&str, &[u8]); 8] = [
            ("ca.pem", self.ca_cert_pem.as_bytes()),
            ("server.pem", self.server_cert_pem.as_bytes()),
            ("server.key", self.server_key_pem.as_bytes()),
            ("client.crt", self.client_cert_pem.as_bytes()),
            ("client.key", encrypted_key.as_bytes()),
            ("client.pem", client_pem.as_bytes()),
            ("client.p12", &p12),
            ("client.passphrase", passphrase.as_bytes()),
        ];
        for (name, bytes) in files {
            let path = dir.join(name);
            std::fs::write(&path, bytes)
                .map_err(|_| TlsError::Write(path.display().to_string()))?;
            restrict_if_secret(&path, name)?;
        }
        Ok(passphrase)
    }
}

/// Keys and the passphrase are readable by the owner only (Unix).
fn restrict_if_secret(path: &Path, name: &str) -> Result<(), TlsError> {
    let secret = matches!(
        name,
        "server.key" | "client.key" | "client.pem" | "client.p12" | "client.passphrase"
    );
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|_| TlsError::Write(path.display().to_string()))?;
    }
    #[cfg(not(unix))]
    let _ = (path, secret);
    Ok(())
}

/// The passphrase of the client key in the certificate kits Paygent issues to shops: the
/// official modules hard-code it (§1.3: PHP `CURLOPT_SSLKEYPASSWD`, Java
/// `KEYSTORE_PASSWORD`), and the captured vectors show the PHP module failing with any
/// other.
pub const PAYGENT_KIT_PASSPHRASE: &str = "changeit";

fn random_passphrase() -> String {
    use rand_core::{OsRng, RngCore};
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// The server side of mutual TLS.
#[derive(Clone)]
pub struct TlsConfig {
    /// The rustls configuration (client certificate required).
    pub server_config: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsConfig")
    }
}

impl TlsConfig {
    /// Builds the configuration from PEM: the server chain, its key and the CA that client
    /// certificates must chain to.
    pub fn from_pem(
        server_cert_pem: &[u8],
        server_key_pem: &[u8],
        client_ca_pem: &[u8],
    ) -> Result<TlsConfig, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(server_cert_pem)
            .collect::<Result<_, _>>()
            .map_err(|_| TlsError::Read("server certificate".into()))?;
        let key = PrivateKeyDer::from_pem_slice(server_key_pem)
            .map_err(|_| TlsError::Read("server key".into()))?;
        let mut roots = rustls::RootCertStore::empty();
        for ca in CertificateDer::pem_slice_iter(client_ca_pem) {
            let ca = ca.map_err(|_| TlsError::Read("CA certificate".into()))?;
            roots.add(ca).map_err(|e| TlsError::Config(e.to_string()))?;
        }
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| TlsError::Config(e.to_string()))?;
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?
            .with_client_cert_verifier(verifier)
            .with_single_cert(certs, key)
            .map_err(|e| TlsError::Config(e.to_string()))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec(), b"http/1.0".to_vec()];
        Ok(TlsConfig {
            server_config: Arc::new(config),
        })
    }

    /// Loads `server.pem`, `server.key` and `ca.pem` from `dir`, generating the whole
    /// kit there first when they are absent. Returns the configuration and, when it
    /// generated the kit, the passphrase.
    pub fn load_or_generate(dir: &Path) -> Result<(TlsConfig, Option<String>), TlsError> {
        TlsConfig::load_or_generate_with(dir, None)
    }

    /// [`TlsConfig::load_or_generate`], generating the client key under `passphrase`
    /// (e.g. [`PAYGENT_KIT_PASSPHRASE`], as in a shop's kit) instead of a random one.
    pub fn load_or_generate_with(
        dir: &Path,
        passphrase: Option<&str>,
    ) -> Result<(TlsConfig, Option<String>), TlsError> {
        let read =
            |name: &str| std::fs::read(dir.join(name)).map_err(|_| TlsError::Read(name.to_owned()));
        if dir.join("server.pem").exists()
            && dir.join("server.key").exists()
            && dir.join("ca.pem").exists()
        {
            let config =
                TlsConfig::from_pem(&read("server.pem")?, &read("server.key")?, &read("ca.pem")?)?;
            return Ok((config, None));
        }
        let pki = Pki::generate("paygent-sim-merchant")?;
        let passphrase = pki.write_dir_with(dir, passphrase)?;
        Ok((pki.tls_config()?, Some(passphrase)))
    }
}
