//! Every status × every operation, for cards and Paidy: the detail screen's buttons.

use chrono::TimeDelta;
use domain::{OperationKind, PaymentMethod, PaymentStatus, RULES, Yen, check_kind};

use crate::{order, t0};

fn matrix(method: PaymentMethod, tweak: impl Fn(&mut domain::Order)) -> String {
    let mut out = String::new();
    for &status in PaymentStatus::ALL {
        let mut o = order(method);
        o.status = status;
        if domain::order::is_captured_status(status) || status == PaymentStatus::Refunded {
            o.captured_amount = Yen(2000);
            o.captured_at = Some(t0());
        }
        tweak(&mut o);
        let now = t0() + TimeDelta::days(1);
        let cells: Vec<String> = OperationKind::ALL
            .iter()
            .map(|&k| match check_kind(&o, k, now, &RULES) {
                Ok(()) => "ok".to_owned(),
                Err(r) => r.code().to_owned(),
            })
            .collect();
        out.push_str(&format!("{} {}\n", status.code(), cells.join(" ")));
    }
    out
}

/// Columns: capture cancel full_refund partial_refund amount_change.
#[test]
fn card_authorize_only_status_matrix() {
    let expected = "\
10 not_authorized not_authorized not_authorized not_authorized not_authorized
11 not_authorized not_authorized not_authorized not_authorized not_authorized
12 not_authorized not_authorized not_authorized not_authorized not_authorized
13 three_d_secure_interrupted three_d_secure_interrupted three_d_secure_interrupted three_d_secure_interrupted three_d_secure_interrupted
14 three_d_secure_interrupted three_d_secure_interrupted three_d_secure_interrupted three_d_secure_interrupted three_d_secure_interrupted
15 not_authorized not_authorized not_authorized not_authorized not_authorized
16 not_authorized not_authorized not_authorized not_authorized not_authorized
17 validity_check validity_check validity_check validity_check validity_check
20 ok ok refund_before_capture partial_refund_before_capture ok
21 not_authorized not_authorized not_authorized not_authorized not_authorized
22 validity_check validity_check validity_check validity_check validity_check
30 ok gateway_processing gateway_processing gateway_processing gateway_processing
31 gateway_processing ok gateway_processing gateway_processing gateway_processing
32 already_cancelled already_cancelled already_cancelled already_cancelled already_cancelled
33 lapsed lapsed lapsed lapsed lapsed
34 not_authorized not_authorized not_authorized not_authorized not_authorized
35 not_authorized not_authorized not_authorized not_authorized not_authorized
36 not_authorized not_authorized not_authorized not_authorized not_authorized
37 not_authorized not_authorized not_authorized not_authorized not_authorized
40 already_captured cancel_after_capture ok ok amount_change_after_capture
41 already_captured cancel_after_capture refund_deadline_passed refund_deadline_passed amount_change_after_capture
42 gateway_processing gateway_processing ok gateway_processing gateway_processing
43 not_authorized not_authorized not_authorized not_authorized not_authorized
44 not_authorized not_authorized not_authorized not_authorized not_authorized
50 gateway_processing gateway_processing ok gateway_processing gateway_processing
60 already_refunded already_refunded already_refunded already_refunded already_refunded
61 not_authorized not_authorized not_authorized not_authorized not_authorized
62 not_authorized not_authorized not_authorized not_authorized not_authorized
";
    assert_eq!(matrix(PaymentMethod::Card, |_| {}), expected);
}

