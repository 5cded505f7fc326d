//! List pages: paging, list membership, status and deadline filters, search.

use chrono::TimeDelta;
use domain::{OrderList, PaymentStatus, RULES, Yen};
use store::{DeadlineFilter, ListQuery, Store};

use crate::{ok, order, store, t0};

/// 30 orders, one per day from t0: numbers 0..30, amounts 1000 + 10·n, every third one
/// captured, names varying.
fn fill(s: &mut Store) {
    for n in 0..30u32 {
        let mut o = order(n, i64::from(n));
        o.amount = Yen(1000 + 10 * i64::from(n));
        if n.is_multiple_of(3) {
            o.status = PaymentStatus::Captured;
            o.captured_amount = o.amount;
            o.captured_at = o.authorized_at;
        }
        o.buyer_name = Some(if n.is_multiple_of(2) {
            format!("山田 {n}郎")
        } else {
            format!("鈴木 花子{n}")
        });
        o.buyer_name_kana = Some(if n.is_multiple_of(2) {
            "ヤマダ".into()
        } else {
            "スズキ".into()
        });
        o.buyer_email = Some(format!("buyer{n}@example.jp"));
        ok(s.insert_order(&o, t0()));
    }
}

fn numbers(s: &Store, q: &ListQuery) -> (Vec<String>, u64) {
    let page = ok(s.list_orders(q));
    (
        page.items
            .into_iter()
            .map(|r| r.order.order_number)
            .collect(),
        page.total,
    )
}

fn query(now_days: i64) -> ListQuery {
    ListQuery {
        page_size: 100,
        ..ListQuery::list(OrderList::Open, t0() + TimeDelta::days(now_days))
    }
}

#[test]
fn pages_are_newest_first_and_complete() {
    let (_dir, mut s) = store();
    fill(&mut s);
    let mut seen = Vec::new();
    for page in 0..4 {
        let q = ListQuery {
            page,
            page_size: 8,
            ..query(0)
        };
        let (items, total) = numbers(&s, &q);
        assert_eq!(total, 30);
        seen.extend(items);
    }
    let expected: Vec<String> = (0..30).rev().map(|n| format!("order{n:05}")).collect();
    assert_eq!(seen, expected);
}

#[test]
fn moving_between_lists() {
    let (_dir, mut s) = store();
    fill(&mut s);
    let (id, _) =
        ok(s.order_by_payment_id(&order(4, 0).payment_id)).unwrap_or_else(|| panic!("order 4"));
    ok(s.move_to_list(id, OrderList::Completed, t0()));
    assert_eq!(numbers(&s, &query(0)).1, 29);
    let completed = ListQuery::list(OrderList::Completed, t0());
    assert_eq!(numbers(&s, &completed), (vec!["order00004".to_owned()], 1));
    assert_eq!(
        ok(s.history(id))[0].text.en,
        "Moved to the completed orders"
    );
    // Payment operations stay possible: the payment is unchanged.
    assert_eq!(
        ok(s.get_order(id)).map(|o| o.status),
        Some(PaymentStatus::Authorized)
    );
}

#[test]
fn search_by_transaction_id_order_number_name_and_amount() {
    let (_dir, mut s) = store();
    fill(&mut s);
    let search = |text: &str| {
        let q = ListQuery {
            search: Some(text.into()),
            ..query(0)
        };
        numbers(&s, &q).0
    };
    assert_eq!(
        search(&order(7, 0).payment_id),
        ["order00007"],
        "full transaction ID"
    );
    assert_eq!(search("order00012"), ["order00012"], "order number");
    assert_eq!(search("order0001").len(), 10, "order number prefix");
    assert_eq!(search("¥1,050"), ["order00005"], "amount with yen sign");
    assert_eq!(search("1050"), ["order00005"], "amount digits");
    assert_eq!(
        search("鈴木").len(),
        15,
        "family name prefix (2 characters)"
    );
    assert_eq!(search("スズキ").len(), 15, "kana");
    assert_eq!(
        search("花子29"),
        ["order00029"],
        "substring of the name (trigram)"
    );
    assert_eq!(search("buyer13@"), ["order00013"], "e-mail substring");
    assert!(
        search("\"); DROP TABLE orders; --").is_empty(),
        "quotes are data"
    );
    assert_eq!(numbers(&s, &query(0)).1, 30);
}

