//! The journal export (issue 21, point 4): one Japan month's sales and refunds per day,
//! and each deposit received in it with its period's fees, as the import file of freee,
//! Money Forward or Yayoi (formats in `domain::accounting`). The account names are money's
//! settings; a deposit's period and fees come from the contract, as the reconciliation
//! screen shows them.

use chrono::{Datelike, NaiveDate};
use domain::PaymentMethod;
use domain::accounting::{DepositReceived, EntryKind, JournalEntry};
use domain::money::{Period, next_month, tokyo_day, tokyo_day_start};

use crate::context::Context;
use crate::deposits;
use crate::dto::money::{AccountingFormatCode, JournalExportReport};
use crate::money;
use crate::money::{format_from, refusal};
use crate::{AppError, ErrorCode, Text};

/// A written file's bytes, its entries and what the shop should know about it.
pub(crate) struct JournalFile {
    pub bytes: Vec<u8>,
    pub entries: u32,
    pub notes: Vec<Text>,
}

fn first_of(month: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(&format!("{}-01", month.trim()), "%Y-%m-%d").map_err(|_| {
        AppError::of(ErrorCode::InvalidMonth)
            .with("value", month)
            .into()
    })
}

fn method_words(method: PaymentMethod) -> (&'static str, &'static str) {
    match method {
        PaymentMethod::Card => ("クレジットカード", "card"),
        PaymentMethod::Paidy => ("ペイディ", "Paidy"),
    }
}

/// The deposits received from `first` to `last`, each with the period it pays and that
/// period's fees when the contract matches it to one.
fn deposits_to_book(
    cx: &Context,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<DepositReceived>, AppError> {
    let today = tokyo_day(cx.now());
    let mut out = Vec::new();
    // Bound first: the store's lock must be released before `contract` takes it again.
    let received = cx.store().deposits_received(first, last)?;
    for d in received {
        let contract = deposits::contract(cx, d.method)?;
        let settled = match crate::deposits::matched_period(&contract, d.received_on) {
            Some(p) if contract.missing().is_empty() => {
                deposits::period_row(cx, d.method, &contract, p, today)?
                    .ok()
                    .map(|row| {
                        (
                            (p.start, p.end),
                            domain::Yen(row.fee_yen + row.transfer_fee_yen),
                        )
                    })
            }
            _ => None,
        };
        out.push(DepositReceived {
            method: d.method,
            received_on: d.received_on,
            amount: d.amount,
            settled,
        });
    }
    Ok(out)
}

/// The journal file of one Japan month (`2026-12`) for `format`: one entry per day,
/// method and kind (sales, refunds), and each deposit received with its fees.
pub(crate) fn journal_file(
    cx: &Context,
    format: AccountingFormatCode,
    month: &str,
) -> Result<JournalFile, AppError> {
    let first = first_of(month)?;
    let last = next_month(first).pred_opt().unwrap_or(first);
    let format = format_from(format);
    let accounts = money::account_names(cx)?;
    let totals = cx
        .store()
        .sales(tokyo_day_start(first), tokyo_day_start(next_month(first)))?;
    let deposits = deposits_to_book(cx, first, last)?;
    let mut notes = Vec::new();
    if format.carries(EntryKind::Deposit) {
        for d in deposits.iter().filter(|d| d.settled.is_none()) {
            let (ja, en) = method_words(d.method);
            notes.push(Text::new(
                &format!(
                    "{} の{ja}の入金 {} 円は精算期間に結び付かないため、決済手数料を仕訳していません(設定画面の精算条件を確かめてください)。",
                    d.received_on,
                    d.amount.0
                ),
                &format!(
                    "The {en} deposit of {} yen on {} matches no settlement period, so no fee was booked for it (check the settlement contract in Settings).",
                    d.amount.0, d.received_on
                ),
            ));
        }
    } else if !deposits.is_empty() {
        notes.push(Text::new(
            &format!(
                "この月の入金 {} 件と決済手数料は含めていません。freee では口座の明細を未決済の売上に消し込むとき、差額を手数料として登録します。",
                deposits.len()
            ),
            &format!(
                "The month's {} deposit(s) and their fees are left out: in freee, they are booked when the bank line is matched to the unsettled sales, with the difference as the fee.",
                deposits.len()
            ),
        ));
    }
    let mut entries: Vec<JournalEntry> =
        domain::accounting::journal_entries(&totals.cells(Period::Day));
    entries.extend(domain::accounting::deposit_entries(&deposits));
    let entries = domain::accounting::in_book_order(entries);
    let bytes =
        domain::accounting::export(format, &entries, &accounts).map_err(|r| refusal(r, format))?;
    let written = entries.iter().filter(|e| format.carries(e.kind)).count();
    Ok(JournalFile {
        bytes,
        entries: u32::try_from(written).unwrap_or(u32::MAX),
        notes,
    })
}

/// Writes one Japan month's journal entries for the shop's accounting software.
pub(crate) async fn export_journal(
    cx: &Context,
    path: String,
    format: AccountingFormatCode,
    month: String,
) -> Result<JournalExportReport, AppError> {
    let file = journal_file(cx, format, &month)?;
    let path = std::path::Path::new(&path);
    crate::files::write_user_file(path, &file.bytes)?;
    let first = first_of(&month)?;
    Ok(JournalExportReport {
        path: path.display().to_string(),
        format,
        month: format!("{:04}-{:02}", first.year(), first.month()),
        entries: file.entries,
        notes: file.notes,
    })
}
