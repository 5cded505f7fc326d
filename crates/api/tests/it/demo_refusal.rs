//! Issue 18, point 5: a build without the demo (a release) refuses `--demo` /
//! `PAYDESK_DEMO=1` in plain words and touches neither the shop's folder nor the demo's.

use api::{Build, Desk, DeskConfig};

use crate::harness::folder_state;

#[tokio::test]
async fn a_build_without_the_demo_refuses_it_and_touches_no_folder() {
    let root = tempfile::tempdir().unwrap();
    let shop_dir = root.path().join("jp.paydesk.it.no-demo");
    // A shop with its database, to show it untouched.
    let shop = Desk::open(DeskConfig::new(
        "jp.paydesk.it.no-demo",
        "0.0.0",
        Build::Release,
        shop_dir.clone(),
    ))
    .await
    .unwrap();
    assert!(!shop.app_info().demo_available);
    drop(shop);
    let before = folder_state(&shop_dir);

    let mut config = DeskConfig::new(
        "jp.paydesk.it.no-demo",
        "0.0.0",
        Build::Release,
        shop_dir.clone(),
    );
    config.demo = true;
    let refused = Desk::open(config).await.expect_err("no demo in this build");
    assert_eq!(refused.code, "demo_unavailable");
    assert!(
        refused.message.ja.contains("デモが入っていません"),
        "{refused:?}"
    );
    assert!(refused.message.en.contains("has no demo"), "{refused:?}");
    assert!(refused.message.en.contains("not touched"), "{refused:?}");
    assert!(
        folder_state(&shop_dir) == before,
        "the shop's folder changed"
    );
    assert!(
        !api::demo_data_dir(&shop_dir).exists(),
        "a demo folder was made"
    );
}
