//! Issue 20: the shop's documents issued from an order as the payment stands now (a partial
//! refund and a cancellation change what a new copy says), each issue recorded and a
//! second one marked 再発行; the shop's details in Settings (registration number checked,
//! images checked and capped); the deposit check after capture, filtered and recorded.
//! The PDFs are read back with poppler's `pdftotext`; set PAYDESK_DOCUMENTS_OUT to a folder
//! to keep them.

use std::path::Path;

use api::dto::documents::{
    DepositCheckInput, DepositFilterCode, DocumentKindCode, DocumentsReport, IssueDocumentsRequest,
    ItemRateCode, RoundingCode, ShopDetailsInput, ShopImageCode,
};
use api::dto::{OperationKindCode, OrderQuery};
use api::{AppError, Desk};

use test_support::pdf_text;

use crate::harness::{Harness, keep};

/// The shop's name: Settings' shop section, as the mails use it.
async fn shop_name(h: &Harness, name: &str) {
    h.desk
        .save_settings(api::dto::SettingsInput {
            shop_name: Some(name.into()),
            ..api::dto::SettingsInput::default()
        })
        .await
        .unwrap();
}

fn shop(registration_number: &str) -> ShopDetailsInput {
    ShopDetailsInput {
        postal_code: "150-0001".into(),
        address: "東京都渋谷区神宮前1-2-3".into(),
        phone: "03-1234-5678".into(),
        registration_number: registration_number.into(),
        rounding: RoundingCode::Down,
        item_rate: ItemRateCode::Standard,
    }
}

async fn issue(
    desk: &Desk,
    kind: DocumentKindCode,
    ids: &[i64],
    path: &Path,
) -> Result<DocumentsReport, AppError> {
    let result = desk
        .issue_documents(IssueDocumentsRequest {
            kind,
            order_ids: ids.to_vec(),
            path: path.display().to_string(),
        })
        .await;
    match &result {
        Ok(r) => {
            keep(r);
            // PAYDESK_DOCUMENTS_OUT keeps the PDFs to look at (as the documents crate's tests).
            if let (Some(out), Some(name)) =
                (std::env::var_os("PAYDESK_DOCUMENTS_OUT"), path.file_name())
            {
                std::fs::create_dir_all(&out).unwrap();
                std::fs::copy(path, Path::new(&out).join(name)).unwrap();
            }
        }
        Err(e) => keep(e),
    }
    result
}

async fn history(desk: &Desk, id: i64) -> Vec<String> {
    desk.get_order(id)
        .await
        .unwrap()
        .history
        .into_iter()
        .map(|h| h.text.ja)
        .collect()
}

