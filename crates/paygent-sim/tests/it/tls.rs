//! Mutual TLS: the generated kit works with the client; missing or foreign client
//! certificates fail the handshake.

use paygent_client::{Client, ClientConfig, ClientError, ClientIdentity, Endpoint};
use paygent_codec::request::{DifferenceInquiry, PaymentInquiry, PaymentRef};
use paygent_codec::{CommonHeader, Secret};
use paygent_sim::{Pki, TlsConfig};

use crate::harness::{CONNECT_ID, MERCHANT, PASSWORD, TestSim, code_of};

fn config(sim: &TestSim, identity: Option<ClientIdentity>) -> Client {
    let header = CommonHeader::new(MERCHANT, CONNECT_ID, Secret::new(PASSWORD));
    let mut config = ClientConfig::new(Endpoint::Custom(sim.base_url()), header);
    config.identity = identity;
    config.ca_pem = sim.pki.as_ref().map(|p| p.ca_cert_pem.clone().into_bytes());
    config.timeout = std::time::Duration::from_secs(10);
    Client::new(config).expect("client")
}

fn inquiry() -> DifferenceInquiry {
    DifferenceInquiry {
        trading_id: None,
        payment_notice_id: None,
        site_id: None,
    }
}

#[tokio::test]
async fn client_without_or_with_a_foreign_certificate_is_refused() {
    let sim = TestSim::tls().await;
    sim.client()
        .send(&inquiry())
        .await
        .expect("own certificate works");
    let err = config(&sim, None)
        .send(&inquiry())
        .await
        .expect_err("no certificate");
    assert!(!matches!(err, ClientError::Gateway(_)), "{err:?}");
    let other = Pki::generate("someone-else").expect("pki");
    let pem = format!("{}{}", other.client_cert_pem, other.client_key_pem).into_bytes();
    let err = config(
        &sim,
        Some(ClientIdentity::Pem {
            pem,
            passphrase: None,
        }),
    )
    .send(&inquiry())
    .await
    .expect_err("foreign");
    assert!(!matches!(err, ClientError::Gateway(_)), "{err:?}");
    let events = sim.events().await;
    assert_eq!(
        events.iter().filter(|e| e["type"] == "telegram").count(),
        1,
        "refused handshakes never reach the gateway"
    );
    sim.stop().await;
}

#[tokio::test]
async fn wrong_credentials_over_tls_are_p002() {
    let sim = TestSim::tls().await;
    let client = sim.client_with(MERCHANT, "wrong", std::time::Duration::from_secs(10));
    let err = client
        .send(&PaymentInquiry {
            target: PaymentRef::by_payment_id("1"),
            payment_type: None,
        })
        .await
        .expect_err("P002");
    assert_eq!(code_of(&err), "P002");
    sim.stop().await;
}

#[tokio::test]
async fn the_tls_dir_kit_works_with_encrypted_pem_and_pkcs12() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (config, passphrase) = TlsConfig::load_or_generate(dir.path()).expect("generate");
    let passphrase = passphrase.expect("generated");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("client.passphrase")).expect("passphrase"),
        passphrase
    );
    let pem = std::fs::read_to_string(dir.path().join("client.pem")).expect("client.pem");
    assert!(pem.contains("BEGIN CERTIFICATE") && pem.contains("BEGIN ENCRYPTED PRIVATE KEY"));
    // Loading again reuses the files.
    let (_, again) = TlsConfig::load_or_generate(dir.path()).expect("load");
    assert!(again.is_none());

    let sim = crate::harness::TestSim::start_with_tls(
        config,
        std::fs::read(dir.path().join("ca.pem")).expect("ca"),
    )
    .await;
    let pem_identity = ClientIdentity::pem_file(
        &dir.path().join("client.pem"),
        Some(Secret::new(passphrase.clone())),
    )
    .expect("pem");
    config_with_ca(&sim, pem_identity)
        .send(&inquiry())
        .await
        .expect("encrypted PEM identity");
    let p12_identity =
        ClientIdentity::pkcs12_file(&dir.path().join("client.p12"), Secret::new(passphrase))
            .expect("p12");
    match config_with_ca(&sim, p12_identity).send(&inquiry()).await {
        Ok(_) => {}
        Err(e) => panic!("PKCS#12 identity: {e:?}"),
    }
    sim.stop().await;
}

fn config_with_ca(sim: &TestSim, identity: ClientIdentity) -> Client {
    let header = CommonHeader::new(MERCHANT, CONNECT_ID, Secret::new(PASSWORD));
    let mut config = ClientConfig::new(Endpoint::Custom(sim.base_url()), header);
    config.identity = Some(identity);
    config.ca_pem = sim.ca_pem.clone();
    config.timeout = std::time::Duration::from_secs(10);
    Client::new(config).expect("client")
}

/// §1.3 and the vectors' README: a shop's kit from Paygent protects the client key with the
/// fixed passphrase `changeit` (the PHP module fails with any other); the simulator's kit
/// can carry it, in the PEM and the PKCS#12 alike.
#[tokio::test]
async fn the_kit_can_carry_paygents_fixed_passphrase() {
    use paygent_sim::tls::PAYGENT_KIT_PASSPHRASE;
    let dir = tempfile::tempdir().expect("tempdir");
    let (config, passphrase) =
        TlsConfig::load_or_generate_with(dir.path(), Some(PAYGENT_KIT_PASSPHRASE))
            .expect("generate");
    assert_eq!(passphrase.as_deref(), Some("changeit"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("client.passphrase")).expect("passphrase"),
        "changeit"
    );
    let sim = crate::harness::TestSim::start_with_tls(
        config,
        std::fs::read(dir.path().join("ca.pem")).expect("ca"),
    )
    .await;
    let pem = |pass: &str| {
        ClientIdentity::pem_file(&dir.path().join("client.pem"), Some(Secret::new(pass)))
    };
    config_with_ca(&sim, pem("changeit").expect("pem"))
        .send(&inquiry())
        .await
        .expect("PEM under changeit");
    let p12 = ClientIdentity::pkcs12_file(&dir.path().join("client.p12"), Secret::new("changeit"))
        .expect("p12");
    config_with_ca(&sim, p12)
        .send(&inquiry())
        .await
        .expect("PKCS#12 under changeit");
    // Another passphrase does not open the key.
    let header = CommonHeader::new(MERCHANT, CONNECT_ID, Secret::new(PASSWORD));
    let mut wrong = ClientConfig::new(Endpoint::Custom(sim.base_url()), header);
    wrong.identity = Some(pem("secret").expect("pem"));
    wrong.ca_pem = sim.ca_pem.clone();
    wrong.timeout = std::time::Duration::from_secs(10);
    let refused = match Client::new(wrong) {
        Err(_) => true,
        Ok(client) => client.send(&inquiry()).await.is_err(),
    };
    assert!(refused, "a wrong passphrase opened the key");
    // An empty passphrase is refused rather than writing an unprotected-looking kit.
    let empty = tempfile::tempdir().expect("tempdir");
    assert!(TlsConfig::load_or_generate_with(empty.path(), Some("")).is_err());
    sim.stop().await;
}
