//! Issue 15, point 2, through the real binary: the demo (`PAYDESK_DEMO=1`) started over a
//! shop's data folder, as the command line and as the window, leaves the shop's database
//! and keychain entries exactly as they were; it runs in its own folder beside the shop's
//! and its own keychain namespace.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use api::dto::OrderQuery;
use api::{Build, keychain_namespace};
use secrets::{Keychain, SecretKey, Sensitive};
use serde_json::{Value, json};

use test_support::{folder_state, shop_secrets};

use crate::driver::Session;
use crate::screen::css;

/// The app's identifier (tauri.conf.json).
const IDENTIFIER: &str = "jp.paydesk.desk";
const WAIT: Duration = Duration::from_secs(60);

/// The shop as the binary of this test run keeps it: its secrets in the test build's
/// namespace, and a database with its own settings.
struct Shop {
    dir: PathBuf,
    keychain: Keychain,
    secrets: Vec<(SecretKey, String)>,
    /// What the namespace held before the test, put back at the end.
    before: Vec<(SecretKey, Option<String>)>,
}

impl Shop {
    async fn set_up(name: &str) -> Shop {
        let dir = std::env::temp_dir().join(format!("paydesk-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_dir_all(api::demo_data_dir(&dir));
        let keychain = Keychain::new(keychain_namespace(IDENTIFIER, Build::Test, false));
        let before = SecretKey::ALL
            .iter()
            .map(|&k| (k, keychain.read(k).unwrap().map(|v| v.expose().clone())))
            .collect();
        let secrets = shop_secrets("shop");
        for (key, value) in &secrets {
            keychain
                .store(*key, &Sensitive::new(value.clone()))
                .unwrap();
        }
        crate::saved_shop(IDENTIFIER, &dir, "本物の店").await;
        Shop {
            dir,
            keychain,
            secrets,
            before,
        }
    }

    fn assert_untouched(&self, files: &BTreeMap<PathBuf, Vec<u8>>, by: &str) {
        assert!(
            folder_state(&self.dir) == *files,
            "{by} changed the shop's data folder"
        );
        for (key, value) in &self.secrets {
            let kept = self.keychain.read(*key).unwrap();
            assert_eq!(
                kept.as_ref().map(|v| v.expose().as_str()),
                Some(value.as_str()),
                "{by} changed the shop's {}",
                key.account()
            );
        }
    }

    async fn assert_opens_as_left(&self) {
        let desk = crate::open_desk(IDENTIFIER, &self.dir).await;
        assert_eq!(
            desk.list_orders(OrderQuery::default()).await.unwrap().total,
            0
        );
        assert_eq!(
            desk.get_settings().await.unwrap().shop_name.as_deref(),
            Some("本物の店")
        );
    }

    fn restore(self) {
        for (key, value) in self.before {
            match value {
                Some(v) => self.keychain.store(key, &Sensitive::new(v)).unwrap(),
                None => self.keychain.delete(key).unwrap(),
            }
        }
        let demo = Keychain::new(keychain_namespace(IDENTIFIER, Build::Test, true));
        for key in SecretKey::ALL {
            let _ = demo.delete(key);
        }
        let _ = std::fs::remove_dir_all(api::demo_data_dir(&self.dir));
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_from_the_command_line_leaves_the_shops_data_and_secrets_untouched() {
    // The test build's keychain entries are shared with the windowed sessions.
    let turn = crate::driver::take_turn().await;
    let shop = Shop::set_up("demo-cli").await;
    let files = folder_state(&shop.dir);

    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_paydesk"))
        .args(["orders", "list", "--json"])
        .env("PAYDESK_TEST", "1")
        .env("PAYDESK_DEMO", "1")
        .env("PAYDESK_DATA_DIR", &shop.dir)
        .env("LANG", "en_US.UTF-8")
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let listed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(listed["total"].as_i64().unwrap() >= 40, "{listed}");

    shop.assert_untouched(&files, "the demo (command line)");
    shop.assert_opens_as_left().await;
    assert!(
        api::demo_data_dir(&shop.dir)
            .join("paydesk.sqlite3")
            .exists(),
        "the demo keeps its data beside the shop's"
    );
    shop.restore();
    drop(turn);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_app_leaves_the_shops_data_and_secrets_untouched() {
    let shop = {
        let _turn = crate::driver::take_turn().await;
        Shop::set_up("demo-window").await
    };
    let files = folder_state(&shop.dir);

    let s = Session::start_in(shop.dir.clone(), &[("PAYDESK_DEMO", "1")], &[])
        .await
        .waiting(WAIT);
    s.wait_css(&css("demo-banner")).await;
    // The sample orders are in (the demo generated, synced and imported them).
    s.until("the demo has no orders", WAIT, async || {
        let page = s.invoke("list_orders", json!({"query": {}})).await;
        (page["total"].as_i64().unwrap_or(0) >= 40).then_some(())
    })
    .await;
    let info = s.invoke("app_info", json!({})).await;
    assert_eq!(
        info["keychain_namespace"],
        keychain_namespace(IDENTIFIER, Build::Test, true)
    );
    assert_eq!(
        PathBuf::from(info["data_dir"].as_str().unwrap()),
        api::demo_data_dir(&shop.dir)
    );
    shop.assert_untouched(&files, "the demo app");
    s.screenshot("demo-beside-a-shop").await;
    // Ending the session removes both folders: check the shop's first.
    let dir = shop.dir.clone();
    let turn_free = {
        drop(s);
        crate::driver::take_turn().await
    };
    assert!(folder_state(&dir) == files);
    shop.assert_opens_as_left().await;
    shop.restore();
    drop(turn_free);
}
