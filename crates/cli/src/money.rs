//! `paydesk money sales | cell | expected | export`: money in (issue 21) from the command
//! line, over the same [`Desk`] calls as the window.

use api::Desk;
use api::dto::money::{
    AccountingFormatCode, ExpectedDepositsQuery, MovementKindCode, MovementsQuery, SalesPeriodCode,
    SalesQuery,
};
use clap::{Subcommand, ValueEnum};

use crate::{Failure, MethodArg, print_json, say};

#[derive(Debug, Subcommand)]
pub(crate) enum MoneyCommand {
    /// Captured, refunded and net per Japan day or month
    Sales {
        /// Rows per day or per month
        #[arg(long, default_value = "day")]
        period: PeriodArg,
        /// The first Japan day (2026-12-01)
        #[arg(long, value_name = "DAY")]
        from: Option<String>,
        /// The last Japan day (2026-12-31)
        #[arg(long, value_name = "DAY")]
        to: Option<String>,
    },
    /// The captures and refunds behind a cell of the sales table
    Cell {
        /// The first Japan day (2026-12-01)
        #[arg(long, value_name = "DAY")]
        from: String,
        /// The last Japan day (2026-12-31)
        #[arg(long, value_name = "DAY")]
        to: String,
        /// Only this payment method
        #[arg(long)]
        method: Option<MethodArg>,
    },
    /// Expected deposits per settlement period
    Expected {
        /// The first Japan day (2026-12-01)
        #[arg(long, value_name = "DAY")]
        from: Option<String>,
        /// The last Japan day (2026-12-31)
        #[arg(long, value_name = "DAY")]
        to: Option<String>,
    },
    /// Write a month's journal entries as an accounting software's import file (refused
    /// until every account name is set)
    Export {
        /// The file to write
        file: String,
        /// The accounting software
        #[arg(long)]
        format: FormatArg,
        /// The month (2026-11)
        #[arg(long)]
        month: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum PeriodArg {
    Day,
    Month,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum FormatArg {
    /// freee
    Freee,
    /// マネーフォワード クラウド会計
    Moneyforward,
    /// 弥生会計
    Yayoi,
}

/// Runs one `money` sub-command.
pub(crate) async fn execute(desk: &Desk, command: MoneyCommand, json: bool) -> Result<(), Failure> {
    match command {
        MoneyCommand::Sales { period, from, to } => {
            let period = match period {
                PeriodArg::Day => SalesPeriodCode::Day,
                PeriodArg::Month => SalesPeriodCode::Month,
            };
            let report = desk.sales_report(SalesQuery { period, from, to }).await?;
            if json {
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
        MoneyCommand::Cell { from, to, method } => {
            let query = MovementsQuery {
                from,
                to,
                method: method.map(MethodArg::code),
            };
            let list = desk.sales_movements(query).await?;
            if json {
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
        MoneyCommand::Expected { from, to } => {
            let report = desk
                .expected_deposits(ExpectedDepositsQuery { from, to })
                .await?;
            if json {
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
        MoneyCommand::Export {
            file,
            format,
            month,
        } => {
            let format = match format {
                FormatArg::Freee => AccountingFormatCode::Freee,
                FormatArg::Moneyforward => AccountingFormatCode::Moneyforward,
                FormatArg::Yayoi => AccountingFormatCode::Yayoi,
            };
            let report = desk.export_journal(file, format, month).await?;
            if json {
                print_json(&report);
            } else {
                println!(
                    "{} journal entries written to {}",
                    report.entries, report.path
                );
            }
        }
    }
    Ok(())
}
