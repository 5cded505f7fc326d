//! Order mails in the mail queue (issue 20, point 5): "never twice" decided in one
//! transaction, the claim that keeps a mail from being handed to the server twice, the
//! interrupted attempt that waits for the shop, and the history line written with "sent".

use chrono::TimeDelta;
use domain::RULES;
use domain::order_mail::OrderMailKind;
use store::{MailPurpose, MailState, NewMail, OrderMailQueued};

use crate::{ok, order, store, t0};

fn notice(order: domain::OrderId) -> NewMail {
    NewMail {
        purpose: MailPurpose::Order(order, OrderMailKind::ShippingNotice),
        customer_id: None,
        subscription: None,
        card_expiry: None,
        to: "taro@example.jp".into(),
        subject: "発送のお知らせ".into(),
        body: "山田 太郎 様".into(),
    }
}

#[test]
fn an_order_mail_is_queued_once_claimed_once_and_recorded_with_its_history_line() {
    let (_dir, mut s) = store();
    let now = t0();
    let id = ok(s.insert_order(&order(1, 0), now));
    let OrderMailQueued::Queued(mail) = ok(s.queue_order_mail(&notice(id), false, now)) else {
        panic!("not queued")
    };
    assert_eq!(
        ok(s.queue_order_mail(&notice(id), false, now)),
        OrderMailQueued::Waiting(mail)
    );
    assert!(ok(s.claim_mail(mail, now)));
    assert!(!ok(s.claim_mail(mail, now)), "claimed twice");
    assert!(
        ok(s.mails_to_send(now, &RULES)).is_empty(),
        "a claimed mail is not due"
    );
    let line = domain::order_mail::sent_line(OrderMailKind::ShippingNotice, "taro@example.jp");
    ok(s.mark_order_mail_sent(mail, now, &line));
    let sent = ok(s.mail(mail)).unwrap_or_else(|| panic!("mail"));
    assert_eq!(sent.state, MailState::Sent);
    assert_eq!(sent.sending_since, None);
    assert_eq!(
        sent.mail.purpose,
        MailPurpose::Order(id, OrderMailKind::ShippingNotice)
    );
    assert_eq!(ok(s.history(id))[0].text, line);
    assert!(matches!(
        ok(s.queue_order_mail(&notice(id), false, now)),
        OrderMailQueued::AlreadySent(at) if at == now
    ));
    assert!(matches!(
        ok(s.queue_order_mail(&notice(id), true, now)),
        OrderMailQueued::Queued(_)
    ));
    assert_eq!(ok(s.order_mails(id)).len(), 2);
}

#[test]
fn a_failed_order_mail_is_replaced_and_an_interrupted_one_waits_for_the_shop() {
    let (_dir, mut s) = store();
    let now = t0();
    let id = ok(s.insert_order(&order(1, 0), now));
    let OrderMailQueued::Queued(first) = ok(s.queue_order_mail(&notice(id), false, now)) else {
        panic!("not queued")
    };
    ok(s.claim_mail(first, now));
    ok(s.mark_mail_failed(first, "[smtp_refused] x / x", now, &RULES));
    // Not delivered: a new send replaces it without asking.
    let OrderMailQueued::Queued(second) = ok(s.queue_order_mail(&notice(id), false, now)) else {
        panic!("not queued")
    };
    assert_eq!(
        ok(s.mail(first)).map(|m| m.state),
        Some(MailState::Discarded)
    );
    // Claimed, then nothing recorded (PayDesk stopped): left alone within the window.
    ok(s.claim_mail(second, now));
    let error = format!("{} stopped / stopped", store::INTERRUPTED_PREFIX);
    assert!(
        ok(s.settle_interrupted_mails(now + TimeDelta::seconds(30), &error, &RULES)).is_empty()
    );
    let later = now + RULES.mail_interrupted_after;
    assert_eq!(
        ok(s.settle_interrupted_mails(later, &error, &RULES)),
        [second]
    );
    assert!(
        ok(s.settle_interrupted_mails(later, &error, &RULES)).is_empty(),
        "once"
    );
    assert!(
        ok(s.mails_to_send(later + TimeDelta::days(1), &RULES)).is_empty(),
        "never retried by itself"
    );
    assert_eq!(
        ok(s.queue_order_mail(&notice(id), false, later)),
        OrderMailQueued::MaybeSent(second)
    );
    assert!(matches!(
        ok(s.queue_order_mail(&notice(id), true, later)),
        OrderMailQueued::Queued(_)
    ));
}
