//! The processing statuses (§5.2–§5.3 card 30/31/42/50, §4.9 Paidy's timeout 24005 and its
//! parking statuses 30/31/42): reached through the `processing` faults, answered by every
//! telegram as the tables say, and finished by a retry, by the gateway itself or through
//! the control API.

use paygent_client::Client;
use paygent_codec::Yen;
use paygent_codec::request::{
    CaptureMode, CardAuthorize, CardAuthorizeCancel, CardCapture, CardCaptureCancel,
    CardRevisedAuthorize, CardRevisedCapture, CardSource, PaidyAuthorizeCancel, PaidyCapture,
    PaidyRefund, PaymentClass, PaymentInquiry, PaymentRef, Revision, ThreeDSecure,
};
use serde_json::{Value, json};

use crate::harness::{MERCHANT, TestSim, code_of};
use crate::paidy::paidy_checkout;

fn by_id(id: &str) -> PaymentRef {
    PaymentRef::by_payment_id(id)
}

/// A card payment of ¥1,000, authorized (and captured when `captured`).
async fn card_payment(sim: &TestSim, client: &Client, captured: bool) -> String {
    let token = sim.token("4900000000000000", None).await;
    let done = client
        .send(&CardAuthorize {
            trading_id: None,
            payment_id: None,
            amount: Yen(1000),
            payment_class: PaymentClass::LumpSum,
            card: CardSource::Token { card_token: token },
            three_d_secure: ThreeDSecure::Skipped,
            capture_mode: if captured {
                CaptureMode::AuthorizeAndCapture
            } else {
                CaptureMode::AuthorizeOnly
            },
            site_id: None,
        })
        .await
        .expect("020");
    done.payment_id
}

async fn fault(sim: &TestSim, kind: &str, fault: &str) {
    sim.ok(
        "/faults",
        json!({ "telegram_kind": kind, "fault": fault, "times": 1 }),
    )
    .await;
}

/// Sends one card telegram to `id` and renders the answer: `ok` or the response code.
async fn card_telegram(sim: &TestSim, client: &Client, kind: &str, id: &str) -> String {
    let answer = match kind {
        "020" => {
            let token = sim.token("4900000000000000", None).await;
            client
                .send(&CardAuthorize {
                    trading_id: None,
                    payment_id: Some(id.into()),
                    amount: Yen(1000),
                    payment_class: PaymentClass::LumpSum,
                    card: CardSource::Token { card_token: token },
                    three_d_secure: ThreeDSecure::Skipped,
                    capture_mode: CaptureMode::AuthorizeOnly,
                    site_id: None,
                })
                .await
                .map(drop)
        }
        "021" => client
            .send(&CardAuthorizeCancel::new(by_id(id)))
            .await
            .map(drop),
        "022" => client.send(&CardCapture::new(by_id(id))).await.map(drop),
        "023" => client
            .send(&CardCaptureCancel::new(by_id(id)))
            .await
            .map(drop),
        "028" => client
            .send(&CardRevisedAuthorize {
                target: by_id(id),
                amount: Yen(100),
                revision: Revision::Subtract,
                base_cancel_timing: None,
            })
            .await
            .map(drop),
        "029" => client
            .send(&CardRevisedCapture {
                target: by_id(id),
                amount: Yen(100),
                revision: Revision::Subtract,
                base_cancel_timing: None,
            })
            .await
            .map(drop),
        other => panic!("kind {other}"),
    };
    match answer {
        Ok(()) => "ok".into(),
        Err(e) => code_of(&e),
    }
}

async fn inquiry_status(client: &Client, id: &str) -> String {
    client
        .send(&PaymentInquiry {
            target: by_id(id),
            payment_type: None,
        })
        .await
        .expect("094")
        .payment_status
        .code()
        .to_owned()
}

