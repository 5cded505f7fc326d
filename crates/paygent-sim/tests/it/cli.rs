//! The simulator's command line: help, and usage errors that exit 2 before binding.

use std::process::Command;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_paygent-sim"))
        .args(args)
        .output()
        .expect("paygent-sim runs")
}

#[test]
fn help_names_every_flag() {
    let out = run(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--listen",
        "--control-listen",
        "--state",
        "--tls-dir",
        "--client-passphrase",
        "--paygent-passphrase",
        "--plain-http",
    ] {
        assert!(text.contains(flag), "{flag} in\n{text}");
    }
}

#[test]
fn usage_errors_exit_2_and_say_why() {
    for bad in [
        &[][..],
        &["--plain-http", "--tls-dir", "/tmp/never-used"],
        &["--plain-http", "--listen"],
        &["--plain-http", "--no-such-flag"],
        // The kit's passphrase only means something for a generated TLS kit.
        &["--plain-http", "--paygent-passphrase"],
        &["--plain-http", "--client-passphrase", "x"],
        &[
            "--tls-dir",
            "/tmp/never-used",
            "--paygent-passphrase",
            "--client-passphrase",
            "x",
        ],
    ] {
        let out = run(bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(!out.stderr.is_empty(), "{bad:?}");
    }
}
