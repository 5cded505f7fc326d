//! Tidy checks over the source tree, run first by `cargo xtask test` (and alone by `cargo
//! xtask tidy`): deadlines and limits live only in the rules table, the fixtures copied
//! from the shared notes have not drifted, no locked dependency is older than a release
//! that fixed a bug PayDesk would meet, the fuzz targets build on no crate that does I/O,
//! the release app's dependency graph has no demo (the embedded simulator and relay,
//! their certificate generator and web framework), and the api crate's modules depend
//! on each other one way only (`module_cycles`) and reach each other through functions,
//! never through `Desk` (`api_features_without_desk`), and PayDesk's own error codes are
//! only in `api::ErrorCode`'s table (`error_codes_in_the_table`), each call site giving
//! exactly the values its code's texts name (`error_values_match_the_table`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::{Result, fixtures, root};

pub fn run() -> Result {
    rules_literals()?;
    fixtures::check()?;
    locked_minimums()?;
    api_module_cycles()?;
    api_features_without_desk()?;
    fuzz_without_io()?;
    release_has_no_demo()?;
    error_codes_in_the_table()?;
    error_values_match_the_table()?;
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

/// The Rust files of the crates that build `AppError`s.
fn error_making_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [
        "crates/api/src",
        "crates/cli/src",
        "crates/demo/src",
        "src-tauri/src",
    ] {
        rust_files(&root.join(dir), &mut files);
    }
    files
}

/// PayDesk's own error codes are `api::ErrorCode` variants; `AppError::foreign` is for a
/// code another crate's table made, so a string literal handed to it is a code made up
/// inline (a typo there would compile). Scans the crates that build `AppError`s.
fn error_codes_in_the_table() -> Result {
    let root = root();
    let files = error_making_files(&root);
    let mut offenders = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        for (at, _) in text.match_indices("AppError::foreign(") {
            let rest = text[at + "AppError::foreign(".len()..].trim_start();
            if rest.starts_with('"') {
                let line = text[..at].lines().count();
                let shown = file.strip_prefix(&root).unwrap_or(file).display();
                offenders.push(format!("{shown}:{line}"));
            }
        }
    }
    if offenders.is_empty() {
        return Ok(());
    }
    Err(format!(
        "error codes made up inline (add the code to crates/api/src/error_code.rs and use AppError::of):\n{}",
        offenders.join("\n")
    ))
}

/// Every `AppError::of(ErrorCode::X)` gives exactly the values `X`'s texts name: a
/// placeholder without a value would be left out of a release build's message (a debug
/// build stops on it, but only where a test reaches that error), so each call site is
/// checked here against the table in `crates/api/src/error_code.rs`. A code chosen at run
/// time (`AppError::of(code)`) is not checked.
fn error_values_match_the_table() -> Result {
    let root = root();
    let table = std::fs::read_to_string(root.join("crates/api/src/error_code.rs"))
        .map_err(|e| e.to_string())?;
    let placeholders = error_table_placeholders(&table);
    if placeholders.len() < 90 {
        return Err(format!(
            "tidy: read only {} entries from crates/api/src/error_code.rs's table",
            placeholders.len()
        ));
    }
    let files = error_making_files(&root);
    let mut offenders = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (line, variant, given) in error_call_sites(code) {
            let shown = file.strip_prefix(&root).unwrap_or(file).display();
            match placeholders.get(variant) {
                None => offenders.push(format!("{shown}:{line}: {variant} is not in the table")),
                Some(wanted) if *wanted != given => offenders.push(format!(
                    "{shown}:{line}: {variant} names {wanted:?} but is given {given:?}"
                )),
                Some(_) => {}
            }
        }
    }
    if offenders.is_empty() {
        return Ok(());
    }
    Err(format!(
        "errors whose values do not match their texts' placeholders in crates/api/src/error_code.rs:\n{}",
        offenders.join("\n")
    ))
}

