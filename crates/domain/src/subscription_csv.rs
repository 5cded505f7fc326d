//! The subscription import file (CSV), read without I/O: bytes in, rows and per-row errors
//! out. `store` saves the rows ([`parse_subscriptions_csv`] is pure and total).
//!
//! # Layout
//!
//! The first line is a header; columns may come in any order; names are the English ones
//! below or their Japanese equivalents. UTF-8 (with or without BOM) or Shift_JIS. Every
//! problem is reported per line (1 = the header) and column; rows with no problem are
//! imported.
//!
//! | column | Japanese | required | format |
//! |---|---|---|---|
//! | `customer_id` | 会員ID | yes | the gateway's customer ID: 1–25 letters, digits or `_` |
//! | `customer_card_id` | カードID | yes | the stored card's ID: 1–18 digits |
//! | `buyer_name` | 購入者氏名 | yes | text |
//! | `buyer_email` | メールアドレス | no | an address with `@` |
//! | `cycle` | 周期 | yes | `1m`, `2m`, `1w`, `monthly`, `weekly`, `毎月`, `2か月ごと`, `毎週`, `2週間ごと` (1–12 months or 1–52 weeks) |
//! | `amount` | 金額 | yes | yen, whole number (`1980`, `1,980`, `¥1,980`) |
//! | `next_renewal_date` | 次回決済日 | yes | `YYYY-MM-DD` or `YYYY/MM/DD` (Japan date) |
//! | `billing_day` | 決済日 | no | 1–31; default: the day of `next_renewal_date` (give 31 for "month end" when the next date is Feb 28) |
//! | `status` | 状態 | no | `active` / `paused` / `ended` (継続中 / 一時停止 / 終了); default `active` |
//! | `fees_to_be_advised` | 手数料別途 | no | `0`/`1`, `yes`/`no`, `true`/`false`, `はい`/`いいえ`; default `0` |
//! | `contract_end` | 契約終了日 | no | date, as above |
//! | `card_expiry` | カード有効期限 | no | `MMYY`, `MM/YY` or `YYYY-MM`; refreshed from the gateway later |

use chrono::NaiveDate;

use crate::Yen;
use crate::history::Text;
use crate::import::{decode, encoding_problem, parse_date, parse_yen};
use crate::subscription::{
    CardExpiry, Cycle, SubscriptionStatus, valid_customer_card_id, valid_customer_id,
};

/// One valid subscription line of an import file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// The file's line (1 = header).
    pub line: usize,
    /// The gateway's customer ID.
    pub customer_id: String,
    /// The stored card.
    pub customer_card_id: String,
    /// Buyer's name.
    pub buyer_name: String,
    /// Buyer's e-mail.
    pub buyer_email: Option<String>,
    /// Cycle.
    pub cycle: Cycle,
    /// Billing day.
    pub billing_day: u32,
    /// Amount per renewal.
    pub amount: Yen,
    /// Next renewal date.
    pub next_renewal_date: NaiveDate,
    /// Status.
    pub status: SubscriptionStatus,
    /// Fees or shipping to be advised.
    pub fees_to_be_advised: bool,
    /// Merchant contract end.
    pub contract_end: Option<NaiveDate>,
    /// Card expiry, if the file has it.
    pub card_expiry: Option<CardExpiry>,
}

/// One problem in an import file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The line (1 = header; 0 = the whole file).
    pub line: usize,
    /// The column, when one is at fault.
    pub column: Option<String>,
    /// What is wrong and how to fix it.
    pub message: Text,
}

impl RowError {
    /// A problem on `line` (in `column`, if one is at fault).
    pub fn new(
        line: usize,
        column: Option<&str>,
        ja: impl Into<String>,
        en: impl Into<String>,
    ) -> RowError {
        RowError {
            line,
            column: column.map(str::to_owned),
            message: Text::new(ja, en),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    CustomerId,
    CustomerCardId,
    BuyerName,
    BuyerEmail,
    Cycle,
    Amount,
    NextRenewalDate,
    BillingDay,
    Status,
    FeesToBeAdvised,
    ContractEnd,
    CardExpiry,
}

const COLUMNS: [(Column, &str, &str, bool); 12] = [
    (Column::CustomerId, "customer_id", "会員ID", true),
    (Column::CustomerCardId, "customer_card_id", "カードID", true),
    (Column::BuyerName, "buyer_name", "購入者氏名", true),
    (Column::BuyerEmail, "buyer_email", "メールアドレス", false),
    (Column::Cycle, "cycle", "周期", true),
    (Column::Amount, "amount", "金額", true),
    (
        Column::NextRenewalDate,
        "next_renewal_date",
        "次回決済日",
        true,
    ),
    (Column::BillingDay, "billing_day", "決済日", false),
    (Column::Status, "status", "状態", false),
    (
        Column::FeesToBeAdvised,
        "fees_to_be_advised",
        "手数料別途",
        false,
    ),
    (Column::ContractEnd, "contract_end", "契約終了日", false),
    (Column::CardExpiry, "card_expiry", "カード有効期限", false),
];

fn column_name(c: Column) -> &'static str {
    COLUMNS.iter().find(|x| x.0 == c).map_or("", |x| x.1)
}

fn parse_flag(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "" | "0" | "no" | "false" | "いいえ" => Some(false),
        "1" | "yes" | "true" | "はい" => Some(true),
        _ => None,
    }
}

