//! `cargo xtask cross [--full]`: PayDesk for Windows and macOS, checked from Linux.
//!
//! - Windows (`x86_64-pc-windows-gnu`, linked by mingw-w64): builds every package and
//!   every test binary in one `cargo test --no-run` (the test build's features), links
//!   `paydesk.exe` and runs `paydesk.exe help` under Wine, then runs the test binaries of
//!   every crate below the shell under Wine, each in the same fresh Wine prefix: the
//!   Credential Manager is Wine's, TLS is SChannel (Wine's, over GnuTLS), paths have drive
//!   letters. The shell's own tests (`tests/app`) need WebDriver and a WebView2 window,
//!   which Wine cannot give, so they are built, not run.
//! - macOS (`aarch64-apple-darwin`, `x86_64-apple-darwin`): `cargo check` of every
//!   package but the shell, whose `mac-notification-sys` compiles Objective-C against the
//!   Apple SDK, which cannot be had here. C code (SQLite, ring) is compiled by zig.
//!
//! It installs what it needs first (apt: mingw-w64, Wine; rustup targets; zig from PyPI
//! into `target/cross/zig`), idempotently, prints one table and fails on any failed build,
//! check or test. By default the tests of api and paygent-sim are not run under Wine (see
//! `ONLY_WITH_FULL`); `--full` runs them too.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Result, cargo, root};

pub const WINDOWS: &str = "x86_64-pc-windows-gnu";
pub const MACOS: [&str; 2] = ["aarch64-apple-darwin", "x86_64-apple-darwin"];
/// Debian packages: the linker and C compiler for windows-gnu, and Wine to run its tests.
const APT_PACKAGES: &[&str] = &["gcc-mingw-w64-x86-64", "wine", "wine64"];
/// zig as the C cross-compiler for macOS targets, pinned.
const ZIG: &str = "ziglang==0.17.1";
/// The app package (the shell): built for Windows, its tests not run under Wine.
const SHELL: &str = "paydesk";
/// Crates whose tests run under Wine only with `--full`, not in `cargo xtask test`: they
/// talk to the simulator over mutual TLS with its generated kit (an ECDSA client key, a
/// server certificate below a CA), which Wine 8 cannot use (its PFXImportCertStore imports
/// no EC key, and its SChannel fails a CA-signed server chain on revocation), and the api
/// crate's tests take minutes there. Also the relay server's integration tests (the relay
/// is deployed on Linux): under Wine on a loaded machine two of them failed in one run of
/// five (a stream timeout; SQLite "database is locked" when the test opens the database
/// while the restarted relay holds it, Windows locking files as it does), so CI keeps them
/// out; its unit tests, the desktop's client among them, run. See the README's "Windows
/// and macOS from Linux". Entries are (package, test target), `*` for all of a package's.
/// The command line's and the demo's tests (moved out of api with their crates) start the
/// simulator with its generated kit too, so they go with api.
const ONLY_WITH_FULL: [(&str, &str); 5] = [
    ("api", "*"),
    ("cli", "*"),
    ("demo", "*"),
    ("paygent-sim", "*"),
    ("relay", "it"),
];
/// Test targets that read their output with a Linux program, so they are built for Windows
/// but not run under Wine: the documents' tests read each PDF back with poppler's
/// `pdftotext`. The PDF writer itself is pure Rust and builds for Windows.
const LINUX_TOOLS: [(&str, &str); 1] = [("documents", "it")];
/// A test binary that runs longer than this under Wine is stopped and counted as failed.
const BINARY_LIMIT: Duration = Duration::from_secs(20 * 60);

