//! Bulk capture (売上確定一括処理): the unprocessed list, the confirmation, a run with
//! bounded concurrency, its logs, and the settling at start of runs a crash left open.
//!
//! Layout: [`bulk_unprocessed`] / [`bulk_select_all`] page the list
//! (`store::Store::unprocessed_list`); [`bulk_confirm`] is `bulk_candidates` →
//! `domain::bulk::validate_selection` → [`BulkConfirmation`]; [`bulk_start`] (the
//! window: returns at once, progress comes as events) and [`bulk_capture`] (the
//! command line: waits) journal the run (`begin_run`) and hand it to `execute`, whose
//! workers (at most `RULES.bulk_capture_concurrency`) take the orders in selection order;
//! `capture_item` is one order's pipeline; [`recover_bulk_runs`] settles the runs a
//! crash left open. [`bulk_operation_log`] and [`bulk_run_detail`] read the logs.
//!
//! One order's pipeline, each step written down before the next one happens:
//! 1. read the order again and `domain::check` it (captured, cancelled or past its deadline
//!    meanwhile → skipped, nothing sent);
//! 2. `journal_begin` (an open operation on the order → skipped with `operation_unsettled`)
//!    and link the journal key to the run's item;
//! 3. the item in flight (`record_item_result`), then `journal_mark_sent`, then the capture
//!    (022 for cards, 341 for Paidy, `operations::send`);
//! 4. the answer goes through `domain::bulk::next_action`: done, back off and resend with
//!    the same key (busy answers), inquire with 094 (`operations::inquire_outcome`, the same
//!    decision as single operations), leave it for the next start, or stop the run on a
//!    credentials error (the orders not yet sent are skipped with a per-run message);
//! 5. the settled item and the order's journal entry are written in one transaction
//!    (`store::Store::settle_item`): the order gets exactly one line about it (the
//!    detailed-log line), never a second "operation failed" line.
//!
//! Invariants: nothing here resends a capture whose outcome is unknown before a 094 inquiry
//! said it did not happen; recovery never sends a capture; a journal entry a run owns is
//! settled by the run or its recovery only (`settle_entry` leaves it alone); one run at a
//! time per process.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, TimeDelta, Utc};
use domain::bulk::{
    Action, Eligibility, Ineligible, ItemState, Outcome, Progress, RequestedBy, RunId, RunPlan,
    RunState, SelectionError, SkipReason, needs_inquiry, recover_item, run_summary, stop_message,
    validate_selection,
};
use domain::journal::success_report;
use domain::{
    FailureCategory, Operation, OperationKey, OrderId, PaymentStatus, RULES, Refusal, Settlement,
    check,
};
use paygent_client::{Client, ClientError};
use paygent_codec::request::PaymentRef;
use paygent_codec::{ErrorContext, explain_with_detail};
use store::{ItemStatus, JournalOutcome, RunEnd, RunStatus};

use crate::ErrorCode;
use crate::context::Context;
use crate::dto::bulk::{
    BulkConfirmation, BulkFailure, BulkItem, BulkItemStatusCode, BulkOperationLog,
    BulkPlannedOrder, BulkProgress, BulkRefusedOrder, BulkRunDetail, BulkRunStatusCode,
    BulkRunSummary, BulkSelectAll, EligibilityCode, UnprocessedPage, UnprocessedQuery,
    UnprocessedRow,
};
use crate::dto::events::DeskEvent;
use crate::operations;
use crate::operations::{Sent, inquire, send};
use crate::settings;
use crate::{AppError, Text, convert};

/// Rows per page when the UI does not say.
const DEFAULT_PAGE_SIZE: u32 = 50;
/// The most rows one page may ask for.
const MAX_PAGE_SIZE: u32 = 500;

/// The journal code an item's capture entry closes with when the run skipped it after the
/// entry was written (the run stopped, or the app closed before it was sent).
const JOURNAL_RUN_STOPPED: &str = "run_stopped";
const JOURNAL_INTERRUPTED: &str = "interrupted";

/// Clears the active run when the run ends, however it ends.
struct ActiveRun<'a>(&'a crate::context::BulkShared);

impl Drop for ActiveRun<'_> {
    fn drop(&mut self) {
        *self.0.active.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

/// One run being executed.
struct RunCtx {
    run: RunId,
    client: Client,
    /// The orders in selection order (the workers take them in turn).
    queue: Vec<OrderId>,
    next: AtomicUsize,
    state: Mutex<RunState>,
    /// Each item's journal key, once written (a stop closes the entries of skipped items).
    keys: Mutex<HashMap<OrderId, OperationKey>>,
}

impl RunCtx {
    fn state(&self) -> std::sync::MutexGuard<'_, RunState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn key(&self, id: OrderId) -> Option<OperationKey> {
        self.keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .cloned()
    }
}

