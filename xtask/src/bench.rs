//! `cargo xtask bench [--quick]`: builds the benchmarks in release mode, runs each on
//! loopback, and prints one table of figures beside their targets.
//!
//! Each benchmark is an example of the crate it measures; it prints its own detail and one
//! `METRIC\t<name>\t<value>\t<unit>\t<target>` line per figure, which this collects.
//! `--quick` runs each once at small size and only checks that it runs (for CI); `--app`
//! runs only the desktop app's figures beside the bare Tauri app's.

use crate::{Result, root};
use std::process::{Command, Stdio};

/// (package, example) pairs, in the order their figures appear.
/// Example names are unique across the workspace: cargo puts the examples of one profile
/// in one folder.
const BENCHES: &[(&str, &str)] = &[
    ("relay", "relay_bench"),
    ("api", "sync_bench"),
    ("paygent-sim", "sim_bench"),
    ("store", "store_bench"),
    ("store", "money_bench"),
    ("domain", "dashboard_bench"),
    ("api", "bulk_bench"),
    ("documents", "documents_bench"),
    ("api", "labels_bench"),
];

struct Metric {
    name: String,
    value: String,
    unit: String,
    target: String,
}

pub fn run(quick: bool, app_only: bool) -> Result {
    let mut metrics = Vec::new();
    if quick {
        // Quick mode only shows that each benchmark runs. It reuses the debug build of
        // `cargo xtask test` (same command, same features: nothing is built again), where
        // `cargo run -p <package>` would resolve features per package and build a second
        // copy of much of the tree: CI's disk is small. The frontend is built only if
        // missing, as a fresh one would make cargo embed it and link the app again.
        if !root().join("ui/dist/index.html").exists() {
            crate::build_frontend()?;
        }
        crate::run(crate::cargo().args(crate::TEST_BUILD).arg("--no-run"))?;
    }
    for (package, example) in BENCHES.iter().filter(|_| !app_only) {
        let mut cmd = if quick {
            let mut c = Command::new(root().join("target/debug/examples").join(example));
            c.arg("--quick");
            c
        } else {
            let mut c = crate::cargo();
            c.args([
                "run",
                "--quiet",
                "--release",
                "--package",
                package,
                "--example",
                example,
            ]);
            c
        };
        eprintln!("$ {}", crate::display(&cmd));
        let out = cmd
            .current_dir(root())
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run the {package} benchmark: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        for line in text.lines() {
            match line.strip_prefix("METRIC\t") {
                Some(rest) => metrics.push(parse(rest)),
                None => println!("  {line}"),
            }
        }
        if !out.status.success() {
            return Err(format!("the {package} benchmark failed ({})", out.status));
        }
    }
    app_side_by_side(quick, &mut metrics)?;
    print_table(&metrics, quick);
    Ok(())
}

