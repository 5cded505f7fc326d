//! Mutual TLS against a local rustls server: the client presents its certificate
//! (PEM with an encrypted key), trusts the given CA, and the body arrives byte-exact.

use std::io::Write;
use std::sync::{Arc, Mutex};

use paygent_client::{Client, ClientConfig, ClientError, ClientIdentity, Endpoint};
use paygent_codec::request::{CardCapture, PaymentRef};
use paygent_codec::{
    CommonHeader, ResponseWriter, ResultStatus, Secret, TelegramKind, encode_request,
};

use crate::server::{Pki, http_answer, https_once};

const SENTINEL_PASSWORD: &str = "SENTINEL-connect-pw-7Q";
const SENTINEL_PASSPHRASE: &str = "SENTINEL-key-pass-9Z";

fn credentials() -> CommonHeader {
    CommonHeader::new("00000", "test_connect", Secret::new(SENTINEL_PASSWORD))
}

fn config(base: &str, pki: &Pki, identity: Option<ClientIdentity>) -> ClientConfig {
    let mut config = ClientConfig::new(Endpoint::Custom(base.to_owned()), credentials());
    config.ca_pem = Some(pki.server_trust_pem.clone().into_bytes());
    config.identity = identity;
    config
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn capture_over_mutual_tls_sends_the_exact_body_and_the_client_certificate() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let pki = Pki::new();
    let answer = ResponseWriter::new(TelegramKind::CardCapture, ResultStatus::Success)
        .item("payment_id", "1000000000000005")
        .item("trading_id", "T022")
        .encode()
        .unwrap();
    let (base, seen) = https_once(&pki, http_answer("200 OK", &answer)).await;
    let identity = ClientIdentity::Pem {
        pem: pki.client_pem_encrypted(SENTINEL_PASSPHRASE),
        passphrase: Some(Secret::new(SENTINEL_PASSPHRASE)),
    };
    let config = config(&base, &pki, Some(identity));
    let config_debug = format!("{config:?}");
    let client = Client::new(config).unwrap();
    let request =
        CardCapture::new(PaymentRef::by_payment_id("1000000000000005").with_trading_id("T022"));

    let done = client.send(&request).await.unwrap();
    assert_eq!(done.payment_id, "1000000000000005");

    let seen = seen.await.unwrap().expect("handshake and request");
    assert!(seen.client_certificate, "client presented its certificate");
    let expected = encode_request(&credentials(), &request).unwrap();
    assert_eq!(seen.body, expected.body, "body byte-exact");
    assert!(
        seen.head.starts_with("POST /n/card/request HTTP/1.0\r\n"),
        "{}",
        seen.head
    );
    let head = seen.head.to_ascii_lowercase();
    assert!(head.contains("\r\ncontent-type: application/x-www-form-urlencoded"));
    assert!(head.contains("\r\naccept: */*"));
    assert!(head.contains(&format!("\r\ncontent-length: {}", expected.body.len())));

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    // Callsite interest is cached process-wide while other tests run, so only assert
    // that some line of this crate was captured.
    assert!(logs.contains("telegram"), "logging is on: {logs}");
    for text in [logs.as_str(), &config_debug, &format!("{client:?}")] {
        assert!(!text.contains(SENTINEL_PASSWORD));
        assert!(!text.contains(SENTINEL_PASSPHRASE));
    }
}

/// One exchange with `identity` against a server that requires a client certificate
/// signed by `pki`'s CA.
async fn exchange(pki: &Pki, identity: ClientIdentity) -> Result<(), String> {
    let answer = ResponseWriter::new(TelegramKind::CardCapture, ResultStatus::Success)
        .item("payment_id", "1")
        .encode()
        .unwrap();
    let (base, seen) = https_once(pki, http_answer("200 OK", &answer)).await;
    let client = Client::new(config(&base, pki, Some(identity))).map_err(|e| e.to_string())?;
    let sent = client
        .send(&CardCapture::new(PaymentRef::by_payment_id("1")))
        .await;
    let seen = seen.await.unwrap();
    match (sent, seen) {
        (Ok(_), Some(seen)) if seen.client_certificate => Ok(()),
        (sent, seen) => Err(format!("{sent:?}, server saw {seen:?}")),
    }
}