fn not_found(run_id: i64) -> AppError {
    AppError::of(ErrorCode::BulkRunNotFound)
        .with("run", run_id)
        .with("kept", RULES.operation_log_runs)
        .into()
}

fn run_in_progress() -> AppError {
    AppError::of(ErrorCode::BulkRunInProgress).into()
}

fn selection_error(e: &SelectionError) -> AppError {
    AppError::foreign(e.code(), convert::text(&e.message()), None)
}

fn ids_of(order_ids: &[i64]) -> Vec<OrderId> {
    order_ids.iter().copied().map(OrderId).collect()
}

/// The gateway's answer (or the client's failure) as an outcome the rules understand.
fn error_outcome(e: &ClientError) -> Outcome {
    let explanation = e.explain(ErrorContext::Capture);
    let detail = match e {
        ClientError::Gateway(g) if !g.response_detail.is_empty() => Some(g.response_detail.clone()),
        _ => None,
    };
    Outcome::Error {
        code: explanation.code,
        detail,
    }
}

fn settlement_of(outcome: Option<&JournalOutcome>) -> Settlement {
    match outcome {
        Some(JournalOutcome::Succeeded(_)) => Settlement::AlreadyApplied,
        Some(JournalOutcome::NotApplied | JournalOutcome::Failed { .. }) => Settlement::NotApplied,
        Some(JournalOutcome::Conflict(_)) => Settlement::Conflict,
        None => Settlement::InProgress,
    }
}

fn wait_of(delta: TimeDelta, divisor: u32) -> std::time::Duration {
    delta.to_std().unwrap_or_default() / divisor.max(1)
}

// --- DTOs ---------------------------------------------------------------------------------

fn progress_dto(p: &Progress) -> BulkProgress {
    let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    BulkProgress {
        total: n(p.total),
        succeeded: n(p.succeeded),
        failed: n(p.failed),
        skipped: n(p.skipped),
        open: n(p.open),
        captured_yen: p.captured_yen.0,
    }
}

fn run_status(s: RunStatus) -> BulkRunStatusCode {
    match s {
        RunStatus::Running => BulkRunStatusCode::Running,
        RunStatus::Finished => BulkRunStatusCode::Finished,
        RunStatus::Interrupted => BulkRunStatusCode::Interrupted,
        RunStatus::Settled => BulkRunStatusCode::Settled,
    }
}

fn item_status(s: ItemStatus) -> BulkItemStatusCode {
    match s {
        ItemStatus::Pending => BulkItemStatusCode::Pending,
        ItemStatus::InFlight => BulkItemStatusCode::InFlight,
        ItemStatus::Unknown => BulkItemStatusCode::Unknown,
        ItemStatus::Succeeded => BulkItemStatusCode::Succeeded,
        ItemStatus::Failed => BulkItemStatusCode::Failed,
        ItemStatus::Skipped => BulkItemStatusCode::Skipped,
    }
}

fn explanation(code: &str, detail: Option<&str>) -> paygent_codec::Explanation {
    explain_with_detail(code, detail, ErrorContext::Capture)
}

pub(crate) fn summary_dto(s: &store::RunSummary) -> BulkRunSummary {
    let progress = Progress {
        total: s.item_count as usize,
        succeeded: s.succeeded as usize,
        failed: s.failed as usize,
        skipped: s.skipped as usize,
        open: s.open as usize,
        captured_yen: s.captured_amount,
    };
    // "Being confirmed" only where an outcome is really unknown: answers lost while
    // running, or every open order of a run that was cut off. Orders merely waiting
    // their turn in a normal run are not (it read like a failure, issue 15).
    let unknown = match s.status {
        RunStatus::Interrupted => s.open,
        _ => s.unknown,
    };
    let message = match (&s.stop_code, s.status) {
        (Some(code), _) => Some(convert::text(&stop_message(code, progress.succeeded))),
        (None, RunStatus::Interrupted | RunStatus::Running) if unknown > 0 => Some(Text::new(
            &format!(
                "{unknown}件の注文の結果をペイジェントに確認中です。二重に売上確定しないよう再送はせず、照会して確定します。"
            ),
            &format!(
                "The result of {unknown} orders is still being confirmed with Paygent. They are not resent (no double capture); PayDesk settles them by inquiry."
            ),
        )),
        _ => None,
    };
    BulkRunSummary {
        run_id: s.id.0,
        started_at: convert::time(s.started_at),
        finished_at: s.finished_at.map(convert::time),
        status: run_status(s.status),
        requested_by: s.requested_by.code().to_owned(),
        progress: progress_dto(&progress),
        total_yen: s.total_amount.0,
        stop_code: s.stop_code.clone(),
        summary: convert::text(&run_summary(&progress)),
        message,
    }
}

