//! Journal files for the shop's accounting software (issue 21), checked byte for byte
//! against golden files in `tests/golden/` (see `docs/external-formats.md` A1–A3 for the
//! formats). `PAYDESK_BLESS=1` rewrites the golden files from the code; read the diff.

use chrono::NaiveDate;
use domain::accounting::{
    AccountField, AccountNames, AccountingFormat, DepositReceived, EntryKind, ExportRefusal,
    JournalEntry, deposit_entries, export, in_book_order, journal_entries,
};
use domain::money::{MovementKind, Period, SalesTotals, tokyo_day_start};
use domain::{PaymentMethod, Yen};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default()
}

/// A month of a small shop: card and Paidy sales, a partial refund, a Paidy refund on the
/// last day, a day with only a refund.
fn entries() -> Vec<JournalEntry> {
    let mut totals = SalesTotals::default();
    let at = |d: u32, h: i64| tokyo_day_start(day(d)).timestamp_millis() + h * 3_600_000;
    totals.add(
        PaymentMethod::Card,
        MovementKind::Capture,
        Yen(12_800),
        at(2, 10),
    );
    totals.add(
        PaymentMethod::Card,
        MovementKind::Capture,
        Yen(3_300),
        at(2, 23),
    );
    totals.add(
        PaymentMethod::Paidy,
        MovementKind::Capture,
        Yen(5_500),
        at(2, 12),
    );
    totals.add(
        PaymentMethod::Card,
        MovementKind::Refund,
        Yen(1_100),
        at(15, 9),
    );
    totals.add(
        PaymentMethod::Card,
        MovementKind::Capture,
        Yen(45_000),
        at(15, 14),
    );
    totals.add(
        PaymentMethod::Paidy,
        MovementKind::Refund,
        Yen(5_500),
        at(30, 23),
    );
    journal_entries(&totals.cells(Period::Day))
}

fn accounts() -> AccountNames {
    AccountNames {
        receivable: Some("売掛金".into()),
        sales: Some("売上高".into()),
        refunds: Some("売上値引高".into()),
        freee_tax: Some("課税売上10%".into()),
        moneyforward_tax: Some("課税売上 10%".into()),
        yayoi_tax: Some("課税売上込10%".into()),
        ..AccountNames::default()
    }
}

/// The accounts a month with deposits needs besides.
fn with_deposit_accounts() -> AccountNames {
    AccountNames {
        fees: Some("支払手数料".into()),
        bank: Some("普通預金".into()),
        moneyforward_fee_tax: Some("非課税仕入".into()),
        yayoi_fee_tax: Some("非課仕入".into()),
        ..accounts()
    }
}

/// November with October's card deposit (fee 1,200 + the transfer fee 330 the shop bears)
/// on the 15th, and a Paidy deposit no period was matched to (no fee booked).
fn entries_with_deposits() -> Vec<JournalEntry> {
    let october = (
        NaiveDate::from_ymd_opt(2026, 10, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(2026, 10, 31).unwrap_or_default(),
    );
    let mut all = entries();
    all.extend(deposit_entries(&[
        DepositReceived {
            method: PaymentMethod::Card,
            received_on: day(15),
            amount: Yen(31_470),
            settled: Some((october, Yen(1_530))),
        },
        DepositReceived {
            method: PaymentMethod::Paidy,
            received_on: day(20),
            amount: Yen(2_000),
            settled: None,
        },
    ]));
    in_book_order(all)
}

fn check_golden_of(
    format: AccountingFormat,
    entries: &[JournalEntry],
    accounts: &AccountNames,
    file: &str,
) -> Vec<u8> {
    let bytes = export(format, entries, accounts).unwrap_or_else(|r| panic!("{r:?}"));
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(file);
    if std::env::var_os("PAYDESK_BLESS").is_some() {
        std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
    }
    let golden = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("golden file {} missing: {e}", path.display()));
    assert!(
        bytes == golden,
        "{file} differs from the golden file:\n{}",
        String::from_utf8_lossy(&bytes)
    );
    bytes
}

fn check_golden(format: AccountingFormat, file: &str) {
    check_golden_of(format, &entries(), &accounts(), file);
}

#[test]
fn the_day_cells_become_one_entry_per_day_method_and_kind() {
    let e = entries();
    let kinds: Vec<(NaiveDate, PaymentMethod, EntryKind, i64, u32)> = e
        .iter()
        .map(|e| (e.date, e.method, e.kind, e.amount.0, e.count))
        .collect();
    use EntryKind::{Refund, Sales};
    use PaymentMethod::{Card, Paidy};
    assert_eq!(
        kinds,
        [
            (day(2), Card, Sales, 16_100, 2),
            (day(2), Paidy, Sales, 5_500, 1),
            (day(15), Card, Sales, 45_000, 1),
            (day(15), Card, Refund, 1_100, 1),
            (day(30), Paidy, Refund, 5_500, 1),
        ]
    );
}

#[test]
fn freee_deal_import_file_matches_its_golden_file() {
    check_golden(AccountingFormat::Freee, "freee.csv");
}

#[test]
fn money_forward_journal_import_file_matches_its_golden_file() {
    check_golden(AccountingFormat::MoneyForward, "moneyforward.csv");
}

#[test]
fn yayoi_import_file_matches_its_golden_file_in_shift_jis() {
    check_golden(AccountingFormat::Yayoi, "yayoi.csv");
    let bytes = export(AccountingFormat::Yayoi, &entries(), &accounts()).unwrap_or_default();
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad, "valid Shift_JIS");
    assert!(
        text.starts_with("2000,,,2026/11/02,売掛金,,,対象外,16100,,売上高,,,課税売上込10%,16100,")
    );
    assert!(text.lines().all(|l| l.split(',').count() == 25));
    assert!(bytes.windows(2).filter(|w| w == b"\r\n").count() == 5);
}

