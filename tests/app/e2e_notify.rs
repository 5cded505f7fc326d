//! Desktop notifications end to end (issues #8 and #9): the real app in demo mode calls the
//! freedesktop notification service on the session bus (watched with `dbus-monitor`), a real
//! notification server (dunst) shows the notification, the test clicks it the way dunst
//! does for a user (`dunstctl action 0` invokes the notification's `default` action), and
//! the app opens the matching screen: a failed renewal's order, or a bulk-capture run that
//! finished while the window was closed to the tray. A notification nobody clicked opens
//! its screen when PayDesk is launched again (Windows' Action Center does that).
//!
//! Layout: [`NotificationServer`] runs dunst for one test at a time with a configuration
//! that raises the notification the test clicks to the top of the stack; [`Bus`] reads the
//! app's `Notify` calls from `dbus-monitor`; the tests follow.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};
use tokio::sync::OwnedMutexGuard;

use crate::control::Control;
use crate::driver::Session;
use crate::e2e_tray::{app_pid, close_window};
use crate::screen::{css, unique};

/// The demo generates its world, syncs, and runs the catch-up renewals before the screen
/// has anything to show.
const WAIT: Duration = Duration::from_secs(90);

/// The titles of the notifications the tests click (the UI starts in Japanese).
pub const RENEWAL_FAILED: &str = "継続決済が失敗しました";
const BULK_FINISHED: &str = "売上確定一括処理が終わりました";

/// dunst, the notification server of a desktop session, started by the test (a D-Bus
/// activated one would not know the test's display). It runs in the session turn
/// (`driver::take_turn`), taken before it starts and handed to the one app it serves
/// ([`NotificationServer::start_demo`]): an app of another test running meanwhile would
/// notify into it, and its older notification on top of the stack would take the test's
/// click, which dunst then sends to that app's bus connection, not to this one's.
pub struct NotificationServer {
    dunst: Child,
    config: PathBuf,
    turn: Option<OwnedMutexGuard<()>>,
}

impl NotificationServer {
    /// Starts dunst with notifications that never expire, and those titled `clicked` raised
    /// to critical urgency: dunst stacks by urgency, then oldest first, so the oldest of
    /// them is the notification `dunstctl action 0` clicks.
    pub async fn start(clicked: &str) -> NotificationServer {
        let turn = crate::driver::take_turn().await;
        let config = std::env::temp_dir().join(format!("{}.dunstrc", unique("paydesk-e2e-")));
        std::fs::write(
            &config,
            format!(
                "[global]\n    sort = yes\n    notification_limit = 0\n\
                 [urgency_low]\n    timeout = 0\n\
                 [urgency_normal]\n    timeout = 0\n\
                 [urgency_critical]\n    timeout = 0\n\
                 [clicked]\n    summary = \"{clicked}\"\n    urgency = critical\n"
            ),
        )
        .unwrap();
        let spawn = || {
            Command::new("dunst")
                .arg("-config")
                .arg(&config)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("dunst is installed by `cargo xtask setup`")
        };
        let mut dunst = spawn();
        // Ready once it owns the bus name. Another app's notification may make the bus
        // start a server of its own at that moment (D-Bus activation); that one exits at
        // once, as the bus does not know the test's display, but it may take the name
        // first, and ours then exits: start ours again.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            if dunst.try_wait().unwrap().is_some() {
                dunst = spawn();
            } else if notification_server_pid().await == dunst.id() {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "dunst did not take the notification service's bus name"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        NotificationServer {
            dunst,
            config,
            turn: Some(turn),
        }
    }

    /// The demo app (with `args`), in this server's turn: the only app it hears from.
    pub async fn start_demo(&mut self, args: &[&str]) -> Session {
        let turn = self.turn.take().expect("one app per notification server");
        Session::start_in_turn(turn, &[("PAYDESK_DEMO", "1")], args).await
    }

    /// Clicks the notification on top of the stack: dunst invokes its `default` action,
    /// as a click on a notification does on GNOME or KDE.
    pub async fn click_top(&self) {
        assert!(
            dunstctl(&["action", "0"]).await.is_some(),
            "dunstctl action 0 failed"
        );
    }

    pub async fn stop(mut self) {
        let _ = self.dunst.kill().await;
        let _ = std::fs::remove_file(&self.config);
    }
}

/// The process that owns the notification service's bus name, if any (asking the bus
/// itself: a call to the service would make the bus start one).
async fn notification_server_pid() -> Option<u32> {
    let out = Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply=literal",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.GetConnectionUnixProcessID",
            "string:org.freedesktop.Notifications",
        ])
        .stderr(Stdio::null())
        .output()
        .await
        .expect("dbus-send comes with D-Bus");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .last()?
        .parse()
        .ok()
}

