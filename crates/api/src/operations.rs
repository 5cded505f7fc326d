//! Operations on an order: capture, cancel, full refund, partial refund, amount change.
//!
//! Layout: [`perform_operation`] checks every rule (`domain::check`) before anything is sent,
//! journals the operation, sends its telegram and settles the journal entry from the
//! answer. When no usable answer came (timeout, dropped connection), the entry is marked
//! unknown and settled with a 094 inquiry (`domain::settle`) before anything is resent:
//! already applied → recorded as success; not applied → sent once more with the same key;
//! in progress → left open for the background settler (`sync::run_settlements`);
//! conflict → the order adopts the gateway's state. "Not applied" is only concluded once
//! the telegram can no longer be in flight (`domain::settle_at`, the in-flight window):
//! a gateway may still carry out a telegram whose client gave up or died. [`settle_open_operations`] does the same at start for
//! entries a crash left open (never resending: a not-applied entry is closed as failed and
//! the shop owner decides).

use chrono::{DateTime, Utc};
use domain::journal::success_report;
use domain::{
    FailureCategory, Operation, OrderId, PendingOperation, Plan, RULES, Settlement, StatusReport,
    Successor, TelegramKind, settle_at,
};
use paygent_client::{Client, ClientError};
use paygent_codec::ErrorContext;
use paygent_codec::request::{
    CardAuthorizeCancel, CardCapture, CardCaptureCancel, CardRevisedAuthorize, CardRevisedCapture,
    PaidyAuthorizeCancel, PaidyCapture, PaidyRefund, PaymentInquiry, PaymentRef, Revision,
};
use paygent_codec::response::{PaymentInquiryResult, PaymentRecord};
use store::JournalOutcome;

use crate::ErrorCode;
use crate::context::Context;
use crate::dto::OrderDetail;
use crate::dto::events::DeskEvent;
use crate::dto::{OperationOutcomeCode, OperationRequest, OperationResult};
use crate::orders;
use crate::settings;
use crate::{AppError, Text, convert};

/// What one send produced.
pub(crate) enum Sent {
    /// The gateway accepted; a revision names its new payment.
    Accepted { new_payment_id: Option<String> },
    /// The gateway refused with a code.
    Refused(ClientError),
    /// It may or may not have happened: settle by inquiry.
    Unknown(ClientError),
    /// It provably never reached the gateway.
    NeverArrived(ClientError),
}

fn context(op: &Operation) -> ErrorContext {
    match op {
        Operation::Capture => ErrorContext::Capture,
        Operation::Cancel => ErrorContext::Cancel,
        Operation::FullRefund | Operation::PartialRefund(_) => ErrorContext::Refund,
        Operation::AmountChange(_) => ErrorContext::AmountChange,
    }
}

fn classify(e: ClientError) -> Sent {
    match &e {
        _ if e.outcome_unknown() => Sent::Unknown(e),
        ClientError::Gateway(g) => match FailureCategory::from_code(&g.response_code) {
            FailureCategory::OutcomeUnknownAtGateway | FailureCategory::NoResponse => {
                Sent::Unknown(e)
            }
            _ => Sent::Refused(e),
        },
        // An answer PayDesk cannot read may still mean the gateway did it.
        ClientError::MalformedResponse(_) => Sent::Unknown(e),
        _ => Sent::NeverArrived(e),
    }
}

