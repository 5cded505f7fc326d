//! The Settings screen end to end (issue #7): the real app in demo mode, its embedded
//! simulator standing in for Paygent. A shop with sentinel credentials is registered at the
//! simulator; the shop owner enters them through the screen (first with a wrong connect
//! password), tests the connection, corrects the password and tests again. Then the
//! sentinel values are looked for everywhere they must not be (the data directory's SQLite
//! files and every other file PayDesk wrote, the screen after a reload, the settings the
//! UI is sent) and found where they must be: the test session's Secret Service, read with
//! `secret-tool` rather than through PayDesk's own code.
//!
//! Layout: [`Sentinels`] makes the values; [`keychain`] reads an entry the way any other
//! program would; [`choose_with_file_dialog`] picks a file in the native file dialog
//! (`crate::file_dialog`); the test walks the screen.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use mail::testing::{Mode, TestSmtp};

use crate::control::Control;
use crate::driver::Session;
use crate::screen::{css, unique};

/// The demo generates its world and syncs before the screen shows; a connection test
/// waits for the simulator over mutual TLS.
const WAIT: Duration = Duration::from_secs(60);

/// Values no other run and no other part of the app could produce, so finding one
/// anywhere means it leaked from what was typed.
struct Sentinels {
    merchant_id: String,
    connect_id: String,
    wrong_password: String,
    password: String,
    hash_key: String,
}

impl Sentinels {
    fn new() -> Sentinels {
        Sentinels {
            // Merchant IDs are 1 to 9 digits.
            merchant_id: format!("9{}", &unique("")[1..]),
            connect_id: unique("e2e_connect_"),
            wrong_password: unique("SENTINEL-wrong-password-"),
            password: unique("SENTINEL-password-"),
            hash_key: unique("SENTINEL-hash-key-"),
        }
    }
}