/// The kit formats a shop can have from Paygent or make from its kit with the usual
/// tools, each in one real mutual-TLS exchange: PEM with the key encrypted, plain, as
/// PKCS#1 and with the CA listed first, and PKCS#12 with the modern and both legacy
/// ciphers. Windows runs this test too (SChannel, under Wine in `cargo xtask cross`).
#[tokio::test]
async fn every_kit_format_completes_mutual_tls() {
    use p12_keystore::{EncryptionAlgorithm as Enc, MacAlgorithm as Mac};
    let pki = Pki::new();
    let pass = || Some(Secret::new("changeit"));
    let pkcs12 = |enc, mac| ClientIdentity::Pkcs12 {
        der: pki.client_p12("changeit", enc, mac),
        passphrase: Secret::new("changeit"),
    };
    let kits = [
        (
            "PEM, encrypted PKCS#8 key",
            ClientIdentity::Pem {
                pem: pki.client_pem_encrypted("changeit"),
                passphrase: pass(),
            },
        ),
        (
            "PEM, plain PKCS#8 key",
            ClientIdentity::Pem {
                pem: pki.client_pem_plain(),
                passphrase: None,
            },
        ),
        (
            "PEM, PKCS#1 key first",
            ClientIdentity::Pem {
                pem: pki.client_pem_pkcs1(),
                passphrase: None,
            },
        ),
        (
            "PEM, CA certificate first",
            ClientIdentity::Pem {
                pem: pki.client_pem_ca_first("changeit"),
                passphrase: pass(),
            },
        ),
        (
            "PKCS#12, AES-256 and HMAC-SHA256",
            pkcs12(Enc::PbeWithHmacSha256AndAes256, Mac::HmacSha256),
        ),
        (
            "PKCS#12, 3DES and HMAC-SHA1",
            pkcs12(Enc::PbeWithShaAnd3KeyTripleDesCbc, Mac::HmacSha1),
        ),
        (
            "PKCS#12, RC2-40 and HMAC-SHA1",
            pkcs12(Enc::PbeWithShaAnd40BitRc4Cbc, Mac::HmacSha1),
        ),
    ];
    let mut failed = Vec::new();
    for (name, identity) in kits {
        if let Err(e) = exchange(&pki, identity).await {
            failed.push(format!("{name}: {e}"));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}

/// An ECDSA client key, as PEM and as PKCS#12 (Windows imports EC keys another way than
/// RSA). Wine 8's PFXImportCertStore imports no EC key (real Windows imports it into CNG):
/// under Wine (`PAYDESK_UNDER_WINE`, set by `cargo xtask cross`) the kit must be refused
/// as a plain settings error instead.
#[tokio::test]
async fn an_ec_key_kit_completes_mutual_tls() {
    let pki = Pki::with_ec_client();
    if std::env::var_os("PAYDESK_UNDER_WINE").is_some() {
        let pem = ClientIdentity::Pem {
            pem: pki.client_pem_encrypted("changeit"),
            passphrase: Some(Secret::new("changeit")),
        };
        let err = Client::new(config("https://127.0.0.1:1", &pki, Some(pem))).unwrap_err();
        assert!(matches!(err, ClientError::Config(_)), "{err:?}");
        return;
    }
    let pem = ClientIdentity::Pem {
        pem: pki.client_pem_encrypted("changeit"),
        passphrase: Some(Secret::new("changeit")),
    };
    exchange(&pki, pem).await.expect("PEM");
    let p12 = ClientIdentity::Pkcs12 {
        der: pki.client_p12(
            "changeit",
            p12_keystore::EncryptionAlgorithm::PbeWithHmacSha256AndAes256,
            p12_keystore::MacAlgorithm::HmacSha256,
        ),
        passphrase: Secret::new("changeit"),
    };
    exchange(&pki, p12).await.expect("PKCS#12");
}

#[tokio::test]
async fn without_a_client_certificate_the_exchange_fails_as_tls_or_lost() {
    let pki = Pki::new();
    let (base, seen) = https_once(&pki, http_answer("200 OK", b"result=0\r\n")).await;
    let client = Client::new(config(&base, &pki, None)).unwrap();
    let err = client
        .send(&CardCapture::new(PaymentRef::by_payment_id("1")))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::Tls(_) | ClientError::ConnectionLost(_)),
        "{err:?}"
    );
    assert!(
        seen.await.unwrap().is_none(),
        "server refused the handshake"
    );
    assert!(!format!("{err} {err:?}").contains(SENTINEL_PASSWORD));
}

#[tokio::test]
async fn an_untrusted_server_certificate_is_a_tls_error() {
    let pki = Pki::new();
    let other = Pki::new();
    let (base, _seen) = https_once(&pki, http_answer("200 OK", b"result=0\r\n")).await;
    let identity = ClientIdentity::Pem {
        pem: other.client_pem_encrypted("x"),
        passphrase: Some(Secret::new("x")),
    };
    // Trusts `other`'s CA only.
    let client = Client::new(config(&base, &other, Some(identity))).unwrap();
    let err = client
        .send(&CardCapture::new(PaymentRef::by_payment_id("1")))
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Tls(_)), "{err:?}");
    assert!(!err.safe_to_resend() || matches!(err, ClientError::Tls(_)));
}

#[test]
fn a_wrong_key_passphrase_is_a_settings_error_without_the_passphrase() {
    let pki = Pki::new();
    let identity = ClientIdentity::Pem {
        pem: pki.client_pem_encrypted("changeit"),
        passphrase: Some(Secret::new(SENTINEL_PASSPHRASE)),
    };
    let err = Client::new(config("https://127.0.0.1:1", &pki, Some(identity))).unwrap_err();
    assert!(matches!(err, ClientError::Config(_)), "{err:?}");
    assert!(!format!("{err} {err:?}").contains(SENTINEL_PASSPHRASE));
}

#[test]
fn legacy_and_missing_keys_are_explained() {
    let pki = Pki::new();
    let legacy = format!(
        "{}-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END RSA PRIVATE KEY-----\n",
        pki.client_cert_pem
    );
    let err = Client::new(config(
        "https://127.0.0.1:1",
        &pki,
        Some(ClientIdentity::Pem {
            pem: legacy.into_bytes(),
            passphrase: Some(Secret::new("changeit")),
        }),
    ))
    .unwrap_err();
    assert!(err.to_string().contains("openssl pkcs8 -topk8"), "{err}");
    let err = Client::new(config(
        "https://127.0.0.1:1",
        &pki,
        Some(ClientIdentity::Pem {
            pem: pki.client_cert_pem.clone().into_bytes(),
            passphrase: None,
        }),
    ))
    .unwrap_err();
    assert!(err.to_string().contains("no private key"), "{err}");
    let err = Client::new(config(
        "https://127.0.0.1:1",
        &pki,
        Some(ClientIdentity::Pkcs12 {
            der: b"not a pfx".to_vec(),
            passphrase: Secret::new(SENTINEL_PASSPHRASE),
        }),
    ))
    .unwrap_err();
    assert!(matches!(err, ClientError::Config(_)));
    assert!(!format!("{err:?}").contains(SENTINEL_PASSPHRASE));
}
