//! Start at login end to end (issue #9). On Linux tauri-plugin-autostart writes an XDG
//! autostart entry (`<config>/autostart/PayDesk.desktop`) whose `Exec` line starts the
//! app binary with `--minimized`; launched so, PayDesk starts in the tray and makes no
//! window (nor WebKit's processes) until the shop owner opens it (tray, or launching it
//! again).
//!
//! The app runs with a private `HOME` and `XDG_CONFIG_HOME`, so the test never touches the
//! autostart folder of the machine's user. (The plugin, through the `auto-launch` crate,
//! writes under `$HOME/.config/autostart` and ignores `XDG_CONFIG_HOME`; both point at the
//! same private folder here, so the test holds whichever the plugin uses.)

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::json;

use crate::driver::Session;
use crate::e2e_tray::{app_pid, children_named, web_processes};
use crate::screen::{css, unique};

const WAIT: Duration = Duration::from_secs(30);

/// The `.desktop` files in the autostart folder (none when it does not exist).
fn autostart_entries(dir: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "desktop"))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Clicks the "start at login" box and waits until the backend confirmed the save.
async fn toggle_start_at_login(s: &Session) {
    let section = css("notification-settings");
    let saves: u32 = s.attr_of(&section, "data-saves").await.parse().unwrap();
    s.click("notify-start-at-login").await;
    s.wait_css(&format!("{section}[data-saves='{}']", saves + 1))
        .await;
}

/// Turning "start at login" on writes the autostart entry that launches this binary with
/// `--minimized`; turning it off removes it.
#[tokio::test(flavor = "multi_thread")]
async fn start_at_login_writes_and_removes_the_xdg_autostart_entry() {
    let home = std::env::temp_dir().join(unique("paydesk-e2e-home-"));
    let config = home.join(".config");
    std::fs::create_dir_all(&config).unwrap();
    let autostart = config.join("autostart");
    let s = Session::start_with_args(
        &[
            ("HOME", home.to_str().unwrap()),
            ("XDG_CONFIG_HOME", config.to_str().unwrap()),
        ],
        &[],
    )
    .await
    .waiting(WAIT);

    s.click("nav-subscriptions").await;
    s.click("subs-tab-settings").await;
    let checkbox = s.wait_css(&css("notify-start-at-login")).await;
    assert!(
        !checkbox.is_selected().await.unwrap(),
        "off on a fresh install"
    );
    assert!(autostart_entries(&autostart).is_empty());

    toggle_start_at_login(&s).await;
    let entries = autostart_entries(&autostart);
    assert_eq!(entries.len(), 1, "one autostart entry: {entries:?}");
    let entry = std::fs::read_to_string(&entries[0]).unwrap();
    assert!(entry.starts_with("[Desktop Entry]"), "{entry}");
    let exec = entry
        .lines()
        .find_map(|l| l.strip_prefix("Exec="))
        .unwrap_or_else(|| panic!("no Exec line: {entry}"));
    let mut words = exec.split_whitespace();
    let program = PathBuf::from(words.next().unwrap());
    let app = Path::new(env!("CARGO_BIN_EXE_paydesk"));
    assert_eq!(
        program.canonicalize().unwrap(),
        app.canonicalize().unwrap(),
        "{exec}"
    );
    assert_eq!(words.collect::<Vec<_>>(), ["--minimized"], "{exec}");
    let prefs = s.invoke("notification_preferences", json!({})).await;
    assert_eq!(prefs["start_at_login"], true, "{prefs}");
    s.screenshot("start-at-login").await;

    // The app moved after the setting was made (issue 17: macOS's login item must survive
    // moving the app): the entry names the old place; the next launch writes it again.
    let data_dir = s.end_keeping_data().await;
    std::fs::write(
        &entries[0],
        entry.replace(exec, "/Applications/Old Place/paydesk --minimized"),
    )
    .unwrap();
    let s = Session::start_in(
        data_dir,
        &[
            ("HOME", home.to_str().unwrap()),
            ("XDG_CONFIG_HOME", config.to_str().unwrap()),
        ],
        &[],
    )
    .await
    .waiting(WAIT);
    s.wait_css(&css("sidebar")).await;
    let rewritten = || {
        let now = std::fs::read_to_string(&entries[0]).unwrap_or_default();
        now.lines()
            .find_map(|l| l.strip_prefix("Exec="))
            .and_then(|e| e.split_whitespace().next().map(PathBuf::from))
            .and_then(|p| p.canonicalize().ok())
    };
    let deadline = std::time::Instant::now() + WAIT;
    while rewritten() != app.canonicalize().ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "the entry still names the old place: {:?}",
            std::fs::read_to_string(&entries[0])
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    s.click("nav-subscriptions").await;
    s.click("subs-tab-settings").await;
    s.wait_css(&css("notify-start-at-login")).await;

    toggle_start_at_login(&s).await;
    assert!(
        autostart_entries(&autostart).is_empty(),
        "the entry is removed"
    );
    let prefs = s.invoke("notification_preferences", json!({})).await;
    assert_eq!(prefs["start_at_login"], false, "{prefs}");

    s.end().await;
    let _ = std::fs::remove_dir_all(&home);
}

