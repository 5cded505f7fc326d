//! The shipping notice and the order confirmation (issue 20, point 5) against the
//! simulator's orders and a real SMTP server on loopback: the filled mail with the carrier's
//! tracking link, per-order refusals in plain words, a placeholder without a value not
//! sent, "sent before" asked first, one history line and a send-log entry per sent mail,
//! and never twice across a stop between the server's "accepted" and its record.

use api::dto::BuyerDetailsInput;
use api::dto::mail_text::{MailTextInput, MailTextKindCode};
use api::dto::order_mail::{OrderMailKindCode, OrderMailOutcomeCode, OrderMailRequest};
use api::dto::shipping::{CarrierCode, TrackingInput};
use api::dto::subscriptions::SmtpSettingsInput;
use mail::testing::{Mode, TestSmtp};

use crate::harness::{Harness, keep};

const SHOP_ADDRESS: &str = "shop@example.jp";

async fn configure_smtp(h: &Harness, port: u16) {
    let saved = h
        .desk
        .save_smtp_settings(SmtpSettingsInput {
            host: Some("127.0.0.1".into()),
            port: Some(port),
            security: Some("plain".into()),
            username: None,
            password: None,
            from_address: Some(SHOP_ADDRESS.into()),
            from_name: None,
            shop_contact: Some("東京都渋谷区神宮前1-2-3\nshop@example.jp\n03-1234-5678".into()),
            summary_to: None,
            mail_language: Some("ja".into()),
            reminder_schedule: None,
            summary_schedule: None,
        })
        .await
        .unwrap();
    assert!(saved.complete);
}

fn buyer(name: &str, email: &str) -> BuyerDetailsInput {
    BuyerDetailsInput {
        name: name.into(),
        kana: String::new(),
        email: email.into(),
        phone: "090-1234-5678".into(),
        postal_code: "530-0001".into(),
        prefecture: "大阪府".into(),
        city: "大阪市北区".into(),
        address_line1: "梅田1-1-1".into(),
        address_line2: String::new(),
    }
}

/// An authorize-only card order synced into PayDesk with the buyer's details: its id.
async fn order(h: &Harness, number: &str, amount: i64, name: &str, email: &str) -> i64 {
    let payment = h
        .card_checkout(number, amount, "authorize_only", false)
        .await;
    h.sync().await;
    let id = h.order_of(&payment).await.expect("synced").summary.id;
    h.desk
        .edit_buyer_details(id, buyer(name, email))
        .await
        .unwrap();
    id
}

/// An authorized order that PayDesk knows with the buyer's address but no name (as a
/// storefront import without the name column leaves it): its id.
fn nameless_order(h: &Harness, number: &str, amount: i64, email: &str) -> i64 {
    use domain::{CaptureMode, Order, PaymentMethod, Yen};
    let at = h.embedded.simulator().now();
    let mut store = store::Store::open(h.data_dir().join("paydesk.sqlite3")).unwrap();
    let id = store
        .insert_order(
            &Order {
                buyer_email: Some(email.into()),
                ..Order::authorized(
                    number,
                    "39999999999999999991",
                    PaymentMethod::Card,
                    CaptureMode::AuthorizeOnly,
                    Yen(amount),
                    at,
                )
            },
            at,
        )
        .unwrap();
    id.0
}

async fn track(h: &Harness, id: i64, number: &str) {
    h.desk
        .add_tracking(TrackingInput {
            order_id: id,
            carrier: CarrierCode::Yamato,
            tracking_number: number.into(),
        })
        .await
        .unwrap();
}

fn request(kind: OrderMailKindCode, ids: &[i64], resend: bool) -> OrderMailRequest {
    OrderMailRequest {
        kind,
        order_ids: ids.to_vec(),
        resend,
    }
}

fn parsed(data: &[u8]) -> (String, String) {
    let message = mail_parser::MessageParser::default().parse(data).unwrap();
    (
        message.subject().unwrap_or_default().to_owned(),
        message.body_text(0).unwrap_or_default().into_owned(),
    )
}

fn history_count(detail: &api::dto::OrderDetail, needle: &str) -> usize {
    detail
        .history
        .iter()
        .filter(|l| l.text.ja.contains(needle))
        .count()
}