/// Each entry of the error table and the `{placeholders}` of its texts (`internal`: its
/// `{detail}`).
fn error_table_placeholders(table: &str) -> BTreeMap<&str, BTreeSet<&str>> {
    let body = table
        .split_once("error_codes! {")
        .map_or("", |(_, b)| b)
        .split("\nimpl ")
        .next()
        .unwrap_or("");
    let mut entries = BTreeMap::new();
    let mut current: Option<(&str, BTreeSet<&str>)> = None;
    for line in body.lines().map(str::trim) {
        if line.starts_with("///") {
            continue;
        }
        let head = line
            .split_once(" = ")
            .filter(|(name, _)| name.chars().all(|c| c.is_ascii_alphanumeric()))
            .filter(|(name, rest)| name.starts_with(char::is_uppercase) && rest.contains('{'));
        if let Some((name, rest)) = head {
            if let Some((done, names)) = current.take() {
                entries.insert(done, names);
            }
            let mut names = BTreeSet::new();
            if rest.contains("{ internal }") {
                names.insert("detail");
            }
            current = Some((name, names));
        } else if let Some((_, names)) = current.as_mut() {
            names.extend(braced_names(line));
        }
    }
    if let Some((done, names)) = current {
        entries.insert(done, names);
    }
    entries
}

/// The `{name}`s in a line of the table.
fn braced_names(line: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = line;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        if let Some(close) = rest.find('}') {
            let name = &rest[..close];
            if !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                names.push(name);
                rest = &rest[close + 1..];
            }
        }
    }
    names
}

