//! Domain and store types to DTOs and back, by hand (domain types never cross the IPC
//! boundary).

use chrono::{DateTime, SecondsFormat, Utc};
use domain::history::jst;
use domain::{
    Actor, CaptureMode, Deadline, DeadlineKind, DeadlineState, Operation, OperationKind, Order,
    OrderList, PaymentMethod, PaymentStatus, RULES, Refusal, Yen,
};

use crate::dto::{
    ActorCode, CaptureModeCode, DeadlineDto, DeadlineKindCode, DeadlineStateCode, ItemDto,
    OperationAvailability, OperationKindCode, OrderDetailsDto, OrderListCode, OrderSummary,
    PaymentMethodCode, StatusDto,
};
use crate::{AppError, Text};

pub(crate) fn text(t: &domain::Text) -> Text {
    Text::new(&t.ja, &t.en)
}

pub(crate) fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(crate) fn list_from(code: OrderListCode) -> OrderList {
    match code {
        OrderListCode::Open => OrderList::Open,
        OrderListCode::Completed => OrderList::Completed,
        OrderListCode::Cancelled => OrderList::Cancelled,
    }
}

pub(crate) fn list_to(list: OrderList) -> OrderListCode {
    match list {
        OrderList::Open => OrderListCode::Open,
        OrderList::Completed => OrderListCode::Completed,
        OrderList::Cancelled => OrderListCode::Cancelled,
    }
}

pub(crate) fn method_to(method: PaymentMethod) -> PaymentMethodCode {
    match method {
        PaymentMethod::Card => PaymentMethodCode::Card,
        PaymentMethod::Paidy => PaymentMethodCode::Paidy,
    }
}

pub(crate) fn capture_mode_to(mode: CaptureMode) -> CaptureModeCode {
    match mode {
        CaptureMode::AuthorizeOnly => CaptureModeCode::AuthorizeOnly,
        CaptureMode::AuthorizeAndCapture => CaptureModeCode::AuthorizeAndCapture,
    }
}

pub(crate) fn kind_to(kind: OperationKind) -> OperationKindCode {
    match kind {
        OperationKind::Capture => OperationKindCode::Capture,
        OperationKind::Cancel => OperationKindCode::Cancel,
        OperationKind::FullRefund => OperationKindCode::FullRefund,
        OperationKind::PartialRefund => OperationKindCode::PartialRefund,
        OperationKind::AmountChange => OperationKindCode::AmountChange,
    }
}

/// The operation asked for; an amount is required for partial refund and amount change.
pub(crate) fn operation_from(
    kind: OperationKindCode,
    amount_yen: Option<i64>,
) -> Result<Operation, AppError> {
    let amount = || {
        amount_yen
            .map(Yen)
            .ok_or_else(|| AppError::from_refusal(&Refusal::AmountNotPositive))
    };
    Ok(match kind {
        OperationKindCode::Capture => Operation::Capture,
        OperationKindCode::Cancel => Operation::Cancel,
        OperationKindCode::FullRefund => Operation::FullRefund,
        OperationKindCode::PartialRefund => Operation::PartialRefund(amount()?),
        OperationKindCode::AmountChange => Operation::AmountChange(amount()?),
    })
}

pub(crate) fn actor_to(actor: Actor) -> ActorCode {
    match actor {
        Actor::PayDesk => ActorCode::Paydesk,
        Actor::Gateway => ActorCode::Gateway,
        Actor::Outside => ActorCode::Outside,
    }
}

pub(crate) fn status(status: PaymentStatus, method: PaymentMethod) -> StatusDto {
    let (ja, en) = domain::history::status_label(status, method);
    StatusDto {
        code: status.code().to_owned(),
        label: Text::new(ja, en),
    }
}

fn days_left(at: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    // Whole days left; the last day reads "less than a day".
    (at - now).num_days()
}

