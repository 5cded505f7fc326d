//! CSV "reference" responses (§3.2), e.g. 027 stored-card inquiry.
//!
//! Layout: records separated by CRLF, every field in `"` with `""` for a quote; column 0
//! is the record type: `1` header (`result, response_code, response_detail`), `2` column
//! names, `3` data rows, `4` trailer (row count). [`parse_csv`] reads it strictly (a row
//! whose width differs from the column header is the module's E01901; a missing trailer
//! means a truncated body); [`encode_csv_response`] writes it for the simulator.

use thiserror::Error;

use crate::form::{Charset, EncodeError, decode_text, encode_text};

/// A decoded CSV reference response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CsvTable {
    /// `result` from the `1` record (`0` or `1`).
    pub result: String,
    /// `response_code` from the `1` record.
    pub response_code: String,
    /// `response_detail` from the `1` record.
    pub response_detail: String,
    /// Column names from the `2` record (empty when there are no rows).
    pub columns: Vec<String>,
    /// Data rows from the `3` records, each as wide as `columns`.
    pub rows: Vec<Vec<String>>,
}

/// A CSV body could not be read; the body is never part of the message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CsvError {
    /// A quoted field is not closed, or text follows a closing quote.
    #[error("malformed CSV quoting on line {line}")]
    Quoting {
        /// One-based line number.
        line: usize,
    },
    /// The first record is not a `1` header with at least two fields.
    #[error("CSV response has no `1` header record")]
    MissingHeader,
    /// A record type other than 1–4, or a record out of order.
    #[error("unexpected CSV record on line {line}")]
    UnexpectedRecord {
        /// One-based line number.
        line: usize,
    },
    /// A `3` row's width differs from the `2` column header (module error E01901).
    #[error("CSV row on line {line} has {found} fields, the header has {expected}")]
    ColumnCountMismatch {
        /// One-based line number.
        line: usize,
        /// Column count of the `2` record.
        expected: usize,
        /// Field count of the row.
        found: usize,
    },
    /// No `4` trailer: the body is truncated.
    #[error("CSV response has no `4` trailer record (truncated body?)")]
    MissingTrailer,
    /// The trailer's row count differs from the rows read.
    #[error("CSV trailer announces {announced} rows, {found} were read")]
    TrailerMismatch {
        /// Count in the trailer.
        announced: String,
        /// Rows read.
        found: usize,
    },
    /// A field is not valid in the charset.
    #[error("CSV field on line {line} is not valid {charset:?}")]
    InvalidEncoding {
        /// One-based line number.
        line: usize,
        /// Charset used.
        charset: Charset,
    },
}

/// Parses a CSV reference response.
pub fn parse_csv(body: &[u8], charset: Charset) -> Result<CsvTable, CsvError> {
    let mut table = CsvTable::default();
    let mut seen_header = false;
    let mut seen_trailer = false;
    for (index, line) in split_crlf(body).enumerate() {
        let line_no = index + 1;
        if line.is_empty() {
            continue;
        }
        if seen_trailer {
            return Err(CsvError::UnexpectedRecord { line: line_no });
        }
        let fields = split_fields(line, line_no)?
            .into_iter()
            .map(|f| {
                decode_text(charset, &f).ok_or(CsvError::InvalidEncoding {
                    line: line_no,
                    charset,
                })
            })
            .collect::<Result<Vec<String>, CsvError>>()?;
        let (record_type, rest) = fields
            .split_first()
            .ok_or(CsvError::UnexpectedRecord { line: line_no })?;
        match (record_type.as_str(), seen_header) {
            ("1", false) => {
                if rest.is_empty() {
                    return Err(CsvError::MissingHeader);
                }
                table.result = rest[0].clone();
                table.response_code = rest.get(1).cloned().unwrap_or_default();
                table.response_detail = rest.get(2).cloned().unwrap_or_default();
                seen_header = true;
            }
            (_, false) => return Err(CsvError::MissingHeader),
            ("2", true) if table.columns.is_empty() && table.rows.is_empty() => {
                table.columns = rest.to_vec();
            }
            ("3", true) if !table.columns.is_empty() => {
                if rest.len() != table.columns.len() {
                    return Err(CsvError::ColumnCountMismatch {
                        line: line_no,
                        expected: table.columns.len(),
                        found: rest.len(),
                    });
                }
                table.rows.push(rest.to_vec());
            }
            ("4", true) => {
                let announced = rest.first().cloned().unwrap_or_default();
                if announced != table.rows.len().to_string() {
                    return Err(CsvError::TrailerMismatch {
                        announced: announced.chars().take(12).collect(),
                        found: table.rows.len(),
                    });
                }
                seen_trailer = true;
            }
            _ => return Err(CsvError::UnexpectedRecord { line: line_no }),
        }
    }
    if !seen_header {
        return Err(CsvError::MissingHeader);
    }
    if !seen_trailer {
        return Err(CsvError::MissingTrailer);
    }
    Ok(table)
}

/// Splits at CRLF; a final line without CRLF is still a line.
pub(crate) fn split_crlf(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(body);
    std::iter::from_fn(move || {
        let current = rest?;
        match current.windows(2).position(|w| w == b"\r\n") {
            Some(pos) => {
                rest = Some(&current[pos + 2..]);
                Some(&current[..pos])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// Splits one record into raw field bytes. Quoted fields may hold `,` and `""`; bytes
/// outside quotes are kept as data (the spec: spaces around separators are data).
fn split_fields(line: &[u8], line_no: usize) -> Result<Vec<Vec<u8>>, CsvError> {
    let mut fields = Vec::new();
    let mut field = Vec::new();
    let mut in_quotes = false;
    let mut i = 0;
    while i < line.len() {
        let b = line[i];
        if in_quotes {
            if b == b'"' {
                if line.get(i + 1) == Some(&b'"') {
                    field.push(b'"');
                    i += 1;
                } else {
                    in_quotes = false;
                    match line.get(i + 1) {
                        None | Some(b',') => {}
                        Some(_) => return Err(CsvError::Quoting { line: line_no }),
                    }
                }
            } else {
                field.push(b);
            }
        } else if b == b'"' && field.is_empty() {
            in_quotes = true;
        } else if b == b',' {
            fields.push(std::mem::take(&mut field));
        } else if b == b'"' {
            return Err(CsvError::Quoting { line: line_no });
        } else {
            field.push(b);
        }
        i += 1;
    }
    if in_quotes {
        return Err(CsvError::Quoting { line: line_no });
    }
    fields.push(field);
    Ok(fields)
}

/// Writes a CSV reference response (simulator direction). Rows are written only when
/// `columns` is non-empty, as the gateway omits the `2` record when there are no hits.
pub fn encode_csv_response(table: &CsvTable, charset: Charset) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    let mut record = |fields: &[&str]| -> Result<(), EncodeError> {
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'"');
            let bytes = encode_text(charset, "csv", &field.replace('"', "\"\""))?;
            out.extend_from_slice(&bytes);
            out.push(b'"');
        }
        out.extend_from_slice(b"\r\n");
        Ok(())
    };
    record(&[
        "1",
        &table.result,
        &table.response_code,
        &table.response_detail,
    ])?;
    if !table.columns.is_empty() {
        let mut header = vec!["2"];
        header.extend(table.columns.iter().map(String::as_str));
        record(&header)?;
        for row in &table.rows {
            let mut fields = vec!["3"];
            fields.extend(row.iter().map(String::as_str));
            record(&fields)?;
        }
    }
    let count = if table.columns.is_empty() {
        0
    } else {
        table.rows.len()
    };
    record(&["4", &count.to_string()])?;
    Ok(out)
}
