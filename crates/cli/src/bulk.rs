//! `paydesk bulk list | capture | log`: bulk capture from the command line (automation),
//! over the same [`Desk`] calls as the window.

use api::dto::bulk::{BulkItemStatusCode, BulkRunDetail, BulkRunSummary, UnprocessedQuery};
use api::{AppError, Desk};
use clap::{Args, Subcommand};

use crate::{Failure, print_json, say};

#[derive(Debug, Subcommand)]
pub(crate) enum BulkCommand {
    /// The unprocessed list: authorized payments waiting for capture, and whether each can
    /// be captured now
    List {
        #[command(flatten)]
        query: UnprocessedArgs,
        /// The page (from 0)
        #[arg(long)]
        page: Option<u32>,
    },
    /// Capture orders in one run (exit 1 unless every order was captured)
    Capture {
        /// The orders' IDs (or --all)
        #[arg(value_name = "ID", required_unless_present = "all")]
        ids: Vec<i64>,
        /// Every order of the unprocessed list that can be captured now (with the filters)
        #[arg(long)]
        all: bool,
        /// With --all: at most this many orders
        #[arg(long, requires = "all")]
        max: Option<usize>,
        #[command(flatten)]
        query: UnprocessedArgs,
    },
    /// The operation log: the runs, or one run's orders with --run
    Log {
        /// The run's number
        #[arg(long)]
        run: Option<i64>,
    },
}

/// The unprocessed list's filters.
#[derive(Debug, Args)]
pub(crate) struct UnprocessedArgs {
    /// Words to search for
    #[arg(long)]
    search: Option<String>,
    /// Only the orders that can be captured now
    #[arg(long)]
    selectable: bool,
    /// Only the orders whose last capture failed
    #[arg(long)]
    failed: bool,
    /// Only the orders with a tracking number (capture on shipment)
    #[arg(long)]
    shipped: bool,
}

impl UnprocessedArgs {
    fn query(&self, page: Option<u32>) -> UnprocessedQuery {
        UnprocessedQuery {
            search: self.search.clone(),
            selectable_only: self.selectable,
            failed_only: self.failed,
            shipped_only: self.shipped,
            page: page.unwrap_or_default(),
            ..UnprocessedQuery::default()
        }
    }
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
pub(crate) async fn execute(desk: &Desk, command: BulkCommand, json: bool) -> Result<(), Failure> {
    match command {
        BulkCommand::List { query, page } => list(desk, query.query(page), json).await,
        BulkCommand::Capture {
            ids,
            all,
            max,
            query,
        } => {
            let ids = if all {
                select_all(desk, &query, max).await?
            } else {
                ids
            };
            capture(desk, ids, json).await
        }
        BulkCommand::Log { run } => log(desk, run, json).await,
    }
}

async fn list(desk: &Desk, query: UnprocessedQuery, json: bool) -> Result<(), Failure> {
    let page = desk.bulk_unprocessed(query).await?;
    if json {
        print_json(&page);
        return Ok(());
    }
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
    Ok(())
}

/// `--all [--max N]`: the selection the window's "select all" makes.
async fn select_all(
    desk: &Desk,
    query: &UnprocessedArgs,
    max: Option<usize>,
) -> Result<Vec<i64>, Failure> {
    let selection = desk.bulk_select_all(query.query(None)).await?;
    let mut ids = selection.order_ids;
    if let Some(max) = max {
        if max > selection.max_orders as usize {
            // Asked for more than a run takes: the domain's refusal says so.
            let all = desk
                .bulk_unprocessed(UnprocessedQuery {
                    selectable_only: true,
                    page_size: 500,
                    ..query.query(None)
                })
                .await?;
            ids = all.items.iter().map(|r| r.order.id).take(max).collect();
        } else {
            ids.truncate(max);
        }
    }
    Ok(ids)
}

async fn capture(desk: &Desk, ids: Vec<i64>, json: bool) -> Result<(), Failure> {
    let run = desk.bulk_capture(ids, true).await?;
    if json {
        print_json(&run);
    } else {
        print_detail(&run);
    }
    let all_captured = run
        .items
        .iter()
        .all(|i| i.status == BulkItemStatusCode::Succeeded);
    if all_captured {
        return Ok(());
    }
    Err(Failure::App(match &run.summary.message {
        Some(summary) => AppError::of(api::ErrorCode::BulkNotAllCapturedSummary)
            .with_text("summary", summary)
            .into(),
        None => AppError::of(api::ErrorCode::BulkNotAllCaptured).into(),
    }))
}

async fn log(desk: &Desk, run: Option<i64>, json: bool) -> Result<(), Failure> {
    if let Some(run) = run {
        let detail = desk.bulk_run_detail(run).await?;
        if json {
            print_json(&detail);
        } else {
            print_detail(&detail);
        }
        return Ok(());
    }
    let log = desk.bulk_operation_log().await?;
    if json {
        print_json(&log);
    } else {
        for run in &log.runs {
            print_summary(run);
        }
        println!("({} runs; the log keeps {})", log.runs.len(), log.keeps);
    }
    Ok(())
}