/// Sends the plan's telegram.
pub(crate) async fn send(client: &Client, plan: &Plan) -> Sent {
    let target = || PaymentRef::by_payment_id(plan.payment_id.clone());
    let revised = |amount: Option<domain::Yen>| amount.unwrap_or(plan.expected_amount);
    let result: Result<Option<String>, ClientError> = match plan.telegram {
        TelegramKind::CardCapture => client.send(&CardCapture::new(target())).await.map(|_| None),
        TelegramKind::CardAuthorizeCancel => client
            .send(&CardAuthorizeCancel::new(target()))
            .await
            .map(|_| None),
        TelegramKind::CardCaptureCancel => client
            .send(&CardCaptureCancel::new(target()))
            .await
            .map(|_| None),
        TelegramKind::CardRevisedAuthorize => client
            .send(&CardRevisedAuthorize {
                target: target(),
                amount: revised(plan.request_amount),
                revision: Revision::NewTotal,
                base_cancel_timing: None,
            })
            .await
            .map(|r| Some(r.payment_id)),
        TelegramKind::CardRevisedCapture => client
            .send(&CardRevisedCapture {
                target: target(),
                amount: revised(plan.request_amount),
                revision: Revision::NewTotal,
                base_cancel_timing: None,
            })
            .await
            .map(|r| Some(r.payment_id)),
        TelegramKind::PaidyCapture => client
            .send(&PaidyCapture::new(target()))
            .await
            .map(|_| None),
        TelegramKind::PaidyAuthorizeCancel => client
            .send(&PaidyAuthorizeCancel::new(target()))
            .await
            .map(|_| None),
        TelegramKind::PaidyRefund => client
            .send(&PaidyRefund {
                target: target(),
                amount: plan.request_amount,
            })
            .await
            .map(|r| plan.creates_new_payment.then_some(r.payment_id)),
        other => {
            tracing::error!(telegram = %other, "plan names a telegram PayDesk does not send");
            return Sent::NeverArrived(ClientError::Config(format!(
                "telegram {other} is not an operation"
            )));
        }
    };
    match result {
        Ok(new_payment_id) => Sent::Accepted { new_payment_id },
        Err(e) => classify(e),
    }
}

/// A 094 answer as a status report.
pub(crate) fn report_from_inquiry(
    answer: PaymentInquiryResult,
    now: DateTime<Utc>,
) -> Option<StatusReport> {
    StatusReport::from_record(&record_from_inquiry(answer), now)
}

/// A 094 answer as a gateway record (without a notice id).
pub(crate) fn record_from_inquiry(answer: PaymentInquiryResult) -> PaymentRecord {
    PaymentRecord {
        payment_notice_id: String::new(),
        change_date: answer
            .fields
            .get("change_date")
            .cloned()
            .unwrap_or_default(),
        payment_id: answer.payment_id,
        trading_id: answer.trading_id,
        payment_type: answer.payment_type,
        payment_status: answer.payment_status,
        payment_amount: answer.payment_amount,
        fields: answer.fields,
    }
}

/// Asks the gateway about one payment.
pub(crate) async fn inquire(
    client: &Client,
    target: PaymentRef,
    now: DateTime<Utc>,
) -> Result<Option<StatusReport>, ClientError> {
    let answer = client
        .send(&PaymentInquiry {
            target,
            payment_type: None,
        })
        .await?;
    Ok(report_from_inquiry(answer, now))
}

/// How an inquiry settled an open entry.
enum Settled {
    Done(OperationOutcomeCode, Option<AppError>),
    /// Nothing happened at the gateway: the entry is pending again and may be resent.
    NotApplied,
    /// Still open (in progress, or the inquiry itself failed).
    Open(Option<AppError>),
}

