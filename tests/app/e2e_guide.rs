//! The setup guide end to end (issue 15, point 12): a shop's first start opens on it; each
//! step is tested before the next opens (a wrong password, a wrong relay token and a
//! refused SMTP password each keep their step open); "done" is refused while the saved
//! connection fails; the finished guide leaves a shop whose Settings test passes; the
//! demo is one click away from the first page.
//!
//! Layout: the simulator and relay run inside this test process (`demo::Embedded`),
//! standing in for Paygent and the shop's relay; the app is started as a shop (not the
//! demo) and set up only through the guide's screen.

use std::path::Path;
use std::time::Duration;

use demo::{Embedded, EmbeddedOptions};
use fantoccini::Locator;
use mail::testing::{Mode, TestSmtp};
use serde_json::json;

use crate::control::Control;
use crate::driver::Session;
use crate::screen::{css, unique};

/// A connection test waits for the simulator over mutual TLS on a loaded machine.
const WAIT: Duration = Duration::from_secs(60);

/// Whether a button is disabled now.
async fn disabled(s: &Session, selector: &str) -> bool {
    s.wait_css(selector)
        .await
        .prop("disabled")
        .await
        .unwrap()
        .is_some_and(|v| v == "true")
}

/// The test build's keychain entry of a shop (not the demo), read with `secret-tool`.
fn keychain(account: &str) -> Option<String> {
    let namespace = api::keychain_namespace("jp.paydesk.desk", api::Build::Test, false);
    let out = std::process::Command::new("secret-tool")
        .args(["lookup", "service", &namespace, "username", account])
        .output()
        .expect("secret-tool is installed by `cargo xtask setup`");
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).expect("UTF-8 secret"))
}

