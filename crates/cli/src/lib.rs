//! PayDesk's command line: the same binary as the app, run with a command word, drives the
//! same [`Desk`] as the window without opening one (scripting, automation).
//!
//! Layout: [`Cli`] is the whole grammar (clap derive: every subcommand and option has its
//! help, `paydesk help orders list` shows it); [`run`] parses, opens the desk and hands the
//! command to its module: `orders` (lists, one order, operations, storefront import and
//! export), `shipping` (`orders labels | tracking | tracking-import`), `notices`
//! (`orders notify`: shipping notice, order confirmation), `bulk`, `documents`
//! (`documents` and `deposit`), `money`. `paydesk completions bash|zsh|fish|powershell`
//! prints a shell completion script and opens nothing.
//!
//! Output is the DTO as JSON with `--json`, else short lines in the language of `LANG`
//! (Japanese for `ja*`, English otherwise). Exit codes ([`EXIT_CODES`]): 0 success, 1 an
//! error (code and plain explanation on stderr; with `--json` also as JSON on stdout),
//! 2 a usage error.

mod bulk;
mod documents;
mod money;
mod notices;
mod orders;
mod shipping;

use api::{AppError, Desk, DeskConfig, Text};
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use serde::Serialize;

/// The exit codes, as `--help` and the README state them.
pub const EXIT_CODES: &str = "Exit codes:
  0  success
  1  PayDesk refused or could not do it (code and explanation on stderr; with --json also
     as {\"error\": …} on stdout); commands over several orders or lines exit 1 unless every
     one was done
  2  usage error (unknown command or option, a missing or malformed argument)

Environment:
  PAYDESK_DATA_DIR  the shop's data folder
  PAYDESK_DEMO=1    run the demo (as --demo) in its own folder beside it; a build without
                    the demo refuses and touches nothing
  LANG              ja* prints Japanese, otherwise English";

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: PayDesk refused or could not do it.
pub const EXIT_FAILED: i32 = 1;
/// Exit code: a usage error.
pub const EXIT_USAGE: i32 = 2;

/// PayDesk from the command line: the same desk as the window, without a window.
#[derive(Debug, Parser)]
#[command(
    name = "paydesk",
    version,
    about = "PayDesk from the command line: the same desk as the window, without opening one",
    after_help = EXIT_CODES,
    propagate_version = true
)]
pub struct Cli {
    /// Print the result as JSON (the same data the window gets)
    #[arg(long, global = true)]
    json: bool,
    /// Run on the demo (its own data folder and keychain namespace), as PAYDESK_DEMO=1
    #[arg(long, global = true)]
    demo: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Orders: list, show, capture, cancel, refund, change the amount, move, import, export,
    /// shipping labels, tracking numbers and the buyer's notices
    #[command(subcommand)]
    Orders(orders::OrdersCommand),
    /// Bulk capture: the unprocessed list, capture runs and their log
    #[command(subcommand)]
    Bulk(bulk::BulkCommand),
    /// Synchronize with Paygent (and the relay) now
    #[command(subcommand)]
    Sync(SyncCommand),
    /// Settings: show them, test the connection to Paygent
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// The shop's documents (order slip, delivery note, invoice, receipt) as PDF
    #[command(subcommand)]
    Documents(documents::DocumentsCommand),
    /// The deposit check: mark an order's payment as received, or undo that
    #[command(subcommand)]
    Deposit(documents::DepositCommand),
    /// Money in: sales per day or month, the movements behind a cell, expected deposits,
    /// deposits received (typed or from the bank's statement) reconciled, journal files
    /// for accounting software
    #[command(subcommand)]
    Money(money::MoneyCommand),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) to stdout
    Completions {
        /// The shell to complete for
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
enum SyncCommand {
    /// Catch up now: the relay's backlog if one is set up, else Paygent's difference
    /// inquiry until nothing is left
    Once,
}

#[derive(Debug, Subcommand)]
enum SettingsCommand {
    /// The settings (never a secret's value; which secrets are set) as JSON
    Show,
    /// Send a real telegram to Paygent with the saved settings and explain the result
    /// (exit 1 when it fails)
    TestConnection,
}

/// A payment method, as the lists filter by it.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum MethodArg {
    Card,
    Paidy,
}

