//! Moving a desk from the app's previous identifier to its current one.
//!
//! The bundle identifier names the data folder (`…/jp.paydesk.app`) and the keychain
//! namespace. It changed once (`jp.paydesk.app` → `jp.paydesk.desk`: macOS reads a name
//! ending in `.app` as an application bundle), so the first start after an update finds
//! the shop's database, logs and secrets under the old name. [`move_from_previous`] moves
//! them, in an order where a failure at any step leaves the old ones complete and in place:
//!
//! 1. the keychain entries are copied (heads and parts, as stored) and read back;
//! 2. the data folder is renamed (one atomic rename: database, its WAL and SHM, logs);
//! 3. only then are the old keychain entries deleted.
//!
//! A failure in 1 or 2 removes the copies and the desk runs from the old place this time,
//! with a notice; the next start tries again. A failure in 3 leaves old entries that the
//! next start removes (the new ones, in use since, are kept). Once nothing is left under
//! the previous namespace a marker in the data folder spares later starts the keychain
//! look-ups. The demo never moves anything: it has its own place
//! (see [`crate::demo_data_dir`]).

use std::path::{Path, PathBuf};

use secrets::{Keychain, SecretKey};

use crate::{Build, Text, keychain_namespace};

/// The identifier PayDesk had before `jp.paydesk.desk`.
pub const PREVIOUS_IDENTIFIER: &str = "jp.paydesk.app";

/// The database's file name inside the data folder.
const DATABASE: &str = "paydesk.sqlite3";

/// Written in the current data folder once nothing is left under a previous namespace, so
/// later starts skip the keychain look-ups (16 of them, each a Secret Service round trip).
fn done_marker(current: &Place, old: &Keychain) -> PathBuf {
    current
        .data_dir
        .join(format!(".moved-from-{}", old.namespace()))
}

fn mark_done(current: &Place, old: &Keychain) {
    let marker = done_marker(current, old);
    let written =
        std::fs::create_dir_all(&current.data_dir).and_then(|()| std::fs::write(&marker, b""));
    if let Err(e) = written {
        // Only costs the look-ups again at the next start.
        tracing::warn!(marker = %marker.display(), error = %e, "identity move: marker not written");
    }
}

/// Where one identity keeps a desk: its identifier (which names the keychain namespace)
/// and its data folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub identifier: String,
    pub data_dir: PathBuf,
}

/// What a start found and did: the host opens the desk at `place`, shows `notice` and
/// logs `report` once its log is open (the log lives in `place`).
#[derive(Clone, Debug)]
pub struct Moved {
    pub place: Place,
    /// For the shop owner, when something is left over or went wrong.
    pub notice: Option<Text>,
    /// For the log: what was moved, or what failed and why.
    pub report: Option<Report>,
}

/// A line for the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub failed: bool,
    pub message: String,
}

impl Moved {
    /// Writes the report to the log (call after `log::init`).
    pub fn log(&self) {
        match &self.report {
            Some(r) if r.failed => tracing::warn!(what = %r.message, "identity move"),
            Some(r) => tracing::info!(what = %r.message, "identity move"),
            None => {}
        }
    }

    fn quiet(place: &Place) -> Moved {
        Moved {
            place: place.clone(),
            notice: None,
            report: None,
        }
    }
}

