//! Benchmark: the documents of 50 orders in one PDF (the issue's aim: under 2 s), and the
//! file's size. `--quick`: 3 orders, once (CI shows it runs).

use std::time::Instant;

use chrono::NaiveDate;
use documents::{DocumentKind, Issue, Line, OrderDocument, Shop, render};
use domain::Yen;
use domain::invoice::{RegistrationNumber, TaxRate};

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let count = if quick { 3 } else { 50 };
    let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
    let shop = Shop {
        name: "さくら雑貨店".into(),
        address: Some("東京都渋谷区神宮前1-2-3".into()),
        registration_number: RegistrationNumber::parse("T7010705000725").ok(),
        ..Shop::default()
    };
    let orders: Vec<(OrderDocument, Issue)> = (0..count)
        .map(|i| {
            let lines: Vec<Line> = (0..6)
                .map(|j| Line {
                    title: format!("商品 {i}-{j} 有機ほうじ茶・マグカップ"),
                    quantity: 1 + j % 3,
                    unit_price: Yen(500 + 110 * j),
                    rate: if j % 2 == 0 {
                        TaxRate::Reduced
                    } else {
                        TaxRate::Standard
                    },
                })
                .collect();
            let total: i64 = lines.iter().map(|l| l.unit_price.0 * l.quantity).sum();
            let order = OrderDocument {
                order_number: format!("{}", 1_000_000 + i),
                ordered_on: day,
                buyer_name: format!("購入者 {i}"),
                buyer_postal_code: Some("060-0001".into()),
                buyer_address: Some("北海道札幌市中央区北一条西2丁目".into()),
                payment_method: "クレジットカード".into(),
                lines,
                shipping_fee: Some(Yen(770)),
                adjustments: vec![],
                payment_amount: Yen(total + 770),
                note: None,
            };
            let issue = Issue {
                issued_on: day,
                number: format!("I-{}-1", 1_000_000 + i),
                reissue: false,
            };
            (order, issue)
        })
        .collect();
    let started = Instant::now();
    let pdf = render(DocumentKind::Invoice, &shop, &orders).expect("documents");
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    println!(
        "{count} invoices in one PDF: {ms:.0} ms, {} KiB",
        pdf.len() / 1024
    );
    println!("METRIC\tdocuments: {count} invoices in one PDF\t{ms:.0}\tms\t< 2000");
    println!(
        "METRIC\tdocuments: PDF size for {count} invoices\t{}\tKiB\t",
        pdf.len() / 1024
    );
}
