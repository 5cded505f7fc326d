//! The documents as a reader sees them: each PDF is made, then read back with poppler's
//! `pdftotext` (installed by `cargo xtask setup`), and its words and figures are checked.
//! Set PAYDESK_DOCUMENTS_OUT to a folder to keep the PDFs and look at them.

use std::path::PathBuf;
use std::process::Command;

use chrono::NaiveDate;
use documents::{
    Adjustment, DocumentError, DocumentKind, Issue, Line, OrderDocument, Shop, render,
};
use domain::Yen;
use domain::invoice::{RegistrationNumber, Rounding, TaxRate};

fn shop() -> Shop {
    Shop {
        name: "さくら雑貨店".into(),
        postal_code: Some("150-0001".into()),
        address: Some("東京都渋谷区神宮前1-2-3 さくらビル2F".into()),
        phone: Some("03-1234-5678".into()),
        registration_number: RegistrationNumber::parse("T7010705000725").ok(),
        rounding: Rounding::Down,
        logo_png: None,
        seal_png: None,
    }
}

fn order() -> OrderDocument {
    OrderDocument {
        order_number: "1000053".into(),
        ordered_on: day(2026, 12, 1),
        buyer_name: "伊藤 さくら".into(),
        buyer_postal_code: Some("060-0001".into()),
        buyer_address: Some("北海道札幌市中央区北一条西2丁目".into()),
        payment_method: "クレジットカード".into(),
        lines: vec![
            Line {
                title: "有機ほうじ茶 100g".into(),
                quantity: 2,
                unit_price: Yen(1_080),
                rate: TaxRate::Reduced,
            },
            Line {
                title: "波佐見焼 マグカップ".into(),
                quantity: 1,
                unit_price: Yen(3_300),
                rate: TaxRate::Standard,
            },
        ],
        shipping_fee: Some(Yen(770)),
        adjustments: vec![],
        payment_amount: Yen(6_230),
        note: None,
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn issue(reissue: bool) -> Issue {
    Issue {
        issued_on: day(2026, 12, 6),
        number: "R-1000053-1".into(),
        reissue,
    }
}

/// The PDF's text as `pdftotext -layout` reads it (one string per page).
fn text_of(pdf: &[u8], name: &str) -> Vec<String> {
    let dir = match std::env::var_os("PAYDESK_DOCUMENTS_OUT") {
        Some(d) => PathBuf::from(d),
        None => std::env::temp_dir().join(format!("paydesk-documents-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).expect("output folder");
    let path = dir.join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).expect("write pdf");
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by `cargo xtask setup`");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn a_receipt_is_a_qualified_invoice_with_the_tax_per_rate() {
    let pdf = render(DocumentKind::Receipt, &shop(), &[(order(), issue(false))]).expect("receipt");
    let pages = text_of(&pdf, "receipt");
    assert_eq!(pages.len(), 1);
    let text = squeeze(&pages[0]);
    for expected in [
        "領収書",
        "伊藤 さくら 様",
        "¥6,230-",
        "登録番号 T7010705000725",
        "さくら雑貨店",
        "発行日 2026年12月6日",
        "有機ほうじ茶 100g ※ 2 ¥1,080 ¥2,160",
        "送料 ¥770",
        // 2,160 × 8/108 = 160; (3,300 + 770) × 10/110 = 370: once per rate.
        "8%対象 ※ ¥2,160（内消費税 ¥160）",
        "10%対象 ¥4,070（内消費税 ¥370）",
        "合計 ¥6,230",
        "※は軽減税率（8%）対象です。",
    ] {
        assert!(text.contains(expected), "{expected:?} in\n{text}");
    }
    assert!(!text.contains("再発行"));
}

#[test]
fn a_copy_issued_again_says_so() {
    let pdf = render(DocumentKind::Invoice, &shop(), &[(order(), issue(true))]).expect("invoice");
    let text = squeeze(&text_of(&pdf, "invoice-reissued")[0]);
    assert!(text.contains("請求書"), "{text}");
    assert!(text.contains("【再発行】"), "{text}");
    assert!(text.contains("ご請求金額（税込） ¥6,230"), "{text}");
}

#[test]
fn a_partial_refund_changes_what_a_new_copy_says() {
    let mut refunded = order();
    refunded.adjustments.push(Adjustment {
        label: "一部返金（2026年12月3日）".into(),
        amount: Yen(-1_100),
        rate: TaxRate::Standard,
    });
    refunded.payment_amount = Yen(5_130);
    let pdf = render(DocumentKind::Invoice, &shop(), &[(refunded, issue(true))]).expect("invoice");
    let text = squeeze(&text_of(&pdf, "invoice-refunded")[0]);
    for expected in [
        "一部返金（2026年12月3日） -¥1,100",
        // (3,300 + 770 − 1,100) × 10/110 = 270.
        "10%対象 ¥2,970（内消費税 ¥270）",
        "合計 ¥5,130",
    ] {
        assert!(text.contains(expected), "{expected:?} in\n{text}");
    }
}

#[test]
fn documents_that_would_contradict_the_payment_or_the_law_are_refused() {
    let mut no_number = shop();
    no_number.registration_number = None;
    for kind in [DocumentKind::Invoice, DocumentKind::Receipt] {
        let refused = render(kind, &no_number, &[(order(), issue(false))]);
        assert_eq!(refused, Err(DocumentError::NoRegistrationNumber));
    }
    let refused = render(
        DocumentKind::Invoice,
        &no_number,
        &[(order(), issue(false))],
    )
    .expect_err("refused");
    assert!(
        refused.message().ja.contains("設定"),
        "says where to set it"
    );
    // Slips and delivery notes need no registration number.
    for kind in [DocumentKind::OrderSlip, DocumentKind::DeliveryNote] {
        assert!(render(kind, &no_number, &[(order(), issue(false))]).is_ok());
    }
    // Lines that do not add up to the payment (an amount change not reflected).
    let mut changed = order();
    changed.payment_amount = Yen(5_000);
    assert_eq!(
        render(
            DocumentKind::DeliveryNote,
            &shop(),
            &[(changed, issue(false))]
        ),
        Err(DocumentError::TotalsDisagree {
            order_number: "1000053".into(),
            lines: Yen(6_230),
            payment: Yen(5_000),
        })
    );
    assert_eq!(
        render(DocumentKind::DeliveryNote, &shop(), &[]),
        Err(DocumentError::NoOrders)
    );
}

#[test]
fn a_selection_gives_one_pdf_with_each_order_and_long_orders_continue() {
    let mut long = order();
    long.order_number = "1000054".into();
    long.lines = (1..=40)
        .map(|i| Line {
            title: format!("ポストカード No.{i}"),
            quantity: 1,
            unit_price: Yen(165),
            rate: TaxRate::Standard,
        })
        .collect();
    long.payment_amount = Yen(40 * 165 + 770);
    let pdf = render(
        DocumentKind::DeliveryNote,
        &shop(),
        &[(order(), issue(false)), (long, issue(false))],
    )
    .expect("delivery notes");
    let pages = text_of(&pdf, "delivery-notes");
    assert_eq!(pages.len(), 3, "one page, then two for the long order");
    assert!(squeeze(&pages[0]).contains("注文番号 1000053"));
    assert!(squeeze(&pages[0]).contains("納品書 R-1000053-1 1 / 1"));
    assert!(squeeze(&pages[2]).contains("納品書（続き）"));
    assert!(squeeze(&pages[2]).contains("ポストカード No.40 1 ¥165 ¥165"));
    assert!(squeeze(&pages[2]).contains("合計 ¥7,370"));
    assert!(squeeze(&pages[2]).contains("2 / 2"));
}

#[test]
fn only_the_glyphs_used_are_embedded() {
    let pdf = render(DocumentKind::OrderSlip, &shop(), &[(order(), issue(false))]).expect("slip");
    // The font file is 4.6 MB; a one-page document with its subset stays far below.
    assert!(pdf.len() < 200_000, "{} bytes", pdf.len());
    let text = squeeze(&text_of(&pdf, "order-slip")[0]);
    assert!(
        text.contains("受注伝票") && text.contains("合計（税込） ¥6,230"),
        "{text}"
    );
}
