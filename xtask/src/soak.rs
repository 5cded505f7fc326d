//! `cargo xtask soak [SEQUENCES] [STREAMS]`: the fault suite (`crates/api`'s
//! `fault_suite`) at soak size, beyond the 10 sequences `cargo xtask test` runs.
//!
//! The sequences are split into STREAMS consecutive seed ranges from the suite's own first
//! seed, so together they run exactly the sequences of one long run. Each stream is one
//! process of the api test binary of the tests' build, inside a private D-Bus session of
//! its own with an unlocked gnome-keyring (as `cargo xtask test` runs the tests), so the
//! streams share no keychain. A failing sequence prints its seed and the command that
//! replays it in its stream's log (`target/soak/stream-K.log`).

use std::fs::File;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::{Result, TEST_BUILD, cargo, root};

const DEFAULT_SEQUENCES: u64 = 1000;
const DEFAULT_STREAMS: u64 = 2;
/// The suite's first seed (`DEFAULT_SEED` in `fault_suite.rs`).
const FIRST_SEED: u64 = 0x5eed_2026;
const TEST: &str =
    "fault_suite::random_operation_sequences_keep_paydesk_and_the_gateway_in_agreement";

pub fn run(args: &[String]) -> Result {
    let number = |i: usize, default: u64| -> Result<u64> {
        args.get(i).map_or(Ok(default), |a| {
            a.parse().map_err(|_| format!("not a number: {a}"))
        })
    };
    let sequences = number(0, DEFAULT_SEQUENCES)?.max(1);
    let streams = number(1, DEFAULT_STREAMS)?.clamp(1, sequences);
    crate::setup::run()?;
    let binary = api_test_binary()?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let logs = root().join("target/soak");
    std::fs::create_dir_all(&logs).map_err(|e| format!("{}: {e}", logs.display()))?;
    let per_stream = sequences.div_ceil(streams);
    let started = Instant::now();
    let mut running = Vec::new();
    for k in 0..streams {
        let first = k * per_stream;
        let count = per_stream.min(sequences.saturating_sub(first));
        if count == 0 {
            break;
        }
        let seed = FIRST_SEED + first;
        let keyring = crate::tempdir(&format!("paydesk-soak-keyring-{k}"))?;
        let runtime = crate::runtime_dir(&crate::tempdir(&format!("paydesk-soak-runtime-{k}"))?)?;
        crate::secret_service_activation(&keyring)?;
        let log = logs.join(format!("stream-{k}.log"));
        let out = File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let child = Command::new("dbus-run-session")
            .arg("--")
            .arg(&exe)
            .args([
                "soak-stream",
                &binary,
                &seed.to_string(),
                &count.to_string(),
            ])
            .env("XDG_DATA_HOME", &keyring)
            .env("XDG_RUNTIME_DIR", &runtime)
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start dbus-run-session: {e}"))?;
        eprintln!(
            "stream {k}: {count} sequences from seed {seed} ({})",
            log.display()
        );
        running.push((k, seed, count, child));
    }
    let mut failed = 0;
    for (k, seed, count, mut child) in running {
        let passed = child.wait().is_ok_and(|s| s.success());
        failed += u32::from(!passed);
        println!(
            "stream {k}: {count} sequences from seed {seed}: {} after {:.0} s",
            if passed { "passed" } else { "FAILED" },
            started.elapsed().as_secs_f64()
        );
    }
    println!(
        "soak: {sequences} sequences in {streams} streams: {} in {:.0} s",
        if failed == 0 { "passed" } else { "FAILED" },
        started.elapsed().as_secs_f64()
    );
    match failed {
        0 => Ok(()),
        n => Err(format!("{n} stream(s) failed; see {}", logs.display())),
    }
}

/// One stream, inside its own session: starts the keyring, then runs the suite.
pub fn stream(args: &[String]) -> Result {
    let [binary, seed, count] = args else {
        return Err("usage: cargo xtask soak-stream BINARY SEED COUNT".into());
    };
    crate::start_secret_service()?;
    crate::run(
        Command::new(binary)
            .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
            .current_dir(root().join("crates/api"))
            .env("PAYDESK_TEST", "1")
            .env("PAYDESK_FAULT_SEED", seed)
            .env("PAYDESK_FAULT_SEQUENCES", count)
            // Every passed sequence in the log: a soak stopped early still says how far
            // each stream got.
            .env("PAYDESK_FAULT_VERBOSE", "1"),
    )
}

/// The api crate's integration-test binary of the tests' build (built first if needed;
/// the same command as the tests, so nothing is built twice).
fn api_test_binary() -> Result<String> {
    let out = cargo()
        .args(TEST_BUILD)
        .args(["--no-run", "--message-format=json"])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err("the tests' build failed".into());
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("/crates/api#") && l.contains("\"name\":\"it\""))
        .find_map(|l| {
            let rest = l.split("\"executable\":\"").nth(1)?;
            rest.split('"').next().map(str::to_owned)
        })
        .ok_or_else(|| "the api test binary is not in the build's output".into())
}
