//! The demo starts its simulator and relay, fills itself with sample orders, and resumes.

use api::dto::{OrderQuery, SyncModeCode};
use api::{Build, Desk, DeskConfig};

use crate::harness::keep;

#[tokio::test]
async fn demo_starts_with_sample_orders_and_resumes() {
    crate::harness::init_logs();
    let dir = tempfile::tempdir().unwrap();
    let config = || {
        let mut c = DeskConfig::new(
            "jp.paydesk.it.demo",
            "0.0.0",
            Build::Test,
            dir.path().to_owned(),
        );
        c.demo = true;
        c
    };
    let desk = Desk::open(config()).await.unwrap();
    let status = desk.demo_status().await.unwrap().expect("demo status");
    keep(&status);
    assert!(status.control_url.starts_with("http://127.0.0.1:"));
    let page = desk.list_orders(OrderQuery::default()).await.unwrap();
    assert!(page.total >= 40, "{}", page.total);
    assert!(page.items.iter().any(|o| o.buyer_name.is_some()));
    let settings = desk.get_settings().await.unwrap();
    assert!(settings.complete && settings.secrets.relay_token);
    let home = desk.home_summary().await.unwrap();
    keep(&home);
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