pub(crate) fn deadline(order: &Order, now: DateTime<Utc>) -> Option<DeadlineDto> {
    let (state, d): (DeadlineStateCode, Deadline) = match domain::deadline_state(order, now, &RULES)
    {
        DeadlineState::None => return None,
        DeadlineState::Ok(d) => (DeadlineStateCode::Ok, d),
        DeadlineState::Near(d) => (DeadlineStateCode::Near, d),
        DeadlineState::Lapsed(d) => (DeadlineStateCode::Lapsed, d),
    };
    let when = jst(d.at);
    let text = match (d.kind, state) {
        (DeadlineKind::Capture, DeadlineStateCode::Lapsed) => Text::new(
            &format!("売上確定期限（{when}）を過ぎたため不成立です。この売上は確定できません。"),
            &format!(
                "Lapsed: the capture deadline ({when} JST) has passed. This sale can no longer be captured."
            ),
        ),
        (DeadlineKind::Refund, DeadlineStateCode::Lapsed) => Text::new(
            &format!("返金期限（{when}）を過ぎました。返金は購入者と直接やり取りしてください。"),
            &format!(
                "The refund window closed on {when} JST. Refunds must be settled with the buyer directly."
            ),
        ),
        (kind, _) => {
            let days = days_left(d.at, now);
            let (label_ja, label_en) = match kind {
                DeadlineKind::Capture => ("売上確定期限", "Capture by"),
                DeadlineKind::Refund => ("返金期限", "Refund by"),
            };
            let (left_ja, left_en) = if days < 1 {
                ("残り1日未満".to_owned(), "less than a day left".to_owned())
            } else {
                (format!("あと{days}日"), format!("{days} days left"))
            };
            Text::new(
                &format!("{label_ja} {when}（{left_ja}）"),
                &format!("{label_en} {when} JST ({left_en})"),
            )
        }
    };
    Some(DeadlineDto {
        kind: match d.kind {
            DeadlineKind::Capture => DeadlineKindCode::Capture,
            DeadlineKind::Refund => DeadlineKindCode::Refund,
        },
        at: time(d.at),
        state,
        text,
    })
}

pub(crate) fn summary(
    id: i64,
    order: &Order,
    now: DateTime<Utc>,
    operation_unsettled: bool,
) -> OrderSummary {
    OrderSummary {
        id,
        order_number: order.order_number.clone(),
        // Empty when the gateway made no payment (a refused renewal's stand-in).
        transaction_id: domain::order::shown_transaction_id(&order.payment_id)
            .unwrap_or_default()
            .to_owned(),
        method: method_to(order.method),
        capture_mode: capture_mode_to(order.capture_mode),
        status: status(order.status, order.method),
        amount_yen: order.amount.0,
        captured_yen: order.captured_amount.0,
        refunded_yen: order.refunded_amount.0,
        refundable_yen: domain::refundable_amount(order).0,
        ordered_at: time(order.ordered_at),
        buyer_name: order.buyer_name.clone(),
        buyer_name_kana: order.buyer_name_kana.clone(),
        list: list_to(order.list),
        deadline: deadline(order, now),
        outside_change: order.outside_change,
        operation_unsettled,
        payment_method_label: None,
        deposit: None,
    }
}

/// A failed renewal switched to another payment method: the order says how it is paid
/// now, and that PayDesk cannot see that payment.
pub(crate) fn switched_to(summary: &mut OrderSummary, method: String) {
    summary.status.label = Text::new(
        &format!("{method}に変更（ペイジェント外・入金未確認）"),
        &format!("Switched to {method} (outside Paygent, payment not confirmed)"),
    );
    summary.payment_method_label = Some(method);
}

/// The detail screen's buttons: every kind with whether it can work now, and why not.
pub(crate) fn availability(
    order: &Order,
    now: DateTime<Utc>,
    unsettled: bool,
) -> Vec<OperationAvailability> {
    domain::available_operations(order, now, &RULES)
        .into_iter()
        .map(|(kind, verdict)| {
            let verdict = if unsettled {
                Err(Refusal::OperationUnsettled)
            } else {
                verdict
            };
            match verdict {
                Ok(()) => OperationAvailability {
                    kind: kind_to(kind),
                    enabled: true,
                    reason_code: None,
                    reason: None,
                },
                Err(refusal) => OperationAvailability {
                    kind: kind_to(kind),
                    enabled: false,
                    reason_code: Some(refusal.code().to_owned()),
                    reason: Some(text(&refusal.message())),
                },
            }
        })
        .collect()
}

pub(crate) fn details(d: &store::OrderDetails) -> OrderDetailsDto {
    OrderDetailsDto {
        source: d.source.code().to_owned(),
        buyer_name: d.buyer_name.clone(),
        buyer_name_kana: d.buyer_name_kana.clone(),
        buyer_email: d.buyer_email.clone(),
        buyer_phone: d.buyer_phone.clone(),
        shipping_zip: d.shipping_zip.clone(),
        shipping_state: d.shipping_state.clone(),
        shipping_city: d.shipping_city.clone(),
        shipping_line1: d.shipping_line1.clone(),
        shipping_line2: d.shipping_line2.clone(),
        order_tax_yen: d.order_tax.map(|y| y.0),
        order_shipping_yen: d.order_shipping.map(|y| y.0),
        items: d
            .items
            .iter()
            .map(|i| ItemDto {
                item_id: i.item_id.clone(),
                title: i.title.clone(),
                description: i.description.clone(),
                unit_price_yen: i.unit_price.0,
                quantity: i.quantity,
            })
            .collect(),
    }
}