/// Issue 15, point 9: the search text as a shop owner types it in Japanese.
#[test]
fn search_understands_everyday_japanese_input() {
    let (_dir, mut s) = store();
    fill(&mut s);
    let search = |s: &Store, text: &str| {
        let q = ListQuery {
            search: Some(text.into()),
            ..query(0)
        };
        numbers(s, &q).0
    };
    let one = |n: u32| vec![format!("order{n:05}")];
    let cases: [(&str, Vec<String>, &str); 9] = [
        ("１０５０", one(5), "full-width digits"),
        ("￥１，０５０", one(5), "full-width yen and comma"),
        ("鈴木花子29", one(29), "a name typed without its space"),
        ("鈴木\u{3000}花子29", one(29), "with an ideographic space"),
        ("00012", one(12), "part of an order number"),
        ("ORDER00012", one(12), "another letter case"),
        ("ｏｒｄｅｒ０００２８", one(28), "full-width letters"),
        ("BUYER13@", one(13), "an e-mail in capitals"),
        ("鈴木 花子29", one(29), "as stored"),
    ];
    for (text, expected, why) in cases {
        assert_eq!(search(&s, text), expected, "{why}: {text}");
    }
    assert_eq!(search(&s, "すずき").len(), 15, "hiragana for katakana");
    assert_eq!(search(&s, "ｽｽﾞｷ").len(), 15, "half-width kana");
    // A name changed later is found by its new form, and no longer by its old one.
    let (id, _) =
        ok(s.order_by_payment_id(&order(3, 0).payment_id)).unwrap_or_else(|| panic!("order 3"));
    ok(s.save_order_details(
        id,
        &store::OrderDetails {
            source: store::DetailsSource::StorefrontCsv,
            buyer_name: Some("伊藤 さくら".into()),
            buyer_name_kana: Some("イトウ サクラ".into()),
            buyer_email: None,
            buyer_phone: None,
            shipping_zip: None,
            shipping_state: None,
            shipping_city: None,
            shipping_line1: None,
            shipping_line2: None,
            order_tax: None,
            order_shipping: None,
            items: Vec::new(),
        },
        t0(),
    ));
    assert_eq!(search(&s, "伊藤さくら"), ["order00003"]);
    assert_eq!(search(&s, "いとうさ"), ["order00003"]);
    assert_eq!(search(&s, "鈴木花子3"), Vec::<String>::new());
}

#[test]
fn status_filter() {
    let (_dir, mut s) = store();
    fill(&mut s);
    let q = ListQuery {
        statuses: vec![PaymentStatus::Captured],
        ..query(0)
    };
    assert_eq!(numbers(&s, &q).1, 10);
    let q = ListQuery {
        statuses: vec![PaymentStatus::Captured, PaymentStatus::Authorized],
        ..query(0)
    };
    assert_eq!(numbers(&s, &q).1, 30);
}

#[test]
fn deadline_filters_and_home_count() {
    let (_dir, mut s) = store();
    fill(&mut s);
    // Authorized orders are those with n % 3 != 0, authorized on day n; their capture
    // deadline is day n + validity. At "now" = day 60 + 10: lapsed are days ≤ 10, near are
    // deadlines in (70, 77] → n in 11..=17.
    let now_days = RULES.card_authorization_validity.num_days() + 10;
    let now = t0() + TimeDelta::days(now_days);
    let authorized =
        |range: std::ops::RangeInclusive<u32>| range.filter(|n| n % 3 != 0).count() as u64;
    let q = |f| ListQuery {
        deadline: Some(f),
        ..query(now_days)
    };
    assert_eq!(
        numbers(&s, &q(DeadlineFilter::Lapsed)).1,
        authorized(0..=10)
    );
    assert_eq!(numbers(&s, &q(DeadlineFilter::Near)).1, authorized(11..=17));
    assert_eq!(ok(s.count_near_deadline(now)), authorized(11..=17));
    for row in ok(s.list_orders(&q(DeadlineFilter::Near))).items {
        assert!(matches!(
            domain::deadline_state(&row.order, now, &RULES),
            domain::DeadlineState::Near(_)
        ));
    }
}

#[test]
fn an_authorization_the_gateway_expired_early_counts_as_lapsed() {
    let (_dir, mut s) = store();
    let mut o = order(1, 0);
    o.status = PaymentStatus::AuthorizationExpired;
    ok(s.insert_order(&o, t0() + TimeDelta::days(25)));
    let q = ListQuery {
        deadline: Some(DeadlineFilter::Lapsed),
        ..query(26)
    };
    assert_eq!(numbers(&s, &q).0, ["order00001"]);
    assert_eq!(ok(s.count_near_deadline(t0() + TimeDelta::days(26))), 0);
}

