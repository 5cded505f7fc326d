//! The bank statement import (issue 21, point 3): the shop's column mapping (a setting,
//! `bank_statement.mapping`, JSON), the preview of a statement (every line with what the
//! import would do, each gateway deposit matched to its period with its difference and
//! the orders that explain it), the import of exactly the preview, and the agreement
//! between the deposit check (入金チェック) and the periods whose deposit is recorded.
//!
//! Layout: the file is read by `domain::bank_statement` (the one decoder, yen and date
//! reading of every import); `store::statements` plans and applies (one planning
//! function, a fingerprint as the preview's token); matching a deposit to its period is
//! `deposits::reconcile_one`, the same as for a typed deposit and the reconciliation list.

use std::path::Path;

use chrono::NaiveDate;
use domain::RULES;
use domain::bank_statement::{LineKind, NotDeposit, StatementMapping, read_statement};
use domain::money::{tokyo_day, tokyo_day_start};
use serde::{Deserialize, Serialize};

use crate::ErrorCode;
use crate::context::Context;
use crate::convert::method_to;
use crate::deposits;
use crate::dto::money::{ExpectedDepositsQuery, ReconciledDeposit};
use crate::dto::statement::{
    AgreementOrder, DepositCheckAgreement, MarkedWithoutDeposit, OrderDepositPeriod,
    PeriodUnmarked, StatementImport, StatementLineDto, StatementLineStatusCode,
    StatementMappingDto,
};
use crate::files::{UserFile, read_user_file};
use crate::orders::japan_day;
use crate::{AppError, Text};

const MAPPING_KEY: &str = "bank_statement.mapping";

/// The mapping as stored (the setting's JSON): a private shape, read back leniently.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    date_column: String,
    amount_column: String,
    description_column: String,
    card_texts: Vec<String>,
    paidy_texts: Vec<String>,
}

