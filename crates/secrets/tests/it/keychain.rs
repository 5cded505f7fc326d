use secrets::{Keychain, SecretKey, Sensitive};

/// Each test has its own namespace so tests run in parallel without meeting.
fn keychain(test: &str) -> Keychain {
    Keychain::new(format!(
        "jp.paydesk.test.secrets.{test}.{}",
        std::process::id()
    ))
}

/// Writes one raw entry as an older build (or a crash) left it, bypassing `Keychain`. It
/// retries as `Keychain` does: gnome-keyring can abort mid-call under a burst of test
/// sessions (CI saw `NoReply` here once) and the bus restarts it at once.
fn set_raw(namespace: &str, account: &str, value: &str) {
    let entry = keyring::Entry::new(namespace, account).unwrap();
    let mut last = None;
    for wait_ms in [0, 150, 500, 1200] {
        std::thread::sleep(std::time::Duration::from_millis(wait_ms));
        match entry.set_password(value) {
            Ok(()) => return,
            Err(e) => last = Some(e),
        }
    }
    panic!("writing the raw entry {account} failed: {last:?}");
}

#[test]
fn keychain_stores_reads_and_deletes_every_key() {
    let kc = keychain("roundtrip");
    kc.probe()
        .expect("the Secret Service must be running for these tests");
    for key in SecretKey::ALL {
        let value = Sensitive::from(format!("value-of-{}", key.account()));
        kc.store(key, &value).unwrap();
        assert_eq!(kc.read(key).unwrap().unwrap().expose(), value.expose());
    }
    for key in SecretKey::ALL {
        kc.delete(key).unwrap();
        assert!(kc.read(key).unwrap().is_none());
    }
}

#[test]
fn keychain_overwrites_and_deleting_an_absent_entry_is_fine() {
    let kc = keychain("overwrite");
    kc.delete(SecretKey::HashKey).unwrap();
    kc.store(SecretKey::HashKey, &"first".into()).unwrap();
    kc.store(SecretKey::HashKey, &"second".into()).unwrap();
    assert_eq!(
        kc.read(SecretKey::HashKey).unwrap().unwrap().expose(),
        "second"
    );
    kc.delete(SecretKey::HashKey).unwrap();
    kc.delete(SecretKey::HashKey).unwrap();
}

/// Values are split only on Windows now; one written in parts before (on any platform)
/// still reads, and storing it again replaces every part.
#[test]
fn a_value_stored_in_parts_reads_back_everywhere() {
    let kc = keychain("legacy-parts");
    let set = |account: &str, value: &str| set_raw(kc.namespace(), account, value);
    set("client_certificate#1", "-----BEGIN ");
    set("client_certificate#2", "CERTIFICATE-----");
    set("client_certificate", "paydesk-chunked:v1:2");
    assert_eq!(
        kc.read(SecretKey::ClientCertificate)
            .unwrap()
            .unwrap()
            .expose(),
        "-----BEGIN CERTIFICATE-----"
    );
    kc.store(SecretKey::ClientCertificate, &"new".into())
        .unwrap();
    assert_eq!(
        kc.read(SecretKey::ClientCertificate)
            .unwrap()
            .unwrap()
            .expose(),
        "new"
    );
    assert!(
        keyring::Entry::new(kc.namespace(), "client_certificate#2")
            .unwrap()
            .get_password()
            .is_err()
    );
    kc.purge(SecretKey::ClientCertificate).unwrap();
}

#[test]
fn keychain_splits_a_long_certificate_and_joins_it_back() {
    let kc = keychain("chunks");
    let pem: String = (0..5_000)
        .map(|i| char::from(b'A' + (i % 26) as u8))
        .chain("証明書".chars())
        .collect();
    kc.store(SecretKey::ClientCertificate, &Sensitive::new(pem.clone()))
        .unwrap();
    assert_eq!(
        kc.read(SecretKey::ClientCertificate)
            .unwrap()
            .unwrap()
            .expose(),
        &pem
    );
    // A shorter value replaces every part.
    kc.store(SecretKey::ClientCertificate, &"short".into())
        .unwrap();
    assert_eq!(
        kc.read(SecretKey::ClientCertificate)
            .unwrap()
            .unwrap()
            .expose(),
        "short"
    );
    kc.delete(SecretKey::ClientCertificate).unwrap();
    assert!(kc.read(SecretKey::ClientCertificate).unwrap().is_none());
}

