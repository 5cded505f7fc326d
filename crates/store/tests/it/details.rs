//! Buyer and item details: stored per order, imported from a storefront CSV by order number.

use domain::Yen;
use store::{DetailsSource, Item, ListQuery, OrderDetails};

use crate::{ok, order, store, t0};

fn details(name: &str) -> OrderDetails {
    OrderDetails {
        source: DetailsSource::StorefrontCsv,
        buyer_name: Some(name.into()),
        buyer_name_kana: Some("タナカ イチロウ".into()),
        buyer_email: Some("ichiro@example.jp".into()),
        buyer_phone: Some("09012345678".into()),
        shipping_zip: Some("1000001".into()),
        shipping_state: Some("東京都".into()),
        shipping_city: Some("千代田区".into()),
        shipping_line1: Some("千代田1-1".into()),
        shipping_line2: None,
        order_tax: Some(Yen(136)),
        order_shipping: Some(Yen(500)),
        items: vec![
            Item {
                item_id: Some("A-1".into()),
                title: "緑茶".into(),
                description: None,
                unit_price: Yen(750),
                quantity: 2,
            },
            Item {
                item_id: None,
                title: "湯呑み".into(),
                description: Some("白".into()),
                unit_price: Yen(500),
                quantity: 1,
            },
        ],
    }
}

#[test]
fn storefront_import_matches_by_order_number() {
    let (_dir, mut s) = store();
    let id = ok(s.insert_order(&order(1, 0), t0()));
    let rows = vec![
        ("order00001".to_owned(), details("田中 一郎")),
        ("order09999".to_owned(), details("誰か")),
    ];
    let summary = ok(s.import_buyer_details(&rows, t0()));
    assert_eq!(summary.matched, 1);
    assert_eq!(summary.unmatched, ["order09999"]);
    assert_eq!(ok(s.order_details(id)), Some(details("田中 一郎")));
    // The list summary follows, so the new name is searchable.
    let q = ListQuery {
        search: Some("田中".into()),
        list: None,
        ..ListQuery::list(domain::OrderList::Open, t0())
    };
    assert_eq!(ok(s.list_orders(&q)).total, 1);
    // Importing again replaces the items rather than adding to them.
    ok(s.import_buyer_details(&rows[..1], t0()));
    assert_eq!(ok(s.order_details(id)).map(|d| d.items.len()), Some(2));
    assert!(
        ok(s.history(id))[0]
            .text
            .ja
            .starts_with("購入者・商品情報を取り込みました")
    );
}
