//! Issue 15, point 12: the setup guide. A fresh shop opens on it; each step tests the values
//! typed in it with Settings' own checks (connection, relay, SMTP) and saves them through
//! Settings' path (secrets to the keychain) only when the test passed; a failed test keeps
//! the step open and "done" is refused while the saved settings fail their test.

use api::dto::guide::{GuideNotificationsInput, GuideStatusCode, GuideStepStateCode};
use api::dto::subscriptions::SmtpSettingsInput;
use api::dto::{ConnectionTestInput, CredentialsInput, SettingsInput};
use mail::testing::{Mode, TestSmtp};

use crate::harness::{Harness, dto_log, keep, logs};

const WRONG_PASSWORD: &str = "SENTINEL-guide-wrong-pw-3e1d";
const WRONG_TOKEN: &str = "pdr_1_SENTINELguidewrongtoken0a7c33e1d9f2b6";
const SMTP_PASSWORD: &str = "SENTINEL-guide-smtp-pw-88a1";

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// The gateway step's input as the guide's page sends it: the embedded simulator's
/// connection values, without the relay (that is step 2).
fn gateway_input(h: &Harness, password: Option<&str>) -> ConnectionTestInput {
    let mut credentials = h.embedded.credentials();
    credentials.relay_token = None;
    credentials.hash_key = None;
    if let Some(p) = password {
        credentials.connect_password = Some(p.into());
    }
    ConnectionTestInput {
        settings: SettingsInput {
            relay_url: None,
            ..h.embedded.settings()
        },
        credentials,
    }
}

fn smtp_form(port: u16, password: &str) -> SmtpSettingsInput {
    SmtpSettingsInput {
        host: Some("127.0.0.1".into()),
        port: Some(port),
        security: Some("plain".into()),
        username: Some("shop@example.jp".into()),
        password: Some(password.into()),
        from_address: Some("shop@example.jp".into()),
        ..SmtpSettingsInput::default()
    }
}

#[tokio::test]
async fn issue15_the_guide_saves_each_step_only_after_its_test_passed() {
    let h = Harness::start_blank("guide_steps", true).await;
    let desk = &h.desk;

    // A fresh shop opens on the guide, every step to do.
    let fresh = desk.setup_guide().await.unwrap();
    keep(&fresh);
    assert_eq!(fresh.status, GuideStatusCode::NotStarted);
    assert!(fresh.opens_at_start);
    assert_eq!(fresh.gateway, GuideStepStateCode::Todo);

    // Steps come in order, and "done" waits for them.
    let early = desk
        .guide_notifications(GuideNotificationsInput {
            use_relay: false,
            ..GuideNotificationsInput::default()
        })
        .await
        .unwrap_err();
    assert_eq!(early.code, "guide_step_order");
    assert_eq!(
        desk.finish_setup_guide().await.unwrap_err().code,
        "guide_step_order"
    );

    // Step 1 with a wrong password: the test fails, nothing is saved, the step stays open.
    let wrong = desk
        .guide_gateway(gateway_input(&h, Some(WRONG_PASSWORD)))
        .await
        .unwrap();
    keep(&wrong);
    assert!(!wrong.test.ok, "{wrong:?}");
    assert_eq!(wrong.test.code.as_deref(), Some("P002"));
    assert_eq!(wrong.guide.gateway, GuideStepStateCode::Todo);
    assert_eq!(wrong.guide.status, GuideStatusCode::InProgress);
    assert!(
        wrong.guide.opens_at_start,
        "an unfinished guide opens again"
    );
    let settings = desk.get_settings().await.unwrap();
    assert!(!settings.secrets.connect_password && !settings.complete);

    // Step 1 right: tested, then saved as Settings saves it (secrets in the keychain).
    let right = desk.guide_gateway(gateway_input(&h, None)).await.unwrap();
    keep(&right);
    assert!(right.test.ok, "{right:?}");
    assert_eq!(right.guide.gateway, GuideStepStateCode::Done);
    let settings = desk.get_settings().await.unwrap();
    keep(&settings);
    assert!(settings.complete && settings.secrets.client_certificate);
    assert!(
        settings.relay_url.is_none(),
        "step 1 leaves the relay alone"
    );
    assert!(desk.test_connection().await.unwrap().ok);

    // Step 2 with a wrong token: the relay test fails and the relay is not saved.
    let relay_url = h.embedded.settings().relay_url.unwrap();
    let bad_relay = desk
        .guide_notifications(GuideNotificationsInput {
            use_relay: true,
            relay_url: Some(relay_url.clone()),
            relay_token: Some(WRONG_TOKEN.into()),
            hash_key: None,
        })
        .await
        .unwrap();
    keep(&bad_relay);
    assert!(
        bad_relay.relay.as_ref().is_some_and(|r| !r.ok),
        "{bad_relay:?}"
    );
    assert_eq!(bad_relay.guide.notifications, GuideStepStateCode::Todo);
    assert!(desk.get_settings().await.unwrap().relay_url.is_none());
    assert_eq!(
        desk.guide_mail(None).await.unwrap_err().code,
        "guide_step_order",
        "step 3 waits for step 2's test"
    );

    // Step 2 with the desktop's token: tested, saved.
    let credentials = h.embedded.credentials();
    let good_relay = desk
        .guide_notifications(GuideNotificationsInput {
            use_relay: true,
            relay_url: Some(relay_url.clone()),
            relay_token: credentials.relay_token.clone(),
            hash_key: credentials.hash_key.clone(),
        })
        .await
        .unwrap();
    keep(&good_relay);
    assert!(
        good_relay.relay.as_ref().is_some_and(|r| r.ok),
        "{good_relay:?}"
    );
    assert_eq!(good_relay.guide.notifications, GuideStepStateCode::Done);
    let settings = desk.get_settings().await.unwrap();
    assert_eq!(settings.relay_url.as_deref(), Some(relay_url.as_str()));
    assert!(settings.secrets.relay_token && settings.secrets.hash_key);

    // Step 3: a refused SMTP password saves nothing; the right one is tested and saved.
    let smtp = TestSmtp::start(Mode::RequireAuth("shop@example.jp", SMTP_PASSWORD)).await;
    let refused = desk
        .guide_mail(Some(smtp_form(smtp.addr.port(), "not-the-password")))
        .await
        .unwrap();
    keep(&refused);
    assert!(refused.test.as_ref().is_some_and(|t| !t.ok));
    assert_eq!(refused.guide.mail, GuideStepStateCode::Todo);
    assert!(!desk.smtp_settings().await.unwrap().complete);
    let sent = desk
        .guide_mail(Some(smtp_form(smtp.addr.port(), SMTP_PASSWORD)))
        .await
        .unwrap();
    keep(&sent);
    assert!(sent.test.as_ref().is_some_and(|t| t.ok), "{sent:?}");
    assert_eq!(sent.guide.mail, GuideStepStateCode::Done);
    let mail = desk.smtp_settings().await.unwrap();
    assert!(mail.complete && mail.password_set);

    // Done: the saved settings pass their tests; the guide stays closed after a restart.
    let done = desk.finish_setup_guide().await.unwrap();
    keep(&done);
    assert_eq!(done.status, GuideStatusCode::Finished);
    assert!(!done.opens_at_start);
    let again = h.reopen().await.setup_guide().await.unwrap();
    assert_eq!(again.status, GuideStatusCode::Finished);
    assert!(!again.opens_at_start);

    // No typed secret reached the logs, a DTO or a file of the data folder.
    let logs = logs().lock().unwrap().clone();
    let dtos = dto_log().lock().unwrap().join("\n");
    let secrets = [
        WRONG_PASSWORD,
        WRONG_TOKEN,
        SMTP_PASSWORD,
        crate::harness::SENTINEL_PASSWORD,
        crate::harness::SENTINEL_HASH_KEY,
    ];
    for s in secrets {
        assert!(!contains(&logs, s), "{s} is in the logs");
        assert!(!dtos.contains(s), "{s} is in a DTO");
    }
    for entry in std::fs::read_dir(h.data_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            for s in secrets {
                assert!(!contains(&bytes, s), "{s} is in {}", path.display());
            }
        }
    }
}

