//! The shop's mails about one order (issue 20, point 5): the shipping notice (carrier,
//! tracking number, the carrier's tracking link) and the order confirmation (items and
//! amounts as the store has them now), for one order or a selection.
//!
//! Layout: texts (built-in or the shop's edit, checked like the reminders'); the values of
//! one order and the per-order refusals ([`prepare_order_mail`]); preview; send. A
//! mail goes through the one mail queue and its sender (`mailing`), so it has the send log,
//! the retries and the queue's claim; a sent one writes one history line on its order in
//! the transaction that records it. "Never twice by accident": an order that got the mail
//! (or whose earlier attempt stopped mid-send) is reported and sent again only with the
//! shop's confirmation (`resend`), which names that the buyer gets a second mail.

use domain::deposit::held_amount;
use domain::history::{JAPAN, yen};
use domain::order_mail::{self, OrderMailKind};
use domain::{Order, OrderId, Yen};
use mail::Language;
use mail::order_mail::OrderValues;
use store::{MailPurpose, MailState, NewMail, OrderMailQueued};

use crate::ErrorCode;
use crate::context::Context;
use crate::dto::order_mail::{
    OrderMailKindCode, OrderMailOutcomeCode, OrderMailPreview, OrderMailPreviews, OrderMailReport,
    OrderMailRequest, OrderMailResult,
};
use crate::mailing;
use crate::mailing::{failed_mail_error, keys, smtp_not_configured};
use crate::templates;
use crate::templates::template_error;
use crate::{AppError, Text, convert};

pub(crate) fn kind_of(code: OrderMailKindCode) -> OrderMailKind {
    match code {
        OrderMailKindCode::ShippingNotice => OrderMailKind::ShippingNotice,
        OrderMailKindCode::OrderConfirmation => OrderMailKind::OrderConfirmation,
    }
}

/// A mail ready to queue for one order.
struct Prepared {
    order_number: String,
    mail: NewMail,
}

/// One order's mail, or its name and why it cannot have it.
type Preparation = Result<Prepared, (String, AppError)>;

/// An order as the shop knows it: its number, else its transaction ID.
fn order_name(order: &Order) -> String {
    if order.order_number.is_empty() {
        order.payment_id.clone()
    } else {
        order.order_number.clone()
    }
}

/// The items as the buyer reads them, one per line, then the shipping fee's and each
/// change's line so the lines add up to what the payment holds (as the documents do).
fn items_text(
    order: &Order,
    details: Option<&store::OrderDetails>,
    language: Language,
) -> (String, Yen) {
    let mut lines = Vec::new();
    let mut sold = 0i64;
    let shipping = details.and_then(|d| d.order_shipping).unwrap_or(Yen(0));
    for i in details.map(|d| d.items.as_slice()).unwrap_or_default() {
        let amount = i.unit_price.0 * i.quantity;
        sold += amount;
        lines.push(match language {
            Language::Ja => format!("・{} × {}　{}", i.title, i.quantity, yen(Yen(amount))),
            Language::En => format!("- {} x {}  {}", i.title, i.quantity, yen(Yen(amount))),
        });
    }
    if lines.is_empty() {
        // Known only from the gateway: one line of what was sold.
        let whole = if domain::deposit::is_captured(order) {
            order.captured_amount
        } else {
            order.amount
        };
        sold = whole.0 - shipping.0;
        lines.push(match language {
            Language::Ja => format!("・ご注文代金　{}", yen(Yen(sold))),
            Language::En => format!("- Your order  {}", yen(Yen(sold))),
        });
    }
    sold += shipping.0;
    let held = held_amount(order);
    if order.refunded_amount.0 > 0 {
        lines.push(match language {
            Language::Ja => format!("・返金　{}", yen(Yen(-order.refunded_amount.0))),
            Language::En => format!("- Refund  {}", yen(Yen(-order.refunded_amount.0))),
        });
    }
    let rest = held.0 - (sold - order.refunded_amount.0);
    if rest != 0 {
        lines.push(match language {
            Language::Ja => format!("・金額変更　{}", yen(Yen(rest))),
            Language::En => format!("- Amount changed  {}", yen(Yen(rest))),
        });
    }
    (lines.join("\n"), shipping)
}