fn item_dto(i: &store::RunItemRow) -> BulkItem {
    let explanation = match (i.status, &i.error_code) {
        (ItemStatus::Failed, Some(code)) => {
            let e = explanation(code, i.error_detail.as_deref());
            Some(Text::new(&e.ja, &e.en))
        }
        _ => None,
    };
    BulkItem {
        order_id: i.order_id.0,
        position: i.position,
        order_number: i.order_number.clone(),
        transaction_id: i.payment_id.clone(),
        amount_yen: i.amount.0,
        status: item_status(i.status),
        attempts: i.attempts,
        error_code: i.error_code.clone(),
        error_detail: i.error_detail.clone(),
        skip_reason: i.skip_reason.clone(),
        line: i.line.as_ref().map(convert::text),
        explanation,
        settled_at: i.settled_at.map(convert::time),
    }
}

fn detail_dto(d: &store::RunDetail) -> BulkRunDetail {
    BulkRunDetail {
        summary: summary_dto(&d.summary),
        items: d.items.iter().map(item_dto).collect(),
        left_out: Vec::new(),
    }
}

fn failure_dto(f: &store::LastFailure) -> BulkFailure {
    let e = explanation(&f.code, f.detail.as_deref());
    BulkFailure {
        run_id: f.run.0,
        code: f.code.clone(),
        detail: f.detail.clone(),
        line: convert::text(&f.line),
        message: Text::new(&e.ja, &e.en),
        action: Some(Text::new(&e.action_ja, &e.action_en)),
        at: convert::time(f.at),
    }
}

fn row_dto(r: &store::UnprocessedRow, now: DateTime<Utc>) -> UnprocessedRow {
    let (eligibility, reason, auto_capture_at) = match &r.eligibility {
        Eligibility::Selectable => (EligibilityCode::Selectable, None, None),
        Eligibility::WaitingForAutoCapture(due) => (
            EligibilityCode::WaitingForAutoCapture,
            Some(Ineligible::AutomaticCapture { due: *due }),
            Some(convert::time(*due)),
        ),
        Eligibility::NotEligible(why) => (EligibilityCode::NotSelectable, Some(why.clone()), None),
    };
    UnprocessedRow {
        order: convert::summary(r.row.id.0, &r.row.order, now, r.operation_unsettled),
        eligibility,
        reason_code: reason.as_ref().map(|w| w.code().to_owned()),
        reason: reason.as_ref().map(|w| convert::text(&w.message())),
        auto_capture_at,
        last_failure: r.last_failure.as_ref().map(failure_dto),
    }
}

fn refused_dto(r: &domain::bulk::RefusedOrder) -> BulkRefusedOrder {
    BulkRefusedOrder {
        order_id: r.id.0,
        order_number: r.order_number.clone(),
        code: r.reason.code().to_owned(),
        message: convert::text(&r.reason.message()),
    }
}

fn store_query(q: &UnprocessedQuery, now: DateTime<Utc>) -> store::UnprocessedQuery {
    store::UnprocessedQuery {
        method: q.method.map(|m| match m {
            crate::dto::PaymentMethodCode::Card => domain::PaymentMethod::Card,
            crate::dto::PaymentMethodCode::Paidy => domain::PaymentMethod::Paidy,
        }),
        list: q.list.map(convert::list_from),
        selectable_only: q.selectable_only,
        failed_only: q.failed_only,
        shipped_only: q.shipped_only,
        search: q
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        page: q.page,
        page_size: match q.page_size {
            0 => DEFAULT_PAGE_SIZE,
            n => n.min(MAX_PAGE_SIZE),
        },
        now,
    }
}

fn max_orders() -> u32 {
    u32::try_from(RULES.bulk_capture_max_orders).unwrap_or(u32::MAX)
}

// --- The unprocessed list and the confirmation ------------------------------------

/// One page of the unprocessed list (未処理一覧): authorized orders in every workflow
/// list, for the window from payment; authorize-and-capture ones flagged as waiting for
/// their automatic capture; each with its newest bulk failure.
pub(crate) async fn bulk_unprocessed(
    cx: &Context,
    query: UnprocessedQuery,
) -> Result<UnprocessedPage, AppError> {
    let now = cx.now();
    let page = cx.store().unprocessed_list(&store_query(&query, now))?;
    Ok(UnprocessedPage {
        items: page.items.iter().map(|r| row_dto(r, now)).collect(),
        total: u32::try_from(page.total).unwrap_or(u32::MAX),
        page: page.page,
        page_size: page.page_size,
        max_orders: max_orders(),
    })
}

