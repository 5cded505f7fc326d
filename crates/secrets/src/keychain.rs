use crate::Sensitive;

/// The merchant secrets PayDesk keeps. Each is one keychain entry (or a few, see
/// [`split_for_keychain`]) under the app's namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SecretKey {
    MerchantId,
    ConnectId,
    ConnectPassword,
    /// The client certificate file (PEM text, or PKCS#12 as base64).
    ClientCertificate,
    ClientCertificatePassphrase,
    /// The key Paygent uses to sign payment notifications (`hc`).
    HashKey,
    RelayToken,
    SmtpPassword,
}

impl SecretKey {
    pub const ALL: [SecretKey; 8] = [
        SecretKey::MerchantId,
        SecretKey::ConnectId,
        SecretKey::ConnectPassword,
        SecretKey::ClientCertificate,
        SecretKey::ClientCertificatePassphrase,
        SecretKey::HashKey,
        SecretKey::RelayToken,
        SecretKey::SmtpPassword,
    ];

    /// The entry's account name in the keychain. Stable: changing one orphans stored
    /// secrets.
    pub fn account(self) -> &'static str {
        match self {
            SecretKey::MerchantId => "merchant_id",
            SecretKey::ConnectId => "connect_id",
            SecretKey::ConnectPassword => "connect_password",
            SecretKey::ClientCertificate => "client_certificate",
            SecretKey::ClientCertificatePassphrase => "client_certificate_passphrase",
            SecretKey::HashKey => "hash_key",
            SecretKey::RelayToken => "relay_token",
            SecretKey::SmtpPassword => "smtp_password",
        }
    }
}

/// Why the keychain could not be used. Messages name the problem and the fix in plain
/// words; they never contain the secret or the platform's raw payload.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// The keychain exists but is locked, or the user refused access.
    #[error(
        "the system keychain is locked or refused access; unlock it (log in again, or open the keychain app) and retry"
    )]
    Locked,
    /// No keychain service is reachable (no Secret Service provider, no session bus).
    #[error(
        "no system keychain is available on this computer ({reason}); PayDesk cannot store merchant secrets without one"
    )]
    Unavailable { reason: String },
    /// The stored value is not text PayDesk wrote (edited by another program).
    #[error("the keychain entry for {account} is damaged; enter the value again in Settings")]
    Damaged { account: &'static str },
    #[error("the keychain failed: {reason}")]
    Platform { reason: String },
}

impl SecretsError {
    /// A stable code for the boundary error the UI looks up.
    pub fn code(&self) -> &'static str {
        match self {
            SecretsError::Locked => "keychain_locked",
            SecretsError::Unavailable { .. } => "keychain_unavailable",
            SecretsError::Damaged { .. } => "keychain_damaged",
            SecretsError::Platform { .. } => "keychain_failed",
        }
    }
}

/// Windows' Credential Manager refuses blobs over 2,560 bytes, and keyring stores the
/// value as UTF-16 there, so long values such as a PEM certificate are split into parts of
/// at most this many UTF-16 units (2,000 bytes; a character outside the BMP, an emoji in a
/// passphrase, takes two units).
const CHUNK_UTF16: usize = 1_000;
/// Where values are split: only Windows needs it. Elsewhere one value is one item, which
/// matters on macOS, where an unsigned build's every keychain item asks the user on its
/// own. Reading takes either layout, so a value written before this (split everywhere)
/// still reads.
const PART_LIMIT_UTF16: Option<usize> = if cfg!(windows) {
    Some(CHUNK_UTF16)
} else {
    None
};
const CHUNK_MARKER: &str = "paydesk-chunked:v1:";
/// More parts than any value PayDesk stores (a PKCS#12 file as base64 is a few hundred).
const MAX_PARTS: usize = 10_000;

/// The OS keychain, seen through one namespace (the build identifier: release, dev and
/// test builds each have their own, so they never touch each other's entries).
#[derive(Clone, Debug)]
pub struct Keychain {
    namespace: String,
}

