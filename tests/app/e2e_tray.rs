//! Light in the tray (issue 22) end to end: closing the window destroys it, so WebKit's
//! web process for it ends, while the app goes on in the tray: the core syncs (a payment
//! made meanwhile reaches PayDesk's database) and renews (subscriptions come due when the
//! demo's clock moves), with no window. Opening PayDesk again (a second launch, or a click
//! on a notification) makes a new window on the screen asked for.
//!
//! Layout: the app's process and its WebKit children are found in `/proc`; what the core
//! did while the window was gone is read from its SQLite file (read-only, as a second
//! reader beside the app) and from the simulator; `Session::follow_new_window` points the
//! WebDriver session at the window made after the close.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;

use crate::control::Control;
use crate::driver::Session;
use crate::e2e_notify::{Bus, NotificationServer, RENEWAL_FAILED, launch_again};
use crate::screen::{css, unique};

/// The demo generates its world, syncs and runs its catch-up renewals first; renewals
/// after a clock move wait for the scheduler's next look (at most a minute).
const WAIT: Duration = Duration::from_secs(120);

/// The app process of this session.
pub(crate) fn app_pid(s: &Session) -> u32 {
    let found = crate::driver::app_pids(&s.shop_data_dir);
    assert_eq!(
        found.len(),
        1,
        "one app process for this session: {found:?}"
    );
    found[0]
}

fn pids() -> impl Iterator<Item = u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
}

pub(crate) fn alive(pid: u32) -> bool {
    // A zombie has ended; only its exit status is left for its parent.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit(") ")
            .next()
            .is_some_and(|rest| !rest.starts_with('Z'))
    })
}

/// The app's WebKit web processes (the page's renderer), by their command names.
pub(crate) fn web_processes(app: u32) -> Vec<u32> {
    children_named(app, "WebKitWebProces")
}

/// The app's living children whose command name starts with `prefix` (WebKit's helpers:
/// `WebKitWebProces`, `WebKitNetworkPr`).
pub(crate) fn children_named(app: u32, prefix: &str) -> Vec<u32> {
    pids()
        .filter(|pid| alive(*pid))
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let parent = stat
                .rsplit(") ")
                .next()
                .and_then(|rest| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            parent == Some(app) && name.starts_with(prefix)
        })
        .collect()
}

