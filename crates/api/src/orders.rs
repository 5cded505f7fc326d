//! Order lists and the order detail (read-only queries).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use domain::{OrderId, PaymentMethod, PaymentStatus};
use store::{DeadlineFilter, ListQuery, OrderSort};

use crate::ErrorCode;
use crate::context::Context;
use crate::dto;
use crate::dto::OrderListCode;
use crate::dto::documents::DepositDto;
use crate::dto::{
    DeadlineFilterCode, HistoryLineDto, OrderDetail, OrderPage, OrderQuery, OrderSortCode,
    PaymentMethodCode, PendingOperationDto, ThreeDSecureDto,
};
use crate::{AppError, Text, convert};

/// Rows per page when the UI does not say.
const DEFAULT_PAGE_SIZE: u32 = 50;
/// The most rows one page may ask for.
const MAX_PAGE_SIZE: u32 = 500;

/// A card order's 3-D Secure for the detail screen: the gateway's report, else what the
/// order's first record said (`3dsecure_ryaku=0`), else "not reported yet".
fn three_d_secure_dto(
    order: &domain::Order,
    reported: Option<domain::ThreeDSecureOutcome>,
) -> Option<ThreeDSecureDto> {
    if order.method != PaymentMethod::Card {
        return None;
    }
    let outcome = reported.or(order
        .three_d_secure
        .then_some(domain::ThreeDSecureOutcome::Authenticated));
    Some(match outcome {
        Some(o) => ThreeDSecureDto {
            code: o.code().to_owned(),
            label: convert::text(&o.label()),
            meaning: convert::text(&o.meaning()),
        },
        None => ThreeDSecureDto {
            code: "not_reported".to_owned(),
            label: Text::new("3Dセキュア: 未報告", "3-D Secure: not reported yet"),
            meaning: Text::new(
                "ペイジェントからまだ報告がありません。次の同期で表示されます。",
                "Paygent has not reported it yet; it shows after the next sync.",
            ),
        },
    })
}

/// A Japan calendar day typed as `2026-12-01`; `field` names it in both languages.
pub(crate) fn japan_day((ja, en): (&str, &str), value: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::of(ErrorCode::InvalidDate)
            .with_each("field", ja, en)
            .with("value", value)
            .into()
    })
}

/// 0:00 Japan time of `day`, in UTC (orders are stored in UTC, days are Japan's).
fn japan_midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN)
        .and_local_timezone(domain::history::JAPAN)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The bounds of an order-date filter: from (included), until (excluded).
type OrderedBounds = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// The order-date filter: from 0:00 of the first Japan day to 0:00 after the last
/// (both days included).
fn ordered_range(query: &OrderQuery) -> Result<OrderedBounds, AppError> {
    let day = |field: (&str, &str), v: &Option<String>| {
        v.as_deref()
            .filter(|v| !v.trim().is_empty())
            .map(|v| japan_day(field, v))
            .transpose()
    };
    let from = day(("開始日", "start date"), &query.ordered_from)?;
    let to = day(("終了日", "end date"), &query.ordered_to)?;
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(AppError::of(ErrorCode::DateRangeReversed)
            .with("from", from)
            .with("to", to)
            .into());
    }
    Ok((
        from.map(japan_midnight),
        to.and_then(|d| d.succ_opt()).map(japan_midnight),
    ))
}