#[tokio::test]
async fn documents_follow_the_payment_and_each_issue_is_recorded() {
    let h = Harness::quiet("documents_issue").await;
    let dir = h.dir.path();
    let payment = h.paidy_checkout("D_1001", 6_000).await;
    h.sync().await;
    let id = h.order_of(&payment).await.unwrap().summary.id;

    // No shop name: nothing is issued, and the error says where to set it.
    shop_name(&h, "").await;
    let e = issue(
        &h.desk,
        DocumentKindCode::OrderSlip,
        &[id],
        &dir.join("x.pdf"),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "shop_name_missing");
    assert!(e.action.unwrap().ja.contains("設定"));
    assert!(!dir.join("x.pdf").exists());
    shop_name(&h, "さくら雑貨店").await;

    // A registration number is checked when saved; a refused one saves nothing.
    for (typed, code) in [
        ("T7010705000726", "registration_number_check_digit"),
        ("7010705000725", "registration_number_format"),
    ] {
        let e = h.desk.save_shop_details(shop(typed)).await.unwrap_err();
        keep(&e);
        assert_eq!(e.code, code);
        assert!(!e.message.ja.is_empty() && !e.message.en.is_empty());
    }
    assert_eq!(h.desk.shop_details().await.unwrap().registration_number, "");
    let saved = h
        .desk
        .save_shop_details(shop("Ｔ７０１０７０５０００７２５"))
        .await
        .unwrap();
    assert_eq!(
        saved.registration_number, "T7010705000725",
        "typed full width"
    );

    // Before capture: an invoice, but no receipt (it certifies money received).
    let e = issue(
        &h.desk,
        DocumentKindCode::Receipt,
        &[id],
        &dir.join("r.pdf"),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "receipt_refused");
    assert!(e.message.ja.contains("売上確定の後"), "{}", e.message.ja);
    let first = dir.join("invoice-1.pdf");
    let report = issue(&h.desk, DocumentKindCode::Invoice, &[id], &first)
        .await
        .unwrap();
    assert_eq!(report.documents[0].number, "I-D_1001-1");
    assert!(!report.documents[0].reissue);
    let text = pdf_text(&first);
    for expected in [
        "請求書",
        "登録番号 T7010705000725",
        "山田 太郎 様",
        "有機緑茶",
        // 6,000 × 10/110 = 545.45: rounded down once for the rate.
        "10%対象 ¥6,000（内消費税 ¥545）",
        "合計 ¥6,000",
    ] {
        assert!(text.contains(expected), "{expected:?} in\n{text}");
    }
    assert!(!text.contains("再発行"), "{text}");

    // Captured, then ¥1,500 refunded: a new copy says so and is marked 再発行.
    h.perform_ok(id, OperationKindCode::Capture, None).await;
    h.perform_ok(id, OperationKindCode::PartialRefund, Some(1_500))
        .await;
    let second = dir.join("invoice-2.pdf");
    let report = issue(&h.desk, DocumentKindCode::Invoice, &[id], &second)
        .await
        .unwrap();
    assert_eq!(report.documents[0].number, "I-D_1001-2");
    assert!(report.documents[0].reissue);
    assert_eq!(report.documents[0].amount_yen, 4_500);
    let text = pdf_text(&second);
    for expected in [
        "【再発行】",
        // The refund's line carries its Japan day.
        "一部返金（",
        "日） -¥1,500",
        // 4,500 × 10/110 = 409.09.
        "10%対象 ¥4,500（内消費税 ¥409）",
        "合計 ¥4,500",
    ] {
        assert!(text.contains(expected), "{expected:?} in\n{text}");
    }
    // The receipt now: its first copy, for what the payment holds.
    let receipt = dir.join("receipt.pdf");
    let report = issue(&h.desk, DocumentKindCode::Receipt, &[id], &receipt)
        .await
        .unwrap();
    assert_eq!(
        (
            report.documents[0].number.as_str(),
            report.documents[0].reissue
        ),
        ("R-D_1001-1", false)
    );
    let text = pdf_text(&receipt);
    assert!(text.contains("領収書") && text.contains("¥4,500"), "{text}");
    assert!(!text.contains("再発行"), "{text}");

    let lines = history(&h.desk, id).await;
    for expected in [
        "請求書（I-D_1001-1、¥6,000）を発行しました",
        "請求書（I-D_1001-2、¥4,500）を再発行しました",
        "領収書（R-D_1001-1、¥4,500）を発行しました",
    ] {
        assert!(
            lines.iter().any(|l| l == expected),
            "{expected:?} in {lines:?}"
        );
    }

    // Without a registration number: no invoice or receipt, and where to set it; slips
    // and delivery notes still work.
    h.desk.save_shop_details(shop("")).await.unwrap();
    for kind in [DocumentKindCode::Invoice, DocumentKindCode::Receipt] {
        let e = issue(&h.desk, kind, &[id], &dir.join("none.pdf"))
            .await
            .unwrap_err();
        assert_eq!(e.code, "document_no_registration_number");
        assert!(e.message.ja.contains("登録番号"));
        assert!(e.action.unwrap().ja.contains("設定"));
    }
    assert!(!dir.join("none.pdf").exists());
    let note = dir.join("delivery.pdf");
    issue(&h.desk, DocumentKindCode::DeliveryNote, &[id], &note)
        .await
        .unwrap();
    assert!(pdf_text(&note).contains("納品書"));
    // The history grew by the delivery note only.
    assert_eq!(
        history(&h.desk, id)
            .await
            .iter()
            .filter(|l| l.contains("発行しました"))
            .count(),
        4
    );
}

