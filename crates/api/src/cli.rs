//! The command-line entry over the same [`Desk`] as the window, for scripting and tests.
//!
//! ```text
//! paydesk orders list [--list open|completed|cancelled] [--search X] [--deadline near|lapsed]
//!                     [--status CODE]... [--method card|paidy] [--from DAY] [--to DAY]
//!                     [--sort newest|oldest|amount-high|amount-low|deadline]
//!                     [--page N] [--page-size N] [--json]   (days in Japan time: 2026-12-01)
//! paydesk orders show ID [--json]
//! paydesk orders capture|cancel ID [--json]
//! paydesk orders refund ID [--amount N] [--json]      (without --amount: full refund)
//! paydesk orders change-amount ID N [--json]
//! paydesk orders move ID open|completed|cancelled
//! paydesk orders import FILE.csv [--clear-empty] [--json]              (preview: changes nothing)
//! paydesk orders import FILE.csv --apply TOKEN [--clear-empty] [--json] (apply that preview)
//! paydesk orders imports [--json] | import-undo IMPORT_ID [--json]
//! paydesk orders export FILE.csv [--list …] [--search …]
//! paydesk sync once [--json]
//! paydesk settings show [--json]
//! paydesk settings test-connection [--json]
//! paydesk bulk list [--search X] [--selectable] [--failed] [--page N] [--json]
//! paydesk bulk capture ID... | --all [--max N] [--search X] [--json]
//! paydesk bulk log [--run N] [--json]
//! paydesk documents issue order-slip|delivery-note|invoice|receipt ORDER_NUMBER... --out FILE.pdf [--json]
//! paydesk documents shop
//! paydesk deposit mark ORDER_NUMBER --day 2026-12-01 [--amount N] [--json] | undo ORDER_NUMBER
//! paydesk money sales [--period day|month] [--from DAY] [--to DAY] [--json]
//! paydesk money cell --from DAY --to DAY [--method card|paidy] [--json]
//! paydesk money expected [--from DAY] [--to DAY] [--json]
//! paydesk money export FILE.csv --format freee|moneyforward|yayoi --month 2026-11 [--json]
//! ```
//!
//! Output is the DTO as JSON with `--json`, else short lines in the language of `LANG`
//! (Japanese for `ja*`, English otherwise). Exit codes: 0 success, 1 an error (code and
//! explanation on stderr), 2 a usage error.

use serde::Serialize;

use crate::dto::{
    DeadlineFilterCode, OperationKindCode, OperationOutcomeCode, OperationRequest, OrderListCode,
    OrderQuery, OrderSortCode, PaymentMethodCode,
};
use crate::{AppError, Desk, DeskConfig, Text};

/// Whether `word` (argv[1]) starts the command-line entry instead of the window.
pub fn is_cli_command(word: &str) -> bool {
    matches!(
        word,
        "orders"
            | "sync"
            | "settings"
            | "bulk"
            | "documents"
            | "deposit"
            | "money"
            | "help"
            | "--help"
    )
}

