use relay::dto::RelayEvent;

use crate::support::{KEY_A, TestRelay, all_events, notice_ids, notification, start_time};

#[tokio::test]
async fn stores_a_verified_notification_once_and_answers_result_0() {
    let relay = TestRelay::start().await;
    relay.add_shop("shop-a", KEY_A, &[]);
    let client = relay.client(&relay.add_desktop("shop-a", "d"));
    // Paygent resends the same record (no answer seen, or a retry): stored once.
    for _ in 0..3 {
        assert_eq!(
            relay.notify("shop-a", notification(41, KEY_A)).await,
            (200, "result=0".to_string())
        );
    }
    let events = all_events(&client).await;
    assert_eq!(events.len(), 1);
    let RelayEvent::Payment(p) = &events[0] else {
        panic!("payment expected: {events:?}");
    };
    assert_eq!(p.payment_notice_id, 41);
    assert_eq!(p.payment_id, "900000041");
    assert_eq!(p.trading_id, "ORDER-41");
    assert_eq!(p.payment_type, "02");
    assert_eq!(p.payment_status, "20");
    assert_eq!(p.payment_amount, Some(1500));
    assert_eq!(p.received_at, start_time());
    // Windows-31J decoded to UTF-8; hc removed.
    assert_eq!(
        p.fields.get("acq_name").map(String::as_str),
        Some("ＪＣＢ カード")
    );
    assert!(!p.fields.contains_key("hc"));
    relay.stop().await;
}

#[tokio::test]
async fn a_record_whose_hc_does_not_verify_is_quarantined_not_delivered() {
    let relay = TestRelay::start().await;
    relay.add_shop("shop-a", KEY_A, &[]);
    let client = relay.client(&relay.add_desktop("shop-a", "d"));
    // Signed with another key (a forgery, or the relay holds the wrong key); sent twice.
    for _ in 0..2 {
        assert_eq!(
            relay.notify("shop-a", notification(7, "not-the-key")).await,
            (200, "result=0".to_string())
        );
    }
    assert!(all_events(&client).await.is_empty());
    let status = client.status().await.expect("status");
    assert_eq!(status.quarantined, 1);
    assert_eq!(status.quarantine[0].payment_notice_id, "7");
    assert_eq!(status.quarantine[0].remote_ip.as_deref(), Some("127.0.0.1"));
    assert!(status.quarantine[0].reason.contains("hc"));
    // A quarantined id is not trusted: it neither counts as received nor opens a gap.
    assert_eq!(status.last_notice_id, None);
    // The received hc is kept with the record: another forgery of the same id (another
    // hc) is a second quarantined record, not a duplicate of the first.
    relay.notify("shop-a", notification(7, "another-key")).await;
    assert_eq!(client.status().await.expect("status").quarantined, 2);
    // The genuine record with the same id is then accepted normally.
    assert_eq!(relay.notify("shop-a", notification(7, KEY_A)).await.0, 200);
    assert_eq!(notice_ids(&all_events(&client).await), vec![7]);
    relay.stop().await;
}

#[tokio::test]
async fn malformed_bodies_get_400_and_store_nothing() {
    let relay = TestRelay::start().await;
    relay.add_shop("shop-a", KEY_A, &[]);
    let client = relay.client(&relay.add_desktop("shop-a", "d"));
    let zeros = "0".repeat(64);
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"hello world".to_vec(),
        format!("payment_notice_id=abc&payment_id=1&hc={zeros}").into_bytes(),
        format!("payment_notice_id=1&payment_id=%G1&hc={zeros}").into_bytes(),
        b"payment_notice_id=1&payment_id=1&hc=short".to_vec(),
        format!("payment_id=1&hc={zeros}").into_bytes(),
        // 0x81 0x20 is not valid Windows-31J.
        format!("payment_notice_id=1&acq_name=%81%20&hc={zeros}").into_bytes(),
    ];
    for body in bodies {
        let (status, text) = relay.notify("shop-a", body.clone()).await;
        assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
        assert_ne!(text, "result=0");
    }
    assert!(all_events(&client).await.is_empty());
    assert_eq!(client.status().await.expect("status").quarantined, 0);
    relay.stop().await;
}

#[tokio::test]
async fn oversize_bodies_get_413_and_store_nothing() {
    let relay = TestRelay::start_with(|c| c.limits.max_body_bytes = 4096).await;
    relay.add_shop("shop-a", KEY_A, &[]);
    let client = relay.client(&relay.add_desktop("shop-a", "d"));
    let mut body = notification(1, KEY_A);
    body.extend_from_slice(b"&padding=");
    body.extend(std::iter::repeat_n(b'x', 5000));
    assert_eq!(relay.notify("shop-a", body.clone()).await.0, 413);
    // Chunked, without a Content-Length: still cut off at the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        body.chunks(512).map(|c| Ok(c.to_vec())).collect();
    let response = relay
        .http
        .post(relay.url("/paygent/shop-a/notify"))
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 413);
    assert!(all_events(&client).await.is_empty());
    assert_eq!(relay.notify("shop-a", notification(1, KEY_A)).await.0, 200);
    relay.stop().await;
}

