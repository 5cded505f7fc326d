//! Issue 23, point 3, through the real binary: a desk kept under the previous identifier
//! (`jp.paydesk.app`: its data folder in the platform's data directory, its secrets in the
//! test build's namespace) is moved to `jp.paydesk.desk` by the first start of the app
//! binary (here its command line, which starts the same way as the window).

use std::path::Path;

use api::identity::PREVIOUS_IDENTIFIER;
use api::{Build, keychain_namespace};
use secrets::{Keychain, SecretKey, Sensitive};
use serde_json::Value;
use test_support::folder_state;

/// The app's identifier (tauri.conf.json).
const IDENTIFIER: &str = "jp.paydesk.desk";

#[tokio::test(flavor = "multi_thread")]
async fn the_first_start_moves_a_desk_from_the_previous_identifier() {
    // The test build's namespace is shared with the windowed sessions.
    let turn = crate::driver::take_turn().await;
    let home = std::env::temp_dir().join(format!("paydesk-identity-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    // Linux's data directory (what Tauri's `app_data_dir` resolves to): $XDG_DATA_HOME/<identifier>.
    let data_home = home.join("share");
    let old_dir = data_home.join(PREVIOUS_IDENTIFIER);
    let new_dir = data_home.join(IDENTIFIER);
    let old_keychain = Keychain::new(keychain_namespace(PREVIOUS_IDENTIFIER, Build::Test, false));
    let new_keychain = Keychain::new(keychain_namespace(IDENTIFIER, Build::Test, false));
    let kept: Vec<(SecretKey, Option<String>)> = SecretKey::ALL
        .iter()
        .map(|&k| (k, new_keychain.read(k).unwrap().map(|v| v.expose().clone())))
        .collect();
    for key in SecretKey::ALL {
        new_keychain.purge(key).unwrap();
    }

    crate::saved_shop(PREVIOUS_IDENTIFIER, &old_dir, "引っ越す店").await;
    std::fs::create_dir_all(old_dir.join("logs")).unwrap();
    std::fs::write(old_dir.join("logs/paydesk.log"), "before the move\n").unwrap();
    let certificate = format!("SENTINEL-move-certificate-{}", "M".repeat(2_600));
    old_keychain
        .store(
            SecretKey::ClientCertificate,
            &Sensitive::new(certificate.clone()),
        )
        .unwrap();
    old_keychain
        .store(SecretKey::ConnectPassword, &"SENTINEL-move-password".into())
        .unwrap();
    let old_files = file_names(&old_dir);

    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_paydesk"))
        .args(["settings", "show", "--json"])
        .env("PAYDESK_TEST", "1")
        .env_remove("PAYDESK_DATA_DIR")
        .env_remove("PAYDESK_DEMO")
        .env("HOME", &home)
        .env("XDG_DATA_HOME", &data_home)
        .env("LANG", "en_US.UTF-8")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.trim().is_empty(), "nothing to tell: {stderr}");
    let settings: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(settings["shop_name"], "引っ越す店", "{settings}");

    assert!(!old_dir.exists(), "the previous folder is gone");
    let new_files = file_names(&new_dir);
    for file in &old_files {
        assert!(new_files.contains(file), "{file} moved: {new_files:?}");
    }
    let log = std::fs::read_to_string(new_dir.join("logs/paydesk.log")).unwrap();
    assert!(log.starts_with("before the move\n"), "{log}");
    assert!(
        log.contains("identity move"),
        "the move is in the log: {log}"
    );
    assert_eq!(old_keychain.stored_keys().unwrap(), vec![]);
    assert_eq!(
        new_keychain
            .read(SecretKey::ClientCertificate)
            .unwrap()
            .unwrap()
            .expose(),
        &certificate
    );
    assert_eq!(
        new_keychain
            .read(SecretKey::ConnectPassword)
            .unwrap()
            .unwrap()
            .expose(),
        "SENTINEL-move-password"
    );

    for (key, value) in kept {
        match value {
            Some(v) => new_keychain.store(key, &Sensitive::new(v)).unwrap(),
            None => new_keychain.purge(key).unwrap(),
        }
    }
    let _ = std::fs::remove_dir_all(&home);
    drop(turn);
}

/// The identifier macOS accepts (issue 23, point 3): not ending in `.app`, which the Tauri
/// CLI warns conflicts with the application bundle extension; and the one these tests use.
#[test]
fn the_identifier_does_not_end_like_a_macos_application_bundle() {
    let config: Value =
        serde_json::from_str(include_str!("../../tauri.conf.json")).expect("tauri.conf.json");
    let identifier = config["identifier"].as_str().unwrap();
    assert_eq!(identifier, IDENTIFIER);
    assert!(!identifier.ends_with(".app"), "{identifier}");
    assert_ne!(identifier, PREVIOUS_IDENTIFIER);
}

/// The window's start, when the move fails (the new folder's name is taken by a file): the
/// app runs from the previous place with everything in it and says so on the home screen.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_move_is_shown_on_the_home_screen_and_the_desk_runs_from_the_old_place() {
    let home = std::env::temp_dir().join(format!("paydesk-identity-ui-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let data_home = home.join("share");
    let old_dir = data_home.join(PREVIOUS_IDENTIFIER);
    crate::saved_shop(PREVIOUS_IDENTIFIER, &old_dir, "残る店").await;
    std::fs::write(data_home.join(IDENTIFIER), "in the way").unwrap();
    let before = file_names(&old_dir);

    // No PAYDESK_DATA_DIR: the folders are the platform's, named by the identifiers.
    let data_home_text = data_home.display().to_string();
    let s = crate::driver::Session::start_in(
        home.join("unused"),
        &[("PAYDESK_DATA_DIR", ""), ("XDG_DATA_HOME", &data_home_text)],
        &[],
    )
    .await;
    let notice = s.wait_css(&crate::screen::css("start-notice")).await;
    let text = notice.text().await.unwrap();
    assert!(text.contains("移せませんでした"), "{text}");
    let info = s.invoke("app_info", serde_json::json!({})).await;
    assert_eq!(info["identifier"], PREVIOUS_IDENTIFIER, "{info}");
    assert_eq!(info["data_dir"], old_dir.display().to_string(), "{info}");
    s.screenshot("home-identity-move-failed").await;
    drop(s);
    let after = file_names(&old_dir);
    for file in &before {
        assert!(after.contains(file), "{file} is still in the old folder");
    }
    let _ = std::fs::remove_dir_all(&home);
}

/// The names of every file under `dir`, sorted.
fn file_names(dir: &Path) -> Vec<String> {
    folder_state(dir)
        .into_keys()
        .map(|p| p.display().to_string())
        .collect()
}