/// "Select all": the selectable orders matching the query's filters and search, on
/// every page, at most one run's worth.
pub(crate) async fn bulk_select_all(
    cx: &Context,
    query: UnprocessedQuery,
) -> Result<BulkSelectAll, AppError> {
    let now = cx.now();
    let max = RULES.bulk_capture_max_orders;
    let mut ids = cx
        .store()
        .unprocessed_selectable_ids(&store_query(&query, now), max + 1)?;
    let more = ids.len() > max;
    ids.truncate(max);
    Ok(BulkSelectAll {
        order_ids: ids.into_iter().map(|i| i.0).collect(),
        more,
        max_orders: max_orders(),
    })
}

fn plan_selection(
    cx: &Context,
    order_ids: &[i64],
) -> Result<Result<RunPlan, SelectionError>, AppError> {
    let ids = ids_of(order_ids);
    let mut distinct = ids.clone();
    distinct.sort_unstable();
    distinct.dedup();
    // Refuse an oversized selection before reading hundreds of orders.
    if distinct.len() > RULES.bulk_capture_max_orders {
        return Ok(Err(SelectionError::TooMany {
            selected: distinct.len(),
            max: RULES.bulk_capture_max_orders,
        }));
    }
    let candidates = cx.store().bulk_candidates(&ids)?;
    Ok(validate_selection(&candidates, cx.now(), &RULES))
}

/// The confirmation screen: the orders the run would capture, the total, and the
/// selected orders it leaves out with their reasons. An empty or oversized selection is
/// an error (`bulk_selection_empty`, `bulk_selection_too_many`).
pub(crate) async fn bulk_confirm(
    cx: &Context,
    order_ids: Vec<i64>,
) -> Result<BulkConfirmation, AppError> {
    let plan = plan_selection(cx, &order_ids)?;
    let store = cx.store();
    let method = |id: OrderId| -> Result<crate::dto::PaymentMethodCode, AppError> {
        let order = store
            .get_order(id)?
            .ok_or_else(|| AppError::order_not_found(id.0))?;
        Ok(convert::method_to(order.method))
    };
    match plan {
        Ok(plan) => Ok(BulkConfirmation {
            orders: plan
                .orders
                .iter()
                .map(|p| {
                    Ok(BulkPlannedOrder {
                        order_id: p.id.0,
                        order_number: p.order_number.clone(),
                        transaction_id: p.plan.payment_id.clone(),
                        method: method(p.id)?,
                        amount_yen: p.amount.0,
                    })
                })
                .collect::<Result<_, AppError>>()?,
            total_yen: plan.total_yen.0,
            refused: plan.refused.iter().map(refused_dto).collect(),
            problem: None,
            max_orders: max_orders(),
        }),
        Err(e @ SelectionError::NothingToCapture { .. }) => {
            let SelectionError::NothingToCapture { refused } = &e else {
                unreachable!("matched above")
            };
            Ok(BulkConfirmation {
                orders: Vec::new(),
                total_yen: 0,
                refused: refused.iter().map(refused_dto).collect(),
                problem: Some(selection_error(&e)),
                max_orders: max_orders(),
            })
        }
        Err(e) => Err(selection_error(&e)),
    }
}

// --- Runs ---------------------------------------------------------------------------

/// Journals a run for the selection and returns it with the client to send with.
fn begin_bulk_run(
    cx: &Context,
    order_ids: &[i64],
    requested_by: RequestedBy,
) -> Result<(RunId, RunPlan, Client), AppError> {
    let plan = plan_selection(cx, order_ids)?.map_err(|e| selection_error(&e))?;
    // Without credentials nothing is journaled: there is nothing to settle later.
    let client = settings::gateway(cx)?;
    let mut active = cx
        .inner
        .bulk
        .active
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if active.is_some() {
        return Err(run_in_progress());
    }
    let run = cx.store().begin_run(&plan, requested_by, cx.now())?;
    *active = Some(run);
    tracing::info!(
        run = run.0,
        orders = plan.orders.len(),
        total = plan.total_yen.0,
        by = requested_by.code(),
        "bulk capture run journaled"
    );
    Ok((run, plan, client))
}

/// Starts a run and returns at once with its items (all pending); the progress comes
/// as `bulk_item_changed` events and the end as `bulk_run_finished`.
pub(crate) async fn bulk_start(
    cx: &Context,
    order_ids: Vec<i64>,
) -> Result<BulkRunDetail, AppError> {
    let (run, plan, client) = begin_bulk_run(cx, &order_ids, RequestedBy::App)?;
    let detail = bulk_run_detail(cx, run.0).await.map(|mut d| {
        d.left_out = plan.refused.iter().map(refused_dto).collect();
        d
    });
    // Announced before the workers start, so every item event follows it.
    if let Ok(d) = &detail {
        cx.emit(DeskEvent::BulkRunStarted {
            run: Box::new(d.clone()),
        });
    }
    let cx = cx.clone();
    tokio::spawn(async move {
        let concurrency = RULES.bulk_capture_concurrency;
        if let Err(e) = execute(&cx, run, &plan, client, concurrency).await {
            tracing::error!(run = run.0, code = %e.code, "bulk capture run failed");
        }
    });
    detail
}

