//! Money in (issue 21): sales per Japan day or month from the store's money ledger, the
//! movements behind one cell, and the shop's accounting account names (the journal export
//! that uses them is `accounting`, after the deposits it books).
//!
//! Layout: Japan days typed by the UI become UTC bounds here (0:00 of the first day to
//! 0:00 after the last); the store adds up the movements ([`store::Store::sales`]); every
//! period of the range is listed, empty ones too, so the chart has no gaps. Account names
//! are plain settings (`accounting.*`); an export whose format needs one that is not set
//! refuses and names every missing one.

use chrono::NaiveDate;
use domain::accounting::{AccountField, AccountNames, AccountingFormat, ExportRefusal};
use domain::money::{Period, SalesCell, month_start, next_month, tokyo_day_start};
use domain::{PaymentMethod, RULES};

use crate::AppError;
use crate::ErrorCode;
use crate::context::Context;
use crate::convert::method_to;
use crate::dto::money::{
    AccountingFormatCode, AccountingSettings, MovementItem, MovementKindCode, MovementList,
    MovementsQuery, SalesFigures, SalesPeriodCode, SalesQuery, SalesReport, SalesRow,
};
use crate::orders::japan_day;

fn range(from: &str, to: &str) -> Result<(NaiveDate, NaiveDate), AppError> {
    let from = japan_day(("開始日", "first day"), from)?;
    let to = japan_day(("終了日", "last day"), to)?;
    if to < from {
        return Err(AppError::of(ErrorCode::InvalidRange).into());
    }
    if to - from > RULES.sales_range_max {
        return Err(AppError::of(ErrorCode::RangeTooLong).into());
    }
    Ok((from, to))
}

fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn figures(cells: &[&SalesCell]) -> SalesFigures {
    let mut f = SalesFigures::default();
    for c in cells {
        f.captured_yen += c.captured.0;
        f.captures += c.captures;
        f.refunded_yen += c.refunded.0;
        f.refunds += c.refunds;
    }
    f.net_yen = f.captured_yen - f.refunded_yen;
    f
}

fn add(a: SalesFigures, b: SalesFigures) -> SalesFigures {
    SalesFigures {
        captured_yen: a.captured_yen + b.captured_yen,
        captures: a.captures + b.captures,
        refunded_yen: a.refunded_yen + b.refunded_yen,
        refunds: a.refunds + b.refunds,
        net_yen: a.net_yen + b.net_yen,
    }
}

/// The report's rows: every period from `from` to `to`, the store's cells put in place.
fn rows(period: Period, from: NaiveDate, to: NaiveDate, cells: &[SalesCell]) -> Vec<SalesRow> {
    let mut out = Vec::new();
    let mut start = match period {
        Period::Day => from,
        Period::Month => month_start(from),
    };
    let mut i = 0;
    while start <= to {
        let next = match period {
            Period::Day => start.succ_opt().unwrap_or(NaiveDate::MAX),
            Period::Month => next_month(start),
        };
        while i < cells.len() && cells[i].start < start {
            i += 1;
        }
        let mine: Vec<&SalesCell> = cells[i..].iter().take_while(|c| c.start == start).collect();
        let of = |m: PaymentMethod| {
            figures(
                &mine
                    .iter()
                    .copied()
                    .filter(|c| c.method == m)
                    .collect::<Vec<_>>(),
            )
        };
        let card = of(PaymentMethod::Card);
        let paidy = of(PaymentMethod::Paidy);
        let last = next.pred_opt().unwrap_or(next).min(to);
        out.push(SalesRow {
            start: day_text(start.max(from)),
            end: day_text(last),
            card,
            paidy,
            total: add(card, paidy),
        });
        start = next;
    }
    out
}

