//! The storefront generator: N realistic orders for a shop, so a demo never opens empty.
//!
//! Orders are replayed in time order (each at its own simulated time, with the gateway's
//! due work run in between), so the cart's captures, captures by the shop and subscription
//! renewals happen when they would have. The same seed gives the same orders.
//!
//! The optional CSV is the storefront's order export: UTF-8 with a BOM, CRLF lines, every
//! field quoted; columns in [`CSV_COLUMNS`].

use chrono::{DateTime, Datelike, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::checkout::{CaptureMode, CardCheckout, CardInput};
use crate::clock::jst;
use crate::ledger::{Address, Buyer, Item, Ledger, LedgerError, PaidyDetails, PaidyOrder};
use crate::sim::Simulator;
use crate::transition::Operation;

/// The export's columns, in order.
pub const CSV_COLUMNS: [&str; 18] = [
    "order_number",
    "ordered_at",
    "payment_method",
    "capture_mode",
    "payment_id",
    "trading_id",
    "payment_status",
    "amount",
    "buyer_name",
    "buyer_kana",
    "email",
    "phone",
    "postal_code",
    "address",
    "items",
    "shipping_fee",
    "customer_id",
    "note",
];

/// What to generate.
#[derive(Debug, Clone, Deserialize)]
pub struct GenerateRequest {
    /// The shop (must exist, with the card, stored card and Paidy contracts).
    pub merchant_id: String,
    /// How many orders.
    pub orders: usize,
    /// RNG seed.
    #[serde(default)]
    pub seed: u64,
    /// Where to write the order export CSV.
    #[serde(default)]
    pub csv_path: Option<String>,
}

/// What was generated.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GenerateSummary {
    /// Orders generated.
    pub orders: usize,
    /// Card, authorize only.
    pub card_authorize_only: usize,
    /// Card, authorize and capture.
    pub card_authorize_and_capture: usize,
    /// Paidy orders.
    pub paidy: usize,
    /// Subscription orders (first purchase and renewal).
    pub subscriptions: usize,
    /// Renewals refused (expired stored card, P010).
    pub failed_renewals: usize,
    /// Card payments refused at authorization.
    pub declined: usize,
    /// Authorized payments within 7 days of their capture deadline.
    pub near_deadline: usize,
    /// Subscription cards expiring within 3 months.
    pub cards_expiring_soon: usize,
    /// Subscription cards already expired.
    pub cards_expired: usize,
    /// Payment IDs created.
    pub payment_ids: Vec<String>,
    /// The CSV written, if any.
    pub csv_path: Option<String>,
}

/// Generator errors.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The ledger refused.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// Bad request.
    #[error("{0}")]
    Invalid(String),
    /// The CSV could not be written.
    #[error("cannot write the CSV: {0}")]
    Csv(std::io::Error),
}

/// SplitMix64: small, fast, and stable across versions (unlike a library RNG's streams).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn percent(&mut self) -> u64 {
        self.below(100)
    }
}

