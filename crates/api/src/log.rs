//! The app's log file: `<data dir>/logs/paydesk.log`, what support asks a shop owner for
//! when something went wrong ("what did PayDesk send, and what came back?").
//!
//! Nothing secret is ever logged (the leak test reads every line at TRACE level for a
//! sentinel secret), so the file may be e-mailed as it is. `PAYDESK_LOG` overrides the
//! filter (tracing's `EnvFilter` syntax, e.g. `debug` or `api=trace`).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

/// A log that grows past this is moved to `paydesk.1.log` (replacing the one before), at
/// start or while PayDesk runs (it may run in the tray for months): two files of at most
/// about this size are kept.
const ROTATE_AT_BYTES: u64 = 10 * 1024 * 1024;

/// PayDesk's own crates (and the Tauri shell, `paydesk_app`) at `info`, everything else
/// (HTTP, TLS, D-Bus, WebKit glue) at `warn`.
const DEFAULT_FILTER: &str = "warn,paydesk_app=info,api=info,cli=info,demo=info,domain=info,store=info,paygent_client=info,relay=info,paygent_sim=info,secrets=info,mail=info";

/// Where the log lives inside the data directory.
pub fn log_path(data_dir: &Path) -> PathBuf {
    data_dir.join("logs").join("paydesk.log")
}

/// Sends this process's `tracing` events to the log file, once. A log that cannot be
/// opened (a read-only disk) is reported on stderr and PayDesk runs on without one: a
/// missing log must never stop a shop from taking payments.
pub fn init(data_dir: &Path, version: &str) {
    let log = match LogFile::open(log_path(data_dir), ROTATE_AT_BYTES) {
        Ok(log) => log,
        Err(e) => {
            eprintln!("PayDesk: cannot open the log file: {e}");
            return;
        }
    };
    let filter =
        EnvFilter::try_from_env("PAYDESK_LOG").unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    // Fails only when a subscriber is already set (a test harness): keep that one.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Mutex::new(log))
        .with_ansi(false)
        .try_init();
    tracing::info!(version, pid = std::process::id(), "PayDesk started");
}

/// The log file, moved aside once it has grown past its limit.
struct LogFile {
    path: PathBuf,
    file: File,
    len: u64,
    limit: u64,
}

impl LogFile {
    fn open(path: PathBuf, limit: u64) -> std::io::Result<LogFile> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut log = LogFile {
            file: append(&path)?,
            len: 0,
            path,
            limit,
        };
        log.len = log.file.metadata()?.len();
        if log.len > limit {
            log.rotate()?;
        }
        Ok(log)
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        std::fs::rename(&self.path, self.path.with_file_name("paydesk.1.log"))?;
        self.file = append(&self.path)?;
        self.len = 0;
        Ok(())
    }
}

impl Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // Between events (each is one write): a line is never split across the two files.
        // A failed move keeps writing to the same file rather than losing the line.
        if self.len > self.limit {
            let _ = self.rotate();
        }
        let n = self.file.write(buf)?;
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

fn append(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn old(path: &Path) -> String {
        std::fs::read_to_string(path.with_file_name("paydesk.1.log")).unwrap()
    }

    #[test]
    fn a_large_log_is_moved_aside_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_path(dir.path());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "x".repeat(11)).unwrap();
        let mut log = LogFile::open(path.clone(), 10).unwrap();
        writeln!(log, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        assert_eq!(old(&path), "x".repeat(11));
    }

    #[test]
    fn a_small_log_is_appended_to() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_path(dir.path());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"earlier\n").unwrap();
        writeln!(LogFile::open(path.clone(), 100).unwrap(), "later").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "earlier\nlater\n");
    }

    #[test]
    fn a_log_that_grows_while_running_is_moved_aside_between_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_path(dir.path());
        let mut log = LogFile::open(path.clone(), 10).unwrap();
        log.write_all(b"first line\n").unwrap();
        log.write_all(b"second\n").unwrap();
        log.write_all(b"third\n").unwrap();
        assert_eq!(old(&path), "first line\n");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "second\nthird\n");
        // Only two files are kept.
        log.write_all(b"fourth\n").unwrap();
        assert_eq!(old(&path), "second\nthird\n");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "fourth\n");
    }
}