#[tokio::test]
async fn a_cancelled_order_gets_no_receipt_and_a_selection_is_issued_whole_or_not_at_all() {
    let h = Harness::quiet("documents_cancelled").await;
    let dir = h.dir.path();
    h.desk
        .save_shop_details(shop("T7010705000725"))
        .await
        .unwrap();
    let kept = h.paidy_checkout("D_2001", 3_300).await;
    let cancelled = h.paidy_checkout("D_2002", 2_200).await;
    h.sync().await;
    let kept = h.order_of(&kept).await.unwrap().summary.id;
    let cancelled = h.order_of(&cancelled).await.unwrap().summary.id;
    h.perform_ok(cancelled, OperationKindCode::Cancel, None)
        .await;
    h.perform_ok(kept, OperationKindCode::Capture, None).await;

    // Nothing is held: no invoice, receipt or delivery note, and the order is named.
    for kind in [
        DocumentKindCode::Invoice,
        DocumentKindCode::Receipt,
        DocumentKindCode::DeliveryNote,
    ] {
        let path = dir.join("selection.pdf");
        let e = issue(&h.desk, kind, &[kept, cancelled], &path)
            .await
            .unwrap_err();
        assert!(e.message.ja.contains("D_2002"), "{}", e.message.ja);
        assert!(!e.message.ja.contains("D_2001"), "{}", e.message.ja);
        assert!(!path.exists(), "no file for a refused selection");
    }
    assert!(
        !history(&h.desk, kept)
            .await
            .iter()
            .any(|l| l.contains("発行しました")),
        "a refused selection records nothing"
    );
    // The order slip (the shop's own record) says what happened and totals nothing.
    let slip = dir.join("slip.pdf");
    let report = issue(
        &h.desk,
        DocumentKindCode::OrderSlip,
        &[kept, cancelled],
        &slip,
    )
    .await
    .unwrap();
    assert_eq!(report.documents.len(), 2);
    let text = pdf_text(&slip);
    for expected in [
        "受注伝票",
        "D_2001",
        "D_2002",
        "この注文の決済は取り消されました",
        "決済の取消 -¥2,200",
    ] {
        assert!(text.contains(expected), "{expected:?} in\n{text}");
    }
}

#[tokio::test]
async fn shop_images_are_checked_and_capped() {
    let h = Harness::quiet("documents_images").await;
    let dir = h.dir.path();
    let not_png = dir.join("logo.png");
    std::fs::write(&not_png, b"GIF89a not a png").unwrap();
    let e = h
        .desk
        .set_shop_image(ShopImageCode::Logo, Some(not_png.display().to_string()))
        .await
        .unwrap_err();
    assert_eq!(e.code, "image_not_png");
    let huge = dir.join("huge.png");
    std::fs::write(
        &huge,
        vec![0u8; usize::try_from(domain::RULES.max_image_file_bytes).unwrap() + 1],
    )
    .unwrap();
    let e = h
        .desk
        .set_shop_image(ShopImageCode::Seal, Some(huge.display().to_string()))
        .await
        .unwrap_err();
    assert_eq!(e.code, "file_too_large");
    let details = h.desk.shop_details().await.unwrap();
    assert!(!details.has_logo && !details.has_seal);

    let png = dir.join("seal.png");
    std::fs::write(&png, tiny_png()).unwrap();
    let details = h
        .desk
        .set_shop_image(ShopImageCode::Seal, Some(png.display().to_string()))
        .await
        .unwrap();
    assert!(details.has_seal);
    let details = h
        .desk
        .set_shop_image(ShopImageCode::Seal, None)
        .await
        .unwrap();
    assert!(!details.has_seal);
}

