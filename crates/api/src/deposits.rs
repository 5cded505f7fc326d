//! Expected deposits (issue 21, point 2): the settlement contract per payment method
//! (a setting, `settlement.contract.<method>`, stored as JSON), and each settlement
//! period's expected deposit from the money ledger. A contract that lacks something
//! (no fee rate, no cycle) shows what is missing, never a figure.

use chrono::NaiveDate;
use domain::PaymentMethod;
use domain::deposits::{Contract, ContractField, Cycle, TransferFeeBorneBy};
use domain::money::{Period, tokyo_day, tokyo_day_start};
use serde::{Deserialize, Serialize};

use crate::ErrorCode;
use crate::context::Context;
use crate::convert::method_to;
use crate::dto::PaymentMethodCode;
use crate::dto::money::{
    CycleDto, ExpectedDepositRow, ExpectedDepositsQuery, ExpectedDepositsReport, MethodDeposits,
    SettlementContract, SettlementContractInput, TransferFeeBorneByCode,
};
use crate::money;
use crate::orders::japan_day;
use crate::{AppError, Text};

/// The contract as stored (the setting's JSON): a private shape, read back leniently.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    cycles: Vec<(u32, u32, u32)>,
    fee_rate_bp: Option<u32>,
    fee_per_capture_yen: Option<i64>,
    transfer_fee_yen: Option<i64>,
    transfer_fee_borne_by_shop: Option<bool>,
}

fn key(method: PaymentMethod) -> String {
    format!("settlement.contract.{}", method.code())
}

fn method_from(code: PaymentMethodCode) -> PaymentMethod {
    match code {
        PaymentMethodCode::Card => PaymentMethod::Card,
        PaymentMethodCode::Paidy => PaymentMethod::Paidy,
    }
}

fn contract_of(method: PaymentMethod, stored: &Stored) -> Contract {
    Contract {
        method,
        cycles: stored
            .cycles
            .iter()
            .map(|&(closing_day, pay_months_after, pay_day)| Cycle {
                closing_day,
                pay_months_after,
                pay_day,
            })
            .collect(),
        fee_rate_bp: stored.fee_rate_bp,
        fee_per_capture: stored.fee_per_capture_yen.map(domain::Yen),
        transfer_fee: stored.transfer_fee_yen.map(domain::Yen),
        transfer_fee_borne_by: stored.transfer_fee_borne_by_shop.map(|shop| {
            if shop {
                TransferFeeBorneBy::Shop
            } else {
                TransferFeeBorneBy::Gateway
            }
        }),
    }
}

fn missing_texts(fields: &[ContractField]) -> Vec<Text> {
    // Nothing entered at all: one line says so rather than five.
    if fields.len() == 5 {
        return vec![Text::new(
            "精算条件がまだ入力されていません(設定画面で入力します)",
            "No settlement contract is entered yet (enter it in Settings)",
        )];
    }
    fields
        .iter()
        .map(|f| {
            let (ja, en) = f.label();
            Text::new(
                &format!("{ja}が未設定です"),
                &format!("The {en} is not set"),
            )
        })
        .collect()
}

fn dto_of(method: PaymentMethod, stored: &Stored) -> SettlementContract {
    let contract = contract_of(method, stored);
    SettlementContract {
        missing: missing_texts(&contract.missing()),
        contract: SettlementContractInput {
            method: method_to(method),
            cycles: contract
                .cycles
                .iter()
                .map(|c| CycleDto {
                    closing_day: c.closing_day,
                    pay_months_after: c.pay_months_after,
                    pay_day: c.pay_day,
                })
                .collect(),
            fee_rate: stored
                .fee_rate_bp
                .map(domain::deposits::fee_rate_text)
                .unwrap_or_default(),
            fee_per_capture_yen: stored.fee_per_capture_yen,
            transfer_fee_yen: stored.transfer_fee_yen,
            transfer_fee_borne_by: stored.transfer_fee_borne_by_shop.map(|shop| {
                if shop {
                    TransferFeeBorneByCode::Shop
                } else {
                    TransferFeeBorneByCode::Gateway
                }
            }),
        },
    }
}

/// A typed deposit's method, Japan day and amount, or why it cannot be recorded.
fn typed_deposit(
    input: &crate::dto::money::DepositInput,
) -> Result<(PaymentMethod, NaiveDate, domain::Yen), AppError> {
    let day = japan_day(("入金日", "deposit day"), &input.received_on)?;
    if input.amount_yen < 0 {
        return Err(AppError::of(ErrorCode::InvalidAmount).into());
    }
    Ok((
        method_from(input.method),
        day,
        domain::Yen(input.amount_yen),
    ))
}

fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn stored_contract(cx: &Context, method: PaymentMethod) -> Result<Stored, AppError> {
    let value = cx.store().setting(&key(method))?;
    Ok(value
        .and_then(|v| serde_json::from_str(&v).ok())
        .unwrap_or_default())
}

/// Both methods' settlement contracts, with what each still lacks.
pub(crate) async fn settlement_contracts(
    cx: &Context,
) -> Result<Vec<SettlementContract>, AppError> {
    PaymentMethod::ALL
        .into_iter()
        .map(|m| Ok(dto_of(m, &stored_contract(cx, m)?)))
        .collect()
}

/// Saves one method's contract. A value that is there but wrong (a fee rate that is not
/// a percentage, a day outside 1–31, a negative fee) is refused and nothing is saved;
/// a value left empty is saved as not set and named as missing.
pub(crate) async fn save_settlement_contract(
    cx: &Context,
    input: SettlementContractInput,
) -> Result<SettlementContract, AppError> {
    let method = method_from(input.method);
    let fee_rate_bp = match input.fee_rate.trim() {
        "" => None,
        text => Some(
            domain::deposits::parse_fee_rate(text)
                .ok_or_else(|| AppError::of(ErrorCode::InvalidFeeRate).with("value", text))?,
        ),
    };
    if input.fee_per_capture_yen.is_some_and(|y| y < 0)
        || input.transfer_fee_yen.is_some_and(|y| y < 0)
    {
        return Err(AppError::of(ErrorCode::InvalidFee).into());
    }
    let stored = Stored {
        cycles: input
            .cycles
            .iter()
            .map(|c| (c.closing_day, c.pay_months_after, c.pay_day))
            .collect(),
        fee_rate_bp,
        fee_per_capture_yen: input.fee_per_capture_yen,
        transfer_fee_yen: input.transfer_fee_yen,
        transfer_fee_borne_by_shop: input
            .transfer_fee_borne_by
            .map(|b| b == TransferFeeBorneByCode::Shop),
    };
    let contract = contract_of(method, &stored);
    if contract.missing().contains(&ContractField::Cycles) && !contract.cycles.is_empty() {
        return Err(AppError::of(ErrorCode::InvalidSettlementCycle).into());
    }
    if contract.missing().contains(&ContractField::FeeRate) && fee_rate_bp.is_some() {
        return Err(AppError::of(ErrorCode::FeeRateTooHigh).into());
    }
    let json = serde_json::to_string(&stored)
        .map_err(|e| AppError::internal(ErrorCode::ContractJson, &e.to_string()))?;
    cx.store().set_setting(&key(method), &json)?;
    Ok(dto_of(method, &stored))
}

/// Each settlement period's expected deposit per method, from the money ledger.
pub(crate) async fn expected_deposits(
    cx: &Context,
    query: ExpectedDepositsQuery,
) -> Result<ExpectedDepositsReport, AppError> {
    let today = tokyo_day(cx.now());
    let default_from = today
        .checked_sub_months(chrono::Months::new(2))
        .unwrap_or(today);
    let from = match &query.from {
        Some(f) => japan_day(("開始日", "first day"), f)?,
        None => default_from,
    };
    let to = match &query.to {
        Some(t) => japan_day(("終了日", "last day"), t)?,
        None => today,
    };
    if to < from || to - from > domain::RULES.sales_range_max {
        return Err(AppError::of(ErrorCode::RangeNotValid).into());
    }
    let mut methods = Vec::new();
    let mut to_come_yen = 0;
    for method in PaymentMethod::ALL {
        let contract = contract_of(method, &stored_contract(cx, method)?);
        let missing = contract.missing();
        if missing.contains(&ContractField::Cycles) {
            methods.push(MethodDeposits {
                method: method_to(method),
                missing: missing_texts(&missing),
                periods: Vec::new(),
            });
            continue;
        }
        let periods = domain::deposits::periods_overlapping(&contract, from, to);
        let (Some(first), Some(last)) = (periods.first(), periods.last()) else {
            continue;
        };
        let end = last.end.succ_opt().unwrap_or(last.end);
        let cells = cx
            .store()
            .sales(tokyo_day_start(first.start), tokyo_day_start(end))?
            .cells(Period::Day);
        let mut rows = Vec::new();
        let mut lacking = Vec::new();
        for p in periods {
            let mine = cells
                .iter()
                .filter(|c| c.method == method && c.start >= p.start && c.start <= p.end);
            let (mut captured, mut captures, mut refunded, mut refunds) = (0, 0, 0, 0);
            for c in mine {
                captured += c.captured.0;
                captures += c.captures;
                refunded += c.refunded.0;
                refunds += c.refunds;
            }
            match domain::deposits::expected(
                &contract,
                p,
                domain::Yen(captured),
                captures,
                domain::Yen(refunded),
                refunds,
            ) {
                Ok(e) => {
                    let to_come = p.payment_date >= today;
                    if to_come {
                        to_come_yen += e.amount.0;
                    }
                    rows.push(ExpectedDepositRow {
                        start: day_text(p.start),
                        end: day_text(p.end),
                        payment_date: day_text(p.payment_date),
                        captured_yen: captured,
                        captures,
                        refunded_yen: refunded,
                        refunds,
                        fee_yen: e.fee.0,
                        transfer_fee_yen: e.transfer_fee.0,
                        expected_yen: e.amount.0,
                        to_come,
                    });
                }
                Err(m) => {
                    lacking = m;
                    break;
                }
            }
        }
        methods.push(MethodDeposits {
            method: method_to(method),
            missing: missing_texts(&lacking),
            periods: if lacking.is_empty() { rows } else { Vec::new() },
        });
    }
    Ok(ExpectedDepositsReport {
        from: day_text(from),
        to: day_text(to),
        methods,
        to_come_yen,
    })
}

