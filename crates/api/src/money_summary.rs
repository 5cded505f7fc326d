//! The money part of the monthly summary mail (issue 21, point 5), from the same calls the
//! screens make: `sales_report` for the month's sales, `expected_deposits` for its
//! periods, `reconciliation` for the deposits received in it. No second sum.

use chrono::NaiveDate;
use domain::{PaymentMethod, Yen};

use crate::AppError;
use crate::context::Context;
use crate::deposits;
use crate::dto::PaymentMethodCode;
use crate::dto::money::{ExpectedDepositsQuery, SalesPeriodCode, SalesQuery};
use crate::money;

fn method(code: PaymentMethodCode) -> PaymentMethod {
    match code {
        PaymentMethodCode::Card => PaymentMethod::Card,
        PaymentMethodCode::Paidy => PaymentMethod::Paidy,
    }
}

/// The month `first` to `last` (Japan days) as the sales and deposits screens show it.
pub(crate) async fn money_summary(
    cx: &Context,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<mail::MoneySummary, AppError> {
    let day = |d: NaiveDate| Some(d.format("%Y-%m-%d").to_string());
    let sales = money::sales_report(
        cx,
        SalesQuery {
            period: SalesPeriodCode::Month,
            from: day(first),
            to: day(last),
        },
    )
    .await?;
    let query = ExpectedDepositsQuery {
        from: day(first),
        to: day(last),
    };
    let expected = deposits::expected_deposits(cx, query.clone()).await?;
    let received = deposits::reconciliation(cx, query).await?;
    let mut out = mail::MoneySummary {
        captured: Yen(sales.total.captured_yen),
        refunded: Yen(sales.total.refunded_yen),
        net: Yen(sales.total.net_yen),
        to_come: Yen(expected.to_come_yen),
        ..mail::MoneySummary::default()
    };
    for m in &expected.methods {
        for p in &m.periods {
            out.expected.push(mail::ExpectedLine {
                method: method(m.method),
                start: p.start.clone(),
                end: p.end.clone(),
                payment_date: p.payment_date.clone(),
                expected: Yen(p.expected_yen),
            });
        }
        if !m.missing.is_empty() {
            let ja: Vec<&str> = m.missing.iter().map(|t| t.ja.as_str()).collect();
            let en: Vec<&str> = m.missing.iter().map(|t| t.en.as_str()).collect();
            out.missing
                .push((method(m.method), ja.join("、"), en.join("; ")));
        }
    }
    for d in &received.deposits {
        // A difference is open until the orders explain it; a deposit that matches no
        // period (its contract complete) is open too.
        let open = match d.difference_yen {
            Some(diff) => diff != 0 && !d.explained,
            None => d.missing.is_empty(),
        };
        if open {
            out.open_differences.push(mail::OpenDifference {
                method: method(d.method),
                received_on: d.received_on.clone(),
                amount: Yen(d.amount_yen),
                difference: d.difference_yen.map(Yen),
            });
        }
    }
    Ok(out)
}