/// What became of one package on one target.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Row {
    pub built: Built,
    pub passed: u32,
    pub failed: u32,
    /// Tests that exist but did not run (ignored or filtered), or why none ran.
    pub not_run: NotRun,
    pub failures: Vec<String>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub enum Built {
    #[default]
    No,
    Yes,
    Checked,
    Failed,
    /// Cannot be built on this target from Linux, and why.
    Cannot(&'static str),
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub enum NotRun {
    #[default]
    None,
    Count(u32),
    Why(&'static str),
}

pub fn run(full: bool) -> Result {
    let started = Instant::now();
    setup()?;
    eprintln!(
        "cross: setup done in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let mut table: Vec<(String, String, Row)> = Vec::new();
    let mut failed = Vec::new();

    let t = Instant::now();
    match windows(full, &mut table) {
        Ok(()) => {}
        Err(e) => failed.push(e),
    }
    eprintln!("cross: Windows done in {:.0} s", t.elapsed().as_secs_f64());
    for target in MACOS {
        let t = Instant::now();
        if let Err(e) = macos(target, &mut table) {
            failed.push(e);
        }
        eprintln!("cross: {target} done in {:.0} s", t.elapsed().as_secs_f64());
    }
    print!("{}", render(&table));
    eprintln!("cross: {:.0} s in all", started.elapsed().as_secs_f64());
    for (target, package, row) in &table {
        if row.failed > 0 || matches!(row.built, Built::Failed | Built::No) {
            failed.push(format!("{target} {package}: {}", summary(row)));
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("cross: {}", failed.join("; ")))
    }
}

fn summary(row: &Row) -> String {
    if row.failures.is_empty() {
        format!("{:?}, {} failed", row.built, row.failed)
    } else {
        format!("failed: {}", row.failures.join(", "))
    }
}

// ---------------------------------------------------------------------------------------
// Installation

fn setup() -> Result {
    crate::setup::apt(APT_PACKAGES)?;
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .map_err(|e| format!("cannot run rustup: {e}"))?;
    let missing: Vec<&str> = std::iter::once(WINDOWS)
        .chain(MACOS)
        .filter(|t| !installed.lines().any(|l| l.trim() == *t))
        .collect();
    if !missing.is_empty() {
        crate::run(
            Command::new("rustup")
                .args(["target", "add"])
                .args(&missing),
        )?;
    }
    let zig = zig_dir();
    if !zig.join("ziglang").is_dir() {
        crate::run(Command::new("python3").args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
            &zig.to_string_lossy(),
            ZIG,
        ]))?;
    }
    Ok(())
}

fn cross_dir() -> PathBuf {
    root().join("target/cross")
}

fn zig_dir() -> PathBuf {
    cross_dir().join("zig")
}

// ---------------------------------------------------------------------------------------
// Windows

/// Rust's standard library (1.78 and later) loads `ProcessPrng` from
/// `bcryptprimitives.dll`, which Wine 8.0 lacks, so no Rust `.exe` starts under it. This
/// DLL, put into the Wine prefix's system32 only, provides it over `RtlGenRandom`
/// (advapi32's `SystemFunction036`), as Windows 10 and later have it.
const PROCESS_PRNG_C: &str = r#"#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
"#;

/// A fresh Wine prefix for this run, with the `ProcessPrng` DLL.
fn wine_prefix() -> Result<PathBuf> {
    let dir = cross_dir();
    let source = dir.join("bcryptprimitives.c");
    let dll = dir.join("bcryptprimitives.dll");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    std::fs::write(&source, PROCESS_PRNG_C).map_err(|e| format!("{}: {e}", source.display()))?;
    crate::run(
        Command::new("x86_64-w64-mingw32-gcc")
            .args(["-shared", "-O2", "-o"])
            .arg(&dll)
            .arg(&source)
            .arg("-ladvapi32"),
    )?;
    let prefix = dir.join("wine-prefix");
    stop_wine(&prefix);
    let _ = std::fs::remove_dir_all(&prefix);
    crate::run(wine(&prefix, "wineboot").arg("-i"))?;
    let system32 = prefix.join("drive_c/windows/system32");
    std::fs::copy(&dll, system32.join("bcryptprimitives.dll"))
        .map_err(|e| format!("cannot install the ProcessPrng DLL: {e}"))?;
    Ok(prefix)
}

fn wine(prefix: &Path, program: &str) -> Command {
    let mut c = Command::new(program);
    c.env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
        // Wine's own console and window handling need no display for console programs.
        .env_remove("DISPLAY");
    c
}

/// Stops the prefix's wineserver and every process in it (all of them ours).
fn stop_wine(prefix: &Path) {
    if prefix.exists() {
        let _ = wine(prefix, "wineserver").arg("-k").status();
    }
}

/// The Windows build: every package's library and binaries, every test binary, with the
/// test build's features (so the shell links as the app).
fn windows_build() -> Command {
    let mut c = cargo();
    c.args([
        "test",
        "--workspace",
        "--target",
        WINDOWS,
        "--features",
        "paydesk/custom-protocol,paydesk/demo",
        "--no-run",
        "--message-format=json-render-diagnostics",
    ])
    // A one-shot build: incremental caches would only take disk.
    .env("CARGO_INCREMENTAL", "0");
    c
}

struct TestBinary {
    package: String,
    name: String,
    exe: PathBuf,
    dir: PathBuf,
}

fn windows(full: bool, table: &mut Vec<(String, String, Row)>) -> Result {
    let packages = workspace_packages()?;
    let mut rows: BTreeMap<String, Row> = packages
        .iter()
        .map(|p| (p.clone(), Row::default()))
        .collect();
    let mut build = windows_build();
    eprintln!("$ {}", crate::display(&build));
    let output = build
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let artifacts = artifacts(&stdout);
    for a in &artifacts {
        if let Some(row) = rows.get_mut(&a.package) {
            row.built = Built::Yes;
        }
    }
    let emit = |rows: BTreeMap<String, Row>, table: &mut Vec<(String, String, Row)>| {
        table.extend(rows.into_iter().map(|(p, r)| (WINDOWS.to_owned(), p, r)));
    };
    if !output.status.success() {
        for row in rows.values_mut().filter(|r| r.built == Built::No) {
            row.built = Built::Failed;
        }
        emit(rows, table);
        return Err(format!("the Windows build failed ({})", output.status));
    }
    let prefix = wine_prefix()?;
    let app = artifacts
        .iter()
        .find(|a| a.package == SHELL && a.kind == "bin" && !a.test)
        .ok_or("the Windows build made no paydesk.exe")?;
    let help = wine(&prefix, "wine")
        .arg(&app.exe)
        .arg("help")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run wine: {e}"))?;
    let usage =
        String::from_utf8_lossy(&help.stdout).into_owned() + &String::from_utf8_lossy(&help.stderr);
    let shell = rows.entry(SHELL.to_owned()).or_default();
    if usage.contains("usage") || usage.contains("Usage") {
        shell.passed += 1;
    } else {
        shell.failed += 1;
        shell
            .failures
            .push(format!("`paydesk.exe help` under Wine: {}", usage.trim()));
    }
    // Wine has no WebView2 Runtime: a plain start must stop with PayDesk's own message
    // (`webview_runtime`), not Tauri's panic.
    match start_without_webview2(&prefix, &app.exe) {
        Ok(()) => shell.passed += 1,
        Err(why) => {
            shell.failed += 1;
            shell
                .failures
                .push(format!("`paydesk.exe` without WebView2 under Wine: {why}"));
        }
    }
    shell.not_run = NotRun::Why("tests/app: needs WebDriver and a WebView2 window");

    let binaries: Vec<TestBinary> = artifacts
        .into_iter()
        .filter(|a| a.test && a.package != SHELL)
        .map(|a| TestBinary {
            dir: a.manifest_dir,
            package: a.package,
            name: a.target,
            exe: a.exe,
        })
        .collect();
    let logs = cross_dir().join("logs");
    let _ = std::fs::remove_dir_all(&logs);
    std::fs::create_dir_all(&logs).map_err(|e| format!("{}: {e}", logs.display()))?;
    let renegotiation = renegotiating_server()?;
    for binary in &binaries {
        let row = rows.entry(binary.package.clone()).or_default();
        let only_with_full = ONLY_WITH_FULL
            .iter()
            .any(|(p, t)| *p == binary.package && (*t == "*" || *t == binary.name));
        if only_with_full && !full {
            row.not_run = NotRun::Why("under Wine only with `cargo xtask cross --full`");
            continue;
        }
        if LINUX_TOOLS
            .iter()
            .any(|(p, t)| *p == binary.package && *t == binary.name)
        {
            row.not_run = NotRun::Why("reads its PDFs with pdftotext, a Linux program");
            continue;
        }
        let t = Instant::now();
        let log = logs.join(format!("{}-{}.log", binary.package, binary.name));
        let outcome = run_under_wine(&prefix, binary, &log, &renegotiation.address)?;
        eprintln!(
            "cross: {} {} under Wine: {} passed, {} failed in {:.0} s (log: {})",
            binary.package,
            binary.name,
            outcome.passed,
            outcome.failed,
            t.elapsed().as_secs_f64(),
            log.display()
        );
        row.passed += outcome.passed;
        row.failed += outcome.failed;
        if outcome.not_run > 0 {
            row.not_run = NotRun::Count(match row.not_run {
                NotRun::Count(n) => n + outcome.not_run,
                _ => outcome.not_run,
            });
        }
        row.failures.extend(
            outcome
                .failures
                .into_iter()
                .map(|f| format!("{}::{f}", binary.name)),
        );
    }
    stop_wine(&prefix);
    emit(rows, table);
    Ok(())
}

/// libtest's figures for one binary.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub passed: u32,
    pub failed: u32,
    pub not_run: u32,
    pub failures: Vec<String>,
}

/// paygent-client's renegotiating test server (OpenSSL), started here on Linux because a
/// Windows process under Wine cannot start it; the test finds it by
/// `PAYDESK_RENEGOTIATION_SERVER` (`PORT DIR`).
struct Renegotiation {
    _server: crate::Guard,
    address: String,
}

fn renegotiating_server() -> Result<Renegotiation> {
    let dir = cross_dir().join("renegotiation");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let script = root().join("crates/paygent-client/tests/renegotiating_server.py");
    let mut child = Command::new(&script)
        .arg(&dir)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", script.display()))?;
    let mut line = String::new();
    let stdout = child.stdout.take().ok_or("no stdout")?;
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)
        .map_err(|e| e.to_string())?;
    let server = crate::Guard(child);
    let port = line
        .trim()
        .strip_prefix("PORT ")
        .ok_or_else(|| format!("the renegotiating server did not start: {line:?}"))?;
    Ok(Renegotiation {
        _server: server,
        address: format!("{port} {}", dir.display()),
    })
}

