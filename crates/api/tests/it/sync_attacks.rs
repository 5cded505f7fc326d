//! The desktop's sync under attack (issue 16, points 8–11), through the real relay and the
//! simulator: a forged pushed record, a gap of twenty million ids, a relay that accepts
//! and never answers, and plain-HTTP URLs that would carry secrets in clear.

use api::dto::{CredentialsInput, SettingsInput, SyncModeCode};
use paygent_codec::Secret;
use serde_json::Value;

use crate::harness::{Harness, Options, PATIENCE, SENTINEL_HASH_KEY, Tuning, keep};

/// The simulator's stored record `notice` (the items of the 091 answer and the push).
async fn gateway_record(h: &Harness, notice: u64) -> Vec<(String, String)> {
    let view = h
        .control(
            "GET",
            &format!(
                "/control/notifications?merchant_id={}",
                demo::DEMO_MERCHANT_ID
            ),
            Value::Null,
        )
        .await;
    let record = view["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["payment_notice_id"] == notice)
        .unwrap_or_else(|| panic!("no record {notice}: {view}"));
    record["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| {
            (
                pair[0].as_str().unwrap().to_owned(),
                pair[1].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A notification body with `fields`, its `hc` computed as Paygent does.
fn body(fields: &[(String, String)]) -> Vec<u8> {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    paygent_codec::notification::encode_notification(&pairs, &Secret::new(SENTINEL_HASH_KEY))
        .unwrap()
}

fn hc_of(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .find_map(|p| p.strip_prefix("hc="))
        .unwrap()
        .to_owned()
}

fn set(fields: &mut Vec<(String, String)>, key: &str, value: &str) {
    match fields.iter_mut().find(|(k, _)| k == key) {
        Some(pair) => pair.1 = value.to_owned(),
        None => fields.push((key.to_owned(), value.to_owned())),
    }
}

/// Posts a body to the relay's notification URL as Paygent would; the relay answers
/// `result=0` to anything it stored.
async fn post_to_relay(h: &Harness, body: Vec<u8>) {
    let url = format!("{}/paygent/demo/notify", h.embedded.status().relay_url);
    let answer = h
        .http
        .post(url)
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=Windows-31J",
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.text().await.unwrap(), "result=0");
}

/// Every telegram of `kind` the simulator processed (with or without a record).
async fn telegrams(h: &Harness, kind: &str) -> usize {
    h.processed_telegrams(kind).await
}

/// Point 8. `hc` covers neither `payment_status` nor `base_payment_id`, so whoever holds
/// one genuine body (here: order B's, before Paygent pushed it) can change both and keep
/// the `hc`: the relay calls the result trusted. It claims order B's payment was refunded
/// (60) and replaces order A's payment. The desk confirms the record with Paygent (091 by
/// its id) and applies what Paygent says: B is a new authorized order, A is untouched.
#[tokio::test]
async fn a_forged_pushed_record_changes_nothing() {
    let h = Harness::start(
        "attack_forged_record",
        Options {
            relay: true,
            run_sync: true,
        },
    )
    .await;
    let a = h
        .card_checkout("ORDER_F1", 1000, "authorize_only", false)
        .await;
    h.tick().await;
    let order_a = h
        .wait_until("order A", || async { h.order_of(&a).await })
        .await;
    assert_eq!(order_a.summary.status.code, "20");

    let b = h
        .card_checkout("ORDER_F2", 2000, "authorize_only", false)
        .await;
    let genuine = gateway_record(&h, 2).await;
    let mut forged = genuine.clone();
    set(&mut forged, "payment_status", "60");
    set(&mut forged, "base_payment_id", &a);
    set(&mut forged, "change_date", "20990101000000");
    let forged = body(&forged);
    // No key needed: the forged body carries the genuine body's `hc`.
    assert_eq!(hc_of(&forged), hc_of(&body(&genuine)));
    post_to_relay(&h, forged).await;

    let order_b = h
        .wait_until("order B as Paygent has it", || async {
            h.order_of(&b).await
        })
        .await;
    keep(&order_b);
    assert_eq!(order_b.summary.status.code, "20");
    assert_eq!(order_b.summary.amount_yen, 2000);
    assert_ne!(order_b.summary.id, order_a.summary.id);
    let order_a = h.order_of(&a).await.expect("order A");
    keep(&order_a);
    assert_eq!(order_a.summary.status.code, "20");
    assert_eq!(order_a.summary.amount_yen, 1000);
    assert_eq!(order_a.summary.transaction_id, a);
    assert!(!order_a.summary.outside_change);
    assert_eq!(
        h.desk.list_orders(Default::default()).await.unwrap().total,
        2
    );
    // Paygent's own push of the genuine record later is a duplicate.
    h.tick().await;
    h.sync().await;
    assert_eq!(h.order_of(&b).await.unwrap().summary.status.code, "20");
    assert_eq!(h.order_of(&a).await.unwrap().summary.transaction_id, a);
}

/// Point 9. The relay reports a gap from 1 to 20,000,000 (a record with that id arrived
/// with a valid `hc`). The desk keeps the gap as one range, asks Paygent about its two
/// ends (neither exists) and drops it, instead of listing and fetching every id; the
/// record itself is confirmed with 094 since Paygent has no such notice, and changes
/// nothing.
#[tokio::test]
async fn a_gap_of_twenty_million_ids_costs_a_few_calls() {
    let h = Harness::start(
        "attack_huge_gap",
        Options {
            relay: true,
            run_sync: true,
        },
    )
    .await;
    let a = h
        .card_checkout("ORDER_H1", 1200, "authorize_only", false)
        .await;
    h.tick().await;
    h.wait_until("order A", || async { h.order_of(&a).await })
        .await;
    let before_091 = telegrams(&h, "091").await;

    let mut far = gateway_record(&h, 1).await;
    set(&mut far, "payment_notice_id", "20000000");
    post_to_relay(&h, body(&far)).await;

    let status = h
        .wait_until("the gap dealt with", || async {
            let status = h.desk.sync_status().await.ok()?;
            (telegrams(&h, "094").await >= 1 && status.missing_notices == 0).then_some(status)
        })
        .await;
    keep(&status);
    // The gap's two ends, the record's own id, and whatever rounds the background sync
    // polls meanwhile (each a call or two): a handful, where listing the gap made
    // twenty million.
    let calls = telegrams(&h, "091").await - before_091;
    assert!(calls <= 10, "{calls} calls of 091 for one gap");
    assert_eq!(status.last_notice_id, Some(1));
    let order = h.order_of(&a).await.unwrap();
    assert_eq!(order.summary.status.code, "20");
    assert_eq!(
        h.desk.list_orders(Default::default()).await.unwrap().total,
        1
    );
}

/// Accepts connections on loopback and keeps them open without reading or writing.
async fn silent_relay() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    (url, task)
}

/// Point 10. The relay accepts and never answers. "Sync now" still takes the payment in
/// with 091, and the background sync falls back to polling within the stall window
/// (`RULES.relay_stall_threshold`, and the relay timeouts, shortened 180-fold here).
#[tokio::test]
async fn a_relay_that_never_answers_falls_back_to_polling() {
    let h = Harness::start_tuned(
        "attack_silent_relay",
        Options {
            relay: false,
            run_sync: false,
        },
        Tuning {
            relay_stall_divisor: 180,
            ..Tuning::default()
        },
    )
    .await;
    let (url, silent) = silent_relay().await;
    h.desk
        .save_settings(SettingsInput {
            relay_url: Some(url),
            ..SettingsInput::default()
        })
        .await
        .unwrap();
    h.desk
        .save_credentials(CredentialsInput {
            relay_token: Some("desktop-token-of-a-silent-relay".into()),
            ..CredentialsInput::default()
        })
        .await
        .unwrap();

    let first = h
        .card_checkout("ORDER_T1", 1300, "authorize_only", false)
        .await;
    let report = tokio::time::timeout(PATIENCE, h.desk.sync_now())
        .await
        .expect("sync now gave up on the silent relay")
        .unwrap();
    keep(&report);
    assert_eq!(report.created, 1);
    assert!(h.order_of(&first).await.is_some());

    tokio::spawn(h.desk.clone().run_sync());
    let second = h
        .card_checkout("ORDER_T2", 1400, "authorize_only", false)
        .await;
    let order = h
        .wait_until(
            "the order taken in by 091 despite the silent relay",
            || async {
                let status = h.desk.sync_status().await.ok()?;
                let polling = status.mode == SyncModeCode::Polling
                    && status
                        .problem
                        .as_ref()
                        .is_some_and(|p| p.code == "relay_unreachable");
                if polling {
                    h.order_of(&second).await
                } else {
                    None
                }
            },
        )
        .await;
    assert_eq!(order.summary.amount_yen, 1400);
    silent.abort();
}

/// Point 11. A relay URL or a gateway base URL on plain `http://` would send the desktop
/// token or the connect password in clear: refused when saved (nothing changes), and
/// refused when used (a value saved by an older version), except to this computer.
#[tokio::test]
async fn plain_http_urls_are_refused_except_loopback() {
    let h = Harness::start(
        "attack_plain_http",
        Options {
            relay: true,
            run_sync: false,
        },
    )
    .await;
    let before = h.desk.get_settings().await.unwrap();
    for (relay_url, custom_base_url) in [
        (Some("http://relay.example.jp"), None),
        (Some("http://192.0.2.7:8080"), None),
        (None, Some("http://gateway.example.jp")),
        (None, Some("http://127.0.0.1.example.jp:8443")),
    ] {
        let refused = h
            .desk
            .save_settings(SettingsInput {
                relay_url: relay_url.map(str::to_owned),
                custom_base_url: custom_base_url.map(str::to_owned),
                ..SettingsInput::default()
            })
            .await
            .expect_err("plain http:// to another computer is refused");
        keep(&refused);
        assert_eq!(
            refused.code, "insecure_url",
            "{relay_url:?} {custom_base_url:?}"
        );
        assert!(
            refused.message.ja.contains("https://"),
            "{:?}",
            refused.message
        );
        assert!(
            refused.message.en.contains("https://"),
            "{:?}",
            refused.message
        );
    }
    let after = h.desk.get_settings().await.unwrap();
    assert_eq!(after.relay_url, before.relay_url);
    assert_eq!(after.custom_base_url, before.custom_base_url);
    // Loopback (the demo, the tests) stays allowed; https:// anywhere.
    for url in [
        "http://127.0.0.1:9",
        "http://[::1]:9",
        "http://localhost:9",
        "https://relay.example.jp",
    ] {
        h.desk
            .save_settings(SettingsInput {
                relay_url: Some(url.to_owned()),
                ..SettingsInput::default()
            })
            .await
            .unwrap_or_else(|e| panic!("{url}: {e:?}"));
    }

    // Values that got into the database another way are refused when used.
    let db = rusqlite::Connection::open(h.data_dir().join("paydesk.sqlite3")).unwrap();
    db.execute(
        "UPDATE settings SET value = 'http://gateway.example.jp' WHERE key = 'custom_base_url'",
        [],
    )
    .unwrap();
    db.execute(
        "UPDATE settings SET value = 'http://relay.example.jp' WHERE key = 'relay_url'",
        [],
    )
    .unwrap();
    drop(db);
    let desk = h.reopen().await;
    let refused = desk.sync_now().await.expect_err("no telegram over http://");
    keep(&refused);
    assert_eq!(refused.code, "insecure_url");
    let test = desk.test_connection().await.unwrap();
    keep(&test);
    assert!(!test.ok);
    assert_eq!(test.code.as_deref(), Some("insecure_url"));
    let relay = test.relay.expect("the relay part of the test");
    assert!(!relay.ok);
    assert!(relay.message.en.contains("https://"), "{:?}", relay.message);
    let status = desk.sync_status().await.unwrap();
    assert!(status.problem.is_some_and(|p| p.code == "insecure_url"));
}