/// Capture, cancel, full or partial refund, amount change: every rule is checked
/// before sending; the operation is journaled, sent, and settled by 094 after a
/// timeout. Refusals and gateway errors come back as `Err` with the code and the plain
/// explanation; an unknown outcome is `Ok` with outcome `unknown`.
pub(crate) async fn perform_operation(
    cx: &Context,
    order_id: i64,
    request: OperationRequest,
) -> Result<OperationResult, AppError> {
    let op = convert::operation_from(request.kind, request.amount_yen)?;
    let id = OrderId(order_id);
    let _one_at_a_time = cx.inner.operations.lock().await;
    let now = cx.now();
    let plan = {
        let store = cx.store();
        let order = store
            .get_order(id)?
            .ok_or_else(|| AppError::order_not_found(order_id))?;
        if store.pending_for_order(id)?.is_some() {
            return Err(AppError::from_refusal(&domain::Refusal::OperationUnsettled));
        }
        domain::check(&order, &op, now, &RULES).map_err(|r| AppError::from_refusal(&r))?
    };
    // Without credentials nothing is journaled: there is nothing to settle later.
    let client = settings::gateway(cx)?;
    let key = cx.store().journal_begin(id, &op, &plan, now)?;
    tracing::info!(order = order_id, key = %key.0, operation = op.kind().code(), telegram = %plan.telegram, "operation journaled");
    let mut resent = false;
    let (outcome, error) = loop {
        cx.store().journal_mark_sent(&key, cx.now())?;
        match send(&client, &plan).await {
            Sent::Accepted { new_payment_id } => {
                let now = cx.now();
                let mut store = cx.store();
                let order = store
                    .get_order(id)?
                    .ok_or_else(|| AppError::order_not_found(order_id))?;
                let pending = store.pending_for_order(id)?;
                match pending {
                    Some(p) if p.key == key => {
                        let report = success_report(&p, &order, new_payment_id.as_deref(), now);
                        store.journal_settle(&key, &JournalOutcome::Succeeded(report), now)?;
                    }
                    // A notification already confirmed it.
                    _ => {}
                }
                break (OperationOutcomeCode::Succeeded, None);
            }
            Sent::Refused(e) | Sent::NeverArrived(e) => {
                let error = AppError::from_client(&e, context(&op));
                tracing::warn!(order = order_id, key = %key.0, code = %error.code, "operation refused");
                cx.store().journal_settle(
                    &key,
                    &JournalOutcome::Failed {
                        code: error.code.clone(),
                    },
                    cx.now(),
                )?;
                break (OperationOutcomeCode::Failed, Some(error));
            }
            Sent::Unknown(e) => {
                tracing::warn!(order = order_id, key = %key.0, error = %e, "operation outcome unknown; inquiring");
                cx.store().journal_mark_unknown(&key)?;
                // No answer at all (timeout, dropped connection): the gateway may still
                // be carrying it out. An answer it could not complete (2008, E01xxx,
                // an unreadable body) means the telegram is no longer in flight.
                let in_flight = e.outcome_unknown();
                match settle_entry(cx, &client, &key, in_flight).await {
                    Settled::Done(outcome, error) => break (outcome, error),
                    Settled::NotApplied if !resent => {
                        tracing::info!(key = %key.0, "not applied; sending once more with the same key");
                        resent = true;
                        continue;
                    }
                    Settled::NotApplied => {
                        // The resend stopped part-way too: the payment may wait in a
                        // processing status for the retry (§5.3); the order shows it
                        // as its own operation's before the entry closes.
                        let parked = adopt_processing_status(cx, &client, id, &op).await;
                        // Parked for this operation, it is neither done nor refused:
                        // the gateway finishes it (or PayDesk's retry does) and sync
                        // settles the order, so nothing reads "could not" (§5.3).
                        let code = if parked {
                            domain::history::GATEWAY_PROCESSING
                        } else {
                            "not_applied"
                        };
                        cx.store().journal_settle(
                            &key,
                            &JournalOutcome::Failed { code: code.into() },
                            cx.now(),
                        )?;
                        if parked {
                            break (OperationOutcomeCode::Processing, None);
                        }
                        let error = AppError::from_client(&e, context(&op));
                        break (OperationOutcomeCode::Failed, Some(error));
                    }
                    Settled::Open(problem) => {
                        break (
                            OperationOutcomeCode::Unknown,
                            problem.or_else(|| Some(AppError::from_client(&e, context(&op)))),
                        );
                    }
                }
            }
        }
    };
    let result = operation_result(cx, order_id, op, outcome, error)?;
    cx.orders_changed(&[order_id]);
    cx.emit(DeskEvent::OperationFinished {
        result: Box::new(result.clone()),
    });
    Ok(result)
}

/// Adopts the payment's status when it is the processing status holding `op`
/// (`domain::PROCESSING_RULES`), while `op`'s entry is still open, so the order shows
/// it as PayDesk's own operation stopped part-way, not as an outside change.
/// Says whether the payment is parked for `op`.
async fn adopt_processing_status(
    cx: &Context,
    client: &Client,
    id: OrderId,
    op: &Operation,
) -> bool {
    let Ok(Some(order)) = cx.store().get_order(id) else {
        return false;
    };
    let now = cx.now();
    let report = match inquire(
        client,
        PaymentRef::by_payment_id(order.payment_id.clone()),
        now,
    )
    .await
    {
        Ok(Some(report)) => report,
        Ok(None) => return false,
        Err(e) => {
            tracing::info!(error = %e, "inquiry after a stopped operation failed");
            return false;
        }
    };
    let holds = domain::processing_rule(order.method, report.status).is_some_and(|r| {
        r.pending == op.kind()
            || (r.pending == domain::OperationKind::FullRefund
                && op.kind() == domain::OperationKind::PartialRefund)
    });
    if holds {
        let mode = settings::capture_mode_for_new(cx);
        if let Err(e) = cx.store().apply_notification(None, &report, mode, now) {
            tracing::warn!(error = %e, "processing status not stored");
        }
    }
    holds
}