fn signed(m: &crate::dto::money::MovementItem) -> i64 {
    match m.kind {
        crate::dto::money::MovementKindCode::Capture => m.amount_yen,
        crate::dto::money::MovementKindCode::Refund => -m.amount_yen,
    }
}

/// The expected deposit of one period of `method` (its captures and refunds from the
/// ledger), or what the contract lacks.
pub(crate) fn period_row(
    cx: &Context,
    method: PaymentMethod,
    contract: &Contract,
    p: domain::deposits::SettlementPeriod,
    today: NaiveDate,
) -> Result<Result<ExpectedDepositRow, Vec<ContractField>>, AppError> {
    let end = p.end.succ_opt().unwrap_or(p.end);
    let cells = cx
        .store()
        .sales(tokyo_day_start(p.start), tokyo_day_start(end))?
        .cells(Period::Month);
    let (mut captured, mut captures, mut refunded, mut refunds) = (0, 0, 0, 0);
    for c in cells.iter().filter(|c| c.method == method) {
        captured += c.captured.0;
        captures += c.captures;
        refunded += c.refunded.0;
        refunds += c.refunds;
    }
    Ok(domain::deposits::expected(
        contract,
        p,
        domain::Yen(captured),
        captures,
        domain::Yen(refunded),
        refunds,
    )
    .map(|e| ExpectedDepositRow {
        start: day_text(p.start),
        end: day_text(p.end),
        payment_date: day_text(p.payment_date),
        captured_yen: captured,
        captures,
        refunded_yen: refunded,
        refunds,
        fee_yen: e.fee.0,
        transfer_fee_yen: e.transfer_fee.0,
        expected_yen: e.amount.0,
        to_come: p.payment_date >= today,
    }))
}

/// Records a deposit received (typed) and returns it reconciled.
pub(crate) async fn record_deposit(
    cx: &Context,
    input: crate::dto::money::DepositInput,
) -> Result<crate::dto::money::ReconciledDeposit, AppError> {
    let (method, day, amount) = typed_deposit(&input)?;
    let id = cx.store().record_deposit(method, day, amount, cx.now())?;
    reconciled(cx, id, day).await
}

/// Corrects a deposit typed by hand (method, day, amount); the values it replaces are
/// kept. A deposit imported from the bank's statement is refused: it is the bank's.
pub(crate) async fn correct_deposit(
    cx: &Context,
    id: i64,
    input: crate::dto::money::DepositInput,
) -> Result<crate::dto::money::ReconciledDeposit, AppError> {
    let (method, day, amount) = typed_deposit(&input)?;
    apply_correction(
        cx,
        id,
        store::DepositCorrection::Correct(method, day, amount),
    )?;
    reconciled(cx, id, day).await
}

/// Withdraws a deposit typed by mistake: no longer counted in the reconciliation, the
/// deposit check or the journal files; kept, with its values, in the store.
pub(crate) async fn withdraw_deposit(cx: &Context, id: i64) -> Result<(), AppError> {
    apply_correction(cx, id, store::DepositCorrection::Withdraw)
}

fn apply_correction(
    cx: &Context,
    id: i64,
    correction: store::DepositCorrection,
) -> Result<(), AppError> {
    let done = cx.store().correct_deposit(id, correction, cx.now())?;
    match done {
        Ok(()) => {
            tracing::info!(deposit = id, ?correction, "deposit corrected");
            Ok(())
        }
        Err(store::DepositNotCorrected::NotFound) => {
            Err(AppError::of(ErrorCode::DepositNotFound).into())
        }
        Err(store::DepositNotCorrected::Imported) => {
            Err(AppError::of(ErrorCode::DepositImported).into())
        }
    }
}

