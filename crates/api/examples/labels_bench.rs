//! Time to make one carrier label file of 1,000 orders (target: under 200 ms): reading the
//! orders and their details from the store, checking and normalising every field, and
//! encoding the Shift_JIS CSV (`Desk::label_file_for`, what the export writes), for each
//! carrier; and the format alone (`domain::labels::label_file`) beside it.
//!
//! `cargo run --release -p api --example labels_bench [-- --quick]` (`--quick`: 100
//! orders, 3 runs). Runs in a private keychain session like the other api benchmarks.

mod bench_support;

use std::time::{Duration, Instant};

use api::dto::shipping::{CarrierCode, LabelExportRequest};
use api::{Build, Desk, DeskConfig};
use domain::labels::{Carrier, LabelOptions, LabelOrder, Sender, label_file};
use domain::{CaptureMode, Order, PaymentMethod, Yen};

fn sender() -> Sender {
    Sender {
        name: "ベンチ商店".into(),
        phone: "03-1234-5678".into(),
        postal_code: "150-0001".into(),
        address: [
            "東京都".into(),
            "渋谷区".into(),
            "神宮前1-2-3".into(),
            "ペイデスクビル4F".into(),
        ],
    }
}

fn median(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    bench_support::run_in_private_session();
    let quick = std::env::args().any(|a| a == "--quick");
    let (orders, runs) = if quick { (100, 3) } else { (1000, 21) };
    let dir = tempfile::tempdir().expect("a temp dir");
    let at = chrono::Utc::now();
    let mut ids = Vec::with_capacity(orders);
    {
        let mut store = store::Store::open(dir.path().join("paydesk.sqlite3")).expect("store");
        for n in 0..orders {
            let order = Order {
                buyer_name: Some("山田 太郎".into()),
                ..Order::authorized(
                    &format!("bench{n:06}"),
                    &format!("{}", 30_000_000_000_000_000u64 + n as u64),
                    PaymentMethod::Card,
                    CaptureMode::AuthorizeOnly,
                    Yen(1000 + n as i64),
                    at,
                )
            };
            let id = store.insert_order(&order, at).expect("order");
            store
                .save_order_details(
                    id,
                    &store::OrderDetails {
                        source: store::DetailsSource::StorefrontCsv,
                        buyer_name: Some(format!("山田 太郎{n}")),
                        buyer_name_kana: None,
                        buyer_email: None,
                        buyer_phone: Some("090-1234-5678".into()),
                        shipping_zip: Some("530-0001".into()),
                        shipping_state: None,
                        shipping_city: None,
                        // Every tenth address needs the second column.
                        shipping_line1: Some(if n % 10 == 0 {
                            format!("大阪府大阪市北区梅田一丁目{n}番地 梅田ハイツ{n}号室")
                        } else {
                            format!("大阪府大阪市北区梅田1-{n}")
                        }),
                        shipping_line2: None,
                        order_tax: None,
                        order_shipping: None,
                        items: vec![store::Item {
                            item_id: None,
                            title: "有機緑茶 100g".into(),
                            description: None,
                            unit_price: Yen(1000),
                            quantity: 1,
                            tax_rate: None,
                        }],
                    },
                    at,
                )
                .expect("details");
            ids.push(id.0);
        }
    }
    let desk = Desk::open(DeskConfig::new(
        "jp.paydesk.bench.labels",
        "0.0.0",
        Build::Test,
        dir.path().to_owned(),
    ))
    .await
    .expect("desk");
    desk.set_label_sender(&sender()).expect("sender");

    for (code, carrier) in [
        (CarrierCode::Yamato, Carrier::Yamato),
        (CarrierCode::Sagawa, Carrier::Sagawa),
        (CarrierCode::JapanPost, Carrier::JapanPost),
    ] {
        let request = LabelExportRequest {
            carrier: code,
            order_ids: ids.clone(),
            ship_date: Some("2026-12-07".into()),
            yamato_customer_code: Some("012345678901".into()),
            yamato_freight_number: None,
            default_item: None,
        };
        let mut times = Vec::with_capacity(runs);
        let mut bytes = 0;
        for _ in 0..runs {
            let start = Instant::now();
            let (file, _) = desk.label_file_for(&request).expect("label file");
            times.push(start.elapsed());
            assert_eq!(file.written.len(), orders, "every order is written");
            bytes = file.bytes.len();
        }
        // The format alone, from orders already in memory.
        let in_memory: Vec<LabelOrder> = (0..orders)
            .map(|n| LabelOrder {
                order_number: format!("bench{n:06}"),
                name: Some(format!("山田 太郎{n}")),
                phone: Some("090-1234-5678".into()),
                postal_code: Some("530-0001".into()),
                address: [None, None, Some(format!("大阪府大阪市北区梅田1-{n}")), None],
                item: Some("有機緑茶 100g".into()),
            })
            .collect();
        let options = LabelOptions {
            ship_date: chrono::NaiveDate::from_ymd_opt(2026, 12, 7).expect("a date"),
            yamato_customer_code: Some("012345678901".into()),
            yamato_freight_number: None,
            default_item: None,
        };
        let mut format_times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let start = Instant::now();
            let f = label_file(carrier, &sender(), &options, &in_memory).expect("file");
            format_times.push(start.elapsed());
            assert_eq!(f.written.len(), orders);
        }
        let whole = median(times);
        let format = median(format_times);
        println!(
            "{}: {orders} orders, {bytes} bytes: median {whole:.1} ms with the store reads, {format:.1} ms for the format alone ({runs} runs; target < 200 ms)",
            carrier.code()
        );
        println!(
            "METRIC\tlabel CSV of {orders} orders ({})\t{whole:.1}\tms\t< 200",
            carrier.code()
        );
    }
}
