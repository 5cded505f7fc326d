use std::{collections::HashSet, time::Duration};

use futures_util::{Stream, StreamExt};
use relay::{
    client::{ClientError, StreamItem},
    dto::{GapEvent, MissingRange, RelayEvent},
};

use crate::support::{KEY_A, TestRelay, all_events, notice_ids, notification};

/// Generous bound for one item on loopback; a failure here means a lost event, not a slow
/// machine.
const WAIT: Duration = Duration::from_secs(10);

async fn next_event<S>(stream: &mut S) -> RelayEvent
where
    S: Stream<Item = Result<StreamItem, ClientError>> + Unpin,
{
    loop {
        let item = tokio::time::timeout(WAIT, stream.next())
            .await
            .expect("an item in time")
            .expect("stream open")
            .expect("item ok");
        if let StreamItem::Event(event) = item {
            return event;
        }
    }
}

fn payment_id(event: &RelayEvent) -> u64 {
    match event {
        RelayEvent::Payment(p) => p.payment_notice_id,
        RelayEvent::Gap(g) => panic!("payment expected, got {g:?}"),
    }
}

#[tokio::test]
async fn stream_resumes_from_the_cursor_then_goes_live() {
    let relay = TestRelay::start().await;
    relay.add_shop("shop-a", KEY_A, &[]);
    let client = relay.client(&relay.add_desktop("shop-a", "d"));
    for id in 1..=3 {
        assert_eq!(relay.notify("shop-a", notification(id, KEY_A)).await.0, 200);
    }
    let stored = all_events(&client).await;
    let mut stream = Box::pin(client.stream(Some(stored[0].seq())).await.expect("stream"));
    assert_eq!(payment_id(&next_event(&mut stream).await), 2);
    assert_eq!(payment_id(&next_event(&mut stream).await), 3);
    assert_eq!(relay.notify("shop-a", notification(4, KEY_A)).await.0, 200);
    assert_eq!(payment_id(&next_event(&mut stream).await), 4);
    relay.stop().await;
}

#[tokio::test]
async fn without_a_cursor_the_stream_starts_at_the_acknowledged_one() {
    let relay = TestRelay::start().await;
    relay.add_shop("shop-a", KEY_A, &[]);
    let client = relay.client(&relay.add_desktop("shop-a", "d"));
    for id in 1..=3 {
        assert_eq!(relay.notify("shop-a", notification(id, KEY_A)).await.0, 200);
    }
    let stored = all_events(&client).await;
    assert_eq!(
        client.ack(stored[1].seq()).await.expect("ack"),
        stored[1].seq()
    );
    // The cursor never moves back.
    assert_eq!(
        client.ack(stored[0].seq()).await.expect("ack"),
        stored[1].seq()
    );
    let mut stream = Box::pin(client.stream(None).await.expect("stream"));
    assert_eq!(payment_id(&next_event(&mut stream).await), 3);
    let page = client.catch_up(None, None).await.expect("page");
    assert_eq!(notice_ids(&page.events), vec![3]);
    relay.stop().await;
}

#[tokio::test]
async fn several_desktops_of_a_shop_each_get_every_event_with_their_own_cursor() {
    let relay = TestRelay::start().await;
    relay.add_shop("shop-a", KEY_A, &[]);
    let front = relay.client(&relay.add_desktop("shop-a", "front"));
    let back = relay.client(&relay.add_desktop("shop-a", "back office"));
    let mut s1 = Box::pin(front.stream(None).await.expect("stream"));
    let mut s2 = Box::pin(back.stream(None).await.expect("stream"));
    for id in 1..=5 {
        assert_eq!(relay.notify("shop-a", notification(id, KEY_A)).await.0, 200);
    }
    let mut got1 = Vec::new();
    let mut got2 = Vec::new();
    for _ in 0..5 {
        got1.push(next_event(&mut s1).await);
        got2.push(next_event(&mut s2).await);
    }
    assert_eq!(notice_ids(&got1), vec![1, 2, 3, 4, 5]);
    assert_eq!(got1, got2);
    front.ack(got1[4].seq()).await.expect("ack");
    back.ack(got2[1].seq()).await.expect("ack");
    assert_eq!(
        front.status().await.expect("status").desktop.cursor,
        got1[4].seq()
    );
    assert_eq!(
        back.status().await.expect("status").desktop.cursor,
        got2[1].seq()
    );
    relay.stop().await;
}