/// Starts the app with no arguments in the Wine prefix, which has no WebView2 Runtime:
/// it must exit with `webview_runtime::EXIT_NO_RUNTIME` after saying, in both languages,
/// what is missing. The message box has no display to show on (Wine runs without one).
fn start_without_webview2(prefix: &Path, exe: &Path) -> Result {
    const EXIT_NO_RUNTIME: i32 = 3;
    let log = root().join("target/cross/no-webview2.log");
    let out = File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut child = wine(prefix, "wine")
        .arg(exe)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot run wine: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            stop_wine(prefix);
            return Err("still running after 2 minutes".into());
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut text = String::new();
    File::open(&log)
        .and_then(|mut f| f.read_to_string(&mut text))
        .map_err(|e| format!("{}: {e}", log.display()))?;
    let told = text.contains("WebView2 ランタイム") && text.contains("WebView2 Runtime");
    if status.code() == Some(EXIT_NO_RUNTIME) && told {
        Ok(())
    } else {
        Err(format!("exited {status}: {}", text.trim()))
    }
}

fn run_under_wine(
    prefix: &Path,
    binary: &TestBinary,
    log: &Path,
    renegotiation: &str,
) -> Result<Outcome> {
    let out = File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut child = wine(prefix, "wine")
        .arg(&binary.exe)
        // As `cargo test` runs them: in the package's folder, with the test namespace.
        .current_dir(&binary.dir)
        .env("CARGO_MANIFEST_DIR", &binary.dir)
        .env("PAYDESK_TEST", "1")
        .env("PAYDESK_RENEGOTIATION_SERVER", renegotiation)
        // Tests that meet one of Wine's known gaps say so and check the plain error instead.
        .env("PAYDESK_UNDER_WINE", "1")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot run wine: {e}"))?;
    let deadline = Instant::now() + BINARY_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            stop_wine(prefix);
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut text = String::new();
    File::open(log)
        .and_then(|mut f| f.read_to_string(&mut text))
        .map_err(|e| format!("{}: {e}", log.display()))?;
    let mut outcome = parse_libtest(&text);
    match status {
        None => {
            outcome.failed += 1;
            outcome
                .failures
                .push(format!("stopped after {} min", BINARY_LIMIT.as_secs() / 60));
        }
        Some(status) if !status.success() && outcome.failed == 0 => {
            // Crashed or refused to start: no test result line to trust.
            outcome.failed += 1;
            outcome.failures.push(format!("exited {status}"));
        }
        Some(_) => {}
    }
    Ok(outcome)
}