/// Runs `dunstctl`; its output when it succeeded.
async fn dunstctl(args: &[&str]) -> Option<String> {
    let out = Command::new("dunstctl")
        .args(args)
        .stderr(Stdio::null())
        .output()
        .await
        .expect("dunstctl comes with dunst");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The calls to the notification service on the session bus, as `dbus-monitor` prints them.
pub struct Bus {
    monitor: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Bus {
    /// Starts watching (before the app starts, so no call is missed).
    pub fn watch() -> Bus {
        let mut monitor = Command::new("dbus-monitor")
            .arg("interface='org.freedesktop.Notifications'")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("dbus-monitor");
        let lines = BufReader::new(monitor.stdout.take().unwrap()).lines();
        Bus { monitor, lines }
    }

    /// Waits for the next `Notify` call titled `summary`; returns the first line of its
    /// body. A call's arguments print as `string "…"` lines: the app's name, the icon, the
    /// summary, the body, then the actions and hints.
    pub async fn notified(&mut self, summary: &str) -> String {
        let found = tokio::time::timeout(WAIT, async {
            let mut strings: Option<Vec<String>> = None;
            while let Ok(Some(line)) = self.lines.next_line().await {
                if line.starts_with("method call") || line.starts_with("signal") {
                    strings = line.contains("member=Notify").then(Vec::new);
                } else if let Some(s) = strings.as_mut()
                    && let Some(text) = line.trim_start().strip_prefix("string \"")
                {
                    s.push(text.strip_suffix('"').unwrap_or(text).to_owned());
                    if s.len() == 4 {
                        if s[2] == summary {
                            return Some(s[3].clone());
                        }
                        strings = None;
                    }
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(body)) => body,
            _ => panic!("no Notify call titled {summary}"),
        }
    }

    pub async fn stop(mut self) {
        let _ = self.monitor.kill().await;
    }
}

/// Whether the app's window shows.
async fn window_visible(s: &Session) -> bool {
    s.client
        .execute_async(
            "const done = arguments[0];
             window.__TAURI__.window.getCurrentWindow().isVisible().then(done, () => done(null));",
            vec![],
        )
        .await
        .unwrap()
        .as_bool()
        .expect("the window's visibility")
}

/// Waits until the UI listens for reported clicks. (A click before then is kept by the
/// shell until the UI takes it, see `notificationClicks.test.ts`; waiting here also gives
/// the plugin time to track the notification, which a human's click always does: a click
/// within milliseconds of the `Notify` call can come before the plugin knows its id.)
async fn clicks_reach_the_ui(s: &Session) {
    s.wait_css("[data-notification-clicks='ready']").await;
}

/// A failed renewal is notified at once on the desktop (the freedesktop `Notify` call,
/// titled in the UI's language); clicking the notification opens that renewal's order with
/// its failed-renewal panel, from wherever the UI was.
#[tokio::test(flavor = "multi_thread")]
async fn clicking_a_failed_renewal_notification_opens_its_order() {
    let mut server = NotificationServer::start(RENEWAL_FAILED).await;
    let mut bus = Bus::watch();
    let s = server.start_demo(&[]).await.waiting(WAIT);
    // The demo's catch-up renewals fail for expired cards; the first one notified is the
    // top of dunst's stack.
    let body = bus.notified(RENEWAL_FAILED).await;
    let buyer = body
        .split(" 様")
        .next()
        .filter(|name| name.len() < body.len())
        .unwrap_or_else(|| panic!("a failed renewal names its buyer: {body}"))
        .to_owned();

    // Somewhere else first, so the click has to move the UI.
    s.click("nav-bulkCapture").await;
    s.click("nav-home").await;
    s.wait_css(&css("screen-home")).await;
    clicks_reach_the_ui(&s).await;
    server.click_top().await;

    s.wait_css(&css("failed-renewal")).await;
    assert_eq!(s.text_of(&css("failed-renewal-error-code")).await, "P010");
    assert_eq!(s.text_of(&css("buyer-name")).await, buyer);
    assert!(window_visible(&s).await);
    s.screenshot("notification-failed-renewal").await;

    s.end().await;
    bus.stop().await;
    server.stop().await;
}

/// A bulk-capture run that finishes while the window is closed to the tray is notified;
/// clicking the notification makes the window again on the bulk screen with that run's
/// detailed log.
#[tokio::test(flavor = "multi_thread")]
async fn clicking_a_bulk_capture_notification_shows_the_finished_run() {
    let mut server = NotificationServer::start(BULK_FINISHED).await;
    let mut bus = Bus::watch();
    let s = server.start_demo(&[]).await.waiting(WAIT);
    let (run_id, order_id) = bulk_run_with_the_window_closed(&s).await;
    let body = bus.notified(BULK_FINISHED).await;
    assert!(
        !body.is_empty(),
        "the notification carries the run's summary"
    );

    server.click_top().await;
    s.follow_new_window().await;
    let detail = format!("[data-testid='bulk-detail'][data-run-id='{run_id}']");
    s.wait_css(&detail).await;
    assert!(window_visible(&s).await, "the click shows the window");
    let item = s
        .wait_css(&format!(
            "{detail} [data-testid='bulk-item'][data-order-id='{order_id}']"
        ))
        .await;
    assert_eq!(
        item.attr("data-status").await.unwrap().as_deref(),
        Some("succeeded")
    );
    assert_eq!(s.text_of(&css("bulk-detail-summary")).await, body);
    s.screenshot("notification-bulk-run").await;

    s.end().await;
    bus.stop().await;
    server.stop().await;
}

/// A notification nobody clicked (on Windows, a click in the Action Center starts PayDesk
/// again instead of being reported): launching PayDesk again shows the window on that
/// notification's screen, once. Merely coming back to the window never moves the screen,
/// so a shop owner in the middle of something is not carried off.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_launch_opens_the_screen_of_a_notification_nobody_clicked() {
    let mut server = NotificationServer::start(BULK_FINISHED).await;
    let mut bus = Bus::watch();
    let s = server.start_demo(&[]).await.waiting(WAIT);
    // The demo's own notifications (failed renewals, the card digest) off: the bulk run's
    // is then the last one shown.
    s.invoke(
        "save_notification_preferences",
        json!({"preferences": {"renewal_failed": false, "card_digest": false, "capture_deadline": false, "start_at_login": false}}),
    )
    .await;
    let (run_id, _) = bulk_run_with_the_window_closed(&s).await;
    bus.notified(BULK_FINISHED).await;

    // PayDesk started again, as Windows does for a click in the Action Center.
    launch_again(&s).await;
    s.follow_new_window().await;
    s.wait_css(&format!(
        "[data-testid='bulk-detail'][data-run-id='{run_id}']"
    ))
    .await;
    assert!(
        window_visible(&s).await,
        "the second launch shows the window"
    );

    // The window gets focus (the shop owner switches back to it): the screen stays.
    s.click("nav-home").await;
    s.wait_css(&css("screen-home")).await;
    clicks_reach_the_ui(&s).await;
    s.client
        .execute("window.dispatchEvent(new Event('focus'));", vec![])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    s.wait_css(&css("screen-home")).await;

    // Once: a third launch leaves the screen the shop owner went to.
    launch_again(&s).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    s.wait_css(&css("screen-home")).await;

    s.end().await;
    bus.stop().await;
    server.stop().await;
}

/// Starts the app binary once more while the session's app runs: it hands over to the
/// running one (single instance) and exits.
pub async fn launch_again(s: &Session) {
    let launched = Command::new(env!("CARGO_BIN_EXE_paydesk"))
        .env("PAYDESK_DATA_DIR", &s.shop_data_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .expect("launch PayDesk again");
    assert!(launched.success(), "a second launch hands over and exits");
}

/// A buyer pays by card (authorize only), the order arrives by notification, and a bulk
/// capture of it starts; the window is closed to the tray while the gateway takes its time
/// (8 s), so the run finishes with no window. Returns the run and the order.
async fn bulk_run_with_the_window_closed(s: &Session) -> (i64, i64) {
    let status = s
        .until("the demo did not start", WAIT, async || {
            let status = s.invoke("demo_status", json!({})).await;
            status["control_url"].is_string().then_some(status)
        })
        .await;
    let control = Control::new(status["control_url"].as_str().unwrap());
    let trading_id = unique("E2EN");
    let paid = control
        .post(
            "/control/checkouts/card",
            json!({
                "merchant_id": status["merchant_id"],
                "trading_id": trading_id,
                "amount": 2480,
                "card_number": "4900000000000000",
                "expiry": "1239",
                "capture_mode": "authorize_only",
                "three_d_secure": false,
            }),
        )
        .await;
    assert_eq!(paid["status"], "20", "{paid}");
    let order_id = s
        .until("the order did not arrive", WAIT, async || {
            let page = s
                .invoke(
                    "bulk_unprocessed",
                    json!({"query": {"search": trading_id, "selectable_only": true}}),
                )
                .await;
            page["items"]
                .as_array()
                .and_then(|items| items.first())
                .and_then(|row| row["order"]["id"].as_i64())
        })
        .await;
    control
        .post(
            "/control/faults",
            json!({"telegram_kind": "022", "fault": {"latency_ms": 8000}, "times": 1}),
        )
        .await;
    let run = s
        .invoke("bulk_start", json!({"orderIds": [order_id]}))
        .await;
    let run_id = run["summary"]["run_id"].as_i64().expect("the run's id");
    close_window(s, app_pid(s)).await;
    (run_id, order_id)
}