impl Keychain {
    pub fn new(namespace: impl Into<String>) -> Self {
        Keychain {
            namespace: namespace.into(),
        }
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Checks that the keychain can be used at all, without touching a real secret.
    pub fn probe(&self) -> Result<(), SecretsError> {
        let entry = self.entry("probe")?;
        match retrying(|| entry.get_password()) {
            Ok(_) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(classify(e, "probe")),
        }
    }

    pub fn store(&self, key: SecretKey, value: &Sensitive<String>) -> Result<(), SecretsError> {
        let account = key.account();
        // Remove old parts first so a shorter value leaves no stale tail behind.
        self.delete(key)?;
        let text = value.expose();
        let parts = split_for_keychain(text, PART_LIMIT_UTF16);
        if parts.len() == 1 && !text.starts_with(CHUNK_MARKER) {
            return self.set(account, text);
        }
        for (i, part) in parts.iter().enumerate() {
            self.set(&part_account(account, i + 1), part)?;
        }
        // The head entry is written last: a crash mid-write leaves the old value absent,
        // never a head that points at missing parts.
        self.set(account, &format!("{CHUNK_MARKER}{}", parts.len()))
    }

    pub fn read(&self, key: SecretKey) -> Result<Option<Sensitive<String>>, SecretsError> {
        let account = key.account();
        let Some(head) = self.get(account)? else {
            return Ok(None);
        };
        let Some(count) = head.strip_prefix(CHUNK_MARKER) else {
            return Ok(Some(Sensitive::new(head)));
        };
        let count: usize = count
            .parse()
            .map_err(|_| SecretsError::Damaged { account })?;
        let mut value = String::new();
        for i in 1..=count {
            let part = self
                .get(&part_account(account, i))?
                .ok_or(SecretsError::Damaged { account })?;
            value.push_str(&part);
        }
        Ok(Some(Sensitive::new(value)))
    }

    /// Deletes the entry and its parts. Deleting an absent entry is not an error.
    pub fn delete(&self, key: SecretKey) -> Result<(), SecretsError> {
        let account = key.account();
        if let Some(head) = self.get(account)?
            && let Some(count) = head.strip_prefix(CHUNK_MARKER)
        {
            let count: usize = count.parse().unwrap_or(0);
            for i in 1..=count {
                self.remove(&part_account(account, i))?;
            }
        }
        self.remove(account)
    }

    /// The keys with anything stored in this namespace: a value, or parts of one (also
    /// parts a crash left without their head).
    pub fn stored_keys(&self) -> Result<Vec<SecretKey>, SecretsError> {
        let mut keys = Vec::new();
        for key in SecretKey::ALL {
            if !self.raw_entries(key)?.is_empty() {
                keys.push(key);
            }
        }
        Ok(keys)
    }

    /// Copies `key`'s entries, exactly as stored (head and parts), into `to`'s namespace,
    /// replacing what `to` had for it, and reads them back to check. Used to move a desk's
    /// secrets to a new namespace when the app's identifier changes.
    pub fn copy_to(&self, key: SecretKey, to: &Keychain) -> Result<(), SecretsError> {
        let entries = self.raw_entries(key)?;
        to.purge(key)?;
        // Parts first, head last (as `store` does): a copy cut short never leaves a head
        // that points at missing parts.
        for (account, value) in entries.iter().rev() {
            to.set(account, value)?;
        }
        if to.raw_entries(key)? == entries {
            Ok(())
        } else {
            Err(SecretsError::Platform {
                reason: format!("the copy of {} did not read back the same", key.account()),
            })
        }
    }

    /// Whether `key` is stored exactly the same (head and parts) here and in `other`.
    pub fn same_as(&self, key: SecretKey, other: &Keychain) -> Result<bool, SecretsError> {
        Ok(self.raw_entries(key)? == other.raw_entries(key)?)
    }

    /// Deletes `key`'s entry and every part of it, also parts no head points at.
    pub fn purge(&self, key: SecretKey) -> Result<(), SecretsError> {
        for (account, _) in self.raw_entries(key)? {
            self.remove(&account)?;
        }
        Ok(())
    }

    /// `key`'s entries as stored, head first, then its parts in order: the parts its head
    /// counts and any that follow them (left by a write a crash cut short).
    fn raw_entries(&self, key: SecretKey) -> Result<Vec<(String, String)>, SecretsError> {
        let account = key.account();
        let mut entries = Vec::new();
        let mut counted = 0;
        if let Some(head) = self.get(account)? {
            counted = head
                .strip_prefix(CHUNK_MARKER)
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(0);
            entries.push((account.to_owned(), head));
        }
        // A value is at most a few certificates long; the cap only stops a runaway loop.
        for i in 1..=MAX_PARTS {
            let part = part_account(account, i);
            match self.get(&part)? {
                Some(value) => entries.push((part, value)),
                None if i > counted => break,
                None => {}
            }
        }
        Ok(entries)
    }

    fn entry(&self, account: &'static str) -> Result<keyring::Entry, SecretsError> {
        keyring::Entry::new(&self.namespace, account).map_err(|e| classify(e, account))
    }

    fn entry_owned(&self, account: &str) -> Result<keyring::Entry, SecretsError> {
        keyring::Entry::new(&self.namespace, account).map_err(|e| classify(e, "part"))
    }

    fn set(&self, account: &str, value: &str) -> Result<(), SecretsError> {
        let entry = self.entry_owned(account)?;
        retrying(|| entry.set_password(value)).map_err(|e| classify(e, "entry"))
    }

    fn get(&self, account: &str) -> Result<Option<String>, SecretsError> {
        let entry = self.entry_owned(account)?;
        match retrying(|| entry.get_password()) {
            Ok(v) => Ok(Some(v)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(classify(e, "entry")),
        }
    }

    fn remove(&self, account: &str) -> Result<(), SecretsError> {
        let entry = self.entry_owned(account)?;
        match retrying(|| entry.delete_credential()) {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(classify(e, "entry")),
        }
    }
}

/// Runs a keychain call, and again after a short wait when it failed because the Secret
/// Service daemon went away mid-call. gnome-keyring can abort on a burst of sessions (an
/// upstream bug: "gkd_secret_service_get_pkcs11_session: assertion 'client' failed"); its
/// session restarts it at once, and for a moment the bus may hand out a still-locked one.
/// A keychain that stays locked still fails, about two seconds later. Each try connects and
/// opens its own session (keyring does), so a try after a restart starts clean.
fn retrying<T>(mut call: impl FnMut() -> keyring::Result<T>) -> keyring::Result<T> {
    for wait_ms in [150, 500, 1200] {
        match call() {
            Err(e) if daemon_went_away(&e) => {
                std::thread::sleep(std::time::Duration::from_millis(wait_ms));
            }
            other => return other,
        }
    }
    call()
}

fn daemon_went_away(e: &keyring::Error) -> bool {
    match e {
        keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner) => {
            names_a_restarted_daemon(&inner.to_string())
        }
        _ => false,
    }
}

/// The Secret Service's words for a daemon that ended mid-call: the call itself was cut
/// off, or it reached the restarted daemon, which is still locked or has never heard of the
/// session the call was opened in (`org.freedesktop.Secret.Error.NoSession`; gnome-keyring
/// says it two ways, depending on the method. CI saw it once when the daemon aborted between
/// a call's session and its secret).
fn names_a_restarted_daemon(text: &str) -> bool {
    text.contains("disconnected from message bus")
        || text.contains("NoReply")
        || text.contains("locked collection")
        || text.contains("session wrapping the secret does not exist")
        || text.contains("The session does not exist")
}

/// The parts a value is stored in: one when there is no limit or it fits `max_units`
/// UTF-16 units (one Windows credential: [`CHUNK_UTF16`]), else consecutive slices of at
/// most that many units, never cutting a character.
pub fn split_for_keychain(text: &str, max_units: Option<usize>) -> Vec<&str> {
    let Some(max_units) = max_units else {
        return vec![text];
    };
    let mut parts = Vec::new();
    let mut start = 0;
    let mut units = 0;
    for (at, c) in text.char_indices() {
        if units + c.len_utf16() > max_units {
            parts.push(&text[start..at]);
            start = at;
            units = 0;
        }
        units += c.len_utf16();
    }
    parts.push(&text[start..]);
    parts
}

fn part_account(account: &str, i: usize) -> String {
    format!("{account}#{i}")
}

/// Maps keyring's errors to ours without ever formatting a payload that could hold the
/// secret (`BadEncoding` carries the stored bytes).
fn classify(e: keyring::Error, account: &'static str) -> SecretsError {
    match e {
        keyring::Error::NoStorageAccess(_) => SecretsError::Locked,
        keyring::Error::PlatformFailure(inner) => {
            let text = inner.to_string();
            // No session bus at all (autolaunch refused, or the bus address names a socket
            // that is not there), or a bus without a Secret Service provider.
            if text.contains("autolaunch")
                || text.contains("Failed to connect to socket")
                || text.contains("was not provided")
                || text.contains("ServiceUnknown")
            {
                SecretsError::Unavailable {
                    reason: first_line(&text),
                }
            } else {
                SecretsError::Platform {
                    reason: first_line(&text),
                }
            }
        }
        keyring::Error::BadEncoding(_) => SecretsError::Damaged { account },
        keyring::Error::TooLong(attr, _) => SecretsError::Platform {
            reason: format!("the value of {attr} is too long for this keychain"),
        },
        keyring::Error::Invalid(attr, reason) => SecretsError::Platform {
            reason: format!("{attr}: {reason}"),
        },
        keyring::Error::Ambiguous(_) => SecretsError::Platform {
            reason: "several keychain entries match; remove duplicates in the keychain app".into(),
        },
        keyring::Error::NoEntry => SecretsError::Platform {
            reason: "entry not found".into(),
        },
        other => SecretsError::Platform {
            reason: first_line(&other.to_string()),
        },
    }
}

fn first_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CI (2026-12-07): gnome-keyring aborted between a call's session and its secret; the
    /// call reached the restarted daemon and failed with this, where a new try succeeds.
    #[test]
    fn a_call_that_reached_a_restarted_daemon_is_tried_again() {
        let lost_session: keyring::Error = keyring::Error::PlatformFailure(
            "DBus error: The session wrapping the secret does not exist".into(),
        );
        assert!(daemon_went_away(&lost_session));
        let mut tries = 0;
        let got = retrying(|| {
            tries += 1;
            if tries == 1 {
                Err(keyring::Error::PlatformFailure(
                    "DBus error: The session wrapping the secret does not exist".into(),
                ))
            } else {
                Ok("value")
            }
        });
        assert_eq!(got.unwrap(), "value");
        assert_eq!(tries, 2);
        for cut_off in [
            "DBus error: Message recipient disconnected from message bus without replying",
            "org.freedesktop.DBus.Error.NoReply",
            "Cannot create an item in a locked collection",
            "DBus error: The session does not exist",
        ] {
            assert!(names_a_restarted_daemon(cut_off), "{cut_off}");
        }
        // A refusal or a missing service is an answer, not a restart: no retry.
        for answer in [
            "DBus error: The name org.freedesktop.secrets was not provided by any .service files",
            "Secret Service: unlock prompt was dismissed",
        ] {
            assert!(!names_a_restarted_daemon(answer), "{answer}");
        }
        assert!(!daemon_went_away(&keyring::Error::NoEntry));
    }