#[tokio::test]
async fn a_shipping_notice_reaches_the_buyer_with_the_tracking_link_once() {
    let h = Harness::quiet("mail_ship").await;
    let mut server = TestSmtp::start(Mode::Accept).await;
    let shipped = order(&h, "MAIL_1", 3300, "山田 花子", "hanako@example.jp").await;
    let untracked = order(&h, "MAIL_2", 1200, "佐藤 一郎", "ichiro@example.jp").await;
    let no_address = order(&h, "MAIL_3", 1500, "鈴木 次郎", "").await;
    track(&h, shipped, "1234-5678-9012").await;
    track(&h, no_address, "1234-5678-9013").await;

    // SMTP not set up: refused before anything is queued.
    let err = h
        .desk
        .send_order_mails(request(
            OrderMailKindCode::ShippingNotice,
            &[shipped],
            false,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code, "smtp_not_configured");
    assert!(h.desk.list_mails(None).await.unwrap().is_empty());
    configure_smtp(&h, server.addr.port()).await;

    // The preview: the filled mail for the tracked order, a plain reason for each other.
    let previews = h
        .desk
        .preview_order_mails(request(
            OrderMailKindCode::ShippingNotice,
            &[shipped, untracked, no_address],
            false,
        ))
        .await
        .unwrap();
    keep(&previews);
    assert!(previews.readiness.configured);
    let p = &previews.previews[0];
    assert_eq!(p.to.as_deref(), Some("hanako@example.jp"));
    let body = p.body.as_deref().unwrap();
    assert!(body.starts_with("山田 花子 様"), "{body}");
    assert!(body.contains("■配送業者：ヤマト運輸"), "{body}");
    assert!(body.contains("123456789012"), "{body}");
    assert!(
        body.contains(&domain::labels::Carrier::Yamato.tracking_url("123456789012")),
        "{body}"
    );
    assert!(body.contains("お支払い金額：¥3,300"), "{body}");
    assert!(body.contains("東京都渋谷区神宮前1-2-3"), "{body}");
    assert!(
        p.subject.as_deref().unwrap().contains("MAIL_1"),
        "{:?}",
        p.subject
    );
    let untracked_why = previews.previews[1].refused.as_ref().unwrap();
    assert!(
        untracked_why.message.ja.contains("問合せ番号"),
        "{untracked_why:?}"
    );
    assert!(untracked_why.message.en.contains("tracking number"));
    let no_address_why = previews.previews[2].refused.as_ref().unwrap();
    assert!(no_address_why.message.ja.contains("メールアドレス"));
    assert!(no_address_why.message.en.contains("e-mail address"));
    assert!(server.nothing_arrived(), "a preview sends nothing");

    // The selection: one sent, two refused with their reasons, reported per order.
    let report = h
        .desk
        .send_order_mails(request(
            OrderMailKindCode::ShippingNotice,
            &[shipped, untracked, no_address],
            false,
        ))
        .await
        .unwrap();
    keep(&report);
    assert_eq!((report.sent, report.refused), (1, 2), "{report:?}");
    assert_eq!(report.results[0].outcome, OrderMailOutcomeCode::Sent);
    assert_eq!(report.results[1].outcome, OrderMailOutcomeCode::Refused);
    assert_eq!(report.results[2].outcome, OrderMailOutcomeCode::Refused);
    let received = server.next().await;
    assert_eq!(received.rcpt_to, ["<hanako@example.jp>"]);
    let (subject, body) = parsed(&received.data);
    assert_eq!(subject, p.subject.clone().unwrap());
    assert!(
        body.contains(&domain::labels::Carrier::Yamato.tracking_url("123456789012")),
        "{body}"
    );
    assert!(server.nothing_arrived(), "only the tracked order's mail");

    // One history line on the order; one entry in its send log and the queue.
    let detail = h.desk.get_order(shipped).await.unwrap();
    assert_eq!(
        history_count(
            &detail,
            "発送のお知らせメールを hanako@example.jp に送信しました"
        ),
        1,
        "{:?}",
        detail.history
    );
    let log = h.desk.order_mail_log(shipped).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].purpose, "shipping_notice");
    assert_eq!(log[0].state, "sent");
    assert_eq!(log[0].order_id, Some(shipped));
    let sent_mails = h.desk.list_mails(Some("sent".into())).await.unwrap();
    assert_eq!(sent_mails.len(), 1);

    // Again: not sent; the report names the second mail the buyer would get.
    let again = h
        .desk
        .send_order_mails(request(
            OrderMailKindCode::ShippingNotice,
            &[shipped],
            false,
        ))
        .await
        .unwrap();
    keep(&again);
    assert_eq!(again.results[0].outcome, OrderMailOutcomeCode::AlreadySent);
    assert_eq!(again.needs_confirmation, 1);
    assert!(again.results[0].message.ja.contains("2通目"), "{again:?}");
    assert!(again.results[0].message.en.contains("second mail"));
    let preview = h
        .desk
        .preview_order_mails(request(
            OrderMailKindCode::ShippingNotice,
            &[shipped],
            false,
        ))
        .await
        .unwrap();
    assert!(preview.previews[0].already_sent_at.is_some());
    assert!(server.nothing_arrived(), "not sent twice by accident");

    // Confirmed: the second mail goes, with its own history line.
    let resent = h
        .desk
        .send_order_mails(request(OrderMailKindCode::ShippingNotice, &[shipped], true))
        .await
        .unwrap();
    assert_eq!(resent.sent, 1, "{resent:?}");
    server.next().await;
    let detail = h.desk.get_order(shipped).await.unwrap();
    assert_eq!(history_count(&detail, "発送のお知らせメール"), 2);
    assert_eq!(h.desk.order_mail_log(shipped).await.unwrap().len(), 2);
}