fn split_texts(text: &str) -> Vec<String> {
    text.split([',', '、', '，', '\n'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

fn mapping_of(stored: &Stored) -> StatementMapping {
    StatementMapping {
        date_column: stored.date_column.clone(),
        amount_column: stored.amount_column.clone(),
        description_column: stored.description_column.clone(),
        card_texts: stored.card_texts.clone(),
        paidy_texts: stored.paidy_texts.clone(),
    }
}

fn dto_of(stored: &Stored) -> StatementMappingDto {
    StatementMappingDto {
        date_column: stored.date_column.clone(),
        amount_column: stored.amount_column.clone(),
        description_column: stored.description_column.clone(),
        card_texts: stored.card_texts.join(", "),
        paidy_texts: stored.paidy_texts.join(", "),
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn text(t: &domain::Text) -> Text {
    Text::new(&t.ja, &t.en)
}

/// Why a gateway deposit matched no period (its contract lacks something, or no period
/// is paid near its day).
fn unmatched_reason(d: &ReconciledDeposit) -> Option<Text> {
    if d.period.is_some() {
        return None;
    }
    if !d.missing.is_empty() {
        let ja: Vec<&str> = d.missing.iter().map(|m| m.ja.as_str()).collect();
        let en: Vec<&str> = d.missing.iter().map(|m| m.en.as_str()).collect();
        return Some(Text::new(
            &format!("精算期間と照合できません: {}。", ja.join("、")),
            &format!("Cannot be matched to a period: {}.", en.join("; ")),
        ));
    }
    let days = RULES.deposit_match_window.num_days();
    Some(Text::new(
        &format!(
            "入金日の前後 {days} 日以内に支払日のある精算期間がありません。照合できない入金として記録し、一覧に残します。"
        ),
        &format!(
            "No settlement period is paid within {days} days of this day. It is recorded as an unmatched deposit and stays listed."
        ),
    ))
}

fn plan_changed() -> AppError {
    AppError::of(ErrorCode::StatementChanged).into()
}

/// A statement read with the shop's mapping, and its deposit lines for the store.
struct ReadStatement {
    encoding: &'static str,
    lines: Vec<domain::bank_statement::StatementLine>,
    rows: Vec<store::StatementRow>,
}

fn stored_mapping(cx: &Context) -> Result<Stored, AppError> {
    Ok(cx
        .store()
        .setting(MAPPING_KEY)?
        .and_then(|v| serde_json::from_str(&v).ok())
        .unwrap_or_default())
}

/// The bank statement's column mapping (empty fields: the defaults).
pub(crate) async fn statement_mapping(cx: &Context) -> Result<StatementMappingDto, AppError> {
    Ok(dto_of(&stored_mapping(cx)?))
}

/// Saves the column mapping (trimmed). A column number must be 1 or more.
pub(crate) async fn save_statement_mapping(
    cx: &Context,
    input: StatementMappingDto,
) -> Result<StatementMappingDto, AppError> {
    for (value, ja, en) in [
        (&input.date_column, "日付の列", "date column"),
        (&input.amount_column, "入金額の列", "deposit amount column"),
        (&input.description_column, "摘要の列", "description column"),
    ] {
        let v = value.trim();
        if v == "0" || v.starts_with('-') || v.chars().count() > RULES.buyer_text_max_chars {
            return Err(AppError::of(ErrorCode::InvalidStatementColumn)
                .with_each("column", ja, en)
                .with("value", v)
                .into());
        }
    }
    let stored = Stored {
        date_column: input.date_column.trim().to_owned(),
        amount_column: input.amount_column.trim().to_owned(),
        description_column: input.description_column.trim().to_owned(),
        card_texts: split_texts(&input.card_texts),
        paidy_texts: split_texts(&input.paidy_texts),
    };
    let json = serde_json::to_string(&stored)
        .map_err(|e| AppError::internal(ErrorCode::MappingJson, &e.to_string()))?;
    cx.store().set_setting(MAPPING_KEY, &json)?;
    Ok(dto_of(&stored))
}

fn read_statement_file(cx: &Context, path: &Path) -> Result<ReadStatement, AppError> {
    let mapping = mapping_of(&stored_mapping(cx)?);
    let bytes = read_user_file(path, UserFile::Csv, "", "")?;
    let statement = read_statement(&bytes, &mapping)
        .map_err(|t| AppError::of(ErrorCode::StatementUnreadable).with_text("reason", &text(&t)))?;
    let rows = statement
        .lines
        .iter()
        .filter_map(|l| match &l.kind {
            LineKind::Deposit(d) => Some(store::StatementRow {
                method: d.method,
                received_on: d.received_on,
                amount: d.amount,
                key: d.key.clone(),
                description: l.description.clone(),
            }),
            LineKind::Other(_) => None,
        })
        .collect();
    Ok(ReadStatement {
        encoding: statement.encoding.code(),
        lines: statement.lines,
        rows,
    })
}

/// The per-line report of a statement with the store's plan (preview or applied).
async fn statement_report(
    cx: &Context,
    path: &Path,
    read: ReadStatement,
    plan: store::StatementPlan,
    applied: bool,
    import_id: Option<i64>,
) -> Result<StatementImport, AppError> {
    let mapping = mapping_of(&stored_mapping(cx)?);
    let today = tokyo_day(cx.now());
    let mut outcomes = plan.outcomes.iter();
    let mut report = StatementImport {
        path: path.display().to_string(),
        encoding: read.encoding.to_owned(),
        token: plan.fingerprint.clone(),
        applied,
        import_id,
        lines: Vec::with_capacity(read.lines.len()),
        deposits: count(read.rows.len()),
        recorded: 0,
        already: 0,
        matched: 0,
        unmatched: 0,
        differences: 0,
        other_lines: 0,
    };
    for line in read.lines {
        let mut dto = StatementLineDto {
            line: line.line,
            date: line.date.clone(),
            amount_yen: line.amount.map(|y| y.0),
            description: line.description.clone(),
            method: None,
            status: StatementLineStatusCode::NotGateway,
            reason: None,
            deposit: None,
        };
        match &line.kind {
            LineKind::Other(not) => {
                report.other_lines += 1;
                dto.status = match not {
                    NotDeposit::NotGateway => StatementLineStatusCode::NotGateway,
                    NotDeposit::Withdrawal => StatementLineStatusCode::Withdrawal,
                    NotDeposit::Unreadable(_) => StatementLineStatusCode::Unreadable,
                };
                dto.reason = Some(text(&domain::bank_statement::reason(not, &mapping)));
            }
            LineKind::Deposit(d) => {
                let outcome = outcomes
                    .next()
                    .copied()
                    .unwrap_or(store::StatementOutcome::Recorded(None));
                dto.method = Some(method_to(d.method));
                dto.status = match outcome {
                    store::StatementOutcome::Recorded(_) => {
                        report.recorded += 1;
                        StatementLineStatusCode::Record
                    }
                    store::StatementOutcome::AlreadyImported(_) => {
                        report.already += 1;
                        dto.reason = Some(Text::new(
                            "前に取り込み済みです(二重には記録しません)。",
                            "Imported before (not recorded twice).",
                        ));
                        StatementLineStatusCode::AlreadyImported
                    }
                    store::StatementOutcome::AlreadyTyped(_) => {
                        report.already += 1;
                        dto.reason = Some(Text::new(
                            "同じ日・同じ金額の入金を手入力で記録済みです。その入金をこの行のものとし、新しくは記録しません。",
                            "A deposit of the same day and amount was typed before: it is taken as this line's, nothing new is recorded.",
                        ));
                        StatementLineStatusCode::AlreadyTyped
                    }
                };
                let reconciled = deposits::reconcile_one(
                    cx,
                    outcome.deposit_id().unwrap_or(0),
                    d.method,
                    d.received_on,
                    d.amount,
                    today,
                )
                .await?;
                if reconciled.period.is_some() {
                    report.matched += 1;
                    if reconciled.difference_yen.is_some_and(|x| x != 0) {
                        report.differences += 1;
                    }
                } else {
                    report.unmatched += 1;
                    if dto.reason.is_none() {
                        dto.reason = unmatched_reason(&reconciled);
                    }
                }
                dto.deposit = Some(reconciled);
            }
        }
        report.lines.push(dto);
    }
    Ok(report)
}

/// What importing the statement would do: every line, each gateway deposit matched to
/// its period (nothing is recorded).
pub(crate) async fn preview_statement(
    cx: &Context,
    path: String,
) -> Result<StatementImport, AppError> {
    let path = Path::new(&path);
    let read = read_statement_file(cx, path)?;
    let plan = cx.store().plan_statement(&read.rows)?;
    statement_report(cx, path, read, plan, false, None).await
}

/// Imports the previewed statement: exactly the preview (`token`), or nothing
/// (`statement_changed`). A line imported or typed before is not recorded again.
pub(crate) async fn import_statement(
    cx: &Context,
    path: String,
    token: String,
) -> Result<StatementImport, AppError> {
    let path = Path::new(&path);
    let read = read_statement_file(cx, path)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let now = cx.now();
    let applied = cx
        .store()
        .apply_statement(&read.rows, &token, &file_name, read.lines.len(), now);
    let (plan, import_id) = match applied {
        Ok(done) => done,
        Err(store::Error::StatementPlanChanged) => return Err(plan_changed()),
        Err(e) => return Err(e.into()),
    };
    tracing::info!(
        lines = read.lines.len(),
        deposits = read.rows.len(),
        import = import_id,
        encoding = read.encoding,
        "bank statement imported"
    );
    statement_report(cx, path, read, plan, true, import_id).await
}

/// Whether the deposit check (入金チェック) and the period view agree over Japan days
/// `from` to `to` (default: the last two months): the orders captured in each period
/// whose deposit was received in the range and is matched are all marked received, and
/// each order marked received in the range belongs to a period whose deposit is
/// recorded.
pub(crate) async fn deposit_check_agreement(
    cx: &Context,
    query: ExpectedDepositsQuery,
) -> Result<DepositCheckAgreement, AppError> {
    let today = tokyo_day(cx.now());
    let from = match &query.from {
        Some(f) => japan_day(("開始日", "first day"), f)?,
        None => today
            .checked_sub_months(chrono::Months::new(2))
            .unwrap_or(today),
    };
    let to = match &query.to {
        Some(t) => japan_day(("終了日", "last day"), t)?,
        None => today,
    };
    let shown = RULES.sales_movements_shown;
    let mut periods = Vec::new();
    // A period paid by two recorded deposits is listed once.
    let mut seen = std::collections::HashSet::new();
    let received = cx.store().deposits_received(from, to)?;
    for d in &received {
        let contract = deposits::contract(cx, d.method)?;
        if contract
            .missing()
            .contains(&domain::deposits::ContractField::Cycles)
        {
            continue;
        }
        let Some(p) = crate::deposits::matched_period(&contract, d.received_on) else {
            continue;
        };
        if !seen.insert((d.method.code(), p.start)) {
            continue;
        }
        let end = p.end.succ_opt().unwrap_or(p.end);
        let orders =
            cx.store()
                .captured_orders(tokyo_day_start(p.start), tokyo_day_start(end), d.method)?;
        let unmarked: Vec<AgreementOrder> = orders
            .iter()
            .filter(|o| o.marked_on.is_none())
            .map(|o| AgreementOrder {
                order_id: o.order_id.0,
                order_number: o.order_number.clone(),
                method: method_to(d.method),
                marked_on: None,
            })
            .collect();
        if unmarked.is_empty() {
            continue;
        }
        periods.push(PeriodUnmarked {
            deposit_id: d.id,
            method: method_to(d.method),
            received_on: day_text(d.received_on),
            start: day_text(p.start),
            end: day_text(p.end),
            orders: count(orders.len()),
            unmarked_count: count(unmarked.len()),
            unmarked: unmarked.into_iter().take(shown).collect(),
        });
    }
    let mut marked_without_deposit = Vec::new();
    let marks = cx.store().deposit_marks(from, to)?;
    for m in marks {
        let Some(captured_at) = m.captured_at else {
            continue;
        };
        let contract = deposits::contract(cx, m.method)?;
        if contract
            .missing()
            .contains(&domain::deposits::ContractField::Cycles)
        {
            continue;
        }
        let p = domain::deposits::period_of(&contract, tokyo_day(captured_at));
        // A deposit of this method recorded near the period's payment day that pays it.
        let near_from = p.payment_date - RULES.deposit_match_window;
        let near_to = p.payment_date + RULES.deposit_match_window;
        let paid = cx
            .store()
            .deposits_received(near_from, near_to)?
            .iter()
            .any(|d| {
                d.method == m.method
                    && crate::deposits::matched_period(&contract, d.received_on) == Some(p)
            });
        if !paid {
            marked_without_deposit.push(MarkedWithoutDeposit {
                order: AgreementOrder {
                    order_id: m.order_id.0,
                    order_number: m.order_number,
                    method: method_to(m.method),
                    marked_on: Some(day_text(m.marked_on)),
                },
                start: day_text(p.start),
                end: day_text(p.end),
                payment_date: day_text(p.payment_date),
            });
        }
        if marked_without_deposit.len() >= shown {
            break;
        }
    }
    Ok(DepositCheckAgreement {
        from: day_text(from),
        to: day_text(to),
        agree: periods.is_empty() && marked_without_deposit.is_empty(),
        periods,
        marked_without_deposit,
    })
}

/// Where one order stands against the recorded deposits ([`OrderDepositPeriod`]);
/// `None` before its capture, or while the contract has no settlement cycle.
pub(crate) async fn order_deposit_period(
    cx: &Context,
    order_id: i64,
) -> Result<Option<OrderDepositPeriod>, AppError> {
    let order = domain::OrderId(order_id);
    let Some((method, captured_at)) = cx.store().first_capture(order)? else {
        return Ok(None);
    };
    let contract = deposits::contract(cx, method)?;
    if contract
        .missing()
        .contains(&domain::deposits::ContractField::Cycles)
    {
        return Ok(None);
    }
    let p = domain::deposits::period_of(&contract, tokyo_day(captured_at));
    let paid_on = cx
        .store()
        .deposits_received(
            p.payment_date - RULES.deposit_match_window,
            p.payment_date + RULES.deposit_match_window,
        )?
        .into_iter()
        .find(|d| {
            d.method == method
                && crate::deposits::matched_period(&contract, d.received_on) == Some(p)
        })
        .map(|d| d.received_on);
    let marked = cx.store().deposit(order)?.is_some();
    let period = format!("{}〜{}", day_text(p.start), day_text(p.end));
    let period_en = format!("{} to {}", day_text(p.start), day_text(p.end));
    let message = match (paid_on, marked) {
        (Some(on), true) => Text::new(
            &format!(
                "精算期間 {period} の入金は {} に記録済みで、入金チェックと合っています。",
                day_text(on)
            ),
            &format!(
                "The deposit of the period {period_en} was recorded on {}; the deposit check agrees.",
                day_text(on)
            ),
        ),
        (Some(on), false) => Text::new(
            &format!(
                "精算期間 {period} の入金は {} に記録済みですが、この注文の入金チェックが付いていません。",
                day_text(on)
            ),
            &format!(
                "The deposit of the period {period_en} was recorded on {}, but this order's deposit check is not marked.",
                day_text(on)
            ),
        ),
        (None, true) => Text::new(
            &format!(
                "入金チェックは付いていますが、精算期間 {period} の入金(予定日 {})はまだ記録されていません。",
                day_text(p.payment_date)
            ),
            &format!(
                "The deposit check is marked, but the deposit of the period {period_en} (due {}) is not recorded yet.",
                day_text(p.payment_date)
            ),
        ),
        (None, false) => Text::new(
            &format!(
                "精算期間 {period} の入金予定日は {} です。",
                day_text(p.payment_date)
            ),
            &format!(
                "The period {period_en} is due to be paid on {}.",
                day_text(p.payment_date)
            ),
        ),
    };
    Ok(Some(OrderDepositPeriod {
        method: method_to(method),
        start: day_text(p.start),
        end: day_text(p.end),
        payment_date: day_text(p.payment_date),
        deposit_received_on: paid_on.map(day_text),
        agrees: paid_on.is_some() == marked,
        message,
    }))
}