/// Moves a desk's data folder and keychain entries from `previous` to `current` (see the
/// module docs) and says where the desk is to run. When both places name the same folder
/// (`PAYDESK_DATA_DIR` chose it) only the keychain entries move.
pub fn move_from_previous(build: Build, previous: &Place, current: &Place) -> Moved {
    if previous.identifier == current.identifier {
        return Moved::quiet(current);
    }
    let old = Keychain::new(keychain_namespace(&previous.identifier, build, false));
    let new = Keychain::new(keychain_namespace(&current.identifier, build, false));
    // A folder without a database holds no desk (at most an empty folder a move left).
    let folder_moves =
        previous.data_dir != current.data_dir && previous.data_dir.join(DATABASE).exists();
    if !folder_moves {
        if previous.data_dir != current.data_dir {
            let _ = std::fs::remove_dir(&previous.data_dir);
        }
        if done_marker(current, &old).exists() {
            return Moved::quiet(current);
        }
        return move_leftover_secrets(&old, &new, current);
    }
    if current.data_dir.join(DATABASE).exists() {
        // Both hold a desk: the current one is in use; the old stays for support to see.
        return Moved {
            place: current.clone(),
            notice: Some(Text::new(
                &format!(
                    "以前の場所（{}）にも PayDesk のデータが残っています。PayDesk は新しい場所（{}）のデータを使っています。以前のデータは消していません。必要な場合はサポートにご相談ください。",
                    previous.data_dir.display(),
                    current.data_dir.display()
                ),
                &format!(
                    "PayDesk data is also left in the previous place ({}). PayDesk uses the data in its new place ({}); the previous data was not deleted. Ask support if you need it.",
                    previous.data_dir.display(),
                    current.data_dir.display()
                ),
            )),
            report: Some(Report {
                failed: true,
                message: format!(
                    "not moved: {} and {} both hold a database",
                    previous.data_dir.display(),
                    current.data_dir.display()
                ),
            }),
        };
    }
    // 1. Copy the secrets (the old ones win: the old folder is the desk in use).
    let mut copied = Vec::new();
    let copy = old.stored_keys().and_then(|keys| {
        for key in keys {
            copied.push(key);
            old.copy_to(key, &new)?;
        }
        Ok(())
    });
    // 2. Move the folder, one rename when nothing is in the way.
    let moved = copy
        .map_err(|e| e.to_string())
        .and_then(|()| move_folder(&previous.data_dir, &current.data_dir));
    if let Err(reason) = moved {
        for key in &copied {
            let _ = new.purge(*key);
        }
        return failed(previous, current, &reason);
    }
    // 3. The data is in its new place: the old secrets go.
    let left: Vec<SecretKey> = copied
        .iter()
        .copied()
        .filter(|key| old.purge(*key).is_err())
        .collect();
    let message = format!(
        "moved {} to {} and {} keychain entries from {} to {}",
        previous.data_dir.display(),
        current.data_dir.display(),
        copied.len(),
        old.namespace(),
        new.namespace()
    );
    if left.is_empty() {
        mark_done(current, &old);
        Moved {
            place: current.clone(),
            notice: None,
            report: Some(Report {
                failed: false,
                message,
            }),
        }
    } else {
        secrets_left(current, &old, &left, message)
    }
}

/// The folder already moved (or was never named by the identifier): secrets still under
/// the old namespace move over. A secret the new namespace already holds is the one in
/// use (the shop may have changed it since) and is kept.
fn move_leftover_secrets(old: &Keychain, new: &Keychain, current: &Place) -> Moved {
    let keys = match old.stored_keys() {
        Ok(keys) => keys,
        // No keychain now: the desk says so itself; the move is tried at the next start.
        Err(e) => {
            return Moved {
                report: Some(Report {
                    failed: true,
                    message: format!("previous keychain entries not checked: {e}"),
                }),
                ..Moved::quiet(current)
            };
        }
    };
    if keys.is_empty() {
        mark_done(current, old);
        return Moved::quiet(current);
    }
    let held = new.stored_keys();
    let left: Vec<SecretKey> = keys
        .iter()
        .copied()
        .filter(|&key| {
            let in_new = match &held {
                Ok(held) => held.contains(&key),
                Err(_) => return true,
            };
            let copied = in_new || old.copy_to(key, new).is_ok();
            !(copied && old.purge(key).is_ok())
        })
        .collect();
    let message = format!(
        "moved {} keychain entries from {} to {}",
        keys.len() - left.len(),
        old.namespace(),
        new.namespace()
    );
    if left.is_empty() {
        mark_done(current, old);
        Moved {
            place: current.clone(),
            notice: None,
            report: Some(Report {
                failed: false,
                message,
            }),
        }
    } else {
        secrets_left(current, old, &left, message)
    }
}

