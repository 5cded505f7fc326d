//! Journal entries for the shop's accounting software, as the CSV files freee, Money
//! Forward クラウド会計 and Yayoi (弥生会計) import. The formats, their sources and what is
//! uncertain about them are in `docs/external-formats.md` (sections A1–A3).
//!
//! Layout: [`journal_entries`] turns sales cells of Japan days into one entry per day,
//! method and kind (sales: receivable from the gateway / sales; refunds: refunds /
//! receivable); [`deposit_entries`] turns each deposit received into its fee (fees /
//! receivable) and the deposit itself (bank / receivable), on the day it arrived, so the
//! receivable left open is exactly what the gateway still owes; [`AccountNames`] are the shop's own account names (set once in Settings,
//! they must match its chart of accounts); [`export`] writes one format's file, or refuses
//! and names every account the format needs that is not set (or that Yayoi cannot hold).
//!
//! Formats, exactly as written:
//! - freee 取引インポート: the 21-column header, UTF-8 with BOM, CRLF. A sale is an
//!   unsettled 収入 deal (freee books it against 売掛金 itself); a refund is an 収入 deal
//!   with a negative amount, which reduces both. Fees and deposits are not deals: freee
//!   books them when the bank line is matched to the unsettled sales (消込, the fee as
//!   the difference), so its file leaves them out ([`AccountingFormat::carries`]).
//! - Money Forward 仕訳帳インポート: the 23-column header, UTF-8 with BOM, CRLF; 取引No
//!   numbers the entries from 1; a blank tax category takes the account's default.
//! - 弥生インポート形式: 25 columns, no header, Shift_JIS, CRLF, 識別フラグ `2000` (one
//!   line per entry), タイプ `0`, 付箋 `0`, 調整 `no`; tax amounts left for Yayoi to compute.
//!
//! Invariants: amounts are integer yen without separators; nothing here reads a file or
//! the clock.

use chrono::NaiveDate;

use crate::money::SalesCell;
use crate::{PaymentMethod, RULES, Yen};

/// The accounting software a file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountingFormat {
    /// freee会計, 取引インポート.
    Freee,
    /// Money Forward クラウド会計, 仕訳帳インポート.
    MoneyForward,
    /// 弥生会計, 弥生インポート形式 (Shift_JIS).
    Yayoi,
}

impl AccountingFormat {
    /// Every format.
    pub const ALL: [AccountingFormat; 3] = [
        AccountingFormat::Freee,
        AccountingFormat::MoneyForward,
        AccountingFormat::Yayoi,
    ];

    /// The stable code at the IPC boundary and on the command line.
    pub fn code(self) -> &'static str {
        match self {
            AccountingFormat::Freee => "freee",
            AccountingFormat::MoneyForward => "moneyforward",
            AccountingFormat::Yayoi => "yayoi",
        }
    }

    /// The format for a code.
    pub fn from_code(code: &str) -> Option<AccountingFormat> {
        AccountingFormat::ALL.into_iter().find(|f| f.code() == code)
    }

    /// Whether this format's file holds entries of `kind` (freee's deal import has no
    /// place for a fee or a deposit: see the module's notes).
    pub fn carries(self, kind: EntryKind) -> bool {
        match self {
            AccountingFormat::Freee => matches!(kind, EntryKind::Sales | EntryKind::Refund),
            AccountingFormat::MoneyForward | AccountingFormat::Yayoi => true,
        }
    }

    /// The account names a file of this format with entries of `kind` needs besides
    /// [`AccountingFormat::required`].
    pub fn required_for(self, kind: EntryKind) -> &'static [AccountField] {
        use AccountField as F;
        match (self, kind) {
            (_, EntryKind::Sales | EntryKind::Refund) | (AccountingFormat::Freee, _) => &[],
            (AccountingFormat::MoneyForward, EntryKind::Fee) => &[F::Fees],
            (AccountingFormat::Yayoi, EntryKind::Fee) => &[F::Fees, F::YayoiFeeTax],
            (_, EntryKind::Deposit) => &[F::Bank],
        }
    }

    /// The account names this format's file needs.
    pub fn required(self) -> &'static [AccountField] {
        use AccountField as F;
        match self {
            // freee books an unsettled deal against its own 売掛金.
            AccountingFormat::Freee => &[F::Sales, F::Refunds, F::FreeeTax],
            AccountingFormat::MoneyForward => &[F::Receivable, F::Sales, F::Refunds],
            AccountingFormat::Yayoi => &[F::Receivable, F::Sales, F::Refunds, F::YayoiTax],
        }
    }
}

