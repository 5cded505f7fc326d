//! Sync: notifications through the relay, 091 polling, gaps, busy back-off.

use serde_json::json;

use crate::harness::{Harness, Options};

#[tokio::test]
async fn relay_notifications_create_card_and_paidy_orders() {
    let h = Harness::start(
        "relay_orders",
        Options {
            relay: true,
            run_sync: true,
        },
    )
    .await;
    let card = h
        .card_checkout("ORDER_R1", 1500, "authorize_only", false)
        .await;
    let paidy = h.paidy_checkout("ORDER_R2", 5000).await;
    h.tick().await;
    let card_order = h
        .wait_until("the card order", || async { h.order_of(&card).await })
        .await;
    assert_eq!(card_order.summary.status.code, "20");
    assert_eq!(card_order.summary.amount_yen, 1500);
    assert_eq!(card_order.summary.order_number, "ORDER_R1");
    let paidy_order = h
        .wait_until("the Paidy order with its details", || async {
            h.order_of(&paidy).await.filter(|o| o.details.is_some())
        })
        .await;
    let details = paidy_order.details.unwrap();
    assert_eq!(details.source, "paidy_verify");
    assert_eq!(details.items[0].title, "有機緑茶");
    assert_eq!(paidy_order.summary.buyer_name.as_deref(), Some("山田 太郎"));
    let status = h.desk.sync_status().await.unwrap();
    assert!(status.relay_configured);
    assert!(status.last_event_at.is_some());
    // Each notification was applied once although 091 returns them all again.
    h.sync().await;
    let page = h.desk.list_orders(Default::default()).await.unwrap();
    assert_eq!(page.total, 2);
}

#[tokio::test]
async fn polling_091_without_relay_backs_off_on_9004() {
    let h = Harness::quiet("polling_9004").await;
    let card = h
        .card_checkout("ORDER_P1", 2000, "authorize_only", false)
        .await;
    h.control(
        "POST",
        "/control/faults",
        json!({"telegram_kind": "091", "fault": "busy_9004", "times": 1}),
    )
    .await;
    h.sync().await;
    let order = h.order_of(&card).await.expect("order created by polling");
    assert_eq!(order.summary.amount_yen, 2000);
    // A second round finds nothing new and makes no second order.
    h.sync().await;
    assert_eq!(
        h.desk.list_orders(Default::default()).await.unwrap().total,
        1
    );
}

/// Issue 15, point 7: the home screen showed a notification of 4 minutes ago as "in 4
/// min". PayDesk's times follow its clock (in the demo, the simulator's, which may be
/// ahead of the window's), so every sync status carries that clock's `now` for the UI to
/// measure against; and applying a notification publishes the new "last event" at once
/// instead of at the next heartbeat or manual sync.
#[tokio::test]
async fn issue15_applying_a_notification_publishes_the_last_event_time_with_the_desks_now() {
    use api::dto::events::DeskEvent;
    let h = Harness::start(
        "sync_status_clock",
        Options {
            relay: true,
            run_sync: true,
        },
    )
    .await;
    // The simulated time runs an hour ahead of the wall clock.
    let sim = h.embedded.simulator();
    sim.advance(chrono::Duration::hours(1));
    let payment = h
        .card_checkout("ORDER_CLOCK", 1200, "authorize_only", false)
        .await;
    h.tick().await;
    h.wait_until("the order", || async { h.order_of(&payment).await })
        .await;
    let status = h
        .wait_until("a status event with the last event time", || async {
            h.events
                .seen
                .lock()
                .unwrap()
                .iter()
                .rev()
                .find_map(|e| match e {
                    DeskEvent::SyncStatusChanged { status } if status.last_event_at.is_some() => {
                        Some(status.clone())
                    }
                    _ => None,
                })
        })
        .await;
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
    let last = at(status.last_event_at.as_deref().unwrap());
    let now = at(&status.now);
    // Both on the desk's (simulated) clock: the event is not in the future of `now`,
    // though it is an hour in the future of the wall clock.
    assert!(last <= now, "{status:?}");
    assert!(now - last < chrono::Duration::minutes(5), "{status:?}");
    assert!(last > chrono::Utc::now() + chrono::Duration::minutes(50));
}