pub(crate) fn list_query(
    query: &OrderQuery,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ListQuery, AppError> {
    let statuses = query
        .statuses
        .iter()
        .map(|code| {
            PaymentStatus::from_code(code)
                .ok_or_else(|| AppError::of(ErrorCode::InvalidStatus).with("value", code))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (ordered_from, ordered_until) = ordered_range(query)?;
    Ok(ListQuery {
        list: query.list.map(convert::list_from),
        statuses,
        deadline: query.deadline.map(|d| match d {
            DeadlineFilterCode::Near => DeadlineFilter::Near,
            DeadlineFilterCode::Lapsed => DeadlineFilter::Lapsed,
        }),
        search: query
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        method: query.method.map(|m| match m {
            PaymentMethodCode::Card => PaymentMethod::Card,
            PaymentMethodCode::Paidy => PaymentMethod::Paidy,
        }),
        ordered_from,
        ordered_until,
        deposit: query
            .deposit
            .map(|d| d == crate::dto::documents::DepositFilterCode::Received),
        sort: query.sort.map(|s| match s {
            OrderSortCode::Newest => OrderSort::Newest,
            OrderSortCode::Oldest => OrderSort::Oldest,
            OrderSortCode::AmountHigh => OrderSort::AmountHigh,
            OrderSortCode::AmountLow => OrderSort::AmountLow,
            OrderSortCode::Deadline => OrderSort::Deadline,
        }),
        page: query.page,
        page_size: match query.page_size {
            0 => DEFAULT_PAGE_SIZE,
            n => n.min(MAX_PAGE_SIZE),
        },
        now,
    })
}

/// The payment method a failed renewal's order was switched to. Only an order the gateway
/// made no payment for (a refused renewal's stand-in) can have been, so other rows cost
/// no query.
fn switched_method(
    store: &store::Store,
    id: OrderId,
    order: &domain::Order,
) -> Result<Option<String>, store::Error> {
    if domain::order::shown_transaction_id(&order.payment_id).is_some() {
        return Ok(None);
    }
    store.switched_payment_method(id)
}

pub(crate) fn list_orders(cx: &Context, query: &OrderQuery) -> Result<OrderPage, AppError> {
    let now = cx.now();
    let q = list_query(query, now)?;
    let store = cx.store();
    let page = store.list_orders(&q)?;
    let ids: Vec<OrderId> = page.items.iter().map(|row| row.id).collect();
    let deposits = store.deposits(&ids)?;
    let items = page
        .items
        .iter()
        .map(|row| {
            let unsettled = store.pending_for_order(row.id)?.is_some();
            let mut summary = convert::summary(row.id.0, &row.order, now, unsettled);
            if let Some(method) = switched_method(&store, row.id, &row.order)? {
                convert::switched_to(&mut summary, method);
            }
            summary.deposit = deposits.get(&row.id).map(deposit_dto);
            Ok(summary)
        })
        .collect::<Result<Vec<_>, store::Error>>()?;
    Ok(OrderPage {
        items,
        total: u32::try_from(page.total).unwrap_or(u32::MAX),
        page: page.page,
        page_size: page.page_size,
    })
}

pub(crate) fn get_order(cx: &Context, order_id: i64) -> Result<OrderDetail, AppError> {
    let now = cx.now();
    let id = OrderId(order_id);
    let store = cx.store();
    let order = store
        .get_order(id)?
        .ok_or_else(|| AppError::order_not_found(order_id))?;
    let pending = store.pending_for_order(id)?;
    let chain = store.payment_id_chain(id)?;
    let history = store.history(id)?;
    let details = store.order_details(id)?;
    let switched = switched_method(&store, id, &order)?;
    let three_ds = store.three_d_secure_outcome(id)?;
    let deposit = store.deposit(id)?;
    drop(store);
    let banner = order.outside_change.then(|| {
        Text::new(
            "この決済は PayDesk の外（ペイジェント管理画面など）で変更されました。PayDesk はペイジェントの状態に合わせました。変更履歴を確認してください。",
            "This payment was changed outside PayDesk (for example in Paygent's admin site). PayDesk adopted the gateway's state; see the change history.",
        )
    });
    let pending_operation = pending.as_ref().map(|p| PendingOperationDto {
        kind: convert::kind_to(p.operation.kind()),
        amount_yen: p.operation.amount().map(|a| a.0),
        state: p.state.code().to_owned(),
        created_at: convert::time(p.created_at),
        message: convert::text(&domain::Refusal::OperationUnsettled.message()),
    });
    let mut summary = convert::summary(order_id, &order, now, pending.is_some());
    if let Some(method) = switched {
        convert::switched_to(&mut summary, method);
    }
    summary.deposit = deposit.as_ref().map(deposit_dto);
    Ok(OrderDetail {
        summary,
        transaction_ids: chain
            .into_iter()
            .filter(|id| domain::order::shown_transaction_id(id).is_some())
            .collect(),
        three_d_secure: order.three_d_secure,
        three_d_secure_outcome: three_d_secure_dto(&order, three_ds),
        status_meaning: domain::status_meaning(order.method, order.status)
            .map(|t| convert::text(&t)),
        authorized_at: order.authorized_at.map(convert::time),
        captured_at: order.captured_at.map(convert::time),
        operations: convert::availability(&order, now, pending.is_some()),
        history: history
            .iter()
            .map(|h| HistoryLineDto {
                at: convert::time(h.at),
                actor: convert::actor_to(h.actor),
                text: convert::text(&h.text),
            })
            .collect(),
        details: details.as_ref().map(convert::details),
        banner,
        pending_operation,
    })
}

/// The orders with this order number (the shop's own number; several orders may share
/// one): the command line names orders by it.
pub(crate) fn orders_with_number(cx: &Context, order_number: &str) -> Result<Vec<i64>, AppError> {
    let ids = cx.store().orders_by_number(order_number)?;
    Ok(ids.into_iter().map(|id| id.0).collect())
}

/// The order of a gateway payment ID, if PayDesk has it (the demo's sample data).
pub(crate) fn order_with_payment_id(
    cx: &Context,
    payment_id: &str,
) -> Result<Option<i64>, AppError> {
    let found = cx.store().order_by_payment_id(payment_id)?;
    Ok(found.map(|(id, _)| id.0))
}

/// Moves an order to another list (its payment is unchanged).
pub(crate) async fn move_order(
    cx: &Context,
    order_id: i64,
    list: OrderListCode,
) -> Result<OrderDetail, AppError> {
    let now = cx.now();
    cx.store()
        .move_to_list(domain::OrderId(order_id), convert::list_from(list), now)?;
    cx.orders_changed(&[order_id]);
    get_order(cx, order_id)
}

/// The shop owner's edit of the buyer's details: checked (every bad field named in
/// plain words, nothing saved then), saved, and recorded in the order's history.
pub(crate) async fn edit_buyer_details(
    cx: &Context,
    order_id: i64,
    input: dto::BuyerDetailsInput,
) -> Result<OrderDetail, AppError> {
    get_order(cx, order_id)?;
    let typed = domain::buyer::BuyerInput {
        name: input.name,
        kana: input.kana,
        email: input.email,
        phone: input.phone,
        postal_code: input.postal_code,
        address: [
            input.prefecture,
            input.city,
            input.address_line1,
            input.address_line2,
        ],
    };
    let details = domain::buyer::check_buyer(&typed).map_err(|problems| {
        let join = |ja: bool| {
            problems
                .iter()
                .map(|p| {
                    if ja {
                        p.reason.ja.as_str()
                    } else {
                        p.reason.en.as_str()
                    }
                })
                .collect::<Vec<_>>()
                .join(if ja { "" } else { " " })
        };
        AppError::of(ErrorCode::InvalidBuyerDetails).with_each("problems", join(true), join(false))
    })?;
    use domain::storefront::DetailField;
    let values = [
        (DetailField::BuyerName, details.name),
        (DetailField::BuyerNameKana, details.kana),
        (DetailField::BuyerEmail, details.email),
        (DetailField::BuyerPhone, details.phone),
        (DetailField::ShippingZip, details.postal_code),
        (
            DetailField::Address,
            store::imports::address_value(details.address),
        ),
    ];
    let now = cx.now();
    let changed = cx
        .store()
        .edit_buyer_details(domain::OrderId(order_id), &values, now)?;
    tracing::info!(order_id, fields = changed.len(), "buyer details edited");
    if !changed.is_empty() {
        cx.orders_changed(&[order_id]);
    }
    get_order(cx, order_id)
}

/// Hides the outside-change banner (the history keeps the lines).
pub(crate) async fn acknowledge_outside_change(
    cx: &Context,
    order_id: i64,
) -> Result<OrderDetail, AppError> {
    let now = cx.now();
    cx.store()
        .acknowledge_outside_change(domain::OrderId(order_id), now)?;
    cx.orders_changed(&[order_id]);
    get_order(cx, order_id)
}

pub(crate) fn deposit_dto(d: &domain::deposit::Deposit) -> DepositDto {
    DepositDto {
        received_on: d.received_on.format("%Y-%m-%d").to_string(),
        amount_yen: d.amount.map(|a| a.0),
    }
}
