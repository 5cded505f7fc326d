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

/// Issue 15, point 5: the connection test tests what is on screen. The saved settings
/// work; an unsaved sandbox choice, an unsaved wrong URL and an unsaved wrong password
/// each fail and say which values were tested, and none of them is saved or logged.
#[tokio::test]
async fn issue15_the_connection_test_uses_the_unsaved_values_on_screen() {
    use api::dto::{ConnectionTestInput, EnvironmentCode, SettingsInput};
    const TYPED_PASSWORD: &str = "SENTINEL-typed-not-saved-7c2e";
    let h = Harness::quiet("connection_test_form").await;
    let saved = h.desk.get_settings().await.unwrap();
    let ok = h.desk.test_connection().await.unwrap();
    assert!(ok.ok, "{:?}", ok.message);

    // The sandbox chosen on screen, not saved: the sandbox is what is tested.
    let sandbox = h
        .desk
        .test_connection_with(ConnectionTestInput {
            settings: SettingsInput {
                environment: Some(EnvironmentCode::Sandbox),
                ..SettingsInput::default()
            },
            ..ConnectionTestInput::default()
        })
        .await
        .unwrap();
    keep(&sandbox);
    assert!(!sandbox.ok, "{sandbox:?}");
    assert!(
        sandbox
            .tested
            .iter()
            .any(|t| t.value.en.contains("https://sandbox.paygent.co.jp")),
        "{:?}",
        sandbox.tested
    );

    // A wrong URL typed, not saved: nobody listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let wrong_url = h
        .desk
        .test_connection_with(ConnectionTestInput {
            settings: SettingsInput {
                environment: Some(EnvironmentCode::Simulator),
                custom_base_url: Some(url.clone()),
                ..SettingsInput::default()
            },
            ..ConnectionTestInput::default()
        })
        .await
        .unwrap();
    keep(&wrong_url);
    assert!(!wrong_url.ok, "{wrong_url:?}");
    assert_eq!(wrong_url.outcome, ConnectionOutcomeCode::GatewayDown);
    assert!(wrong_url.tested.iter().any(|t| t.value.en.contains(&url)));

    // A wrong password typed, not saved: refused, and said to be the screen's input.
    let typed = h
        .desk
        .test_connection_with(ConnectionTestInput {
            credentials: CredentialsInput {
                connect_password: Some(TYPED_PASSWORD.into()),
                ..CredentialsInput::default()
            },
            ..ConnectionTestInput::default()
        })
        .await
        .unwrap();
    keep(&typed);
    assert_eq!(typed.outcome, ConnectionOutcomeCode::WrongCredentials);
    let password = typed
        .tested
        .iter()
        .find(|t| t.label.en == "Connect password")
        .unwrap();
    assert!(password.value.ja.contains("未保存"), "{password:?}");

    // Nothing was saved: the saved settings still work, unchanged.
    let after = h.desk.get_settings().await.unwrap();
    assert_eq!(after.environment, saved.environment);
    assert_eq!(after.custom_base_url, saved.custom_base_url);
    let again = h.desk.test_connection().await.unwrap();
    assert!(again.ok, "{:?}", again.message);
    // The typed password is nowhere: logs, DTOs, files.
    let logs = logs().lock().unwrap().clone();
    assert!(!contains(&logs, TYPED_PASSWORD));
    assert!(
        !dto_log()
            .lock()
            .unwrap()
            .join("\n")
            .contains(TYPED_PASSWORD)
    );
    for entry in std::fs::read_dir(h.data_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            assert!(!contains(&std::fs::read(&path).unwrap(), TYPED_PASSWORD));
        }
    }
}

/// Issue 15, point 5: the SMTP test with every field filled on screen and nothing saved
/// tests those values (it said "not set up yet"), and saves none of them.
#[tokio::test]
async fn issue15_the_smtp_test_uses_the_unsaved_values_on_screen() {
    use api::dto::subscriptions::SmtpSettingsInput;
    use mail::testing::{Mode, TestSmtp};
    const TYPED_PASSWORD: &str = "SENTINEL-smtp-typed-4b1a";
    let h = Harness::quiet("smtp_test_form").await;
    let server = TestSmtp::start(Mode::RequireAuth("shop@example.jp", TYPED_PASSWORD)).await;
    let form = SmtpSettingsInput {
        host: Some("127.0.0.1".into()),
        port: Some(server.addr.port()),
        security: Some("plain".into()),
        username: Some("shop@example.jp".into()),
        password: Some(TYPED_PASSWORD.into()),
        from_address: Some("shop@example.jp".into()),
        from_name: None,
        shop_contact: None,
        summary_to: None,
        mail_language: None,
        reminder_schedule: None,
        summary_schedule: None,
    };
    let result = h.desk.test_smtp(Some(form.clone())).await.unwrap();
    keep(&result);
    assert!(result.ok, "{result:?}");
    let tested = result.tested.unwrap();
    assert!(
        tested
            .ja
            .contains(&format!("127.0.0.1:{}", server.addr.port()))
            && tested.ja.contains("未保存"),
        "{tested:?}"
    );
    // A wrong password typed: refused by the server (the test used it).
    let wrong = h
        .desk
        .test_smtp(Some(SmtpSettingsInput {
            password: Some("not-the-password".into()),
            ..form
        }))
        .await
        .unwrap();
    assert!(!wrong.ok);
    assert_eq!(wrong.error.unwrap().code, "smtp_refused");
    // Nothing was saved.
    let settings = h.desk.smtp_settings().await.unwrap();
    assert!(!settings.complete && !settings.password_set);
    assert!(!contains(&logs().lock().unwrap(), TYPED_PASSWORD));
    assert!(
        !dto_log()
            .lock()
            .unwrap()
            .join("\n")
            .contains(TYPED_PASSWORD)
    );
}
