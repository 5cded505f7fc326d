//! The shop's storefront order export (CSV), read without I/O: bytes in, rows and per-row
//! errors out. `api` matches the rows to orders by order number and stores them.
//!
//! Layout: [`parse_storefront_csv`] decodes the bytes ([`Encoding`]: UTF-8 with or without
//! BOM, else Shift_JIS), maps the header to columns ([`COLUMN_ALIASES`]), and turns each
//! record into a [`StorefrontRow`] or a [`RowError`] with the 1-based physical line where
//! the record starts (a quoted field may span several lines; the header is line 1). A
//! problem with the whole file is a [`FileError`]. [`parse_items`] and [`parse_yen`] read
//! the item list and yen amounts.
//!
//! # Columns
//!
//! Header names in any order; English as the simulator's storefront writes them, or the
//! Japanese in [`COLUMN_ALIASES`]. Other columns are ignored; values are trimmed and an
//! empty value counts as absent. Which detail columns the file has is kept
//! ([`StorefrontExport::fields`]): an import never touches a field whose column is missing,
//! and an empty cell leaves a known value alone unless the shop owner asks to clear it.
//!
//! | column | Japanese | use |
//! |---|---|---|
//! | `order_number` | 注文番号 | required (this column or `trading_id`); matched to the order |
//! | `trading_id` | 外部決済注文番号 | wins over `order_number` when present and not empty (the number Paygent knows) |
//! | `payment_id` | 取引ID, 決済ID | the transaction ID (digits): a payment PayDesk has no order for is checked with 094 first |
//! | `buyer_name` | 購入者名, お名前 | |
//! | `buyer_kana` | 購入者カナ, フリガナ | |
//! | `email` | メールアドレス | |
//! | `phone` | 電話番号 | |
//! | `postal_code` | 郵便番号 | |
//! | `address` | 住所 | |
//! | `items` | 商品 | `title xQTY @PRICE; …`; a price may be followed by its tax rate, `8%` or `10%` (`※` also marks the reduced rate), else the shop's rate from Settings applies |
//! | `shipping_fee` | 送料 | whole yen (`500`, `1,500`, `¥1,500`) |

use paygent_codec::Yen;

use crate::import::decode;
pub use crate::import::{Encoding, parse_yen};

use crate::history::Text;
use crate::invoice::TaxRate;

/// Japanese header names accepted for each column.
pub const COLUMN_ALIASES: &[(&str, &str)] = &[
    ("注文番号", "order_number"),
    ("取引ID", "payment_id"),
    ("決済ID", "payment_id"),
    ("外部決済注文番号", "trading_id"),
    ("購入者名", "buyer_name"),
    ("お名前", "buyer_name"),
    ("購入者カナ", "buyer_kana"),
    ("フリガナ", "buyer_kana"),
    ("メールアドレス", "email"),
    ("電話番号", "phone"),
    ("郵便番号", "postal_code"),
    ("住所", "address"),
    ("商品", "items"),
    ("送料", "shipping_fee"),
];

/// A detail of an order that the storefront import can set. The import touches only the
/// fields whose column the file has ([`StorefrontExport::fields`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DetailField {
    BuyerName,
    BuyerNameKana,
    BuyerEmail,
    BuyerPhone,
    ShippingZip,
    /// The whole shipping address (prefecture, city, lines) as one value.
    Address,
    OrderShipping,
    /// The item list as a whole.
    Items,
}

impl DetailField {
    /// Every field, in the order they are shown.
    pub const ALL: [DetailField; 8] = [
        DetailField::BuyerName,
        DetailField::BuyerNameKana,
        DetailField::BuyerEmail,
        DetailField::BuyerPhone,
        DetailField::ShippingZip,
        DetailField::Address,
        DetailField::OrderShipping,
        DetailField::Items,
    ];