/// Each `AppError::of(ErrorCode::X)` in `code`: its line, `X`, and the names its
/// `.with*("name", …)` calls give, up to the end of the expression (`.into()`, `;`, or
/// the next error).
fn error_call_sites(code: &str) -> Vec<(usize, &str, BTreeSet<&str>)> {
    const OF: &str = "AppError::of(";
    let mut sites = Vec::new();
    for (at, _) in code.match_indices(OF) {
        let after = &code[at + OF.len()..];
        let Some(variant) = after
            .trim_start()
            .trim_start_matches("api::")
            .strip_prefix("ErrorCode::")
            .and_then(|r| r.split_once(')'))
            .map(|(v, _)| v.trim())
        else {
            continue; // a code chosen at run time
        };
        let end = [".into()", ";", OF]
            .iter()
            .filter_map(|stop| after.find(stop))
            .min()
            .unwrap_or(after.len());
        let chain = &after[..end];
        let mut given = BTreeSet::new();
        for method in [".with(", ".with_each(", ".with_text("] {
            for (m, _) in chain.match_indices(method) {
                let arg = chain[m + method.len()..].trim_start();
                if let Some(name) = arg.strip_prefix('"').and_then(|r| r.split('"').next()) {
                    given.insert(name);
                }
            }
        }
        sites.push((code[..at].lines().count(), variant, given));
    }
    sites
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

/// A folder of modules that must depend on each other one way only.
struct Tree {
    /// The folder whose files (and subfolders) are the modules, from the repository root.
    dir: &'static str,
    /// The file that declares them; a node of its own (`root`).
    root_file: &'static str,
    root: &'static str,
    /// How a path to one of them starts (`crate::x` or `crate::dto::x`).
    prefix: &'static str,
}

/// The api crate's top-level modules (`src/x.rs` with `src/x/`), where `lib.rs`, the facade,
/// is a node too ("lib"): a feature module that reaches back to anything defined there
/// closes a cycle. And the DTO files below `src/dto.rs`.
const TREES: &[Tree] = &[
    Tree {
        dir: "crates/api/src",
        root_file: "crates/api/src/lib.rs",
        root: "lib",
        prefix: "crate::",
    },
    Tree {
        dir: "crates/api/src/dto",
        root_file: "crates/api/src/dto.rs",
        root: "dto",
        prefix: "crate::dto::",
    },
];

/// Fails naming every cycle among the modules of each of [`TREES`].
fn api_module_cycles() -> Result {
    let mut found = Vec::new();
    for tree in TREES {
        let files = module_files(tree)?;
        for (_, shown) in cycles(&module_graph(&files, tree.root, tree.prefix)) {
            found.push(format!("{}: {shown}", tree.dir));
        }
    }
    if found.is_empty() {
        return Ok(());
    }
    Err(format!(
        "modules depend on each other in a circle (each module may use only the ones below it; \
         `cargo xtask tidy --api-graph` shows the edges, read from `crate::`/`super::` paths and from \
         calls of `Desk` methods implemented in another module):\n{}",
        found.join("\n")
    ))
}

/// The api crate's files that may name `Desk` in code: the facade, the context that
/// defines the handle (and the demo's seam that takes it), and `lib.rs` that re-exports it.
const DESK_FILES: &[&str] = &["lib.rs", "desk.rs", "context.rs"];

/// A feature module of `crates/api` works over `cx: &Context` and calls a lower feature's
/// function (`settings::gateway(cx)`); naming `Desk` would let it reach any feature through
/// the facade. Fails naming every file outside [`DESK_FILES`] whose code (comments aside,
/// unit tests included) names it.
fn api_features_without_desk() -> Result {
    let dir = root().join("crates/api/src");
    let mut paths = Vec::new();
    rust_files(&dir, &mut paths);
    let mut found = Vec::new();
    for path in paths {
        let relative = path.strip_prefix(&dir).map_err(|e| e.to_string())?;
        if DESK_FILES.iter().any(|f| relative == Path::new(f)) {
            continue;
        }
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        for (n, line) in text.lines().enumerate() {
            if names_desk(line) {
                found.push(format!(
                    "crates/api/src/{}:{}: {}",
                    relative.display(),
                    n + 1,
                    line.trim()
                ));
            }
        }
    }
    if found.is_empty() {
        return Ok(());
    }
    Err(format!(
        "a feature module names `Desk` (take `cx: &Context` and call the lower feature's function; \
         only {} may name it):\n{}",
        DESK_FILES.join(", "),
        found.join("\n")
    ))
}

/// Whether a line's code (before a line comment) names `Desk` as a whole word (`DeskEvent`
/// and "PayDesk" are other words).
fn names_desk(line: &str) -> bool {
    let code = code_of(line);
    code.match_indices("Desk").any(|(i, _)| {
        let word = |c: char| c.is_alphanumeric() || c == '_';
        !code[..i].ends_with(word) && !code[i + 4..].starts_with(word)
    })
}

/// `cargo xtask tidy --api-graph`: each tree's module graph as the cycle check reads it, one
/// line per module with the modules it uses, then its cycles.
pub fn print_api_graph() -> Result {
    for tree in TREES {
        println!("{}:", tree.dir);
        let graph = module_graph(&module_files(tree)?, tree.root, tree.prefix);
        for (module, uses) in &graph {
            let uses: Vec<&str> = uses.iter().map(String::as_str).collect();
            println!("  {module} → {}", uses.join(", "));
        }
        for (_, cycle) in cycles(&graph) {
            println!("  cycle: {cycle}");
        }
    }
    Ok(())
}

/// Every Rust file of a tree, as (module, depth below its folder, code before its unit
/// tests with line comments removed): a file's module is the first part of its path below
/// the folder; the root file is the tree's root module.
fn module_files(tree: &Tree) -> Result<Vec<(String, usize, String)>> {
    let dir = root().join(tree.dir);
    let root_file = root().join(tree.root_file);
    let read =
        |path: &Path| std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()));
    // The root file's `super::` leaves the tree: no depth it could climb.
    let mut files = vec![(
        tree.root.to_owned(),
        usize::MAX,
        code_of(&read(&root_file)?),
    )];
    let mut paths = Vec::new();
    rust_files(&dir, &mut paths);
    if paths.is_empty() {
        return Err(format!("tidy: no Rust files in {}", dir.display()));
    }
    for path in paths.into_iter().filter(|p| *p != root_file) {
        let relative = path.strip_prefix(&dir).map_err(|e| e.to_string())?;
        let depth = relative.components().count();
        let first = relative
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy());
        let module = first
            .map(|f| f.trim_end_matches(".rs").to_owned())
            .unwrap_or_default();
        files.push((module, depth, code_of(&read(&path)?)));
    }
    Ok(files)
}