/// A 2×2 red PNG (written by hand: signature, IHDR, one zlib-stored IDAT, IEND).
pub fn tiny_png() -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn adler32(bytes: &[u8]) -> u32 {
        let (mut a, mut b) = (1u32, 0u32);
        for &x in bytes {
            a = (a + u32::from(x)) % 65_521;
            b = (b + a) % 65_521;
        }
        (b << 16) | a
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&2u32.to_be_bytes());
    ihdr.extend_from_slice(&2u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    let raw: Vec<u8> = [0u8, 255, 0, 0, 255, 0, 0]
        .iter()
        .chain([0u8, 255, 0, 0, 255, 0, 0].iter())
        .copied()
        .collect();
    let mut zlib = vec![0x78, 0x01, 0x01];
    let len = u16::try_from(raw.len()).unwrap();
    zlib.extend_from_slice(&len.to_le_bytes());
    zlib.extend_from_slice(&(!len).to_le_bytes());
    zlib.extend_from_slice(&raw);
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

async fn deposit_filtered(desk: &Desk, filter: DepositFilterCode) -> Vec<String> {
    let page = desk
        .list_orders(OrderQuery {
            list: None,
            deposit: Some(filter),
            ..OrderQuery::default()
        })
        .await
        .unwrap();
    keep(&page);
    page.items.into_iter().map(|o| o.order_number).collect()
}

#[tokio::test]
async fn the_deposit_check_follows_the_capture_and_filters_the_lists() {
    let h = Harness::quiet("documents_deposit").await;
    let paid = h.paidy_checkout("P_3001", 5_000).await;
    let waiting = h.paidy_checkout("P_3002", 4_000).await;
    let uncaptured = h.paidy_checkout("P_3003", 3_000).await;
    h.sync().await;
    let paid = h.order_of(&paid).await.unwrap().summary.id;
    let waiting = h.order_of(&waiting).await.unwrap().summary.id;
    let uncaptured = h.order_of(&uncaptured).await.unwrap().summary.id;
    // The order's own day (the simulator's clock runs the desk): not before the order,
    // not after today.
    let ordered_at = h.desk.get_order(paid).await.unwrap().summary.ordered_at;
    let today = chrono::DateTime::parse_from_rfc3339(&ordered_at)
        .unwrap()
        .with_timezone(&domain::history::JAPAN)
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    let mark = |amount: Option<i64>| DepositCheckInput {
        received_on: today.clone(),
        amount_yen: amount,
    };

    // Not captured: refused, with the reason.
    let e = h
        .desk
        .mark_deposit(uncaptured, mark(None))
        .await
        .unwrap_err();
    keep(&e);
    assert_eq!(e.code, "deposit_not_captured");
    assert!(e.message.ja.contains("売上確定"));

    h.perform_ok(paid, OperationKindCode::Capture, None).await;
    h.perform_ok(waiting, OperationKindCode::Capture, None)
        .await;
    for (input, code) in [
        (mark(Some(0)), "deposit_amount_not_positive"),
        (mark(Some(5_001)), "deposit_amount_above_captured"),
        (
            DepositCheckInput {
                received_on: "2099-01-01".into(),
                amount_yen: None,
            },
            "deposit_future_day",
        ),
        (
            DepositCheckInput {
                received_on: "12/01".into(),
                amount_yen: None,
            },
            "invalid_date",
        ),
    ] {
        assert_eq!(
            h.desk.mark_deposit(paid, input).await.unwrap_err().code,
            code
        );
    }
    // Paidy deposits its fee deducted: a smaller amount is fine.
    let detail = h.desk.mark_deposit(paid, mark(Some(4_820))).await.unwrap();
    keep(&detail);
    let deposit = detail.summary.deposit.clone().unwrap();
    assert_eq!(
        (deposit.received_on.as_str(), deposit.amount_yen),
        (today.as_str(), Some(4_820))
    );
    assert_eq!(
        detail.history[0].text.ja,
        format!("入金チェック: {today} に入金済み（¥4,820）")
    );

    assert_eq!(
        deposit_filtered(&h.desk, DepositFilterCode::Received).await,
        ["P_3001"]
    );
    assert_eq!(
        deposit_filtered(&h.desk, DepositFilterCode::Waiting).await,
        ["P_3002"],
        "captured and not marked; the uncaptured order waits for nothing"
    );
    // The list rows carry the mark.
    let page = h
        .desk
        .list_orders(OrderQuery {
            list: None,
            ..OrderQuery::default()
        })
        .await
        .unwrap();
    let row = page.items.iter().find(|o| o.id == paid).unwrap();
    assert_eq!(
        row.deposit.as_ref().map(|d| d.amount_yen),
        Some(Some(4_820))
    );
    // The order CSV export carries the mark: the day and the amount noted.
    let export = h.dir.path().join("deposits.csv");
    h.desk
        .export_orders_csv(
            export.display().to_string(),
            OrderQuery {
                list: None,
                ..OrderQuery::default()
            },
        )
        .await
        .unwrap();
    let csv = String::from_utf8(std::fs::read(&export).unwrap()).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with(",期限,入金日,入金額"), "{header}");
    let line = csv.lines().find(|l| l.starts_with("P_3001,")).unwrap();
    assert!(line.ends_with(&format!(",{today},4820")), "{line}");
    let waiting_line = csv.lines().find(|l| l.starts_with("P_3002,")).unwrap();
    assert!(waiting_line.ends_with(",,"), "{waiting_line}");

    // Undone: back to waiting, and the history says so.
    let detail = h.desk.undo_deposit(paid).await.unwrap();
    assert!(detail.summary.deposit.is_none());
    assert!(
        detail.history[0]
            .text
            .ja
            .starts_with("入金チェックを取り消しました")
    );
    assert_eq!(
        h.desk.undo_deposit(paid).await.unwrap_err().code,
        "deposit_not_marked"
    );
    assert!(
        deposit_filtered(&h.desk, DepositFilterCode::Received)
            .await
            .is_empty()
    );
    let mut waiting_now = deposit_filtered(&h.desk, DepositFilterCode::Waiting).await;
    waiting_now.sort();
    assert_eq!(waiting_now, ["P_3001", "P_3002"]);
}

