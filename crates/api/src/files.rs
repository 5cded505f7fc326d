//! Reading a file the shop owner chose (CSV imports, certificate and CA files) with a cap
//! from the rules table: the size is checked before reading (file metadata), and the read
//! itself stops one byte past the cap, so a file that grows meanwhile (or a device that
//! reports no size) cannot get past it.

use std::io::Read;
use std::path::Path;

use crate::AppError;
use crate::ErrorCode;

/// What kind of file it is, for the messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserFile {
    /// A CSV import (storefront orders, subscriptions).
    Csv,
    /// A certificate, key or CA file.
    Certificate,
    /// The shop's logo or seal image for its documents.
    Image,
}

impl UserFile {
    fn cap(self) -> u64 {
        match self {
            UserFile::Csv => domain::RULES.max_csv_file_bytes,
            UserFile::Certificate => domain::RULES.max_certificate_file_bytes,
            UserFile::Image => domain::RULES.max_image_file_bytes,
        }
    }
}

/// A size as shop owners read it: `20 MB`, `312.5 MB`, `1 MB`, `640 KB`.
fn size(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB {
        let tenths = bytes * 10 / MB;
        if tenths.is_multiple_of(10) {
            format!("{} MB", tenths / 10)
        } else {
            format!("{}.{} MB", tenths / 10, tenths % 10)
        }
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

fn too_large(path: &Path, kind: UserFile, found: Option<u64>) -> AppError {
    let cap = size(kind.cap());
    let name = path.display();
    let (is_ja, is_en) = match found {
        Some(n) => (format!("{}あり、", size(n)), format!("is {} and ", size(n))),
        None => (String::new(), String::new()),
    };
    let (action_ja, action_en) = match kind {
        UserFile::Csv => (
            "ファイルを期間ごと（たとえば月ごと）に分けて、1つずつ取り込んでください。",
            "Split the file (for example by month) and import each part.",
        ),
        UserFile::Certificate => (
            "証明書のファイルそのもの（ふつうは数KB）を選んでください。",
            "Select the certificate file itself (usually a few KB).",
        ),
        UserFile::Image => (
            "画像を小さくして（ロゴや印影なら数十KBで十分です）PNGで保存し直してください。",
            "Make the image smaller (tens of KB are plenty for a logo or seal) and save it as a PNG again.",
        ),
    };
    AppError::of(ErrorCode::FileTooLarge)
        .with("name", name)
        .with_each("size", is_ja, is_en)
        .with("cap", cap)
        .with_each("advice", action_ja, action_en)
        .into()
}

fn unreadable(path: &Path, e: &std::io::Error, what_ja: &str, what_en: &str) -> AppError {
    let name = path.display();
    AppError::of(ErrorCode::FileUnreadable)
        .with_each("what", what_ja, what_en)
        .with("name", name)
        .with("detail", e)
        .into()
}

/// Reads a file the shop owner chose, refusing one over its kind's cap without reading it
/// whole. `what_ja`/`what_en` name it in the unreadable message ("CA証明書の", "CA
/// certificate "), empty for a plain "file".
pub(crate) fn read_user_file(
    path: &Path,
    kind: UserFile,
    what_ja: &str,
    what_en: &str,
) -> Result<Vec<u8>, AppError> {
    let cap = kind.cap();
    let file = std::fs::File::open(path).map_err(|e| unreadable(path, &e, what_ja, what_en))?;
    let known = file.metadata().ok().map(|m| m.len());
    if let Some(len) = known.filter(|len| *len > cap) {
        return Err(too_large(path, kind, Some(len)));
    }
    let capacity = usize::try_from(known.unwrap_or(0).min(cap)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity);
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(path, &e, what_ja, what_en))?;
    if bytes.len() as u64 > cap {
        return Err(too_large(path, kind, None));
    }
    Ok(bytes)
}

/// Writes a file the shop owner chose (an export, a PDF, a label file) beside its final
/// name, then renames it, so a failure never leaves half a file where the shop owner
/// expects one; the one message for a file that cannot be written.
pub(crate) fn write_user_file(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
    let unwritable = |e: std::io::Error| {
        AppError::from(
            AppError::of(ErrorCode::FileUnwritable)
                .with("name", path.display())
                .with("detail", e),
        )
    };
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    std::fs::write(&partial, bytes).map_err(unwritable)?;
    std::fs::rename(&partial, path).map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        unwritable(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_plainly() {
        assert_eq!(size(20 * 1024 * 1024), "20 MB");
        assert_eq!(size(300 * 1024 * 1024 + 512 * 1024), "300.5 MB");
        assert_eq!(size(640 * 1024), "640 KB");
    }

    /// A file whose size is not known up front (a pipe here; a file still being written is
    /// the same case) is cut one byte past the cap, however much more it would give.
    #[cfg(unix)]
    #[test]
    fn a_file_without_a_known_size_is_cut_at_the_cap() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("growing.pem");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let writer = std::thread::spawn({
            let fifo = fifo.clone();
            move || {
                let mut f = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
                let chunk = vec![b'a'; 64 * 1024];
                let mut written = 0u64;
                // Until the reader hangs up (EPIPE), or far past any cap.
                while written < 64 * 1024 * 1024 && f.write_all(&chunk).is_ok() {
                    written += chunk.len() as u64;
                }
                written
            }
        });
        let err = read_user_file(&fifo, UserFile::Certificate, "", "").unwrap_err();
        assert_eq!(err.code, "file_too_large");
        assert!(err.message.en.contains("1 MB"), "{:?}", err.message);
        let written = writer.join().unwrap();
        assert!(
            written < 4 * 1024 * 1024,
            "the reader stopped early: {written}"
        );
    }
}
