//! `paydesk money sales | cell | expected | export`: money in (issue 21) from the command
//! line, over the same [`Desk`] calls as the window.

use crate::Desk;
use crate::cli::{Args, Failure, print_json, say};
use crate::dto::PaymentMethodCode;
use crate::dto::money::{
    AccountingFormatCode, ExpectedDepositsQuery, MovementKindCode, MovementsQuery, SalesPeriodCode,
    SalesQuery,
};

fn method(args: &Args) -> Result<Option<PaymentMethodCode>, Failure> {
    match args.option("method") {
        None => Ok(None),
        Some("card") => Ok(Some(PaymentMethodCode::Card)),
        Some("paidy") => Ok(Some(PaymentMethodCode::Paidy)),
        Some(other) => Err(format!("--method {other}: use card or paidy").into()),
    }
}

/// Runs one `money` sub-command.
pub(crate) async fn execute(desk: &Desk, args: &Args, sub: Option<&str>) -> Result<(), Failure> {
    match sub {
        Some("sales") => {
            let period = match args.option("period") {
                None | Some("day") => SalesPeriodCode::Day,
                Some("month") => SalesPeriodCode::Month,
                Some(other) => return Err(format!("--period {other}: use day or month").into()),
            };
            let report = desk
                .sales_report(SalesQuery {
                    period,
                    from: args.option("from").map(str::to_owned),
                    to: args.option("to").map(str::to_owned),
                })
                .await?;
            if args.json {
                print_json(&report);
                return Ok(());
            }
            println!(
                "{:<10} {:>12} {:>12} {:>12} {:>12} {:>12}",
                "period", "card", "card refund", "paidy", "paidy refund", "net"
            );
            for r in report
                .rows
                .iter()
                .filter(|r| r.total.captures + r.total.refunds > 0)
            {
                println!(
                    "{:<10} {:>12} {:>12} {:>12} {:>12} {:>12}",
                    r.start,
                    r.card.captured_yen,
                    -r.card.refunded_yen,
                    r.paidy.captured_yen,
                    -r.paidy.refunded_yen,
                    r.total.net_yen
                );
            }
            println!(
                "{} – {}: captured {} ({}), refunded {} ({}), net {}",
                report.from,
                report.to,
                report.total.captured_yen,
                report.total.captures,
                report.total.refunded_yen,
                report.total.refunds,
                report.total.net_yen
            );
        }
        Some("cell") => {
            let (Some(from), Some(to)) = (args.option("from"), args.option("to")) else {
                return Err("--from and --to are needed (Japan days: 2026-12-01)".into());
            };
            let list = desk
                .sales_movements(MovementsQuery {
                    from: from.to_owned(),
                    to: to.to_owned(),
                    method: method(args)?,
                })
                .await?;
            if args.json {
                print_json(&list);
                return Ok(());
            }
            for m in &list.items {
                let sign = if m.kind == MovementKindCode::Refund {
                    -1
                } else {
                    1
                };
                println!(
                    "{}  {:<20} {:<22} {:>10}{}",
                    m.at,
                    m.order_number,
                    m.payment_id,
                    sign * m.amount_yen,
                    if m.estimated {
                        "  (estimated time)"
                    } else {
                        ""
                    }
                );
            }
            println!("({} of {})", list.items.len(), list.total);
        }
        Some("expected") => {
            let report = desk
                .expected_deposits(ExpectedDepositsQuery {
                    from: args.option("from").map(str::to_owned),
                    to: args.option("to").map(str::to_owned),
                })
                .await?;
            if args.json {
                print_json(&report);
                return Ok(());
            }
            for m in &report.methods {
                println!("{:?}", m.method);
                for missing in &m.missing {
                    println!("  {}", say(missing));
                }
                for p in &m.periods {
                    println!(
                        "  {} – {}  paid {}{}  captured {} refunded {} fees {} transfer {}  expected {}",
                        p.start,
                        p.end,
                        p.payment_date,
                        if p.to_come { " (to come)" } else { "" },
                        p.captured_yen,
                        p.refunded_yen,
                        p.fee_yen,
                        p.transfer_fee_yen,
                        p.expected_yen
                    );
                }
            }
            println!("still to come: {}", report.to_come_yen);
        }
        Some("export") => {
            let path = args.word(2).ok_or("the file to write is needed")?;
            let format = match args.option("format") {
                Some("freee") => AccountingFormatCode::Freee,
                Some("moneyforward") => AccountingFormatCode::Moneyforward,
                Some("yayoi") => AccountingFormatCode::Yayoi,
                _ => return Err("--format freee|moneyforward|yayoi is needed".into()),
            };
            let month = args.option("month").ok_or("--month 2026-11 is needed")?;
            let report = desk
                .export_journal(path.to_owned(), format, month.to_owned())
                .await?;
            if args.json {
                print_json(&report);
            } else {
                println!(
                    "{} journal entries written to {}",
                    report.entries, report.path
                );
            }
        }
        _ => return Err("money: use sales, cell, expected or export".into()),
    }
    Ok(())
}