// -----------------------------------------------------------------------------------
// One order.

/// The mail for one order, filled in, or why this order cannot have it.
fn prepare_order_mail(
    cx: &Context,
    kind: OrderMailKind,
    order_id: i64,
) -> Result<Preparation, AppError> {
    let language = mailing::mail_language(cx);
    let (template, _) = templates::template_of(cx, kind.into(), language)?;
    let store = cx.store();
    let order = store
        .get_order(OrderId(order_id))?
        .ok_or_else(|| AppError::order_not_found(order_id))?;
    let name = order_name(&order);
    let details = store.order_details(OrderId(order_id))?;
    let shipments = store.shipments(OrderId(order_id))?;
    let to = details
        .as_ref()
        .and_then(|d| d.buyer_email.clone())
        .or_else(|| order.buyer_email.clone())
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty());
    if let Some(why) = order_mail::refusal(kind, &order, to.as_deref(), !shipments.is_empty()) {
        return Ok(Err((
            name,
            AppError::of(ErrorCode::OrderMailRefused)
                .with_text("reason", &convert::text(&why))
                .into(),
        )));
    }
    let (items, shipping) = items_text(&order, details.as_ref(), language);
    let ordered = order.ordered_at.with_timezone(&JAPAN);
    let pick = |t: domain::Text| match language {
        Language::Ja => t.ja,
        Language::En => t.en,
    };
    let mut carriers: Vec<String> = Vec::new();
    for s in &shipments {
        let n = pick(s.carrier.name());
        if !carriers.contains(&n) {
            carriers.push(n);
        }
    }
    let values = OrderValues {
        buyer_name: details
            .as_ref()
            .and_then(|d| d.buyer_name.clone())
            .or_else(|| order.buyer_name.clone())
            .unwrap_or_default(),
        order_number: order.order_number.clone(),
        order_date: match language {
            Language::Ja => ordered.format("%Y年%-m月%-d日").to_string(),
            Language::En => ordered.format("%Y-%m-%d").to_string(),
        },
        payment_method: pick(match order.method {
            domain::PaymentMethod::Card => domain::Text::new("クレジットカード", "Credit card"),
            domain::PaymentMethod::Paidy => {
                domain::Text::new("あと払い（ペイディ）", "Paidy (pay later)")
            }
        }),
        items,
        shipping_fee: yen(shipping),
        total: yen(held_amount(&order)),
        carrier: carriers.join(match language {
            Language::Ja => "、",
            Language::En => ", ",
        }),
        tracking_number: shipments
            .iter()
            .map(|s| s.tracking_number.clone())
            .collect::<Vec<_>>()
            .join("\n"),
        tracking_url: shipments
            .iter()
            .map(|s| s.carrier.tracking_url(&s.tracking_number))
            .collect::<Vec<_>>()
            .join("\n"),
        shop_name: store
            .setting(crate::settings::keys::SHOP_NAME)?
            .unwrap_or_default()
            .trim()
            .to_owned(),
        shop_contact: store
            .setting(keys::SHOP_CONTACT)?
            .unwrap_or_default()
            .trim()
            .to_owned(),
    };
    drop(store);
    let rendered = match mail::order_mail::render(&template, kind, &values) {
        Ok(r) => r,
        Err(e) => return Ok(Err((name, template_error(&e)))),
    };
    let Some(to) = to else {
        return Err(AppError::internal(
            ErrorCode::OrderMail,
            "no address after the check",
        ));
    };
    Ok(Ok(Prepared {
        order_number: name,
        mail: NewMail {
            purpose: MailPurpose::Order(OrderId(order_id), kind),
            customer_id: None,
            subscription: None,
            card_expiry: None,
            to,
            subject: rendered.subject,
            body: rendered.body,
        },
    }))
}

/// The selection without repeats, in the order given.
fn distinct(ids: &[i64]) -> Vec<i64> {
    let mut seen = std::collections::HashSet::new();
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}

