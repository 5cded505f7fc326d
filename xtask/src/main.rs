//! Developer commands. `cargo xtask demo` and `cargo xtask test` are the README's two
//! commands: each installs what it needs first (system packages, tauri-driver, npm
//! packages from the lockfile), idempotently, then does its job.
//!
//! Layout: `setup` installs; `test` runs every check inside a private D-Bus session with
//! an unlocked gnome-keyring (the real Secret Service) and an Xvfb display, then builds a
//! Linux bundle with the README's installer command (`bundle`); `demo` builds and starts
//! the app; `codegen` rewrites the generated TypeScript bindings.

mod bench;
mod cross;
mod failures;
mod fixtures;
mod setup;
mod soak;
mod tidy;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::run(),
        Some("test") => test(),
        Some("test-in-session") => test_in_session(),
        Some("demo") => demo(),
        Some("codegen") => codegen(),
        Some("bench") => bench::run(
            args.iter().any(|a| a == "--quick"),
            args.iter().any(|a| a == "--app"),
        ),
        Some("build-app") => setup::run().and_then(|()| build_app(false)),
        Some("bundle") => setup::run().and_then(|()| bundle()),
        Some("soak") => soak::run(&args[1..]),
        Some("cross") => setup::run()
            .and_then(|()| build_frontend())
            .and_then(|()| cross::run(args.iter().any(|a| a == "--full"))),
        Some("soak-stream") => soak::stream(&args[1..]),
        Some("tidy") if args.get(1).is_some_and(|a| a == "--api-graph") => tidy::print_api_graph(),
        Some("tidy") => tidy::run(),
        Some("fixtures") => fixtures::refresh(),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n  demo      install what is needed, build and start the PayDesk demo\n  test      install what is needed and run every test (fmt, clippy, Rust, frontend, end-to-end)\n  setup     only install what is needed\n  codegen   regenerate ui/src/bindings.ts from the Rust command definitions\n  bench     build in release mode and print every benchmark figure beside its target (--quick: small and fast, for CI; --app: only the app beside a bare Tauri app)\n  build-app build the frontend and the app binary\n  bundle    build a debug Linux .deb with the README's installer command (what CI runs)\n  cross     build every package for Windows (windows-gnu) and run the tests below the shell under Wine; check every package it can for macOS (--full: the api crate's tests under Wine too)\n  soak      the fault suite's soak: SEQUENCES sequences (1000) in STREAMS parallel processes (2), each in its own test session\n  tidy      the tree's own checks: no rules-table literal outside the rules table, fixtures in step with ../shared, no module cycle in crates/api (--api-graph: print its module graph)\n  fixtures  copy the captured vectors and the protocol notes' sections from ../shared into fixtures/"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}

/// Runs a command to completion, echoing it first; a non-zero exit is an error.
pub fn run(cmd: &mut Command) -> Result {
    eprintln!("$ {}", display(cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {}: {e}", display(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{} failed ({status})", display(cmd)))
    }
}

