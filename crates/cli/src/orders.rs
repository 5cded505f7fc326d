//! `paydesk orders …`: the order lists, one order, the payment operations, moving between
//! lists, the storefront import (preview, apply exactly that preview, undo) and the export,
//! over the same [`Desk`] calls as the window. Fulfilment (`labels`, `tracking`,
//! `tracking-import`) is in `shipping`, the order mails (`notify`) in `notices`.

use api::dto::{
    DeadlineFilterCode, ImportPreview, OperationKindCode, OperationOutcomeCode, OperationRequest,
    OrderListCode, OrderQuery, OrderSortCode,
};
use api::{AppError, Desk};
use clap::{Args, Subcommand, ValueEnum};

use crate::notices::NotifyArgs;
use crate::shipping::{LabelsArgs, TrackingArgs, TrackingImportArgs};
use crate::{Failure, MethodArg, print_json, say};

#[derive(Debug, Subcommand)]
pub(crate) enum OrdersCommand {
    /// One page of an order list, filtered and sorted as in the window
    List(ListArgs),
    /// One order: its payment, what can be done with it (and why not), its history
    Show {
        /// The order's ID (the first column of `orders list`)
        id: i64,
    },
    /// Capture (確定) an authorized payment
    Capture {
        /// The order's ID
        id: i64,
    },
    /// Cancel (取消) a payment that was not captured
    Cancel {
        /// The order's ID
        id: i64,
    },
    /// Refund a captured payment: in full, or part of it with --amount
    Refund {
        /// The order's ID
        id: i64,
        /// The yen to refund (whole yen); without it, the full amount
        #[arg(long)]
        amount: Option<i64>,
    },
    /// Change a payment's amount
    ChangeAmount {
        /// The order's ID
        id: i64,
        /// The new amount (whole yen)
        amount: i64,
    },
    /// Move an order to another list (its payment is unchanged)
    Move {
        /// The order's ID
        id: i64,
        /// The list to move it to
        list: ListArg,
    },
    /// Import the storefront's order export: without --apply, show what would change and
    /// change nothing; with --apply TOKEN, apply exactly that preview
    Import {
        /// The storefront's CSV (UTF-8 or Shift_JIS)
        file: String,
        /// Apply the preview with this token (printed by the preview)
        #[arg(long, value_name = "TOKEN")]
        apply: Option<String>,
        /// Empty cells clear values (otherwise they leave them as they are)
        #[arg(long)]
        clear_empty: bool,
    },
    /// The latest applied imports, newest first (to undo one)
    Imports,
    /// Undo an applied import as a whole; fields changed since it are kept and listed
    ImportUndo {
        /// The import's number (from `orders imports`)
        import_id: i64,
    },
    /// Write the orders of a list (every page) as CSV for Excel
    Export {
        /// The CSV file to write
        file: String,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// Write a carrier's shipping-label file for orders (exit 1 unless every order was
    /// written)
    Labels(LabelsArgs),
    /// Record a tracking number for an order
    Tracking(TrackingArgs),
    /// Record the tracking numbers of a carrier's issued-labels file (exit 1 unless every
    /// line was recorded)
    TrackingImport(TrackingImportArgs),
    /// Send the shipping notice or the order confirmation to the orders' buyers, or
    /// --preview them (exit 1 unless every order's mail was sent)
    Notify(NotifyArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    query: QueryArgs,
    /// The page (from 0)
    #[arg(long)]
    page: Option<u32>,
    /// Orders per page
    #[arg(long)]
    page_size: Option<u32>,
}

/// The filters and the order of a list (days are Japan days, both included).
#[derive(Debug, Args)]
pub(crate) struct QueryArgs {
    /// The list
    #[arg(long)]
    list: Option<ListArg>,
    /// Words to search for (order number, buyer, transaction ID, …)
    #[arg(long)]
    search: Option<String>,
    /// Deadlines: near or lapsed
    #[arg(long)]
    deadline: Option<DeadlineArg>,
    /// A payment status code (repeatable)
    #[arg(long = "status", value_name = "CODE")]
    statuses: Vec<String>,
    /// The payment method
    #[arg(long)]
    method: Option<MethodArg>,
    /// Ordered on or after this Japan day (2026-12-01)
    #[arg(long, value_name = "DAY")]
    from: Option<String>,
    /// Ordered on or before this Japan day (2026-12-31)
    #[arg(long, value_name = "DAY")]
    to: Option<String>,
    /// The order of the list
    #[arg(long)]
    sort: Option<SortArg>,
    /// The deposit check: received or waiting
    #[arg(long)]
    deposit: Option<DepositArg>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ListArg {
    Open,
    Completed,
    Cancelled,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum DeadlineArg {
    Near,
    Lapsed,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum SortArg {
    Newest,
    Oldest,
    AmountHigh,
    AmountLow,
    Deadline,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum DepositArg {
    Received,
    Waiting,
}

impl ListArg {
    fn code(self) -> OrderListCode {
        match self {
            ListArg::Open => OrderListCode::Open,
            ListArg::Completed => OrderListCode::Completed,
            ListArg::Cancelled => OrderListCode::Cancelled,
        }
    }
}

impl QueryArgs {
    fn query(self, page: Option<u32>, page_size: Option<u32>) -> OrderQuery {
        OrderQuery {
            list: self.list.map(ListArg::code),
            deposit: self.deposit.map(|d| match d {
                DepositArg::Received => api::dto::documents::DepositFilterCode::Received,
                DepositArg::Waiting => api::dto::documents::DepositFilterCode::Waiting,
            }),
            statuses: self.statuses,
            deadline: self.deadline.map(|d| match d {
                DeadlineArg::Near => DeadlineFilterCode::Near,
                DeadlineArg::Lapsed => DeadlineFilterCode::Lapsed,
            }),
            search: self.search,
            method: self.method.map(MethodArg::code),
            ordered_from: self.from,
            ordered_to: self.to,
            sort: self.sort.map(|s| match s {
                SortArg::Newest => OrderSortCode::Newest,
                SortArg::Oldest => OrderSortCode::Oldest,
                SortArg::AmountHigh => OrderSortCode::AmountHigh,
                SortArg::AmountLow => OrderSortCode::AmountLow,
                SortArg::Deadline => OrderSortCode::Deadline,
            }),
            page: page.unwrap_or_default(),
            page_size: page_size.unwrap_or_default(),
        }
    }
}

/// Runs one `orders` sub-command.
pub(crate) async fn execute(
    desk: &Desk,
    command: OrdersCommand,
    json: bool,
) -> Result<(), Failure> {
    match command {
        OrdersCommand::List(a) => list(desk, a, json).await?,
        OrdersCommand::Show { id } => show(desk, id, json).await?,
        OrdersCommand::Capture { id } => {
            operate(desk, json, id, OperationKindCode::Capture, None).await?
        }
        OrdersCommand::Cancel { id } => {
            operate(desk, json, id, OperationKindCode::Cancel, None).await?
        }
        OrdersCommand::Refund { id, amount } => {
            let kind = if amount.is_some() {
                OperationKindCode::PartialRefund
            } else {
                OperationKindCode::FullRefund
            };
            operate(desk, json, id, kind, amount).await?
        }
        OrdersCommand::ChangeAmount { id, amount } => {
            operate(
                desk,
                json,
                id,
                OperationKindCode::AmountChange,
                Some(amount),
            )
            .await?
        }
        OrdersCommand::Move { id, list } => {
            let order = desk.move_order(id, list.code()).await?;
            if json {
                print_json(&order);
            }
        }
        OrdersCommand::Import {
            file,
            apply,
            clear_empty,
        } => import(desk, file, apply, clear_empty, json).await?,
        OrdersCommand::Imports => imports(desk, json).await?,
        OrdersCommand::ImportUndo { import_id } => undo(desk, import_id, json).await?,
        OrdersCommand::Export { file, query } => {
            let report = desk
                .export_orders_csv(file, query.query(None, None))
                .await?;
            if json {
                print_json(&report);
            } else {
                println!("{} rows written to {}", report.rows, report.path);
            }
        }
        OrdersCommand::Labels(a) => crate::shipping::labels(desk, a, json).await?,
        OrdersCommand::Tracking(a) => crate::shipping::tracking(desk, a, json).await?,
        OrdersCommand::TrackingImport(a) => crate::shipping::tracking_import(desk, a, json).await?,
        OrdersCommand::Notify(a) => crate::notices::notify(desk, a, json).await?,
    }
    Ok(())
}

async fn list(desk: &Desk, a: ListArgs, json: bool) -> Result<(), Failure> {
    let page = desk.list_orders(a.query.query(a.page, a.page_size)).await?;
    if json {
        print_json(&page);
        return Ok(());
    }
    for o in &page.items {
        println!(
            "{:>6}  {:<20} {:<22} {:<8} {:>10}  {}  {}",
            o.id,
            o.order_number,
            o.transaction_id,
            say(&o.status.label),
            o.amount_yen,
            o.buyer_name.as_deref().unwrap_or("-"),
            o.deadline.as_ref().map(|d| say(&d.text)).unwrap_or("")
        );
    }
    println!("({} of {})", page.items.len(), page.total);
    Ok(())
}

async fn show(desk: &Desk, id: i64, json: bool) -> Result<(), Failure> {
    let order = desk.get_order(id).await?;
    if json {
        print_json(&order);
        return Ok(());
    }
    let s = &order.summary;
    println!(
        "{} {} {} ¥{} ({})",
        s.order_number,
        s.transaction_id,
        say(&s.status.label),
        s.amount_yen,
        s.buyer_name.as_deref().unwrap_or("-")
    );
    if let Some(d) = &s.deadline {
        println!("  {}", say(&d.text));
    }
    if let Some(b) = &order.banner {
        println!("  ! {}", say(b));
    }
    for op in &order.operations {
        let why = op.reason.as_ref().map(say).unwrap_or("");
        println!(
            "  [{}] {:?} {}",
            if op.enabled { "x" } else { " " },
            op.kind,
            why
        );
    }
    for h in &order.history {
        println!("  {} {:?} {}", h.at, h.actor, say(&h.text));
    }
    Ok(())
}

async fn operate(
    desk: &Desk,
    json: bool,
    id: i64,
    kind: OperationKindCode,
    amount_yen: Option<i64>,
) -> Result<(), Failure> {
    let result = desk
        .perform_operation(id, OperationRequest { kind, amount_yen })
        .await?;
    if json {
        print_json(&result);
    } else {
        println!("{}", say(&result.message));
        if let Some(e) = &result.error {
            println!("  {}: {}", e.code, say(&e.message));
        }
    }
    match result.outcome {
        OperationOutcomeCode::Succeeded => Ok(()),
        _ => Err(Failure::App(result.error.unwrap_or_else(|| {
            AppError::of(api::ErrorCode::OperationNotCompleted)
                .with_text("reason", &result.message)
                .into()
        }))),
    }
}

/// The same rules as the window: a preview first, then exactly that is applied.
async fn import(
    desk: &Desk,
    path: String,
    token: Option<String>,
    clear_empty: bool,
    json: bool,
) -> Result<(), Failure> {
    let Some(token) = token else {
        let preview = desk.preview_orders_import(path, clear_empty).await?;
        if json {
            print_json(&preview);
        } else {
            print_preview(&preview);
        }
        return Ok(());
    };
    let report = desk.import_orders_csv(path, clear_empty, token).await?;
    if json {
        print_json(&report);
        return Ok(());
    }
    match report.import_id {
        Some(id) => println!(
            "import #{id}: {} fields changed on {} orders ({} rows, {} matched, {}); undo: paydesk orders import-undo {id}",
            report.fields, report.orders, report.rows, report.matched, report.encoding
        ),
        None => println!(
            "nothing to change ({} rows, {} matched, {})",
            report.rows, report.matched, report.encoding
        ),
    }
    for e in &report.errors {
        println!("  line {}: {}", e.line, say(&e.message));
    }
    Ok(())
}

fn print_preview(p: &ImportPreview) {
    let columns: Vec<&str> = p.columns.iter().map(say).collect();
    println!(
        "{} rows, {} matched ({}); columns: {}",
        p.rows,
        p.matched,
        p.encoding,
        columns.join(", ")
    );
    println!(
        "would change {} fields on {} orders{}",
        p.fields,
        p.orders,
        if p.clear_empty {
            " (empty cells clear values)"
        } else {
            " (empty cells leave values as they are)"
        }
    );
    for c in &p.sample {
        println!(
            "  {} {}: {} -> {}",
            c.order_number,
            say(&c.field),
            c.before.as_deref().unwrap_or("(empty)"),
            c.after.as_deref().unwrap_or("(empty)")
        );
    }
    for e in &p.errors {
        println!("  line {}: {}", e.line, say(&e.message));
    }
    if p.fields > 0 {
        println!(
            "nothing changed yet; to apply: paydesk orders import {} --apply {}{}",
            p.path,
            p.token,
            if p.clear_empty { " --clear-empty" } else { "" }
        );
    }
}

async fn imports(desk: &Desk, json: bool) -> Result<(), Failure> {
    let imports = desk.orders_imports().await?;
    if json {
        print_json(&imports);
        return Ok(());
    }
    for i in &imports {
        println!(
            "#{}  {}  {}  {} orders, {} fields{}",
            i.id,
            i.at,
            i.file_name,
            i.orders,
            i.fields,
            i.undone_at
                .as_deref()
                .map(|at| format!("  (undone {at})"))
                .unwrap_or_default()
        );
    }
    Ok(())
}

async fn undo(desk: &Desk, id: i64, json: bool) -> Result<(), Failure> {
    let report = desk.undo_orders_import(id).await?;
    if json {
        print_json(&report);
        return Ok(());
    }
    println!(
        "import #{id} undone: {} fields restored on {} orders",
        report.restored, report.orders
    );
    for k in &report.kept {
        println!(
            "  kept {} {} (changed after the import): {}",
            k.order_number,
            say(&k.field),
            k.after.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}