const ACCOUNT_FIELDS: [AccountField; 10] = [
    AccountField::Receivable,
    AccountField::Sales,
    AccountField::Refunds,
    AccountField::FreeeTax,
    AccountField::MoneyForwardTax,
    AccountField::YayoiTax,
    AccountField::Fees,
    AccountField::Bank,
    AccountField::MoneyForwardFeeTax,
    AccountField::YayoiFeeTax,
];

fn setting_key(field: AccountField) -> String {
    format!("accounting.{}", field.code())
}

pub(crate) fn format_from(code: AccountingFormatCode) -> AccountingFormat {
    match code {
        AccountingFormatCode::Freee => AccountingFormat::Freee,
        AccountingFormatCode::Moneyforward => AccountingFormat::MoneyForward,
        AccountingFormatCode::Yayoi => AccountingFormat::Yayoi,
    }
}

pub(crate) fn refusal(r: ExportRefusal, format: AccountingFormat) -> AppError {
    let software = match format {
        AccountingFormat::Freee => "freee",
        AccountingFormat::MoneyForward => "マネーフォワード クラウド会計",
        AccountingFormat::Yayoi => "弥生会計",
    };
    let software_en = match format {
        AccountingFormat::Freee => "freee",
        AccountingFormat::MoneyForward => "Money Forward",
        AccountingFormat::Yayoi => "Yayoi",
    };
    match r {
        ExportRefusal::Missing(fields) => {
            let ja: Vec<&str> = fields.iter().map(|f| f.label().0).collect();
            let en: Vec<&str> = fields.iter().map(|f| f.label().1).collect();
            AppError::of(ErrorCode::AccountingAccountsMissing)
                .with_each("software", software, software_en)
                .with_each("fields", ja.join("、"), en.join(", "))
                .into()
        }
        ExportRefusal::NotShiftJis(field) => AppError::of(ErrorCode::AccountingAccountNotShiftJis)
            .with_each("field", field.label().0, field.label().1)
            .into(),
        ExportRefusal::TooLong(field, max) => AppError::of(ErrorCode::AccountingAccountTooLong)
            .with_each("field", field.label().0, field.label().1)
            .with("max", max)
            .with("full_width", max / 2)
            .into(),
    }
}

/// Captured, refunded and net amounts and counts per Japan day or month and method,
/// from the money ledger; every period of the range listed.
pub(crate) async fn sales_report(cx: &Context, query: SalesQuery) -> Result<SalesReport, AppError> {
    let period = match query.period {
        SalesPeriodCode::Day => Period::Day,
        SalesPeriodCode::Month => Period::Month,
    };
    let today = domain::money::tokyo_day(cx.now());
    let default_from = match period {
        Period::Day => month_start(today),
        Period::Month => month_start(today)
            .checked_sub_months(chrono::Months::new(11))
            .unwrap_or(today),
    };
    let (from, to) = range(
        &query.from.unwrap_or_else(|| day_text(default_from)),
        &query.to.unwrap_or_else(|| day_text(today)),
    )?;
    let end = to.succ_opt().unwrap_or(to);
    let totals = cx
        .store()
        .sales(tokyo_day_start(from), tokyo_day_start(end))?;
    let cells = totals.cells(period);
    let rows = rows(period, from, to, &cells);
    let total = rows
        .iter()
        .fold(SalesFigures::default(), |sum, r| add(sum, r.total));
    Ok(SalesReport {
        period: query.period,
        from: day_text(from),
        to: day_text(to),
        rows,
        total,
    })
}