fn operation_result(
    cx: &Context,
    order_id: i64,
    op: Operation,
    outcome: OperationOutcomeCode,
    error: Option<AppError>,
) -> Result<OperationResult, AppError> {
    let (ja, en) = operation_name(&op);
    let message = match outcome {
        OperationOutcomeCode::Succeeded => Text::new(
            &format!("{ja}が完了しました。"),
            &format!("{en} completed."),
        ),
        OperationOutcomeCode::Failed => Text::new(
            &format!("{ja}はペイジェントに受け付けられませんでした。"),
            &format!("Paygent did not accept the {}.", en.to_lowercase()),
        ),
        OperationOutcomeCode::Unknown => Text::new(
            &format!(
                "{ja}の結果をまだ確認できていません。PayDesk がペイジェントに確認を続けます。確認が終わるまで、この受注の操作はできません。"
            ),
            &format!(
                "The result of the {} is not confirmed yet. PayDesk keeps checking with Paygent; this order's operations are locked until then.",
                en.to_lowercase()
            ),
        ),
        OperationOutcomeCode::Processing => Text::new(
            &format!(
                "{ja}はペイジェントで処理中です。ペイジェントが処理を終えると、同期で結果が反映されます。"
            ),
            &format!(
                "The {} is being processed at Paygent. Sync will show the result once Paygent finishes it.",
                en.to_lowercase()
            ),
        ),
        OperationOutcomeCode::Conflict => Text::new(
            "決済が PayDesk の外で変更されていました。PayDesk はペイジェントの状態に合わせました。",
            "The payment had been changed outside PayDesk; PayDesk adopted the gateway's state.",
        ),
    };
    Ok(OperationResult {
        order_id,
        kind: convert::kind_to(op.kind()),
        outcome,
        message,
        error,
        order: orders::get_order(cx, order_id)?,
    })
}

/// Settles one open entry by inquiry (094 of the payment it named, and for revisions
/// a search for the successor). An entry a bulk-capture run owns is left to the run
/// (or its recovery), which settles it together with the run's item. `in_flight`:
/// the last send may still be carried out (see [`inquire_outcome`]).
async fn settle_entry(
    cx: &Context,
    client: &Client,
    key: &domain::OperationKey,
    in_flight: bool,
) -> Settled {
    let pending = {
        let store = cx.store();
        match store.bulk_item_open_for_key(key) {
            Ok(true) => return Settled::Open(None),
            Ok(false) => {}
            Err(e) => return Settled::Open(Some(e.into())),
        }
        match store.pending_journal() {
            Ok(all) => all.into_iter().find(|p| &p.key == key),
            Err(e) => return Settled::Open(Some(e.into())),
        }
    };
    let Some(pending) = pending else {
        // Settled meanwhile (a notification confirmed it).
        return Settled::Done(OperationOutcomeCode::Succeeded, None);
    };
    let outcome = match inquire_outcome(cx, client, &pending, in_flight).await {
        Ok(Some(outcome)) => outcome,
        Ok(None) => return Settled::Open(None),
        Err(e) => return Settled::Open(Some(e)),
    };
    let now = cx.now();
    let saved = cx.store().journal_settle(key, &outcome, now);
    if let Err(e) = saved {
        return Settled::Open(Some(e.into()));
    }
    match outcome {
        JournalOutcome::Succeeded(_) => Settled::Done(OperationOutcomeCode::Succeeded, None),
        JournalOutcome::NotApplied => Settled::NotApplied,
        _ => Settled::Done(OperationOutcomeCode::Conflict, None),
    }
}