const FAMILY: [(&str, &str, &str); 12] = [
    ("佐藤", "サトウ", "sato"),
    ("鈴木", "スズキ", "suzuki"),
    ("高橋", "タカハシ", "takahashi"),
    ("田中", "タナカ", "tanaka"),
    ("伊藤", "イトウ", "ito"),
    ("渡辺", "ワタナベ", "watanabe"),
    ("山本", "ヤマモト", "yamamoto"),
    ("中村", "ナカムラ", "nakamura"),
    ("小林", "コバヤシ", "kobayashi"),
    ("加藤", "カトウ", "kato"),
    ("吉田", "ヨシダ", "yoshida"),
    ("山田", "ヤマダ", "yamada"),
];
const GIVEN: [(&str, &str, &str); 12] = [
    ("太郎", "タロウ", "taro"),
    ("花子", "ハナコ", "hanako"),
    ("翔太", "ショウタ", "shota"),
    ("陽菜", "ヒナ", "hina"),
    ("蓮", "レン", "ren"),
    ("結衣", "ユイ", "yui"),
    ("大輔", "ダイスケ", "daisuke"),
    ("美咲", "ミサキ", "misaki"),
    ("健一", "ケンイチ", "kenichi"),
    ("由美", "ユミ", "yumi"),
    ("拓海", "タクミ", "takumi"),
    ("さくら", "サクラ", "sakura"),
];
const PLACES: [(&str, &str, &str, &str); 8] = [
    ("150-0001", "東京都", "渋谷区", "神宮前1-2-3"),
    ("530-0001", "大阪府", "大阪市北区", "梅田2-4-9"),
    ("460-0008", "愛知県", "名古屋市中区", "栄3-5-1"),
    ("810-0001", "福岡県", "福岡市中央区", "天神1-1-1"),
    ("060-0001", "北海道", "札幌市中央区", "北一条西4-2"),
    ("980-0021", "宮城県", "仙台市青葉区", "中央1-3-1"),
    ("220-0012", "神奈川県", "横浜市西区", "みなとみらい2-2-1"),
    ("600-8216", "京都府", "京都市下京区", "東塩小路町721"),
];
const PRODUCTS: [(&str, i64); 10] = [
    ("有機緑茶 100g", 1_620),
    ("手焼きせんべい詰め合わせ", 2_480),
    ("季節のフルーツゼリー 6個入", 3_240),
    ("純米吟醸 720ml", 3_980),
    ("今治タオル ギフトセット", 5_500),
    ("南部鉄器 急須", 12_800),
    ("コーヒー豆 定期便 500g", 2_160),
    ("国産はちみつ 300g", 1_944),
    ("有田焼 マグカップ", 4_400),
    ("オーガニック石鹸 3個セット", 2_970),
];
const SHIPPING: [i64; 3] = [0, 550, 880];

struct Order {
    number: String,
    at: DateTime<Utc>,
    buyer: Buyer,
    address: Address,
    items: Vec<Item>,
    shipping_fee: i64,
    amount: i64,
    plan: Plan,
}

enum Plan {
    Card {
        mode: CaptureMode,
        card_number: &'static str,
        shop_captures_after: Option<Duration>,
    },
    Paidy {
        mode: CaptureMode,
        shop_captures_after: Option<Duration>,
    },
    Subscription {
        customer_id: String,
        expiry: String,
        renewal_at: DateTime<Utc>,
    },
}

struct Row {
    order: usize,
    payment_id: Option<String>,
    note: String,
    customer_id: String,
    method: &'static str,
    mode: &'static str,
}

fn mmyy(at: DateTime<Utc>, months_ahead: i32) -> String {
    let local = at.with_timezone(&jst());
    let total = local.year() * 12 + local.month0() as i32 + months_ahead;
    format!("{:02}{:02}", total % 12 + 1, (total / 12) % 100)
}

