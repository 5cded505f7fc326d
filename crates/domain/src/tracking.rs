//! The carriers' issued-labels files (発行済みデータ / 出荷履歴) read without I/O: bytes in,
//! one row per line with its order number and tracking number, or a per-line error out.
//! `api` matches the rows to orders by order number and keeps the tracking numbers.
//!
//! The export layouts are user-configurable in every carrier's software (and the
//! research in `docs/external-formats.md` found no fixed layout for Sagawa's and Japan
//! Post's), so columns are found by their header names, in any order:
//!
//! | carrier | order number column | tracking number column |
//! |---|---|---|
//! | Yamato B2クラウド 発行済データ | お客様管理番号 | 伝票番号 |
//! | Sagawa e飛伝 | お客様管理番号 | お問い合せ送り状No. (or お問合せ送り状No.) |
//! | Japan Post ゆうプリR 発送履歴 | お客様側管理番号 | お問い合わせ番号 |
//!
//! Encoding as every import: UTF-8 (with or without BOM) or Shift_JIS.

use crate::history::Text;
use crate::import::{decode, encoding_problem};
use crate::labels::normalize_tracking_number;

/// Header names of the order-number column.
pub const ORDER_NUMBER_HEADERS: &[&str] = &["お客様管理番号", "お客様側管理番号", "注文番号"];
/// Header names of the tracking-number column.
pub const TRACKING_HEADERS: &[&str] = &[
    "伝票番号",
    "お問い合せ送り状No.",
    "お問い合せ送り状No",
    "お問合せ送り状No.",
    "お問合せ送り状No",
    "お問い合わせ番号",
    "お問合せ番号",
    "問合せ番号",
    "送り状番号",
];

/// One line of the file that names an order and a tracking number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingRow {
    /// The physical line where the record starts (the header is line 1).
    pub line: u64,
    pub order_number: String,
    /// Digits only.
    pub tracking_number: String,
}

/// A line that could not be read, and why (the line's order number when it had one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingLineError {
    pub line: u64,
    pub order_number: Option<String>,
    pub reason: Text,
}

/// The file as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingFile {
    pub rows: Vec<TrackingRow>,
    pub errors: Vec<TrackingLineError>,
}

/// Reads an issued-labels file. `Err`: the whole file is unreadable (encoding, no
/// header with both columns).
pub fn parse_tracking_file(bytes: &[u8]) -> Result<TrackingFile, Text> {
    let Some((text, _)) = decode(bytes) else {
        return Err(encoding_problem());
    };
    let mut lines = crate::storefront::LineCounter::new(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut header = csv::StringRecord::new();
    if !matches!(reader.read_record(&mut header), Ok(true)) {
        return Err(no_columns());
    }
    let find = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.contains(&h.trim().trim_start_matches('\u{feff}')))
    };
    let (Some(order_col), Some(tracking_col)) =
        (find(ORDER_NUMBER_HEADERS), find(TRACKING_HEADERS))
    else {
        return Err(no_columns());
    };
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let offset = usize::try_from(reader.position().byte()).unwrap_or(usize::MAX);
        let read = reader.read_record(&mut record);
        if matches!(read, Ok(false)) {
            break;
        }
        let line = u64::from(lines.record_line(offset));
        if read.is_err() {
            errors.push(TrackingLineError {
                line,
                order_number: None,
                reason: Text::new(
                    "この行はCSVとして読めません。",
                    "This line cannot be read as CSV.",
                ),
            });
            continue;
        }
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let order_number = record.get(order_col).unwrap_or_default().trim().to_owned();
        let raw_tracking = record
            .get(tracking_col)
            .unwrap_or_default()
            .trim()
            .to_owned();
        if order_number.is_empty() {
            errors.push(TrackingLineError {
                line,
                order_number: None,
                reason: Text::new(
                    "注文番号（お客様管理番号）が空です。",
                    "The order number (customer reference) is empty.",
                ),
            });
            continue;
        }
        if raw_tracking.is_empty() {
            errors.push(TrackingLineError {
                line,
                order_number: Some(order_number),
                reason: Text::new(
                    "問合せ番号が空です（送り状がまだ発行されていないか、発送予定のデータを出力しています）。",
                    "The tracking number is empty (the label is not issued yet, or this is the planned-shipments export).",
                ),
            });
            continue;
        }
        match normalize_tracking_number(&raw_tracking) {
            Some(tracking_number) => rows.push(TrackingRow {
                line,
                order_number,
                tracking_number,
            }),
            None => errors.push(TrackingLineError {
                line,
                order_number: Some(order_number),
                reason: Text::new(
                    format!("問合せ番号「{raw_tracking}」は10〜14桁の数字ではありません（Excelで開いて保存すると「4.9E+11」のように変わることがあります）。"),
                    format!("The tracking number \"{raw_tracking}\" is not 10 to 14 digits (saving the file from Excel can turn it into \"4.9E+11\")."),
                ),
            }),
        }
    }
    Ok(TrackingFile { rows, errors })
}

fn no_columns() -> Text {
    Text::new(
        "見出し行に注文番号の列（お客様管理番号・お客様側管理番号）と問合せ番号の列（伝票番号・お問い合せ送り状No.・お問い合わせ番号）が見つかりません。送り状ソフトの発行済みデータ（発送履歴）を見出し付きで出力してください。",
        "The header has no order-number column (お客様管理番号, お客様側管理番号) and tracking-number column (伝票番号, お問い合せ送り状No., お問い合わせ番号). Export the issued labels (shipping history) from the label software with a header row.",
    )
}