/// Runs a bulk capture to its end (the command line, tests, the benchmark) with the
/// default concurrency, and returns its detailed log.
pub(crate) async fn bulk_capture(
    cx: &Context,
    order_ids: Vec<i64>,
    requested_by_cli: bool,
) -> Result<BulkRunDetail, AppError> {
    bulk_capture_with(
        cx,
        order_ids,
        requested_by_cli,
        RULES.bulk_capture_concurrency,
    )
    .await
}

/// [`bulk_capture`] with a given number of captures in flight at once (1 to one
/// run's size): the benchmark compares them.
pub(crate) async fn bulk_capture_with(
    cx: &Context,
    order_ids: Vec<i64>,
    requested_by_cli: bool,
    concurrency: usize,
) -> Result<BulkRunDetail, AppError> {
    let by = if requested_by_cli {
        RequestedBy::Cli
    } else {
        RequestedBy::App
    };
    let (run, plan, client) = begin_bulk_run(cx, &order_ids, by)?;
    if let Ok(d) = bulk_run_detail(cx, run.0).await {
        cx.emit(DeskEvent::BulkRunStarted { run: Box::new(d) });
    }
    execute(cx, run, &plan, client, concurrency).await
}

/// Runs the journaled run: workers take the orders in selection order; then the run
/// is finished and announced.
async fn execute(
    cx: &Context,
    run: RunId,
    plan: &RunPlan,
    client: Client,
    concurrency: usize,
) -> Result<BulkRunDetail, AppError> {
    let _active = ActiveRun(&cx.inner.bulk);
    let state = RunState::new(plan);
    let ctx = RunCtx {
        run,
        client,
        queue: state.unsent(),
        next: AtomicUsize::new(0),
        state: Mutex::new(state),
        keys: Mutex::new(HashMap::new()),
    };
    let workers = concurrency.clamp(1, RULES.bulk_capture_max_orders);
    let started = std::time::Instant::now();
    let ctx_ref = &ctx;
    let worker = |_| async move {
        let ctx = ctx_ref;
        loop {
            let i = ctx.next.fetch_add(1, Ordering::Relaxed);
            let Some(&id) = ctx.queue.get(i) else { break };
            if let Err(e) = capture_item(cx, ctx, id).await {
                tracing::error!(run = run.0, order = id.0, code = %e.code, "bulk capture item left open");
            }
        }
    };
    futures_util::future::join_all((0..workers).map(worker)).await;
    let stopped_by = ctx.state().stopped_by().map(str::to_owned);
    let status = cx
        .store()
        .finish_run(run, &RunEnd::Ran { stopped_by }, cx.now())?;
    tracing::info!(
        run = run.0,
        status = status.code(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        workers,
        "bulk capture run ended"
    );
    let mut detail = bulk_run_detail(cx, run.0).await?;
    detail.left_out = plan.refused.iter().map(refused_dto).collect();
    cx.orders_changed(&detail.items.iter().map(|i| i.order_id).collect::<Vec<_>>());
    cx.emit(DeskEvent::BulkRunFinished {
        run: Box::new(detail.summary.clone()),
    });
    Ok(detail)
}

/// Announces an item's new state with the run's progress.
fn item_changed(cx: &Context, ctx: &RunCtx, id: OrderId) {
    let progress = progress_dto(&ctx.state().progress());
    let item = match cx.store().run_detail(ctx.run) {
        Ok(Some(d)) => d.items.into_iter().find(|i| i.order_id == id),
        _ => None,
    };
    if let Some(item) = item {
        cx.emit(DeskEvent::BulkItemChanged {
            run_id: ctx.run.0,
            item: Box::new(item_dto(&item)),
            progress,
        });
    }
}

/// Writes a settled (or unknown) item, closing its journal entry as given, and
/// announces it.
fn settle_bulk_item(
    cx: &Context,
    ctx: &RunCtx,
    id: OrderId,
    state: &ItemState,
    journal: Option<(&OperationKey, &JournalOutcome)>,
) -> Result<(), AppError> {
    cx.store()
        .settle_item(ctx.run, id, state, journal, cx.now())?;
    item_changed(cx, ctx, id);
    Ok(())
}

/// Stops the run after a credentials error: skips every order not sent yet (closing
/// the journal entries already written for them).
fn stop_run(cx: &Context, ctx: &RunCtx, code: &str) -> Result<(), AppError> {
    let skipped = ctx.state().stop(code);
    tracing::warn!(
        run = ctx.run.0,
        code,
        skipped = skipped.len(),
        "bulk capture run stopped on a credentials error"
    );
    let closed = JournalOutcome::Failed {
        code: JOURNAL_RUN_STOPPED.into(),
    };
    for id in skipped {
        let state = ItemState::Skipped {
            reason: SkipReason::RunStopped {
                code: code.to_owned(),
            },
        };
        let key = ctx.key(id);
        settle_bulk_item(cx, ctx, id, &state, key.as_ref().map(|k| (k, &closed)))?;
    }
    Ok(())
}

/// One order of the run, from the check to its settled line.
async fn capture_item(cx: &Context, ctx: &RunCtx, id: OrderId) -> Result<(), AppError> {
    if ctx
        .state()
        .item(id)
        .is_none_or(|i| i.state != ItemState::Pending { attempts: 0 })
    {
        // The run stopped before this order's turn: already skipped and recorded.
        return Ok(());
    }
    let now = cx.now();
    let checked = {
        let store = cx.store();
        let order = store
            .get_order(id)?
            .ok_or_else(|| AppError::order_not_found(id.0))?;
        if store.pending_for_order(id)?.is_some() {
            Err(Refusal::OperationUnsettled)
        } else {
            check(&order, &Operation::Capture, now, &RULES)
        }
    };
    let plan = match checked {
        Ok(plan) => plan,
        Err(refusal) => {
            tracing::info!(
                run = ctx.run.0,
                order = id.0,
                refusal = refusal.code(),
                "bulk capture item refused before sending"
            );
            return refuse(cx, ctx, id, refusal);
        }
    };
    let key = match cx
        .store()
        .journal_begin(id, &Operation::Capture, &plan, now)
    {
        Ok(key) => key,
        Err(store::Error::OperationUnsettled(_)) => {
            return refuse(cx, ctx, id, Refusal::OperationUnsettled);
        }
        Err(e) => return Err(e.into()),
    };
    cx.store().set_item_operation_key(ctx.run, id, &key)?;
    ctx.keys
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id, key.clone());
    loop {
        let attempt = ctx.state().begin_send(id);
        let Ok(attempt) = attempt else {
            // The run stopped while this order waited to be resent: its skip line is
            // (or is being) written by the stop; close the journal entry quietly.
            let state = ctx.state().item(id).map(|i| i.state.clone());
            if let Some(state) = state {
                let closed = JournalOutcome::Failed {
                    code: JOURNAL_RUN_STOPPED.into(),
                };
                settle_bulk_item(cx, ctx, id, &state, Some((&key, &closed)))?;
            }
            return Ok(());
        };
        cx.store()
            .record_item_result(ctx.run, id, &ItemState::InFlight { attempt }, cx.now())?;
        cx.store().journal_mark_sent(&key, cx.now())?;
        item_changed(cx, ctx, id);
        let outcome = match send(&ctx.client, &plan).await {
            Sent::Accepted { .. } => Outcome::Captured,
            Sent::Refused(e) | Sent::Unknown(e) | Sent::NeverArrived(e) => error_outcome(&e),
        };
        tracing::debug!(run = ctx.run.0, order = id.0, attempt, outcome = ?outcome, "bulk capture answered");
        match follow(cx, ctx, id, &key, outcome).await? {
            Next::Resend => continue,
            Next::Done => return Ok(()),
        }
    }
}