#[tokio::test]
async fn jumps_in_notice_ids_are_reported_as_gaps_until_filled() {
    let relay = TestRelay::start().await;
    relay.add_shop("shop-a", KEY_A, &[]);
    let client = relay.client(&relay.add_desktop("shop-a", "d"));
    let mut stream = Box::pin(client.stream(None).await.expect("stream"));
    for id in [1, 2, 6] {
        assert_eq!(relay.notify("shop-a", notification(id, KEY_A)).await.0, 200);
    }
    assert_eq!(payment_id(&next_event(&mut stream).await), 1);
    assert_eq!(payment_id(&next_event(&mut stream).await), 2);
    match next_event(&mut stream).await {
        RelayEvent::Gap(GapEvent {
            after_notice_id,
            before_notice_id,
            ..
        }) => assert_eq!((after_notice_id, before_notice_id), (2, 6)),
        other => panic!("gap expected, got {other:?}"),
    }
    assert_eq!(payment_id(&next_event(&mut stream).await), 6);
    let status = client.status().await.expect("status");
    assert_eq!(status.gaps, vec![MissingRange { first: 3, last: 5 }]);
    // A late record fills part of the gap; the status narrows, no new gap event.
    assert_eq!(relay.notify("shop-a", notification(4, KEY_A)).await.0, 200);
    assert_eq!(payment_id(&next_event(&mut stream).await), 4);
    let status = client.status().await.expect("status");
    assert_eq!(
        status.gaps,
        vec![
            MissingRange { first: 3, last: 3 },
            MissingRange { first: 5, last: 5 }
        ]
    );
    assert_eq!(status.last_notice_id, Some(6));
    relay.stop().await;
}

#[tokio::test]
async fn heartbeats_arrive_on_an_idle_stream_with_the_relays_clock() {
    let relay = TestRelay::start_with(|c| c.heartbeat = Duration::from_millis(50)).await;
    relay.add_shop("shop-a", KEY_A, &[]);
    let client = relay.client(&relay.add_desktop("shop-a", "d"));
    let mut stream = Box::pin(client.stream(None).await.expect("stream"));
    let later = crate::support::start_time() + chrono::Duration::hours(5);
    relay.clock.set(later);
    let mut beats = 0;
    while beats < 3 {
        let item = tokio::time::timeout(WAIT, stream.next())
            .await
            .expect("heartbeat in time")
            .expect("open")
            .expect("ok");
        match item {
            StreamItem::Heartbeat(h) => {
                assert_eq!(h.time, later);
                beats += 1;
            }
            other => panic!("only heartbeats expected, got {other:?}"),
        }
    }
    relay.stop().await;
}

#[tokio::test]
async fn a_desktop_offline_for_days_receives_everything_once() {
    let relay = TestRelay::start().await;
    relay.add_shop("shop-a", KEY_A, &[]);
    let client = relay.client(&relay.add_desktop("shop-a", "d"));
    assert_eq!(relay.notify("shop-a", notification(1, KEY_A)).await.0, 200);
    {
        let mut stream = Box::pin(client.stream(None).await.expect("stream"));
        let first = next_event(&mut stream).await;
        client.ack(first.seq()).await.expect("ack");
    } // disconnected
    // Three days of notifications (more than one database page), some resent.
    let total = 1200;
    for id in 2..=total {
        relay.clock.advance(chrono::Duration::minutes(3));
        assert_eq!(relay.notify("shop-a", notification(id, KEY_A)).await.0, 200);
        if id % 100 == 0 {
            assert_eq!(relay.notify("shop-a", notification(id, KEY_A)).await.0, 200);
        }
    }
    let mut stream = Box::pin(client.stream(None).await.expect("stream"));
    let mut seen = HashSet::new();
    let mut order = Vec::new();
    while order.len() < (total - 1) as usize {
        let event = next_event(&mut stream).await;
        assert!(seen.insert(event.seq()), "delivered twice: {event:?}");
        order.push(payment_id(&event));
    }
    assert_eq!(order, (2..=total).collect::<Vec<_>>());
    // And nothing more is pending: a new record is the next item.
    assert_eq!(
        relay
            .notify("shop-a", notification(total + 1, KEY_A))
            .await
            .0,
        200
    );
    assert_eq!(payment_id(&next_event(&mut stream).await), total + 1);
    relay.stop().await;
}

#[tokio::test]
async fn shutdown_closes_open_streams() {
    let relay = TestRelay::start().await;
    relay.add_shop("shop-a", KEY_A, &[]);
    let client = relay.client(&relay.add_desktop("shop-a", "d"));
    let mut stream = Box::pin(client.stream(None).await.expect("stream"));
    relay.stop().await;
    let end = tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("ends in time");
    assert!(end.is_none() || end.is_some_and(|r| r.is_err()));
}
