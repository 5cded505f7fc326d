//! The test fixtures that come from the team's shared notes (`../shared`, beside the
//! repository): the requests captured from Paygent's official client and the sections of
//! the protocol notes that tests read as data. They live inside the repository so a clone
//! with nothing beside it tests itself; `cargo xtask fixtures` copies them again after the
//! notes change, and `check` (run by `cargo xtask test`) says when the copy has drifted.

use std::path::{Path, PathBuf};

use crate::{Result, root};

/// The sections of the protocol notes that tests read: the module codes (§3.3), EMV 3-D
/// Secure (§4.6) and the server and card error codes (§8.1, §8.2).
const SECTIONS: &[&str] = &["### 3.3", "### 4.6", "### 8.1", "### 8.2"];

/// Where section `N.N` of the notes is kept: `fixtures/paygent-protocol/N.N.md`.
fn section_file(heading: &str) -> PathBuf {
    let number = heading.trim_start_matches('#').trim();
    root().join(format!("fixtures/paygent-protocol/{number}.md"))
}

fn shared() -> PathBuf {
    root().join("../shared")
}

/// Copies the vectors and the notes' sections from `../shared` into `fixtures/`.
pub fn refresh() -> Result {
    let shared = shared();
    if !shared.join("paygent-protocol.md").is_file() {
        return Err(format!("no shared notes at {}", shared.display()));
    }
    let to = root().join("fixtures/paygent-vectors");
    let _ = std::fs::remove_dir_all(&to);
    copy_dir(&shared.join("paygent-vectors"), &to)?;
    let notes = read(&shared.join("paygent-protocol.md"))?;
    std::fs::create_dir_all(root().join("fixtures/paygent-protocol")).map_err(|e| e.to_string())?;
    for heading in SECTIONS {
        let path = section_file(heading);
        std::fs::write(&path, excerpt(&notes, heading)?)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    eprintln!("fixtures copied from {}", shared.display());
    Ok(())
}

/// Fails when `../shared` is present and differs from the copy in `fixtures/`; without it
/// (a clone with nothing beside it) there is nothing to compare.
pub fn check() -> Result {
    let shared = shared();
    if !shared.join("paygent-protocol.md").is_file() {
        eprintln!("fixtures: no ../shared beside the repository, nothing to compare");
        return Ok(());
    }
    let mut drift = Vec::new();
    compare_dirs(
        &shared.join("paygent-vectors"),
        &root().join("fixtures/paygent-vectors"),
        &mut drift,
    )?;
    let notes = read(&shared.join("paygent-protocol.md"))?;
    for heading in SECTIONS {
        let path = section_file(heading);
        if std::fs::read_to_string(&path).ok() != Some(excerpt(&notes, heading)?) {
            drift.push(
                path.strip_prefix(root())
                    .unwrap_or(&path)
                    .display()
                    .to_string(),
            );
        }
    }
    if drift.is_empty() {
        return Ok(());
    }
    Err(format!(
        "the fixtures differ from ../shared (run `cargo xtask fixtures`, review, commit):\n  {}",
        drift.join("\n  ")
    ))
}

/// One section of the notes, verbatim, under a line that says where it comes from.
fn excerpt(notes: &str, heading: &str) -> Result<String> {
    let text = section(notes, heading).ok_or_else(|| format!("no section {heading}"))?;
    Ok(format!(
        "<!-- Copied by `cargo xtask fixtures` from ../shared/paygent-protocol.md, verbatim; do not edit. -->\n\n{}\n",
        text.trim_end()
    ))
}

/// One section of a Markdown text: from the line that starts with `heading` to the next
/// `## ` or `### ` heading.
fn section<'a>(text: &'a str, heading: &str) -> Option<&'a str> {
    let start = text
        .match_indices(heading)
        .map(|(i, _)| i)
        .find(|&i| i == 0 || text.as_bytes()[i - 1] == b'\n')?;
    let body = &text[start..];
    let first_line = body.find('\n').map_or(body.len(), |i| i + 1);
    let end = body[first_line..]
        .match_indices('\n')
        .map(|(i, _)| first_line + i + 1)
        .find(|&i| body[i..].starts_with("## ") || body[i..].starts_with("### "))
        .unwrap_or(body.len());
    Some(&body[..end])
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn copy_dir(from: &Path, to: &Path) -> Result {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    for entry in std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(|e| format!("{}: {e}", src.display()))?;
        }
    }
    Ok(())
}

/// Names of files that are missing on either side or differ in content.
fn compare_dirs(shared: &Path, ours: &Path, drift: &mut Vec<String>) -> Result {
    let names = |dir: &Path| -> Vec<std::ffi::OsString> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .map(|rd| rd.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        v.sort();
        v
    };
    let (a, b) = (names(shared), names(ours));
    for name in a.iter().chain(b.iter().filter(|n| !a.contains(n))) {
        let (x, y) = (shared.join(name), ours.join(name));
        if x.is_dir() && y.is_dir() {
            compare_dirs(&x, &y, drift)?;
        } else if std::fs::read(&x).ok() != std::fs::read(&y).ok() {
            drift.push(y.strip_prefix(root()).unwrap_or(&y).display().to_string());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::section;

    #[test]
    fn a_section_ends_at_the_next_heading_of_its_level_or_above() {
        let text = "# A\n## 3. x\n### 3.3 codes\n| a |\n#### detail\nmore\n---\n\n## 4. next\n### 4.6 y\nz\n";
        assert_eq!(
            section(text, "### 3.3"),
            Some("### 3.3 codes\n| a |\n#### detail\nmore\n---\n\n")
        );
        assert_eq!(section(text, "### 4.6"), Some("### 4.6 y\nz\n"));
        assert_eq!(section(text, "### 9.9"), None);
    }
}