#[tokio::test]
async fn issue15_the_guide_cannot_finish_while_the_saved_connection_fails() {
    let h = Harness::start_blank("guide_finish_fails", false).await;
    let desk = &h.desk;
    assert!(
        desk.guide_gateway(gateway_input(&h, None))
            .await
            .unwrap()
            .test
            .ok
    );
    let none = desk
        .guide_notifications(GuideNotificationsInput {
            use_relay: false,
            ..GuideNotificationsInput::default()
        })
        .await
        .unwrap();
    assert_eq!(none.guide.notifications, GuideStepStateCode::NotUsed);
    assert!(none.relay.is_none());
    let later = desk.guide_mail(None).await.unwrap();
    assert_eq!(later.guide.mail, GuideStepStateCode::NotUsed);

    // The password changed since step 1 (in Settings, or at Paygent): "done" is refused
    // and step 1 is open again.
    desk.save_credentials(CredentialsInput {
        connect_password: Some(WRONG_PASSWORD.into()),
        ..CredentialsInput::default()
    })
    .await
    .unwrap();
    let refused = desk.finish_setup_guide().await.unwrap_err();
    keep(&refused);
    assert_eq!(refused.code, "guide_test_failed");
    let guide = desk.setup_guide().await.unwrap();
    assert_eq!(guide.status, GuideStatusCode::InProgress);
    assert_eq!(guide.gateway, GuideStepStateCode::Todo);

    // Step 1 again with the right values, then "done".
    assert!(
        desk.guide_gateway(gateway_input(&h, None))
            .await
            .unwrap()
            .test
            .ok
    );
    let done = desk.finish_setup_guide().await.unwrap();
    assert_eq!(done.status, GuideStatusCode::Finished);
    assert!(
        !dto_log()
            .lock()
            .unwrap()
            .join("\n")
            .contains(WRONG_PASSWORD)
    );
}

#[tokio::test]
async fn issue15_the_guide_can_be_skipped_and_resumed() {
    let h = Harness::start_blank("guide_skip", false).await;
    let skipped = h.desk.skip_setup_guide().await.unwrap();
    assert_eq!(skipped.status, GuideStatusCode::Skipped);
    assert!(!skipped.opens_at_start, "a skipped guide stays closed");
    let resumed = h.desk.open_setup_guide().await.unwrap();
    assert_eq!(resumed.status, GuideStatusCode::InProgress);
    assert!(resumed.opens_at_start);

    // A desk already set up before the guide existed is not sent through it.
    let set_up = Harness::quiet("guide_set_up").await;
    let guide = set_up.desk.setup_guide().await.unwrap();
    assert_eq!(guide.status, GuideStatusCode::NotStarted);
    assert!(!guide.opens_at_start);
}