fn make_orders(
    req: &GenerateRequest,
    now: DateTime<Utc>,
    summary: &mut GenerateSummary,
) -> Vec<Order> {
    let mut rng = Rng(req.seed ^ 0x5EED_0F0D_DE55_0000);
    (0..req.orders)
        .map(|i| {
            let (family, family_kana, family_latin) = *rng.pick(&FAMILY);
            let (given, given_kana, given_latin) = *rng.pick(&GIVEN);
            let (zip, state, city, line1) = *rng.pick(&PLACES);
            let buyer = Buyer {
                name: format!("{family} {given}"),
                name_kana: format!("{family_kana} {given_kana}"),
                email: format!("{given_latin}.{family_latin}{}@example.jp", rng.below(100)),
                phone: format!("090{:08}", rng.below(100_000_000)),
            };
            let address = Address {
                zip: zip.into(),
                state: state.into(),
                city: city.into(),
                line1: line1.into(),
                line2: String::new(),
            };
            let items: Vec<Item> = (0..=rng.below(3))
                .map(|j| {
                    let (title, price) = *rng.pick(&PRODUCTS);
                    Item {
                        id: format!("SKU{:03}", j + 1),
                        title: title.into(),
                        description: String::new(),
                        unit_price: price,
                        quantity: 1 + rng.below(2) as i64,
                    }
                })
                .collect();
            let shipping_fee = *rng.pick(&SHIPPING);
            let amount = items
                .iter()
                .map(|it| it.unit_price * it.quantity)
                .sum::<i64>()
                + shipping_fee;
            let near = rng.percent() < 15;
            let roll = rng.percent();
            let (plan, age_days) = if roll < 35 {
                summary.card_authorize_only += 1;
                let age = if near {
                    54 + rng.below(5)
                } else {
                    rng.below(45)
                };
                let declined = rng.percent() < 5;
                let captured = !near && age > 5 && rng.percent() < 40;
                (
                    Plan::Card {
                        mode: CaptureMode::AuthorizeOnly,
                        card_number: if declined {
                            "4900000000008212"
                        } else {
                            "4900000000000000"
                        },
                        shop_captures_after: captured.then(|| Duration::days(2)),
                    },
                    age,
                )
            } else if roll < 55 {
                summary.card_authorize_and_capture += 1;
                (
                    Plan::Card {
                        mode: CaptureMode::AuthorizeAndCapture,
                        card_number: "5500000000000004",
                        shop_captures_after: None,
                    },
                    rng.below(30),
                )
            } else if roll < 80 {
                summary.paidy += 1;
                let age = if near {
                    84 + rng.below(5)
                } else {
                    rng.below(60)
                };
                let auto = rng.percent() < 30;
                let captured = !auto && !near && age > 5 && rng.percent() < 40;
                (
                    Plan::Paidy {
                        mode: if auto {
                            CaptureMode::AuthorizeAndCapture
                        } else {
                            CaptureMode::AuthorizeOnly
                        },
                        shop_captures_after: captured.then(|| Duration::days(3)),
                    },
                    age,
                )
            } else {
                summary.subscriptions += 1;
                let state = rng.percent();
                let expiry = if state < 25 {
                    summary.cards_expired += 1;
                    mmyy(now, -1)
                } else if state < 55 {
                    summary.cards_expiring_soon += 1;
                    mmyy(now, 1 + rng.below(2) as i32)
                } else {
                    mmyy(now, 24 + rng.below(24) as i32)
                };
                let customer_id = format!("CUST{:05}", i + 1);
                let renewal_at = now - Duration::hours(1 + rng.below(48) as i64);
                (
                    Plan::Subscription {
                        customer_id,
                        expiry,
                        renewal_at,
                    },
                    31 + rng.below(20),
                )
            };
            let at =
                now - Duration::days(age_days as i64) - Duration::minutes(rng.below(600) as i64);
            Order {
                number: format!("ORD{:04}{:05}", req.seed % 10_000, i + 1),
                at,
                buyer,
                address,
                items,
                shipping_fee,
                amount,
                plan,
            }
        })
        .collect()
}

enum Step {
    Place(usize),
    ShopCapture(usize),
    Renew(usize),
}