/// Parses a subscription import file (layout in the module doc). Pure and total: any bytes
/// give rows and errors, never a panic. A row with any error is left out of the rows.
pub fn parse_subscriptions_csv(bytes: &[u8]) -> (Vec<ImportRow>, Vec<RowError>) {
    let mut errors = Vec::new();
    let Some((text, _)) = decode(bytes) else {
        errors.push(RowError {
            line: 0,
            column: None,
            message: encoding_problem(),
        });
        return (Vec::new(), errors);
    };
    // The csv reader counts lines by '\n' but ends a record at the '\r' of "\r\n", so the
    // next record's position is taken before its line is counted: every line number of a
    // CRLF file (what Excel writes) came out one too low. Plain '\n' endings count right.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => {
            errors.push(csv_error(1, &e));
            return (Vec::new(), errors);
        }
        None => {
            errors.push(RowError::new(
                0,
                None,
                "ファイルが空です。1行目に見出し行が必要です。",
                "The file is empty; the first line must be the header.",
            ));
            return (Vec::new(), errors);
        }
    };
    let mut columns: Vec<Option<Column>> = Vec::new();
    for name in header.iter() {
        let name = name.trim();
        let found = COLUMNS
            .iter()
            .find(|(_, en, ja, _)| en.eq_ignore_ascii_case(name) || *ja == name)
            .map(|c| c.0);
        if found.is_none() {
            let valid: Vec<&str> = COLUMNS.iter().map(|c| c.1).collect();
            errors.push(RowError::new(
                1,
                Some(name),
                format!(
                    "見出し「{name}」は使えません。使える列: {}",
                    valid.join(", ")
                ),
                format!(
                    "Unknown column \"{name}\". Valid columns: {}",
                    valid.join(", ")
                ),
            ));
        }
        if found.is_some() && columns.contains(&found) {
            errors.push(RowError::new(
                1,
                Some(name),
                format!("見出し「{name}」が2回あります。"),
                format!("Column \"{name}\" appears twice."),
            ));
        }
        columns.push(found);
    }
    for (c, en, ja, required) in COLUMNS {
        if required && !columns.contains(&Some(c)) {
            errors.push(RowError::new(
                1,
                Some(en),
                format!("必須の列「{en}」（{ja}）がありません。"),
                format!("The required column \"{en}\" ({ja}) is missing."),
            ));
        }
    }
    if !errors.is_empty() {
        return (Vec::new(), errors);
    }
    let mut rows = Vec::new();
    for (i, record) in records.enumerate() {
        let line = record
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(i + 2, |p| p.line() as usize);
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(csv_error(i + 2, &e));
                continue;
            }
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        match parse_row(line, &columns, &record) {
            Ok(row) => rows.push(row),
            Err(mut e) => errors.append(&mut e),
        }
    }
    (rows, errors)
}

fn csv_error(line: usize, e: &csv::Error) -> RowError {
    RowError::new(
        line,
        None,
        format!("CSV として読み取れない行です（{e}）。引用符を確認してください。"),
        format!("This line is not valid CSV ({e}). Check the quotes."),
    )
}

