//! The app's log file: `<data dir>/logs/paydesk.log`, what support asks a shop owner for
//! when something went wrong ("what did PayDesk send, and what came back?").
//!
//! Nothing secret is ever logged (the leak test reads every line at TRACE level for a
//! sentinel secret), so the file may be e-mailed as it is. `PAYDESK_LOG` overrides the
//! filter (tracing's `EnvFilter` syntax, e.g. `debug` or `api=trace`).

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

/// A log larger than this at start is moved to `paydesk.1.log` (replacing the one before),
/// so two files of at most about this size are kept.
const ROTATE_AT_BYTES: u64 = 10 * 1024 * 1024;

/// PayDesk's own crates at `info`, everything else (HTTP, TLS, WebKit glue) at `warn`.
const DEFAULT_FILTER: &str = "warn,api=info,domain=info,store=info,paygent_client=info,relay=info,paygent_sim=info,secrets=info,mail=info";

/// Where the log lives inside the data directory.
pub fn log_path(data_dir: &Path) -> PathBuf {
    data_dir.join("logs").join("paydesk.log")
}

/// Sends this process's `tracing` events to the log file, once. A log that cannot be
/// opened (a read-only disk) is reported on stderr and PayDesk runs on without one: a
/// missing log must never stop a shop from taking payments.
pub fn init(data_dir: &Path, version: &str) {
    let path = log_path(data_dir);
    let file = match open(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("PayDesk: cannot open the log file {}: {e}", path.display());
            return;
        }
    };
    let filter =
        EnvFilter::try_from_env("PAYDESK_LOG").unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    // Fails only when a subscriber is already set (a test harness): keep that one.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .try_init();
    tracing::info!(version, pid = std::process::id(), "PayDesk started");
}

fn open(path: &Path) -> std::io::Result<File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    if std::fs::metadata(path).is_ok_and(|m| m.len() > ROTATE_AT_BYTES) {
        std::fs::rename(path, path.with_file_name("paydesk.1.log"))?;
    }
    OpenOptions::new().create(true).append(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_log_is_moved_aside_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_path(dir.path());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, vec![b'x'; ROTATE_AT_BYTES as usize + 1]).unwrap();
        let file = open(&path).unwrap();
        drop(file);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
        let old = path.with_file_name("paydesk.1.log");
        assert_eq!(std::fs::metadata(old).unwrap().len(), ROTATE_AT_BYTES + 1);
    }

    #[test]
    fn a_small_log_is_appended_to() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_path(dir.path());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"earlier\n").unwrap();
        use std::io::Write;
        writeln!(open(&path).unwrap(), "later").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "earlier\nlater\n");
    }
}