/// One account name (or tax category) the shop sets in Settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountField {
    /// What the gateway owes the shop until it pays out (e.g. 売掛金).
    Receivable,
    /// Sales (e.g. 売上高).
    Sales,
    /// Where refunds are booked (e.g. 売上値引高, or 売上高 itself).
    Refunds,
    /// freee's 税区分 of a sale (e.g. `課税売上10%`).
    FreeeTax,
    /// Money Forward's 税区分 of a sale (e.g. `課税売上 10%`); blank takes the account's.
    MoneyForwardTax,
    /// Yayoi's 税区分 of a sale (e.g. `課税売上込10%`).
    YayoiTax,
    /// Where the gateway's fees are booked (e.g. 支払手数料).
    Fees,
    /// The bank account deposits arrive in (e.g. 普通預金).
    Bank,
    /// Money Forward's 税区分 of a fee; blank takes the account's.
    MoneyForwardFeeTax,
    /// Yayoi's 税区分 of a fee (e.g. `非課仕入`: card fees are usually exempt; the shop's
    /// accountant decides).
    YayoiFeeTax,
}

impl AccountField {
    /// The stable code at the IPC boundary.
    pub fn code(self) -> &'static str {
        match self {
            AccountField::Receivable => "receivable",
            AccountField::Sales => "sales",
            AccountField::Refunds => "refunds",
            AccountField::FreeeTax => "freee_tax",
            AccountField::MoneyForwardTax => "moneyforward_tax",
            AccountField::YayoiTax => "yayoi_tax",
            AccountField::Fees => "fees",
            AccountField::Bank => "bank",
            AccountField::MoneyForwardFeeTax => "moneyforward_fee_tax",
            AccountField::YayoiFeeTax => "yayoi_fee_tax",
        }
    }

    /// The name Settings shows, in Japanese and English.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            AccountField::Receivable => ("売掛金の勘定科目", "receivable account"),
            AccountField::Sales => ("売上の勘定科目", "sales account"),
            AccountField::Refunds => ("返金の勘定科目", "refunds account"),
            AccountField::FreeeTax => ("freee の税区分", "freee tax category"),
            AccountField::MoneyForwardTax => {
                ("マネーフォワードの税区分", "Money Forward tax category")
            }
            AccountField::YayoiTax => ("弥生の税区分", "Yayoi tax category"),
            AccountField::Fees => ("決済手数料の勘定科目", "fees account"),
            AccountField::Bank => ("入金口座の勘定科目", "bank account of the deposits"),
            AccountField::MoneyForwardFeeTax => (
                "マネーフォワードの手数料の税区分",
                "Money Forward tax category of fees",
            ),
            AccountField::YayoiFeeTax => ("弥生の手数料の税区分", "Yayoi tax category of fees"),
        }
    }
}

/// The shop's account names; `None` or blank = not set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountNames {
    pub receivable: Option<String>,
    pub sales: Option<String>,
    pub refunds: Option<String>,
    pub freee_tax: Option<String>,
    pub moneyforward_tax: Option<String>,
    pub yayoi_tax: Option<String>,
    pub fees: Option<String>,
    pub bank: Option<String>,
    pub moneyforward_fee_tax: Option<String>,
    pub yayoi_fee_tax: Option<String>,
}

impl AccountNames {
    /// The value of one field, trimmed; `None` when blank.
    pub fn get(&self, field: AccountField) -> Option<&str> {
        let value = match field {
            AccountField::Receivable => &self.receivable,
            AccountField::Sales => &self.sales,
            AccountField::Refunds => &self.refunds,
            AccountField::FreeeTax => &self.freee_tax,
            AccountField::MoneyForwardTax => &self.moneyforward_tax,
            AccountField::YayoiTax => &self.yayoi_tax,
            AccountField::Fees => &self.fees,
            AccountField::Bank => &self.bank,
            AccountField::MoneyForwardFeeTax => &self.moneyforward_fee_tax,
            AccountField::YayoiFeeTax => &self.yayoi_fee_tax,
        };
        value.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }
}

/// What an entry books.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryKind {
    /// The day's captures: receivable / sales.
    Sales,
    /// The day's refunds: refunds / receivable.
    Refund,
    /// A settlement period's fees (and the transfer fee the shop bears), on the day its
    /// deposit arrived: fees / receivable.
    Fee,
    /// A deposit received: bank / receivable.
    Deposit,
}