/// Records an order refused by the check just before sending (nothing was sent).
fn refuse(cx: &Context, ctx: &RunCtx, id: OrderId, refusal: Refusal) -> Result<(), AppError> {
    if ctx.state().item(id).is_none_or(|i| i.state.is_settled()) {
        // The run stopped meanwhile: the stop recorded this order.
        return Ok(());
    }
    let step = ctx
        .state()
        .apply(id, &Outcome::Refused(refusal), &RULES)
        .map_err(|e| AppError::internal(ErrorCode::BulkTransition, &e.to_string()))?;
    settle_bulk_item(cx, ctx, id, &step.state, None)
}

/// Follows the rules after an answer until the item is settled, to be resent, or left
/// for the next start.
async fn follow(
    cx: &Context,
    ctx: &RunCtx,
    id: OrderId,
    key: &OperationKey,
    mut outcome: Outcome,
) -> Result<Next, AppError> {
    // What the latest inquiry said the journal entry should become.
    let mut inquired: Option<JournalOutcome> = None;
    loop {
        let step = ctx
            .state()
            .apply(id, &outcome, &RULES)
            .map_err(|e| AppError::internal(ErrorCode::BulkTransition, &e.to_string()))?;
        let divisor = cx.inner.retry_wait_divisor;
        match step.action {
            Action::Done => {
                let journal = match (&step.state, &outcome) {
                    (ItemState::Succeeded, Outcome::Captured) => success_outcome(cx, id, key)?,
                    // Refused by the gateway, or given up after the resends.
                    (ItemState::Failed { code, .. }, _) => {
                        Some(JournalOutcome::Failed { code: code.clone() })
                    }
                    // Settled by inquiry: succeeded, or a conflict (adopt the
                    // gateway's state).
                    _ => inquired.take(),
                };
                settle_bulk_item(cx, ctx, id, &step.state, journal.as_ref().map(|j| (key, j)))?;
                return Ok(Next::Done);
            }
            Action::RetryAfter(wait) => {
                // Nothing happened at the gateway (a busy answer, or an inquiry said
                // so): the entry is pending again and is resent with the same key.
                let now = cx.now();
                {
                    let mut store = cx.store();
                    store.journal_settle(key, &JournalOutcome::NotApplied, now)?;
                    store.record_item_result(ctx.run, id, &step.state, now)?;
                }
                item_changed(cx, ctx, id);
                tracing::info!(
                    run = ctx.run.0,
                    order = id.0,
                    wait_ms = wait.num_milliseconds(),
                    "bulk capture backs off before resending"
                );
                tokio::time::sleep(wait_of(wait, divisor)).await;
                return Ok(Next::Resend);
            }
            Action::Inquire | Action::InquireAfter(_) => {
                if let Action::InquireAfter(wait) = step.action {
                    tokio::time::sleep(wait_of(wait, divisor)).await;
                }
                {
                    let mut store = cx.store();
                    if store
                        .journal_state(key)?
                        .is_some_and(|s| s == domain::JournalState::Sent)
                    {
                        store.journal_mark_unknown(key)?;
                    }
                    store.record_item_result(ctx.run, id, &step.state, cx.now())?;
                }
                item_changed(cx, ctx, id);
                // The gateway may still be carrying out a capture that got no answer.
                let in_flight = match &step.state {
                    ItemState::Unknown { last_code, .. } => last_code.as_deref().is_none_or(|c| {
                        FailureCategory::from_code(c) == FailureCategory::NoResponse
                    }),
                    _ => true,
                };
                let (next, journal) = inquire_item(cx, ctx, key, in_flight).await?;
                outcome = next;
                inquired = journal;
            }
            Action::Defer => {
                tracing::warn!(
                    run = ctx.run.0,
                    order = id.0,
                    "bulk capture outcome left for the next inquiry"
                );
                settle_bulk_item(cx, ctx, id, &step.state, None)?;
                return Ok(Next::Done);
            }
            Action::StopRun { code } => {
                // The item's own result (failed, or still unknown if the inquiry hit
                // the credentials error), then everything not sent is skipped.
                let journal = match &step.state {
                    ItemState::Failed { code, .. } => {
                        Some(JournalOutcome::Failed { code: code.clone() })
                    }
                    _ => None,
                };
                settle_bulk_item(cx, ctx, id, &step.state, journal.as_ref().map(|j| (key, j)))?;
                stop_run(cx, ctx, &code)?;
                return Ok(Next::Done);
            }
        }
    }
}