#[tokio::test]
async fn an_order_confirmation_with_an_unfilled_placeholder_is_not_sent() {
    let h = Harness::quiet("mail_confirm").await;
    let mut server = TestSmtp::start(Mode::Accept).await;
    configure_smtp(&h, server.addr.port()).await;
    let named = order(&h, "CONF_1", 2000, "高橋 三郎", "saburo@example.jp").await;
    let nameless = nameless_order(&h, "CONF_2", 2500, "anon@example.jp");

    // An edited text is checked like the reminders': an unknown placeholder is named.
    let err = h
        .desk
        .save_mail_text(MailTextInput {
            kind: MailTextKindCode::OrderConfirmation,
            language: "ja".into(),
            subject: "ご注文 {order_number}".into(),
            body: "{buyer_name} 様\n{tracking_url}\n".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code, "template_unknown_placeholder");
    assert!(err.message.ja.contains("{tracking_url}"), "{err:?}");
    assert!(err.message.ja.contains("{payment_method}"), "{err:?}");
    let saved = h
        .desk
        .save_mail_text(MailTextInput {
            kind: MailTextKindCode::OrderConfirmation,
            language: "ja".into(),
            subject: "ご注文 {order_number}（{shop_name}）".into(),
            body: "{buyer_name} 様\n{items}\n合計 {total}\n{payment_method}\n".into(),
        })
        .await
        .unwrap();
    assert!(saved.edited);

    let report = h
        .desk
        .send_order_mails(request(
            OrderMailKindCode::OrderConfirmation,
            &[named, nameless],
            false,
        ))
        .await
        .unwrap();
    keep(&report);
    assert_eq!((report.sent, report.refused), (1, 1), "{report:?}");
    let refused = &report.results[1];
    assert!(
        refused.message.ja.contains("{buyer_name}")
            && refused.message.ja.contains("送っていません"),
        "{refused:?}"
    );
    assert!(refused.message.en.contains("not sent"), "{refused:?}");
    let received = server.next().await;
    assert_eq!(received.rcpt_to, ["<saburo@example.jp>"]);
    let (subject, body) = parsed(&received.data);
    assert!(subject.starts_with("ご注文 CONF_1（"), "{subject}");
    assert!(body.contains("高橋 三郎 様"), "{body}");
    assert!(body.contains("合計 ¥2,000"), "{body}");
    assert!(body.contains("クレジットカード"), "{body}");
    assert!(server.nothing_arrived());
    assert!(h.desk.order_mail_log(nameless).await.unwrap().is_empty());

    // Back to the built-in text.
    let reset = h
        .desk
        .reset_mail_text(MailTextKindCode::OrderConfirmation, "ja".into())
        .await
        .unwrap();
    assert!(!reset.edited && reset.body.contains("{shipping_fee}"));
}

/// "Never twice by accident" across a stop: PayDesk claims a mail before handing it to the
/// SMTP server; a desk that stopped after the server took it (the claim is there, its
/// outcome is not) leaves it "may have been sent": a restarted desk never hands it over
/// again by itself, and the shop's send asks first.
#[tokio::test]
async fn a_mail_interrupted_mid_send_is_never_sent_again_by_itself() {
    let h = Harness::quiet("mail_crash").await;
    let mut server = TestSmtp::start(Mode::Accept).await;
    configure_smtp(&h, server.addr.port()).await;
    let id = order(&h, "CRASH_1", 4000, "伊藤 四郎", "shiro@example.jp").await;
    track(&h, id, "2234-5678-9012").await;
    let sim = h.embedded.simulator();

    // What the stopped desk left: the mail queued and claimed, no outcome recorded.
    let mail = {
        let mut store = store::Store::open(h.data_dir().join("paydesk.sqlite3")).unwrap();
        let outcome = store
            .queue_order_mail(
                &store::NewMail {
                    purpose: store::MailPurpose::Order(
                        domain::OrderId(id),
                        domain::order_mail::OrderMailKind::ShippingNotice,
                    ),
                    customer_id: None,
                    subscription: None,
                    card_expiry: None,
                    to: "shiro@example.jp".into(),
                    subject: "発送のお知らせ".into(),
                    body: "本文".into(),
                },
                false,
                sim.now(),
            )
            .unwrap();
        let store::OrderMailQueued::Queued(mail) = outcome else {
            panic!("{outcome:?}")
        };
        assert!(store.claim_mail(mail, sim.now()).unwrap());
        mail
    };
    let desk = h.reopen().await;

    // Within the window: another attempt may still be running; left alone.
    let run = desk.send_mail_queue().await;
    assert_eq!(run.sent, 0);
    assert!(server.nothing_arrived());
    let again = desk
        .send_order_mails(request(OrderMailKindCode::ShippingNotice, &[id], false))
        .await
        .unwrap();
    assert_eq!(
        again.results[0].outcome,
        OrderMailOutcomeCode::AlreadyWaiting
    );

    // Past it: "may have been sent", never handed over again automatically.
    sim.set_time(sim.now() + domain::RULES.mail_interrupted_after + chrono::TimeDelta::minutes(1));
    let run = desk.send_mail_queue().await;
    assert_eq!(run.sent, 0);
    sim.set_time(sim.now() + domain::RULES.mail_retry_delay * 10);
    desk.send_mail_queue().await;
    assert!(
        server.nothing_arrived(),
        "an interrupted mail went out again by itself"
    );
    let log = desk.order_mail_log(id).await.unwrap();
    assert_eq!(log[0].id, mail.0);
    assert_eq!(log[0].state, "failed");
    assert!(
        log[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("mail_interrupted"),
        "{log:?}"
    );
    let preview = desk
        .preview_order_mails(request(OrderMailKindCode::ShippingNotice, &[id], false))
        .await
        .unwrap();
    assert!(preview.previews[0].maybe_sent);
    let asked = desk
        .send_order_mails(request(OrderMailKindCode::ShippingNotice, &[id], false))
        .await
        .unwrap();
    assert_eq!(asked.results[0].outcome, OrderMailOutcomeCode::MaybeSent);
    assert!(asked.results[0].message.ja.contains("届いている可能性"));
    assert!(server.nothing_arrived());

    // The shop confirms: exactly one mail, one history line.
    let sent = desk
        .send_order_mails(request(OrderMailKindCode::ShippingNotice, &[id], true))
        .await
        .unwrap();
    assert_eq!(sent.sent, 1, "{sent:?}");
    server.next().await;
    assert!(server.nothing_arrived());
    let detail = desk.get_order(id).await.unwrap();
    assert_eq!(history_count(&detail, "発送のお知らせメール"), 1);
    let log = desk.order_mail_log(id).await.unwrap();
    assert_eq!(
        log.iter().map(|m| m.state.as_str()).collect::<Vec<_>>(),
        ["sent", "discarded"]
    );
}
