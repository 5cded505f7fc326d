//! The end of a failed test run names each failing test with its panic message.
//!
//! CI shows only the start and the end of a long log, and a failing end-to-end test prints
//! the screen, the app's log and (with `RUST_BACKTRACE` set) a backtrace before the next
//! one: the messages that say what failed were cut from view. `cargo test`'s output is
//! passed through unchanged and, when it fails, this summary is printed last.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use crate::{Result, display};

/// Runs `cmd`, echoing its standard output line by line; on failure, prints each failing
/// test's name and panic message after it.
pub fn run_summarising(cmd: &mut Command) -> Result {
    eprintln!("$ {}", display(cmd));
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", display(cmd)))?;
    let stdout = child.stdout.take().expect("piped above");
    let mut seen = Vec::new();
    let mut out = std::io::stdout().lock();
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("cannot read the tests' output: {e}"))?;
        let _ = writeln!(out, "{line}");
        seen.push(line);
    }
    drop(out);
    let status = child
        .wait()
        .map_err(|e| format!("cannot wait for {}: {e}", display(cmd)))?;
    if status.success() {
        return Ok(());
    }
    let failures = summarise(&seen);
    if !failures.is_empty() {
        eprintln!("\nfailing tests and what they said:");
        for f in &failures {
            eprintln!("  {f}");
        }
    }
    Err(format!("{} failed ({status})", display(cmd)))
}

/// One line per panic in libtest's failure sections: `test name: location: message`
/// (the message's first line).
pub fn summarise(lines: &[String]) -> Vec<String> {
    let mut test = None;
    let mut found = Vec::new();
    let mut lines = lines.iter();
    while let Some(line) = lines.next() {
        if let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" stdout ----"))
        {
            test = Some(name.to_owned());
        } else if let (Some(name), Some(at)) = (&test, panic_location(line)) {
            let message = lines.next().map(String::as_str).unwrap_or_default();
            found.push(format!("{name}: {at}: {message}"));
        }
    }
    found
}

/// `tests/app/e2e_bulk.rs:105:9` from `thread '…' (123) panicked at tests/app/e2e_bulk.rs:105:9:`.
fn panic_location(line: &str) -> Option<&str> {
    let (_, rest) = line
        .split_once("' panicked at ")
        .or_else(|| line.split_once(") panicked at "))?;
    Some(rest.strip_suffix(':').unwrap_or(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn each_failing_test_is_named_with_its_message() {
        let output = lines(
            "test a::one ... FAILED\n\
             failures:\n\n\
             ---- a::one stdout ----\n\
             --- the screen:\nsomething\n\
             thread 'a::one' (28307) panicked at tests/app/driver.rs:160:17:\n\
             WebDriver session request timed out: did the app start?\n\
             stack backtrace:\n   0: frames\n\n\
             ---- b::two stdout ----\n\
             thread 'b::two' panicked at crates/x/src/lib.rs:3:5:\n\
             assertion `left == right` failed\n  left: 1\n right: 2\n\n\
             failures:\n    a::one\n    b::two\n",
        );
        assert_eq!(
            summarise(&output),
            [
                "a::one: tests/app/driver.rs:160:17: WebDriver session request timed out: did the app start?",
                "b::two: crates/x/src/lib.rs:3:5: assertion `left == right` failed",
            ]
        );
    }

    #[test]
    fn a_passing_run_has_nothing_to_say() {
        let output = lines("test a::one ... ok\ntest result: ok. 1 passed");
        assert!(summarise(&output).is_empty());
    }
}