#[test]
fn paidy_status_matrix() {
    let expected = "\
10 not_authorized not_authorized not_authorized not_authorized amount_change_paidy
11 not_authorized not_authorized not_authorized not_authorized amount_change_paidy
12 not_authorized not_authorized not_authorized not_authorized amount_change_paidy
13 three_d_secure_interrupted three_d_secure_interrupted three_d_secure_interrupted three_d_secure_interrupted amount_change_paidy
14 three_d_secure_interrupted three_d_secure_interrupted three_d_secure_interrupted three_d_secure_interrupted amount_change_paidy
15 not_authorized not_authorized not_authorized not_authorized amount_change_paidy
16 not_authorized not_authorized not_authorized not_authorized amount_change_paidy
17 validity_check validity_check validity_check validity_check validity_check
20 ok ok refund_before_capture partial_refund_before_capture amount_change_paidy
21 not_authorized not_authorized not_authorized not_authorized amount_change_paidy
22 validity_check validity_check validity_check validity_check validity_check
30 gateway_processing gateway_processing gateway_processing gateway_processing gateway_processing
31 gateway_processing gateway_processing gateway_processing gateway_processing gateway_processing
32 already_cancelled already_cancelled already_cancelled already_cancelled amount_change_paidy
33 lapsed lapsed lapsed lapsed amount_change_paidy
34 not_authorized not_authorized not_authorized not_authorized amount_change_paidy
35 not_authorized not_authorized not_authorized not_authorized amount_change_paidy
36 not_authorized not_authorized not_authorized not_authorized amount_change_paidy
37 not_authorized not_authorized not_authorized not_authorized amount_change_paidy
40 already_captured cancel_after_capture ok ok amount_change_paidy
41 already_captured cancel_after_capture refund_deadline_passed refund_deadline_passed amount_change_paidy
42 gateway_processing gateway_processing gateway_processing gateway_processing gateway_processing
43 not_authorized not_authorized not_authorized not_authorized amount_change_paidy
44 not_authorized not_authorized not_authorized not_authorized amount_change_paidy
50 not_authorized not_authorized not_authorized not_authorized amount_change_paidy
60 already_refunded already_refunded already_refunded already_refunded amount_change_paidy
61 not_authorized not_authorized not_authorized not_authorized amount_change_paidy
62 not_authorized not_authorized not_authorized not_authorized amount_change_paidy
";
    assert_eq!(matrix(PaymentMethod::Paidy, |_| {}), expected);
}

/// 3-D Secure and authorize-and-capture card orders: amount change and (3-D Secure)
/// partial refund are refused whatever the status.
#[test]
fn card_3ds_and_authorize_and_capture_rows() {
    let rows = |m: &str, s: &str| {
        m.lines()
            .filter(|l| l.starts_with(s))
            .map(str::to_owned)
            .collect::<Vec<_>>()
            .join("\n")
    };
    let three_ds = matrix(PaymentMethod::Card, |o| o.three_d_secure = true);
    assert_eq!(
        rows(&three_ds, "20 "),
        "20 ok ok refund_before_capture partial_refund_before_capture amount_change_3ds"
    );
    assert_eq!(
        rows(&three_ds, "40 "),
        "40 already_captured cancel_after_capture ok partial_refund_3ds amount_change_3ds"
    );
    let auto = matrix(PaymentMethod::Card, |o| {
        o.capture_mode = domain::CaptureMode::AuthorizeAndCapture;
        o.authorized_at = Some(t0() + TimeDelta::days(1) - TimeDelta::minutes(1));
    });
    assert_eq!(
        rows(&auto, "20 "),
        "20 waiting_for_auto_capture ok refund_before_capture partial_refund_before_capture amount_change_authorize_and_capture"
    );
    assert_eq!(
        rows(&auto, "40 "),
        "40 already_captured cancel_after_capture ok ok amount_change_authorize_and_capture"
    );
}

/// Every refusal code has Japanese and English text and codes are unique.
#[test]
fn refusal_codes_are_unique_and_explained() {
    use domain::Refusal;
    let all = [
        Refusal::NotAuthorized,
        Refusal::AlreadyCaptured,
        Refusal::AlreadyCancelled,
        Refusal::AlreadyRefunded,
        Refusal::Lapsed,
        Refusal::CaptureDeadlinePassed { deadline: t0() },
        Refusal::RefundDeadlinePassed {
            deadline: Some(t0()),
        },
        Refusal::RefundDeadlinePassed { deadline: None },
        Refusal::CancelAfterCapture,
        Refusal::RefundBeforeCapture,
        Refusal::PartialRefundBeforeCapture,
        Refusal::AmountChangeAfterCapture,
        Refusal::RefundExceedsRefundable {
            refundable: Yen(1500),
        },
        Refusal::PartialRefund3ds,
        Refusal::AmountChange3ds,
        Refusal::AmountChangeAuthorizeAndCapture,
        Refusal::AmountChangePaidy,
        Refusal::AmountIncrease { current: Yen(2000) },
        Refusal::AmountUnchanged,
        Refusal::AmountNotPositive,
        Refusal::PaidyAmountLimit {
            limit: Yen(300_000),
        },
        Refusal::CardAmountLimit {
            limit: Yen(9_999_999),
        },
        Refusal::WaitingForAutoCapture { due: t0() },
        Refusal::GatewayProcessing {
            method: PaymentMethod::Card,
            status: PaymentStatus::CapturePending,
        },
        Refusal::ValidityCheck,
        Refusal::ThreeDSecureInterrupted,
        Refusal::OperationUnsettled,
    ];
    let mut codes: Vec<&str> = all.iter().map(Refusal::code).collect();
    codes.dedup();
    assert_eq!(
        codes.len(),
        all.len() - 1,
        "only RefundDeadlinePassed appears twice"
    );
    for r in &all {
        let text = r.message();
        assert!(!text.ja.is_empty() && !text.en.is_empty(), "{}", r.code());
        assert!(!text.ja.is_ascii(), "{} ja is Japanese", r.code());
    }
    assert_eq!(
        Refusal::RefundExceedsRefundable {
            refundable: Yen(1500)
        }
        .message()
        .en,
        "The refund is larger than the refundable amount (¥1,500). Enter ¥1,500 or less."
    );
    assert_eq!(
        Refusal::CaptureDeadlinePassed { deadline: t0() }
            .message()
            .ja,
        "売上確定の期限（2024-04-01 09:00）を過ぎたため不成立です。請求するには購入者に改めて決済してもらってください。"
    );
}

