//! `paydesk documents issue | shop` and `paydesk deposit mark | undo`: the shop's documents
//! and the deposit check from the command line (scripting), over the same [`Desk`] calls
//! as the window. Orders are named by their order numbers, as the shop knows them.

use api::dto::documents::{DepositCheckInput, DocumentKindCode, IssueDocumentsRequest};
use api::{AppError, Desk};
use clap::{Subcommand, ValueEnum};

use crate::{Failure, print_json, say};

#[derive(Debug, Subcommand)]
pub(crate) enum DocumentsCommand {
    /// Issue one kind of document for orders as one PDF (all or none: an order that cannot
    /// have it refuses the file and is named)
    Issue {
        /// The kind of document
        kind: KindArg,
        /// The orders' order numbers
        #[arg(required = true, value_name = "ORDER_NUMBER")]
        numbers: Vec<String>,
        /// The PDF file to write
        #[arg(long, value_name = "FILE.pdf")]
        out: String,
    },
    /// The shop's details the documents print, as JSON
    Shop,
}

#[derive(Debug, Subcommand)]
pub(crate) enum DepositCommand {
    /// Mark an order's payment as received on a day
    Mark {
        /// The order's order number
        order_number: String,
        /// The Japan day the deposit arrived (2026-12-01)
        #[arg(long, value_name = "DAY")]
        day: String,
        /// The yen received, when it differs from what the payment holds
        #[arg(long)]
        amount: Option<i64>,
    },
    /// Undo an order's deposit mark
    Undo {
        /// The order's order number
        order_number: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum KindArg {
    /// 納品書の控え (order slip)
    OrderSlip,
    /// 納品書 (delivery note)
    DeliveryNote,
    /// 請求書 (invoice)
    Invoice,
    /// 領収書 (receipt)
    Receipt,
}

impl KindArg {
    fn code(self) -> DocumentKindCode {
        match self {
            KindArg::OrderSlip => DocumentKindCode::OrderSlip,
            KindArg::DeliveryNote => DocumentKindCode::DeliveryNote,
            KindArg::Invoice => DocumentKindCode::Invoice,
            KindArg::Receipt => DocumentKindCode::Receipt,
        }
    }
}

/// The order with this order number; a number no order or several orders have is an error.
pub(crate) fn order_id(desk: &Desk, number: &str) -> Result<i64, Failure> {
    let ids = desk.orders_with_number(number)?;
    match ids.as_slice() {
        [one] => Ok(*one),
        [] => Err(Failure::App(
            AppError::of(api::ErrorCode::OrderNumberNotFound)
                .with("number", number)
                .into(),
        )),
        many => {
            let ids: Vec<String> = many.iter().map(i64::to_string).collect();
            Err(Failure::App(
                AppError::of(api::ErrorCode::OrderNumberAmbiguous)
                    .with("number", number)
                    .with("ids", ids.join(", "))
                    .into(),
            ))
        }
    }
}

/// Runs one `documents` sub-command.
pub(crate) async fn execute(
    desk: &Desk,
    command: DocumentsCommand,
    json: bool,
) -> Result<(), Failure> {
    let (kind, numbers, out) = match command {
        DocumentsCommand::Shop => {
            print_json(&desk.shop_details().await?);
            return Ok(());
        }
        DocumentsCommand::Issue { kind, numbers, out } => (kind, numbers, out),
    };
    let order_ids = numbers
        .iter()
        .map(|n| order_id(desk, n))
        .collect::<Result<Vec<_>, _>>()?;
    let report = desk
        .issue_documents(IssueDocumentsRequest {
            kind: kind.code(),
            order_ids,
            path: out,
        })
        .await?;
    if json {
        print_json(&report);
        return Ok(());
    }
    for d in &report.documents {
        println!(
            "{:<20} {:<24} {:>10}{}",
            d.order_number,
            d.number,
            d.amount_yen,
            if d.reissue {
                "  (再発行 / reissue)"
            } else {
                ""
            }
        );
    }
    println!(
        "{} documents written to {} ({} KB)",
        report.documents.len(),
        report.path,
        report.bytes.div_ceil(1024)
    );
    Ok(())
}

/// Runs one `deposit` sub-command.
pub(crate) async fn deposit(
    desk: &Desk,
    command: DepositCommand,
    json: bool,
) -> Result<(), Failure> {
    let order = match command {
        DepositCommand::Mark {
            order_number,
            day,
            amount,
        } => {
            let id = order_id(desk, &order_number)?;
            let input = DepositCheckInput {
                received_on: day,
                amount_yen: amount,
            };
            desk.mark_deposit(id, input).await?
        }
        DepositCommand::Undo { order_number } => {
            let id = order_id(desk, &order_number)?;
            desk.undo_deposit(id).await?
        }
    };
    if json {
        print_json(&order);
    } else if let Some(line) = order.history.first() {
        println!("{}", say(&line.text));
    }
    Ok(())
}
