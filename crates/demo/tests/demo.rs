//! The demo starts its simulator and relay, fills itself with sample orders, and resumes;
//! it never touches a shop's data folder or keychain entries. Needs the OS keychain (run
//! inside a Secret Service session, as `cargo xtask test` does).

use std::path::{Path, PathBuf};

use api::dto::{OrderQuery, SettingsInput, SyncModeCode};
use api::{Build, Desk, DeskConfig, keychain_namespace};
use secrets::{Keychain, SecretKey, Sensitive};
use test_support::{folder_state, shop_secrets};

fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("info")
        .with_test_writer()
        .try_init();
}

/// A configuration of this build as the demo.
fn demo_config(identifier: &str, build: Build, dir: &Path) -> DeskConfig {
    let mut c = DeskConfig::new(identifier, "0.0.0", build, dir.to_owned());
    c.demo = true;
    c.demo_servers = Some(demo::servers());
    c
}

#[tokio::test]
async fn demo_starts_with_sample_orders_and_resumes() {
    init_logs();
    let dir = tempfile::tempdir().unwrap();
    let config = || demo_config("jp.paydesk.it.demo", Build::Test, dir.path());
    let desk = Desk::open(config()).await.unwrap();
    let status = desk.demo_status().await.unwrap().expect("demo status");
    assert!(status.control_url.starts_with("http://127.0.0.1:"));
    let page = desk.list_orders(OrderQuery::default()).await.unwrap();
    assert!(page.total >= 40, "{}", page.total);
    assert!(page.items.iter().any(|o| o.buyer_name.is_some()));
    let settings = desk.get_settings().await.unwrap();
    assert!(settings.complete && settings.secrets.relay_token);
    let home = desk.home_summary().await.unwrap();
    assert!(home.open_orders > 0);
    let total = page.total;
    drop(desk);
    // A second start resumes the same data without generating again.
    let again = Desk::open(config()).await.unwrap();
    assert_eq!(
        again
            .list_orders(OrderQuery::default())
            .await
            .unwrap()
            .total,
        total
    );
    assert_ne!(
        again.sync_status().await.unwrap().mode,
        SyncModeCode::NotConfigured
    );
    for key in secrets::SecretKey::ALL {
        let _ = again.keychain().delete(key);
    }
}

/// Issue 15, point 2: a release build started as the demo (`--demo`, `PAYDESK_DEMO=1`)
/// used the shop's data folder and the release keychain namespace, so the demo's
/// credentials replaced the shop's and its sample orders went into the shop's database.
/// The demo now runs in its own folder beside the shop's and its own namespace.
#[tokio::test]
async fn the_demo_of_a_release_build_leaves_the_shops_data_and_secrets_untouched() {
    init_logs();
    let root = tempfile::tempdir().unwrap();
    let shop_dir = root.path().join("jp.paydesk.it.demo-release");
    // A release build's identity (the test's own identifier, in the test session's keyring).
    let identifier = "jp.paydesk.it.demo-release";
    let shop_keychain = Keychain::new(keychain_namespace(identifier, Build::Release, false));
    assert_eq!(shop_keychain.namespace(), identifier);
    let secrets = shop_secrets("shop");
    for (key, value) in &secrets {
        shop_keychain
            .store(*key, &Sensitive::new(value.clone()))
            .unwrap();
    }
    let shop = Desk::open(DeskConfig::new(
        identifier,
        "0.0.0",
        Build::Release,
        shop_dir.clone(),
    ))
    .await
    .unwrap();
    shop.save_settings(SettingsInput {
        shop_name: Some("本物の店".into()),
        ..SettingsInput::default()
    })
    .await
    .unwrap();
    drop(shop);
    let before = folder_state(&shop_dir);
    assert!(
        before.contains_key(Path::new("paydesk.sqlite3")),
        "{before:?}"
    );

    // The demo, as the app starts it: the shop's folder and identity, plus `demo`.
    let demo = Desk::open(demo_config(identifier, Build::Release, &shop_dir))
        .await
        .unwrap();
    let info = demo.app_info();
    assert!(demo.list_orders(OrderQuery::default()).await.unwrap().total >= 40);
    let demo_settings = demo.get_settings().await.unwrap();
    assert!(
        demo_settings.complete,
        "the demo runs on its own credentials"
    );
    drop(demo);

    assert!(
        folder_state(&shop_dir) == before,
        "the demo changed the shop's data folder"
    );
    for (key, value) in &secrets {
        let kept = shop_keychain.read(*key).unwrap();
        assert_eq!(
            kept.as_ref().map(|v| v.expose().as_str()),
            Some(value.as_str()),
            "the demo changed the shop's {}",
            key.account()
        );
    }
    // The demo's own place: a folder beside the shop's, a namespace of its own.
    assert!(info.demo);
    assert_eq!(info.keychain_namespace, format!("{identifier}.demo"));
    assert_eq!(
        PathBuf::from(&info.data_dir),
        root.path().join("jp.paydesk.it.demo-release.demo")
    );
    // The shop opens as it was left: its own name, no sample orders.
    let shop = Desk::open(DeskConfig::new(
        identifier,
        "0.0.0",
        Build::Release,
        shop_dir.clone(),
    ))
    .await
    .unwrap();
    assert_eq!(
        shop.list_orders(OrderQuery::default()).await.unwrap().total,
        0
    );
    assert_eq!(
        shop.get_settings().await.unwrap().shop_name.as_deref(),
        Some("本物の店")
    );
    drop(shop);
    let demo_keychain = Keychain::new(keychain_namespace(identifier, Build::Release, true));
    for key in SecretKey::ALL {
        let _ = shop_keychain.delete(key);
        let _ = demo_keychain.delete(key);
    }
}