/// Where the release binaries of the app benchmark are built: the workspace's target dir,
/// or `CARGO_TARGET_DIR`.
fn target_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// PayDesk beside a bare Tauri v2 app (`xtask/tauri-bare`: an empty page, built in this
/// workspace with the same Tauri crates, features and profile), in one run (issue 22):
/// cold start to first paint (the shop's and the demo's), memory with the window open, in
/// the tray after the window was closed, and after 24 simulated hours of sync and renewals
/// in the tray; each of PayDesk's beside the bare app's and as a ratio.
///
/// First paint: each app takes the time at the top of `main` and prints it when its page
/// reports (over IPC) that the second animation frame after start-up came, i.e. the first
/// screen was painted. Memory: the proportional set size (PSS, from
/// `/proc/PID/smaps_rollup`) of the app and all its descendants (WebKit's web and network
/// processes) summed, so libraries shared between them count once.
///
/// The demo's simulator and relay run in a process of their own (`paydesk demo-servers`),
/// not under the app: embedded, the simulator's ledger (the gateway's database) grew in
/// the app's process with each payment of the simulated day and counted as PayDesk's.
fn app_side_by_side(quick: bool, metrics: &mut Vec<Metric>) -> Result {
    // Quick mode runs the debug binaries that `run` built (the tests' build).
    if !quick {
        crate::build_frontend()?;
        crate::run(crate::cargo().args([
            "build",
            "--release",
            "--package",
            "paydesk",
            "--package",
            "tauri-bare",
            "--features",
            "paydesk/custom-protocol,paydesk/demo,tauri-bare/custom-protocol",
        ]))?;
    }
    let dir = target_dir().join(if quick { "debug" } else { "release" });
    let bare = measure_app(&dir.join("tauri-bare"), Kind::Bare, quick)?;
    let shop = measure_app(&dir.join("paydesk"), Kind::Shop, quick)?;
    let demo = measure_app(&dir.join("paydesk"), Kind::Demo, quick)?;
    // What any Tauri app holds here before its first window (GTK, and WebKit's libraries
    // mapped and relocated), beside PayDesk started at login, which makes no window.
    let bare_no_window = measure_without_window(&dir.join("tauri-bare"), Kind::Bare, quick)?;
    let shop_at_login = measure_without_window(&dir.join("paydesk"), Kind::Shop, quick)?;
    let ms = |name: &str, v: f64, target: &str| Metric {
        name: name.into(),
        value: format!("{v:.0}"),
        unit: "ms".into(),
        target: target.into(),
    };
    let mib = |name: &str, kib: u64, target: &str| Metric {
        name: name.into(),
        value: format!("{:.1}", kib as f64 / 1024.0),
        unit: "MiB".into(),
        target: target.into(),
    };
    let ratio = |name: &str, v: f64, target: &str| Metric {
        name: name.into(),
        value: format!("{v:.2}"),
        unit: "x".into(),
        target: target.into(),
    };
    metrics.push(ms(
        "bare Tauri: cold start to first paint",
        bare.first_paint_ms,
        "-",
    ));
    metrics.push(ms(
        "app cold start to first paint (shop)",
        shop.first_paint_ms,
        "<= 500",
    ));
    metrics.push(ratio(
        "  shop / bare Tauri",
        shop.first_paint_ms / bare.first_paint_ms,
        "-",
    ));
    metrics.push(ms(
        "app cold start to first paint (demo)",
        demo.first_paint_ms,
        "<= 1500",
    ));
    metrics.push(ratio(
        "  demo / bare Tauri",
        demo.first_paint_ms / bare.first_paint_ms,
        "-",
    ));
    for (name, m) in [("shop", &shop), ("demo", &demo)] {
        if let Some(v) = m.first_screen_ms {
            metrics.push(ms(
                &format!("app cold start to first screen with its figures ({name})"),
                v,
                "-",
            ));
        }
    }
    metrics.push(mib(
        "bare Tauri: memory, window open (PSS, all processes)",
        bare.open_kib,
        "-",
    ));
    metrics.push(mib(
        "app memory, window open (shop; PSS, all processes)",
        shop.open_kib,
        "-",
    ));
    metrics.push(ratio(
        "  shop / bare Tauri",
        shop.open_kib as f64 / bare.open_kib as f64,
        "<= 1.25",
    ));
    metrics.push(mib(
        "app memory, window open (demo; PSS, all processes)",
        demo.open_kib,
        "-",
    ));
    metrics.push(ratio(
        "  demo / bare Tauri",
        demo.open_kib as f64 / bare.open_kib as f64,
        "-",
    ));
    for (name, m) in [("shop", &shop), ("demo", &demo)] {
        if let Some(tray) = m.tray_kib {
            metrics.push(mib(
                &format!("app memory in the tray, window closed ({name}; PSS, all processes)"),
                tray,
                "<= 100",
            ));
            metrics.push(ratio(
                "  / bare Tauri with its window open",
                tray as f64 / bare.open_kib as f64,
                "-",
            ));
        }
    }
    for (name, m) in [("shop", &shop), ("demo", &demo)] {
        if let Some(v) = m.opened_ms {
            metrics.push(ms(
                &format!("app window opened from the tray to its first screen ({name})"),
                v,
                "-",
            ));
        }
    }
    metrics.push(mib(
        "bare Tauri: memory with no window made (PSS, all processes)",
        bare_no_window,
        "-",
    ));
    metrics.push(mib(
        "app memory in the tray, started at login and not opened (shop; PSS, all processes)",
        shop_at_login,
        "<= 100",
    ));
    metrics.push(ratio(
        "  / bare Tauri with no window made",
        shop_at_login as f64 / bare_no_window as f64,
        "-",
    ));
    if let (Some(tray), Some(day)) = (demo.tray_kib, demo.after_day_kib) {
        metrics.push(mib(
            "app memory in the tray after 24 simulated hours of sync and renewals (demo)",
            day,
            "-",
        ));
        metrics.push(ratio(
            "  / in the tray before the day",
            day as f64 / tray as f64,
            "<= 1.05",
        ));
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// The bare Tauri app.
    Bare,
    /// PayDesk as a shop starts it: the setup guide, no embedded servers.
    Shop,
    /// PayDesk's demo: the embedded simulator and relay start and sample data is made.
    Demo,
}

struct AppFigures {
    first_paint_ms: f64,
    first_screen_ms: Option<f64>,
    open_kib: u64,
    tray_kib: Option<u64>,
    after_day_kib: Option<u64>,
    /// From the window asked for in the tray to its first screen.
    opened_ms: Option<f64>,
}

/// One app started under Xvfb in a private D-Bus session with a keyring.
struct Launched {
    child: std::process::Child,
    /// The `METRIC` lines the app prints, as they come.
    metrics: std::sync::mpsc::Receiver<String>,
    /// The app's standard input (the bench's `close` and `open`).
    stdin: std::process::ChildStdin,
}

impl Launched {
    /// `servers`: the demo's servers' file, when they run apart.
    fn start(
        bin: &std::path::Path,
        kind: Kind,
        args: &[&str],
        servers: Option<&std::path::Path>,
    ) -> Result<Launched> {
        let scratch = crate::tempdir("paydesk-bench-app")?;
        let data = scratch.join("data");
        let _ = std::fs::remove_dir_all(&data);
        let _ = std::fs::remove_dir_all(scratch.join("data.demo"));
        let _ = std::fs::remove_dir_all(scratch.join("runtime"));
        let runtime = crate::runtime_dir(&scratch.join("runtime"))?;
        eprintln!("$ {} {} (under Xvfb)", bin.display(), args.join(" "));
        let mut command = Command::new("xvfb-run");
        if let Some(file) = servers {
            command.env("PAYDESK_DEMO_SERVERS", file);
        }
        let mut child = command
            .args(["-a", "-s", "-screen 0 1280x800x24", "dbus-run-session", "--", "sh", "-c"])
            .arg("echo -n bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec \"$0\" \"$@\"")
            .arg(bin)
            .args(args)
            .env("PAYDESK_DEMO", if kind == Kind::Demo { "1" } else { "0" })
            .env("PAYDESK_BENCH_STARTUP", "1")
            .env("PAYDESK_DATA_DIR", &data)
            .env("XDG_DATA_HOME", scratch.join("keyring"))
            .env("XDG_RUNTIME_DIR", &runtime)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the app under xvfb-run: {e}"))?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let (tx, metrics) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(std::result::Result::ok)
            {
                if let Some(rest) = line.strip_prefix("METRIC\t") {
                    let _ = tx.send(rest.to_owned());
                }
            }
        });
        Ok(Launched {
            child,
            metrics,
            stdin,
        })
    }

    /// Ends the whole tree: the app, WebKit's helpers, Xvfb, the bus and the keyring.
    fn end(mut self) {
        let mut all = descendants(self.child.id());
        all.push(self.child.id());
        for pid in all {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
        let _ = self.child.wait();
    }
}