const USAGE: &str = "usage:
  paydesk orders list [--list open|completed|cancelled] [--search X] [--deadline near|lapsed] [--status CODE]
                      [--method card|paidy] [--from 2026-12-01] [--to 2026-12-31] (Japan days, both included)
                      [--sort newest|oldest|amount-high|amount-low|deadline] [--page N] [--page-size N] [--json]
                      [--deposit received|waiting]
  paydesk orders show ID [--json]
  paydesk orders capture ID | cancel ID | refund ID [--amount N] | change-amount ID N
  paydesk orders move ID open|completed|cancelled
  paydesk orders import FILE.csv [--clear-empty]                (shows what would change; changes nothing)
  paydesk orders import FILE.csv --apply TOKEN [--clear-empty]  (applies exactly that preview)
  paydesk orders imports | import-undo IMPORT_ID
  paydesk orders export FILE.csv [--list …] [--search …]
  paydesk orders labels ID... --carrier yamato|sagawa|japan-post --out FILE.csv [--ship-date 2026-12-07]
                        [--item NAME] [--yamato-code CODE] [--yamato-freight 01]   (exit 1 unless every order was written)
  paydesk orders tracking ID NUMBER --carrier …
  paydesk orders tracking-import FILE.csv --carrier …          (exit 1 unless every line was recorded)
  paydesk sync once
  paydesk settings show | test-connection
  paydesk bulk list [--search X] [--selectable] [--failed] [--page N]
  paydesk bulk capture ID... | --all [--max N] [--search X] [--shipped]   (exit 1 unless every order was captured;
                        --shipped: capture on shipment, the orders with a tracking number)
  paydesk bulk log [--run N]
  paydesk documents issue order-slip|delivery-note|invoice|receipt ORDER_NUMBER... --out FILE.pdf
  paydesk documents shop                                      (the shop's details the documents print)
  paydesk deposit mark ORDER_NUMBER --day 2026-12-01 [--amount N] | undo ORDER_NUMBER
  paydesk money sales [--period day|month] [--from DAY] [--to DAY]   (captured, refunded, net per Japan day or month)
  paydesk money cell --from DAY --to DAY [--method card|paidy]       (the captures and refunds behind a cell)
  paydesk money expected [--from DAY] [--to DAY]                     (expected deposits per settlement period)
  paydesk money export FILE.csv --format freee|moneyforward|yayoi --month 2026-11
  (add --json for machine-readable output; PAYDESK_DATA_DIR selects the data folder;
   PAYDESK_DEMO=1 or --demo runs the demo in its own folder beside it)";

pub(crate) struct Args {
    pub(crate) words: Vec<String>,
    pub(crate) json: bool,
    options: Vec<(String, String)>,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut words = Vec::new();
    let mut options = Vec::new();
    let mut json = false;
    let mut iter = args.iter();
    while let Some(a) = iter.next() {
        match a.as_str() {
            "--json" => json = true,
            "--demo" => {}
            // Switches without a value (bulk capture's, the import's).
            "--all" | "--selectable" | "--failed" | "--clear-empty" | "--shipped" => {
                options.push((a.trim_start_matches("--").to_owned(), String::new()));
            }
            flag if flag.starts_with("--") => {
                let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
                options.push((flag.trim_start_matches("--").to_owned(), value.clone()));
            }
            word => words.push(word.to_owned()),
        }
    }
    Ok(Args {
        words,
        json,
        options,
    })
}

impl Args {
    pub(crate) fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.options
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub(crate) fn word(&self, i: usize) -> Option<&str> {
        self.words.get(i).map(String::as_str)
    }

    fn id(&self, i: usize) -> Result<i64, String> {
        self.word(i)
            .ok_or("an order ID is needed")?
            .parse()
            .map_err(|_| "the order ID must be a number".to_owned())
    }

    fn query(&self) -> Result<OrderQuery, String> {
        let list = match self.option("list") {
            None => None,
            Some(l) => Some(list_code(l)?),
        };
        let deadline = match self.option("deadline") {
            None => None,
            Some("near") => Some(DeadlineFilterCode::Near),
            Some("lapsed") => Some(DeadlineFilterCode::Lapsed),
            Some(other) => return Err(format!("--deadline {other}: use near or lapsed")),
        };
        let number = |name: &str| -> Result<u32, String> {
            self.option(name)
                .map(|v| v.parse().map_err(|_| format!("--{name} must be a number")))
                .transpose()
                .map(Option::unwrap_or_default)
        };
        let method = match self.option("method") {
            None => None,
            Some("card") => Some(PaymentMethodCode::Card),
            Some("paidy") => Some(PaymentMethodCode::Paidy),
            Some(other) => return Err(format!("--method {other}: use card or paidy")),
        };
        let sort = match self.option("sort") {
            None => None,
            Some("newest") => Some(OrderSortCode::Newest),
            Some("oldest") => Some(OrderSortCode::Oldest),
            Some("amount-high") => Some(OrderSortCode::AmountHigh),
            Some("amount-low") => Some(OrderSortCode::AmountLow),
            Some("deadline") => Some(OrderSortCode::Deadline),
            Some(other) => {
                return Err(format!(
                    "--sort {other}: use newest, oldest, amount-high, amount-low or deadline"
                ));
            }
        };
        let deposit = match self.option("deposit") {
            None => None,
            Some("received") => Some(crate::dto::documents::DepositFilterCode::Received),
            Some("waiting") => Some(crate::dto::documents::DepositFilterCode::Waiting),
            Some(other) => return Err(format!("--deposit {other}: use received or waiting")),
        };
        Ok(OrderQuery {
            list,
            deposit,
            statuses: self.all("status"),
            deadline,
            search: self.option("search").map(str::to_owned),
            method,
            ordered_from: self.option("from").map(str::to_owned),
            ordered_to: self.option("to").map(str::to_owned),
            sort,
            page: number("page")?,
            page_size: number("page-size")?,
        })
    }
}

fn list_code(l: &str) -> Result<OrderListCode, String> {
    match l {
        "open" => Ok(OrderListCode::Open),
        "completed" => Ok(OrderListCode::Completed),
        "cancelled" => Ok(OrderListCode::Cancelled),
        other => Err(format!("{other}: use open, completed or cancelled")),
    }
}

fn japanese() -> bool {
    std::env::var("LANG").is_ok_and(|l| l.starts_with("ja"))
}

fn print_preview(p: &crate::dto::ImportPreview) {
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

pub(crate) fn say(t: &Text) -> &str {
    if japanese() { &t.ja } else { &t.en }
}

pub(crate) fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("cannot write JSON: {e}"),
    }
}

