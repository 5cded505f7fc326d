use std::time::Duration;

use fantoccini::Locator;

use crate::driver::Session;

const WAIT: Duration = Duration::from_secs(15);

async fn text_of(s: &Session, testid: &str) -> String {
    s.client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(&format!("[data-testid='{testid}']")))
        .await
        .unwrap_or_else(|e| panic!("no element {testid}: {e}"))
        .text()
        .await
        .unwrap()
}

async fn click(s: &Session, testid: &str) {
    s.client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(&format!("[data-testid='{testid}']")))
        .await
        .unwrap_or_else(|e| panic!("no element {testid}: {e}"))
        .click()
        .await
        .unwrap();
}

/// The real app opens on the Japanese home screen, switches to English and back, and
/// navigates to every screen; screenshots of both languages are saved.
#[tokio::test(flavor = "multi_thread")]
async fn home_screen_opens_in_japanese_and_switches_to_english() {
    let s = Session::start().await;

    assert_eq!(text_of(&s, "home-title").await, "ホーム");
    assert_eq!(text_of(&s, "nav-orders").await, "受注");
    // The keychain card reports the real Secret Service of the test session.
    s.client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid='card-keychain'] .status-ok"))
        .await
        .expect("the keychain is reported available");
    let version = text_of(&s, "app-version").await;
    assert!(version.contains("jp.paydesk.app.test"), "{version}");
    s.screenshot("home-ja").await;

    click(&s, "language-switch").await;
    assert_eq!(text_of(&s, "home-title").await, "Home");
    assert_eq!(text_of(&s, "nav-bulkCapture").await, "Bulk capture");
    s.screenshot("home-en").await;

    for screen in ["orders", "bulkCapture", "subscriptions", "settings", "home"] {
        click(&s, &format!("nav-{screen}")).await;
        s.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(&format!("[data-testid='screen-{screen}']")))
            .await
            .unwrap_or_else(|e| panic!("screen {screen} did not open: {e}"));
    }

    click(&s, "language-switch").await;
    assert_eq!(text_of(&s, "home-title").await, "ホーム");
    s.end().await;
}
