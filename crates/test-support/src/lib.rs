//! What the tests of several crates share (api's, the command line's, the demo's and the
//! app's end-to-end tests): a folder's exact state, to show a folder untouched; a shop's
//! secrets as sentinels, to show them kept or never leaked; a PDF's text, to check a
//! document's figures. A dev-dependency only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use secrets::SecretKey;

/// Every file under `dir` with its bytes: a folder's exact state, to show it untouched.
pub fn folder_state(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                files.insert(path.strip_prefix(dir).unwrap().to_owned(), bytes);
            }
        }
    }
    files
}

/// A shop's secrets: one of each, each a sentinel naming `tag`, the client certificate
/// long enough to be kept in parts.
pub fn shop_secrets(tag: &str) -> Vec<(SecretKey, String)> {
    SecretKey::ALL
        .iter()
        .map(|&key| {
            let value = if key == SecretKey::ClientCertificate {
                format!("SENTINEL-{tag}-certificate-{}", "C".repeat(2_600))
            } else {
                format!("SENTINEL-{tag}-{}", key.account())
            };
            (key, value)
        })
        .collect()
}

/// The text of a PDF as `pdftotext -layout` reads it, words joined by single spaces.
pub fn pdf_text(path: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by `cargo xtask setup`");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_state_holds_every_file_below_with_its_bytes() {
        let dir = std::env::temp_dir().join(format!("test-support-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("inner")).unwrap();
        std::fs::write(dir.join("a"), b"1").unwrap();
        std::fs::write(dir.join("inner/b"), b"2").unwrap();
        let state = folder_state(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        let expected: BTreeMap<PathBuf, Vec<u8>> = [
            (PathBuf::from("a"), b"1".to_vec()),
            (PathBuf::from("inner/b"), b"2".to_vec()),
        ]
        .into();
        assert_eq!(state, expected);
    }

    #[test]
    fn shop_secrets_are_one_sentinel_per_key() {
        let secrets = shop_secrets("t");
        assert_eq!(secrets.len(), SecretKey::ALL.len());
        assert!(secrets.iter().all(|(_, v)| v.starts_with("SENTINEL-t-")));
    }
}