/// One journal entry: one Japan day, one method, one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    pub date: NaiveDate,
    pub method: PaymentMethod,
    pub kind: EntryKind,
    /// Positive.
    pub amount: Yen,
    /// How many captures or refunds it adds up (1 for a fee or a deposit).
    pub count: u32,
    /// The settlement period (first and last day) a fee or deposit belongs to, when known.
    pub period: Option<(NaiveDate, NaiveDate)>,
}

/// A deposit received, as the journal books it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositReceived {
    pub method: PaymentMethod,
    pub received_on: NaiveDate,
    pub amount: Yen,
    /// The period it pays and that period's fees (rate, per capture and the transfer fee
    /// the shop bears), when the contract matches it to one; `None` books no fee.
    pub settled: Option<((NaiveDate, NaiveDate), Yen)>,
}

impl JournalEntry {
    /// The entry's description (摘要), the same in every format.
    pub fn description(&self) -> String {
        let method = match self.method {
            PaymentMethod::Card => "クレジットカード",
            PaymentMethod::Paidy => "ペイディ",
        };
        let kind = match self.kind {
            EntryKind::Sales => "売上",
            EntryKind::Refund => "返金",
            EntryKind::Fee => "決済手数料",
            EntryKind::Deposit => "入金",
        };
        match self.period {
            Some((start, end)) => format!(
                "PayDesk {method}{kind} {}～{}分",
                start.format("%-m/%-d"),
                end.format("%-m/%-d")
            ),
            None if matches!(self.kind, EntryKind::Sales | EntryKind::Refund) => {
                format!("PayDesk {method}{kind} {}件", self.count)
            }
            None => format!("PayDesk {method}{kind}"),
        }
    }

    /// A management number unique per entry (freee's 管理番号).
    fn reference(&self) -> String {
        let kind = match self.kind {
            EntryKind::Sales => "S",
            EntryKind::Refund => "R",
            EntryKind::Fee => "F",
            EntryKind::Deposit => "D",
        };
        format!(
            "PD{}-{}-{kind}",
            self.date.format("%Y%m%d"),
            self.method.code()
        )
    }
}

/// The entries of day cells (from [`crate::money::SalesTotals::cells`] with
/// [`crate::money::Period::Day`]): per day, card then Paidy, sales then refunds; empty
/// ones left out.
pub fn journal_entries(day_cells: &[SalesCell]) -> Vec<JournalEntry> {
    let mut out = Vec::new();
    for cell in day_cells {
        if cell.captures > 0 {
            out.push(JournalEntry {
                date: cell.start,
                method: cell.method,
                kind: EntryKind::Sales,
                amount: cell.captured,
                count: cell.captures,
                period: None,
            });
        }
        if cell.refunds > 0 {
            out.push(JournalEntry {
                date: cell.start,
                method: cell.method,
                kind: EntryKind::Refund,
                amount: cell.refunded,
                count: cell.refunds,
                period: None,
            });
        }
    }
    out
}

/// Each deposit's fee (when its period and fee are known and not zero), then the deposit
/// itself, both on the day it arrived.
pub fn deposit_entries(deposits: &[DepositReceived]) -> Vec<JournalEntry> {
    let mut out = Vec::new();
    for d in deposits {
        let period = d.settled.map(|(period, _)| period);
        if let Some((_, fee)) = d.settled.filter(|(_, fee)| fee.0 > 0) {
            out.push(JournalEntry {
                date: d.received_on,
                method: d.method,
                kind: EntryKind::Fee,
                amount: fee,
                count: 1,
                period,
            });
        }
        if d.amount.0 > 0 {
            out.push(JournalEntry {
                date: d.received_on,
                method: d.method,
                kind: EntryKind::Deposit,
                amount: d.amount,
                count: 1,
                period,
            });
        }
    }
    out
}

/// One month's entries in the order the files list them: by day, then method, then kind.
pub fn in_book_order(mut entries: Vec<JournalEntry>) -> Vec<JournalEntry> {
    let method_rank = |m: PaymentMethod| PaymentMethod::ALL.iter().position(|x| *x == m);
    entries.sort_by_key(|e| (e.date, method_rank(e.method), e.kind));
    entries
}

/// Why a file was not written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportRefusal {
    /// These fields must be set first (every one is named).
    Missing(Vec<AccountField>),
    /// Yayoi's file is Shift_JIS: this field holds a character Shift_JIS does not have.
    NotShiftJis(AccountField),
    /// Yayoi reads an account name of at most this many bytes (half-width characters).
    TooLong(AccountField, usize),
}

