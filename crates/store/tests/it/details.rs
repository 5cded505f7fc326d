//! Buyer and item details: stored per order, imported from a storefront CSV by order number
//! field by field, and undone.

use domain::Yen;
use domain::storefront::DetailField;
use store::imports::ImportRow;
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
                tax_rate: Some(domain::invoice::TaxRate::Reduced),
            },
            Item {
                item_id: None,
                title: "湯呑み".into(),
                description: Some("白".into()),
                unit_price: Yen(500),
                quantity: 1,
                tax_rate: None,
            },
        ],
    }
}

fn row(number: &str, fields: &[(DetailField, Option<&str>)]) -> ImportRow {
    ImportRow {
        order_number: number.into(),
        fields: fields
            .iter()
            .map(|(f, v)| (*f, v.map(str::to_owned)))
            .collect(),
    }
}

#[test]
fn storefront_import_sets_only_the_fields_its_file_has() {
    let (_dir, mut s) = store();
    let id = ok(s.insert_order(&order(1, 0), t0()));
    ok(s.save_order_details(id, &details("田中 一郎"), t0()));
    // A file with the name and e-mail columns only; the e-mail cell is empty.
    let rows = vec![
        row(
            "order00001",
            &[
                (DetailField::BuyerName, Some("田中 次郎")),
                (DetailField::BuyerEmail, None),
            ],
        ),
        row("order09999", &[(DetailField::BuyerName, Some("誰か"))]),
    ];
    let plan = ok(s.plan_details_import(&rows, false));
    assert_eq!((plan.matched_rows, plan.orders), (1, 1));
    assert_eq!(plan.unmatched, ["order09999"]);
    assert_eq!(
        plan.changes
            .iter()
            .map(|c| (c.field, c.old.as_deref(), c.new.as_deref()))
            .collect::<Vec<_>>(),
        [(DetailField::BuyerName, Some("田中 一郎"), Some("田中 次郎"))]
    );
    let (applied, import) =
        ok(s.apply_details_import(&rows, false, &plan.fingerprint, "a.csv", t0()));
    assert_eq!(applied, plan);
    let import = import.expect("recorded");
    let mut expected = details("田中 一郎");
    expected.buyer_name = Some("田中 次郎".into());
    assert_eq!(ok(s.order_details(id)), Some(expected.clone()));
    // The list summary follows, so the new name is searchable.
    let q = ListQuery {
        search: Some("田中 次郎".into()),
        list: None,
        ..ListQuery::list(domain::OrderList::Open, t0())
    };
    assert_eq!(ok(s.list_orders(&q)).total, 1);
    assert!(ok(s.history(id))[0].text.ja.contains("取り込み #"));

    // Clearing empty cells only when asked; a stale preview is refused.
    let plan = ok(s.plan_details_import(&rows, true));
    assert_eq!(plan.changes.len(), 1);
    assert_eq!(plan.changes[0].field, DetailField::BuyerEmail);
    assert!(matches!(
        s.apply_details_import(&rows, true, "0000000000000000", "a.csv", t0()),
        Err(store::Error::ImportPlanChanged)
    ));

    // Items are replaced only by a row that carries items.
    let items = vec![Item {
        item_id: None,
        title: "煎茶".into(),
        description: None,
        unit_price: Yen(900),
        quantity: 3,
        tax_rate: Some(domain::invoice::TaxRate::Reduced),
    }];
    let value = store::imports::items_value(&items);
    let with_items = vec![row("order00001", &[(DetailField::Items, value.as_deref())])];
    let plan = ok(s.plan_details_import(&with_items, false));
    let (_, second) =
        ok(s.apply_details_import(&with_items, false, &plan.fingerprint, "b.csv", t0()));
    assert_eq!(ok(s.order_details(id)).unwrap().items, items);

    // Undo the first import after the second: the name goes back; undo is recorded once.
    let undo = ok(s.undo_details_import(import, t0()));
    assert_eq!((undo.orders, undo.restored, undo.kept.len()), (1, 1, 0));
    assert_eq!(
        ok(s.order_details(id)).unwrap().buyer_name.as_deref(),
        Some("田中 一郎")
    );
    assert!(matches!(
        s.undo_details_import(import, t0()),
        Err(store::Error::ImportAlreadyUndone(_))
    ));
    // A field changed after an import is kept by its undo, and said so.
    ok(s.save_order_details(id, &details("田中 三郎"), t0()));
    let undo = ok(s.undo_details_import(second.unwrap(), t0()));
    assert_eq!((undo.restored, undo.kept.len()), (0, 1));
    assert_eq!(ok(s.order_details(id)), Some(details("田中 三郎")));
    assert!(ok(s.history(id))[0].text.ja.contains("今の値のまま"));
    assert_eq!(ok(s.details_imports(10)).len(), 2);

    // An order without details before an import has none after its undo.
    let bare = ok(s.insert_order(&order(2, 0), t0()));
    let rows = vec![row(
        "order00002",
        &[(DetailField::BuyerPhone, Some("0311112222"))],
    )];
    let plan = ok(s.plan_details_import(&rows, false));
    let (_, third) = ok(s.apply_details_import(&rows, false, &plan.fingerprint, "c.csv", t0()));
    assert!(ok(s.order_details(bare)).is_some());
    ok(s.undo_details_import(third.unwrap(), t0()));
    assert_eq!(ok(s.order_details(bare)), None);
}