    /// The stable code kept in the database.
    pub fn code(self) -> &'static str {
        match self {
            DetailField::BuyerName => "buyer_name",
            DetailField::BuyerNameKana => "buyer_name_kana",
            DetailField::BuyerEmail => "buyer_email",
            DetailField::BuyerPhone => "buyer_phone",
            DetailField::ShippingZip => "shipping_zip",
            DetailField::Address => "address",
            DetailField::OrderShipping => "order_shipping",
            DetailField::Items => "items",
        }
    }

    /// The field for a code.
    pub fn from_code(code: &str) -> Option<DetailField> {
        DetailField::ALL.into_iter().find(|f| f.code() == code)
    }

    /// What the shop owner calls it.
    pub fn label(self) -> Text {
        let (ja, en) = match self {
            DetailField::BuyerName => ("購入者名", "buyer name"),
            DetailField::BuyerNameKana => ("購入者カナ", "buyer name (kana)"),
            DetailField::BuyerEmail => ("メールアドレス", "e-mail"),
            DetailField::BuyerPhone => ("電話番号", "phone"),
            DetailField::ShippingZip => ("郵便番号", "postal code"),
            DetailField::Address => ("住所", "address"),
            DetailField::OrderShipping => ("送料", "shipping fee"),
            DetailField::Items => ("商品", "items"),
        };
        Text::new(ja, en)
    }
}

/// One item of the `items` column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub title: String,
    pub quantity: i64,
    pub unit_price: Yen,
    /// The item's own tax rate when the file gives one; `None`: the shop's rate.
    pub rate: Option<TaxRate>,
}

/// One usable order row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorefrontRow {
    /// The physical line where the record starts (1 = the header).
    pub line: u32,
    /// `trading_id` when present, else `order_number`; never empty.
    pub order_number: String,
    /// The transaction ID, when the column holds only digits.
    pub payment_id: Option<String>,
    pub buyer_name: Option<String>,
    pub buyer_kana: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub postal_code: Option<String>,
    pub address: Option<String>,
    pub items: Vec<Item>,
    pub shipping_fee: Option<Yen>,
}

/// A record that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The physical line where the record starts (1 = the header).
    pub line: u32,
    /// The row's order number, when it has one.
    pub order_number: Option<String>,
    pub message: Text,
}

/// What the file held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorefrontExport {
    pub encoding: Encoding,
    /// The detail fields whose column the file has, in [`DetailField::ALL`] order. Only
    /// these are ever changed by an import.
    pub fields: Vec<DetailField>,
    /// Data records read (each became a row or an error).
    pub records: u32,
    /// Usable rows, in file order.
    pub rows: Vec<StorefrontRow>,
    /// Unusable rows, in file order.
    pub errors: Vec<RowError>,
}

/// A problem with the whole file: nothing is imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileError {
    /// Neither UTF-8 nor Shift_JIS.
    Encoding,
    /// The header names no `order_number` (or `trading_id`) column.
    NoOrderNumber,
}

impl FileError {
    /// The stable error code at the IPC boundary.
    pub fn code(self) -> &'static str {
        match self {
            FileError::Encoding => "csv_encoding",
            FileError::NoOrderNumber => "csv_no_order_number",
        }
    }

    /// What is wrong and what to do, in plain words.
    pub fn message(self) -> Text {
        match self {
            FileError::Encoding => crate::import::encoding_problem(),
            FileError::NoOrderNumber => Text::new(
                "CSVに「order_number」（注文番号）の列がありません。1行目に列名を入れてください。",
                "The CSV has no \"order_number\" column. Put the column names in the first line.",
            ),
        }
    }
}

/// Physical line numbers of byte offsets, counted forward once. A line ends at `\r\n`,
/// `\n` or a lone `\r` (the csv reader accepts all three).
pub(crate) struct LineCounter<'a> {
    text: &'a [u8],
    /// Bytes before this offset are counted.
    at: usize,
    /// The line `at` is on.
    line: u32,
}