/// One recorded deposit, reconciled.
async fn reconciled(
    cx: &Context,
    id: i64,
    day: NaiveDate,
) -> Result<crate::dto::money::ReconciledDeposit, AppError> {
    let report = reconciliation(
        cx,
        crate::dto::money::ExpectedDepositsQuery {
            from: Some(day_text(day)),
            to: Some(day_text(day)),
        },
    )
    .await?;
    report
        .deposits
        .into_iter()
        .find(|d| d.id == id)
        .ok_or_else(|| {
            AppError::internal(ErrorCode::DepositLost, "the deposit just recorded is gone")
        })
}

/// The deposits received from `from` to `to` (default: the last two months), each
/// matched to the period it pays, with the difference and what explains it.
pub(crate) async fn reconciliation(
    cx: &Context,
    query: crate::dto::money::ExpectedDepositsQuery,
) -> Result<crate::dto::money::ReconciliationReport, AppError> {
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
    let received = cx.store().deposits_received(from, to)?;
    let mut out = Vec::new();
    for d in received {
        let mut item = reconcile_one(cx, d.id, d.method, d.received_on, d.amount, today).await?;
        item.imported = d.imported;
        let corrections = cx.store().deposit_corrections(d.id)?.len();
        item.corrections = u32::try_from(corrections).unwrap_or(u32::MAX);
        out.push(item);
    }
    Ok(crate::dto::money::ReconciliationReport {
        from: day_text(from),
        to: day_text(to),
        deposits: out,
    })
}

/// One deposit (recorded, or a statement line not recorded yet: `id` 0) matched to the
/// period it pays, with its difference from the expected deposit and what explains it.
pub(crate) async fn reconcile_one(
    cx: &Context,
    id: i64,
    method: PaymentMethod,
    received_on: NaiveDate,
    amount: domain::Yen,
    today: NaiveDate,
) -> Result<crate::dto::money::ReconciledDeposit, AppError> {
    let contract = contract_of(method, &stored_contract(cx, method)?);
    let missing = contract.missing();
    let mut item = crate::dto::money::ReconciledDeposit {
        id,
        method: method_to(method),
        received_on: day_text(received_on),
        amount_yen: amount.0,
        period: None,
        difference_yen: None,
        explanation: Vec::new(),
        explained: false,
        implied_fee_rate: None,
        missing: missing_texts(&missing),
        imported: false,
        corrections: 0,
    };
    if !missing.is_empty() {
        return Ok(item);
    }
    let Some(p) = matched_period(&contract, received_on) else {
        return Ok(item);
    };
    let Ok(row) = period_row(cx, method, &contract, p, today)? else {
        return Ok(item);
    };
    let difference = amount.0 - row.expected_yen;
    // Money that moved after the period closed, up to the day it arrived.
    let after = match p.end.succ_opt() {
        Some(next) if next <= received_on => {
            money::sales_movements(
                cx,
                crate::dto::money::MovementsQuery {
                    from: day_text(next),
                    to: day_text(received_on),
                    method: Some(method_to(method)),
                },
            )
            .await?
            .items
        }
        _ => Vec::new(),
    };
    let signed_amounts: Vec<i64> = after.iter().map(signed).collect();
    let (explanation, explained) = match domain::deposits::explain(difference, &signed_amounts) {
        Some(which) => (which.into_iter().map(|i| after[i].clone()).collect(), true),
        None => (after, false),
    };
    if !explained && row.captured_yen > 0 {
        // The rate that would make the figures meet: a fee change shows here.
        let fee = row.captured_yen - row.refunded_yen - row.transfer_fee_yen - amount.0;
        if fee >= 0 {
            let bp = fee * 10_000 / row.captured_yen;
            item.implied_fee_rate = u32::try_from(bp).ok().map(domain::deposits::fee_rate_text);
        }
    }
    item.period = Some(row);
    item.difference_yen = Some(difference);
    item.explanation = explanation;
    item.explained = explained;
    Ok(item)
}

/// The contract of `method` as saved.
pub(crate) fn contract(cx: &Context, method: PaymentMethod) -> Result<Contract, AppError> {
    Ok(contract_of(method, &stored_contract(cx, method)?))
}

/// The settlement period a deposit received on `received_on` pays (the contract's cycles
/// must be valid), if any is paid near that day.
pub(crate) fn matched_period(
    contract: &Contract,
    received_on: NaiveDate,
) -> Option<domain::deposits::SettlementPeriod> {
    let look_back = received_on
        .checked_sub_months(chrono::Months::new(
            domain::RULES.settlement_pay_months_max + 1,
        ))
        .unwrap_or(received_on);
    let periods = domain::deposits::periods_overlapping(contract, look_back, received_on);
    domain::deposits::match_period(&periods, received_on).map(|i| periods[i])
}