/// A file's code before its first `#[cfg(test)]`, without line comments (doc comments
/// mention other modules freely).
fn code_of(text: &str) -> String {
    text.lines()
        .take_while(|l| !l.contains("#[cfg(test)]"))
        .map(|l| match l.find("//") {
            // `"https://…"` is code; a comment starts after whitespace or at the line's start.
            Some(i) if l[..i].matches('"').count() % 2 == 0 => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Which module uses which: (a) paths `crate::m`, `crate::{m, …}` and `super::m` (with
/// `prefix` for `crate::`; a path to an item of the root file is an edge to `root`, one to
/// an item the root re-exports from a module is an edge to that module), (b) calls
/// `self.f(`, `desk.f(` and `Desk::f(` of a `Desk` method implemented in another module.
fn module_graph(
    files: &[(String, usize, String)],
    root: &str,
    prefix: &str,
) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeSet<&str> = files.iter().map(|(m, _, _)| m.as_str()).collect();
    let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
    for (module, _, code) in files {
        for method in desk_methods(code) {
            owner.insert(method, module);
        }
    }
    let reexports: BTreeMap<&str, &str> = files
        .iter()
        .filter(|(m, _, _)| m == root)
        .flat_map(|(_, _, code)| reexports(code, &modules))
        .collect();
    let target = |name: &str| -> Option<String> {
        if modules.contains(name) && name != root {
            Some(name.to_owned())
        } else if let Some(module) = reexports.get(name) {
            Some((*module).to_owned())
        } else if name.starts_with(|c: char| c.is_ascii_alphabetic()) && name != "self" {
            Some(root.to_owned())
        } else {
            None
        }
    };
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, depth, code) in files {
        let uses = graph.entry(module.clone()).or_default();
        for name in crate_paths(code, *depth, prefix) {
            uses.extend(target(name));
        }
        for name in method_calls(code) {
            if let Some(other) = owner.get(name) {
                uses.insert((*other).to_owned());
            }
        }
        uses.remove(module);
    }
    graph
}

/// The names of the methods in a file's `impl Desk` blocks.
fn desk_methods(code: &str) -> Vec<&str> {
    let mut names = Vec::new();
    for (start, _) in code.match_indices("impl Desk {") {
        let block = braced(&code[start..]);
        for (i, _) in block.match_indices("fn ") {
            let before = block[..i].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let name = identifier(&block[i + 3..]);
            if !name.is_empty() {
                names.push(name);
            }
        }
    }
    names
}

/// From the opening `{` on: the text up to its matching `}`.
fn braced(text: &str) -> &str {
    let Some(open) = text.find('{') else {
        return "";
    };
    let mut depth = 0usize;
    for (i, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return &text[open..open + i + 1];
                }
            }
            _ => {}
        }
    }
    &text[open..]
}

/// The identifier at the start of `text`.
fn identifier(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// `pub use m::{A, B};` and `pub use m::A;` in lib.rs: A and B come from module m.
fn reexports<'a>(code: &'a str, modules: &BTreeSet<&str>) -> Vec<(&'a str, &'a str)> {
    let mut found = Vec::new();
    for line in code.lines() {
        let Some(rest) = line.trim().strip_prefix("pub use ") else {
            continue;
        };
        let module = identifier(rest);
        if !modules.contains(module) {
            continue;
        }
        let items = rest[module.len()..].trim_start_matches("::");
        let items = items.trim_end_matches(';').trim_matches(['{', '}']);
        for item in items.split(',') {
            let name = item.split(" as ").last().unwrap_or("").trim();
            let name = identifier(name);
            if !name.is_empty() {
                found.push((name, module));
            }
        }
    }
    found
}

/// The first name after each `prefix` (every name of a `prefix{…}` group) and after
/// `super::` chains that climb to the tree's root from a file `depth` folders down.
fn crate_paths<'a>(code: &'a str, depth: usize, prefix: &str) -> Vec<&'a str> {
    let mut names = Vec::new();
    for (i, _) in code.match_indices(prefix) {
        if code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        names.extend(path_heads(&code[i + prefix.len()..]));
    }
    for (i, _) in code.match_indices("super::") {
        if code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let mut rest = &code[i..];
        let mut climbs = 0;
        while let Some(r) = rest.strip_prefix("super::") {
            rest = r;
            climbs += 1;
        }
        if climbs >= depth {
            names.extend(path_heads(rest));
        }
    }
    names
}

/// The first name of a path, or each top-level name of a `{…}` group.
fn path_heads(rest: &str) -> Vec<&str> {
    if !rest.starts_with('{') {
        return vec![identifier(rest)];
    }
    let group = braced(rest);
    let inner = &group[1..group.len().saturating_sub(1)];
    let mut heads = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                heads.push(identifier(inner[start..i].trim()));
                start = i + 1;
            }
            _ => {}
        }
    }
    heads.push(identifier(inner[start..].trim()));
    heads.retain(|h| !h.is_empty());
    heads
}