/// Writes the file of `format` for `entries`, or refuses naming what is missing.
pub fn export(
    format: AccountingFormat,
    entries: &[JournalEntry],
    accounts: &AccountNames,
) -> Result<Vec<u8>, ExportRefusal> {
    let entries: Vec<JournalEntry> = entries
        .iter()
        .filter(|e| format.carries(e.kind))
        .cloned()
        .collect();
    let entries = &entries[..];
    let mut needed: Vec<AccountField> = format.required().to_vec();
    for e in entries {
        for f in format.required_for(e.kind) {
            if !needed.contains(f) {
                needed.push(*f);
            }
        }
    }
    let missing: Vec<AccountField> = needed
        .iter()
        .copied()
        .filter(|f| accounts.get(*f).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(ExportRefusal::Missing(missing));
    }
    let get = |f: AccountField| accounts.get(f).unwrap_or_default().to_owned();
    match format {
        AccountingFormat::Freee => Ok(freee(entries, &get)),
        AccountingFormat::MoneyForward => Ok(money_forward(entries, accounts, &get)),
        AccountingFormat::Yayoi => yayoi(entries, &needed, &get),
    }
}

const FREEE_HEADER: [&str; 21] = [
    "収支区分",
    "管理番号",
    "発生日",
    "決済期日",
    "取引先コード",
    "取引先",
    "勘定科目",
    "税区分",
    "金額",
    "税計算区分",
    "税額",
    "備考",
    "品目",
    "部門",
    "メモタグ（複数指定可、カンマ区切り）",
    "セグメント1",
    "セグメント2",
    "セグメント3",
    "決済日",
    "決済口座",
    "決済金額",
];

const MONEY_FORWARD_HEADER: [&str; 23] = [
    "取引No",
    "取引日",
    "借方勘定科目",
    "借方補助科目",
    "借方部門",
    "借方取引先",
    "借方税区分",
    "借方インボイス",
    "借方金額(円)",
    "借方税額",
    "貸方勘定科目",
    "貸方補助科目",
    "貸方部門",
    "貸方取引先",
    "貸方税区分",
    "貸方インボイス",
    "貸方金額(円)",
    "貸方税額",
    "摘要",
    "仕訳メモ",
    "タグ",
    "MF仕訳タイプ",
    "決算整理仕訳",
];

/// Rows as CSV (quoted only where needed), CRLF.
fn csv_bytes(rows: &[Vec<String>]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in rows {
        // Writing to a Vec cannot fail.
        let _ = writer.write_record(row);
    }
    writer.into_inner().unwrap_or_default()
}

fn with_bom(body: Vec<u8>) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    out.extend(body);
    out
}

fn date(day: NaiveDate) -> String {
    day.format("%Y/%m/%d").to_string()
}

fn freee(entries: &[JournalEntry], get: &dyn Fn(AccountField) -> String) -> Vec<u8> {
    let mut rows = vec![FREEE_HEADER.iter().map(|s| s.to_string()).collect()];
    for e in entries {
        let (account, amount) = match e.kind {
            EntryKind::Sales => (get(AccountField::Sales), e.amount.0),
            EntryKind::Refund => (get(AccountField::Refunds), -e.amount.0),
            // Not carried (filtered out by `export`).
            EntryKind::Fee | EntryKind::Deposit => continue,
        };
        let mut row = vec![String::new(); 21];
        row[0] = "収入".into();
        row[1] = e.reference();
        row[2] = date(e.date);
        row[6] = account;
        row[7] = get(AccountField::FreeeTax);
        row[8] = amount.to_string();
        row[9] = "内税".into();
        row[11] = e.description();
        rows.push(row);
    }
    with_bom(csv_bytes(&rows))
}