impl MethodArg {
    pub(crate) fn code(self) -> api::dto::PaymentMethodCode {
        match self {
            MethodArg::Card => api::dto::PaymentMethodCode::Card,
            MethodArg::Paidy => api::dto::PaymentMethodCode::Paidy,
        }
    }
}

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
            | "completions"
            | "help"
            | "--help"
            | "-h"
            | "--version"
            | "-V"
    )
}

/// The grammar as clap sees it (for completions and the tests of the help).
pub fn command() -> clap::Command {
    Cli::command()
}

fn japanese() -> bool {
    std::env::var("LANG").is_ok_and(|l| l.starts_with("ja"))
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

/// Runs one command line (`args[0]` is the command word); returns the exit code
/// ([`EXIT_CODES`]). A demo asked for (`config.demo`) in a build without it
/// (`config.demo_servers` is `None`) is refused by [`Desk::open`] before anything is
/// opened: exit 1 with the plain explanation.
pub async fn run(mut config: DeskConfig, args: &[String]) -> i32 {
    let argv = std::iter::once("paydesk".to_owned()).chain(args.iter().cloned());
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout and are not errors.
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    if let Command::Completions { shell } = cli.command {
        clap_complete::generate(shell, &mut command(), "paydesk", &mut std::io::stdout());
        return EXIT_OK;
    }
    config.demo |= cli.demo;
    let desk = match Desk::open(config).await {
        Ok(d) => d,
        Err(e) => {
            print_error(&e, cli.json);
            return EXIT_FAILED;
        }
    };
    // What the start has to say (data left in a previous place) goes beside the output.
    if let Some(notice) = desk.app_info().notice {
        eprintln!("{}", say(&notice));
    }
    match execute(&desk, cli.command, cli.json).await {
        Ok(()) => EXIT_OK,
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}\n\nFor more information, try 'paydesk help'.");
            EXIT_USAGE
        }
        Err(Failure::App(e)) => {
            print_error(&e, cli.json);
            EXIT_FAILED
        }
    }
}

/// Why a command did not succeed: a usage error (exit 2) or PayDesk's own error (exit 1).
pub(crate) enum Failure {
    Usage(String),
    App(AppError),
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        Failure::App(e)
    }
}

impl From<&str> for Failure {
    fn from(e: &str) -> Self {
        Failure::Usage(e.to_owned())
    }
}

async fn execute(desk: &Desk, command: Command, json: bool) -> Result<(), Failure> {
    match command {
        Command::Orders(c) => orders::execute(desk, c, json).await,
        Command::Bulk(c) => bulk::execute(desk, c, json).await,
        Command::Documents(c) => documents::execute(desk, c, json).await,
        Command::Deposit(c) => documents::deposit(desk, c, json).await,
        Command::Money(c) => money::execute(desk, c, json).await,
        Command::Sync(SyncCommand::Once) => {
            let report = desk.sync_now().await?;
            if json {
                print_json(&report);
            } else {
                println!(
                    "{} applied, {} new orders, {} duplicates",
                    report.applied, report.created, report.duplicates
                );
            }
            Ok(())
        }
        Command::Settings(SettingsCommand::Show) => {
            print_json(&desk.get_settings().await?);
            Ok(())
        }
        Command::Settings(SettingsCommand::TestConnection) => {
            let result = desk.test_connection().await?;
            if json {
                print_json(&result);
            } else {
                println!("{}", say(&result.message));
                if let Some(a) = &result.action {
                    println!("  {}", say(a));
                }
            }
            if result.ok {
                return Ok(());
            }
            Err(Failure::App(AppError::foreign(
                result
                    .code
                    .as_deref()
                    .unwrap_or(api::ErrorCode::ConnectionFailed.as_str()),
                result.message,
                result.action,
            )))
        }
        Command::Completions { .. } => Ok(()),
    }
}