pub(crate) fn display(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

pub(crate) fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

fn npm(args: &[&str]) -> Command {
    let mut c = Command::new("npm");
    c.args(args).current_dir(root().join("ui"));
    c
}

/// Every test: formatting, lints, Rust tests (with the real keychain), frontend tests, the
/// end-to-end tests in a real window, and the benchmarks once each (`--quick`). The tests
/// run inside a fresh D-Bus session so the keychain and notifications of the developer's
/// desktop are never touched.
fn test() -> Result {
    setup::run()?;
    tidy::run()?;
    run(cargo().args(["fmt", "--all", "--check"]))?;
    build_frontend()?;
    run(&mut npm(&["run", "check"]))?;
    run(&mut npm(&["test"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--features",
        "paydesk/custom-protocol,paydesk/demo",
        "--",
        "-D",
        "warnings",
    ]))?;
    let keyring_home = tempdir("paydesk-keyring")?;
    let runtime = runtime_dir(&tempdir("paydesk-runtime")?)?;
    secret_service_activation(&keyring_home)?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    run(Command::new("dbus-run-session")
        .arg("--")
        .arg(exe)
        .arg("test-in-session")
        .env("XDG_DATA_HOME", &keyring_home)
        .env("XDG_RUNTIME_DIR", &runtime)
        .current_dir(root()))?;
    // Every benchmark once, small: shows they still run (figures: `cargo xtask bench`).
    bench::run(true, false)?;
    // After the tests, because it rebuilds the app binary (its frontend is built again).
    bundle()?;
    // Windows (under Wine) and macOS (type-checked), with the frontend the bundle built.
    cross::run(false)
}

/// The README's installer command through the Tauri CLI (which runs `beforeBuildCommand`
/// itself), so CI proves it works from a fresh clone: a debug Linux `.deb`, without the
/// demo as a shop's release. The arguments after `--` go to its `cargo build`; with them
/// (and `--features custom-protocol`) that build is the test build (same packages and
/// dev-dependencies) but for the app's feature `demo`, so it reuses it: only the app is
/// compiled again, without the demo and for its freshly built frontend.
const BUNDLE: &[&str] = &[
    "build",
    "--debug",
    "--bundles",
    "deb",
    "--ci",
    "--features",
    "custom-protocol",
    "--",
    "--workspace",
    "--all-targets",
];

fn bundle() -> Result {
    let dir = root().join("target/debug/bundle/deb");
    let _ = std::fs::remove_dir_all(&dir);
    run(Command::new(root().join("ui/node_modules/.bin/tauri"))
        .args(BUNDLE)
        .current_dir(root()))?;
    let debs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("no bundle in {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    let deb = debs
        .iter()
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .ok_or_else(|| format!("tauri build made no .deb in {}", dir.display()))?;
    // The package's unpacked tree is as big as the debug binary; the .deb is what counts.
    for staging in debs.iter().filter(|p| p.is_dir()) {
        let _ = std::fs::remove_dir_all(staging);
    }
    eprintln!("bundle: {}", deb.display());
    bundled_app_refuses_the_demo()
}

/// The app the bundle built has no demo: asked for one it says so in both languages,
/// exits 1 and makes no folder; its help still works.
fn bundled_app_refuses_the_demo() -> Result {
    let bin = root().join("target/debug/paydesk");
    let scratch = tempdir("paydesk-no-demo")?;
    let data = scratch.join("shop");
    let _ = std::fs::remove_dir_all(&data);
    let _ = std::fs::remove_dir_all(scratch.join("shop.demo"));
    let out = Command::new(&bin)
        .args(["orders", "list"])
        .env("PAYDESK_DEMO", "1")
        .env("PAYDESK_DATA_DIR", &data)
        .output()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let refused = out.status.code() == Some(1)
        && stderr.contains("デモが入っていません")
        && stderr.contains("has no demo");
    if !refused || data.exists() || scratch.join("shop.demo").exists() {
        return Err(format!(
            "the bundled app did not refuse the demo plainly ({}): {stderr}",
            out.status
        ));
    }
    let help = Command::new(&bin)
        .arg("help")
        .output()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    if !help.status.success() {
        return Err(format!(
            "`paydesk help` of the bundled app failed ({})",
            help.status
        ));
    }
    eprintln!("bundle: the app has no demo and says so");
    Ok(())
}

/// The one debug build of the workspace that the tests, the end-to-end tests (the app with
/// its frontend inside, and the demo) and the quick benchmarks share.
pub(crate) const TEST_BUILD: &[&str] = &[
    "test",
    "--workspace",
    "--features",
    "paydesk/custom-protocol,paydesk/demo",
];

fn test_in_session() -> Result {
    start_secret_service()?;
    let (_xvfb, display) = start_xvfb()?;
    let _xvfb = Guard(_xvfb);
    // No backtraces: a failing test's message is what says what failed, and the frames
    // pushed it out of the part of the log CI shows. Each failing test is named with its
    // message at the end (`failures`).
    failures::run_summarising(
        cargo()
            .args(TEST_BUILD)
            .env("DISPLAY", &display)
            .env("PAYDESK_TEST", "1")
            .env("RUST_BACKTRACE", "0"),
    )
}

/// Kills the child when dropped, so a failing step never leaves a daemon behind.
pub(crate) struct Guard(pub(crate) Child);
impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The test session's Secret Service: gnome-keyring, unlocked with a throw-away password,
/// started by D-Bus activation from a service file in the session's own `XDG_DATA_HOME`
/// (which the bus reads before the system's). gnome-keyring-daemon 42 can abort on a GLib
/// assertion (`gkd_secret_service_get_pkcs11_session: assertion 'client' failed`) when a
/// client disconnects while its session request is queued. With the system's service file
/// the bus would then start a *locked* daemon and every later test would fail on "locked
/// collection"; with ours, the next call starts an unlocked one on the same keyring files,
/// and the bus holds that call until the daemon answers, so there is no gap to race.
pub(crate) fn secret_service_activation(data_home: &Path) -> Result {
    let dir = data_home.join("dbus-1/services");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot prepare {}: {e}", dir.display()))?;
    let service = "[D-BUS Service]\n\
         Name=org.freedesktop.secrets\n\
         Exec=/bin/sh -c \"printf %s paydesk-test | exec gnome-keyring-daemon --foreground --unlock --components=secrets\"\n";
    let path = dir.join("org.freedesktop.secrets.service");
    std::fs::write(&path, service).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Starts the test session's Secret Service now (see [`secret_service_activation`]), so the
/// first test does not pay for it, and waits until it answers.
pub(crate) fn start_secret_service() -> Result {
    let started = Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.StartServiceByName",
            "string:org.freedesktop.secrets",
            "uint32:0",
        ])
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run dbus-send: {e}"))?;
    if !started.success() {
        return Err("the session bus could not start gnome-keyring".into());
    }
    wait_for("the Secret Service", || {
        Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
            .unwrap_or(false)
    })
}

/// An Xvfb display with 24-bit colour; returns the child and its DISPLAY value.
fn start_xvfb() -> Result<(Child, String)> {
    let n = (90..200)
        .find(|&n| display_free(n))
        .ok_or("no free X display number")?;
    let display = format!(":{n}");
    let child = Command::new("Xvfb")
        .args([
            display.as_str(),
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start Xvfb: {e}"))?;
    let socket = format!("/tmp/.X11-unix/X{n}");
    wait_for("Xvfb", || Path::new(&socket).exists())?;
    Ok((child, display))
}

/// Whether display `n` is free: no X server's lock, or the lock of a server that ended
/// without removing it (killed: the PID in the lock runs no more), whose lock and socket
/// are then removed, so the socket seen next is the new server's.
fn display_free(n: u32) -> bool {
    display_free_in(Path::new("/tmp"), n)
}

fn display_free_in(tmp: &Path, n: u32) -> bool {
    let lock = tmp.join(format!(".X{n}-lock"));
    let socket = tmp.join(format!(".X11-unix/X{n}"));
    let Ok(holder) = std::fs::read_to_string(&lock) else {
        return !socket.exists();
    };
    let running = holder
        .trim()
        .parse::<u32>()
        .is_ok_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
    if running || std::fs::remove_file(&lock).is_err() {
        return false;
    }
    let _ = std::fs::remove_file(&socket);
    !socket.exists()
}

/// Polls a condition for up to 20 s (start-up of a daemon we launched).
fn wait_for(what: &str, mut ready: impl FnMut() -> bool) -> Result {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        if ready() {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Err(format!("{what} did not start within 20 s"))
}

pub(crate) fn tempdir(prefix: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// Makes `dir` a private runtime dir (`XDG_RUNTIME_DIR`) for a test session. gnome-keyring
/// puts its control socket there, and a keyring daemon of another session (a desktop's, a
/// developer's test run) must never be the one our tests talk to; at-spi, dconf and the
/// portals keep their sockets there too, so none of a killed session's stale ones is found.
#[cfg(unix)]
pub(crate) fn runtime_dir(dir: &Path) -> Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)))
        .map_err(|e| format!("cannot prepare {}: {e}", dir.display()))?;
    Ok(dir.to_path_buf())
}

/// The test session (D-Bus, gnome-keyring, Xvfb) exists on Linux only; xtask itself builds
/// everywhere, so a Windows or macOS developer gets this message instead of a build error.
#[cfg(not(unix))]
pub(crate) fn runtime_dir(_: &Path) -> Result<PathBuf> {
    Err("`cargo xtask test` runs its test session on Linux (see the README)".into())
}

pub(crate) fn build_frontend() -> Result {
    run(&mut npm(&["run", "build"]))
}

/// The app with the demo (`cargo xtask demo | build-app`); a release for shops is built by
/// the README's installer command, without it.
fn build_app(release: bool) -> Result {
    build_frontend()?;
    let mut c = cargo();
    c.args([
        "build",
        "--package",
        "paydesk",
        "--features",
        "custom-protocol,demo",
    ]);
    if release {
        c.arg("--release");
    }
    run(&mut c)
}

/// Builds and starts the app. When there is no display (a server or CI), it starts under
/// Xvfb and saves a screenshot instead of hanging.
fn demo() -> Result {
    setup::run()?;
    build_app(false)?;
    let bin = root().join("target/debug/paydesk");
    // The app starts its embedded simulator and relay and fills itself with sample orders.
    // The demo always keeps its data in its own folder beside the shop's (here
    // `target/paydesk-data.demo`) and its secrets in its own keychain namespace; pointing
    // the shop's folder into `target/` keeps a developer's home untouched as well.
    let data_dir = root().join("target/paydesk-data");
    run(Command::new(bin)
        .current_dir(root())
        .env("PAYDESK_DEMO", "1")
        .env("PAYDESK_DATA_DIR", data_dir))
}

fn codegen() -> Result {
    run(cargo()
        .args([
            "test",
            "--package",
            "paydesk",
            "--features",
            "custom-protocol,demo",
            "--test",
            "app",
            "bindings",
        ])
        .env("UPDATE_BINDINGS", "1"))
}

// Xvfb and `/proc`: Linux only (the cross tests run xtask's tests under Wine too).
#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// A display whose X server was killed (found when leftover locks of killed servers
    /// filled the whole range and `cargo xtask test` found no display): free again.
    #[test]
    fn a_display_left_by_a_killed_server_is_free_and_one_in_use_is_not() {
        let tmp = tempdir("xtask-display").unwrap();
        std::fs::create_dir_all(tmp.join(".X11-unix")).unwrap();
        let lock_and_socket = |n: u32, pid: u32| {
            std::fs::write(tmp.join(format!(".X{n}-lock")), format!("{pid:>10}\n")).unwrap();
            std::fs::write(tmp.join(format!(".X11-unix/X{n}")), "").unwrap();
        };
        // No process runs with the largest PID Linux can give.
        lock_and_socket(1, 4_194_304);
        lock_and_socket(2, std::process::id());
        assert!(display_free_in(&tmp, 1));
        assert!(!tmp.join(".X1-lock").exists() && !tmp.join(".X11-unix/X1").exists());
        assert!(!display_free_in(&tmp, 2), "this process holds it");
        assert!(display_free_in(&tmp, 3), "nothing there");
        std::fs::write(tmp.join(".X11-unix/X4"), "").unwrap();
        assert!(
            !display_free_in(&tmp, 4),
            "a socket without a lock: someone's"
        );
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
