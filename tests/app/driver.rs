//! Starts tauri-driver (which starts WebKitWebDriver) and opens a WebDriver session on the
//! app binary Cargo built for this test run.
//!
//! Every session gets its own data directory (`PAYDESK_DATA_DIR`), so tests never share a
//! database; the app inherits the environment of tauri-driver, which is how the demo
//! (`PAYDESK_DEMO=1`) is switched on for one session only.
//!
//! Sessions take turns: the app is single-instance (a second launch only brings the first
//! window forward and exits), so two apps of one test run cannot be open at once. A
//! session holds the turn until it ends or is dropped (also when its test panics).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use std::sync::{Arc, LazyLock};

use fantoccini::{Client, ClientBuilder};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// One app at a time (see the module docs). A tokio mutex: it works across the separate
/// runtimes of `#[tokio::test]`s and is not poisoned by a failed test.
static TURN: LazyLock<Arc<Mutex<()>>> = LazyLock::new(|| Arc::new(Mutex::new(())));

/// Holds the turn for a test that runs the app binary without a window (the command
/// line): it shares the test build's keychain entries with the windowed sessions.
pub async fn take_turn() -> OwnedMutexGuard<()> {
    TURN.clone().lock_owned().await
}

pub struct Session {
    pub client: Client,
    driver: Child,
    _turn: OwnedMutexGuard<()>,
    /// The data directory the app uses (removed at the end of a passing test): the one
    /// given as `PAYDESK_DATA_DIR`, or for the demo its own folder beside it.
    pub data_dir: PathBuf,
    /// The folder given as `PAYDESK_DATA_DIR` (the shop's).
    pub shop_data_dir: PathBuf,
    /// How long a lookup on the screen waits for its element (see `screen`); each test
    /// file sets its own with [`Session::waiting`].
    pub wait: Duration,
}

impl Session {
    /// The app as a shop owner starts it: no demo.
    pub async fn start() -> Session {
        Session::start_with(&[]).await
    }

    /// The app with the embedded simulator and relay (`PAYDESK_DEMO=1`).
    pub async fn start_demo() -> Session {
        if !cfg!(feature = "demo") {
            panic!(
                "the end-to-end tests run the app as the demo: build with \
                 --features paydesk/custom-protocol,paydesk/demo (as `cargo xtask test` does)"
            );
        }
        Session::start_with(&[("PAYDESK_DEMO", "1")]).await
    }

    async fn start_with(env: &[(&str, &str)]) -> Session {
        Session::start_with_args(env, &[]).await
    }

    /// The app with extra environment variables and command-line arguments (e.g. a private
    /// `HOME`, `--minimized`).
    pub async fn start_with_args(env: &[(&str, &str)], args: &[&str]) -> Session {
        Session::start_in(fresh_data_dir(), env, args).await
    }

    /// The app with `PAYDESK_DATA_DIR` = `data_dir` (a folder the test prepared).
    pub async fn start_in(data_dir: PathBuf, env: &[(&str, &str)], args: &[&str]) -> Session {
        Session::open(data_dir, env, args, true).await
    }

    /// As [`Session::start_with_args`], in the turn the test already holds (taken with
    /// [`take_turn`] before something that must see this app alone, as a notification
    /// server does: `e2e_notify::NotificationServer`).
    pub async fn start_in_turn(
        turn: OwnedMutexGuard<()>,
        env: &[(&str, &str)],
        args: &[&str],
    ) -> Session {
        Session::open_in_turn(turn, fresh_data_dir(), env, args, true).await
    }

    /// The app as started at login (`--minimized`): it starts in the tray and makes no
    /// window. WebDriver's session comes once a window exists (WebKit's automation starts
    /// with the first webview), so the session request runs beside the test, which looks
    /// at the tray, opens the window and then takes the session ([`AtLogin::session`]).
    pub async fn start_at_login() -> AtLogin {
        let turn = take_turn().await;
        let data_dir = fresh_data_dir();
        let dir = data_dir.clone();
        let session =
            tokio::spawn(async move { Session::connect(turn, dir, &[], &["--minimized"]).await });
        AtLogin { data_dir, session }
    }

    /// A shop's very first start, which opens on the setup guide (the other sessions are
    /// a shop owner who chose "Set up later" there, so they start on Home).
    pub async fn start_first_run() -> Session {
        Session::open(fresh_data_dir(), &[], &[], false).await
    }

    async fn open(
        data_dir: PathBuf,
        env: &[(&str, &str)],
        args: &[&str],
        skip_guide: bool,
    ) -> Session {
        let turn = take_turn().await;
        Session::open_in_turn(turn, data_dir, env, args, skip_guide).await
    }