/// Decides an open entry's outcome by inquiry, without writing anything: `Ok(None)`
/// while the gateway is still processing it (or the inquiry named no payment),
/// `Err` when the inquiry itself failed. `in_flight`: the last send got no answer (or
/// a crash left it), so "nothing happened" is only believed after the in-flight
/// window; `false` when the gateway answered.
pub(crate) async fn inquire_outcome(
    cx: &Context,
    client: &Client,
    pending: &PendingOperation,
    in_flight: bool,
) -> Result<Option<JournalOutcome>, AppError> {
    let key = &pending.key;
    let now = cx.now();
    let target = match inquire(
        client,
        PaymentRef::by_payment_id(pending.plan.payment_id.clone()),
        now,
    )
    .await
    {
        Ok(Some(report)) => report,
        Ok(None) => return Ok(None),
        Err(e) => {
            tracing::warn!(key = %key.0, error = %e, "settling inquiry failed");
            return Err(AppError::from_client(&e, ErrorContext::Inquiry));
        }
    };
    let successor_report = if pending.plan.creates_new_payment {
        find_successor(cx, client, pending, &target).await
    } else {
        None
    };
    let window = if in_flight {
        cx.inner.in_flight_window
    } else {
        chrono::TimeDelta::zero()
    };
    let successor = match &successor_report {
        Some(Some(report)) => Successor::Found(report),
        Some(None) => Successor::NoneFound,
        None if no_successor_recorded(cx, pending, window) => Successor::NoneFound,
        None => Successor::NotChecked,
    };
    let settlement = settle_at(pending, &target, successor, cx.now(), window);
    tracing::info!(key = %key.0, settlement = ?settlement, "operation settled by inquiry");
    let adopted = || match successor {
        Successor::Found(next) => next.clone(),
        _ => target.clone(),
    };
    Ok(match settlement {
        Settlement::AlreadyApplied => Some(JournalOutcome::Succeeded(adopted())),
        Settlement::NotApplied => Some(JournalOutcome::NotApplied),
        Settlement::InProgress => None,
        Settlement::Conflict => Some(JournalOutcome::Conflict(adopted())),
    })
}

/// For a revision whose successor the search by order number cannot name (after an
/// earlier amount change or partial refund the order number is shared, and Paygent
/// answers 13002): whether the records prove there is none. A new payment makes a
/// notification record when it is created, and applying that record settles the
/// entry (or moves the order to the new payment). So once a 091 round that began
/// after the telegram could last have been carried out (`sent_at` + `window`) took in
/// every record, an entry still open on an order still on the targeted payment made
/// no new payment. Without this, such an entry stayed open for good and locked the
/// order (issue 23, seeds 1592598631 and 1592599374).
fn no_successor_recorded(
    cx: &Context,
    pending: &PendingOperation,
    window: chrono::TimeDelta,
) -> bool {
    let Some(complete_at) = records_complete_at(cx) else {
        return false;
    };
    let done_by = pending.sent_at.map(|sent| sent + window);
    if done_by.is_some_and(|done| complete_at < done) {
        return false;
    }
    matches!(
        cx.store().get_order(pending.order_id),
        Ok(Some(order)) if order.payment_id == pending.plan.payment_id
    )
}

/// For a revision: the payment that replaced the target, if the gateway can say.
/// `Some(None)` = looked and there is none; `None` = cannot tell (the search by order
/// number matched several payments).
async fn find_successor(
    cx: &Context,
    client: &Client,
    pending: &PendingOperation,
    target: &StatusReport,
) -> Option<Option<StatusReport>> {
    if target.order_number.is_empty() {
        return None;
    }
    let now = cx.now();
    let by_order = PaymentRef {
        trading_id: Some(target.order_number.clone()),
        payment_id: None,
    };
    match inquire(client, by_order, now).await {
        Ok(Some(report)) if report.payment_id == pending.plan.payment_id => Some(None),
        Ok(Some(mut report)) => {
            report.base_payment_id = Some(pending.plan.payment_id.clone());
            Some(Some(report))
        }
        // Several payments share the order number (13002), or the inquiry failed: the
        // successor's notification will settle it.
        _ => None,
    }
}