/// 700 characters outside the BMP are 1,400 UTF-16 units, 2,800 bytes: more than one
/// Windows credential holds (2,560), although fewer characters than a part. They are split
/// by UTF-16 length, so this works on Windows too (it failed there with "too long").
#[test]
fn keychain_stores_a_value_of_wide_characters_that_one_windows_credential_cannot_hold() {
    let kc = keychain("wide");
    let value = "🔑".repeat(700);
    kc.store(
        SecretKey::ClientCertificatePassphrase,
        &Sensitive::new(value.clone()),
    )
    .unwrap();
    assert_eq!(
        kc.read(SecretKey::ClientCertificatePassphrase)
            .unwrap()
            .unwrap()
            .expose(),
        &value
    );
    kc.delete(SecretKey::ClientCertificatePassphrase).unwrap();
    assert!(
        kc.read(SecretKey::ClientCertificatePassphrase)
            .unwrap()
            .is_none()
    );
}

#[test]
fn namespaces_keep_builds_apart() {
    let release = keychain("ns-release");
    let dev = keychain("ns-dev");
    release
        .store(SecretKey::ConnectPassword, &"release-pw".into())
        .unwrap();
    assert!(dev.read(SecretKey::ConnectPassword).unwrap().is_none());
    dev.store(SecretKey::ConnectPassword, &"dev-pw".into())
        .unwrap();
    assert_eq!(
        release
            .read(SecretKey::ConnectPassword)
            .unwrap()
            .unwrap()
            .expose(),
        "release-pw"
    );
    release.delete(SecretKey::ConnectPassword).unwrap();
    dev.delete(SecretKey::ConnectPassword).unwrap();
}

#[test]
fn keychain_errors_never_contain_the_secret() {
    let kc = keychain("leak");
    let secret = Sensitive::from("SENTINEL-never-in-errors-42");
    kc.store(SecretKey::SmtpPassword, &secret).unwrap();
    let read = kc.read(SecretKey::SmtpPassword).unwrap();
    assert!(!format!("{read:?}").contains("SENTINEL"));
    kc.delete(SecretKey::SmtpPassword).unwrap();
}

/// With no reachable Secret Service the keychain says so plainly instead of failing
/// obscurely. The check runs in a child process of this test binary, pointed at a session
/// bus that does not exist, so the rest of the suite keeps its real keychain. Linux (and
/// the BSDs) only: Windows' Credential Manager and the macOS Keychain need no session bus,
/// see the next test.
#[cfg(all(unix, not(target_vendor = "apple")))]
#[test]
fn missing_keychain_gives_a_clear_error() {
    if std::env::var_os("PAYDESK_SECRETS_CHILD").is_some() {
        let err = keychain("missing")
            .probe()
            .expect_err("no bus, no keychain");
        assert_eq!(err.code(), "keychain_unavailable", "{err}");
        assert!(err.to_string().contains("no system keychain"), "{err}");
        return;
    }
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "keychain::missing_keychain_gives_a_clear_error",
            "--nocapture",
        ])
        .env("PAYDESK_SECRETS_CHILD", "1")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/paydesk-bus",
        )
        .status()
        .unwrap();
    assert!(status.success());
}

/// Windows and macOS: the keychain is part of the user's session, with no bus to reach, so
/// a session bus address that leads nowhere changes nothing (the Linux test above gets
/// `keychain_unavailable` from it). Run in a child process for the same environment.
#[cfg(any(windows, target_vendor = "apple"))]
#[test]
fn the_platform_keychain_needs_no_session_bus() {
    if std::env::var_os("PAYDESK_SECRETS_CHILD").is_some() {
        let kc = keychain("no-bus");
        kc.probe().expect("the platform keychain is always there");
        kc.store(SecretKey::RelayToken, &"token".into()).unwrap();
        assert_eq!(
            kc.read(SecretKey::RelayToken).unwrap().unwrap().expose(),
            "token"
        );
        kc.delete(SecretKey::RelayToken).unwrap();
        return;
    }
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "keychain::the_platform_keychain_needs_no_session_bus",
            "--nocapture",
        ])
        .env("PAYDESK_SECRETS_CHILD", "1")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/paydesk-bus",
        )
        .status()
        .unwrap();
    assert!(status.success());
}