#[test]
fn searches_with_many_matches_are_still_newest_first() {
    let (_dir, mut s) = store();
    let orders: Vec<domain::Order> = (0..2_400u32)
        .map(|n| {
            let mut o = order(n, 0);
            o.ordered_at = t0() + TimeDelta::minutes(i64::from(n));
            o.buyer_name = Some(if n.is_multiple_of(10) {
                "佐藤 一郎".into()
            } else {
                "山田 太郎".into()
            });
            o
        })
        .collect();
    ok(s.insert_orders(&orders, t0()));
    for list in [Some(OrderList::Open), None] {
        let q = ListQuery {
            list,
            search: Some("山田".into()),
            page: 1,
            page_size: 5,
            ..query(0)
        };
        let (items, total) = numbers(&s, &q);
        assert_eq!(total, 2_160, "above the dense-search threshold");
        assert_eq!(
            items,
            [
                "order02394",
                "order02393",
                "order02392",
                "order02391",
                "order02389"
            ]
        );
    }
}

/// A search narrows a list exactly as its filters alone would list the matching orders:
/// the same count, order and pages, with many matches (paged along the list's index) and
/// with few (looked up by key), with and without the list, status and deadline filters.
#[test]
fn a_search_pages_and_counts_as_its_filters_list_the_matches() {
    let (_dir, mut s) = store();
    let orders: Vec<domain::Order> = (0..2_400u32)
        .map(|n| {
            // Several orders share a day, so the id breaks ties in the order.
            let mut o = order(n, i64::from(n / 3));
            if n.is_multiple_of(5) {
                o.status = PaymentStatus::Captured;
                o.captured_amount = o.amount;
                o.captured_at = o.authorized_at;
            }
            if n % 7 == 3 {
                o.list = OrderList::Completed;
            }
            o.buyer_name = Some(if n.is_multiple_of(10) {
                format!("佐藤 一郎{n}")
            } else {
                format!("山田 太郎{n}")
            });
            o
        })
        .collect();
    ok(s.insert_orders(&orders, t0()));
    let now_days = RULES.card_authorization_validity.num_days() + 400;
    let filters = [
        ListQuery {
            list: None,
            ..query(now_days)
        },
        query(now_days),
        ListQuery {
            statuses: vec![PaymentStatus::Authorized],
            ..query(now_days)
        },
        ListQuery {
            list: None,
            deadline: Some(DeadlineFilter::Lapsed),
            ..query(now_days)
        },
        ListQuery {
            deadline: Some(DeadlineFilter::Near),
            ..query(now_days)
        },
    ];
    // (search text, the name prefix it finds): 2,160 matches by the name's prefix range and
    // by the trigram index, 240, 100 and 1 by the trigram index, and none; pages of the
    // first walk the list's index, pages of the last read the rows.
    let searches = [
        ("山田", "山田 "),
        ("山田太郎", "山田 太郎"),
        ("佐藤一郎", "佐藤 一郎"),
        ("山田太郎23", "山田 太郎23"),
        ("山田太郎1234", "山田 太郎1234"),
        ("田中", "田中"),
    ];
    for filter in &filters {
        let everything = ListQuery {
            page_size: 5_000,
            ..filter.clone()
        };
        let all = ok(s.list_orders(&everything)).items;
        for (text, prefix) in searches {
            let expected: Vec<String> = all
                .iter()
                .filter(|r| {
                    r.order
                        .buyer_name
                        .as_deref()
                        .is_some_and(|n| n.starts_with(prefix))
                })
                .map(|r| r.order.order_number.clone())
                .collect();
            let pages = expected.len().div_ceil(7) as u32;
            for page in [0, 1, pages.saturating_sub(1), pages, pages + 3] {
                let q = ListQuery {
                    search: Some(text.into()),
                    page,
                    page_size: 7,
                    ..filter.clone()
                };
                let (items, total) = numbers(&s, &q);
                let start = (page as usize * 7).min(expected.len());
                let end = (start + 7).min(expected.len());
                assert_eq!(total, expected.len() as u64, "{text} {filter:?}");
                assert_eq!(items, expected[start..end], "{text} page {page} {filter:?}");
            }
        }
    }
}