    async fn open_in_turn(
        turn: OwnedMutexGuard<()>,
        data_dir: PathBuf,
        env: &[(&str, &str)],
        args: &[&str],
        skip_guide: bool,
    ) -> Session {
        let session = Session::connect(turn, data_dir, env, args).await;
        session.ready(skip_guide).await
    }

    /// Starts tauri-driver and the app through it; the session, before any page is looked at.
    async fn connect(
        turn: OwnedMutexGuard<()>,
        data_dir: PathBuf,
        env: &[(&str, &str)],
        args: &[&str],
    ) -> Session {
        assert!(
            std::env::var_os("DISPLAY").is_some(),
            "the end-to-end tests need a display: run them with `cargo xtask test`"
        );
        let mut starts = 0;
        let (client, driver) = 'start: loop {
            starts += 1;
            let port = free_port();
            let native_port = free_port();
            let mut command = Command::new("tauri-driver");
            // Its own process group, so ending the session also ends WebKitWebDriver.
            #[cfg(unix)]
            std::os::unix::process::CommandExt::process_group(&mut command, 0);
            // What tauri-driver, WebKitWebDriver and the app print goes to a file beside the
            // data folder, read back when the app does not come up (see `failed` below).
            let output = driver_log(&data_dir);
            let mut driver = command
                .stderr(std::fs::File::create(&output).expect("a file beside the data folder"))
                .env("PAYDESK_DATA_DIR", &data_dir)
                .envs(env.iter().copied())
                .args([
                    "--port",
                    &port.to_string(),
                    "--native-port",
                    &native_port.to_string(),
                ])
                .stdout(Stdio::null())
                .spawn()
                .expect("tauri-driver is installed by `cargo xtask setup`");
            let url = format!("http://127.0.0.1:{port}");
            let app = env!("CARGO_BIN_EXE_paydesk");
            let mut caps = serde_json::Map::new();
            caps.insert("browserName".into(), "wry".into());
            caps.insert(
                "tauri:options".into(),
                serde_json::json!({ "application": app, "args": args }),
            );
            // tauri-driver accepts connections a moment after it starts: poll until it does.
            let deadline = Instant::now() + Duration::from_secs(30);
            let client = loop {
                // A session request that never answers (the app exited at once) must fail the
                // test, not hang it.
                let attempt = tokio::time::timeout(
                    Duration::from_secs(60),
                    ClientBuilder::native()
                        .capabilities(caps.clone())
                        .connect(&url),
                )
                .await;
                // No session, so no `Session` to end them: tauri-driver and an app that did
                // start are ended here, or they would outlive the test.
                let failed = |driver: &mut Child, why: String| -> ! {
                    stop(driver);
                    stop_app(&data_dir);
                    panic!(
                        "{why}\n--- what the driver and the app printed:\n{}",
                        tail(&output)
                    );
                };
                match attempt {
                    Err(_) => failed(
                        &mut driver,
                        "WebDriver session request timed out: did the app start?".into(),
                    ),
                    Ok(Ok(c)) => break c,
                    Ok(Err(e)) if Instant::now() > deadline => {
                        failed(&mut driver, format!("no WebDriver session: {e}"))
                    }
                    // WebKitWebDriver could not listen on its port (another process took
                    // it after `free_port` let it go): start again on other ports.
                    Ok(Err(_))
                        if starts < 3
                            && tail(&output).contains("Unable to listen for HTTP server") =>
                    {
                        stop(&mut driver);
                        continue 'start;
                    }
                    Ok(Err(_)) => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            };
            break (client, driver);
        };
        let demo = env
            .iter()
            .any(|(k, v)| *k == "PAYDESK_DEMO" && !v.is_empty() && *v != "0");
        Session {
            client,
            driver,
            _turn: turn,
            data_dir: if demo {
                api::demo_data_dir(&data_dir)
            } else {
                data_dir.clone()
            },
            shop_data_dir: data_dir,
            wait: Duration::from_secs(15),
        }
    }

    /// Waits for the first screen, past the setup guide when `skip_guide`, in Japanese.
    async fn ready(self, skip_guide: bool) -> Session {
        let session = self;
        // Every test starts in Japanese, the default. The choice lives in the webview's
        // localStorage, which all test runs share and which WebKit may not have flushed
        // when an earlier test's app was stopped.
        session.wait_css("[data-testid='sidebar']").await;
        // The window paints before the desk is open (the demo makes its sample data
        // first): wait for the screen, which shows once the desk answers.
        let mut session = session.waiting(Duration::from_secs(180));
        session
            .wait_css("main:not([data-testid='screen-opening'])")
            .await;
        session.wait = Duration::from_secs(15);
        if skip_guide {
            session
                .invoke("skip_setup_guide", serde_json::json!({}))
                .await;
        }
        session
            .client
            .execute(
                "localStorage.setItem('paydesk.language', 'ja'); location.reload();",
                vec![],
            )
            .await
            .expect("reset the language");
        session.wait_css("[data-testid='sidebar']").await;
        session
    }