/// The journal outcome after the gateway accepted the capture (`None` when a
/// notification already confirmed it).
fn success_outcome(
    cx: &Context,
    id: OrderId,
    key: &OperationKey,
) -> Result<Option<JournalOutcome>, AppError> {
    let store = cx.store();
    let order = store
        .get_order(id)?
        .ok_or_else(|| AppError::order_not_found(id.0))?;
    Ok(match store.pending_for_order(id)? {
        Some(p) if &p.key == key => Some(JournalOutcome::Succeeded(success_report(
            &p,
            &order,
            None,
            cx.now(),
        ))),
        _ => None,
    })
}

/// Asks the gateway (094) what became of an item's capture.
async fn inquire_item(
    cx: &Context,
    ctx: &RunCtx,
    key: &OperationKey,
    in_flight: bool,
) -> Result<(Outcome, Option<JournalOutcome>), AppError> {
    let pending = cx
        .store()
        .pending_journal()?
        .into_iter()
        .find(|p| &p.key == key);
    let Some(pending) = pending else {
        // Settled meanwhile (a notification confirmed it, or it closed otherwise).
        let state = cx.store().journal_state(key)?;
        let settlement = match state {
            Some(domain::JournalState::Succeeded) => Settlement::AlreadyApplied,
            _ => Settlement::Conflict,
        };
        return Ok((Outcome::Inquired(settlement), None));
    };
    Ok(
        match operations::inquire_outcome(cx, &ctx.client, &pending, in_flight).await {
            Ok(journal) => (Outcome::Inquired(settlement_of(journal.as_ref())), journal),
            Err(e) => (
                Outcome::Error {
                    code: e.code,
                    detail: None,
                },
                None,
            ),
        },
    )
}

// --- Logs ---------------------------------------------------------------------------

/// The operation log: the newest runs first (the rules table's length).
pub(crate) async fn bulk_operation_log(cx: &Context) -> Result<BulkOperationLog, AppError> {
    let runs = cx.store().operation_log(RULES.operation_log_runs)?;
    Ok(BulkOperationLog {
        runs: runs.iter().map(summary_dto).collect(),
        keeps: u32::try_from(RULES.operation_log_runs).unwrap_or(u32::MAX),
    })
}

