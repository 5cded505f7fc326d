//! `cargo xtask bench [--quick]`: builds the benchmarks in release mode, runs each on
//! loopback, and prints one table of figures beside their targets.
//!
//! Each benchmark is an example of the crate it measures; it prints its own detail and one
//! `METRIC\t<name>\t<value>\t<unit>\t<target>` line per figure, which this collects.
//! `--quick` runs each once at small size and only checks that it runs (for CI).

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

pub fn run(quick: bool) -> Result {
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
    for (package, example) in BENCHES {
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
    app_startup(quick, true, &mut metrics)?;
    app_startup(quick, false, &mut metrics)?;
    print_table(&metrics, quick);
    Ok(())
}

/// The desktop app's cold start to first paint (reported by the app itself when
/// `PAYDESK_BENCH_STARTUP` is set) and its idle memory: the resident memory of the app
/// process and all of its children (WebKit's web and network processes), after it has
/// sat idle in demo mode. Runs under Xvfb in a private D-Bus session with a keyring.
fn app_startup(quick: bool, demo: bool, metrics: &mut Vec<Metric>) -> Result {
    // Quick mode runs the debug app that `run` built (the tests' build).
    if !quick {
        crate::build_frontend()?;
        crate::run(crate::cargo().args([
            "build",
            "--release",
            "--package",
            "paydesk",
            "--features",
            "custom-protocol,demo",
        ]))?;
    }
    let bin = root()
        .join("target")
        .join(if quick { "debug" } else { "release" })
        .join("paydesk");
    let bin = bin
        .canonicalize()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let scratch = crate::tempdir("paydesk-bench-app")?;
    let _ = std::fs::remove_dir_all(scratch.join("data"));
    let _ = std::fs::remove_dir_all(scratch.join("runtime"));
    let runtime = crate::runtime_dir(&scratch.join("runtime"))?;
    eprintln!("$ {} (demo mode, under Xvfb)", bin.display());
    let mut child = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1280x800x24", "dbus-run-session", "--", "sh", "-c"])
        .arg("echo -n bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec \"$0\"")
        .arg(&bin)
        // Demo: the embedded simulator and relay start and sample data is made first.
        // Otherwise: a shop's setup, the app alone (nothing configured yet).
        .env("PAYDESK_DEMO", if demo { "1" } else { "0" })
        .env("PAYDESK_BENCH_STARTUP", "1")
        .env("PAYDESK_DATA_DIR", scratch.join("data"))
        .env("XDG_DATA_HOME", scratch.join("keyring"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the app under xvfb-run: {e}"))?;
    let root_pid = child.id();
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
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
    let result = (|| {
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(180))
            .map_err(|_| "the app did not report its first paint within 180 s".to_string())?;
        let mut first_paint = parse(&line);
        first_paint.name = format!(
            "{} ({})",
            first_paint.name,
            if demo { "demo" } else { "shop setup" }
        );
        metrics.push(first_paint);
        if !demo {
            return Ok(());
        }
        // Idle: the demo's first sync and renewals settle, then nothing happens.
        std::thread::sleep(std::time::Duration::from_secs(if quick { 3 } else { 15 }));
        let app = descendants(root_pid)
            .into_iter()
            .find(|pid| exe_of(*pid).as_deref() == Some(bin.as_path()))
            .ok_or("the app process was not found")?;
        let mut tree = descendants(app);
        tree.push(app);
        let kib: u64 = tree.iter().map(|pid| rss_kib(*pid)).sum();
        metrics.push(Metric {
            name: format!("app idle memory, all {} processes (demo data)", tree.len()),
            value: format!("{:.0}", kib as f64 / 1024.0),
            unit: "MiB".into(),
            target: "-".into(),
        });
        Ok(())
    })();
    // End the whole tree: the app, WebKit's helpers, Xvfb, the bus and the keyring.
    let mut all = descendants(root_pid);
    all.push(root_pid);
    for pid in all {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    }
    let _ = child.wait();
    result
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

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        })
        .unwrap_or(0)
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
