//! Issue 18: the storefront import and the subscription import each had their own decoder
//! and yen parser, and disagreed on the same file: a UTF-8 byte-order mark followed by
//! Shift_JIS bytes was refused by one and read as Shift_JIS by the other, and only one
//! read 「1,980円」. Every import now reads through `domain::import`; these tests give the
//! same input to each import and ask for the same answer.

use domain::Yen;
use domain::import::encoding_problem;
use domain::storefront::{FileError, parse_storefront_csv};
use domain::subscription_csv::parse_subscriptions_csv;
use domain::tracking::parse_tracking_file;

const SUBSCRIPTION_HEADER: &str =
    "customer_id,customer_card_id,buyer_name,cycle,amount,next_renewal_date\n";

/// The subscription import's amount for `amount` (`None`: the row was refused for it).
fn subscription_amount(amount: &str) -> Option<Yen> {
    let file = format!("{SUBSCRIPTION_HEADER}m001,1001,山田 太郎,1m,\"{amount}\",2024-05-31\n");
    let (rows, errors) = parse_subscriptions_csv(file.as_bytes());
    match rows.as_slice() {
        [row] => Some(row.amount),
        _ => {
            assert!(
                errors.iter().any(|e| e.column.as_deref() == Some("amount")),
                "{amount:?}: {errors:?}"
            );
            None
        }
    }
}

/// The storefront import's shipping fee for `amount` (`None`: the row was refused for it).
fn storefront_fee(amount: &str) -> Option<Yen> {
    let file = format!("order_number,shipping_fee\nA1,\"{amount}\"\n");
    let export = parse_storefront_csv(file.as_bytes()).unwrap();
    match export.rows.as_slice() {
        [row] => Some(row.shipping_fee.expect("a fee was written")),
        _ => {
            assert_eq!(export.errors.len(), 1, "{amount:?}");
            None
        }
    }
}

#[test]
fn both_imports_read_a_yen_amount_alike() {
    for (amount, yen) in [
        ("1980", Some(1980)),
        ("1,980", Some(1980)),
        ("¥1,980", Some(1980)),
        ("￥1,980", Some(1980)),
        ("1,980円", Some(1980)),
        ("１，９８０円", Some(1980)),
        (" 1980 ", Some(1980)),
        ("0", Some(0)),
        ("-1980", None),
        ("1.5", None),
        ("1980ドル", None),
    ] {
        let yen = yen.map(Yen);
        assert_eq!(subscription_amount(amount), yen, "subscription: {amount:?}");
        assert_eq!(storefront_fee(amount), yen, "storefront: {amount:?}");
    }
}

/// `text` in Shift_JIS, and the same bytes after a UTF-8 byte-order mark.
fn shift_jis_and_after_a_bom(text: &str) -> (Vec<u8>, Vec<u8>) {
    let (sjis, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
    assert!(
        !unmappable && std::str::from_utf8(&sjis).is_err(),
        "really Shift_JIS"
    );
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(&sjis);
    (sjis.into_owned(), bom)
}

#[test]
fn every_import_refuses_a_bom_before_bytes_that_are_not_utf8_alike() {
    // The byte-order mark says UTF-8, the rest is Shift_JIS: the file is refused as a
    // whole, with one message in every import. Without the mark the same bytes are
    // Shift_JIS, and every import reads them.
    let message = encoding_problem();
    assert!(message.ja.contains("文字コード") && message.en.contains("encoding"));

    let (sjis, bom) = shift_jis_and_after_a_bom(&format!(
        "{SUBSCRIPTION_HEADER}m001,1001,山田 太郎,1m,1980,2024-05-31\n"
    ));
    let (rows, errors) = parse_subscriptions_csv(&bom);
    assert!(rows.is_empty());
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].line, &errors[0].message), (0, &message));
    let (rows, errors) = parse_subscriptions_csv(&sjis);
    assert_eq!((rows.len(), errors.len()), (1, 0), "{errors:?}");

    let (sjis, bom) = shift_jis_and_after_a_bom("注文番号,お名前\nA1,山田 太郎\n");
    assert_eq!(parse_storefront_csv(&bom), Err(FileError::Encoding));
    assert_eq!(FileError::Encoding.message(), message);
    assert_eq!(parse_storefront_csv(&sjis).unwrap().rows.len(), 1);

    let (sjis, bom) =
        shift_jis_and_after_a_bom("注文番号,伝票番号,お届け先\nA1,123456789012,山田 太郎\n");
    assert_eq!(parse_tracking_file(&bom), Err(message));
    assert_eq!(parse_tracking_file(&sjis).unwrap().rows.len(), 1);
}