fn secrets_left(current: &Place, old: &Keychain, left: &[SecretKey], message: String) -> Moved {
    let accounts: Vec<&str> = left.iter().map(|k| k.account()).collect();
    Moved {
        place: current.clone(),
        notice: Some(Text::new(
            &format!(
                "キーチェーンに以前の項目（{}）が残っています。データと設定は新しい場所に移っています。残った項目は次回の起動時にもう一度片付けます。",
                old.namespace()
            ),
            &format!(
                "Some entries are left in the keychain under the previous name ({}). Your data and settings are in their new place; the entries left are cleared at the next start.",
                old.namespace()
            ),
        )),
        report: Some(Report {
            failed: true,
            message: format!(
                "{message}; left in {}: {}",
                old.namespace(),
                accounts.join(", ")
            ),
        }),
    }
}

fn failed(previous: &Place, current: &Place, reason: &str) -> Moved {
    Moved {
        place: previous.clone(),
        notice: Some(Text::new(
            &format!(
                "データを新しい場所（{}）へ移せませんでした。今回は以前の場所（{}）のまま動いています。データも秘密情報もすべて以前の場所に残っていて、次回の起動時にもう一度移します。理由はログに記録しました。",
                current.data_dir.display(),
                previous.data_dir.display()
            ),
            &format!(
                "PayDesk could not move its data to its new place ({}). It runs from the previous place ({}) this time; all data and secrets are still there, and the move is tried again at the next start. The reason is in the log.",
                current.data_dir.display(),
                previous.data_dir.display()
            ),
        )),
        report: Some(Report {
            failed: true,
            message: format!(
                "could not move {} to {}: {reason}; running from the previous place",
                previous.data_dir.display(),
                current.data_dir.display()
            ),
        }),
    }
}

/// Moves the folder `from` to `to`: one rename when `to` is absent or empty; otherwise
/// entry by entry (nothing of `to` is replaced, and a failure moves back what was moved).
fn move_folder(from: &Path, to: &Path) -> Result<(), String> {
    let describe =
        |what: &str, path: &Path, e: std::io::Error| format!("{what} {}: {e}", path.display());
    if to.is_dir()
        && std::fs::read_dir(to)
            .map_err(|e| describe("cannot read", to, e))?
            .next()
            .is_none()
    {
        std::fs::remove_dir(to).map_err(|e| describe("cannot replace", to, e))?;
    }
    if !to.exists() {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| describe("cannot create", parent, e))?;
        }
        return std::fs::rename(from, to).map_err(|e| describe("cannot move to", to, e));
    }
    let entries: Vec<PathBuf> = std::fs::read_dir(from)
        .map_err(|e| describe("cannot read", from, e))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(|e| describe("cannot read", from, e))?;
    if let Some(clash) = entries
        .iter()
        .find(|p| p.file_name().is_some_and(|n| to.join(n).exists()))
    {
        return Err(format!(
            "{} is already in {}",
            clash.display(),
            to.display()
        ));
    }
    let mut done: Vec<(PathBuf, PathBuf)> = Vec::new();
    for entry in entries {
        let target = to.join(entry.file_name().unwrap_or_default());
        if let Err(e) = std::fs::rename(&entry, &target) {
            for (back_from, back_to) in done.iter().rev() {
                let _ = std::fs::rename(back_to, back_from);
            }
            return Err(describe("cannot move to", &target, e));
        }
        done.push((entry, target));
    }
    // Everything is in its new place; an empty folder that cannot go now goes next start.
    let _ = std::fs::remove_dir(from);
    Ok(())
}