/// When this order got this mail, and whether an attempt stopped mid-send.
fn order_mail_state(
    cx: &Context,
    order_id: i64,
    kind: OrderMailKind,
) -> Result<(Option<chrono::DateTime<chrono::Utc>>, bool), AppError> {
    let mails = cx.store().order_mails(OrderId(order_id))?;
    let mine = mails
        .iter()
        .filter(|m| matches!(m.mail.purpose, MailPurpose::Order(_, k) if k == kind));
    let mut sent = None;
    let mut maybe = false;
    for m in mine {
        match m.state {
            MailState::Sent => sent = sent.max(m.sent_at),
            MailState::Failed => maybe |= m.may_have_been_sent(),
            _ => {}
        }
    }
    Ok((sent, maybe))
}

/// Each order's mail as the buyer will get it (the shop's text filled in), or why that
/// order cannot have it; and whether mail can go out now.
pub(crate) async fn preview_order_mails(
    cx: &Context,
    request: OrderMailRequest,
) -> Result<OrderMailPreviews, AppError> {
    let kind = kind_of(request.kind);
    let mut previews = Vec::new();
    for id in distinct(&request.order_ids) {
        let (sent, maybe_sent) = order_mail_state(cx, id, kind)?;
        let already_sent_at = sent.map(convert::time);
        previews.push(match prepare_order_mail(cx, kind, id)? {
            Ok(p) => OrderMailPreview {
                order_id: id,
                order_number: p.order_number,
                to: Some(p.mail.to),
                subject: Some(p.mail.subject),
                body: Some(p.mail.body),
                refused: None,
                already_sent_at,
                maybe_sent,
            },
            Err((order_number, why)) => OrderMailPreview {
                order_id: id,
                order_number,
                to: None,
                subject: None,
                body: None,
                refused: Some(why),
                already_sent_at,
                maybe_sent,
            },
        });
    }
    Ok(OrderMailPreviews {
        kind: request.kind,
        previews,
        readiness: mailing::mail_readiness(cx)?,
    })
}