fn print_error(e: &AppError, json: bool) {
    if json {
        print_json(&serde_json::json!({ "error": e }));
    }
    eprintln!("error {}: {}", e.code, say(&e.message));
    if let Some(action) = &e.action {
        eprintln!("  {}", say(action));
    }
}

/// Runs one command line (`args[0]` is the command word); returns the exit code.
pub async fn run(config: DeskConfig, args: &[String]) -> i32 {
    let args = match parse(args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return 2;
        }
    };
    if matches!(args.word(0), None | Some("help" | "--help")) {
        println!("{USAGE}");
        return 0;
    }
    let desk = match Desk::open(config).await {
        Ok(d) => d,
        Err(e) => {
            print_error(&e, args.json);
            return 1;
        }
    };
    // What the start has to say (data left in a previous place) goes beside the output.
    if let Some(notice) = desk.app_info().notice {
        eprintln!("{}", say(&notice));
    }
    match execute(&desk, &args).await {
        Ok(()) => 0,
        Err(Failure::Usage(message)) => {
            eprintln!("{message}\n{USAGE}");
            2
        }
        Err(Failure::App(e)) => {
            print_error(&e, args.json);
            1
        }
    }
}

pub(crate) enum Failure {
    Usage(String),
    App(AppError),
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        Failure::App(e)
    }
}

impl From<String> for Failure {
    fn from(e: String) -> Self {
        Failure::Usage(e)
    }
}

impl From<&str> for Failure {
    fn from(e: &str) -> Self {
        Failure::Usage(e.to_owned())
    }
}

async fn operate(
    desk: &Desk,
    args: &Args,
    id: i64,
    kind: OperationKindCode,
    amount_yen: Option<i64>,
) -> Result<(), Failure> {
    let result = desk
        .perform_operation(id, OperationRequest { kind, amount_yen })
        .await?;
    if args.json {
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
            AppError::refused("operation_not_completed", result.message.clone())
        }))),
    }
}