/// The method names of `self.f(`, `desk.f(` and `Desk::f(` calls (whitespace may break the
/// chain across lines).
fn method_calls(code: &str) -> Vec<&str> {
    let mut names = Vec::new();
    for receiver in ["self", "desk", "Desk"] {
        for (i, _) in code.match_indices(receiver) {
            if code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '.') {
                continue;
            }
            let rest = code[i + receiver.len()..].trim_start();
            let Some(rest) = rest.strip_prefix(if receiver == "Desk" { "::" } else { "." }) else {
                continue;
            };
            let name = identifier(rest);
            if !name.is_empty() && rest[name.len()..].starts_with('(') {
                names.push(name);
            }
        }
    }
    names
}

/// Every cycle of the graph: the members of each strongly connected component with more
/// than one module, and a line naming them with one circle through them.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<(BTreeSet<String>, String)> {
    let reaches = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_owned()];
        while let Some(m) = todo.pop() {
            for next in graph.get(&m).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reach: BTreeMap<&str, BTreeSet<String>> =
        graph.keys().map(|m| (m.as_str(), reaches(m))).collect();
    let mut done = BTreeSet::new();
    let mut found = Vec::new();
    for (module, from_here) in &reach {
        if done.contains(*module) || !from_here.contains(*module) {
            continue;
        }
        let component: BTreeSet<String> = from_here
            .iter()
            .filter(|other| reach[other.as_str()].contains(*module))
            .cloned()
            .collect();
        done.extend(component.iter().cloned());
        let circle = circle_through(graph, module, &component);
        let shown = format!(
            "{} modules in a circle ({}), e.g. {}",
            component.len(),
            component.iter().cloned().collect::<Vec<_>>().join(", "),
            circle.join(" → ")
        );
        found.push((component, shown));
    }
    found
}

/// A shortest path from `start` back to itself inside `component` (breadth first).
fn circle_through(
    graph: &BTreeMap<String, BTreeSet<String>>,
    start: &str,
    component: &BTreeSet<String>,
) -> Vec<String> {
    let mut came_from: BTreeMap<String, String> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start.to_owned()]);
    while let Some(m) = queue.pop_front() {
        for next in graph.get(&m).into_iter().flatten() {
            if !component.contains(next) {
                continue;
            }
            if next == start {
                let mut path = vec![m.clone()];
                let mut at = m;
                while let Some(prev) = came_from.get(&at) {
                    path.push(prev.clone());
                    at = prev.clone();
                }
                path.reverse();
                path.push(start.to_owned());
                return path;
            }
            if !came_from.contains_key(next) && next != start {
                came_from.insert(next.clone(), m.clone());
                queue.push_back(next.clone());
            }
        }
    }
    vec![start.to_owned()]
}

#[cfg(test)]
mod tests {
    use super::{
        below_minimum, cycles, demo_packages, error_call_sites, error_table_placeholders,
        module_graph, names_desk, suspicious,
    };

    #[test]
    fn an_error_call_site_is_read_with_the_values_it_gives() {
        let code = "fn a() {\n    return Err(AppError::of(ErrorCode::TrackingNumberTaken)\n        .with(\"number\", n)\n        .with_each(\n            \"order\",\n            a,\n            b,\n        )\n        .into());\n}\nfn b() { AppError::of(api::ErrorCode::NoPath).into() }\nfn c(code: ErrorCode) { AppError::of(code).with(\"x\", 1); }\n";
        let sites = error_call_sites(code);
        assert_eq!(sites.len(), 2, "{sites:?}");
        assert_eq!(sites[0].0, 2);
        assert_eq!(sites[0].1, "TrackingNumberTaken");
        assert_eq!(sites[0].2, ["number", "order"].into_iter().collect());
        assert_eq!(sites[1].1, "NoPath");
        assert!(sites[1].2.is_empty());
    }

    #[test]
    fn the_error_table_is_read_with_each_entrys_placeholders() {
        let table = "macro_rules! error_codes { }\nerror_codes! {\n    /// A doc = with {braces}.\n    BadMonth = \"bad_month\" { internal },\n    FeeRateTooHigh = InvalidFeeRate {\n        \"{value}は (31 = month end)\",\n        \"{value} is\",\n        next: \"{advice}\",\n        \"{advice}\",\n    },\n}\n\nimpl std::fmt::Display for ErrorCode {}\n";
        let entries = error_table_placeholders(table);
        assert_eq!(entries.len(), 2, "{entries:?}");
        assert_eq!(entries["BadMonth"], ["detail"].into_iter().collect());
        assert_eq!(
            entries["FeeRateTooHigh"],
            ["advice", "value"].into_iter().collect()
        );
    }

