//! Settings: secrets only in the keychain, the connection test, and leak scans.

use api::dto::{ConnectionOutcomeCode, CredentialsInput};

use crate::harness::{Harness, Options, SENTINEL_HASH_KEY, SENTINEL_PASSWORD, dto_log, keep, logs};

const WRONG_PASSWORD: &str = "SENTINEL-wrong-pw-0d41b";

#[tokio::test]
async fn connection_test_explains_a_wrong_password() {
    let h = Harness::start(
        "connection_test",
        Options {
            relay: true,
            run_sync: false,
        },
    )
    .await;
    let ok = h.desk.test_connection().await.unwrap();
    keep(&ok);
    assert_eq!(ok.outcome, ConnectionOutcomeCode::Ok, "{:?}", ok.message);
    assert!(ok.relay.as_ref().is_some_and(|r| r.ok));

    h.desk
        .save_credentials(CredentialsInput {
            connect_password: Some(WRONG_PASSWORD.into()),
            ..CredentialsInput::default()
        })
        .await
        .unwrap();
    let wrong = h.desk.test_connection().await.unwrap();
    keep(&wrong);
    assert_eq!(wrong.outcome, ConnectionOutcomeCode::WrongCredentials);
    assert_eq!(wrong.code.as_deref(), Some("P002"));
    assert!(wrong.message.ja.contains("接続ID"));

    let settings = h.desk.get_settings().await.unwrap();
    keep(&settings);
    assert!(settings.secrets.connect_password);
    assert!(settings.secrets.client_certificate);
    assert!(settings.complete);
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn no_secret_in_database_logs_or_dtos() {
    let h = Harness::start(
        "sentinel_scan",
        Options {
            relay: true,
            run_sync: false,
        },
    )
    .await;
    let payment = h
        .card_checkout("ORDER_S1", 900, "authorize_only", false)
        .await;
    h.tick().await;
    h.sync().await;
    h.order_of(&payment).await.unwrap();
    h.desk
        .save_credentials(CredentialsInput {
            connect_password: Some(WRONG_PASSWORD.into()),
            ..CredentialsInput::default()
        })
        .await
        .unwrap();
    keep(&h.desk.test_connection().await.unwrap());
    keep(&h.desk.get_settings().await.unwrap());
    let passphrase = h
        .embedded
        .credentials()
        .client_certificate_passphrase
        .unwrap();
    let token = h.embedded.credentials().relay_token.unwrap();
    let sentinels = [
        SENTINEL_PASSWORD,
        SENTINEL_HASH_KEY,
        WRONG_PASSWORD,
        passphrase.as_str(),
        token.as_str(),
    ];
    let mut files = Vec::new();
    for entry in std::fs::read_dir(h.data_dir()).unwrap() {
        let path = entry.unwrap().path();
        files.push((path.display().to_string(), std::fs::read(&path).unwrap()));
    }
    assert!(files.iter().any(|(p, _)| p.ends_with("paydesk.sqlite3")));
    for (path, bytes) in &files {
        for s in sentinels {
            assert!(!contains(bytes, s), "a secret is in {path}");
        }
    }
    let logs = logs().lock().unwrap().clone();
    assert!(!logs.is_empty());
    let events: Vec<String> = h
        .events
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    let dtos = dto_log().lock().unwrap().join("\n") + &events.join("\n");
    for s in sentinels {
        assert!(!contains(&logs, s), "a secret is in the logs");
        assert!(!dtos.contains(s), "a secret is in a DTO");
    }
}