async fn execute(desk: &Desk, args: &Args) -> Result<(), Failure> {
    match (args.word(0), args.word(1)) {
        (Some("orders"), Some("list")) => {
            let page = desk.list_orders(args.query()?).await?;
            if args.json {
                print_json(&page);
            } else {
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
            }
        }
        (Some("orders"), Some("show")) => {
            let order = desk.get_order(args.id(2)?).await?;
            if args.json {
                print_json(&order);
            } else {
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
            }
        }
        (Some("orders"), Some("capture")) => {
            operate(desk, args, args.id(2)?, OperationKindCode::Capture, None).await?
        }
        (Some("orders"), Some("cancel")) => {
            operate(desk, args, args.id(2)?, OperationKindCode::Cancel, None).await?
        }
        (Some("orders"), Some("refund")) => {
            let amount = args
                .option("amount")
                .map(|a| a.parse::<i64>().map_err(|_| "--amount must be whole yen"))
                .transpose()?;
            let kind = if amount.is_some() {
                OperationKindCode::PartialRefund
            } else {
                OperationKindCode::FullRefund
            };
            operate(desk, args, args.id(2)?, kind, amount).await?
        }
        (Some("orders"), Some("change-amount")) => {
            let amount = args
                .word(3)
                .ok_or("the new amount is needed")?
                .parse::<i64>()
                .map_err(|_| "the amount must be whole yen")?;
            operate(
                desk,
                args,
                args.id(2)?,
                OperationKindCode::AmountChange,
                Some(amount),
            )
            .await?
        }
        (Some("orders"), Some("move")) => {
            let list = list_code(args.word(3).ok_or("the list is needed")?)?;
            let order = desk.move_order(args.id(2)?, list).await?;
            if args.json {
                print_json(&order);
            }
        }
        (Some("orders"), Some("import")) => {
            let path = args.word(2).ok_or("the CSV file is needed")?;
            let clear_empty = args.option("clear-empty").is_some();
            // The same rules as the window: a preview first, then exactly that is applied.
            let Some(token) = args.option("apply") else {
                let preview = desk
                    .preview_orders_import(path.to_owned(), clear_empty)
                    .await?;
                if args.json {
                    print_json(&preview);
                } else {
                    print_preview(&preview);
                }
                return Ok(());
            };
            let report = desk
                .import_orders_csv(path.to_owned(), clear_empty, token.to_owned())
                .await?;
            if args.json {
                print_json(&report);
            } else {
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
            }
        }
        (Some("orders"), Some("imports")) => {
            let imports = desk.orders_imports().await?;
            if args.json {
                print_json(&imports);
            } else {
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
            }
        }
        (Some("orders"), Some("import-undo")) => {
            let id = args
                .word(2)
                .ok_or("the import number is needed")?
                .parse()
                .map_err(|_| "the import number must be a number".to_owned())?;
            let report = desk.undo_orders_import(id).await?;
            if args.json {
                print_json(&report);
            } else {
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
            }
        }
        (Some("orders"), Some("export")) => {
            let path = args.word(2).ok_or("the CSV file is needed")?;
            let report = desk
                .export_orders_csv(path.to_owned(), args.query()?)
                .await?;
            if args.json {
                print_json(&report);
            } else {
                println!("{} rows written to {}", report.rows, report.path);
            }
        }
        (Some("sync"), Some("once")) => {
            let report = desk.sync_now().await?;
            if args.json {
                print_json(&report);
            } else {
                println!(
                    "{} applied, {} new orders, {} duplicates",
                    report.applied, report.created, report.duplicates
                );
            }
        }
        (Some("settings"), Some("show")) => {
            let settings = desk.get_settings().await?;
            print_json(&settings);
        }
        (Some("settings"), Some("test-connection")) => {
            let result = desk.test_connection().await?;
            if args.json {
                print_json(&result);
            } else {
                println!("{}", say(&result.message));
                if let Some(a) = &result.action {
                    println!("  {}", say(a));
                }
            }
            if !result.ok {
                return Err(Failure::App(AppError::new(
                    result.code.as_deref().unwrap_or("connection_failed"),
                    result.message,
                    result.action,
                )));
            }
        }
        (Some("orders"), Some(sub @ ("labels" | "tracking" | "tracking-import"))) => {
            crate::shipping_cli::execute(desk, args, sub).await?
        }
        (Some("bulk"), sub) => crate::bulk::cli::execute(desk, args, sub).await?,
        (Some("documents" | "deposit"), _) => crate::documents::cli::execute(desk, args).await?,
        (Some("money"), sub) => crate::money_cli::execute(desk, args, sub).await?,
        _ => return Err(Failure::Usage("unknown command".into())),
    }
    Ok(())
}
