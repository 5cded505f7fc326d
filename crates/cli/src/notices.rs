//! `paydesk orders notify`: the shipping notice and the order confirmation from the command
//! line (scripting), over the same [`Desk`] calls as the window: `--preview` prints each
//! mail as the buyer will get it and sends nothing; without it each order's mail is sent
//! and reported. An order that got the mail before is not sent again unless `--resend`
//! says the buyer is to get a second one.

use api::dto::order_mail::{OrderMailKindCode, OrderMailOutcomeCode, OrderMailRequest};
use api::{AppError, Desk};
use clap::{Args, ValueEnum};

use crate::{Failure, print_json, say};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum NoticeKindArg {
    /// 発送のお知らせ: carrier, tracking number and tracking link
    Shipping,
    /// ご注文確認: items and amounts
    Confirmation,
}

#[derive(Debug, Args)]
pub(crate) struct NotifyArgs {
    /// Which mail
    #[arg(long)]
    kind: NoticeKindArg,
    /// The orders' order numbers
    #[arg(required = true, value_name = "ORDER_NUMBER")]
    numbers: Vec<String>,
    /// Print each mail as the buyer will get it (or why it cannot go); send nothing
    #[arg(long)]
    preview: bool,
    /// Send again to orders that got this mail before: their buyers get a second one
    #[arg(long, conflicts_with = "preview")]
    resend: bool,
}

/// `orders notify`: exit 1 unless every order's mail was sent (or, with `--preview`, could
/// be).
pub(crate) async fn notify(desk: &Desk, a: NotifyArgs, json: bool) -> Result<(), Failure> {
    let mut order_ids = Vec::with_capacity(a.numbers.len());
    for number in &a.numbers {
        order_ids.push(crate::documents::order_id(desk, number)?);
    }
    let request = OrderMailRequest {
        kind: match a.kind {
            NoticeKindArg::Shipping => OrderMailKindCode::ShippingNotice,
            NoticeKindArg::Confirmation => OrderMailKindCode::OrderConfirmation,
        },
        order_ids,
        resend: a.resend,
    };
    if a.preview {
        let previews = desk.preview_order_mails(request).await?;
        if json {
            print_json(&previews);
        } else {
            for p in &previews.previews {
                println!("== {} ({})", p.order_number, p.order_id);
                match (&p.refused, &p.subject, &p.body) {
                    (Some(e), _, _) => println!("  refused: {}", say(&e.message)),
                    (None, Some(subject), Some(body)) => {
                        println!("To: {}", p.to.as_deref().unwrap_or("-"));
                        println!("Subject: {subject}\n\n{body}");
                    }
                    _ => {}
                }
                if let Some(at) = &p.already_sent_at {
                    println!("  already sent at {at} (--resend sends a second mail)");
                }
                if p.maybe_sent {
                    println!("  an earlier attempt stopped midway: the buyer may have it");
                }
            }
        }
        let refused = previews
            .previews
            .iter()
            .filter(|p| p.refused.is_some())
            .count();
        if refused == 0 {
            return Ok(());
        }
        return Err(Failure::App(
            AppError::of(api::ErrorCode::OrderMailsRefused)
                .with("count", refused)
                .into(),
        ));
    }
    send(desk, request, json).await
}

/// Sends the order mails and reports each order: exit 1 unless every one was sent.
pub(crate) async fn send(
    desk: &Desk,
    request: OrderMailRequest,
    json: bool,
) -> Result<(), Failure> {
    let report = desk.send_order_mails(request).await?;
    if json {
        print_json(&report);
    } else {
        for r in &report.results {
            println!(
                "{:<20} {:?}  {}",
                r.order_number,
                r.outcome,
                say(&r.message)
            );
        }
        println!("{}", say(&report.summary));
    }
    let not_sent = report
        .results
        .iter()
        .filter(|r| r.outcome != OrderMailOutcomeCode::Sent)
        .count();
    not_all_sent(not_sent, report.problem.clone())
}

/// Exit 1 when `not_sent` orders did not get the mail: the report's own problem if it has
/// one (the SMTP server refused), else a count.
pub(crate) fn not_all_sent(not_sent: usize, problem: Option<AppError>) -> Result<(), Failure> {
    if not_sent == 0 {
        return Ok(());
    }
    Err(Failure::App(problem.unwrap_or_else(|| {
        AppError::of(api::ErrorCode::OrderMailsNotAllSent)
            .with("count", not_sent)
            .into()
    })))
}