/// Generates the orders into the simulator.
pub fn generate(sim: &Simulator, req: &GenerateRequest) -> Result<GenerateSummary, GenerateError> {
    if req.orders == 0 || req.orders > 10_000 {
        return Err(GenerateError::Invalid("orders must be 1 to 10000".into()));
    }
    sim.read(|l| l.shop(&req.merchant_id).map(|_| ()))?;
    let now = sim.now();
    let mut summary = GenerateSummary {
        orders: req.orders,
        ..GenerateSummary::default()
    };
    let orders = make_orders(req, now, &mut summary);
    let mut steps: Vec<(DateTime<Utc>, Step)> = Vec::new();
    for (i, order) in orders.iter().enumerate() {
        steps.push((order.at, Step::Place(i)));
        match &order.plan {
            Plan::Card {
                shop_captures_after: Some(after),
                ..
            }
            | Plan::Paidy {
                shop_captures_after: Some(after),
                ..
            } => {
                steps.push((order.at + *after, Step::ShopCapture(i)));
            }
            Plan::Subscription { renewal_at, .. } => steps.push((*renewal_at, Step::Renew(i))),
            _ => {}
        }
    }
    steps.sort_by_key(|(at, _)| *at);
    let mut rows: Vec<Row> = Vec::new();
    let mut payment_of: Vec<Option<String>> = vec![None; orders.len()];
    let mut card_of: Vec<Option<String>> = vec![None; orders.len()];
    sim.update(|ledger, _, rules| -> Result<(), GenerateError> {
        for (at, step) in &steps {
            ledger.run_due(*at, rules);
            match step {
                Step::Place(i) => {
                    let order = &orders[*i];
                    let row = place(
                        ledger,
                        rules,
                        &req.merchant_id,
                        order,
                        *at,
                        &mut summary,
                        &mut card_of[*i],
                    )?;
                    payment_of[*i] = row.payment_id.clone();
                    rows.push(Row { order: *i, ..row });
                }
                Step::ShopCapture(i) => {
                    if let Some(id) = &payment_of[*i] {
                        let op = match orders[*i].plan {
                            Plan::Paidy { .. } => Operation::PaidyCapture,
                            _ => Operation::CardCapture,
                        };
                        let _ =
                            ledger.apply_operation(*at, id, op, "shop capture (generated)", rules);
                    }
                }
                Step::Renew(i) => {
                    let order = &orders[*i];
                    if let (Plan::Subscription { customer_id, .. }, Some(card_id)) =
                        (&order.plan, &card_of[*i])
                    {
                        let checkout = CardCheckout {
                            merchant_id: req.merchant_id.clone(),
                            trading_id: Some(format!("{}R", order.number)),
                            amount: order.amount,
                            card_number: None,
                            expiry: None,
                            capture_mode: CaptureMode::AuthorizeOnly,
                            three_d_secure: false,
                            customer_id: Some(customer_id.clone()),
                            customer_card_id: Some(card_id.clone()),
                            holder: None,
                        };
                        let result = ledger.card_checkout(*at, rules, &checkout)?;
                        let note = if result.result == "0" {
                            "renewal authorized".to_owned()
                        } else {
                            summary.failed_renewals += 1;
                            format!("renewal failed: {}", result.response_code)
                        };
                        if let Some(id) = &result.payment_id {
                            summary.payment_ids.push(id.clone());
                        }
                        rows.push(Row {
                            order: *i,
                            payment_id: result.payment_id,
                            note,
                            customer_id: customer_id.clone(),
                            method: "card",
                            mode: "authorize_only",
                        });
                    }
                }
            }
        }
        ledger.run_due(now, rules);
        Ok(())
    })?;
    sim.read(|ledger| {
        for row in &rows {
            let Some(p) = row
                .payment_id
                .as_ref()
                .and_then(|id| ledger.payments.get(id))
            else {
                continue;
            };
            if p.status.code() == "20" {
                let window = match p.method {
                    crate::transition::Method::Card => sim.rules().card_authorization_validity,
                    crate::transition::Method::Paidy => sim.rules().paidy_capture_window,
                };
                if p.authorized_at
                    .is_some_and(|t| t + window - now <= Duration::days(7))
                {
                    summary.near_deadline += 1;
                }
            }
        }
    });
    if let Some(path) = &req.csv_path {
        let csv = sim.read(|ledger| export_csv(ledger, &orders, &rows));
        std::fs::write(path, csv).map_err(GenerateError::Csv)?;
        summary.csv_path = Some(path.clone());
    }
    Ok(summary)
}