impl<'a> LineCounter<'a> {
    pub(crate) fn new(text: &'a str) -> LineCounter<'a> {
        LineCounter {
            text: text.as_bytes(),
            at: 0,
            line: 1,
        }
    }

    /// The line of the record the csv reader began at `offset`. The reader's own position
    /// is taken before it skips blank lines and, in CRLF files, before the `\n` that ends
    /// the previous record, and its line count misses CRLF breaks: so skip line breaks to
    /// the record's first byte, then count breaks up to it.
    pub(crate) fn record_line(&mut self, offset: usize) -> u32 {
        let mut start = offset.min(self.text.len());
        while start < self.text.len() && matches!(self.text[start], b'\r' | b'\n') {
            start += 1;
        }
        while self.at < start {
            let b = self.text[self.at];
            let crlf = b == b'\r' && self.text.get(self.at + 1) == Some(&b'\n');
            if b == b'\n' || (b == b'\r' && !crlf) {
                self.line = self.line.saturating_add(1);
            }
            self.at += 1;
        }
        self.line
    }
}

fn row_error(line: u32, order_number: Option<&str>, ja: &str, en: &str) -> RowError {
    RowError {
        line,
        order_number: order_number.map(str::to_owned),
        message: Text::new(ja, en),
    }
}

/// Reads the storefront's order export (layout in the module doc). Pure and total: any
/// bytes give a [`FileError`] or rows and errors, never a panic.
pub fn parse_storefront_csv(bytes: &[u8]) -> Result<StorefrontExport, FileError> {
    let (text, encoding) = decode(bytes).ok_or(FileError::Encoding)?;
    let mut lines = LineCounter::new(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    let headers: Vec<String> = match reader.read_record(&mut record) {
        Ok(true) => record
            .iter()
            .map(|h| {
                let h = h.trim();
                COLUMN_ALIASES
                    .iter()
                    .find(|(ja, _)| *ja == h)
                    .map_or(h, |(_, en)| en)
                    .to_owned()
            })
            .collect(),
        Ok(false) => Vec::new(),
        Err(_) => return Err(FileError::Encoding),
    };
    if !headers
        .iter()
        .any(|h| h == "order_number" || h == "trading_id")
    {
        return Err(FileError::NoOrderNumber);
    }
    let column = |name: &str| headers.iter().position(|h| h == name);
    let columns = Columns {
        order_number: column("order_number"),
        trading_id: column("trading_id"),
        payment_id: column("payment_id"),
        buyer_name: column("buyer_name"),
        buyer_kana: column("buyer_kana"),
        email: column("email"),
        phone: column("phone"),
        postal_code: column("postal_code"),
        address: column("address"),
        items: column("items"),
        shipping_fee: column("shipping_fee"),
    };
    let has = |c: Option<usize>, f: DetailField| c.map(|_| f);
    let fields = [
        has(columns.buyer_name, DetailField::BuyerName),
        has(columns.buyer_kana, DetailField::BuyerNameKana),
        has(columns.email, DetailField::BuyerEmail),
        has(columns.phone, DetailField::BuyerPhone),
        has(columns.postal_code, DetailField::ShippingZip),
        has(columns.address, DetailField::Address),
        has(columns.shipping_fee, DetailField::OrderShipping),
        has(columns.items, DetailField::Items),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut export = StorefrontExport {
        encoding,
        fields,
        records: 0,
        rows: Vec::new(),
        errors: Vec::new(),
    };
    loop {
        let offset = usize::try_from(reader.position().byte()).unwrap_or(usize::MAX);
        let read = reader.read_record(&mut record);
        if matches!(read, Ok(false)) {
            break;
        }
        let line = lines.record_line(offset);
        export.records = export.records.saturating_add(1);
        match read {
            Ok(_) => match parse_row(line, &columns, &record) {
                Ok(row) => export.rows.push(row),
                Err(e) => export.errors.push(e),
            },
            Err(_) => export.errors.push(row_error(
                line,
                None,
                "この行を読み取れません。",
                "This line cannot be read.",
            )),
        }
    }
    Ok(export)
}

/// Where each known column is in a record.
struct Columns {
    order_number: Option<usize>,
    trading_id: Option<usize>,
    payment_id: Option<usize>,
    buyer_name: Option<usize>,
    buyer_kana: Option<usize>,
    email: Option<usize>,
    phone: Option<usize>,
    postal_code: Option<usize>,
    address: Option<usize>,
    items: Option<usize>,
    shipping_fee: Option<usize>,
}

fn parse_row(
    line: u32,
    columns: &Columns,
    record: &csv::StringRecord,
) -> Result<StorefrontRow, RowError> {
    let get = |column: Option<usize>| -> Option<String> {
        column
            .and_then(|i| record.get(i))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let Some(number) = get(columns.trading_id).or_else(|| get(columns.order_number)) else {
        return Err(row_error(
            line,
            None,
            "注文番号が空です。",
            "The order number is empty.",
        ));
    };
    let items = match get(columns.items).map(|t| parse_items(&t)).transpose() {
        Ok(items) => items.unwrap_or_default(),
        Err(why) => {
            return Err(row_error(
                line,
                Some(&number),
                &format!("商品欄を読み取れません：{why}"),
                &format!("The items column cannot be read: {why}"),
            ));
        }
    };
    let shipping_fee = match get(columns.shipping_fee) {
        Some(v) => match parse_yen(&v) {
            Some(y) => Some(y),
            None => {
                return Err(row_error(
                    line,
                    Some(&number),
                    &format!("送料「{v}」が金額（円の整数）ではありません。"),
                    &format!("The shipping fee \"{v}\" is not a whole yen amount."),
                ));
            }
        },
        None => None,
    };
    Ok(StorefrontRow {
        line,
        payment_id: get(columns.payment_id).filter(|id| id.bytes().all(|b| b.is_ascii_digit())),
        buyer_name: get(columns.buyer_name),
        buyer_kana: get(columns.buyer_kana),
        email: get(columns.email),
        phone: get(columns.phone),
        postal_code: get(columns.postal_code),
        address: get(columns.address),
        items,
        shipping_fee,
        order_number: number,
    })
}

/// The `items` column: `title xQTY @PRICE [RATE]; …`. The error names the part that is wrong.
pub fn parse_items(text: &str) -> Result<Vec<Item>, String> {
    text.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|part| {
            let (rest, priced) = part
                .rsplit_once('@')
                .ok_or_else(|| format!("\"{part}\" has no @price"))?;
            let (title, qty) = rest
                .trim()
                .rsplit_once(" x")
                .ok_or_else(|| format!("\"{part}\" has no xQuantity"))?;
            let quantity = qty
                .trim()
                .parse::<i64>()
                .map_err(|_| format!("\"{part}\": quantity is not a number"))?;
            let (price, rate) = split_rate(priced)
                .ok_or_else(|| format!("\"{part}\": the tax rate is neither 8% nor 10%"))?;
            let unit_price = parse_yen(price)
                .ok_or_else(|| format!("\"{part}\": price is not a whole yen amount"))?;
            Ok(Item {
                title: title.trim().to_owned(),
                quantity,
                unit_price,
                rate,
            })
        })
        .collect()
}

/// Splits `1,080 8%` (or `1,080 ※`, `1080（8％）`) into the price and the rate after it; a
/// price alone has no rate. `None`: a rate mark that is neither 8% nor 10%.
fn split_rate(priced: &str) -> Option<(&str, Option<TaxRate>)> {
    let priced = priced.trim();
    if let Some(price) = priced.strip_suffix('※') {
        return Some((price.trim(), Some(TaxRate::Reduced)));
    }
    let unwrapped = priced.trim_end_matches([')', '）']).trim_end();
    let Some(body) = unwrapped.strip_suffix(['%', '％']) else {
        return Some((priced, None));
    };
    let start = body
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit() || ('０'..='９').contains(c))
        .last()
        .map(|(i, _)| i)?;
    let percent: String = body[start..]
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            c => c,
        })
        .collect();
    let rate = match percent.as_str() {
        "8" => TaxRate::Reduced,
        "10" => TaxRate::Standard,
        _ => return None,
    };
    let price = body[..start]
        .trim_end()
        .trim_end_matches(['(', '（'])
        .trim_end();
    Some((price, Some(rate)))
}