#[tokio::test]
async fn unknown_shop_is_404() {
    let relay = TestRelay::start().await;
    relay.add_shop("shop-a", KEY_A, &[]);
    assert_eq!(relay.notify("shop-x", notification(1, KEY_A)).await.0, 404);
    assert_eq!(
        relay.notify("bad%20id", notification(1, KEY_A)).await.0,
        404
    );
    relay.stop().await;
}

#[tokio::test]
async fn source_ip_allow_list_refuses_other_senders() {
    let relay = TestRelay::start().await;
    relay.add_shop("open", KEY_A, &[]);
    relay.add_shop("local", KEY_A, &["127.0.0.1"]);
    relay.add_shop("paygent-only", KEY_A, &["27.110.52.4", "202.232.189.65"]);
    assert_eq!(relay.notify("open", notification(1, KEY_A)).await.0, 200);
    assert_eq!(relay.notify("local", notification(1, KEY_A)).await.0, 200);
    assert_eq!(
        relay.notify("paygent-only", notification(1, KEY_A)).await.0,
        403
    );
    // X-Forwarded-For is ignored unless the peer is a trusted proxy.
    let spoofed = relay
        .http
        .post(relay.url("/paygent/paygent-only/notify"))
        .header("x-forwarded-for", "27.110.52.4")
        .body(notification(2, KEY_A))
        .send()
        .await
        .expect("post");
    assert_eq!(spoofed.status().as_u16(), 403);
    let client = relay.client(&relay.add_desktop("paygent-only", "d"));
    assert!(all_events(&client).await.is_empty());
    relay.stop().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_checked() {
    let relay =
        TestRelay::start_with(|c| c.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")]).await;
    relay.add_shop("paygent-only", KEY_A, &["27.110.52.4"]);
    let post = |xff: &'static str, id: u64| {
        relay
            .http
            .post(relay.url("/paygent/paygent-only/notify"))
            .header("x-forwarded-for", xff)
            .body(notification(id, KEY_A))
            .send()
    };
    assert_eq!(
        post("27.110.52.4", 1)
            .await
            .expect("post")
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        post("203.0.113.9", 2)
            .await
            .expect("post")
            .status()
            .as_u16(),
        403
    );
    // The proxy appends the real peer last; a client-supplied first hop is not believed.
    assert_eq!(
        post("27.110.52.4, 203.0.113.9", 3)
            .await
            .expect("post")
            .status()
            .as_u16(),
        403
    );
    relay.stop().await;
}

#[tokio::test]
async fn retention_deletes_old_records_and_keeps_cursors_valid() {
    let relay = TestRelay::start().await;
    relay.add_shop("shop-a", KEY_A, &[]);
    let client = relay.client(&relay.add_desktop("shop-a", "d"));
    assert_eq!(relay.notify("shop-a", notification(1, KEY_A)).await.0, 200);
    assert_eq!(
        relay.notify("shop-a", notification(2, "forged")).await.0,
        200
    );
    let first = all_events(&client).await;
    relay.clock.advance(chrono::Duration::days(29));
    assert_eq!(relay.notify("shop-a", notification(2, KEY_A)).await.0, 200);
    relay.clock.advance(chrono::Duration::days(2));
    let pruned = relay.relay.prune_expired().await.expect("prune");
    assert_eq!((pruned.events, pruned.quarantined), (1, 1));
    let left = all_events(&client).await;
    assert_eq!(notice_ids(&left), vec![2]);
    // Sequence numbers are never reused after deletion.
    assert!(left[0].seq() > first[0].seq());
    assert_eq!(relay.notify("shop-a", notification(3, KEY_A)).await.0, 200);
    let after = all_events(&client).await;
    assert!(after[1].seq() > left[0].seq());
    relay.stop().await;
}

#[tokio::test]
async fn health_answers_without_auth() {
    let relay = TestRelay::start().await;
    let response = relay
        .http
        .get(relay.url("/health"))
        .send()
        .await
        .expect("get");
    assert_eq!(response.status().as_u16(), 200);
    let health: relay::dto::Health = response.json().await.expect("json");
    assert_eq!(health.status, "ok");
    assert_eq!(health.time, start_time());
    relay.stop().await;
}