    fn file(module: &str, depth: usize, code: &str) -> (String, usize, String) {
        (module.to_owned(), depth, super::code_of(code))
    }

    fn edges(files: &[(String, usize, String)]) -> Vec<String> {
        module_graph(files, "lib", "crate::")
            .into_iter()
            .flat_map(|(m, uses)| uses.into_iter().map(move |u| format!("{m} → {u}")))
            .collect()
    }

    #[test]
    fn module_uses_are_read_from_paths_groups_reexports_and_desk_calls() {
        let files = [
            file(
                "lib",
                1,
                "mod a; mod b; mod c; mod error;\npub use error::{AppError, Text};\n\
                 pub struct Desk;\nimpl Desk {\n    pub fn go(&self) { self.in_a() }\n}",
            ),
            file(
                "a",
                1,
                "use crate::{b::Thing, error};\n// crate::c in a comment is no use\n\
                 impl Desk {\n    pub(crate) fn in_a(&self) -> crate::AppError { todo!() }\n}",
            ),
            file("b", 1, "fn f(desk: &Desk) {\n    desk\n        .in_c(1)\n}"),
            file("c", 1, "impl Desk {\n    fn in_c(&self, n: u8) {}\n}"),
            file("c", 2, "use super::super::error::Text;\nuse super::in_c;"),
            file("error", 1, "pub struct AppError;"),
        ];
        assert_eq!(
            edges(&files),
            ["a → b", "a → error", "b → c", "c → error", "lib → a"]
        );
        assert!(cycles(&module_graph(&files, "lib", "crate::")).is_empty());
    }

    #[test]
    fn a_cycle_is_named_with_its_modules_and_one_circle() {
        let files = [
            file(
                "lib",
                1,
                "impl Desk {\n    pub fn go(&self) { self.capture() }\n}",
            ),
            file(
                "operations",
                1,
                "impl Desk {\n    pub(crate) fn capture(&self) { crate::sync::poll(); }\n}",
            ),
            file(
                "sync",
                1,
                "pub(crate) fn poll() {}\nfn wake(desk: &crate::Desk) { desk.go() }",
            ),
            file("settings", 1, "pub(crate) fn load() {}"),
        ];
        let found: Vec<String> = cycles(&module_graph(&files, "lib", "crate::"))
            .into_iter()
            .map(|(_, shown)| shown)
            .collect();
        assert_eq!(
            found,
            ["3 modules in a circle (lib, operations, sync), e.g. lib → operations → sync → lib"]
        );
    }

    #[test]
    fn desk_is_found_as_a_word_in_code_only() {
        assert!(names_desk("use crate::{AppError, Desk, Text};"));
        assert!(names_desk("fn f(desk: &crate::Desk) {}"));
        assert!(names_desk("impl Desk {"));
        assert!(!names_desk("use crate::dto::events::DeskEvent;"));
        assert!(!names_desk(r#"Text::new("PayDesk", "PayDesk")"#));
        assert!(!names_desk("let cx = desk; // [`Desk::open`] in a comment"));
        assert!(!names_desk("/// [`Desk::capture`] in a doc comment"));
    }

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

    #[test]
    fn a_subtree_reads_its_own_prefix_and_names_its_cycle() {
        let files = [
            file(
                "dto",
                usize::MAX,
                "pub mod bulk; pub mod events;\npub struct OrderSummary;\nuse crate::dto::events::Event;",
            ),
            file(
                "bulk",
                1,
                "use crate::dto::{OrderSummary};\nuse crate::AppError;\npub struct BulkItem;",
            ),
            file(
                "events",
                1,
                "use super::bulk::BulkItem;\npub enum Event { Item(BulkItem) }",
            ),
        ];
        let graph = module_graph(&files, "dto", "crate::dto::");
        let found: Vec<String> = cycles(&graph).into_iter().map(|(_, shown)| shown).collect();
        assert_eq!(
            found,
            ["3 modules in a circle (bulk, dto, events), e.g. bulk → dto → events → bulk"]
        );
    }
}