/// The process running `bin` among the descendants of `root`, once there is one.
fn app_under(root: u32, bin: &std::path::Path) -> Result<u32> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Some(pid) = descendants(root)
            .into_iter()
            .find(|pid| exe_of(*pid).as_deref() == Some(bin))
        {
            return Ok(pid);
        }
        if std::time::Instant::now() > deadline {
            return Err("the app process was not found".into());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// The memory of an app that made no window: the bare app with `--no-window`, PayDesk as
/// started at login (`--minimized`), after its start settled.
fn measure_without_window(bin: &std::path::Path, kind: Kind, quick: bool) -> Result<u64> {
    let bin = bin
        .canonicalize()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let arg = if kind == Kind::Bare {
        "--no-window"
    } else {
        "--minimized"
    };
    let launched = Launched::start(&bin, kind, &[arg], None)?;
    let result = app_under(launched.child.id(), &bin).map(|app| {
        std::thread::sleep(std::time::Duration::from_secs(if quick { 5 } else { 20 }));
        eprintln!("  with no window: {}", tree_detail(app));
        resting_pss_kib(app, quick)
    });
    launched.end();
    result
}

/// Starts one app under Xvfb in a private D-Bus session with a keyring and measures it.
fn measure_app(bin: &std::path::Path, kind: Kind, quick: bool) -> Result<AppFigures> {
    use std::io::Write;
    use std::time::Duration;
    let bin = bin
        .canonicalize()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let servers = match kind {
        Kind::Demo => Some(DemoServers::start(&bin)?),
        _ => None,
    };
    let mut launched =
        Launched::start(&bin, kind, &[], servers.as_ref().map(|s| s.file.as_path()))?;
    let root_pid = launched.child.id();
    let rx = &launched.metrics;
    let stdin = &mut launched.stdin;
    let settle = Duration::from_secs(if quick { 3 } else { 15 });
    let result = (|| {
        // PayDesk reports its first paint (the window's frame) and then its first screen
        // (with the desk's answers); the bare app has only the first.
        let (mut first_paint_ms, mut first_screen_ms) = (None, None);
        while first_paint_ms.is_none() || (kind != Kind::Bare && first_screen_ms.is_none()) {
            let line = rx
                .recv_timeout(Duration::from_secs(180))
                .map_err(|_| "the app did not report its first paint and screen within 180 s")?;
            let m = parse(&line);
            let ms: f64 = m.value.parse().map_err(|e| format!("{}: {e}", m.name))?;
            if m.name.ends_with("first screen") {
                first_screen_ms = Some(ms);
            } else {
                first_paint_ms = Some(ms);
            }
        }
        let first_paint_ms = first_paint_ms.unwrap_or_default();
        let app = app_under(root_pid, &bin)?;
        // Open and idle: a demo's first sync and renewals settle, then nothing happens.
        std::thread::sleep(settle);
        let open_kib = tree_pss_kib(app);
        let mut figures = AppFigures {
            first_paint_ms,
            first_screen_ms,
            open_kib,
            tray_kib: None,
            after_day_kib: None,
            opened_ms: None,
        };
        if kind == Kind::Bare {
            return Ok(figures);
        }
        // Closed to the tray: the window is destroyed and WebKit's web process ends.
        writeln!(stdin, "close").map_err(|e| format!("cannot close the window: {e}"))?;
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while descendants(app)
            .iter()
            .any(|p| comm_of(*p).starts_with("WebKitWebProces"))
        {
            if std::time::Instant::now() > deadline {
                return Err("the web process did not end after the window closed".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(settle);
        figures.tray_kib = Some(resting_pss_kib(app, quick));
        eprintln!("  in the tray: {}", tree_detail(app));
        if let Some(servers) = &servers {
            simulated_day(&servers.control_url()?, quick)?;
            figures.after_day_kib = Some(resting_pss_kib(app, quick));
            eprintln!("  after the simulated day: {}", tree_detail(app));
        }
        // Opened again from the tray: a new window, its page and (on Linux) WebKit's
        // processes, to its first screen.
        writeln!(stdin, "open").map_err(|e| format!("cannot open the window: {e}"))?;
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .map_err(|_| "the window opened from the tray showed no first screen in 120 s")?;
        let m = parse(&line);
        figures.opened_ms = Some(m.value.parse().map_err(|e| format!("{}: {e}", m.name))?);
        Ok(figures)
    })();
    launched.end();
    result
}

/// The demo's simulator and relay in a process of their own (`paydesk demo-servers DIR`),
/// which the demo app is given through `PAYDESK_DEMO_SERVERS`; ended when dropped.
struct DemoServers {
    child: std::process::Child,
    /// The file they publish themselves in once they listen.
    file: std::path::PathBuf,
}

impl DemoServers {
    fn start(bin: &std::path::Path) -> Result<DemoServers> {
        let dir = crate::tempdir("paydesk-bench-servers")?;
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        eprintln!("$ {} demo-servers {}", bin.display(), dir.display());
        let child = Command::new(bin)
            .arg("demo-servers")
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the demo's servers: {e}"))?;
        let servers = DemoServers {
            child,
            file: dir.join("demo-servers.json"),
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !servers.file.exists() {
            if std::time::Instant::now() > deadline {
                return Err("the demo's servers did not start within 60 s".into());
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Ok(servers)
    }

    /// The simulator's control API, `host:port`.
    fn control_url(&self) -> Result<String> {
        let text = std::fs::read_to_string(&self.file)
            .map_err(|e| format!("{}: {e}", self.file.display()))?;
        Ok(text
            .split("\"control_url\":\"http://")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .ok_or("the demo's servers name no control URL")?
            .trim_end_matches('/')
            .to_owned())
    }
}

impl Drop for DemoServers {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// 24 hours pass on the demo's clock, an hour at a time, each with card payments that the
/// relay pushes and the sync takes in; midnight comes once, and the renewals due run. Then
/// the scheduler's next look (at most a minute) and the sync finish.
fn simulated_day(control: &str, quick: bool) -> Result {
    let control = control.to_owned();
    let shops = http(&control, "GET", "/control/shops", "")?;
    let merchant = shops
        .split("\"merchant_id\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .ok_or("the simulator has no shop")?
        .to_owned();
    let per_hour = if quick { 1 } else { 5 };
    for hour in 0..24 {
        http(
            &control,
            "POST",
            "/control/clock/advance",
            r#"{"minutes":60}"#,
        )?;
        for n in 0..per_hour {
            let body = format!(
                r#"{{"merchant_id":"{merchant}","trading_id":"BENCHDAY{hour:02}{n:02}{}","amount":1200,"card_number":"4900000000000000","expiry":"1239","capture_mode":"authorize_only","three_d_secure":false}}"#,
                std::process::id()
            );
            http(&control, "POST", "/control/checkouts/card", &body)?;
        }
    }
    std::thread::sleep(std::time::Duration::from_secs(if quick { 5 } else { 75 }));
    Ok(())
}

/// One request to the simulator's control API on loopback; the answer's body.
fn http(authority: &str, method: &str, path: &str, body: &str) -> Result<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(authority)
        .map_err(|e| format!("control API {authority}: {e}"))?;
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|e| format!("control API {path}: {e}"))?;
    if !answer.starts_with("HTTP/1.1 2") {
        return Err(format!(
            "control API {path}: {}",
            answer.lines().next().unwrap_or("")
        ));
    }
    Ok(answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned())
}

/// The tray's level between bursts of work: the lowest of the tree's PSS sampled every
/// half second for 20 s. In the tray the app gives memory back once things are quiet
/// after each burst (a sync round, renewals), and a single sample may fall inside one, so
/// the figures before and after the simulated day are compared at the same point.
fn resting_pss_kib(pid: u32, quick: bool) -> u64 {
    let samples = if quick { 4 } else { 40 };
    (0..samples)
        .map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(500));
            tree_pss_kib(pid)
        })
        .min()
        .unwrap_or(0)
}

/// The PSS of `pid` and all its descendants, summed.
fn tree_pss_kib(pid: u32) -> u64 {
    let mut tree = descendants(pid);
    tree.push(pid);
    tree.iter().map(|p| pss_kib(*p)).sum()
}

/// Each process of the tree with its PSS, for the detail lines.
fn tree_detail(pid: u32) -> String {
    let mut tree = vec![pid];
    tree.extend(descendants(pid));
    tree.iter()
        .map(|p| format!("{} {:.1} MiB", comm_of(*p), pss_kib(*p) as f64 / 1024.0))
        .collect::<Vec<_>>()
        .join(", ")
}

fn comm_of(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

fn pss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Pss:"))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

fn children(pid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/stat"))
                .ok()
                .and_then(|stat| {
                    // The command name may hold spaces: the fields after it start at ") ".
                    let rest = &stat[stat.rfind(')')? + 2..];
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(pid)
        })
        .collect()
}

fn descendants(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        for c in children(p) {
            out.push(c);
            todo.push(c);
        }
    }
    out
}

fn exe_of(pid: u32) -> Option<std::path::PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/exe")).ok()
}

fn parse(rest: &str) -> Metric {
    let mut parts = rest.split('\t');
    let mut next = || parts.next().unwrap_or("").to_owned();
    Metric {
        name: next(),
        value: next(),
        unit: next(),
        target: next(),
    }
}

fn print_table(metrics: &[Metric], quick: bool) {
    let width = metrics
        .iter()
        .map(|m| m.name.chars().count())
        .max()
        .unwrap_or(10)
        .max(6);
    println!();
    if quick {
        println!(
            "(quick mode: small sizes, debug build; the figures only show that each benchmark runs)"
        );
    }
    println!(
        "{:<width$}  {:>12}  {:<6}  target",
        "figure", "value", "unit"
    );
    println!("{}", "-".repeat(width + 32));
    for m in metrics {
        println!(
            "{:<width$}  {:>12}  {:<6}  {}",
            m.name, m.value, m.unit, m.target
        );
    }
}