/// A run's detailed log: one line per order ("completed normally" / "error code: xxx").
pub(crate) async fn bulk_run_detail(cx: &Context, run_id: i64) -> Result<BulkRunDetail, AppError> {
    let detail = cx.store().run_detail(RunId(run_id))?;
    detail
        .as_ref()
        .map(detail_dto)
        .ok_or_else(|| not_found(run_id))
}

// --- Recovery -----------------------------------------------------------------------

/// Settles the runs the app left open (closed or crashed during a run, or outcomes
/// left unknown): each order that may have been sent is settled by a 094 inquiry, the
/// others are marked not done; nothing is ever sent. Called at start (before the
/// general journal settling, so a run's entries close with the run's one line) and by
/// the background sync now and then.
pub(crate) async fn recover_bulk_runs(cx: &Context) {
    let active = cx.inner.bulk.active();
    let runs = match cx.store().unfinished_runs() {
        Ok(runs) => runs,
        Err(e) => {
            tracing::error!(error = %e, "cannot read unfinished bulk runs");
            return;
        }
    };
    let runs: Vec<_> = runs
        .into_iter()
        .filter(|r| Some(r.summary.id) != active)
        .collect();
    if runs.is_empty() {
        return;
    }
    let client = settings::gateway(cx).ok();
    for run in runs {
        if let Err(e) = recover_run(cx, &run, client.as_ref()).await {
            tracing::error!(run = run.summary.id.0, code = %e.code, "bulk run recovery failed");
        }
    }
}

async fn recover_run(
    cx: &Context,
    run: &store::UnfinishedRun,
    client: Option<&Client>,
) -> Result<(), AppError> {
    let id = run.summary.id;
    tracing::info!(
        run = id.0,
        open = run.open_items.len(),
        "settling a bulk run left open"
    );
    let mut changed = Vec::new();
    for item in &run.open_items {
        let (settlement, journal) = match (needs_inquiry(&item.state), client) {
            (true, Some(client)) => recovery_inquiry(cx, client, item).await,
            _ => (None, None),
        };
        let state = recover_item(&item.state, settlement);
        let closing = match &state {
            ItemState::Succeeded
            | ItemState::Skipped {
                reason: SkipReason::ChangedElsewhere,
            } => journal,
            ItemState::Skipped { .. } => Some(JournalOutcome::Failed {
                code: JOURNAL_INTERRUPTED.into(),
            }),
            _ => None,
        };
        let key = item.operation_key.as_ref();
        cx.store().settle_item(
            id,
            item.order_id,
            &state,
            key.zip(closing.as_ref()),
            cx.now(),
        )?;
        tracing::info!(
            run = id.0,
            order = item.order_id.0,
            state = state.code(),
            "bulk item recovered"
        );
        changed.push(item.order_id.0);
    }
    let status = cx.store().finish_run(id, &RunEnd::Recovered, cx.now())?;
    cx.orders_changed(&changed);
    // Announced when the run is first recovered and when it is finally settled, not on
    // every pass while an item waits for its in-flight window to close.
    let announce = status != RunStatus::Interrupted || run.summary.status == RunStatus::Running;
    if announce && let Some(detail) = cx.store().run_detail(id)? {
        cx.emit(DeskEvent::BulkRunFinished {
            run: Box::new(summary_dto(&detail.summary)),
        });
    }
    Ok(())
}

/// The inquiry's verdict on an item that may have been sent: the journal's own
/// decision when its entry is open, else the payment's status (`None` when the
/// inquiry failed).
async fn recovery_inquiry(
    cx: &Context,
    client: &Client,
    item: &store::OpenItem,
) -> (Option<Settlement>, Option<JournalOutcome>) {
    let pending = item.operation_key.as_ref().and_then(|key| {
        cx.store()
            .pending_journal()
            .ok()?
            .into_iter()
            .find(|p| &p.key == key)
    });
    if let Some(pending) = pending {
        return match operations::inquire_outcome(cx, client, &pending, true).await {
            Ok(journal) => (Some(settlement_of(journal.as_ref())), journal),
            Err(_) => (None, None),
        };
    }
    let target = PaymentRef::by_payment_id(item.payment_id.clone());
    match inquire(client, target, cx.now()).await {
        Ok(Some(report)) => (
            Some(match report.status {
                PaymentStatus::Captured => Settlement::AlreadyApplied,
                PaymentStatus::Authorized => Settlement::NotApplied,
                _ => Settlement::Conflict,
            }),
            None,
        ),
        _ => (None, None),
    }
}

/// What a worker does after following an answer.
enum Next {
    /// Send the capture again (same key).
    Resend,
    /// The item is settled (or left for the next inquiry).
    Done,
}
