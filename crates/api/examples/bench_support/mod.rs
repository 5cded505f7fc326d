//! What the api benchmarks (`bulk_bench`, `sync_bench`) share: running in a private
//! keychain session, and a desk on the embedded simulator, with or without the relay.

use std::sync::Arc;

use api::{Build, Desk, DeskConfig, NoEvents};
use demo::{Embedded, EmbeddedOptions};

/// Set in the benchmark's second run, inside the private session.
const SESSION_MARK: &str = "PAYDESK_BENCH_SESSION";

/// The desk keeps its secrets in the OS keychain: outside the private session this runs
/// the benchmark again under `dbus-run-session` with an unlocked gnome-keyring (the
/// developer's own keychain is never touched) and exits with its status.
pub fn run_in_private_session() {
    if std::env::var_os(SESSION_MARK).is_some() {
        return;
    }
    let exe = std::env::current_exe().expect("the benchmark's path");
    let keyring_home = std::env::temp_dir().join(format!("paydesk-bench-{}", std::process::id()));
    std::fs::create_dir_all(&keyring_home).expect("a keyring folder");
    let status = std::process::Command::new("dbus-run-session")
        .args([
            "--",
            "sh",
            "-c",
            "echo -n bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec \"$0\" \"$@\"",
        ])
        .arg(exe)
        .args(std::env::args().skip(1))
        .env(SESSION_MARK, "1")
        .env("XDG_DATA_HOME", &keyring_home)
        .status()
        .expect("dbus-run-session (cargo xtask setup installs it)");
    let _ = std::fs::remove_dir_all(&keyring_home);
    std::process::exit(status.code().unwrap_or(1));
}

/// The embedded simulator (no relay, no ticker) and a desk configured for it: it polls
/// 091 itself. Keep the temp dir alive as long as both.
#[allow(dead_code)] // each benchmark uses one of the two
pub async fn desk_on_simulator() -> (tempfile::TempDir, Embedded, Desk) {
    desk_on_simulator_with(false).await
}

/// [`desk_on_simulator`], with the embedded relay in front of the desk when `relay`.
pub async fn desk_on_simulator_with(relay: bool) -> (tempfile::TempDir, Embedded, Desk) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let embedded = Embedded::start(
        &dir.path().join("servers"),
        EmbeddedOptions {
            tick_interval: None,
            relay,
            persist: false,
            ..EmbeddedOptions::default()
        },
    )
    .await
    .expect("the embedded simulator");
    let mut config = DeskConfig::new(
        "jp.paydesk.bench",
        "0.0.0",
        Build::Test,
        dir.path().join("data"),
    );
    config.clock = embedded.clock();
    config.events = Arc::new(NoEvents);
    let desk = Desk::open(config).await.expect("the desk");
    desk.save_settings(embedded.settings())
        .await
        .expect("settings");
    desk.save_credentials(embedded.credentials())
        .await
        .expect("credentials in the keychain");
    (dir, embedded, desk)
}