fn parse_row(
    line: usize,
    columns: &[Option<Column>],
    record: &csv::StringRecord,
) -> std::result::Result<ImportRow, Vec<RowError>> {
    let mut errors = Vec::new();
    let field = |c: Column| -> &str {
        columns
            .iter()
            .position(|x| *x == Some(c))
            .and_then(|i| record.get(i))
            .map_or("", str::trim)
    };
    let mut bad = |c: Column, ja: String, en: String| {
        errors.push(RowError::new(line, Some(column_name(c)), ja, en));
    };
    let required = |c: Column, bad: &mut dyn FnMut(Column, String, String)| -> Option<String> {
        let v = field(c);
        if v.is_empty() {
            bad(
                c,
                format!("「{}」が空です。", column_name(c)),
                format!("\"{}\" is empty.", column_name(c)),
            );
            None
        } else {
            Some(v.to_owned())
        }
    };
    let customer_id = required(Column::CustomerId, &mut bad);
    if let Some(v) = &customer_id
        && !valid_customer_id(v)
    {
        bad(
            Column::CustomerId,
            format!("会員ID「{v}」は英数字と _ の25文字以内で指定してください。"),
            format!("Customer ID \"{v}\" must be 1–25 letters, digits or _."),
        );
    }
    let card = required(Column::CustomerCardId, &mut bad);
    if let Some(v) = &card
        && !valid_customer_card_id(v)
    {
        bad(
            Column::CustomerCardId,
            format!("カードID「{v}」は18桁以内の数字で指定してください。"),
            format!("Card ID \"{v}\" must be 1–18 digits."),
        );
    }
    let buyer_name = required(Column::BuyerName, &mut bad);
    let email = Some(field(Column::BuyerEmail)).filter(|s| !s.is_empty());
    if let Some(e) = email
        && !e.contains('@')
    {
        bad(
            Column::BuyerEmail,
            format!("メールアドレス「{e}」の形式が正しくありません。"),
            format!("E-mail address \"{e}\" is not valid."),
        );
    }
    let cycle = required(Column::Cycle, &mut bad).and_then(|v| {
        let c = Cycle::parse(&v);
        if c.is_none() {
            bad(
                Column::Cycle,
                format!("周期「{v}」を読み取れません（例: 1m, 2m, 1w, 毎月, 2か月ごと）。"),
                format!("Cannot read cycle \"{v}\" (e.g. 1m, 2m, 1w, monthly, every 2 months)."),
            );
        }
        c
    });
    let amount = required(Column::Amount, &mut bad).and_then(|v| {
        let a = parse_yen(&v);
        if a.is_none() {
            bad(
                Column::Amount,
                format!("金額「{v}」は円の整数で指定してください（例: 1980）。"),
                format!("Amount \"{v}\" must be whole yen (e.g. 1980)."),
            );
        }
        a
    });
    let date = |c: Column, v: &str, bad: &mut dyn FnMut(Column, String, String)| {
        let d = parse_date(v);
        if d.is_none() {
            bad(
                c,
                format!("日付「{v}」は YYYY-MM-DD で指定してください。"),
                format!("Date \"{v}\" must be YYYY-MM-DD."),
            );
        }
        d
    };
    let next = required(Column::NextRenewalDate, &mut bad)
        .and_then(|v| date(Column::NextRenewalDate, &v, &mut bad));
    let contract_end = Some(field(Column::ContractEnd))
        .filter(|s| !s.is_empty())
        .map(|v| date(Column::ContractEnd, v, &mut bad));
    let billing_day = match field(Column::BillingDay) {
        "" => next.map(|d| chrono::Datelike::day(&d)),
        v => {
            let d = v.parse::<u32>().ok().filter(|d| (1..=31).contains(d));
            if d.is_none() {
                bad(
                    Column::BillingDay,
                    format!("決済日「{v}」は1〜31で指定してください。"),
                    format!("Billing day \"{v}\" must be 1–31."),
                );
            }
            d
        }
    };
    let status = match field(Column::Status) {
        "" => Some(SubscriptionStatus::Active),
        v => {
            let s = SubscriptionStatus::from_code(v);
            if s.is_none() {
                bad(
                    Column::Status,
                    format!("状態「{v}」は active / paused / ended のいずれかです。"),
                    format!("Status \"{v}\" must be active, paused or ended."),
                );
            }
            s
        }
    };
    let fees = {
        let v = field(Column::FeesToBeAdvised);
        let f = parse_flag(v);
        if f.is_none() {
            bad(
                Column::FeesToBeAdvised,
                format!("手数料別途「{v}」は 0 か 1 で指定してください。"),
                format!("fees_to_be_advised \"{v}\" must be 0 or 1."),
            );
        }
        f
    };
    let card_expiry = match field(Column::CardExpiry) {
        "" => Some(None),
        v => {
            let e = CardExpiry::parse(v);
            if e.is_none() {
                bad(
                    Column::CardExpiry,
                    format!("カード有効期限「{v}」は MMYY か YYYY-MM で指定してください。"),
                    format!("Card expiry \"{v}\" must be MMYY or YYYY-MM."),
                );
            }
            e.map(Some)
        }
    };
    match (
        customer_id,
        card,
        buyer_name,
        cycle,
        amount,
        next,
        billing_day,
        status,
        fees,
        card_expiry,
    ) {
        (
            Some(customer_id),
            Some(customer_card_id),
            Some(buyer_name),
            Some(cycle),
            Some(amount),
            Some(next_renewal_date),
            Some(billing_day),
            Some(status),
            Some(fees_to_be_advised),
            Some(card_expiry),
        ) if errors.is_empty() => Ok(ImportRow {
            line,
            customer_id,
            customer_card_id,
            buyer_name,
            buyer_email: email.map(str::to_owned),
            cycle,
            billing_day,
            amount,
            next_renewal_date,
            status,
            fees_to_be_advised,
            contract_end: contract_end.flatten(),
            card_expiry,
        }),
        _ => Err(errors),
    }
}