    /// Points the session at the window made after the session started (the window was
    /// closed to the tray, or none was made at login), once it shows its sidebar.
    pub async fn follow_new_window(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(handles) = self.client.windows().await
                && let Some(handle) = handles.into_iter().last()
                && self.client.switch_to_window(handle).await.is_ok()
                && self
                    .client
                    .find(fantoccini::Locator::Css("[data-testid='sidebar']"))
                    .await
                    .is_ok()
            {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "no new window");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The same session, waiting at most `wait` for an element on the screen.
    pub fn waiting(mut self, wait: Duration) -> Session {
        self.wait = wait;
        self
    }

    /// Saves what the window shows to `artifacts/e2e/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        // Two animation frames: the DOM the test just checked is then painted, not an
        // older frame.
        self.client
            .execute_async(
                "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done()));",
                vec![],
            )
            .await
            .expect("paint");
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("artifacts/e2e");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    pub async fn end(mut self) {
        let _ = self.client.clone().close().await;
        stop(&mut self.driver);
        stop_app(&self.shop_data_dir);
        let _ = std::fs::remove_dir_all(&self.data_dir);
        let _ = std::fs::remove_dir_all(&self.shop_data_dir);
        let _ = std::fs::remove_file(driver_log(&self.shop_data_dir));
    }
}

/// An app started at login whose WebDriver session is still being made
/// ([`Session::start_at_login`]).
pub struct AtLogin {
    /// The shop's data folder (`PAYDESK_DATA_DIR`).
    pub data_dir: PathBuf,
    session: tokio::task::JoinHandle<Session>,
}

impl AtLogin {
    /// The session, once the app has a window; points it at that window.
    pub async fn session(self) -> Session {
        let session = self.session.await.expect("the WebDriver session");
        session.follow_new_window().await;
        session
    }
}

impl Session {
    /// Ends the session and its app but keeps the shop's data folder, for a test that
    /// starts the app again on it ([`Session::start_in`]); returns that folder.
    pub async fn end_keeping_data(mut self) -> PathBuf {
        let _ = self.client.clone().close().await;
        stop(&mut self.driver);
        self.shop_data_dir.clone()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        stop(&mut self.driver);
        stop_app(&self.shop_data_dir);
    }
}

/// The app processes started with `PAYDESK_DATA_DIR` = `data_dir` (the test build's binary).
pub fn app_pids(data_dir: &std::path::Path) -> Vec<u32> {
    let Ok(exe) = std::path::Path::new(env!("CARGO_BIN_EXE_paydesk")).canonicalize() else {
        return Vec::new();
    };
    let wanted = format!("PAYDESK_DATA_DIR={}", data_dir.display());
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_link(format!("/proc/{pid}/exe"))
                .ok()
                .as_deref()
                == Some(exe.as_path())
        })
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|v| v == wanted.as_bytes()))
        })
        .collect()
}

/// Ends the session's app. Closing its last window no longer quits it (it stays in the
/// tray, issue 22), so when WebDriver closes the window the app would live on and take the
/// next session's launch as a second launch.
pub fn stop_app(data_dir: &std::path::Path) {
    let pids = app_pids(data_dir);
    for pid in &pids {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    }
    // Gone before the next session starts: while it lives, it holds the single-instance
    // name, and the next app would hand over to it and exit.
    let deadline = Instant::now() + Duration::from_secs(30);
    while pids.iter().any(|pid| running(*pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether `pid` runs (a zombie has ended; only its exit status is left).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit(") ")
            .next()
            .is_some_and(|rest| !rest.starts_with('Z'))
    })
}

/// Ends tauri-driver and what it started (WebKitWebDriver, the app).
fn stop(driver: &mut Child) {
    #[cfg(unix)]
    let _ = Command::new("kill")
        .args(["-TERM", "--", &format!("-{}", driver.id())])
        .status();
    let _ = driver.kill();
    let _ = driver.wait();
}

/// Where a session's tauri-driver output goes: beside the shop's data folder, not in it
/// (tests compare that folder's contents).
fn driver_log(data_dir: &std::path::Path) -> PathBuf {
    data_dir.with_extension("driver.log")
}

/// The last lines of `path`, for a failure message (GLib's and D-Bus's chatter included:
/// a crashed keychain daemon or a refused single-instance hand-over shows there).
fn tail(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A new, empty directory under the system temp dir, unique to this session.
pub fn fresh_data_dir() -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let dir = std::env::temp_dir().join(format!("paydesk-e2e-{}-{n}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
