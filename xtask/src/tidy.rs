//! Tidy checks over the source tree, run first by `cargo xtask test` (and alone by `cargo
//! xtask tidy`): deadlines and limits live only in the rules table, the fixtures copied
//! from the shared notes have not drifted, no locked dependency is older than a release
//! that fixed a bug PayDesk would meet, the fuzz targets build on no crate that does I/O,
//! and the release app's dependency graph has no demo (the embedded simulator and relay,
//! their certificate generator and web framework).

use std::path::{Path, PathBuf};

use crate::{Result, fixtures, root};

pub fn run() -> Result {
    rules_literals()?;
    fixtures::check()?;
    locked_minimums()?;
    fuzz_without_io()?;
    release_has_no_demo()?;
    eprintln!("tidy: ok");
    Ok(())
}

/// Deadlines and limits live only in `crates/domain/src/rules.rs`. Scans `crates/*/src`
/// and `src-tauri/src` for literals that look like one of the rules table's. The simulator
/// (`crates/paygent-sim`) models the gateway on its own and is skipped, as is the rules
/// table itself. Unit-test modules (everything after a file's first `#[cfg(test)]`) may use
/// literals as test data.
fn rules_literals() -> Result {
    let root = root();
    let mut files = Vec::new();
    for krate in std::fs::read_dir(root.join("crates")).map_err(|e| e.to_string())? {
        let krate = krate.map_err(|e| e.to_string())?;
        if krate.file_name() != "paygent-sim" {
            rust_files(&krate.path().join("src"), &mut files);
        }
    }
    rust_files(&root.join("src-tauri/src"), &mut files);
    if !files.iter().any(|f| f.ends_with("domain/src/operation.rs")) {
        return Err("tidy: the scan did not find crates/domain/src".into());
    }
    let rules = root.join("crates/domain/src/rules.rs");
    let mut offenders = Vec::new();
    for file in files.iter().filter(|f| **f != rules) {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        for (n, line) in text
            .lines()
            .enumerate()
            .take_while(|(_, l)| !l.contains("#[cfg(test)]"))
        {
            if suspicious(line) {
                let shown = file.strip_prefix(&root).unwrap_or(file).display();
                offenders.push(format!("{shown}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    if offenders.is_empty() {
        return Ok(());
    }
    Err(format!(
        "deadline or limit literals outside crates/domain/src/rules.rs (use domain::RULES):\n{}",
        offenders.join("\n")
    ))
}

/// The workspace crates `fuzz/` may build on: parsers without I/O (`secrets` for its
/// `Sensitive` type only, without the keychain).
const FUZZ_PATH_CRATES: &[&str] = &["paygent-codec-fuzz", "paygent-codec", "domain", "secrets"];
/// Crates.io crates that mean I/O (database, network, keychain, mail) in `fuzz/Cargo.lock`.
const FUZZ_IO_CRATES: &[&str] = &[
    "rusqlite", "tokio", "mio", "reqwest", "hyper", "keyring", "lettre",
];

/// `fuzz/` fuzzes parsers of outside input; a store or a network crate in its lock file
/// means a parser moved back behind I/O (issue 18: the subscription CSV parser was in
/// `store`, so the fuzz workspace built SQLite).
fn fuzz_without_io() -> Result {
    let lock =
        std::fs::read_to_string(root().join("fuzz/Cargo.lock")).map_err(|e| e.to_string())?;
    let mut offenders = Vec::new();
    for package in lock.split("[[package]]").skip(1) {
        let Some(name) = package
            .lines()
            .find_map(|l| l.strip_prefix("name = "))
            .map(|n| n.trim_matches('"'))
        else {
            continue;
        };
        let from_path = !package.contains("\nsource = ");
        if (from_path && !FUZZ_PATH_CRATES.contains(&name)) || FUZZ_IO_CRATES.contains(&name) {
            offenders.push(name.to_owned());
        }
    }
    if offenders.is_empty() {
        return Ok(());
    }
    Err(format!(
        "fuzz/ depends on crates that do I/O (keep its parsers in domain or paygent-codec): {}",
        offenders.join(", ")
    ))
}

/// Packages only the demo brings (crate `demo`, the simulator, its certificate generator,
/// the relay server's web framework): none may be in the release app's graph.
pub(crate) const DEMO_ONLY: &[&str] = &["demo", "paygent-sim", "rcgen", "axum"];

/// The release app, as the README's installer command builds it (`tauri build`: the app
/// package with `custom-protocol`, no `demo`), links none of [`DEMO_ONLY`]. Read from
/// `cargo tree` over the lock file, for every target platform.
fn release_has_no_demo() -> Result {
    let output = crate::cargo()
        .args([
            "tree",
            "--package",
            "paydesk",
            "--features",
            "custom-protocol",
            "--edges",
            "normal,build",
            "--target",
            "all",
            "--prefix",
            "none",
            "--format",
            "{p}",
            "--locked",
        ])
        .current_dir(root())
        .output()
        .map_err(|e| format!("cannot run cargo tree: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let tree = String::from_utf8_lossy(&output.stdout);
    if !tree.lines().any(|l| l.starts_with("api ")) {
        return Err(format!(
            "tidy: cargo tree did not list the app's graph:\n{tree}"
        ));
    }
    let found = demo_packages(&tree);
    if found.is_empty() {
        return Ok(());
    }
    Err(format!(
        "the release app's dependency graph has the demo's packages: {} (the demo is the app's \
         feature `demo`, for development and tests only)",
        found.join(", ")
    ))
}

/// Which of [`DEMO_ONLY`] a `cargo tree --prefix none --format {p}` listing names.
fn demo_packages(tree: &str) -> Vec<&'static str> {
    DEMO_ONLY
        .iter()
        .copied()
        .filter(|name| {
            tree.lines()
                .any(|l| l.split_whitespace().next() == Some(*name))
        })
        .collect()
}

/// Dependencies whose older releases have a bug PayDesk would meet on a shop's machine, with
/// the first release that fixed it. Only `Cargo.lock` decides what is built, so a
/// `cargo update --precise` or a resolver change must not bring one back.
const LOCKED_MINIMUMS: &[(&str, [u64; 3], &str)] = &[(
    "mac-notification-sys",
    [0, 6, 13],
    "macOS: before 0.6.13 each notification waiting for its click spun a core on a thread \
     of its own until clicked (mac-notification-sys#86, fixed by #87); \
     tauri-plugin-notification waits for every click PayDesk listens to",
)];

fn locked_minimums() -> Result {
    let lock = root().join("Cargo.lock");
    let text = std::fs::read_to_string(&lock).map_err(|e| format!("{}: {e}", lock.display()))?;
    let problems: Vec<String> = LOCKED_MINIMUMS
        .iter()
        .filter_map(|(name, minimum, why)| below_minimum(&text, name, *minimum, why))
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    Err(format!("Cargo.lock:\n{}", problems.join("\n")))
}

/// What is wrong with `name`'s locked versions (every copy in the lock file), if anything:
/// one older than `minimum`, or none at all (the check would then pass silently forever).
fn below_minimum(lock: &str, name: &str, minimum: [u64; 3], why: &str) -> Option<String> {
    let wanted = format!("name = \"{name}\"");
    let versions: Vec<&str> = lock
        .split("[[package]]")
        .filter(|block| block.lines().any(|l| l.trim() == wanted))
        .filter_map(|block| {
            block
                .lines()
                .find_map(|l| l.trim().strip_prefix("version = \""))
                .map(|v| v.trim_end_matches('"'))
        })
        .collect();
    let shown = minimum.map(|n| n.to_string()).join(".");
    if versions.is_empty() {
        return Some(format!(
            "{name} is no longer locked: remove it from tidy's LOCKED_MINIMUMS or find what replaced it ({why})"
        ));
    }
    let old: Vec<&str> = versions
        .into_iter()
        .filter(|v| parse_version(v).is_none_or(|v| v < minimum))
        .collect();
    (!old.is_empty()).then(|| format!("{name} {} is older than {shown}: {why}", old.join(", ")))
}

/// `major.minor.patch` of a locked version; a pre-release counts as its release.
fn parse_version(version: &str) -> Option<[u64; 3]> {
    let mut parts = version.split(['.', '-', '+']).map(str::parse::<u64>);
    Some([
        parts.next()?.ok()?,
        parts.next()?.ok()?,
        parts.next()?.ok()?,
    ])
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A line (its code, not its comment) that spells a rules-table value: a 3/7/60/90-day
/// deadline, the Paidy limit of ¥300,000, or 50/100 beside a bulk or log limit's name.
fn suspicious(line: &str) -> bool {
    let code = line.split("//").next().unwrap_or("");
    let deadline = ["days", "weeks", "months"].iter().any(|unit| {
        calls(code, unit)
            .into_iter()
            .any(|arg| matches!(arg.trim(), "3" | "7" | "60" | "90"))
    });
    let lower = code.to_ascii_lowercase();
    let limit_context = ["bulk", "log_runs", "max_orders", "operation_log"]
        .iter()
        .any(|w| lower.contains(w));
    let limit = numbers(code).any(|n| n == "50" || n == "100");
    deadline || numbers(code).any(|n| n == "300000" || n == "300_000") || (limit_context && limit)
}

/// The argument texts of every call `name(...)` where `name` is a whole word.
fn calls<'a>(code: &'a str, name: &str) -> Vec<&'a str> {
    code.match_indices(name)
        .filter(|(i, _)| !code[..*i].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
        .filter_map(|(i, _)| {
            let rest = code[i + name.len()..].strip_prefix('(')?;
            rest.find(')').map(|end| &rest[..end])
        })
        .collect()
}

/// The whole-word numeric tokens of a line (digits and underscores).
fn numbers(code: &str) -> impl Iterator<Item = &str> {
    code.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|t| t.starts_with(|c: char| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::{below_minimum, demo_packages, suspicious};

    #[test]
    fn a_demo_package_in_the_release_graph_is_named() {
        let tree = "paydesk v0.1.0 (/repo)\napi v0.1.0 (/repo/crates/api)\n\
                    relay v0.1.0 (/repo/crates/relay)\nrcgen v0.13.2\naxum v0.8.4\n\
                    paygent-sim v0.1.0 (/repo/crates/paygent-sim)\n";
        assert_eq!(demo_packages(tree), ["paygent-sim", "rcgen", "axum"]);
        let clean = "paydesk v0.1.0 (/repo)\napi v0.1.0 (/repo/crates/api)\n\
                     axum-core v0.5.2\ndemo-like v1.0.0\n";
        assert!(demo_packages(clean).is_empty());
    }

    /// The real tree: the release app (no feature `demo`) has none of the demo's packages,
    /// and the app with `demo` does (so the check can see them at all).
    #[test]
    fn the_release_app_has_no_demo_and_the_demo_build_has() {
        // It runs cargo on the tree; Wine's prefix (`cargo xtask cross`) has no cargo.
        if std::env::var_os("PAYDESK_UNDER_WINE").is_some() {
            return;
        }
        super::release_has_no_demo().unwrap();
        let output = crate::cargo()
            .args([
                "tree",
                "--package",
                "paydesk",
                "--features",
                "custom-protocol,demo",
            ])
            .args([
                "--edges", "normal", "--prefix", "none", "--format", "{p}", "--locked",
            ])
            .current_dir(crate::root())
            .output()
            .unwrap();
        assert!(output.status.success());
        let tree = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            demo_packages(&tree),
            ["demo", "paygent-sim", "rcgen", "axum"]
        );
    }

    #[test]
    fn a_locked_dependency_below_its_minimum_is_named_with_the_reason() {
        let lock = "[[package]]\nname = \"mac-notification-sys\"\nversion = \"0.6.12\"\n\n\
                    [[package]]\nname = \"other\"\nversion = \"9.9.9\"\n";
        let found = below_minimum(lock, "mac-notification-sys", [0, 6, 13], "spins a core");
        assert_eq!(
            found.as_deref(),
            Some("mac-notification-sys 0.6.12 is older than 0.6.13: spins a core")
        );
        let fixed = lock.replace("0.6.12", "0.6.15");
        assert_eq!(
            below_minimum(&fixed, "mac-notification-sys", [0, 6, 13], ""),
            None
        );
        let gone = below_minimum(
            "[[package]]\nname = \"other\"\n",
            "mac-notification-sys",
            [0, 6, 13],
            "",
        );
        assert!(gone.is_some_and(|m| m.contains("no longer locked")));
    }

    #[test]
    fn patterns_catch_literals_and_spare_ordinary_code() {
        for bad in [
            "let deadline = authorized + Duration::days(60);",
            "at + TimeDelta::days( 90 )",
            "const BULK_MAX: usize = 50;",
            "if orders.len() > 50 { return Err(TooManyForBulk) }",
            "keep_log_runs(100)",
            "if amount > Yen(300_000) {",
        ] {
            assert!(suspicious(bad), "{bad}");
        }
        for fine in [
            "let deadline = authorized + rules.card_authorization_validity;",
            "let page_size = 50;",
            "if runs.len() > rules.operation_log_runs {",
            "TimeDelta::days(1)",
            "// bulk capture takes at most 50 orders (see rules)",
            "let window = Duration::days(30);",
            "let ids = bulk_ids(150);",
        ] {
            assert!(!suspicious(fine), "{fine}");
        }
    }
}
