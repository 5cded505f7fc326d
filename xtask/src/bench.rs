//! `cargo xtask bench [--quick]`: builds the benchmarks in release mode, runs each on
//! loopback, and prints one table of figures beside their targets.
//!
//! Each benchmark is an example of the crate it measures; it prints its own detail and one
//! `METRIC\t<name>\t<value>\t<unit>\t<target>` line per figure, which this collects.
//! `--quick` runs each once at small size and only checks that it runs (for CI).

use crate::{Result, root};
use std::process::{Command, Stdio};

/// (package, example) pairs, in the order their figures appear.
const BENCHES: &[(&str, &str)] = &[
    ("relay", "bench"),
    ("paygent-sim", "bench"),
    ("store", "bench"),
    ("domain", "dashboard_bench"),
    ("api", "bulk_bench"),
];

struct Metric {
    name: String,
    value: String,
    unit: String,
    target: String,
}

pub fn run(quick: bool) -> Result {
    let mut metrics = Vec::new();
    for (package, example) in BENCHES {
        // Several packages name their benchmark `bench`, and cargo writes examples of one
        // profile to one folder: build and run each before the next one overwrites it.
        let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cmd.current_dir(root()).args([
            "run",
            "--quiet",
            "--package",
            package,
            "--example",
            example,
        ]);
        // Quick mode only shows that each benchmark runs: a debug build is enough.
        if !quick {
            cmd.arg("--release");
        }
        cmd.arg("--");
        if quick {
            cmd.arg("--quick");
        }
        eprintln!(
            "$ cargo run --package {package} --example {example}{}",
            if quick { " -- --quick" } else { " --release" }
        );
        let out = cmd
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
    print_table(&metrics, quick);
    Ok(())
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