/// The captures and refunds behind one cell of the sales table (oldest first).
pub(crate) async fn sales_movements(
    cx: &Context,
    query: MovementsQuery,
) -> Result<MovementList, AppError> {
    let (from, to) = range(&query.from, &query.to)?;
    let end = to.succ_opt().unwrap_or(to);
    let method = query.method.map(|m| match m {
        crate::dto::PaymentMethodCode::Card => PaymentMethod::Card,
        crate::dto::PaymentMethodCode::Paidy => PaymentMethod::Paidy,
    });
    let page = cx.store().movements(
        tokyo_day_start(from),
        tokyo_day_start(end),
        method,
        RULES.sales_movements_shown,
    )?;
    Ok(MovementList {
        items: page
            .items
            .into_iter()
            .map(|m| MovementItem {
                order_id: m.order_id.0,
                order_number: m.order_number,
                payment_id: m.payment_id,
                method: method_to(m.method),
                kind: match m.kind {
                    domain::money::MovementKind::Capture => MovementKindCode::Capture,
                    domain::money::MovementKind::Refund => MovementKindCode::Refund,
                },
                amount_yen: m.amount.0,
                at: m.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                estimated: m.source == store::MovementSource::Estimated,
            })
            .collect(),
        total: u32::try_from(page.total).unwrap_or(u32::MAX),
    })
}

pub(crate) fn account_names(cx: &Context) -> Result<AccountNames, AppError> {
    let store = cx.store();
    let get = |f: AccountField| -> Result<Option<String>, AppError> {
        Ok(store.setting(&setting_key(f))?)
    };
    Ok(AccountNames {
        receivable: get(AccountField::Receivable)?,
        sales: get(AccountField::Sales)?,
        refunds: get(AccountField::Refunds)?,
        freee_tax: get(AccountField::FreeeTax)?,
        moneyforward_tax: get(AccountField::MoneyForwardTax)?,
        yayoi_tax: get(AccountField::YayoiTax)?,
        fees: get(AccountField::Fees)?,
        bank: get(AccountField::Bank)?,
        moneyforward_fee_tax: get(AccountField::MoneyForwardFeeTax)?,
        yayoi_fee_tax: get(AccountField::YayoiFeeTax)?,
    })
}

/// The account names and tax categories the accounting exports use.
pub(crate) async fn accounting_settings(cx: &Context) -> Result<AccountingSettings, AppError> {
    let names = account_names(cx)?;
    let get = |f| names.get(f).unwrap_or_default().to_owned();
    Ok(AccountingSettings {
        receivable: get(AccountField::Receivable),
        sales: get(AccountField::Sales),
        refunds: get(AccountField::Refunds),
        freee_tax: get(AccountField::FreeeTax),
        moneyforward_tax: get(AccountField::MoneyForwardTax),
        yayoi_tax: get(AccountField::YayoiTax),
        fees: get(AccountField::Fees),
        bank: get(AccountField::Bank),
        moneyforward_fee_tax: get(AccountField::MoneyForwardFeeTax),
        yayoi_fee_tax: get(AccountField::YayoiFeeTax),
    })
}

/// Saves the account names (trimmed; empty = not set) all at once.
pub(crate) async fn save_accounting_settings(
    cx: &Context,
    input: AccountingSettings,
) -> Result<AccountingSettings, AppError> {
    {
        let mut store = cx.store();
        for field in ACCOUNT_FIELDS {
            let value = match field {
                AccountField::Receivable => &input.receivable,
                AccountField::Sales => &input.sales,
                AccountField::Refunds => &input.refunds,
                AccountField::FreeeTax => &input.freee_tax,
                AccountField::MoneyForwardTax => &input.moneyforward_tax,
                AccountField::YayoiTax => &input.yayoi_tax,
                AccountField::Fees => &input.fees,
                AccountField::Bank => &input.bank,
                AccountField::MoneyForwardFeeTax => &input.moneyforward_fee_tax,
                AccountField::YayoiFeeTax => &input.yayoi_fee_tax,
            };
            let value = value.trim();
            if value.chars().count() > RULES.buyer_text_max_chars {
                return Err(AppError::of(ErrorCode::AccountingAccountTooLongToKeep)
                    .with_each("field", field.label().0, field.label().1)
                    .into());
            }
            store.set_setting(&setting_key(field), value)?;
        }
    }
    accounting_settings(cx).await
}