fn money_forward(
    entries: &[JournalEntry],
    accounts: &AccountNames,
    get: &dyn Fn(AccountField) -> String,
) -> Vec<u8> {
    let tax = accounts
        .get(AccountField::MoneyForwardTax)
        .unwrap_or_default()
        .to_owned();
    let fee_tax = accounts
        .get(AccountField::MoneyForwardFeeTax)
        .unwrap_or_default()
        .to_owned();
    let mut rows = vec![MONEY_FORWARD_HEADER.iter().map(|s| s.to_string()).collect()];
    for (n, e) in entries.iter().enumerate() {
        let (debit, debit_tax, credit, credit_tax) = match e.kind {
            EntryKind::Sales => (
                get(AccountField::Receivable),
                String::new(),
                get(AccountField::Sales),
                tax.clone(),
            ),
            EntryKind::Refund => (
                get(AccountField::Refunds),
                tax.clone(),
                get(AccountField::Receivable),
                String::new(),
            ),
            EntryKind::Fee => (
                get(AccountField::Fees),
                fee_tax.clone(),
                get(AccountField::Receivable),
                String::new(),
            ),
            EntryKind::Deposit => (
                get(AccountField::Bank),
                String::new(),
                get(AccountField::Receivable),
                String::new(),
            ),
        };
        let mut row = vec![String::new(); 23];
        row[0] = (n + 1).to_string();
        row[1] = date(e.date);
        row[2] = debit;
        row[6] = debit_tax;
        row[8] = e.amount.0.to_string();
        row[10] = credit;
        row[14] = credit_tax;
        row[16] = e.amount.0.to_string();
        row[18] = e.description();
        rows.push(row);
    }
    with_bom(csv_bytes(&rows))
}

fn shift_jis(field: AccountField, value: &str) -> Result<usize, ExportRefusal> {
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(value);
    if unmappable {
        return Err(ExportRefusal::NotShiftJis(field));
    }
    Ok(bytes.len())
}

/// Cuts `text` to at most `max` Shift_JIS bytes, never inside a character.
fn cut_shift_jis(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let mut buf = [0u8; 4];
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(c.encode_utf8(&mut buf));
        if used + bytes.len() > max {
            break;
        }
        used += bytes.len();
        out.push(c);
    }
    out
}

fn yayoi(
    entries: &[JournalEntry],
    needed: &[AccountField],
    get: &dyn Fn(AccountField) -> String,
) -> Result<Vec<u8>, ExportRefusal> {
    for field in needed {
        let len = shift_jis(*field, &get(*field))?;
        let is_account = matches!(
            field,
            AccountField::Receivable
                | AccountField::Sales
                | AccountField::Refunds
                | AccountField::Fees
                | AccountField::Bank
        );
        if is_account && len > RULES.yayoi_account_max_bytes {
            return Err(ExportRefusal::TooLong(
                *field,
                RULES.yayoi_account_max_bytes,
            ));
        }
    }
    let tax = get(AccountField::YayoiTax);
    let fee_tax = get(AccountField::YayoiFeeTax);
    let mut rows = Vec::new();
    for e in entries {
        let (debit, debit_tax, credit, credit_tax) = match e.kind {
            EntryKind::Sales => (
                get(AccountField::Receivable),
                "対象外".to_owned(),
                get(AccountField::Sales),
                tax.clone(),
            ),
            EntryKind::Refund => (
                get(AccountField::Refunds),
                tax.clone(),
                get(AccountField::Receivable),
                "対象外".to_owned(),
            ),
            EntryKind::Fee => (
                get(AccountField::Fees),
                fee_tax.clone(),
                get(AccountField::Receivable),
                "対象外".to_owned(),
            ),
            EntryKind::Deposit => (
                get(AccountField::Bank),
                "対象外".to_owned(),
                get(AccountField::Receivable),
                "対象外".to_owned(),
            ),
        };
        let amount = e.amount.0.to_string();
        rows.push(vec![
            "2000".to_owned(), // 識別フラグ: one line per entry
            String::new(),     // 伝票No.
            String::new(),     // 決算
            date(e.date),      // 取引日付
            debit,             // 借方勘定科目
            String::new(),     // 借方補助科目
            String::new(),     // 借方部門
            debit_tax,         // 借方税区分
            amount.clone(),    // 借方金額
            String::new(),     // 借方税金額 (Yayoi computes it)
            credit,            // 貸方勘定科目
            String::new(),     // 貸方補助科目
            String::new(),     // 貸方部門
            credit_tax,        // 貸方税区分
            amount,            // 貸方金額
            String::new(),     // 貸方税金額
            cut_shift_jis(&e.description(), RULES.yayoi_description_max_bytes), // 摘要
            String::new(),     // 番号
            String::new(),     // 期日
            "0".to_owned(),    // タイプ: journal data
            String::new(),     // 生成元
            String::new(),     // 仕訳メモ
            "0".to_owned(),    // 付箋1
            "0".to_owned(),    // 付箋2
            "no".to_owned(),   // 調整
        ]);
    }
    let text = String::from_utf8(csv_bytes(&rows)).unwrap_or_default();
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(&text);
    Ok(bytes.into_owned())
}