/// §5.2–§5.3 (card 30/31/42/50) and §4.9 (Paidy's 24005 parking statuses 30/31/42): the
/// one table of processing statuses says which operation each holds; `check_kind` allows
/// exactly the card's retry of it (022 on 30, 021 on 31, 023 on 42/50) and refuses
/// everything else, Paidy's included, with a text that names the status, the stopped
/// operation and what to do (retry it, or wait for Paygent).
#[test]
fn processing_statuses_allow_only_the_retry_and_say_why_not() {
    use domain::{OperationKind as K, PROCESSING_RULES, Refusal, processing_rule};
    assert_eq!(PROCESSING_RULES.len(), 7);
    for rule in PROCESSING_RULES {
        let mut o = order(rule.method);
        o.status = rule.status;
        if domain::order::is_captured_status(rule.status) {
            o.captured_amount = Yen(2000);
            o.captured_at = Some(t0());
        }
        let now = t0() + TimeDelta::days(1);
        for kind in K::ALL {
            let got = check_kind(&o, kind, now, &RULES);
            let retry = rule.retry && kind == rule.pending;
            if retry {
                assert_eq!(got, Ok(()), "{:?} {} {kind:?}", rule.method, rule.status);
                continue;
            }
            let refusal = got.expect_err("refused");
            assert_eq!(
                refusal,
                Refusal::GatewayProcessing {
                    method: rule.method,
                    status: rule.status
                }
            );
            let text = refusal.message();
            let (label_ja, label_en) = domain::history::status_label(rule.status, rule.method);
            assert!(text.ja.contains(label_ja), "{}", text.ja);
            assert!(text.en.contains(label_en), "{}", text.en);
            let advice = match (rule.method, rule.gateway_finishes) {
                (PaymentMethod::Paidy, _) => "Paygent completes or undoes it by itself",
                (PaymentMethod::Card, true) => "retrying the cancel by itself",
                (PaymentMethod::Card, false) => "again",
            };
            assert!(text.en.contains(advice), "{}", text.en);
        }
        assert_eq!(processing_rule(rule.method, rule.status), Some(rule));
    }
    // The card retries: what each processing status holds, in the shop owner's words.
    let card = |s: PaymentStatus| {
        Refusal::GatewayProcessing {
            method: PaymentMethod::Card,
            status: s,
        }
        .message()
        .en
    };
    assert_eq!(
        card(PaymentStatus::CapturePending),
        "Paygent's capture of this payment stopped part-way (Capture in progress). Run the capture again; nothing else can be done until it has finished."
    );
    assert_eq!(
        card(PaymentStatus::RefundSettling),
        "Paygent's refund of this payment stopped part-way (Refund being settled). Run the refund again; nothing else can be done until it has finished."
    );
    assert_eq!(
        Refusal::GatewayProcessing {
            method: PaymentMethod::Paidy,
            status: PaymentStatus::RefundPending
        }
        .message()
        .ja,
        "ペイディの応答を待っているため、返金の処理中です（返金要求中）。ペイジェントが自動で完了させるか元に戻します。状態が更新されるまでお待ちください。それまで操作はできません。"
    );
    // Not processing statuses.
    for s in [
        PaymentStatus::Authorized,
        PaymentStatus::Captured,
        PaymentStatus::Refunded,
    ] {
        assert_eq!(processing_rule(PaymentMethod::Card, s), None);
    }
    assert_eq!(
        processing_rule(PaymentMethod::Paidy, PaymentStatus::RefundSettling),
        None
    );
}