/// A keychain entry of the test build, read with libsecret's `secret-tool` (PayDesk
/// stores through `keyring`, whose Secret Service items carry `service` = the namespace
/// and `username` = the account). Values over 1,000 characters are split into parts by
/// the `secrets` crate; they are joined here. `None` when the entry is absent.
fn keychain(account: &str) -> Option<String> {
    let namespace = api::keychain_namespace("jp.paydesk.desk", api::Build::Test, true);
    let lookup = |account: &str| {
        let out = std::process::Command::new("secret-tool")
            .args(["lookup", "service", &namespace, "username", account])
            .output()
            .expect("secret-tool is installed by `cargo xtask setup`");
        out.status
            .success()
            .then(|| String::from_utf8(out.stdout).expect("UTF-8 secret"))
    };
    let head = lookup(account)?;
    let Some(count) = head.strip_prefix("paydesk-chunked:v1:") else {
        return Some(head);
    };
    let count: usize = count.parse().expect("a part count");
    Some(
        (1..=count)
            .map(|i| lookup(&format!("{account}#{i}")).expect("every part is stored"))
            .collect(),
    )
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
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

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Scrolls the element into view (for a screenshot: WebDriver's shows the viewport).
async fn show(s: &Session, testid: &str) {
    let element = s.wait_css(&css(testid)).await;
    s.client
        .execute(
            "arguments[0].scrollIntoView({ block: 'end' });",
            vec![serde_json::to_value(element).unwrap()],
        )
        .await
        .unwrap();
}

async fn value_of(s: &Session, testid: &str) -> String {
    s.wait_css(&css(testid))
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// The box's value once it is not empty, waiting at most `within` (in the page, so no
/// WebDriver round trip per look); empty if it stays empty.
async fn filled_value(s: &Session, testid: &str, within: Duration) -> String {
    let value = s
        .client
        .execute_async(
            "const [selector, ms, done] = arguments;
             const end = Date.now() + ms;
             const look = () => {
               const v = document.querySelector(selector)?.value ?? '';
               if (v !== '' || Date.now() > end) done(v); else setTimeout(look, 50);
             };
             look();",
            vec![json!(css(testid)), json!(within.as_millis() as u64)],
        )
        .await
        .unwrap();
    value.as_str().unwrap_or_default().to_owned()
}

/// Clicks a "Choose…" button and picks `path` in the system's file dialog that opens,
/// the way a person would. Returns the path box's value once the dialog filled it.
async fn choose_with_file_dialog(s: &Session, button: &str, title: &str, path: &Path) -> String {
    let box_id = button.trim_end_matches("-choose");
    s.click(button).await;
    let mut value = String::new();
    crate::file_dialog::pick(title, path, async || {
        value = filled_value(s, box_id, Duration::from_secs(3)).await;
        !value.is_empty()
    })
    .await;
    value
}

/// The shop owner enters credentials with a wrong connect password, reads the plain
/// explanation of the connection test, corrects the password and connects; the secrets
/// end up in the keychain and nowhere else.
#[tokio::test(flavor = "multi_thread")]
async fn credentials_entered_on_the_settings_screen_are_tested_and_kept_only_in_the_keychain() {
    // PayDesk's own crates log everything they can (TRACE); the log file is scanned below
    // like the rest. (The embedded gateway stays at its default: it knows the password, as
    // Paygent does.)
    const LOG: &str = "warn,paydesk_app=trace,api=trace,domain=trace,store=trace,paygent_client=trace,relay=trace,secrets=trace,mail=trace,paygent_sim=info";
    let s = Session::start_with_args(&[("PAYDESK_DEMO", "1"), ("PAYDESK_LOG", LOG)], &[])
        .await
        .waiting(WAIT);
    s.wait_css(&css("demo-banner")).await;
    let status = s.invoke("demo_status", json!({})).await;
    let control = Control::new(status["control_url"].as_str().unwrap());
    let gateway_url = status["gateway_url"].as_str().unwrap().to_owned();
    let relay_url = status["relay_url"].as_str().unwrap().to_owned();
    // The embedded simulator's certificate kit, as the demo wrote it (see crate `demo`).
    let kit = s.data_dir.join("demo");
    let certificate = kit.join("demo-client.pem");
    let ca = kit.join("demo-ca.pem");
    // What the demo stored on start: the kit's passphrase and the relay's desktop token
    // (random per run). The shop owner would copy them from Paygent's and the relay's
    // papers; they are typed again below.
    let passphrase = keychain("client_certificate_passphrase").expect("the demo's passphrase");
    let relay_token = keychain("relay_token").expect("the demo's relay token");

    // A shop at the simulator whose credentials are sentinels.
    let sentinel = Sentinels::new();
    control
        .post(
            "/control/shops",
            json!({
                "merchant_id": sentinel.merchant_id,
                "connect_id": sentinel.connect_id,
                "connect_password": sentinel.password,
                "hash_key": sentinel.hash_key,
            }),
        )
        .await;

    s.click("nav-settings").await;
    assert_eq!(s.text_of(&css("settings-title")).await, "設定");
    // Remove what the demo stored, so every value below comes from this screen.
    for field in [
        "merchant_id",
        "connect_id",
        "connect_password",
        "client_certificate",
        "client_certificate_passphrase",
        "hash_key",
        "relay_token",
    ] {
        s.click(&format!("secret-{field}-remove")).await;
        s.wait_css(&format!(
            "{}[data-set='false']",
            css(&format!("secret-{field}-state"))
        ))
        .await;
    }
    assert_eq!(keychain("connect_password"), None);

    s.fill("settings-merchant_id", &sentinel.merchant_id).await;
    s.fill("settings-connect_id", &sentinel.connect_id).await;
    s.fill("settings-connect_password", &sentinel.wrong_password)
        .await;
    // The certificate is picked in the system's file dialog; the CA path is typed (both
    // ways fill the same box).
    let chosen = choose_with_file_dialog(
        &s,
        "settings-client_certificate-choose",
        "クライアント証明書ファイルを選択",
        &certificate,
    )
    .await;
    assert_eq!(
        chosen,
        certificate.display().to_string(),
        "the path chosen in the file dialog fills the box"
    );
    s.fill("settings-client_certificate_passphrase", &passphrase)
        .await;
    s.fill("settings-hash_key", &sentinel.hash_key).await;
    s.click("env-simulator").await;
    s.fill("settings-custom-url", &gateway_url).await;
    s.wait_css(&css("settings-custom-ca-choose")).await;
    s.fill("settings-custom-ca", &ca.display().to_string())
        .await;
    s.fill("settings-relay-url", &relay_url).await;
    s.fill("settings-relay_token", &relay_token).await;
    s.click("settings-save").await;
    s.wait_css(&css("settings-saved")).await;
    s.wait_css("[data-testid='settings-complete'][data-complete='true']")
        .await;

    // The wrong password, explained in plain Japanese with what to do.
    s.click("settings-test").await;
    s.wait_css("[data-testid='test-result'][data-ok='false']")
        .await;
    assert_eq!(
        s.attr_of(&css("test-result"), "data-outcome").await,
        "wrong_credentials"
    );
    let message = s.text_of(&css("test-result-message")).await;
    assert!(
        message.contains("接続IDまたは接続パスワードが正しくありません"),
        "{message}"
    );
    let result = s.text_of(&css("test-result")).await;
    assert!(
        result.contains("接続IDとパスワードを入力し直してください"),
        "{result}"
    );
    assert_eq!(s.text_of(&css("test-result-code")).await, "P002");
    // The relay is reached with the typed URL and token.
    let relay = s.text_of(&css("test-result-relay")).await;
    assert!(relay.contains("中継サーバーに接続できました"), "{relay}");
    show(&s, "test-result").await;
    let shot = s.screenshot("settings-wrong-password").await;
    let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::copy(&shot, docs.join("screenshot-settings.png")).unwrap();

    // The corrected password connects.
    s.fill("settings-connect_password", &sentinel.password)
        .await;
    s.click("settings-save").await;
    s.wait_css(&css("settings-saved")).await;
    s.click("settings-test").await;
    s.wait_css("[data-testid='test-result'][data-ok='true']")
        .await;
    let message = s.text_of(&css("test-result-message")).await;
    assert!(
        message.contains("ペイジェントに接続できました"),
        "{message}"
    );
    show(&s, "test-result").await;
    s.screenshot("settings-connected").await;

    // In the keychain: exactly what was typed (the certificate file's content, not its
    // path).
    assert_eq!(keychain("merchant_id"), Some(sentinel.merchant_id.clone()));
    assert_eq!(keychain("connect_id"), Some(sentinel.connect_id.clone()));
    assert_eq!(
        keychain("connect_password"),
        Some(sentinel.password.clone())
    );
    assert_eq!(keychain("hash_key"), Some(sentinel.hash_key.clone()));
    assert_eq!(
        keychain("client_certificate_passphrase"),
        Some(passphrase.clone())
    );
    assert_eq!(keychain("relay_token"), Some(relay_token.clone()));
    assert_eq!(
        keychain("client_certificate"),
        Some(std::fs::read_to_string(&certificate).unwrap())
    );

    let secrets = [
        ("merchant ID", sentinel.merchant_id.as_str()),
        ("connect ID", sentinel.connect_id.as_str()),
        ("wrong connect password", sentinel.wrong_password.as_str()),
        ("connect password", sentinel.password.as_str()),
        ("hash key", sentinel.hash_key.as_str()),
        ("certificate passphrase", passphrase.as_str()),
        ("relay token", relay_token.as_str()),
    ];

    // After a reload the screen shows "set" and empty boxes, and nothing typed comes
    // back: not in the page, not in an input's value, not in the webview's storage, not in
    // the settings the backend sends the UI.
    s.client
        .execute("location.reload();", vec![])
        .await
        .unwrap();
    s.wait_css(&css("sidebar")).await;
    s.click("nav-settings").await;
    for field in [
        "merchant_id",
        "connect_id",
        "connect_password",
        "client_certificate",
        "client_certificate_passphrase",
        "hash_key",
        "relay_token",
    ] {
        s.wait_css(&format!(
            "{}[data-set='true']",
            css(&format!("secret-{field}-state"))
        ))
        .await;
        assert_eq!(
            value_of(&s, &format!("settings-{field}")).await,
            "",
            "{field}"
        );
    }
    for field in [
        "connect_password",
        "client_certificate_passphrase",
        "hash_key",
        "relay_token",
    ] {
        let input = s.wait_css(&css(&format!("settings-{field}"))).await;
        assert_eq!(
            input.attr("type").await.unwrap().as_deref(),
            Some("password"),
            "{field} is masked"
        );
    }
    let shown = s
        .client
        .execute(
            "return [document.documentElement.outerHTML,
                     ...Array.from(document.querySelectorAll('input, select, textarea'), (e) => e.value),
                     JSON.stringify(localStorage), JSON.stringify(sessionStorage)].join('\\n');",
            vec![],
        )
        .await
        .unwrap();
    let shown = shown.as_str().unwrap().to_owned();
    let settings: Value = s.invoke("get_settings", json!({})).await;
    let settings = settings.to_string();
    for (what, secret) in secrets {
        assert!(!shown.contains(secret), "the screen shows the {what}");
        assert!(!settings.contains(secret), "get_settings sends the {what}");
    }
    s.screenshot("settings-after-reload").await;

    // Not in the data directory: no SQLite file of PayDesk's or of the embedded relay, not
    // the log, and no other file PayDesk wrote. (`demo/` also holds the embedded gateway's own state,
    // which knows the shop's password as Paygent does: only its SQLite file is scanned.)
    let files = files_under(&s.data_dir);
    let databases: Vec<_> = files
        .iter()
        .filter(|p| p.to_string_lossy().contains(".sqlite"))
        .collect();
    assert!(
        databases.contains(&&s.data_dir.join("paydesk.sqlite3")),
        "PayDesk's database is in the data directory: {files:?}"
    );
    let log = s.data_dir.join("logs/paydesk.log");
    assert!(
        std::fs::metadata(&log).is_ok_and(|m| m.len() > 0),
        "the app's log is in the data directory and scanned: {files:?}"
    );
    for path in &files {
        let scanned = !path.starts_with(&kit) || databases.contains(&path);
        if !scanned {
            continue;
        }
        let bytes = std::fs::read(path).unwrap();
        for (what, secret) in secrets {
            assert!(
                !contains(&bytes, secret),
                "the {what} is in {}",
                path.display()
            );
        }
    }
    s.end().await;
}

/// Issue 15, point 5, through the real window: the connection tests test what is on
/// screen, unsaved, and say which values they tested; a failed test is never shown beside
/// "ready". The demo's saved settings work; the sandbox chosen on screen (no network
/// here) and a wrong URL typed on screen fail; the saved settings, untouched, still pass.
/// The SMTP test with every field filled and nothing saved reaches a real SMTP server on
/// loopback.
#[tokio::test(flavor = "multi_thread")]
async fn issue15_connection_tests_test_the_values_on_screen() {
    let s = Session::start_demo().await.waiting(WAIT);
    s.wait_css(&css("demo-banner")).await;
    s.click("nav-settings").await;
    s.wait_css("[data-testid='settings-complete'][data-complete='true']")
        .await;

    // The sandbox chosen, not saved: the sandbox is tested (and cannot be reached).
    s.click("env-sandbox").await;
    s.click("settings-test").await;
    s.wait_css("[data-testid='test-result'][data-ok='false']")
        .await;
    let tested = s.text_of(&css("test-result-tested")).await;
    assert!(
        tested.contains("https://sandbox.paygent.co.jp") && tested.contains("保存はしていません"),
        "{tested}"
    );
    // Never "ready" beside a failure.
    s.wait_css("[data-testid='settings-complete'][data-tone='warn']")
        .await;
    let line = s.text_of(&css("settings-complete")).await;
    assert!(line.contains("失敗"), "{line}");

    // A wrong URL typed, not saved.
    s.click("env-simulator").await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let wrong = format!("https://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    s.fill("settings-custom-url", &wrong).await;
    s.click("settings-test").await;
    s.until("the wrong URL was not tested", WAIT, async || {
        let text = s.text_of(&css("test-result-tested")).await;
        text.contains(&wrong).then_some(())
    })
    .await;
    assert_eq!(s.attr_of(&css("test-result"), "data-ok").await, "false");
    show(&s, "test-result").await;
    s.screenshot("issue15-settings-wrong-url").await;

    // Nothing was saved: after a reload the saved settings are tested, and pass.
    s.click("nav-home").await;
    s.click("nav-settings").await;
    s.wait_css("[data-testid='settings-complete'][data-complete='true']")
        .await;
    s.click("settings-test").await;
    s.wait_css("[data-testid='test-result'][data-ok='true']")
        .await;
    s.wait_css("[data-testid='settings-complete'][data-tone='ok']")
        .await;
    show(&s, "test-result").await;
    s.screenshot("issue15-settings-saved-ok").await;

    // SMTP: every field filled on screen, nothing saved.
    let server = TestSmtp::start(Mode::Accept).await;
    s.click("nav-subscriptions").await;
    s.click("subs-tab-settings").await;
    // The saved settings (none) load first and would overwrite what is typed before:
    // the notification box shows once they have.
    s.wait_css(&css("notification-settings")).await;
    s.fill("smtp-host", "127.0.0.1").await;
    s.fill("smtp-port", &server.addr.port().to_string()).await;
    s.wait_css(&css("smtp-security"))
        .await
        .select_by_value("plain")
        .await
        .unwrap();
    s.fill("smtp-from", "shop@example.jp").await;
    s.click("smtp-test").await;
    s.wait_css(&css("smtp-test-ok")).await;
    let tested = s.text_of(&css("smtp-test-tested")).await;
    assert!(
        tested.contains(&format!("127.0.0.1:{}", server.addr.port())),
        "{tested}"
    );
    show(&s, "smtp-test-result").await;
    s.screenshot("issue15-smtp-test").await;
    let saved = s.invoke("smtp_settings", json!({})).await;
    assert_eq!(saved["complete"], false, "{saved}");
    s.end().await;
}

/// Each settings form takes input only once the shop's saved values are in it (found in
/// review): drawn with empty boxes first, a save there wrote the empty boxes over the saved
/// values, and whatever was typed was overwritten when they landed. At the first frame each
/// form shows, its save button is locked or its box already holds the saved value.
#[tokio::test(flavor = "multi_thread")]
async fn settings_forms_take_input_only_once_the_saved_values_are_in_them() {
    let s = Session::start_demo().await.waiting(WAIT);
    s.wait_css(&css("demo-banner")).await;

    // Saved values the empty boxes cannot be mistaken for (the demo leaves these empty).
    let mut accounting = s.invoke("accounting_settings", json!({})).await;
    accounting["receivable"] = json!("売掛金(確認)");
    let accounting = s
        .invoke("save_accounting_settings", json!({ "input": accounting }))
        .await;
    let mut mapping = s.invoke("statement_mapping", json!({})).await;
    mapping["date_column"] = json!("取引日");
    let mapping = s
        .invoke("save_statement_mapping", json!({ "input": mapping }))
        .await;
    let smtp = s
        .invoke(
            "save_smtp_settings",
            json!({ "input": { "host": "smtp.invalid", "port": 587 } }),
        )
        .await;
    let order_mail = s
        .invoke(
            "mail_text",
            json!({ "kind": "shipping_notice", "language": "ja" }),
        )
        .await;

    // (the form, its save button, one of its boxes, the value saved for that box)
    let accounting = (
        "accounting",
        "accounting-save",
        "accounting-receivable",
        &accounting["receivable"],
    );
    let order_mail = (
        "order mail",
        "omail-template-save",
        "omail-template-subject",
        &order_mail["subject"],
    );
    let smtp = ("SMTP", "smtp-save", "smtp-host", &smtp["host"]);
    let mapping = (
        "statement mapping",
        "mapping-save",
        "mapping-date",
        &mapping["date_column"],
    );
    // Each (form, the clicks that show it): the Settings screen shows two.
    let screens = [
        (&[accounting, order_mail][..], &["nav-settings"][..]),
        (&[smtp], &["nav-subscriptions", "subs-tab-settings"]),
        (&[mapping], &["nav-sales"]),
    ];
    for (forms, clicks) in screens {
        for (name, save, input, saved) in forms {
            // Else the check below could not tell a form drawn empty from one drawn filled.
            assert!(
                saved.as_str().is_some_and(|v| !v.is_empty()),
                "{name}: {saved}"
            );
            let probe = format!(
                "({{ locked: el.disabled, value: document.querySelector({:?}).value }})",
                css(input)
            );
            s.watch_first_sight(name, &css(save), &probe).await;
        }
        for click in clicks {
            s.click(click).await;
        }
        for (name, _, _, saved) in forms {
            let first = s.first_sight(name).await;
            assert!(
                first["locked"] == true || first["value"] == **saved,
                "{name}: usable before its saved value was in it: {first}"
            );
        }
    }
    s.end().await;
}
