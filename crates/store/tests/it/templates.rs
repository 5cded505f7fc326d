//! The one template store: every kind of e-mail text (reminders, order mails) is kept
//! apart by its kind and language, and a database saved before the store was one table
//! (schema 15: `email_templates` and `order_mail_templates`) keeps its texts.

use domain::mail_template::TemplateKind;
use domain::order_mail::OrderMailKind;
use domain::subscription::ReminderKind;
use store::Store;

use crate::{ok, store, t0};

#[test]
fn each_kind_and_language_keeps_its_own_text() {
    let (_dir, mut s) = store();
    for kind in TemplateKind::ALL {
        ok(s.set_template(
            kind,
            "ja",
            kind.code(),
            &format!("{} 本文", kind.code()),
            t0(),
        ));
    }
    for kind in TemplateKind::ALL {
        let t = ok(s.template(kind, "ja")).unwrap_or_else(|| panic!("{kind:?} lost"));
        assert_eq!((t.subject.as_str(), t.updated_at), (kind.code(), t0()));
        assert_eq!(ok(s.template(kind, "en")), None, "{kind:?} en");
    }
    let notice = TemplateKind::OrderMail(OrderMailKind::ShippingNotice);
    ok(s.reset_template(notice, "ja"));
    assert_eq!(ok(s.template(notice, "ja")), None);
    let expired = TemplateKind::Reminder(ReminderKind::Expired);
    assert!(
        ok(s.template(expired, "ja")).is_some(),
        "reset one, lost another"
    );
}

/// The migrations up to schema 15, as a PayDesk of that version wrote the file.
const BEFORE_ONE_TEMPLATE_STORE: &[&str] = &[
    include_str!("../../migrations/0001_initial.sql"),
    include_str!("../../migrations/0002_bulk_runs.sql"),
    include_str!("../../migrations/0003_subscriptions.sql"),
    include_str!("../../migrations/0004_sync_indexes.sql"),
    include_str!("../../migrations/0005_search_keys.sql"),
    include_str!("../../migrations/0006_details_imports.sql"),
    include_str!("../../migrations/0007_choices_and_ends.sql"),
    include_str!("../../migrations/0008_shop_owner_details.sql"),
    include_str!("../../migrations/0009_list_sorts.sql"),
    include_str!("../../migrations/0010_documents_and_deposits.sql"),
    include_str!("../../migrations/0011_shipments.sql"),
    include_str!("../../migrations/0012_money_ledger.sql"),
    include_str!("../../migrations/0013_three_d_secure.sql"),
    include_str!("../../migrations/0014_order_mails.sql"),
    include_str!("../../migrations/0015_bank_statements.sql"),
];

#[test]
fn a_database_saved_before_the_one_template_store_keeps_its_texts() {
    let dir = ok(tempfile::tempdir());
    let path = dir.path().join("paydesk.db");
    {
        let conn = ok(rusqlite::Connection::open(&path));
        // As the store registers it: migration 0005's triggers and updates call it.
        ok(conn.create_scalar_function(
            "search_key",
            1,
            rusqlite::functions::FunctionFlags::SQLITE_UTF8
                | rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC,
            |ctx| {
                let text: Option<String> = ctx.get(0)?;
                Ok(text.map(|t| domain::search::search_key(&t)))
            },
        ));
        for sql in BEFORE_ONE_TEMPLATE_STORE {
            ok(conn.execute_batch(sql));
        }
        ok(conn.pragma_update(None, "user_version", 15));
        ok(conn.execute_batch(
            "INSERT INTO email_templates VALUES ('expired', 'ja', '期限切れ {shop_name}', '{buyer_name} 様', 1000);
             INSERT INTO email_templates VALUES ('expiring_soon', 'en', 'Soon', 'Dear {buyer_name}', 2000);
             INSERT INTO order_mail_templates VALUES ('shipping_notice', 'ja', '発送 {order_number}', '{tracking_number}', 3000);",
        ));
    }
    let s = ok(Store::open(&path));
    assert_eq!(ok(s.schema_version()), Store::latest_schema_version());
    let text = |kind: TemplateKind, lang| {
        ok(s.template(kind, lang)).map(|t| (t.subject, t.body, t.updated_at.timestamp_millis()))
    };
    assert_eq!(
        text(TemplateKind::Reminder(ReminderKind::Expired), "ja"),
        Some((
            "期限切れ {shop_name}".into(),
            "{buyer_name} 様".into(),
            1000
        ))
    );
    assert_eq!(
        text(TemplateKind::Reminder(ReminderKind::ExpiringSoon), "en"),
        Some(("Soon".into(), "Dear {buyer_name}".into(), 2000))
    );
    assert_eq!(
        text(TemplateKind::OrderMail(OrderMailKind::ShippingNotice), "ja"),
        Some((
            "発送 {order_number}".into(),
            "{tracking_number}".into(),
            3000
        ))
    );
    assert_eq!(
        text(
            TemplateKind::OrderMail(OrderMailKind::OrderConfirmation),
            "ja"
        ),
        None
    );
}