/// libtest's figures from its summary, the last `test result:` line, and the names in the
/// `failures:` list before it. Earlier result lines come from child processes that tests
/// start from their own binary (they share its output): the last one is the binary's own.
pub fn parse_libtest(text: &str) -> Outcome {
    let mut outcome = Outcome::default();
    let lines: Vec<&str> = text.lines().collect();
    let Some(last) = lines.iter().rposition(|l| l.starts_with("test result: ")) else {
        return outcome;
    };
    for part in lines[last]["test result: ".len()..].split(['.', ';']) {
        let mut words = part.split_whitespace();
        let (Some(n), Some(what)) = (words.next(), words.next()) else {
            continue;
        };
        let Ok(n) = n.parse::<u32>() else { continue };
        match what {
            "passed" => outcome.passed = n,
            "failed" => outcome.failed = n,
            "ignored" => outcome.not_run += n,
            "filtered" => outcome.not_run += n,
            _ => {}
        }
    }
    if let Some(list) = lines[..last].iter().rposition(|l| *l == "failures:") {
        outcome.failures = lines[list + 1..last]
            .iter()
            .filter_map(|l| l.strip_prefix("    "))
            .filter(|name| !name.is_empty() && !name.contains(' '))
            .map(|name| name.to_owned())
            .collect();
    }
    outcome
}