/// Polls `check` (every 100 ms, at most `patience`) until it holds.
async fn eventually(what: &str, patience: Duration, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + patience;
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One figure from the app's database, read as a second reader beside the app.
fn count(db: &Path, sql: &str, param: &str) -> i64 {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    let params: Vec<&dyn rusqlite::ToSql> = if sql.contains('?') {
        vec![&param]
    } else {
        vec![]
    };
    conn.query_row(sql, params.as_slice(), |r| r.get(0))
        .unwrap()
}

/// Closes the window as its title bar's close button does (a close request, then the
/// window is destroyed); returns once the app's web process has ended.
pub(crate) async fn close_window(s: &Session, app: u32) {
    assert!(
        !web_processes(app).is_empty(),
        "a web process while the window is open"
    );
    // The page asks for its own close: the same `CloseRequested` as the title bar's button.
    // Its answer never comes, as the page is gone.
    let _ = tokio::time::timeout(
        Duration::from_secs(5),
        s.client.execute(
            "window.__TAURI__.window.getCurrentWindow().close(); return true;",
            vec![],
        ),
    )
    .await;
    eventually("the web process did not end after the close", WAIT, || {
        web_processes(app).is_empty()
    })
    .await;
    assert!(alive(app), "the app goes on in the tray");
}

/// While no window exists the core syncs and renews: a card payment made at the gateway
/// reaches PayDesk's database through the relay, and moving the demo's clock a month on
/// renews the subscriptions. A second launch then makes a new window on the screen that
/// was left (the bulk-capture screen), with its web process back, in the same process.
#[tokio::test(flavor = "multi_thread")]
async fn with_the_window_closed_the_core_keeps_syncing_and_renewing() {
    let s = Session::start_demo().await.waiting(WAIT);
    let status = s
        .until("the demo did not start", WAIT, async || {
            let status = s.invoke("demo_status", json!({})).await;
            status["control_url"].is_string().then_some(status)
        })
        .await;
    let control = Control::new(status["control_url"].as_str().unwrap());
    let db: PathBuf = s.data_dir.join("paydesk.sqlite3");
    let decided =
        "SELECT count(*) FROM subscription_cycles WHERE state IN ('authorized', 'failed')";
    // No notifications: a second launch would open the screen of the last one shown
    // (Windows' Action Center; `e2e_notify`), and this test reopens on the screen left.
    s.invoke(
        "save_notification_preferences",
        json!({"preferences": {"renewal_failed": false, "card_digest": false, "capture_deadline": false, "start_at_login": false}}),
    )
    .await;
    s.wait_css(&css("screen-home")).await;
    // One launch takes the screen of a notification shown before they were turned off.
    launch_again(&s).await;
    s.click("nav-bulkCapture").await;
    s.wait_css(&css("screen-bulkCapture")).await;

    let app = app_pid(&s);
    close_window(&s, app).await;
    let renewed_before = count(&db, decided, "");

    // A buyer pays while the window is gone: the relay pushes it, sync takes it in.
    let trading_id = unique("E2ET");
    let paid = control
        .post(
            "/control/checkouts/card",
            json!({
                "merchant_id": status["merchant_id"],
                "trading_id": trading_id,
                "amount": 3300,
                "card_number": "4900000000000000",
                "expiry": "1239",
                "capture_mode": "authorize_only",
                "three_d_secure": false,
            }),
        )
        .await;
    assert_eq!(paid["status"], "20", "{paid}");
    let synced = "SELECT count(*) FROM orders WHERE order_number = ?";
    eventually(
        "the payment did not reach PayDesk with the window closed",
        WAIT,
        || count(&db, synced, &trading_id) == 1,
    )
    .await;

    // A month passes on the demo's clock: every subscription comes due and is renewed.
    control
        .post("/control/clock/advance", json!({"days": 32}))
        .await;
    eventually("no renewal ran with the window closed", WAIT, || {
        count(&db, decided, "") > renewed_before
    })
    .await;
    assert!(web_processes(app).is_empty(), "still no web process");
    assert!(alive(app));

    // PayDesk launched again: a new window, on the screen that was left.
    launch_again(&s).await;
    s.follow_new_window().await;
    s.wait_css(&css("screen-bulkCapture")).await;
    assert_eq!(web_processes(app).len(), 1, "the new window's web process");
    assert_eq!(app_pid(&s), app, "the same app process");
    s.screenshot("tray-reopened-bulk-capture").await;
    s.end().await;
}

/// A failed renewal notified before the window was closed: clicking it after the close
/// makes a new window that opens on that renewal's order, first thing.
#[tokio::test(flavor = "multi_thread")]
async fn a_notification_click_with_the_window_closed_opens_its_screen() {
    let mut server = NotificationServer::start(RENEWAL_FAILED).await;
    let mut bus = Bus::watch();
    let s = server.start_demo(&[]).await.waiting(WAIT);
    let body = bus.notified(RENEWAL_FAILED).await;
    let buyer = body
        .split(" 様")
        .next()
        .filter(|name| name.len() < body.len())
        .unwrap_or_else(|| panic!("a failed renewal names its buyer: {body}"))
        .to_owned();
    s.wait_css(&css("screen-home")).await;
    s.wait_css("[data-notification-clicks='ready']").await;

    let app = app_pid(&s);
    close_window(&s, app).await;
    server.click_top().await;

    s.follow_new_window().await;
    s.wait_css(&css("failed-renewal")).await;
    assert_eq!(s.text_of(&css("failed-renewal-error-code")).await, "P010");
    assert_eq!(s.text_of(&css("buyer-name")).await, buyer);
    assert_eq!(web_processes(app).len(), 1, "the new window's web process");
    s.screenshot("tray-reopened-by-notification").await;

    s.end().await;
    bus.stop().await;
    server.stop().await;
}

/// As a shop runs it, without WebDriver (WebKit ends an automation session when the
/// network process ends, so under WebDriver the app keeps it): closing the window ends
/// all of WebKit once things are quiet, the network process too, and opening from the
/// tray makes a window whose page loads and shows its first screen, with WebKit's
/// processes started again. The app is driven through its benchmark hook (`close` and
/// `open` on standard input: the title bar's close and the tray's "Open").
#[tokio::test(flavor = "multi_thread")]
async fn without_webdriver_closing_ends_all_of_webkit_and_opening_brings_it_back() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let _turn = crate::driver::take_turn().await;
    let data_dir = crate::driver::fresh_data_dir();
    let mut app = tokio::process::Command::new(env!("CARGO_BIN_EXE_paydesk"))
        .env("PAYDESK_DATA_DIR", &data_dir)
        .env("PAYDESK_BENCH_STARTUP", "1")
        .env_remove("TAURI_WEBVIEW_AUTOMATION")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = app.stdin.take().unwrap();
    let mut lines = BufReader::new(app.stdout.take().unwrap()).lines();
    // The benchmark's figures come on standard output, one `METRIC` line each.
    let mut metric = async |name: &str| {
        let wanted = format!("METRIC\t{name}\t");
        tokio::time::timeout(WAIT, async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if line.starts_with(&wanted) {
                    return;
                }
            }
            panic!("the app ended before reporting {name}");
        })
        .await
        .unwrap_or_else(|_| panic!("no {name} within {WAIT:?}"));
    };
    metric("app cold start to first screen").await;
    let pid = app.id().unwrap();
    assert!(!web_processes(pid).is_empty(), "the window's web process");
    assert!(
        !children_named(pid, "WebKitNetworkPr").is_empty(),
        "WebKit's network process"
    );

    stdin.write_all(b"close\n").await.unwrap();
    eventually(
        "WebKit's processes did not all end after the close",
        WAIT,
        || children_named(pid, "WebKit").is_empty(),
    )
    .await;
    assert!(alive(pid), "the app goes on in the tray");

    stdin.write_all(b"open\n").await.unwrap();
    metric(paydesk_app::WINDOW_OPENED_METRIC).await;
    assert_eq!(web_processes(pid).len(), 1, "the new window's web process");
    assert!(
        !children_named(pid, "WebKitNetworkPr").is_empty(),
        "a new network process"
    );
    drop(stdin);
    crate::driver::stop_app(&data_dir);
    let _ = app.wait().await;
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// With the window open, once its first screen has settled the app gives back what
/// starting left (the heap's free pages, the clean pages of the code that ran), and the
/// window goes on working: the code it runs next is mapped again as it runs.
#[tokio::test(flavor = "multi_thread")]
async fn with_the_window_open_the_start_ups_memory_is_given_back_and_the_window_works_on() {
    let s = Session::start_demo().await.waiting(WAIT);
    s.wait_css(&css("demo-banner")).await;
    s.wait_css("main[data-testid='screen-home']").await;
    let log = s.data_dir.join("logs/paydesk.log");
    let given_back = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .find(|l| l.contains("memory given back (first screen settled)"))
            .map(str::to_owned)
    };
    eventually(
        "nothing was given back after the first screen",
        WAIT,
        || given_back().is_some(),
    )
    .await;
    let line = given_back().unwrap();
    let released: u64 = line
        .split("file_kib_released=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(released > 0, "{line}");

    s.click("nav-orders").await;
    s.open_first_order().await;
    s.wait_css(&css("detail-back")).await;
    s.end().await;
}