/// At start: settles every entry a crash (or a lost answer) left open. Never resends:
/// an entry the gateway did not apply is closed as failed (`not_applied`), with a
/// history line, and the shop owner decides.
pub(crate) async fn settle_open_operations(cx: &Context) {
    let open = match cx.store().pending_journal() {
        Ok(open) => open,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the operation journal");
            return;
        }
    };
    if open.is_empty() {
        return;
    }
    let client = match settings::gateway(cx) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(code = %e.code, open = open.len(), "open operations wait for credentials");
            return;
        }
    };
    for pending in open {
        // After a crash nobody knows whether an answer came: assume none did.
        let settled = settle_entry(cx, &client, &pending.key, true).await;
        let outcome = match settled {
            Settled::NotApplied => {
                let closed = cx.store().journal_settle(
                    &pending.key,
                    &JournalOutcome::Failed {
                        code: "not_applied".into(),
                    },
                    cx.now(),
                );
                if let Err(e) = closed {
                    tracing::error!(error = %e, "cannot close a journal entry");
                    continue;
                }
                OperationOutcomeCode::Failed
            }
            Settled::Done(outcome, _) => outcome,
            Settled::Open(_) => continue,
        };
        let order_id = pending.order_id.0;
        cx.orders_changed(&[order_id]);
        let error = (outcome == OperationOutcomeCode::Failed)
            .then(|| AppError::from(AppError::of(ErrorCode::NotApplied)));
        if let Ok(result) = operation_result(cx, order_id, pending.operation, outcome, error) {
            cx.emit(DeskEvent::OperationFinished {
                result: Box::new(result),
            });
        }
    }
}

/// Asks the gateway (094) about one order and applies the answer like a notification.
pub(crate) async fn refresh_order_by_inquiry(cx: &Context, order_id: i64) -> Result<(), AppError> {
    let id = OrderId(order_id);
    let order = cx
        .store()
        .get_order(id)?
        .ok_or_else(|| AppError::order_not_found(order_id))?;
    if domain::order::shown_transaction_id(&order.payment_id).is_none() {
        return Err(AppError::of(ErrorCode::NoTransaction).into());
    }
    let client = settings::gateway(cx)?;
    let now = cx.now();
    let answer = client
        .send(&PaymentInquiry {
            target: PaymentRef::by_payment_id(order.payment_id),
            payment_type: None,
        })
        .await
        .map_err(|e| AppError::from_client(&e, ErrorContext::Inquiry))?;
    let record = record_from_inquiry(answer);
    if let Some(report) = StatusReport::from_record(&record, now) {
        let mode = settings::capture_mode_for_new(cx);
        let mut store = cx.store();
        store.apply_notification(None, &report, mode, cx.now())?;
        if let Some(outcome) = domain::outcome_of_record(&record) {
            store.record_three_d_secure(&report.payment_id, outcome)?;
        }
    }
    // An entry left open can often be settled now too.
    let pending = cx.store().pending_for_order(id)?;
    if let Some(p) = pending {
        settle_entry(cx, &client, &p.key, true).await;
    }
    cx.orders_changed(&[order_id]);
    Ok(())
}

fn operation_name(op: &Operation) -> (&'static str, &'static str) {
    match op {
        Operation::Capture => ("売上確定", "Capture"),
        Operation::Cancel => ("キャンセル", "Cancel"),
        Operation::FullRefund => ("全額返金", "Full refund"),
        Operation::PartialRefund(_) => ("一部返金", "Partial refund"),
        Operation::AmountChange(_) => {
            ("金額変更（取引更新）", "Amount change (transaction update)")
        }
    }
}

/// See [`crate::sync_state::Liveness::records_complete_at`].
pub(crate) fn records_complete_at(cx: &Context) -> Option<DateTime<Utc>> {
    cx.inner.sync.live().records_complete_at
}

/// Asks the gateway (094) for the order's current state and adopts it.
pub(crate) async fn refresh_order(cx: &Context, order_id: i64) -> Result<OrderDetail, AppError> {
    refresh_order_by_inquiry(cx, order_id).await?;
    orders::get_order(cx, order_id)
}
