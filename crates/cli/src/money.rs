//! `paydesk money sales | cell | expected | export | reconcile`: money in (issue 21) from
//! the command line, over the same [`Desk`] calls as the window.

use api::Desk;
use api::dto::money::{
    AccountingFormatCode, DepositInput, ExpectedDepositsQuery, MovementKindCode, MovementsQuery,
    ReconciledDeposit, SalesPeriodCode, SalesQuery,
};
use api::dto::statement::{StatementImport, StatementLineStatusCode};
use clap::{Args, Subcommand, ValueEnum};

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
    /// Deposits received: record one, import the bank's statement, list them matched to
    /// their settlement periods
    #[command(subcommand)]
    Reconcile(ReconcileCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum ReconcileCommand {
    /// Record a deposit received from the gateway and show it matched to its period
    Record(DepositArgs),
    /// Correct a deposit typed by hand (its number is in `list`); the earlier values are
    /// kept. A deposit imported from the bank's statement cannot be corrected
    Correct {
        /// The deposit's number (`#N` in `list`)
        id: i64,
        #[command(flatten)]
        deposit: DepositArgs,
    },
    /// Withdraw a deposit typed by mistake: it leaves the reconciliation, the deposit
    /// check's comparison and the journal files (its values stay recorded). Asks for
    /// --yes, since it cannot be undone from PayDesk
    Withdraw {
        /// The deposit's number (`#N` in `list`)
        id: i64,
        /// Confirm the withdrawal
        #[arg(long)]
        yes: bool,
    },
    /// Import the bank's statement (CSV, UTF-8 or Shift_JIS; columns as set in the
    /// window's "Statement columns"): --preview shows every line and records nothing;
    /// --apply TOKEN records exactly that preview; neither: preview, then record it
    Import(ImportArgs),
    /// The deposits received, each matched to its period with the difference and the
    /// orders that explain it, and where the deposit check disagrees
    List {
        /// The first Japan day (2026-12-01)
        #[arg(long, value_name = "DAY")]
        from: Option<String>,
        /// The last Japan day (2026-12-31)
        #[arg(long, value_name = "DAY")]
        to: Option<String>,
    },
}

/// A deposit as typed: recorded, or a correction of one.
#[derive(Debug, Args)]
pub(crate) struct DepositArgs {
    /// The payment method the deposit pays
    #[arg(long)]
    method: MethodArg,
    /// The Japan day it arrived (2026-12-15)
    #[arg(long, value_name = "DAY")]
    day: String,
    /// The amount received, in yen
    #[arg(long)]
    amount: i64,
}

impl DepositArgs {
    fn input(self) -> DepositInput {
        DepositInput {
            method: self.method.code(),
            received_on: self.day,
            amount_yen: self.amount,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The bank's statement
    file: String,
    /// Show what would be recorded; record nothing
    #[arg(long, conflicts_with = "apply")]
    preview: bool,
    /// Record the preview with this token (printed by --preview)
    #[arg(long, value_name = "TOKEN")]
    apply: Option<String>,
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
                for note in &report.notes {
                    println!("note: {}", crate::say(note));
                }
            }
        }
        MoneyCommand::Reconcile(c) => reconcile(desk, c, json).await?,
    }
    Ok(())
}

fn show_deposit(d: &ReconciledDeposit, json: bool) {
    if json {
        print_json(d);
    } else {
        print_deposit(d);
    }
}

fn print_deposit(d: &ReconciledDeposit) {
    let method = match d.method {
        api::dto::PaymentMethodCode::Card => "card",
        api::dto::PaymentMethodCode::Paidy => "paidy",
    };
    let origin = if d.imported {
        " (bank statement)"
    } else if d.corrections > 0 {
        " (typed, corrected)"
    } else {
        " (typed)"
    };
    println!(
        "#{} {} {method} received {}{origin}",
        d.id, d.received_on, d.amount_yen
    );
    for m in &d.missing {
        println!("  {}", say(m));
    }
    let Some(p) = &d.period else {
        if d.missing.is_empty() {
            println!("  no settlement period is paid near this day (unmatched)");
        }
        return;
    };
    println!(
        "  period {} – {} paid {}: expected {}, difference {}{}",
        p.start,
        p.end,
        p.payment_date,
        p.expected_yen,
        d.difference_yen.unwrap_or(0),
        match (d.difference_yen, d.explained) {
            (Some(0), _) => "",
            (_, true) => " (explained by the orders below)",
            (_, false) => " (not explained by the orders)",
        }
    );
    if let Some(rate) = &d.implied_fee_rate {
        println!("  a fee rate of {rate}% would make it meet");
    }
    for m in &d.explanation {
        let sign = if m.kind == MovementKindCode::Refund {
            -1
        } else {
            1
        };
        println!("    {} {} {}", m.at, m.order_number, sign * m.amount_yen);
    }
}

