//! The command-line entry runs over the same core: exit codes, help for every command,
//! shell completions, and the refusal of the demo in a build without it.

use api::{Build, DeskConfig};
use chrono::{DateTime, Utc};
use domain::{CaptureMode, Order, PaymentMethod, PaymentStatus, Yen};
use test_support::pdf_text;

fn args(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

/// One shop's data folder for a test: the desk's config over it, its database, and the
/// command line run against it.
struct Shop {
    dir: tempfile::TempDir,
    identifier: &'static str,
}

impl Shop {
    fn new(identifier: &'static str) -> Shop {
        Shop {
            dir: tempfile::tempdir().unwrap(),
            identifier,
        }
    }

    fn config(&self) -> DeskConfig {
        DeskConfig::new(
            self.identifier,
            "0.0.0",
            Build::Test,
            self.dir.path().to_owned(),
        )
    }

    /// A file's path in the shop's folder, as a command line takes it.
    fn file(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// The shop's database, opened as the desk opens it (it migrates a new one).
    fn store(&self) -> store::Store {
        store::Store::open(self.dir.path().join("paydesk.sqlite3")).unwrap()
    }

    /// The desk itself, for what a test prepares or reads through the core.
    async fn desk(&self) -> api::Desk {
        api::Desk::open(self.config()).await.unwrap()
    }

    /// `paydesk WORDS…` over this shop: the exit code.
    async fn run(&self, words: Vec<String>) -> i32 {
        cli::run(self.config(), &words).await
    }
}

/// An authorized card order of ¥2,000 by 山田 太郎 (taro@example.jp), placed at `at`.
fn card_order(number: &str, payment_id: &str, at: DateTime<Utc>) -> Order {
    Order {
        buyer_name: Some("山田 太郎".into()),
        buyer_email: Some("taro@example.jp".into()),
        ..Order::authorized(
            number,
            payment_id,
            PaymentMethod::Card,
            CaptureMode::AuthorizeOnly,
            Yen(2000),
            at,
        )
    }
}

#[tokio::test]
async fn cli_lists_orders_and_reports_usage_errors() {
    let shop = Shop::new("jp.paydesk.it.cli");
    assert_eq!(shop.run(args(&["orders", "list", "--json"])).await, 0);
    assert_eq!(shop.run(args(&["orders", "show", "x"])).await, 2);
    assert_eq!(shop.run(args(&["orders", "show", "42"])).await, 1);
    assert_eq!(shop.run(args(&["orders", "frobnicate"])).await, 2);
    // Without credentials there is nothing to sync with: not an error.
    assert_eq!(shop.run(args(&["sync", "once"])).await, 0);
    assert!(cli::is_cli_command("orders"));
    assert!(!cli::is_cli_command("--demo"));
}

/// Issue 15, point 10: the command line filters and sorts as the window does; a wrong
/// word is a usage error, a wrong day the same plain error as in the window.
#[tokio::test]
async fn cli_lists_orders_filtered_and_sorted() {
    let shop = Shop::new("jp.paydesk.it.cli");
    let run = |words: &'static [&'static str]| shop.run(args(words));
    assert_eq!(
        run(&[
            "orders",
            "list",
            "--method",
            "paidy",
            "--from",
            "2030-01-01",
            "--to",
            "2030-01-31",
            "--sort",
            "amount-high",
            "--json"
        ])
        .await,
        0
    );
    assert_eq!(run(&["orders", "list", "--sort", "deadline"]).await, 0);
    assert_eq!(run(&["orders", "list", "--sort", "sideways"]).await, 2);
    assert_eq!(run(&["orders", "list", "--method", "cash"]).await, 2);
    assert_eq!(run(&["orders", "list", "--from", "2030-02-30"]).await, 1);
    assert_eq!(
        run(&[
            "orders",
            "list",
            "--from",
            "2030-02-01",
            "--to",
            "2030-01-01"
        ])
        .await,
        1
    );
}

/// `paydesk orders import` keeps the window's rules: without `--apply` it only previews;
/// `--apply` takes the preview's token and refuses any other; an import is undone by number.
#[tokio::test]
async fn cli_import_previews_then_applies_exactly_that_and_undoes() {
    let shop = Shop::new("jp.paydesk.it.cli");
    let at = chrono::Utc::now();
    let id = shop
        .store()
        .insert_order(&card_order("cli-0001", "30000000000000000001", at), at)
        .unwrap();
    let email = || shop.store().get_order(id).unwrap().unwrap().buyer_email;
    let csv = shop.dir.path().join("update.csv");
    std::fs::write(
        &csv,
        "注文番号,メールアドレス\r\ncli-0001,new@example.jp\r\n",
    )
    .unwrap();
    let file = csv.display().to_string();
    let run = |words: Vec<String>| shop.run(words);
    assert_eq!(run(args(&["orders", "import", &file])).await, 0);
    assert_eq!(
        email().as_deref(),
        Some("taro@example.jp"),
        "a preview writes nothing"
    );
    assert_eq!(
        run(args(&[
            "orders",
            "import",
            &file,
            "--apply",
            "0000000000000000"
        ]))
        .await,
        1
    );
    assert_eq!(email().as_deref(), Some("taro@example.jp"));
    let token = {
        let desk = shop.desk().await;
        desk.preview_orders_import(file.clone(), false)
            .await
            .unwrap()
            .token
    };
    assert_eq!(
        run(args(&["orders", "import", &file, "--apply", &token])).await,
        0
    );
    assert_eq!(email().as_deref(), Some("new@example.jp"));
    assert_eq!(run(args(&["orders", "imports"])).await, 0);
    assert_eq!(run(args(&["orders", "import-undo", "1"])).await, 0);
    assert_eq!(email().as_deref(), Some("taro@example.jp"));
    assert_eq!(run(args(&["orders", "import-undo", "1"])).await, 1);
}

/// Issue 20, point 7: `paydesk documents issue` writes the PDF for orders named by their
/// order numbers; `paydesk deposit mark | undo` keeps the window's rules; `orders list
/// --deposit` filters.
#[tokio::test]
async fn cli_issues_documents_and_marks_deposits() {
    let shop = Shop::new("jp.paydesk.it.cli");
    let at = chrono::Utc::now() - chrono::TimeDelta::days(3);
    let order = |number: &str, payment: &str, captured: bool| Order {
        amount: Yen(2_200),
        captured_amount: Yen(if captured { 2_200 } else { 0 }),
        status: if captured {
            PaymentStatus::Captured
        } else {
            PaymentStatus::Authorized
        },
        captured_at: captured.then_some(at),
        buyer_email: None,
        ..card_order(number, payment, at)
    };
    {
        let mut store = shop.store();
        store
            .insert_order(&order("cli-d-1", "30000000000000000011", true), at)
            .unwrap();
        store
            .insert_order(&order("cli-d-2", "30000000000000000012", false), at)
            .unwrap();
        store.set_setting("shop_name", "さくら雑貨店").unwrap();
        store
            .save_shop_profile(
                &store::ShopProfile {
                    registration_number: Some("T7010705000725".into()),
                    ..store::ShopProfile::default()
                },
                at,
            )
            .unwrap();
    }
    let pdf = shop.dir.path().join("receipts.pdf");
    let out = pdf.display().to_string();
    let run = |words: Vec<String>| shop.run(words);
    assert_eq!(
        run(args(&[
            "documents",
            "issue",
            "receipt",
            "cli-d-1",
            "--out",
            &out
        ]))
        .await,
        0
    );
    let text = pdf_text(&pdf);
    assert!(text.contains("領収書") && text.contains("¥2,200"), "{text}");
    // The authorized order gets no receipt: exit 1, and no order number is a usage error.
    assert_eq!(
        run(args(&[
            "documents",
            "issue",
            "receipt",
            "cli-d-2",
            "--out",
            &out
        ]))
        .await,
        1
    );
    assert_eq!(
        run(args(&[
            "documents",
            "issue",
            "receipt",
            "nope",
            "--out",
            &out
        ]))
        .await,
        1
    );
    assert_eq!(
        run(args(&[
            "documents",
            "issue",
            "postcard",
            "cli-d-1",
            "--out",
            &out
        ]))
        .await,
        2
    );
    assert_eq!(
        run(args(&["documents", "issue", "receipt", "--out", &out])).await,
        2
    );
    let day = at
        .with_timezone(&domain::history::JAPAN)
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(
        run(args(&["deposit", "mark", "cli-d-2", "--day", &day])).await,
        1,
        "not captured"
    );
    assert_eq!(
        run(args(&[
            "deposit", "mark", "cli-d-1", "--day", &day, "--amount", "2100"
        ]))
        .await,
        0
    );
    let marked = || {
        let store = shop.store();
        store
            .orders_by_number("cli-d-1")
            .and_then(|ids| store.deposit(ids[0]))
            .unwrap()
    };
    assert_eq!(marked().and_then(|d| d.amount), Some(Yen(2_100)));
    assert_eq!(
        run(args(&["orders", "list", "--deposit", "received", "--json"])).await,
        0
    );
    assert_eq!(
        run(args(&["orders", "list", "--deposit", "maybe"])).await,
        2
    );
    assert_eq!(run(args(&["deposit", "undo", "cli-d-1"])).await, 0);
    assert_eq!(marked(), None);
    assert_eq!(run(args(&["deposit", "undo", "cli-d-1"])).await, 1);
}

/// Issue 21, point 6: money in from the command line: sales, a cell, expected deposits
/// and the export, which refuses until the accounts are set and then writes the file.
#[tokio::test]
async fn cli_money_sales_expected_and_export() {
    let shop = Shop::new("jp.paydesk.it.cli");
    let run = |words: Vec<String>| shop.run(words);
    assert!(cli::is_cli_command("money"));
    assert_eq!(run(args(&["money", "sales", "--json"])).await, 0);
    assert_eq!(run(args(&["money", "sales", "--period", "month"])).await, 0);
    assert_eq!(run(args(&["money", "sales", "--period", "week"])).await, 2);
    // A wrong day is the window's plain error.
    assert_eq!(
        run(args(&["money", "sales", "--from", "2026-13-01"])).await,
        1
    );
    assert_eq!(
        run(args(&[
            "money",
            "cell",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--method",
            "card"
        ]))
        .await,
        0
    );
    assert_eq!(run(args(&["money", "expected"])).await, 0);
    let file = shop.dir.path().join("freee.csv");
    let file = file.display().to_string();
    let export = || {
        args(&[
            "money", "export", &file, "--format", "freee", "--month", "2026-11",
        ])
    };
    assert_eq!(run(export()).await, 1, "no account names yet");
    assert!(!std::path::Path::new(&file).exists());
    {
        let desk = shop.desk().await;
        desk.save_accounting_settings(api::dto::money::AccountingSettings {
            sales: "売上高".into(),
            refunds: "売上高".into(),
            freee_tax: "課税売上10%".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    }
    assert_eq!(run(export()).await, 0);
    let bytes = std::fs::read(&file).unwrap();
    assert!(bytes.starts_with("\u{feff}収支区分,管理番号,発生日".as_bytes()));
    assert_eq!(run(args(&["money", "frobnicate"])).await, 2);
}

/// Issue 21, point 6: `money reconcile`: a typed deposit, a bank statement previewed
/// (nothing recorded), applied with the preview's token, and imported again (nothing twice).
#[tokio::test]
async fn cli_money_reconcile_records_a_deposit_and_imports_a_statement_once() {
    let shop = Shop::new("jp.paydesk.it.cli");
    let run = |words: Vec<String>| shop.run(words);
    let file = shop.dir.path().join("statement.csv");
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(
        "日付,摘要,入金額\r\n2026/11/15,ﾌﾘｺﾐ ﾍﾟｲｼﾞｴﾝﾄ(ｶ,\"96,004\"\r\n2026/11/16,ﾔﾏﾀﾞ ﾀﾛｳ,100\r\n",
    );
    std::fs::write(&file, &sjis).unwrap();
    let file = file.display().to_string();
    let deposits = || async {
        let desk = shop.desk().await;
        desk.reconciliation(api::dto::money::ExpectedDepositsQuery {
            from: Some("2026-11-01".into()),
            to: Some("2026-11-30".into()),
        })
        .await
        .unwrap()
        .deposits
        .len()
    };
    let record = |day: &str| {
        args(&[
            "money",
            "reconcile",
            "record",
            "--method",
            "card",
            "--day",
            day,
            "--amount",
            "1000",
        ])
    };
    assert_eq!(run(record("2026-11-01")).await, 0);
    assert_eq!(run(record("2026-13-01")).await, 1, "not a day");
    assert_eq!(deposits().await, 1);
    assert_eq!(
        run(args(&["money", "reconcile", "import", &file, "--preview"])).await,
        0
    );
    assert_eq!(deposits().await, 1, "a preview records nothing");
    let token = {
        let desk = shop.desk().await;
        desk.preview_statement(file.clone()).await.unwrap().token
    };
    assert_eq!(
        run(args(&[
            "money",
            "reconcile",
            "import",
            &file,
            "--apply",
            &token
        ]))
        .await,
        0
    );
    assert_eq!(deposits().await, 2);
    // The same token again: the plan is not the previewed one any more.
    assert_eq!(
        run(args(&[
            "money",
            "reconcile",
            "import",
            &file,
            "--apply",
            &token
        ]))
        .await,
        1
    );
    // Preview and record at once: nothing is new.
    assert_eq!(
        run(args(&["money", "reconcile", "import", &file, "--json"])).await,
        0
    );
    assert_eq!(deposits().await, 2, "nothing twice");
    assert_eq!(
        run(args(&[
            "money",
            "reconcile",
            "import",
            &file,
            "--preview",
            "--apply",
            &token
        ]))
        .await,
        2,
        "--preview and --apply together are a usage error"
    );
    assert_eq!(
        run(args(&[
            "money",
            "reconcile",
            "list",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30"
        ]))
        .await,
        0
    );
    // The typed deposit: corrected, then withdrawn only with --yes; the imported one not.
    let typed_id = {
        let desk = shop.desk().await;
        let listed = desk
            .reconciliation(api::dto::money::ExpectedDepositsQuery {
                from: Some("2026-11-01".into()),
                to: Some("2026-11-30".into()),
            })
            .await
            .unwrap()
            .deposits;
        let typed = listed.iter().find(|d| !d.imported).unwrap().id;
        let imported = listed.iter().find(|d| d.imported).unwrap().id;
        (typed, imported)
    };
    let (typed, imported) = (typed_id.0.to_string(), typed_id.1.to_string());
    let correct = |id: &str| {
        args(&[
            "money",
            "reconcile",
            "correct",
            id,
            "--method",
            "card",
            "--day",
            "2026-11-02",
            "--amount",
            "1100",
        ])
    };
    assert_eq!(run(correct(&typed)).await, 0);
    assert_eq!(run(correct(&imported)).await, 1, "the bank's record");
    let withdraw = |id: &str, yes: bool| {
        let mut words = vec!["money", "reconcile", "withdraw", id];
        if yes {
            words.push("--yes");
        }
        args(&words)
    };
    assert_eq!(run(withdraw(&typed, false)).await, 2, "asks for --yes");
    assert_eq!(deposits().await, 2);
    assert_eq!(run(withdraw(&typed, true)).await, 0);
    assert_eq!(deposits().await, 1);
}

/// Issue 20, point 7: a label file, a typed tracking number and an issued-labels import
/// from the command line; a partial result exits 1 so a script never takes it for all.
#[tokio::test]
async fn cli_writes_labels_and_records_tracking_numbers() {
    let shop = Shop::new("jp.paydesk.it.cli.ship");
    let at = chrono::Utc::now();
    let mut store = shop.store();
    let order = |n: &str, p: &str| Order {
        buyer_email: None,
        ..card_order(n, p, at)
    };
    let shipped = store
        .insert_order(&order("ship-0001", "30000000000000000011"), at)
        .unwrap();
    let bare = store
        .insert_order(&order("ship-0002", "30000000000000000012"), at)
        .unwrap();
    store
        .save_order_details(
            shipped,
            &store::OrderDetails {
                source: store::DetailsSource::ShopOwner,
                buyer_name: Some("山田 太郎".into()),
                buyer_name_kana: None,
                buyer_email: None,
                buyer_phone: Some("09012345678".into()),
                shipping_zip: Some("150-0001".into()),
                shipping_state: None,
                shipping_city: None,
                shipping_line1: Some("東京都渋谷区神宮前1-2-3".into()),
                shipping_line2: None,
                order_tax: None,
                order_shipping: None,
                items: Vec::new(),
            },
            at,
        )
        .unwrap();
    for (k, v) in [
        ("shop_name", "CLI商店"),
        ("shop_phone", "0312345678"),
        ("shop_postal_code", "1500001"),
        ("shop_address_prefecture", "東京都"),
        ("shop_address_city", "渋谷区"),
        ("shop_address_line1", "神宮前1-2-3"),
    ] {
        store.set_setting(k, v).unwrap();
    }
    drop(store);
    let run = |words: Vec<String>| shop.run(words);
    let out = shop.file("sagawa.csv");
    let (a, b) = (shipped.0.to_string(), bare.0.to_string());
    // The bare order has no address: the file holds the other, and the exit says so.
    assert_eq!(
        run(args(&[
            "orders",
            "labels",
            &a,
            &b,
            "--carrier",
            "sagawa",
            "--out",
            &out
        ]))
        .await,
        1
    );
    assert_eq!(
        run(args(&[
            "orders",
            "labels",
            &a,
            "--carrier",
            "sagawa",
            "--out",
            &out
        ]))
        .await,
        0
    );
    let bytes = std::fs::read(&out).unwrap();
    let (text, _, _) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(
        text.contains(",090-1234-5678,150-0001,東京都渋谷区神宮前1-2-3,,,山田 太郎,,ship-0001,")
    );
    assert!(text.contains(",CLI商店,"));
    assert_eq!(
        run(args(&[
            "orders",
            "labels",
            &a,
            "--carrier",
            "dhl",
            "--out",
            &out
        ]))
        .await,
        2
    );
    assert_eq!(
        run(args(&[
            "orders",
            "tracking",
            &a,
            "1234-5678-9012",
            "--carrier",
            "sagawa"
        ]))
        .await,
        0
    );
    let issued = shop.dir.path().join("issued.csv");
    std::fs::write(
        &issued,
        "お問い合せ送り状No.,お客様管理番号\r\n123456789013,ship-0002\r\n123456789014,nobody\r\n",
    )
    .unwrap();
    let file = issued.display().to_string();
    assert_eq!(
        run(args(&[
            "orders",
            "tracking-import",
            &file,
            "--carrier",
            "sagawa"
        ]))
        .await,
        1
    );
    let store = shop.store();
    assert_eq!(
        store.shipments(shipped).unwrap()[0].tracking_number,
        "123456789012"
    );
    assert_eq!(
        store.shipments(bare).unwrap()[0].tracking_number,
        "123456789013"
    );
    drop(store);
    // `--notify` where no notice can go (no SMTP server set, no buyer e-mail): exit 1,
    // and the numbers the file added are kept all the same.
    let second = shop.dir.path().join("second.csv");
    std::fs::write(
        &second,
        "お問い合せ送り状No.,お客様管理番号\r\n123456789025,ship-0001\r\n",
    )
    .unwrap();
    let second = second.display().to_string();
    let notify = args(&[
        "orders",
        "tracking-import",
        &second,
        "--carrier",
        "sagawa",
        "--notify",
        "--json",
    ]);
    assert_eq!(run(notify).await, 1);
    let numbers: Vec<String> = shop
        .store()
        .shipments(shipped)
        .unwrap()
        .into_iter()
        .map(|s| s.tracking_number)
        .collect();
    assert!(numbers.contains(&"123456789025".to_owned()), "{numbers:?}");
}

/// Issue 20, points 5 and 7: `orders notify` previews and sends the shipping notice to a
/// real SMTP server on loopback, refuses an order without a tracking number with exit 1,
/// and sends a second mail only with `--resend`; `orders tracking-import --notify` sends it
/// to the orders whose numbers the file added, once.
#[tokio::test]
async fn cli_sends_shipping_notices_once_and_a_second_only_when_asked() {
    use mail::testing::{Mode, TestSmtp};
    let mut server = TestSmtp::start(Mode::Accept).await;
    let shop = Shop::new("jp.paydesk.it.cli.notify");
    let at = chrono::Utc::now();
    let mut store = shop.store();
    let order = |n: &str, p: &str| card_order(n, p, at);
    let shipped = store
        .insert_order(&order("note-0001", "30000000000000000021"), at)
        .unwrap();
    let untracked = store
        .insert_order(&order("note-0002", "30000000000000000022"), at)
        .unwrap();
    store
        .record_tracking(
            shipped,
            domain::labels::Carrier::Sagawa,
            "123456789012",
            store::TrackingSource::Typed,
            &domain::Text::new("問合せ番号", "tracking number"),
            at,
        )
        .unwrap();
    let port = server.addr.port().to_string();
    for (k, v) in [
        ("shop_name", "CLI商店"),
        ("mail.shop_contact", "03-1234-5678"),
        ("smtp.host", "127.0.0.1"),
        ("smtp.port", port.as_str()),
        ("smtp.security", "plain"),
        ("smtp.from_address", "shop@example.jp"),
    ] {
        store.set_setting(k, v).unwrap();
    }
    drop(store);
    let run = |words: Vec<String>| shop.run(words);
    let (a, b) = ("note-0001", "note-0002");
    let notify = |extra: &[&str]| {
        let mut words = args(&["orders", "notify", "--kind", "shipping"]);
        words.extend(extra.iter().map(|w| (*w).to_owned()));
        words
    };
    assert_eq!(run(notify(&[a, "--preview"])).await, 0);
    assert_eq!(run(notify(&[a, b, "--preview", "--json"])).await, 1);
    assert!(server.nothing_arrived(), "a preview sends nothing");
    assert_eq!(run(notify(&["no-such-order"])).await, 1);
    assert_eq!(
        run(notify(&[a, b])).await,
        1,
        "the untracked order is refused"
    );
    let received = server.next().await;
    assert_eq!(received.rcpt_to, ["<taro@example.jp>"]);
    let message = mail_parser::MessageParser::default()
        .parse(&received.data)
        .unwrap();
    let text = message.body_text(0).unwrap_or_default().into_owned();
    assert!(text.contains("123456789012"), "{text}");
    assert!(text.contains("佐川急便"), "{text}");
    assert!(server.nothing_arrived());
    assert_eq!(run(notify(&[a])).await, 1, "sent before: not again");
    assert!(server.nothing_arrived());
    assert_eq!(run(notify(&[a, "--resend"])).await, 0);
    server.next().await;
    assert_eq!(run(notify(&[a, "--resend", "--preview"])).await, 2);
    let store = shop.store();
    let mails = store.order_mails(shipped).unwrap();
    assert_eq!(mails.len(), 2);
    assert!(store.order_mails(untracked).unwrap().is_empty());
    let lines = store.history(shipped).unwrap();
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.text.ja.contains("発送のお知らせメール"))
            .count(),
        2
    );
    drop(store);

    // The carrier's issued-labels file and the notice in one step: only the order whose
    // number the file added gets a notice, and the same file again sends nothing.
    let issued = shop.dir.path().join("issued.csv");
    std::fs::write(
        &issued,
        "お問い合せ送り状No.,お客様管理番号\r\n123456789012,note-0001\r\n123456789024,note-0002\r\n",
    )
    .unwrap();
    let import = args(&[
        "orders",
        "tracking-import",
        &issued.display().to_string(),
        "--carrier",
        "sagawa",
        "--notify",
    ]);
    assert_eq!(run(import.clone()).await, 0);
    let received = server.next().await;
    let message = mail_parser::MessageParser::default()
        .parse(&received.data)
        .unwrap();
    let text = message.body_text(0).unwrap_or_default().into_owned();
    assert!(text.contains("123456789024"), "{text}");
    assert!(
        server.nothing_arrived(),
        "note-0001 had its number: no notice"
    );
    assert_eq!(run(import).await, 0);
    assert!(server.nothing_arrived(), "nothing new: nothing sent");
    let store = shop.store();
    assert_eq!(store.order_mails(untracked).unwrap().len(), 1);
    assert_eq!(store.order_mails(shipped).unwrap().len(), 2);
}

/// Issue 18, point 4: every command and sub-command has its help (`paydesk help …` and
/// `--help` exit 0), the top-level help states the exit codes, and a completion script is
/// printed for each shell without opening the desk.
#[tokio::test]
async fn every_command_has_help_and_completions_open_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = || DeskConfig::new("jp.paydesk.it.cli-help", "0.0.0", Build::Test, data.clone());
    let root = cli::command();
    let mut paths: Vec<Vec<String>> = Vec::new();
    for sub in root.get_subcommands() {
        let name = sub.get_name().to_owned();
        assert!(sub.get_about().is_some(), "{name} has no help");
        if name == "help" {
            continue;
        }
        assert!(cli::is_cli_command(&name), "{name}");
        for leaf in sub.get_subcommands() {
            assert!(
                leaf.get_about().is_some(),
                "{name} {} has no help",
                leaf.get_name()
            );
            for arg in leaf.get_arguments() {
                assert!(
                    arg.get_help().is_some() || arg.is_global_set(),
                    "{name} {} {} has no help",
                    leaf.get_name(),
                    arg.get_id()
                );
            }
            paths.push(vec![name.clone(), leaf.get_name().to_owned()]);
        }
        paths.push(vec![name]);
    }
    assert!(paths.len() > 30, "{paths:?}");
    for path in &paths {
        let mut help = vec!["help".to_owned()];
        help.extend(path.iter().cloned());
        assert_eq!(cli::run(config(), &help).await, 0, "{help:?}");
        let mut flag = path.clone();
        flag.push("--help".into());
        assert_eq!(cli::run(config(), &flag).await, 0, "{flag:?}");
    }
    assert_eq!(cli::run(config(), &args(&["help"])).await, 0);
    assert_eq!(cli::run(config(), &args(&["--help"])).await, 0);
    let top = root.clone().render_long_help().to_string();
    assert!(
        top.contains("Exit codes:") && top.contains("2  usage error"),
        "{top}"
    );
    for shell in ["bash", "zsh", "fish", "powershell"] {
        assert_eq!(
            cli::run(config(), &args(&["completions", shell])).await,
            0,
            "{shell}"
        );
    }
    assert_eq!(cli::run(config(), &args(&["completions", "tcsh"])).await, 2);
    assert!(!data.exists(), "help or completions opened the desk");
}

/// Issue 18, point 5: a build without the demo (no `demo_servers`, as a release) refuses
/// `--demo` / `PAYDESK_DEMO=1` with exit 1 and touches no folder.
#[tokio::test]
async fn the_demo_is_refused_in_a_build_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let shop = dir.path().join("jp.paydesk.it.cli-no-demo");
    let config = |demo: bool| {
        let mut c = DeskConfig::new(
            "jp.paydesk.it.cli-no-demo",
            "0.0.0",
            Build::Release,
            shop.clone(),
        );
        c.demo = demo;
        c
    };
    // PAYDESK_DEMO=1 (the host sets `demo`) and --demo alike.
    assert_eq!(cli::run(config(true), &args(&["orders", "list"])).await, 1);
    assert_eq!(
        cli::run(config(false), &args(&["orders", "list", "--demo"])).await,
        1
    );
    assert!(!shop.exists(), "the shop's folder was made");
    assert!(
        !api::demo_data_dir(&shop).exists(),
        "a demo folder was made"
    );
    let refusal = api::demo_servers::unavailable();
    assert!(refusal.message.ja.contains("デモが入っていません"));
    assert!(refusal.message.en.contains("has no demo"));
}