fn place(
    ledger: &mut Ledger,
    rules: &crate::rules::GatewayRules,
    merchant_id: &str,
    order: &Order,
    at: DateTime<Utc>,
    summary: &mut GenerateSummary,
    card_slot: &mut Option<String>,
) -> Result<Row, GenerateError> {
    let row = |payment_id: Option<String>, note: String, method, mode, customer_id: String| Row {
        order: 0,
        payment_id,
        note,
        customer_id,
        method,
        mode,
    };
    match &order.plan {
        Plan::Card {
            mode, card_number, ..
        } => {
            let checkout = CardCheckout {
                merchant_id: merchant_id.into(),
                trading_id: Some(order.number.clone()),
                amount: order.amount,
                card_number: Some((*card_number).into()),
                expiry: None,
                capture_mode: *mode,
                three_d_secure: false,
                customer_id: None,
                customer_card_id: None,
                holder: None,
            };
            let result = ledger.card_checkout(at, rules, &checkout)?;
            let note = if result.result == "0" {
                String::new()
            } else {
                summary.declined += 1;
                format!(
                    "authorization refused: {} {}",
                    result.response_code, result.response_detail
                )
            };
            summary.payment_ids.extend(result.payment_id.clone());
            let mode_name = if *mode == CaptureMode::AuthorizeOnly {
                "authorize_only"
            } else {
                "authorize_and_capture"
            };
            Ok(row(
                result.payment_id,
                note,
                "card",
                mode_name,
                String::new(),
            ))
        }
        Plan::Paidy { mode, .. } => {
            let paidy_payment_id = ledger.new_paidy_payment_id();
            let details = PaidyDetails {
                paidy_payment_id,
                buyer: order.buyer.clone(),
                shipping: order.address.clone(),
                items: order.items.clone(),
                order_shipping: order.shipping_fee,
                order_tax: 0,
                store_name: "テストショップ".into(),
            };
            let auto = *mode == CaptureMode::AuthorizeAndCapture;
            let amount = paygent_codec::Yen(order.amount.min(rules.paidy_amount_limit));
            let paidy_order = PaidyOrder {
                trading_id: Some(order.number.clone()),
                amount,
                details,
                cart_capture: auto,
            };
            let id = ledger.paidy_checkout(at, merchant_id, paidy_order, rules)?;
            summary.payment_ids.push(id.clone());
            let mode_name = if auto {
                "authorize_and_capture"
            } else {
                "authorize_only"
            };
            Ok(row(
                Some(id),
                String::new(),
                "paidy",
                mode_name,
                String::new(),
            ))
        }
        Plan::Subscription {
            customer_id,
            expiry,
            ..
        } => {
            let input = CardInput {
                card_number: None,
                expiry: expiry.clone(),
                holder: None,
            };
            let card_id = ledger.add_stored_card(at, rules, merchant_id, customer_id, input)?;
            *card_slot = Some(card_id.clone());
            let checkout = CardCheckout {
                merchant_id: merchant_id.into(),
                trading_id: Some(order.number.clone()),
                amount: order.amount,
                card_number: None,
                expiry: None,
                capture_mode: CaptureMode::AuthorizeOnly,
                three_d_secure: false,
                customer_id: Some(customer_id.clone()),
                customer_card_id: Some(card_id),
                holder: None,
            };
            let result = ledger.card_checkout(at, rules, &checkout)?;
            // The first purchase is captured when it ships, two days later.
            if let Some(id) = &result.payment_id {
                summary.payment_ids.push(id.clone());
                let _ = ledger.apply_operation(
                    at + Duration::days(2),
                    id,
                    Operation::CardCapture,
                    "shop capture (generated)",
                    rules,
                );
            }
            let note = if result.result == "0" {
                "subscription first purchase".to_owned()
            } else {
                format!("first purchase refused: {}", result.response_code)
            };
            Ok(row(
                result.payment_id,
                note,
                "card",
                "authorize_only",
                customer_id.clone(),
            ))
        }
    }
}

/// Appends one CSV line: every field quoted (inner quotes doubled), CRLF at the end.
fn push_csv_line<'a>(out: &mut String, fields: impl IntoIterator<Item = &'a str>) {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    }
    out.push_str("\r\n");
}

fn export_csv(ledger: &Ledger, orders: &[Order], rows: &[Row]) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    push_csv_line(&mut out, CSV_COLUMNS.iter().copied());
    for row in rows {
        let order = &orders[row.order];
        let payment = row
            .payment_id
            .as_ref()
            .and_then(|id| ledger.payments.get(id));
        let items = order
            .items
            .iter()
            .map(|i| format!("{} x{} @{}", i.title, i.quantity, i.unit_price))
            .collect::<Vec<_>>()
            .join("; ");
        let address = format!(
            "{}{}{}",
            order.address.state, order.address.city, order.address.line1
        );
        let fields = [
            order.number.clone(),
            order
                .at
                .with_timezone(&jst())
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            row.method.to_owned(),
            row.mode.to_owned(),
            row.payment_id.clone().unwrap_or_default(),
            payment
                .and_then(|p| p.trading_id.clone())
                .unwrap_or_default(),
            payment
                .map(|p| p.status.code().to_owned())
                .unwrap_or_default(),
            order.amount.to_string(),
            order.buyer.name.clone(),
            order.buyer.name_kana.clone(),
            order.buyer.email.clone(),
            order.buyer.phone.clone(),
            order.address.zip.clone(),
            address,
            items,
            order.shipping_fee.to_string(),
            row.customer_id.clone(),
            row.note.clone(),
        ];
        push_csv_line(&mut out, fields.iter().map(String::as_str));
    }
    out.into_bytes()
}