/// Whether the X server has a mapped window with PayDesk's title.
async fn window_mapped() -> bool {
    tokio::process::Command::new("xdotool")
        .args(["search", "--onlyvisible", "--name", "^PayDesk$"])
        .stdout(Stdio::null())
        .status()
        .await
        .expect("xdotool is installed by `cargo xtask setup`")
        .success()
}

/// Whether the main window is shown, three ways: Tauri's own view, the web page's
/// visibility, and whether the X server has a mapped window with PayDesk's title.
async fn window_shown(s: &Session) -> (bool, String, bool) {
    let tauri = s
        .client
        .execute_async(
            "const done = arguments[0];
             window.__TAURI__.window.getCurrentWindow().isVisible().then(done, (e) => done(String(e)));",
            vec![],
        )
        .await
        .unwrap();
    let page = s
        .client
        .execute("return document.visibilityState;", vec![])
        .await
        .unwrap();
    let mapped = window_mapped().await;
    (
        tauri
            .as_bool()
            .unwrap_or_else(|| panic!("isVisible: {tauri}")),
        page.as_str().unwrap().to_owned(),
        mapped,
    )
}

/// Launched with `--minimized` (what the autostart entry runs) PayDesk starts in the tray
/// and makes no window, so nothing of WebKit runs (issue 22): the core opens with no web
/// or network process beside it. Launching PayDesk again makes the window, shown.
#[tokio::test(flavor = "multi_thread")]
async fn launched_at_login_the_app_starts_in_the_tray_without_a_window() {
    // For comparison, the ordinary launch shows its window.
    let s = Session::start().await.waiting(WAIT);
    assert_eq!(window_shown(&s).await, (true, "visible".into(), true));
    s.end().await;

    let login = Session::start_at_login().await;
    // The core is up: its log says the desk opened.
    let log = login.data_dir.join("logs/paydesk.log");
    let deadline = tokio::time::Instant::now() + WAIT;
    while !std::fs::read_to_string(&log).is_ok_and(|l| l.contains("desk open")) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the desk did not open at login"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let found = crate::driver::app_pids(&login.data_dir);
    assert_eq!(found.len(), 1, "one app process: {found:?}");
    let app = found[0];
    assert!(
        children_named(app, "WebKit").is_empty(),
        "no WebKit process at login"
    );
    assert!(
        !window_mapped().await,
        "no PayDesk window on the screen at login"
    );

    // A second launch makes the window in the running app, then exits.
    let mut second = tokio::process::Command::new(env!("CARGO_BIN_EXE_paydesk"))
        .env("PAYDESK_DATA_DIR", &login.data_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let exited = tokio::time::timeout(WAIT, second.wait()).await;
    assert!(
        exited.is_ok(),
        "the second launch should hand over and exit"
    );
    let s = login.session().await.waiting(WAIT);
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let shown = window_shown(&s).await;
        if shown.0 && shown.2 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the window was not brought forward: {shown:?}"
        );
        // Wait for the page to become visible (at most a second, then look again) rather
        // than a fixed time; a hidden page gets no animation frames to wait on.
        s.client
            .execute_async(
                "const done = arguments[0];
                 if (document.visibilityState === 'visible') { done(); return; }
                 document.addEventListener('visibilitychange', () => done(), { once: true });
                 setTimeout(done, 1000);",
                vec![],
            )
            .await
            .unwrap();
    }
    assert_eq!(web_processes(app).len(), 1, "the window's web process");
    assert_eq!(app_pid(&s), app, "the same app process");
    s.end().await;
}