/// Moving secrets to a new namespace (the app's identifier changed): every entry is copied
/// exactly as stored, a long value's parts too, and purging removes every part, also one
/// that no head points at (a write a crash cut short).
#[test]
fn keychain_copies_every_entry_to_another_namespace_and_purges_every_part() {
    let from = keychain("copy-from");
    let to = keychain("copy-to");
    let long: String = "P".repeat(2_500);
    from.store(SecretKey::ClientCertificate, &Sensitive::new(long.clone()))
        .unwrap();
    from.store(SecretKey::HashKey, &"hash".into()).unwrap();
    to.store(SecretKey::HashKey, &"stale".into()).unwrap();
    assert_eq!(
        from.stored_keys().unwrap(),
        vec![SecretKey::ClientCertificate, SecretKey::HashKey]
    );
    for key in from.stored_keys().unwrap() {
        from.copy_to(key, &to).unwrap();
        assert!(from.same_as(key, &to).unwrap());
    }
    assert_eq!(
        to.read(SecretKey::ClientCertificate)
            .unwrap()
            .unwrap()
            .expose(),
        &long
    );
    assert_eq!(
        to.read(SecretKey::HashKey).unwrap().unwrap().expose(),
        "hash"
    );

    // A head-less part, as a crash between writing parts and head leaves it (parts are
    // written only on Windows, so it is made by hand).
    let orphan = keychain("copy-orphan");
    set_raw(orphan.namespace(), "client_certificate#1", &long[..1_000]);
    assert_eq!(
        orphan.stored_keys().unwrap(),
        vec![SecretKey::ClientCertificate]
    );
    for kc in [&from, &to, &orphan] {
        for key in SecretKey::ALL {
            kc.purge(key).unwrap();
        }
        assert!(kc.stored_keys().unwrap().is_empty());
    }
}

/// CI (2026-12-07): gnome-keyring aborted under a burst of sessions (its upstream bug), and
/// a call that had opened its session on the old daemon reached the restarted one: "The
/// session wrapping the secret does not exist". Here the daemon is killed again and again
/// while values are stored and read; every call must succeed, none may read a wrong value.
///
/// It runs only in a test session whose bus restarts the daemon unlocked (the service file
/// `cargo xtask test` writes into the session's `XDG_DATA_HOME`): elsewhere killing it would
/// leave a locked keychain behind for the tests after this one.
#[cfg(target_os = "linux")]
#[test]
fn calls_survive_the_secret_service_daemon_dying_under_them() {
    use std::process::Command;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let restarts_unlocked = std::env::var_os("XDG_DATA_HOME")
        .map(|d| std::path::Path::new(&d).join("dbus-1/services/org.freedesktop.secrets.service"))
        .and_then(|f| std::fs::read_to_string(f).ok())
        .is_some_and(|s| s.contains("--unlock"));
    if !restarts_unlocked {
        eprintln!("skipped: this session's bus would restart gnome-keyring locked");
        return;
    }
    fn daemon_pid() -> Option<u32> {
        let out = Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.GetConnectionUnixProcessID",
                "string:org.freedesktop.secrets",
            ])
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .last()?
            .parse()
            .ok()
    }

    let kc = keychain("daemon-restarts");
    kc.probe().unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let killer = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut killed = Vec::new();
            for _ in 0..6 {
                std::thread::sleep(std::time::Duration::from_millis(300));
                // The bus starts a new daemon on the next call; wait for it to own the name.
                let Some(pid) = daemon_pid().filter(|p| !killed.contains(p)) else {
                    continue;
                };
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
                killed.push(pid);
            }
            done.store(true, Ordering::SeqCst);
            killed
        })
    };
    let mut calls = 0;
    let mut round = 0u32;
    while !done.load(Ordering::SeqCst) {
        round += 1;
        for key in [SecretKey::ConnectPassword, SecretKey::HashKey] {
            let value = Sensitive::from(format!("{}-{round}", key.account()));
            kc.store(key, &value)
                .unwrap_or_else(|e| panic!("store in round {round}: {e}"));
            let read = kc
                .read(key)
                .unwrap_or_else(|e| panic!("read in round {round}: {e}"))
                .expect("a stored value reads back");
            assert_eq!(read.expose(), value.expose(), "round {round}");
            calls += 2;
        }
    }
    let killed = killer.join().unwrap();
    assert!(
        killed.len() >= 3,
        "the daemon was killed only {} times",
        killed.len()
    );
    for key in [SecretKey::ConnectPassword, SecretKey::HashKey] {
        kc.delete(key).unwrap();
    }
    eprintln!("{calls} calls over {} daemon restarts", killed.len());
}
