//! Tidy check: deadlines and limits live only in `domain/src/rules.rs`.
//!
//! Scans `crates/*/src` and `src-tauri/src` for literals that look like a deadline or limit
//! of the rules table. The simulator (`crates/paygent-sim`) models the gateway on its own and
//! is skipped, as is the rules table itself. Unit-test modules (everything after a file's
//! first `#[cfg(test)]`) may use literals as test data.

use std::path::{Path, PathBuf};

use regex::Regex;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
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

struct Patterns {
    deadline: Regex,
    limit: Regex,
    limit_context: Regex,
    paidy_limit: Regex,
}

impl Patterns {
    fn new() -> Patterns {
        let re = |s: &str| Regex::new(s).unwrap_or_else(|e| panic!("{e}"));
        Patterns {
            deadline: re(r"\b(days|weeks|months)\(\s*(3|7|60|90)\s*\)"),
            limit: re(r"\b(50|100)\b"),
            limit_context: re(r"(?i)bulk|log_runs|max_orders|operation_log"),
            paidy_limit: re(r"\b300_?000\b"),
        }
    }

    fn suspicious(&self, line: &str) -> bool {
        let code = line.split("//").next().unwrap_or("");
        self.deadline.is_match(code)
            || self.paidy_limit.is_match(code)
            || (self.limit_context.is_match(code) && self.limit.is_match(code))
    }
}

#[test]
fn patterns_catch_literals_and_spare_ordinary_code() {
    let p = Patterns::new();
    for bad in [
        "let deadline = authorized + Duration::days(60);",
        "at + TimeDelta::days( 90 )",
        "const BULK_MAX: usize = 50;",
        "if orders.len() > 50 { return Err(TooManyForBulk) }",
        "keep_log_runs(100)",
        "if amount > Yen(300_000) {",
    ] {
        assert!(p.suspicious(bad), "{bad}");
    }
    for fine in [
        "let deadline = authorized + rules.card_authorization_validity;",
        "let page_size = 50;",
        "if runs.len() > rules.operation_log_runs {",
        "TimeDelta::days(1)",
        "// bulk capture takes at most 50 orders (see rules)",
    ] {
        assert!(!p.suspicious(fine), "{fine}");
    }
}

#[test]
fn no_deadline_or_limit_literals_outside_the_rules_table() {
    let root = workspace_root();
    let mut files = Vec::new();
    if let Ok(crates) = std::fs::read_dir(root.join("crates")) {
        for krate in crates.flatten() {
            if krate.file_name() == "paygent-sim" {
                continue;
            }
            rust_files(&krate.path().join("src"), &mut files);
        }
    }
    rust_files(&root.join("src-tauri/src"), &mut files);
    let rules = root.join("crates/domain/src/rules.rs");
    assert!(
        files.iter().any(|f| f.ends_with("domain/src/operation.rs")),
        "the scan finds this crate"
    );
    let p = Patterns::new();
    let mut offenders = Vec::new();
    for file in files.iter().filter(|f| **f != rules) {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for (n, line) in text
            .lines()
            .enumerate()
            .take_while(|(_, l)| !l.contains("#[cfg(test)]"))
        {
            if p.suspicious(line) {
                let shown = file.strip_prefix(&root).unwrap_or(file).display();
                offenders.push(format!("{shown}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "deadline or limit literals outside crates/domain/src/rules.rs (use domain::RULES):\n{}",
        offenders.join("\n")
    );
}