#[test]
fn an_export_with_an_account_not_set_refuses_and_names_each() {
    let mut a = accounts();
    a.sales = None;
    a.yayoi_tax = Some("  ".into());
    assert_eq!(
        export(AccountingFormat::Yayoi, &entries(), &a),
        Err(ExportRefusal::Missing(vec![
            AccountField::Sales,
            AccountField::YayoiTax
        ]))
    );
    assert_eq!(
        export(AccountingFormat::Freee, &entries(), &a),
        Err(ExportRefusal::Missing(vec![AccountField::Sales]))
    );
    // Money Forward's tax category may stay blank: the account's own is used.
    let mut mf = accounts();
    mf.moneyforward_tax = None;
    assert!(export(AccountingFormat::MoneyForward, &entries(), &mf).is_ok());
}

#[test]
fn yayoi_refuses_names_shift_jis_cannot_hold_or_too_long() {
    let mut a = accounts();
    a.sales = Some("売上高😀".into());
    assert_eq!(
        export(AccountingFormat::Yayoi, &entries(), &a),
        Err(ExportRefusal::NotShiftJis(AccountField::Sales))
    );
    a.sales = Some("とても長い売上高の勘定科目名です".into());
    assert_eq!(
        export(AccountingFormat::Yayoi, &entries(), &a),
        Err(ExportRefusal::TooLong(AccountField::Sales, 24))
    );
}

#[test]
fn a_deposit_books_its_periods_fee_then_itself_on_the_day_it_arrived() {
    let e = entries_with_deposits();
    let day15: Vec<(PaymentMethod, EntryKind, i64)> = e
        .iter()
        .filter(|e| e.date == day(15))
        .map(|e| (e.method, e.kind, e.amount.0))
        .collect();
    use EntryKind::{Deposit, Fee, Refund, Sales};
    use PaymentMethod::Card;
    assert_eq!(
        day15,
        [
            (Card, Sales, 45_000),
            (Card, Refund, 1_100),
            (Card, Fee, 1_530),
            (Card, Deposit, 31_470),
        ]
    );
    // The fee and the deposit clear what October's sales left open: 33,000.
    let fee = &e[e.iter().position(|x| x.kind == Fee).unwrap_or_default()];
    assert_eq!(
        fee.description(),
        "PayDesk クレジットカード決済手数料 10/1～10/31分"
    );
    // A deposit no period was matched to books no fee.
    let paidy: Vec<EntryKind> = e
        .iter()
        .filter(|x| x.date == day(20))
        .map(|x| x.kind)
        .collect();
    assert_eq!(paidy, [Deposit]);
}

#[test]
fn money_forward_and_yayoi_files_with_fees_and_deposits_match_their_golden_files() {
    let e = entries_with_deposits();
    let a = with_deposit_accounts();
    let mf = check_golden_of(
        AccountingFormat::MoneyForward,
        &e,
        &a,
        "moneyforward-deposits.csv",
    );
    let mf = String::from_utf8_lossy(&mf);
    assert!(
        mf.contains(",2026/11/15,支払手数料,,,,非課税仕入,,1530,,売掛金,"),
        "{mf}"
    );
    assert!(
        mf.contains(",2026/11/15,普通預金,,,,,,31470,,売掛金,"),
        "{mf}"
    );
    let yayoi = check_golden_of(AccountingFormat::Yayoi, &e, &a, "yayoi-deposits.csv");
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&yayoi);
    assert!(!bad);
    assert!(text.contains("2000,,,2026/11/15,支払手数料,,,非課仕入,1530,,売掛金,,,対象外,1530,"));
    assert!(text.contains("2000,,,2026/11/20,普通預金,,,対象外,2000,,売掛金,,,対象外,2000,"));
    assert_eq!(text.lines().count(), e.len());
}

#[test]
fn freee_leaves_fees_and_deposits_to_its_own_matching() {
    let with = export(
        AccountingFormat::Freee,
        &entries_with_deposits(),
        &accounts(),
    );
    // The same file as without deposits, and no fee or bank account asked for.
    assert_eq!(
        with,
        export(AccountingFormat::Freee, &entries(), &accounts())
    );
    assert!(!AccountingFormat::Freee.carries(EntryKind::Fee));
    assert!(!AccountingFormat::Freee.carries(EntryKind::Deposit));
}

#[test]
fn fee_and_bank_accounts_are_asked_for_only_when_the_month_has_deposits() {
    // Without deposits, the accounts of sales and refunds are enough.
    assert!(export(AccountingFormat::Yayoi, &entries(), &accounts()).is_ok());
    assert_eq!(
        export(
            AccountingFormat::Yayoi,
            &entries_with_deposits(),
            &accounts()
        ),
        Err(ExportRefusal::Missing(vec![
            AccountField::Fees,
            AccountField::YayoiFeeTax,
            AccountField::Bank
        ]))
    );
    // Money Forward's fee tax category may stay blank (the account's own).
    assert_eq!(
        export(
            AccountingFormat::MoneyForward,
            &entries_with_deposits(),
            &accounts()
        ),
        Err(ExportRefusal::Missing(vec![
            AccountField::Fees,
            AccountField::Bank
        ]))
    );
    let mut long = with_deposit_accounts();
    long.bank = Some("とても長い普通預金の口座の名前".into());
    assert_eq!(
        export(AccountingFormat::Yayoi, &entries_with_deposits(), &long),
        Err(ExportRefusal::TooLong(AccountField::Bank, 24))
    );
}