fn print_statement(s: &StatementImport) {
    for l in &s.lines {
        let status = match l.status {
            StatementLineStatusCode::Record if s.applied => "recorded",
            StatementLineStatusCode::Record => "to record",
            StatementLineStatusCode::AlreadyImported => "imported before",
            StatementLineStatusCode::AlreadyTyped => "typed before",
            StatementLineStatusCode::NotGateway => "not the gateway's",
            StatementLineStatusCode::Withdrawal => "withdrawal",
            StatementLineStatusCode::Unreadable => "unreadable",
        };
        let amount = l.amount_yen.map(|a| a.to_string()).unwrap_or_default();
        println!(
            "line {:>4}  {:<10} {:>10}  {:<16} {}",
            l.line, l.date, amount, status, l.description
        );
        let matched = l
            .deposit
            .as_ref()
            .and_then(|d| d.period.as_ref().map(|p| (d, p)));
        if let Some((d, p)) = matched {
            println!(
                "           period {} – {} paid {}: expected {}, difference {}{}",
                p.start,
                p.end,
                p.payment_date,
                p.expected_yen,
                d.difference_yen.unwrap_or(0),
                if d.difference_yen != Some(0) && d.explained {
                    " (explained)"
                } else {
                    ""
                }
            );
        }
        if let Some(r) = &l.reason {
            println!("           {}", say(r));
        }
    }
    println!(
        "{} lines ({}): {} gateway deposits, {} {}, {} recorded before; {} matched to a period, {} unmatched, {} with a difference",
        s.lines.len(),
        s.encoding,
        s.deposits,
        s.recorded,
        if s.applied { "recorded" } else { "to record" },
        s.already,
        s.matched,
        s.unmatched,
        s.differences
    );
}

async fn reconcile(desk: &Desk, command: ReconcileCommand, json: bool) -> Result<(), Failure> {
    match command {
        ReconcileCommand::Record(deposit) => {
            let d = desk.record_deposit(deposit.input()).await?;
            show_deposit(&d, json);
        }
        ReconcileCommand::Correct { id, deposit } => {
            let d = desk.correct_deposit(id, deposit.input()).await?;
            show_deposit(&d, json);
        }
        ReconcileCommand::Withdraw { id, yes } => {
            if !yes {
                return Err(Failure::Usage(
                    "withdrawing a deposit cannot be undone from PayDesk: it leaves the \
                     reconciliation, the deposit check's comparison and the journal files. \
                     Run it again with --yes"
                        .into(),
                ));
            }
            desk.withdraw_deposit(id).await?;
            if json {
                print_json(&serde_json::json!({ "withdrawn": id }));
            } else {
                println!("deposit #{id} withdrawn (its values stay recorded)");
            }
        }
        ReconcileCommand::Import(a) => {
            let token = match a.apply {
                Some(token) => token,
                None => {
                    let preview = desk.preview_statement(a.file.clone()).await?;
                    if a.preview {
                        if json {
                            print_json(&preview);
                        } else {
                            print_statement(&preview);
                            println!(
                                "record it: paydesk money reconcile import {} --apply {}",
                                a.file, preview.token
                            );
                        }
                        return Ok(());
                    }
                    preview.token
                }
            };
            let report = desk.import_statement(a.file, token).await?;
            if json {
                print_json(&report);
            } else {
                print_statement(&report);
            }
        }
        ReconcileCommand::List { from, to } => {
            let query = ExpectedDepositsQuery { from, to };
            let report = desk.reconciliation(query.clone()).await?;
            let agreement = desk.deposit_check_agreement(query).await?;
            if json {
                print_json(&serde_json::json!({
                    "reconciliation": report,
                    "deposit_check": agreement,
                }));
                return Ok(());
            }
            for d in &report.deposits {
                print_deposit(d);
            }
            if report.deposits.is_empty() {
                println!("no deposit recorded from {} to {}", report.from, report.to);
            }
            for p in &agreement.periods {
                println!(
                    "deposit check: {} of {} orders of the period {} – {} (deposit of {}) are not marked received:",
                    p.unmarked_count, p.orders, p.start, p.end, p.received_on
                );
                for o in &p.unmarked {
                    println!("  {}", o.order_number);
                }
            }
            for m in &agreement.marked_without_deposit {
                println!(
                    "deposit check: {} is marked received on {}, but no deposit is recorded for its period {} – {} (paid {})",
                    m.order.order_number,
                    m.order.marked_on.as_deref().unwrap_or(""),
                    m.start,
                    m.end,
                    m.payment_date
                );
            }
            if agreement.agree {
                println!("the deposit check agrees with the recorded deposits");
            }
        }
    }
    Ok(())
}
