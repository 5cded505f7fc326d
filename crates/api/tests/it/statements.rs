//! Issue 21, points 3 and 5 through the API against the real simulator: the bank's
//! statement (Shift_JIS or UTF-8) previewed, imported exactly as previewed and only once;
//! every line listed (unmatched deposits with why); a deposit's difference explained by a
//! refund after the closing day and a capture in the next period; the deposit check
//! (入金チェック) checked against the recorded deposits; the monthly summary mail's
//! money figures equal to the screens'; and a deposit with its period's fees in the
//! journal files (issue 21, point 4).

use chrono::{DateTime, FixedOffset, TimeZone, Utc};

use api::dto::documents::DepositCheckInput;
use api::dto::money::{
    AccountingFormatCode, AccountingSettings, CycleDto, DepositInput, ExpectedDepositsQuery,
    MovementKindCode, SalesPeriodCode, SalesQuery, SettlementContractInput, TransferFeeBorneByCode,
};
use api::dto::statement::{StatementLineStatusCode, StatementMappingDto};
use api::dto::subscriptions::SmtpSettingsInput;
use api::dto::{OperationKindCode, PaymentMethodCode};
use mail::testing::{Mode, TestSmtp};

use crate::harness::{Harness, keep};

/// A Japan wall-clock time.
fn jst(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    FixedOffset::east_opt(9 * 3600)
        .unwrap()
        .with_ymd_and_hms(y, m, d, h, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

async fn captured_order(h: &Harness, order: &str, amount: i64) -> i64 {
    let payment = h
        .card_checkout(order, amount, "authorize_only", false)
        .await;
    h.sync().await;
    let id = h.order_of(&payment).await.unwrap().summary.id;
    h.perform_ok(id, OperationKindCode::Capture, None).await;
    id
}

/// A bank's statement as its download looks: account lines above the header, the
/// payer's name in half-width kana, deposits and withdrawals in separate columns.
fn statement() -> String {
    [
        "口座番号,普通 1234567",
        "照会期間,2030/05/01～2030/06/30",
        "日付,摘要,摘要内容,支払い金額,預かり金額,差引残高",
        // A gateway deposit no period is paid near (listed, recorded unmatched).
        "2030/05/05,振込,ﾍﾟｲｼﾞｴﾝﾄ(ｶ,,\"7,777\",\"107,777\"",
        "2030/05/20,口座振替,ﾃﾞﾝｷﾀﾞｲ,\"5,000\",,\"102,777\"",
        "2030/05/25,振込,ﾔﾏﾀﾞ ﾀﾛｳ,,\"3,000\",\"105,777\"",
        // May's card deposit, with June's refund and capture netted in.
        "2030/06/15,振込,ﾍﾟｲｼﾞｴﾝﾄ(ｶ,,\"16,130\",\"121,907\"",
        // Paidy: no contract entered, so it cannot be matched yet (and says why).
        "2030/06/20,振込,ﾍﾟｲﾃﾞｨ(ｶ,,\"2,000\",\"123,907\"",
        "",
    ]
    .join("\r\n")
}

/// A desk on the simulator without the relay or the background sync: each test moves the
/// simulator's clock and syncs itself.
async fn quiet_desk(name: &str) -> Harness {
    Harness::quiet(name).await
}

async fn card_contract(h: &Harness) {
    h.desk
        .save_settlement_contract(SettlementContractInput {
            method: PaymentMethodCode::Card,
            cycles: vec![CycleDto {
                closing_day: 31,
                pay_months_after: 1,
                pay_day: 15,
            }],
            fee_rate: "3.6".into(),
            fee_per_capture_yen: Some(0),
            transfer_fee_yen: Some(330),
            transfer_fee_borne_by: Some(TransferFeeBorneByCode::Shop),
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_bank_statement_is_matched_to_its_periods_imported_once_and_explained() {
    let h = quiet_desk("statement_import").await;
    let sim = h.embedded.simulator();
    card_contract(&h).await;
    // May: two captures (15,000). Expected for May, paid 15 June:
    // 15,000 − 540 (3.6 %) − 330 (transfer) = 14,130.
    sim.set_time(jst(2030, 5, 10, 10));
    let a = captured_order(&h, "STMT_A", 10_000).await;
    sim.set_time(jst(2030, 5, 20, 10));
    let b = captured_order(&h, "STMT_B", 5_000).await;
    // After May closed: a refund of a May sale, and a capture of June.
    sim.set_time(jst(2030, 6, 2, 10));
    h.perform_ok(a, OperationKindCode::PartialRefund, Some(1_000))
        .await;
    sim.set_time(jst(2030, 6, 3, 10));
    let c = captured_order(&h, "STMT_C", 3_000).await;
    sim.set_time(jst(2030, 6, 21, 10));

    // A deposit typed by hand before, which the statement also has.
    let typed = h
        .desk
        .record_deposit(DepositInput {
            method: PaymentMethodCode::Card,
            received_on: "2030-05-05".into(),
            amount_yen: 7_777,
        })
        .await
        .unwrap();

    let text = statement();
    let (sjis, _, bad) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!bad);
    let sjis_path = h.dir.path().join("statement-sjis.csv");
    std::fs::write(&sjis_path, &sjis).unwrap();
    let utf8_path = h.dir.path().join("statement-utf8.csv");
    std::fs::write(&utf8_path, text.as_bytes()).unwrap();

    let preview = h
        .desk
        .preview_statement(sjis_path.display().to_string())
        .await
        .unwrap();
    keep(&preview);
    assert_eq!(preview.encoding, "shift_jis");
    assert!(!preview.applied);
    assert_eq!(
        preview.lines.len(),
        5,
        "every line after the header: {preview:#?}"
    );
    assert_eq!(
        (preview.deposits, preview.recorded, preview.already),
        (3, 2, 1)
    );
    assert_eq!(
        (preview.matched, preview.unmatched, preview.differences),
        (1, 2, 1)
    );
    assert_eq!(preview.other_lines, 2);
    let status: Vec<StatementLineStatusCode> = preview.lines.iter().map(|l| l.status).collect();
    assert_eq!(
        status,
        [
            StatementLineStatusCode::AlreadyTyped,
            StatementLineStatusCode::Withdrawal,
            StatementLineStatusCode::NotGateway,
            StatementLineStatusCode::Record,
            StatementLineStatusCode::Record,
        ]
    );
    // Unmatched lines say why: no period paid near the day; Paidy's contract missing.
    let why = |i: usize| preview.lines[i].reason.clone().unwrap();
    assert!(why(2).ja.contains("ペイジェント"), "{:?}", why(2));
    let paidy = &preview.lines[4];
    assert_eq!(paidy.method, Some(PaymentMethodCode::Paidy));
    assert!(
        paidy.reason.as_ref().unwrap().en.contains("contract"),
        "{paidy:?}"
    );
    // The May deposit: 2,000 more than expected, explained exactly by the refund after
    // closing (−1,000) and the capture in the next period (+3,000).
    let june = preview.lines[3].deposit.as_ref().unwrap();
    let period = june.period.as_ref().unwrap();
    assert_eq!(
        (period.start.as_str(), period.end.as_str()),
        ("2030-05-01", "2030-05-31")
    );
    assert_eq!(period.expected_yen, 14_130);
    assert_eq!(june.difference_yen, Some(2_000));
    assert!(june.explained);
    let mut explained: Vec<(String, MovementKindCode, i64)> = june
        .explanation
        .iter()
        .map(|m| (m.order_number.clone(), m.kind, m.amount_yen))
        .collect();
    explained.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(
        explained,
        [
            ("STMT_A".to_owned(), MovementKindCode::Refund, 1_000),
            ("STMT_C".to_owned(), MovementKindCode::Capture, 3_000),
        ]
    );
    // The preview recorded nothing.
    let all = ExpectedDepositsQuery {
        from: Some("2030-05-01".into()),
        to: Some("2030-06-30".into()),
    };
    assert_eq!(
        h.desk
            .reconciliation(all.clone())
            .await
            .unwrap()
            .deposits
            .len(),
        1,
        "only the typed one"
    );

    // Import exactly the preview.
    let imported = h
        .desk
        .import_statement(sjis_path.display().to_string(), preview.token.clone())
        .await
        .unwrap();
    keep(&imported);
    assert!(imported.applied && imported.import_id.is_some());
    assert_eq!((imported.recorded, imported.already), (2, 1));
    let kept = h.desk.reconciliation(all.clone()).await.unwrap();
    keep(&kept);
    assert_eq!(kept.deposits.len(), 3, "two new, the typed one not twice");
    assert!(kept.deposits.iter().any(|d| d.id == typed.id));
    let may = kept
        .deposits
        .iter()
        .find(|d| d.received_on == "2030-06-15")
        .unwrap();
    assert_eq!(may.difference_yen, Some(2_000));
    assert!(may.explained);
    // The same token again: the plan changed (all imported now), nothing is recorded.
    let stale = h
        .desk
        .import_statement(sjis_path.display().to_string(), preview.token.clone())
        .await
        .unwrap_err();
    assert_eq!(stale.code, "statement_changed");

    // The same statement in UTF-8: every deposit was imported before.
    let again = h
        .desk
        .preview_statement(utf8_path.display().to_string())
        .await
        .unwrap();
    assert_eq!(again.encoding, "utf-8");
    assert_eq!((again.recorded, again.already), (0, 3));
    let again = h
        .desk
        .import_statement(utf8_path.display().to_string(), again.token)
        .await
        .unwrap();
    assert_eq!(again.import_id, None);
    assert_eq!(
        h.desk
            .reconciliation(all.clone())
            .await
            .unwrap()
            .deposits
            .len(),
        3
    );

    // The deposit check against the periods: May's deposit is recorded, so both May
    // orders should be marked received; C (June) is marked, but June's deposit is not in.
    let check = h.desk.deposit_check_agreement(all.clone()).await.unwrap();
    keep(&check);
    assert!(!check.agree);
    assert_eq!(check.periods.len(), 1);
    let numbers: Vec<&str> = check.periods[0]
        .unmarked
        .iter()
        .map(|o| o.order_number.as_str())
        .collect();
    assert_eq!(numbers, ["STMT_A", "STMT_B"]);
    for id in [a, b, c] {
        h.desk
            .mark_deposit(
                id,
                DepositCheckInput {
                    received_on: "2030-06-15".into(),
                    amount_yen: None,
                },
            )
            .await
            .unwrap();
    }
    let check = h.desk.deposit_check_agreement(all.clone()).await.unwrap();
    assert!(check.periods.is_empty(), "{check:?}");
    assert_eq!(check.marked_without_deposit.len(), 1);
    assert_eq!(check.marked_without_deposit[0].order.order_number, "STMT_C");
    assert_eq!(check.marked_without_deposit[0].payment_date, "2030-07-15");
    h.desk.undo_deposit(c).await.unwrap();
    let check = h.desk.deposit_check_agreement(all).await.unwrap();
    assert!(check.agree, "{check:?}");
}

#[tokio::test]
async fn the_statement_columns_are_set_once_and_a_file_without_them_is_refused_whole() {
    let h = quiet_desk("statement_mapping").await;
    let path = h.dir.path().join("other-bank.csv");
    std::fs::write(
        &path,
        "取引年月日,内容説明,お引出し,お預け入れ\n2030-06-15,振込 ABC決済,,5000\n",
    )
    .unwrap();
    let refused = h
        .desk
        .preview_statement(path.display().to_string())
        .await
        .unwrap_err();
    keep(&refused);
    assert_eq!(refused.code, "statement_unreadable");
    assert!(refused.message.ja.contains("入金明細の列"), "{refused:?}");
    let bad = h
        .desk
        .save_statement_mapping(StatementMappingDto {
            date_column: "0".into(),
            ..StatementMappingDto::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code, "invalid_statement_column");
    let saved = h
        .desk
        .save_statement_mapping(StatementMappingDto {
            date_column: "取引年月日".into(),
            amount_column: " お預け入れ ".into(),
            description_column: "内容説明".into(),
            card_texts: "ABC決済, ペイジェント".into(),
            paidy_texts: String::new(),
        })
        .await
        .unwrap();
    assert_eq!(saved.amount_column, "お預け入れ");
    assert_eq!(saved.card_texts, "ABC決済, ペイジェント");
    assert_eq!(h.desk.statement_mapping().await.unwrap(), saved);
    let preview = h
        .desk
        .preview_statement(path.display().to_string())
        .await
        .unwrap();
    assert_eq!(preview.deposits, 1);
    assert_eq!(preview.lines[0].method, Some(PaymentMethodCode::Card));
    // No contract yet: unmatched, and it says what is missing.
    assert_eq!(preview.unmatched, 1);
    assert!(preview.lines[0].reason.is_some());
}

/// Point 5: the monthly summary's money figures are the screens' own.
#[tokio::test]
async fn the_monthly_summary_mail_carries_the_screens_money_figures() {
    let h = quiet_desk("statement_summary").await;
    let sim = h.embedded.simulator();
    card_contract(&h).await;
    sim.set_time(jst(2030, 5, 10, 10));
    let a = captured_order(&h, "SUM_A", 10_000).await;
    sim.set_time(jst(2030, 5, 12, 10));
    h.perform_ok(a, OperationKindCode::PartialRefund, Some(1_500))
        .await;
    sim.set_time(jst(2030, 5, 20, 10));
    captured_order(&h, "SUM_B", 4_000).await;
    // A deposit nothing explains: an open difference.
    h.desk
        .record_deposit(DepositInput {
            method: PaymentMethodCode::Card,
            received_on: "2030-05-16".into(),
            amount_yen: 1_234,
        })
        .await
        .unwrap();
    let server = TestSmtp::start(Mode::Accept).await;
    h.desk
        .save_smtp_settings(SmtpSettingsInput {
            host: Some("127.0.0.1".into()),
            port: Some(server.addr.port()),
            security: Some("plain".into()),
            username: None,
            password: None,
            from_address: Some("shop@example.jp".into()),
            from_name: None,
            shop_contact: None,
            summary_to: Some("owner@example.jp".into()),
            mail_language: Some("ja".into()),
            reminder_schedule: None,
            summary_schedule: None,
        })
        .await
        .unwrap();
    sim.set_time(jst(2030, 6, 1, 9));
    let run = h.desk.send_monthly_summary_now().await.unwrap();
    assert_eq!(run.sent, 1, "{run:?}");
    let mails = h.desk.list_mails(Some("sent".into())).await.unwrap();
    let body = &mails
        .iter()
        .find(|m| m.purpose == "monthly_summary")
        .unwrap()
        .body;

    // The screens, for May.
    let may = || ExpectedDepositsQuery {
        from: Some("2030-05-01".into()),
        to: Some("2030-05-31".into()),
    };
    let sales = h
        .desk
        .sales_report(SalesQuery {
            period: SalesPeriodCode::Month,
            from: may().from,
            to: may().to,
        })
        .await
        .unwrap();
    assert_eq!(sales.total.net_yen, 10_000 - 1_500 + 4_000);
    let yen = |n: i64| {
        let digits = n.unsigned_abs().to_string();
        let mut out = String::from(if n < 0 { "-¥" } else { "¥" });
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    assert!(
        body.contains(&format!("純売上: {}", yen(sales.total.net_yen))),
        "{body}"
    );
    assert!(body.contains(&format!("返金: {}", yen(sales.total.refunded_yen))));
    let expected = h.desk.expected_deposits(may()).await.unwrap();
    let card = &expected.methods[0].periods[0];
    assert_eq!(card.expected_yen, 14_000 - 504 - 1_500 - 330);
    assert!(
        body.contains(&format!(
            "カード {}〜{}(支払日 {}): {}",
            card.start,
            card.end,
            card.payment_date,
            yen(card.expected_yen)
        )),
        "{body}"
    );
    assert!(
        body.contains("Paidy: 精算条件がまだ入力されていません"),
        "{body}"
    );
    assert!(body.contains(&format!(
        "これからの入金予定: {}",
        yen(expected.to_come_yen)
    )));
    let received = h.desk.reconciliation(may()).await.unwrap();
    let open = &received.deposits[0];
    assert!(open.period.is_some() && !open.explained);
    assert!(body.contains("未解決の差額: 1件"), "{body}");
    assert!(
        body.contains(&format!("差額 +{}", yen(open.difference_yen.unwrap()))),
        "{body}"
    );
}

/// The receivable's balance a Money Forward file leaves: debits to it less credits.
fn receivable_balance(file: &str) -> i64 {
    file.lines()
        .skip(1)
        .map(|l| {
            let cols: Vec<&str> = l.split(',').collect();
            let amount: i64 = cols[8].parse().unwrap();
            match (cols[2], cols[10]) {
                ("売掛金", _) => amount,
                (_, "売掛金") => -amount,
                _ => 0,
            }
        })
        .sum()
}

#[tokio::test]
async fn a_deposit_and_its_periods_fees_clear_the_receivable_in_the_journal_files() {
    let h = quiet_desk("journal_deposits").await;
    let sim = h.embedded.simulator();
    card_contract(&h).await;
    // May: 15,000 captured; paid 15 June less 3.6 % (540) and the transfer fee (330).
    sim.set_time(jst(2030, 5, 10, 10));
    captured_order(&h, "JRNL_A", 10_000).await;
    sim.set_time(jst(2030, 5, 20, 10));
    captured_order(&h, "JRNL_B", 5_000).await;
    sim.set_time(jst(2030, 6, 16, 10));
    h.desk
        .record_deposit(DepositInput {
            method: PaymentMethodCode::Card,
            received_on: "2030-06-15".into(),
            amount_yen: 14_130,
        })
        .await
        .unwrap();
    let sales_accounts = AccountingSettings {
        receivable: "売掛金".into(),
        sales: "売上高".into(),
        refunds: "売上値引高".into(),
        freee_tax: "課税売上10%".into(),
        yayoi_tax: "課税売上込10%".into(),
        ..AccountingSettings::default()
    };
    h.desk
        .save_accounting_settings(sales_accounts.clone())
        .await
        .unwrap();

    // A month with a deposit needs the fee and bank accounts, and names them.
    let file = |name: &str| h.dir.path().join(name).display().to_string();
    let refused = h
        .desk
        .export_journal(
            file("june.csv"),
            AccountingFormatCode::Yayoi,
            "2030-06".into(),
        )
        .await
        .unwrap_err();
    keep(&refused);
    assert_eq!(refused.code, "accounting_accounts_missing");
    for name in [
        "決済手数料の勘定科目",
        "弥生の手数料の税区分",
        "入金口座の勘定科目",
    ] {
        assert!(refused.message.ja.contains(name), "{}", refused.message.ja);
    }
    // May's file (no deposit) still needs none of them.
    let may = h
        .desk
        .export_journal(
            file("may.csv"),
            AccountingFormatCode::Moneyforward,
            "2030-05".into(),
        )
        .await
        .unwrap();
    assert_eq!((may.entries, may.notes.len()), (2, 0));

    h.desk
        .save_accounting_settings(AccountingSettings {
            fees: "支払手数料".into(),
            bank: "普通預金".into(),
            yayoi_fee_tax: "非課仕入".into(),
            ..sales_accounts
        })
        .await
        .unwrap();
    let june = h
        .desk
        .export_journal(
            file("june.csv"),
            AccountingFormatCode::Moneyforward,
            "2030-06".into(),
        )
        .await
        .unwrap();
    keep(&june);
    assert_eq!((june.entries, june.notes.len()), (2, 0), "{june:?}");
    let text = String::from_utf8(std::fs::read(file("june.csv")).unwrap()).unwrap();
    assert!(
        text.contains(",2030/06/15,支払手数料,,,,,,870,,売掛金,"),
        "fee = 540 + 330: {text}"
    );
    assert!(
        text.contains(",2030/06/15,普通預金,,,,,,14130,,売掛金,"),
        "{text}"
    );
    assert!(
        text.contains("PayDesk クレジットカード入金 5/1～5/31分"),
        "{text}"
    );
    // May's sales, June's fee and deposit: nothing left owed by the gateway.
    let may_text = String::from_utf8(std::fs::read(file("may.csv")).unwrap()).unwrap();
    assert_eq!(receivable_balance(&may_text) + receivable_balance(&text), 0);

    let yayoi = h
        .desk
        .export_journal(
            file("june-yayoi.csv"),
            AccountingFormatCode::Yayoi,
            "2030-06".into(),
        )
        .await
        .unwrap();
    assert_eq!(yayoi.entries, 2);
    // freee books deposits and fees when the bank line is matched: left out, and said.
    let freee = h
        .desk
        .export_journal(
            file("june-freee.csv"),
            AccountingFormatCode::Freee,
            "2030-06".into(),
        )
        .await
        .unwrap();
    keep(&freee);
    assert_eq!(freee.entries, 0);
    assert_eq!(freee.notes.len(), 1);
    assert!(freee.notes[0].ja.contains("入金 1 件"), "{:?}", freee.notes);
}

#[tokio::test]
async fn an_orders_deposit_check_is_shown_against_its_periods_recorded_deposit() {
    let h = quiet_desk("order_deposit_period").await;
    let sim = h.embedded.simulator();
    sim.set_time(jst(2030, 5, 10, 10));
    let a = captured_order(&h, "ODP_A", 10_000).await;
    // No contract yet: nothing to compare with.
    assert!(h.desk.order_deposit_period(a).await.unwrap().is_none());
    card_contract(&h).await;
    let due = h.desk.order_deposit_period(a).await.unwrap().unwrap();
    keep(&due);
    assert_eq!(
        (
            due.start.as_str(),
            due.end.as_str(),
            due.payment_date.as_str()
        ),
        ("2030-05-01", "2030-05-31", "2030-06-15")
    );
    assert!(due.agrees && due.deposit_received_on.is_none());
    assert!(
        due.message.ja.contains("入金予定日は 2030-06-15"),
        "{:?}",
        due.message
    );
    sim.set_time(jst(2030, 6, 3, 10));
    let c = captured_order(&h, "ODP_C", 3_000).await;

    sim.set_time(jst(2030, 6, 16, 10));
    h.desk
        .record_deposit(DepositInput {
            method: PaymentMethodCode::Card,
            received_on: "2030-06-15".into(),
            amount_yen: 9_310,
        })
        .await
        .unwrap();
    // May's deposit is recorded, the order is not marked: they disagree, and it says so.
    let unmarked = h.desk.order_deposit_period(a).await.unwrap().unwrap();
    assert!(!unmarked.agrees);
    assert_eq!(unmarked.deposit_received_on.as_deref(), Some("2030-06-15"));
    assert!(
        unmarked.message.ja.contains("入金チェックが付いていません"),
        "{:?}",
        unmarked.message
    );
    let mark = |id| {
        h.desk.mark_deposit(
            id,
            DepositCheckInput {
                received_on: "2030-06-15".into(),
                amount_yen: None,
            },
        )
    };
    mark(a).await.unwrap();
    assert!(
        h.desk
            .order_deposit_period(a)
            .await
            .unwrap()
            .unwrap()
            .agrees
    );
    // June's capture marked before June's deposit is recorded: they disagree.
    mark(c).await.unwrap();
    let early = h.desk.order_deposit_period(c).await.unwrap().unwrap();
    keep(&early);
    assert!(!early.agrees);
    assert!(
        early.message.ja.contains("まだ記録されていません"),
        "{:?}",
        early.message
    );
    assert!(
        early.message.en.contains("due 2030-07-15"),
        "{:?}",
        early.message
    );
}

#[tokio::test]
async fn a_typed_deposit_is_corrected_or_withdrawn_and_an_imported_one_is_the_banks() {
    let h = quiet_desk("deposit_corrections").await;
    let sim = h.embedded.simulator();
    card_contract(&h).await;
    sim.set_time(jst(2030, 5, 10, 10));
    captured_order(&h, "CORR_A", 15_000).await;
    sim.set_time(jst(2030, 6, 21, 10));
    // 14,130 expected; typed with two digits swapped.
    let typo = h
        .desk
        .record_deposit(DepositInput {
            method: PaymentMethodCode::Card,
            received_on: "2030-06-15".into(),
            amount_yen: 14_310,
        })
        .await
        .unwrap();
    assert_eq!(typo.difference_yen, Some(180));
    let id = i32::try_from(typo.id).unwrap();
    let fixed = h
        .desk
        .correct_deposit(
            i64::from(id),
            DepositInput {
                method: PaymentMethodCode::Card,
                received_on: "2030-06-15".into(),
                amount_yen: 14_130,
            },
        )
        .await
        .unwrap();
    keep(&fixed);
    assert_eq!((fixed.difference_yen, fixed.corrections), (Some(0), 1));
    assert!(!fixed.imported);
    // A bad correction is refused and changes nothing.
    let refused = h
        .desk
        .correct_deposit(
            typo.id,
            DepositInput {
                method: PaymentMethodCode::Card,
                received_on: "2030-06-15".into(),
                amount_yen: -1,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code, "invalid_amount");

    // A deposit typed by mistake is withdrawn: no longer listed or booked.
    let wrong = h
        .desk
        .record_deposit(DepositInput {
            method: PaymentMethodCode::Paidy,
            received_on: "2030-06-20".into(),
            amount_yen: 2_000,
        })
        .await
        .unwrap();
    h.desk.withdraw_deposit(wrong.id).await.unwrap();
    let listed = h
        .desk
        .reconciliation(ExpectedDepositsQuery {
            from: Some("2030-06-01".into()),
            to: Some("2030-06-30".into()),
        })
        .await
        .unwrap();
    let ids: Vec<i64> = listed.deposits.iter().map(|d| d.id).collect();
    assert_eq!(ids, [typo.id]);
    let again = h.desk.withdraw_deposit(wrong.id).await.unwrap_err();
    assert_eq!(again.code, "deposit_not_found");

    // A line imported from the bank's statement stays as the bank recorded it.
    let text = [
        "日付,摘要,摘要内容,支払い金額,預かり金額,差引残高",
        "2030/06/25,振込,ﾍﾟｲｼﾞｴﾝﾄ(ｶ,,\"1,000\",\"1,000\"",
        "",
    ]
    .join("\r\n");
    let path = h.dir.path().join("statement.csv");
    std::fs::write(&path, text.as_bytes()).unwrap();
    let preview = h
        .desk
        .preview_statement(path.display().to_string())
        .await
        .unwrap();
    h.desk
        .import_statement(path.display().to_string(), preview.token.clone())
        .await
        .unwrap();
    let imported = h
        .desk
        .reconciliation(ExpectedDepositsQuery {
            from: Some("2030-06-25".into()),
            to: Some("2030-06-25".into()),
        })
        .await
        .unwrap()
        .deposits
        .remove(0);
    assert!(imported.imported);
    let refused = h.desk.withdraw_deposit(imported.id).await.unwrap_err();
    keep(&refused);
    assert_eq!(refused.code, "deposit_imported");
    assert!(refused.message.ja.contains("銀行の明細"));
}