/// Scrolls an element into view (WebDriver's screenshot shows the viewport).
async fn show(s: &Session, selector: &str) {
    let element = s.wait_css(selector).await;
    s.client
        .execute(
            "arguments[0].scrollIntoView({ block: 'end' });",
            vec![serde_json::to_value(element).unwrap()],
        )
        .await
        .unwrap();
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn issue15_a_shops_first_start_walks_through_the_tested_setup_guide() {
    let servers = std::env::temp_dir().join(unique("paydesk-guide-servers-"));
    let password = unique("SENTINEL-guide-pw-");
    let wrong_password = unique("SENTINEL-guide-wrong-");
    let smtp_password = unique("SENTINEL-guide-smtp-");
    let embedded = Embedded::start(
        &servers,
        EmbeddedOptions {
            tick_interval: None,
            relay: true,
            persist: false,
            connect_password: password.clone(),
            hash_key: unique("SENTINEL-guide-hash-"),
            ..EmbeddedOptions::default()
        },
    )
    .await
    .unwrap();
    let status = embedded.status();
    let control = Control::new(&status.control_url);
    let credentials = embedded.credentials();
    let settings = embedded.settings();
    let merchant_id = credentials.merchant_id.clone().unwrap();
    let connect_id = credentials.connect_id.clone().unwrap();
    // The test server wants a password for the whole run.
    let accepted: &'static str = Box::leak(smtp_password.clone().into_boxed_str());
    let smtp = TestSmtp::start(Mode::RequireAuth("shop@example.jp", accepted)).await;

    let s = Session::start_first_run().await.waiting(WAIT);
    // The first start opens on the guide's first page, which says what is needed.
    s.wait_css(&css("guide-page-start")).await;
    assert_eq!(s.text_of(&css("guide-title")).await, "はじめての設定");
    assert!(disabled(&s, &css("guide-nav-notifications")).await);
    s.wait_css(&css("guide-demo")).await;
    s.screenshot("guide-start").await;
    s.click("language-switch").await;
    s.screenshot("guide-start-en").await;
    s.click("language-switch").await;

    // Step 1 with a wrong connect password: the test fails, nothing is saved, and the
    // next step stays closed.
    s.click("guide-begin").await;
    s.wait_css(&css("guide-page-gateway")).await;
    s.click("guide-env-simulator").await;
    s.fill(
        "guide-custom-url",
        settings.custom_base_url.as_deref().unwrap(),
    )
    .await;
    s.fill(
        "guide-custom-ca",
        settings.custom_ca_path.as_deref().unwrap(),
    )
    .await;
    s.fill("guide-merchant_id", &merchant_id).await;
    s.fill("guide-connect_id", &connect_id).await;
    s.fill("guide-connect_password", &wrong_password).await;
    s.fill(
        "guide-certificate",
        credentials.client_certificate_path.as_deref().unwrap(),
    )
    .await;
    s.fill(
        "guide-passphrase",
        credentials
            .client_certificate_passphrase
            .as_deref()
            .unwrap(),
    )
    .await;
    s.click("guide-gateway-test").await;
    s.wait_css("[data-testid='guide-gateway-result'][data-ok='false']")
        .await;
    assert!(
        s.text_of(&css("guide-gateway-message"))
            .await
            .contains("接続IDまたは接続パスワードが正しくありません")
    );
    assert!(disabled(&s, &css("guide-next")).await);
    assert!(disabled(&s, &css("guide-nav-notifications")).await);
    assert_ne!(
        keychain("connect_password").as_deref(),
        Some(wrong_password.as_str()),
        "a failed test saves nothing"
    );
    show(&s, &css("guide-gateway-result")).await;
    s.screenshot("guide-gateway-failed").await;

    // The right password: tested, saved to the keychain, the next step opens.
    s.fill("guide-connect_password", &password).await;
    s.click("guide-gateway-test").await;
    s.wait_css("[data-testid='guide-gateway-result'][data-ok='true']")
        .await;
    assert_eq!(
        keychain("connect_password").as_deref(),
        Some(password.as_str())
    );
    assert_eq!(
        value_of(&s, "guide-connect_password").await,
        "",
        "the typed secret leaves the screen once saved"
    );
    show(&s, &css("guide-gateway-result")).await;
    s.screenshot("guide-gateway-passed").await;
    s.click("guide-next").await;

    // Step 2: a relay with a wrong token fails its test; the desktop's token passes.
    s.wait_css(&css("guide-page-notifications")).await;
    s.click("guide-relay-use").await;
    s.fill("guide-relay-url", settings.relay_url.as_deref().unwrap())
        .await;
    s.fill(
        "guide-relay-token",
        "pdr_1_notthetoken000000000000000000000000",
    )
    .await;
    s.click("guide-relay-test").await;
    s.wait_css("[data-testid='guide-relay-result'][data-ok='false']")
        .await;
    assert!(disabled(&s, &css("guide-next")).await);
    s.click("guide-operator-guide-toggle").await;
    let operator_guide = s.text_of(&css("guide-operator-guide")).await;
    assert!(
        operator_guide.contains("How a shop registers the relay URL with Paygent"),
        "the relay's own guide ships with the app"
    );
    s.screenshot("guide-relay-failed").await;
    s.click("guide-operator-guide-toggle").await;
    s.fill(
        "guide-relay-token",
        credentials.relay_token.as_deref().unwrap(),
    )
    .await;
    s.click("guide-relay-test").await;
    s.wait_css("[data-testid='guide-relay-result'][data-ok='true']")
        .await;
    s.click("guide-next").await;

    // Step 3: a refused SMTP password, then the right one.
    s.wait_css(&css("guide-page-mail")).await;
    s.fill("guide-smtp-host", "127.0.0.1").await;
    s.fill("guide-smtp-port", &smtp.addr.port().to_string())
        .await;
    s.client
        .find(Locator::Css(&format!(
            "{} option[value='plain']",
            css("guide-smtp-security")
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    s.fill("guide-smtp-user", "shop@example.jp").await;
    s.fill("guide-smtp-password", "not-the-password").await;
    s.fill("guide-smtp-from", "shop@example.jp").await;
    s.click("guide-mail-test").await;
    s.wait_css("[data-testid='guide-mail-result'][data-ok='false']")
        .await;
    assert!(disabled(&s, &css("guide-next")).await);
    s.fill("guide-smtp-password", &smtp_password).await;
    s.click("guide-mail-test").await;
    s.wait_css("[data-testid='guide-mail-result'][data-ok='true']")
        .await;
    s.screenshot("guide-mail-passed").await;
    s.click("guide-next").await;

    // Paygent changes the password meanwhile: "done" is refused, step 1 is open again.
    s.wait_css(&css("guide-page-done")).await;
    let changed = unique("SENTINEL-guide-changed-");
    let shop = |p: &str| {
        json!({
            "merchant_id": merchant_id,
            "connect_id": connect_id,
            "connect_password": p,
            "hash_key": "guide-hash",
        })
    };
    control.post("/control/shops", shop(&changed)).await;
    s.click("guide-finish").await;
    s.wait_css("[data-testid='guide-error'][data-code='guide_test_failed']")
        .await;
    s.wait_css("[data-testid='guide-summary-gateway'][data-state='todo']")
        .await;
    assert!(
        s.client
            .find(Locator::Css(&css("guide-done")))
            .await
            .is_err(),
        "never \"done\" beside a failed test"
    );
    s.screenshot("guide-finish-refused").await;

    // Step 1 again with the new password, then "done".
    s.click("guide-nav-gateway").await;
    s.fill("guide-connect_password", &changed).await;
    s.click("guide-gateway-test").await;
    s.wait_css("[data-testid='guide-gateway-result'][data-ok='true']")
        .await;
    s.click("guide-nav-done").await;
    s.click("guide-finish").await;
    s.wait_css(&css("guide-done")).await;
    s.screenshot("guide-done").await;

    // The finished guide left a working shop: Settings' own test passes, relay included,
    // and the next start opens on Home.
    s.click("guide-home").await;
    s.wait_css(&css("home-title")).await;
    s.click("nav-settings").await;
    s.wait_css("[data-testid='settings-complete'][data-complete='true']")
        .await;
    s.click("settings-test").await;
    s.wait_css("[data-testid='test-result'][data-ok='true']")
        .await;
    let relay = s.text_of(&css("test-result-relay")).await;
    assert!(relay.contains("中継サーバーに接続できました"), "{relay}");
    s.client
        .execute("location.reload();", vec![])
        .await
        .unwrap();
    s.wait_css(&css("home-title")).await;

    // The secrets typed in the guide are nowhere in the data folder.
    for file in files_under(&s.data_dir) {
        let bytes = std::fs::read(&file).unwrap_or_default();
        for secret in [&password, &wrong_password, &smtp_password, &changed] {
            assert!(
                !contains(&bytes, secret),
                "a secret is in {}",
                file.display()
            );
        }
    }
    s.end().await;
    drop(embedded);
    let _ = std::fs::remove_dir_all(&servers);
}

async fn value_of(s: &Session, testid: &str) -> String {
    s.wait_css(&css(testid))
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// Polls `check` every 100 ms until it returns something (the window that could report
/// events is gone after the relaunch); fails after `WAIT`.
async fn poll_until<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// "Try the demo first" on the guide's first page starts PayDesk again as the demo: its
/// own data folder fills with the sample shop, the shop's stays as it was.
#[tokio::test(flavor = "multi_thread")]
async fn issue15_the_demo_is_one_click_from_the_guides_first_page() {
    let s = Session::start_first_run().await.waiting(WAIT);
    s.wait_css(&css("guide-page-start")).await;
    let log = s.shop_data_dir.join("logs").join("paydesk.log");
    let demo_dir = api::demo_data_dir(&s.shop_data_dir);
    // The click ends this window: the WebDriver answer may never come.
    let button = s.wait_css(&css("guide-demo")).await;
    let _ = tokio::time::timeout(Duration::from_secs(5), button.click()).await;
    // The relaunched process says its pid in the shop's log; the demo then writes its own
    // log in its own folder once its embedded servers run.
    let pid = poll_until("the relaunch in the shop's log", || {
        relaunched_pid(&log, true)
    })
    .await;
    let demo_log = demo_dir.join("logs").join("paydesk.log");
    poll_until("the demo's servers", || {
        let text = std::fs::read_to_string(&demo_log).unwrap_or_default();
        text.contains("embedded simulator and relay started")
            .then_some(())
    })
    .await;
    // End the demo this test started, by its pid, and wait until it is gone.
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    poll_until("the demo to exit", || {
        (!Path::new(&format!("/proc/{pid}")).exists()).then_some(())
    })
    .await;
    assert!(
        !s.shop_data_dir.join("demo").exists(),
        "the demo's servers never run in the shop's folder"
    );
    let _ = std::fs::remove_dir_all(&demo_dir);
    s.end().await;
}

/// The relaunched process's pid, from the "relaunched" line of `log` for `demo`.
fn relaunched_pid(log: &Path, demo: bool) -> Option<u32> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter(|l| l.contains("relaunched") && l.contains(&format!("demo={demo}")))
        .find_map(|l| {
            l.split("pid=")
                .nth(1)?
                .split_whitespace()
                .next()?
                .parse::<u32>()
                .ok()
        })
}

/// "Leave the demo" on the demo's Home starts PayDesk again as the shop (its own folder).
#[tokio::test(flavor = "multi_thread")]
async fn issue15_leaving_the_demo_starts_the_shop_again() {
    let s = Session::start_demo().await.waiting(WAIT);
    s.wait_css(&css("demo-banner")).await;
    let demo_log = s.data_dir.join("logs").join("paydesk.log");
    let shop_log = s.shop_data_dir.join("logs").join("paydesk.log");
    let button = s.wait_css(&css("leave-demo")).await;
    let _ = tokio::time::timeout(Duration::from_secs(5), button.click()).await;
    let pid = poll_until("the relaunch in the demo's log", || {
        relaunched_pid(&demo_log, false)
    })
    .await;
    poll_until("the shop's start in its own log", || {
        let text = std::fs::read_to_string(&shop_log).unwrap_or_default();
        text.lines()
            .any(|l| l.contains("PayDesk started") && l.contains(&format!("pid={pid}")))
            .then_some(())
    })
    .await;
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    poll_until("the shop to exit", || {
        (!Path::new(&format!("/proc/{pid}")).exists()).then_some(())
    })
    .await;
    s.end().await;
}
