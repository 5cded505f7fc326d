use std::time::Duration;

use fantoccini::Locator;

use crate::driver::Session;
use crate::screen::css;

const WAIT: Duration = Duration::from_secs(15);

/// The real app opens on the Japanese home screen, switches to English and back, and
/// navigates to every screen; screenshots of both languages are saved.
#[tokio::test(flavor = "multi_thread")]
async fn home_screen_opens_in_japanese_and_switches_to_english() {
    let s = Session::start().await.waiting(WAIT);

    assert_eq!(s.text_of(&css("home-title")).await, "ホーム");
    assert_eq!(s.text_of(&css("nav-orders")).await, "受注");
    // The keychain card reports the real Secret Service of the test session.
    s.client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid='card-keychain'] .status-ok"))
        .await
        .expect("the keychain is reported available");
    let version = s.text_of(&css("app-version")).await;
    assert!(version.contains("jp.paydesk.desk.test"), "{version}");
    s.screenshot("home-ja").await;

    s.click("language-switch").await;
    assert_eq!(s.text_of(&css("home-title")).await, "Home");
    assert_eq!(s.text_of(&css("nav-bulkCapture")).await, "Bulk capture");
    s.screenshot("home-en").await;

    for screen in ["orders", "bulkCapture", "subscriptions", "settings", "home"] {
        s.click(&format!("nav-{screen}")).await;
        s.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(&format!("[data-testid='screen-{screen}']")))
            .await
            .unwrap_or_else(|e| panic!("screen {screen} did not open: {e}"));
    }

    s.click("language-switch").await;
    assert_eq!(s.text_of(&css("home-title")).await, "ホーム");
    s.end().await;
}

/// The page gets only what it needs: PayDesk's own commands and the file dialogs. The
/// notification and start-at-login plugins are driven by the backend, so a page (which
/// shows buyer names and storefront data) cannot call them itself.
#[tokio::test(flavor = "multi_thread")]
async fn the_page_cannot_call_the_notification_or_autostart_plugins() {
    let s = Session::start().await.waiting(WAIT);
    for command in [
        "plugin:notification|is_permission_granted",
        "plugin:notification|notify",
        "plugin:autostart|enable",
        "plugin:autostart|is_enabled",
    ] {
        let answer = s
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 window.__TAURI_INTERNALS__.invoke(arguments[0], {}).then(
                   (v) => done({ ok: v ?? null }), (e) => done({ err: String(e) }));",
                vec![serde_json::json!(command)],
            )
            .await
            .expect("invoke");
        let refused = answer["err"].as_str().unwrap_or_default();
        assert!(refused.contains("not allowed"), "{command}: {answer}");
    }
    // Its own commands still work.
    assert!(
        s.invoke("app_info", serde_json::json!({}))
            .await
            .is_object()
    );
    s.end().await;
}
