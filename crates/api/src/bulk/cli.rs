//! `paydesk bulk list | capture | log`: bulk capture from the command line (automation),
//! over the same [`Desk`] calls as the window.

use crate::cli::{Args, Failure, print_json, say};
use crate::dto::bulk::{BulkItemStatusCode, BulkRunDetail, BulkRunSummary, UnprocessedQuery};
use crate::{AppError, Desk, Text};

fn query(args: &Args) -> Result<UnprocessedQuery, Failure> {
    let page = args
        .option("page")
        .map(|v| v.parse().map_err(|_| "--page must be a number"))
        .transpose()?
        .unwrap_or_default();
    Ok(UnprocessedQuery {
        search: args.option("search").map(str::to_owned),
        selectable_only: args.option("selectable").is_some(),
        failed_only: args.option("failed").is_some(),
        shipped_only: args.option("shipped").is_some(),
        page,
        ..UnprocessedQuery::default()
    })
}

fn print_summary(s: &BulkRunSummary) {
    println!(
        "#{:<5} {:<11} {:<4} {}  {}",
        s.run_id,
        format!("{:?}", s.status).to_lowercase(),
        s.requested_by,
        s.started_at,
        say(&s.summary)
    );
    if let Some(m) = &s.message {
        println!("       {}", say(m));
    }
}

fn print_detail(d: &BulkRunDetail) {
    for i in &d.items {
        let line = i.line.as_ref().map(say).unwrap_or("…");
        println!(
            "{:>6}  {:<20} {:<12} {:>10}  {}",
            i.order_id, i.order_number, i.transaction_id, i.amount_yen, line
        );
    }
    print_summary(&d.summary);
}

/// Runs one `bulk` sub-command.
pub(crate) async fn execute(desk: &Desk, args: &Args, sub: Option<&str>) -> Result<(), Failure> {
    match sub {
        Some("list") => {
            let page = desk.bulk_unprocessed(query(args)?).await?;
            if args.json {
                print_json(&page);
            } else {
                for r in &page.items {
                    let o = &r.order;
                    let note = r
                        .last_failure
                        .as_ref()
                        .map(|f| say(&f.line))
                        .or(r.reason.as_ref().map(say))
                        .unwrap_or("");
                    println!(
                        "{:>6}  {:<20} {:<12} {:>10}  {:<22} {}",
                        o.id,
                        o.order_number,
                        o.transaction_id,
                        o.amount_yen,
                        format!("{:?}", r.eligibility),
                        note
                    );
                }
                println!(
                    "({} of {}; one run captures at most {})",
                    page.items.len(),
                    page.total,
                    page.max_orders
                );
            }
        }
        Some("capture") => {
            let ids: Vec<i64> = if args.option("all").is_some() {
                let max = args
                    .option("max")
                    .map(|v| v.parse::<usize>().map_err(|_| "--max must be a number"))
                    .transpose()?;
                let selection = desk.bulk_select_all(query(args)?).await?;
                let mut ids = selection.order_ids;
                if let Some(max) = max {
                    if max > selection.max_orders as usize {
                        // Asked for more than a run takes: the domain's refusal says so.
                        let all = desk
                            .bulk_unprocessed(UnprocessedQuery {
                                selectable_only: true,
                                page_size: 500,
                                ..query(args)?
                            })
                            .await?;
                        ids = all.items.iter().map(|r| r.order.id).take(max).collect();
                    } else {
                        ids.truncate(max);
                    }
                }
                ids
            } else {
                args.words[2..]
                    .iter()
                    .map(|w| w.parse().map_err(|_| format!("{w}: order IDs are numbers")))
                    .collect::<Result<_, _>>()?
            };
            if ids.is_empty() && args.option("all").is_none() {
                return Err(Failure::Usage("order IDs or --all are needed".into()));
            }
            let run = desk.bulk_capture(ids, true).await?;
            if args.json {
                print_json(&run);
            } else {
                print_detail(&run);
            }
            let all_captured = run
                .items
                .iter()
                .all(|i| i.status == BulkItemStatusCode::Succeeded);
            if !all_captured {
                return Err(Failure::App(AppError::refused(
                    "bulk_not_all_captured",
                    run.summary.message.clone().unwrap_or_else(|| {
                        Text::new(
                            "売上確定できなかった注文があります。各注文の結果を確認してください。",
                            "Some orders were not captured. See each order's result.",
                        )
                    }),
                )));
            }
        }
        Some("log") => match args.option("run") {
            Some(run) => {
                let run = run.parse().map_err(|_| "--run must be a number")?;
                let detail = desk.bulk_run_detail(run).await?;
                if args.json {
                    print_json(&detail);
                } else {
                    print_detail(&detail);
                }
            }
            None => {
                let log = desk.bulk_operation_log().await?;
                if args.json {
                    print_json(&log);
                } else {
                    for run in &log.runs {
                        print_summary(run);
                    }
                    println!("({} runs; the log keeps {})", log.runs.len(), log.keeps);
                }
            }
        },
        _ => return Err(Failure::Usage("bulk list | capture | log".into())),
    }
    Ok(())
}