/// Issue 22: the benchmark runs the demo's servers in a process of their own (`paydesk
/// demo-servers DIR`, here the same function in a task), so that the simulator's growing
/// ledger does not count as the app's memory. A desk given their file connects to them (not
/// to the ones an earlier run's file names), is filled with the same sample data, and
/// follows the simulator's clock.
#[tokio::test]
async fn a_demo_whose_servers_run_apart_is_filled_from_them_and_follows_their_clock() {
    init_logs();
    let servers_dir = tempfile::tempdir().unwrap();
    let desk_dir = tempfile::tempdir().unwrap();
    // An earlier run's file names servers that are gone; the desk waits for the new ones.
    let file = servers_dir.path().join(demo::SERVERS_FILE);
    let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let gone_url = format!("http://{}", gone.local_addr().unwrap());
    drop(gone);
    std::fs::write(
        &file,
        serde_json::json!({ "control_url": gone_url }).to_string(),
    )
    .unwrap();
    let serving = tokio::spawn({
        let dir = servers_dir.path().to_owned();
        async move { demo::serve_apart(&dir).await }
    });
    let mut config = DeskConfig::new(
        "jp.paydesk.it.demo-apart",
        "0.0.0",
        Build::Test,
        desk_dir.path().to_owned(),
    );
    config.demo = true;
    config.demo_servers = Some(demo::servers_apart(file.clone()));
    let desk = Desk::open(config).await.unwrap();

    // The servers' credentials are for their owner's eyes only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
    let page = desk.list_orders(OrderQuery::default()).await.unwrap();
    assert!(page.total >= 40, "{}", page.total);
    assert!(page.items.iter().any(|o| o.buyer_name.is_some()));
    let settings = desk.get_settings().await.unwrap();
    assert!(settings.complete && settings.secrets.relay_token);
    let status = desk.demo_status().await.unwrap().expect("demo status");
    assert_ne!(status.control_url, gone_url);
    assert_ne!(
        desk.sync_status().await.unwrap().mode,
        SyncModeCode::NotConfigured
    );

    // The clock the desk is given follows the simulator's when it moves.
    let running = demo::servers_apart(file)
        .start(desk_dir.path())
        .await
        .unwrap();
    let clock = running.clock();
    assert!((clock.now() - chrono::Utc::now()).num_minutes().abs() < 1);
    let advanced = reqwest::Client::new()
        .post(format!("{}/control/clock/advance", status.control_url))
        .json(&serde_json::json!({ "days": 3 }))
        .send()
        .await
        .unwrap();
    assert!(advanced.status().is_success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while (clock.now() - chrono::Utc::now()).num_hours() < 71 {
        assert!(
            std::time::Instant::now() < deadline,
            "the desk's clock did not follow the simulator's"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    drop(running);
    for key in secrets::SecretKey::ALL {
        let _ = desk.keychain().delete(key);
    }
    drop(desk);
    serving.abort();
}