/// Sends the mail to each order's buyer through the shop's SMTP server, and reports per
/// order: sent, failed (kept in the queue with the error), refused and why, or sent
/// before (sent again only with `resend`). Nothing is queued when SMTP is not set up.
pub(crate) async fn send_order_mails(
    cx: &Context,
    request: OrderMailRequest,
) -> Result<OrderMailReport, AppError> {
    let kind = kind_of(request.kind);
    if !mailing::mail_readiness(cx)?.configured {
        return Err(smtp_not_configured());
    }
    let name = kind.name();
    let mut results = Vec::new();
    let mut queued = Vec::new();
    let now = cx.now();
    for id in distinct(&request.order_ids) {
        let prepared = match prepare_order_mail(cx, kind, id)? {
            Ok(p) => p,
            Err((order_number, why)) => {
                results.push(OrderMailResult {
                    order_id: id,
                    order_number,
                    outcome: OrderMailOutcomeCode::Refused,
                    message: why.message,
                    to: None,
                    mail_id: None,
                });
                continue;
            }
        };
        let outcome = cx
            .store()
            .queue_order_mail(&prepared.mail, request.resend, now)?;
        let to = Some(prepared.mail.to.clone());
        let line = |outcome, message, mail_id| OrderMailResult {
            order_id: id,
            order_number: prepared.order_number.clone(),
            outcome,
            message,
            to: to.clone(),
            mail_id,
        };
        match outcome {
            OrderMailQueued::Queued(mail) => {
                queued.push((results.len(), mail));
                results.push(line(
                    OrderMailOutcomeCode::Waiting,
                    Text::new("送信待ちです。", "Waiting to be sent."),
                    Some(mail.0),
                ));
            }
            OrderMailQueued::AlreadySent(at) => results.push(line(
                OrderMailOutcomeCode::AlreadySent,
                Text::new(
                    &format!(
                        "{}は{}に送信済みです。もう一度送ると、購入者に2通目が届きます。",
                        name.ja,
                        domain::history::jst(at)
                    ),
                    &format!(
                        "The {} was sent on {}. Sending it again sends the buyer a second mail.",
                        name.en,
                        domain::history::jst(at)
                    ),
                ),
                None,
            )),
            OrderMailQueued::MaybeSent(mail) => results.push(line(
                OrderMailOutcomeCode::MaybeSent,
                Text::new(
                    &format!(
                        "前回の{}の送信が途中で止まったため、購入者に届いている可能性があります。もう一度送ると、2通目が届くことがあります。",
                        name.ja
                    ),
                    &format!(
                        "The last attempt to send the {} stopped midway, so the buyer may have it. Sending it again may send a second mail.",
                        name.en
                    ),
                ),
                Some(mail.0),
            )),
            OrderMailQueued::Waiting(mail) => results.push(line(
                OrderMailOutcomeCode::AlreadyWaiting,
                Text::new(
                    &format!("同じ{}がすでに送信待ちです。", name.ja),
                    &format!("The same {} is already waiting to be sent.", name.en),
                ),
                Some(mail.0),
            )),
        }
    }
    if !queued.is_empty() {
        cx.emit(crate::dto::events::DeskEvent::MailQueueChanged {});
    }
    // Sent at once, so the report says what really happened to each mail.
    let run = if queued.is_empty() {
        None
    } else {
        Some(mailing::send_mail_queue(cx).await)
    };
    let mut problem = None;
    for (index, mail) in &queued {
        let state = cx.store().mail(*mail)?;
        let r = &mut results[*index];
        match state {
            Some(m) if m.state == MailState::Sent => {
                r.outcome = OrderMailOutcomeCode::Sent;
                r.message = Text::new(
                    &format!("{}を {} に送信しました。", name.ja, m.mail.to),
                    &format!("The {} was sent to {}.", name.en, m.mail.to),
                );
            }
            Some(m) if m.state == MailState::Failed => {
                let error = m
                    .last_error
                    .as_deref()
                    .map(failed_mail_error)
                    .unwrap_or_else(smtp_not_configured);
                r.outcome = OrderMailOutcomeCode::Failed;
                r.message = Text::new(
                    &format!(
                        "送信できませんでした（送信待ちに残り、あとで再送されます）: {}",
                        error.message.ja
                    ),
                    &format!(
                        "Not sent (it stays in the queue and is retried): {}",
                        error.message.en
                    ),
                );
                problem.get_or_insert(error);
            }
            _ => {}
        }
    }
    let count = |o: OrderMailOutcomeCode| {
        u32::try_from(results.iter().filter(|r| r.outcome == o).count()).unwrap_or(u32::MAX)
    };
    let sent = count(OrderMailOutcomeCode::Sent);
    let failed = count(OrderMailOutcomeCode::Failed);
    let waiting = count(OrderMailOutcomeCode::Waiting);
    let refused = count(OrderMailOutcomeCode::Refused);
    let needs_confirmation =
        count(OrderMailOutcomeCode::AlreadySent) + count(OrderMailOutcomeCode::MaybeSent);
    if problem.is_none() && waiting > 0 {
        problem = run.and_then(|r| r.problem);
    }
    let changed: Vec<i64> = results
        .iter()
        .filter(|r| r.outcome == OrderMailOutcomeCode::Sent)
        .map(|r| r.order_id)
        .collect();
    cx.orders_changed(&changed);
    tracing::info!(
        kind = kind.code(),
        sent,
        failed,
        waiting,
        refused,
        needs_confirmation,
        "order mails"
    );
    let summary = Text::new(
        &format!(
            "{}: 送信 {sent}件、失敗 {failed}件、送信待ち {waiting}件、送れない注文 {refused}件、送信済みのため未送信 {needs_confirmation}件",
            name.ja
        ),
        &format!(
            "{}: {sent} sent, {failed} failed, {waiting} waiting, {refused} refused, {needs_confirmation} not sent again (sent before)",
            capitalized(&name.en)
        ),
    );
    Ok(OrderMailReport {
        kind: request.kind,
        results,
        sent,
        failed,
        waiting,
        refused,
        needs_confirmation,
        problem,
        summary,
    })
}

/// An order's mails (every kind and state), newest first: its send log.
pub(crate) async fn order_mail_log(
    cx: &Context,
    order_id: i64,
) -> Result<Vec<crate::dto::subscriptions::QueuedMailDto>, AppError> {
    Ok(cx
        .store()
        .order_mails(OrderId(order_id))?
        .iter()
        .map(crate::mailing::mail_dto)
        .collect())
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