// ---------------------------------------------------------------------------------------
// macOS

/// Why the shell cannot be checked for macOS here.
const SHELL_ON_MACOS: &str = "mac-notification-sys compiles Objective-C against the Apple SDK";

fn macos(target: &str, table: &mut Vec<(String, String, Row)>) -> Result {
    let cc = zig_wrapper(target, "cc")?;
    let ar = zig_wrapper(target, "ar")?;
    let var = target.replace('-', "_");
    let mut check = cargo();
    check
        .args([
            "check",
            "--workspace",
            "--all-targets",
            "--exclude",
            SHELL,
            "--target",
            target,
            "--message-format=json-render-diagnostics",
        ])
        .env(format!("CC_{var}"), &cc)
        .env(format!("AR_{var}"), &ar)
        .env("CARGO_INCREMENTAL", "0");
    eprintln!("$ {}", crate::display(&check));
    let output = check
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let checked: Vec<String> = artifacts(&String::from_utf8_lossy(&output.stdout))
        .into_iter()
        .map(|a| a.package)
        .collect();
    for package in workspace_packages()? {
        let row = Row {
            built: if package == SHELL {
                Built::Cannot(SHELL_ON_MACOS)
            } else if output.status.success() || checked.contains(&package) {
                Built::Checked
            } else {
                Built::Failed
            },
            not_run: NotRun::Why("no macOS here"),
            ..Row::default()
        };
        table.push((target.to_owned(), package, row));
    }
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("the {target} check failed ({})", output.status))
    }
}