    #[test]
    fn every_part_fits_one_windows_credential() {
        // keyring refuses a Windows credential over 2,560 bytes of UTF-16.
        const WINDOWS_BLOB: usize = 2_560;
        let pem = "-----BEGIN CERTIFICATE-----\n".to_owned() + &"A".repeat(4_000);
        let emoji = "🔑".repeat(1_500);
        let kana = "証明書".repeat(700);
        for value in [pem.as_str(), emoji.as_str(), kana.as_str(), "short", ""] {
            let parts = split_for_keychain(value, Some(CHUNK_UTF16));
            assert_eq!(parts.concat(), value);
            for part in &parts {
                assert!(
                    part.encode_utf16().count() * 2 <= WINDOWS_BLOB,
                    "{}",
                    part.len()
                );
            }
        }
        let windows = Some(CHUNK_UTF16);
        assert_eq!(split_for_keychain("short", windows), vec!["short"]);
        // 1,000 characters, but 2,000 UTF-16 units: more than one credential holds.
        assert_eq!(split_for_keychain(&"🔑".repeat(1_000), windows).len(), 2);
        assert_eq!(split_for_keychain(&"A".repeat(1_000), windows).len(), 1);
    }

    /// Issue 17: values are split only where the platform needs it; on macOS each item of
    /// an unsigned build prompts on its own, so a certificate stays one item there.
    #[test]
    fn only_windows_splits_a_long_value() {
        let pem = "-----BEGIN CERTIFICATE-----\n".to_owned() + &"A".repeat(4_000);
        assert_eq!(split_for_keychain(&pem, None), vec![pem.as_str()]);
        assert_eq!(PART_LIMIT_UTF16.is_some(), cfg!(windows));
    }
}