/// An order of food at 8% and goods at 10% (rates from the storefront's file): the invoice
/// totals each rate with its own tax, and a partial refund, which does not say which items
/// it concerns, is split over the rates in proportion to their item totals (按分), said so
/// on the document, so each rate's tax follows the money that moved at it.
#[tokio::test]
async fn items_with_two_rates_total_per_rate_and_a_refund_is_split_in_proportion() {
    let h = Harness::quiet("documents_two_rates").await;
    let dir = h.dir.path();
    let payment = h.paidy_checkout("D_2001", 5_440).await;
    h.sync().await;
    let id = h.order_of(&payment).await.unwrap().summary.id;
    shop_name(&h, "さくら食品店").await;
    h.desk
        .save_shop_details(shop("T7010705000725"))
        .await
        .unwrap();
    let csv = dir.join("storefront.csv");
    std::fs::write(
        &csv,
        "order_number,items\nD_2001,\"りんご x2 @1,620 8%; 皿 x1 @2,200 10%\"\n",
    )
    .unwrap();
    let path = csv.display().to_string();
    let preview = h
        .desk
        .preview_orders_import(path.clone(), false)
        .await
        .unwrap();
    // The preview shows each item's own rate.
    let after: Vec<String> = preview
        .sample
        .iter()
        .filter_map(|c| c.after.clone())
        .collect();
    assert!(
        after
            .iter()
            .any(|a| a == "りんご ×2 ¥1,620（8%）、皿 ×1 ¥2,200（10%）"),
        "{after:?}"
    );
    h.desk
        .import_orders_csv(path, false, preview.token)
        .await
        .unwrap();

    let first = dir.join("two-rates-1.pdf");
    issue(&h.desk, DocumentKindCode::Invoice, &[id], &first)
        .await
        .unwrap();
    let text = pdf_text(&first);
    for expected in [
        "りんご ※",
        // 3,240 × 8/108 = 240 and 2,200 × 10/110 = 200, each rounded once.
        "8%対象 ※ ¥3,240（内消費税 ¥240）",
        "10%対象 ¥2,200（内消費税 ¥200）",
        "合計 ¥5,440",
    ] {
        assert!(text.contains(expected), "{expected:?} in\n{text}");
    }
    assert!(!text.contains("按分"), "nothing to split yet:\n{text}");

    h.perform_ok(id, OperationKindCode::Capture, None).await;
    h.perform_ok(id, OperationKindCode::PartialRefund, Some(1_000))
        .await;
    let second = dir.join("two-rates-2.pdf");
    issue(&h.desk, DocumentKindCode::Invoice, &[id], &second)
        .await
        .unwrap();
    let text = pdf_text(&second);
    for expected in [
        // ¥1,000 × 3,240/5,440 = 595.6 and × 2,200/5,440 = 404.4: the larger share takes
        // the yen that rounding leaves.
        "（8%対象） ※ -¥596",
        "（10%対象） -¥404",
        // 2,644 × 8/108 = 195.9 and 1,796 × 10/110 = 163.3, rounded down.
        "8%対象 ※ ¥2,644（内消費税 ¥195）",
        "10%対象 ¥1,796（内消費税 ¥163）",
        "合計 ¥4,440",
        "按分",
    ] {
        assert!(text.contains(expected), "{expected:?} in\n{text}");
    }
}