/// A script that runs `zig cc` (or `zig ar`) for `target`. The `cc` crate passes its own
/// `--target=…` (LLVM's triple, which zig does not take); zig gets its own instead.
fn zig_wrapper(target: &str, tool: &str) -> Result<PathBuf> {
    let zig_target = match target {
        "aarch64-apple-darwin" => "aarch64-macos",
        "x86_64-apple-darwin" => "x86_64-macos",
        other => return Err(format!("no zig target for {other}")),
    };
    let path = cross_dir().join(format!("zig-{tool}-{target}"));
    let script = if tool == "cc" {
        format!(
            "#!/bin/sh\n# Generated by `cargo xtask cross`.\nfor a do shift; case \"$a\" in --target=*) ;; *) set -- \"$@\" \"$a\";; esac; done\nPYTHONPATH='{zig}' exec python3 -m ziglang cc -target {zig_target} \"$@\"\n",
            zig = zig_dir().display()
        )
    } else {
        format!(
            "#!/bin/sh\n# Generated by `cargo xtask cross`.\nPYTHONPATH='{zig}' exec python3 -m ziglang {tool} \"$@\"\n",
            zig = zig_dir().display()
        )
    };
    std::fs::write(&path, script).map_err(|e| format!("{}: {e}", path.display()))?;
    make_executable(&path)?;
    Ok(path)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> Result {
    Err("`cargo xtask cross` runs on Linux".into())
}

// ---------------------------------------------------------------------------------------
// Cargo's JSON messages (xtask has no dependencies, so a small reader for the few fields)

/// The workspace's package names, from `cargo metadata`.
fn workspace_packages() -> Result<Vec<String>> {
    let output = cargo()
        .args(["metadata", "--no-deps", "--format-version=1"])
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let members = members(&text);
    if members.is_empty() {
        return Err("cargo metadata named no workspace member".into());
    }
    Ok(members)
}

/// The names in `"workspace_members":[...]` (package ids).
fn members(text: &str) -> Vec<String> {
    let Some(start) = text.find("\"workspace_members\":[") else {
        return Vec::new();
    };
    let list = &text[start + "\"workspace_members\":[".len()..];
    let list = &list[..list.find(']').unwrap_or(list.len())];
    let mut names: Vec<String> = list
        .split(',')
        .map(|id| package_name(id.trim().trim_matches('"')))
        .filter(|n| !n.is_empty())
        .collect();
    names.sort();
    names
}

/// A package's name from its id: `path+file:///…/crates/store#0.1.0`,
/// `path+file:///…/work#paydesk@0.1.0` or the older `store 0.1.0 (path+file://…)`.
pub fn package_name(id: &str) -> String {
    if let Some((url, rest)) = id.split_once('#') {
        return match rest.split_once('@') {
            Some((name, _)) => name.to_owned(),
            None => url.rsplit('/').next().unwrap_or("").to_owned(),
        };
    }
    id.split_whitespace().next().unwrap_or("").to_owned()
}

#[derive(Debug, PartialEq, Eq)]
pub struct Artifact {
    pub package: String,
    pub target: String,
    pub kind: String,
    pub test: bool,
    pub exe: PathBuf,
    pub manifest_dir: PathBuf,
}

/// The `compiler-artifact` messages of workspace packages (their ids start with
/// `path+file://`), with the executable when there is one.
pub fn artifacts(json_lines: &str) -> Vec<Artifact> {
    json_lines
        .lines()
        .filter(|l| l.contains("\"reason\":\"compiler-artifact\""))
        .filter_map(|l| {
            let id = string_field(l, "package_id")?;
            if !id.starts_with("path+file://") && !id.contains("(path+file://") {
                return None;
            }
            let manifest = string_field(l, "manifest_path")?;
            let target = &l[l.find("\"target\":")?..];
            Some(Artifact {
                package: package_name(&id),
                target: string_field(target, "name").unwrap_or_default(),
                kind: string_field(target, "kind").unwrap_or_default(),
                test: l
                    .find("\"profile\":{")
                    .map(|at| &l[at..])
                    .and_then(|p| p.find('}').map(|end| &p[..end]))
                    .is_some_and(|p| p.contains("\"test\":true")),
                exe: string_field(l, "executable")
                    .map(PathBuf::from)
                    .unwrap_or_default(),
                manifest_dir: Path::new(&manifest)
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// The first string value of `"field":"…"` or `"field":["…"` in `text` (JSON escapes of
/// backslash and quote undone; paths here have no others).
pub fn string_field(text: &str, field: &str) -> Option<String> {
    let key = format!("\"{field}\":");
    let at = text.find(&key)? + key.len();
    let rest = text[at..].trim_start_matches('[');
    let rest = rest.strip_prefix('"')?;
    let mut value = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => value.push(chars.next()?),
            '"' => return Some(value),
            c => value.push(c),
        }
    }
    None
}

// ---------------------------------------------------------------------------------------
// The table

pub fn render(table: &[(String, String, Row)]) -> String {
    let mut out = String::from(
        "\ntarget                 package         built     passed  failed  not run\n",
    );
    for (target, package, row) in table {
        let built = match &row.built {
            Built::Yes => "yes".to_owned(),
            Built::Checked => "checked".to_owned(),
            Built::No => "no".to_owned(),
            Built::Failed => "FAILED".to_owned(),
            Built::Cannot(_) => "cannot".to_owned(),
        };
        let ran = row.passed + row.failed > 0;
        let number = |n: u32| if ran { n.to_string() } else { "-".to_owned() };
        let not_run = match (&row.not_run, &row.built) {
            (_, Built::Cannot(why)) => format!("({why})"),
            (_, Built::Failed | Built::No) => "-".to_owned(),
            (NotRun::None, _) => "0".to_owned(),
            (NotRun::Count(n), _) => n.to_string(),
            (NotRun::Why(why), _) if ran => format!("some ({why})"),
            (NotRun::Why(why), _) => format!("all ({why})"),
        };
        out.push_str(&format!(
            "{target:<22} {package:<15} {built:<9} {:>6}  {:>6}  {not_run}\n",
            number(row.passed),
            number(row.failed),
        ));
        for failure in &row.failures {
            out.push_str(&format!("    failed: {failure}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtest_figures_come_from_the_binarys_own_summary() {
        // A child process of the same binary printed its own summary first.
        let text = "running 3 tests\nrunning 1 test\ntest result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 9 filtered out; finished in 0.1s\ntest a ... ok\ntest b ... FAILED\n\nfailures:\n\n---- b stdout ----\nboom\n\nfailures:\n    b\n    tls::c\n\ntest result: FAILED. 1 passed; 2 failed; 1 ignored; 0 measured; 4 filtered out; finished in 0.10s\n";
        assert_eq!(
            parse_libtest(text),
            Outcome {
                passed: 1,
                failed: 2,
                not_run: 5,
                failures: vec!["b".into(), "tls::c".into()],
            }
        );
        assert_eq!(parse_libtest("crashed before any test"), Outcome::default());
    }

    #[test]
    fn package_names_come_from_both_id_formats() {
        assert_eq!(package_name("path+file:///w/crates/store#0.1.0"), "store");
        assert_eq!(package_name("path+file:///w/wt#paydesk@0.1.0"), "paydesk");
        assert_eq!(
            package_name("store 0.1.0 (path+file:///w/crates/store)"),
            "store"
        );
    }

    #[test]
    fn artifacts_of_workspace_packages_are_read_from_cargo_messages() {
        let lines = concat!(
            r#"{"reason":"compiler-artifact","package_id":"registry+https://github.com/rust-lang/crates.io-index#serde@1.0.0","manifest_path":"/r/serde/Cargo.toml","target":{"kind":["lib"],"name":"serde","test":true},"profile":{"test":false},"executable":null}"#,
            "\n",
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w/crates/store#0.1.0","manifest_path":"/w/crates/store/Cargo.toml","target":{"kind":["test"],"crate_types":["bin"],"name":"it","src_path":"/w/crates/store/tests/it/main.rs","test":true},"profile":{"opt_level":"0","test":true},"executable":"/w/target/x86_64-pc-windows-gnu/debug/deps/it-1.exe","fresh":true}"#,
            "\n",
            r#"{"reason":"build-finished","success":true}"#,
        );
        assert_eq!(
            artifacts(lines),
            vec![Artifact {
                package: "store".into(),
                target: "it".into(),
                kind: "test".into(),
                test: true,
                exe: "/w/target/x86_64-pc-windows-gnu/debug/deps/it-1.exe".into(),
                manifest_dir: "/w/crates/store".into(),
            }]
        );
    }

    #[test]
    fn the_table_says_what_was_not_run_and_why() {
        let rows = vec![
            (
                WINDOWS.to_owned(),
                "store".to_owned(),
                Row {
                    built: Built::Yes,
                    passed: 44,
                    ..Row::default()
                },
            ),
            (
                MACOS[0].to_owned(),
                SHELL.to_owned(),
                Row {
                    built: Built::Cannot(SHELL_ON_MACOS),
                    not_run: NotRun::Why("no macOS here"),
                    ..Row::default()
                },
            ),
        ];
        let table = render(&rows);
        assert!(
            table.contains("x86_64-pc-windows-gnu  store           yes           44       0  0"),
            "{table}"
        );
        assert!(
            table.contains("cannot") && table.contains("Apple SDK"),
            "{table}"
        );
    }
}
