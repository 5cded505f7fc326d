//! `paydesk documents issue | shop` and `paydesk deposit mark | undo`: the shop's documents
//! and the deposit check from the command line (scripting), over the same [`Desk`] calls
//! as the window. Orders are named by their order numbers, as the shop knows them.

use crate::cli::{Args, Failure, print_json, say};
use crate::dto::documents::{DepositCheckInput, DocumentKindCode, IssueDocumentsRequest};
use crate::{AppError, Desk, Text};

fn kind(word: &str) -> Result<DocumentKindCode, Failure> {
    match word {
        "order-slip" => Ok(DocumentKindCode::OrderSlip),
        "delivery-note" => Ok(DocumentKindCode::DeliveryNote),
        "invoice" => Ok(DocumentKindCode::Invoice),
        "receipt" => Ok(DocumentKindCode::Receipt),
        other => Err(Failure::Usage(format!(
            "{other}: use order-slip, delivery-note, invoice or receipt"
        ))),
    }
}

/// The order with this order number; a number no order or several orders have is an error.
fn order_id(desk: &Desk, number: &str) -> Result<i64, Failure> {
    let ids = desk
        .store()
        .orders_by_number(number)
        .map_err(AppError::from)?;
    match ids.as_slice() {
        [one] => Ok(one.0),
        [] => Err(Failure::App(AppError::refused(
            "order_number_not_found",
            Text::new(
                &format!("注文番号「{number}」の注文はありません。"),
                &format!("No order has the order number \"{number}\"."),
            ),
        ))),
        many => {
            let ids: Vec<String> = many.iter().map(|id| id.0.to_string()).collect();
            Err(Failure::App(AppError::refused(
                "order_number_ambiguous",
                Text::new(
                    &format!(
                        "注文番号「{number}」の注文が複数あります（ID {}）。",
                        ids.join(", ")
                    ),
                    &format!(
                        "Several orders have the order number \"{number}\" (IDs {}).",
                        ids.join(", ")
                    ),
                ),
            )))
        }
    }
}

/// Runs one `documents` or `deposit` sub-command.
pub(crate) async fn execute(desk: &Desk, args: &Args) -> Result<(), Failure> {
    match (args.word(0), args.word(1)) {
        (Some("documents"), Some("issue")) => {
            let kind = kind(args.word(2).ok_or("the document kind is needed")?)?;
            let out = args.option("out").ok_or("--out FILE.pdf is needed")?;
            let numbers = &args.words[3..];
            if numbers.is_empty() {
                return Err("at least one order number is needed".into());
            }
            let order_ids = numbers
                .iter()
                .map(|n| order_id(desk, n))
                .collect::<Result<Vec<_>, _>>()?;
            let report = desk
                .issue_documents(IssueDocumentsRequest {
                    kind,
                    order_ids,
                    path: out.to_owned(),
                })
                .await?;
            if args.json {
                print_json(&report);
            } else {
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
            }
        }
        (Some("documents"), Some("shop")) => print_json(&desk.shop_details().await?),
        (Some("deposit"), Some("mark")) => {
            let id = order_id(desk, args.word(2).ok_or("the order number is needed")?)?;
            let day = args.option("day").ok_or("--day 2026-12-01 is needed")?;
            let amount = args
                .option("amount")
                .map(|a| a.parse::<i64>().map_err(|_| "--amount must be whole yen"))
                .transpose()?;
            let order = desk
                .mark_deposit(
                    id,
                    DepositCheckInput {
                        received_on: day.to_owned(),
                        amount_yen: amount,
                    },
                )
                .await?;
            if args.json {
                print_json(&order);
            } else if let Some(line) = order.history.first() {
                println!("{}", say(&line.text));
            }
        }
        (Some("deposit"), Some("undo")) => {
            let id = order_id(desk, args.word(2).ok_or("the order number is needed")?)?;
            let order = desk.undo_deposit(id).await?;
            if args.json {
                print_json(&order);
            } else if let Some(line) = order.history.first() {
                println!("{}", say(&line.text));
            }
        }
        _ => return Err("unknown command".into()),
    }
    Ok(())
}
