//! Issue 19: 3-D Secure as the gateway reports it (§4.6, §4.7, §7.3, §5.2 statuses 13/14)
//! and what each processing status means for the shop owner (§5.2–§5.3, §4.9), from the
//! one rules table.

use std::collections::BTreeMap;

use domain::{
    OperationKind, PROCESSING_RULES, PaymentMethod, PaymentStatus, RULES, Refusal,
    ThreeDSecureOutcome, check_kind, outcome_of_record, status_meaning,
};
use paygent_codec::response::PaymentRecord;

use crate::{order, t0};

/// A record's extra items.
type Fields<'a> = &'a [(&'a str, &'a str)];

fn record(payment_type: &str, status: &str, fields: &[(&str, &str)]) -> PaymentRecord {
    let mut items: BTreeMap<String, String> = [
        ("payment_notice_id", "8"),
        ("change_date", "20240401090000"),
        ("payment_id", "11111111111111111111"),
        ("trading_id", "order00159"),
        ("payment_type", payment_type),
        ("payment_status", status),
        ("payment_amount", "2000"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for (k, v) in fields {
        items.insert((*k).to_owned(), (*v).to_owned());
    }
    PaymentRecord::from_items(items).unwrap_or_else(|e| panic!("{e}"))
}

/// §7.3 (091 records) and §4.7 (094) carry `3dsecure_ryaku` and `attempt_kbn`; §4.6:
/// `attempt_kbn=1` is an attempt (the card company vouched), `3dsecure_ryaku=1` no 3-D
/// Secure.
#[test]
fn s4_6_s7_3_the_outcome_comes_from_3dsecure_ryaku_and_attempt_kbn() {
    use ThreeDSecureOutcome as O;
    let cases: [(Fields, Option<O>); 6] = [
        (
            &[("3dsecure_ryaku", "0"), ("attempt_kbn", "0")],
            Some(O::Authenticated),
        ),
        (
            &[("3dsecure_ryaku", "0"), ("attempt_kbn", "")],
            Some(O::Authenticated),
        ),
        (
            &[("3dsecure_ryaku", "0"), ("attempt_kbn", "1")],
            Some(O::Attempted),
        ),
        (
            &[("3dsecure_ryaku", "1"), ("attempt_kbn", "")],
            Some(O::NotUsed),
        ),
        (&[("3dsecure_ryaku", "")], None),
        (&[], None),
    ];
    for (fields, want) in cases {
        assert_eq!(
            outcome_of_record(&record("02", "20", fields)),
            want,
            "{fields:?}"
        );
    }
    // Paidy has no 3-D Secure.
    assert_eq!(
        outcome_of_record(&record("22", "20", &[("3dsecure_ryaku", "0")])),
        None
    );
    // Both authenticated outcomes make the payment a 3-D Secure one (no revision, 2014).
    assert!(O::Authenticated.authenticated() && O::Attempted.authenticated());
    assert!(!O::NotUsed.authenticated() && !O::Interrupted.authenticated());
    for o in O::ALL {
        assert_eq!(O::from_code(o.code()), Some(o));
        assert!(!o.label().ja.is_empty() && !o.meaning().en.is_empty());
    }
}

/// §5.2: 13 (3Dセキュア中断) and 14 (3Dセキュア認証) are the buyer's unfinished
/// authentication: shown as such (label, meaning, refusal), never as an authorization
/// failure or a mistake of the shop.
#[test]
fn s5_2_an_interrupted_authentication_is_the_buyers_not_the_shops_failure() {
    for status in [
        PaymentStatus::ThreeDSecureAborted,
        PaymentStatus::ThreeDSecureAuthenticating,
    ] {
        assert_eq!(
            outcome_of_record(&record("02", status.code(), &[("3dsecure_ryaku", "0")])),
            Some(ThreeDSecureOutcome::Interrupted)
        );
        let (ja, en) = domain::history::status_label(status, PaymentMethod::Card);
        assert!(
            ja.contains("3Dセキュア") && en.contains("3-D Secure"),
            "{en}"
        );
        let meaning =
            status_meaning(PaymentMethod::Card, status).unwrap_or_else(|| panic!("13/14"));
        assert!(meaning.en.contains("not a mistake"), "{}", meaning.en);
        assert!(
            meaning
                .ja
                .contains("ショップの設定や操作の誤りではありません")
        );
        let mut o = order(PaymentMethod::Card);
        o.status = status;
        o.authorized_at = None;
        for kind in OperationKind::ALL {
            assert_eq!(
                check_kind(&o, kind, t0(), &RULES),
                Err(Refusal::ThreeDSecureInterrupted),
                "{kind:?} on {status}"
            );
        }
    }
}

/// §5.2–§5.3, §4.9: every processing status of `PROCESSING_RULES` has a meaning for the
/// shop owner, and it is the very text the rules give for the operations they refuse
/// there, so the screen and the buttons never disagree; everyday statuses need none.
#[test]
fn s5_3_s4_9_processing_statuses_are_explained_from_the_rules_table() {
    for rule in PROCESSING_RULES {
        let meaning = status_meaning(rule.method, rule.status)
            .unwrap_or_else(|| panic!("{:?} {}", rule.method, rule.status));
        let mut o = order(rule.method);
        o.status = rule.status;
        let refused: Vec<OperationKind> = OperationKind::ALL
            .into_iter()
            .filter(|k| !(rule.retry && *k == rule.pending))
            .collect();
        assert!(!refused.is_empty());
        for kind in refused {
            let refusal = check_kind(&o, kind, t0(), &RULES)
                .expect_err("only the retry of a processing status is allowed");
            assert_eq!(refusal.code(), "gateway_processing");
            assert_eq!(
                refusal.message(),
                meaning,
                "{:?} {}",
                rule.method,
                rule.status
            );
        }
        if rule.retry {
            assert!(meaning.en.contains("again"), "{}", meaning.en);
        } else {
            assert!(meaning.en.contains("by itself"), "{}", meaning.en);
        }
    }
    for status in [
        PaymentStatus::Authorized,
        PaymentStatus::Captured,
        PaymentStatus::Cancelled,
        PaymentStatus::Refunded,
    ] {
        for method in [PaymentMethod::Card, PaymentMethod::Paidy] {
            assert_eq!(status_meaning(method, status), None);
        }
    }
}