/// The payment statuses of the merchant's notification records, oldest first.
async fn notified_statuses(sim: &TestSim, id: &str) -> Vec<String> {
    let notices = sim
        .get(&format!("/notifications?merchant_id={MERCHANT}"))
        .await;
    notices["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter(|r| r["payment_id"] == id)
        .map(|r| field(r, "payment_status"))
        .collect()
}

fn field(record: &Value, name: &str) -> String {
    record["fields"]
        .as_array()
        .and_then(|f| f.iter().find(|kv| kv[0] == name))
        .and_then(|kv| kv[1].as_str())
        .unwrap_or("")
        .to_owned()
}

/// Parks a fresh card payment in `status` with the processing fault that leads there.
async fn parked_card(sim: &TestSim, client: &Client, status: &str) -> String {
    let (captured, kind, f) = match status {
        "30" => (false, "022", "processing"),
        "31" => (false, "021", "processing"),
        "42" => (true, "023", "processing"),
        "50" => (true, "023", "processing_settling"),
        other => panic!("status {other}"),
    };
    let id = card_payment(sim, client, captured).await;
    fault(sim, kind, f).await;
    // §5.2–§5.3 / §8.1: the processing error is answered 2008 ("retry").
    assert_eq!(
        card_telegram(sim, client, kind, &id).await,
        "2008",
        "{status}"
    );
    assert_eq!(sim.status(&id).await, status);
    id
}

/// §5.2, §5.3: card 30, 31, 42 and 50 are reachable, inquiry shows them, they make no
/// notification record (○ "possible but not notified"), and every card telegram on each
/// answers as the strict table says: the telegram whose work is parked retries it
/// (30 → 40, 31 → 32, 42/50 → 60), 020 with the payment_id is 2001 (P902), everything
/// else 2004.
#[tokio::test]
async fn card_processing_statuses_answer_every_telegram_as_the_strict_table_says() {
    let sim = TestSim::plain().await;
    let client = sim.client();
    #[rustfmt::skip]
    let table: &[(&str, [&str; 6])] = &[
        //        020     021     022     023     028     029
        ("30", ["2001", "2004", "ok",   "2004", "2004", "2004"]),
        ("31", ["2001", "ok",   "2004", "2004", "2004", "2004"]),
        ("42", ["2001", "2004", "2004", "ok",   "2004", "2004"]),
        ("50", ["2001", "2004", "2004", "ok",   "2004", "2004"]),
    ];
    let kinds = ["020", "021", "022", "023", "028", "029"];
    let after_retry = |status: &str| match status {
        "30" => "40",
        "31" => "32",
        _ => "60",
    };
    for (status, expected) in table {
        for (kind, want) in kinds.iter().zip(expected) {
            let id = parked_card(&sim, &client, status).await;
            assert_eq!(inquiry_status(&client, &id).await, *status);
            let got = card_telegram(&sim, &client, kind, &id).await;
            assert_eq!(&got, want, "{kind} on {status}");
            let now = sim.status(&id).await;
            let expected_status = if *want == "ok" {
                after_retry(status)
            } else {
                status
            };
            assert_eq!(now, expected_status, "{kind} on {status}");
            let notified = notified_statuses(&sim, &id).await;
            assert!(
                !notified
                    .iter()
                    .any(|s| ["30", "31", "42", "50"].contains(&s.as_str())),
                "{status}: {notified:?}"
            );
        }
    }
    sim.stop().await;
}

/// §5.3 "42 → retry → 50/60", §11 Q3: a retried 023 that fails again at the settlement
/// step moves 42 to 50; the next retry ends in 60 (not via 50 when it succeeds at once).
/// A second processing error on 30 leaves it in 30 and is answered 2008 again.
#[tokio::test]
async fn retries_that_fail_again_stay_parked_or_move_on_to_50() {
    let sim = TestSim::plain().await;
    let client = sim.client();
    let id = parked_card(&sim, &client, "42").await;
    fault(&sim, "023", "processing_settling").await;
    assert_eq!(card_telegram(&sim, &client, "023", &id).await, "2008");
    assert_eq!(sim.status(&id).await, "50");
    assert_eq!(card_telegram(&sim, &client, "023", &id).await, "ok");
    assert_eq!(
        sim.status_changes(&id).await,
        ["-->40", "40->42", "42->50", "50->60"]
    );
    assert_eq!(notified_statuses(&sim, &id).await, ["40", "60"]);

    let id = parked_card(&sim, &client, "30").await;
    fault(&sim, "022", "processing").await;
    assert_eq!(card_telegram(&sim, &client, "022", &id).await, "2008");
    assert_eq!(sim.status_changes(&id).await, ["-->20", "20->30"]);
    // A processing fault on a telegram the gateway refuses anyway changes nothing.
    fault(&sim, "021", "processing").await;
    assert_eq!(card_telegram(&sim, &client, "021", &id).await, "2004");
    assert_eq!(sim.status(&id).await, "30");
    sim.stop().await;
}

/// §5.2 "31: Paygent retries", §11 Q3 (the simulator's choice, README): a card cancel
/// parked in 31 ends in 32 on its own after `card_cancel_retry_resolution` (10 minutes);
/// 30, 42 and 50 wait for the shop's retry however long it takes. The control API finishes
/// any of them either way (failure: 30/31 → 20, 42/50 → 40).
#[tokio::test]
async fn card_31_resolves_on_its_own_30_42_50_wait_for_the_retry() {
    let sim = TestSim::plain().await;
    let client = sim.client();
    let cancel = parked_card(&sim, &client, "31").await;
    let capture = parked_card(&sim, &client, "30").await;
    let refund = parked_card(&sim, &client, "42").await;
    let settling = parked_card(&sim, &client, "50").await;
    sim.advance(0, 9).await;
    sim.tick().await;
    assert_eq!(sim.status(&cancel).await, "31", "not yet");
    sim.advance(0, 1).await;
    sim.tick().await;
    assert_eq!(sim.status(&cancel).await, "32");
    assert_eq!(notified_statuses(&sim, &cancel).await, ["20", "32"]);
    sim.advance(30, 0).await;
    sim.tick().await;
    assert_eq!(sim.status(&capture).await, "30");
    assert_eq!(sim.status(&refund).await, "42");
    assert_eq!(sim.status(&settling).await, "50");

    let resolve = |id: &str, outcome: &str| {
        (
            format!("/payments/{id}/resolve"),
            json!({ "outcome": outcome }),
        )
    };
    let (path, body) = resolve(&capture, "failure");
    assert_eq!(sim.ok(&path, body).await["payment"]["status"], "20");
    let (path, body) = resolve(&refund, "failure");
    assert_eq!(sim.ok(&path, body).await["payment"]["status"], "40");
    let (path, body) = resolve(&settling, "success");
    assert_eq!(sim.ok(&path, body).await["payment"]["status"], "60");
    // Resolving a payment that is not parked is a bad request.
    let (path, body) = resolve(&settling, "success");
    assert_eq!(sim.post(&path, body).await.0, 400);
    sim.stop().await;
}

async fn paidy_telegram(client: &Client, kind: &str, id: &str) -> String {
    let answer = match kind {
        "340" => client
            .send(&PaidyAuthorizeCancel::new(by_id(id)))
            .await
            .map(drop),
        "341" => client.send(&PaidyCapture::new(by_id(id))).await.map(drop),
        "342" => client
            .send(&PaidyRefund {
                target: by_id(id),
                amount: None,
            })
            .await
            .map(drop),
        "342p" => client
            .send(&PaidyRefund {
                target: by_id(id),
                amount: Some(Yen(300)),
            })
            .await
            .map(drop),
        other => panic!("kind {other}"),
    };
    match answer {
        Ok(()) => "ok".into(),
        Err(e) => code_of(&e),
    }
}

/// Parks a fresh Paidy payment of ¥1,000 with a Paidy timeout on `kind`.
async fn parked_paidy(sim: &TestSim, client: &Client, kind: &str) -> String {
    let (id, _) = paidy_checkout(sim, 1000).await;
    if kind.starts_with("342") {
        assert_eq!(paidy_telegram(client, "341", &id).await, "ok");
    }
    fault(sim, &kind[..3], "processing").await;
    // §4.9: Paidy timeout → 24005, the payment parked.
    assert_eq!(paidy_telegram(client, kind, &id).await, "24005");
    id
}

/// §4.9, §7.3: Paidy's timeout (24005) parks 340 in 31, 341 in 30 and 342 in 42; no
/// notification record is made for them; every Paidy telegram on a parked payment is
/// 24003; Paygent finishes them by itself (`paidy_processing_resolution`, §11 Q3), each
/// with its `event` record (`event_result=success`), a partial refund with its remainder
/// payment.
#[tokio::test]
async fn paidy_timeouts_park_answer_24003_and_resolve_with_their_event() {
    let sim = TestSim::plain().await;
    let client = sim.client();
    for (kind, parked, done, event) in [
        ("340", "31", "32", "cancel"),
        ("341", "30", "40", "capture"),
        ("342", "42", "60", "refund"),
        ("342p", "42", "60", "refund"),
    ] {
        let id = parked_paidy(&sim, &client, kind).await;
        assert_eq!(sim.status(&id).await, parked, "{kind}");
        assert_eq!(inquiry_status(&client, &id).await, parked, "{kind}");
        for other in ["340", "341", "342", "342p"] {
            assert_eq!(
                paidy_telegram(&client, other, &id).await,
                "24003",
                "{other} on {parked}"
            );
        }
        let before = notified_statuses(&sim, &id).await;
        assert!(!before.contains(&parked.to_owned()), "{before:?}");
        sim.advance(0, 10).await;
        sim.tick().await;
        let payment = sim.payment(&id).await;
        assert_eq!(payment["status"], done, "{kind}");
        let notices = sim
            .get(&format!("/notifications?merchant_id={MERCHANT}"))
            .await;
        let last = notices["records"]
            .as_array()
            .expect("records")
            .iter()
            .rfind(|r| r["payment_id"] == id)
            .cloned()
            .expect("record");
        assert_eq!(field(&last, "payment_status"), done);
        assert_eq!(field(&last, "event"), event);
        assert_eq!(field(&last, "event_result"), "success");
        if kind == "342p" {
            let next = payment["next_payment_id"].as_str().expect("remainder");
            let remainder = sim.payment(next).await;
            assert_eq!(remainder["status"], "40");
            assert_eq!(remainder["amount"], 700);
        }
    }
    sim.stop().await;
}

/// §4.9, §7.3 ("cancel failure 31 → 20", "capture failure 30 → 20", "refund failure
/// 42 → 40"): a failed resolution sends the payment back with an `event_result=failure`
/// record, and the payment takes telegrams again.
#[tokio::test]
async fn paidy_failed_resolution_goes_back_with_a_failure_record() {
    let sim = TestSim::plain().await;
    let client = sim.client();
    for (kind, back, event) in [
        ("340", "20", "cancel"),
        ("341", "20", "capture"),
        ("342", "40", "refund"),
    ] {
        let id = parked_paidy(&sim, &client, kind).await;
        let answer = sim
            .ok(
                &format!("/payments/{id}/resolve"),
                json!({ "outcome": "failure" }),
            )
            .await;
        assert_eq!(answer["payment"]["status"], back, "{kind}");
        let notices = sim
            .get(&format!("/notifications?merchant_id={MERCHANT}"))
            .await;
        let last = notices["records"]
            .as_array()
            .expect("records")
            .iter()
            .rfind(|r| r["payment_id"] == id)
            .cloned()
            .expect("record");
        assert_eq!(field(&last, "event"), event, "{kind}");
        assert_eq!(field(&last, "event_result"), "failure", "{kind}");
        assert_eq!(field(&last, "payment_status"), back, "{kind}");
        // Nothing is left to resolve on its own.
        sim.advance(0, 10).await;
        sim.tick().await;
        assert_eq!(sim.status(&id).await, back, "{kind}");
        assert_eq!(
            paidy_telegram(&client, kind, &id).await,
            "ok",
            "{kind} again"
        );
    }
    sim.stop().await;
}
