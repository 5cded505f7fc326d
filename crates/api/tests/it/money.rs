//! Money in (issue 21) through the API against the real simulator: the sales figures add
//! up to the orders behind them (capture, partial and full refund, an amount change, a
//! cancellation, Paidy), each cell lists them, and the journal export refuses until the
//! accounts it needs are set.

use api::dto::money::{
    AccountingFormatCode, AccountingSettings, CycleDto, DepositInput, ExpectedDepositsQuery,
    MovementKindCode, MovementsQuery, SalesPeriodCode, SalesQuery, SettlementContractInput,
    TransferFeeBorneByCode,
};
use api::dto::{OperationKindCode, PaymentMethodCode};

use crate::harness::{Harness, keep};

#[tokio::test]
async fn sales_add_up_to_the_orders_behind_them_and_export_as_journals() {
    let h = Harness::quiet("money_sales").await;
    let refunded = h
        .card_checkout("MONEY_1", 3000, "authorize_only", false)
        .await;
    let changed = h
        .card_checkout("MONEY_2", 5000, "authorize_only", false)
        .await;
    let cancelled = h
        .card_checkout("MONEY_3", 1200, "authorize_only", false)
        .await;
    let paidy = h.paidy_checkout("MONEY_4", 4000).await;
    h.sync().await;
    let id = |p: &String| {
        let p = p.clone();
        let h = &h;
        async move { h.order_of(&p).await.unwrap().summary.id }
    };
    let (refunded, changed, cancelled, paidy) = (
        id(&refunded).await,
        id(&changed).await,
        id(&cancelled).await,
        id(&paidy).await,
    );
    h.perform_ok(refunded, OperationKindCode::Capture, None)
        .await;
    h.perform_ok(refunded, OperationKindCode::PartialRefund, Some(500))
        .await;
    h.perform_ok(refunded, OperationKindCode::FullRefund, None)
        .await;
    h.perform_ok(changed, OperationKindCode::AmountChange, Some(4200))
        .await;
    h.perform_ok(changed, OperationKindCode::Capture, None)
        .await;
    h.perform_ok(cancelled, OperationKindCode::Cancel, None)
        .await;
    h.perform_ok(paidy, OperationKindCode::Capture, None).await;
    h.perform_ok(paidy, OperationKindCode::PartialRefund, Some(1000))
        .await;
    // The notifications of all that change nothing more.
    h.sync().await;

    let report = h
        .desk
        .sales_report(SalesQuery {
            period: SalesPeriodCode::Month,
            from: None,
            to: None,
        })
        .await
        .unwrap();
    keep(&report);
    assert_eq!(report.rows.len(), 12, "the last twelve months");
    let mut captured = 0;
    let mut refunded_sum = 0;
    for order in [refunded, changed, cancelled, paidy] {
        let o = h.desk.get_order(order).await.unwrap().summary;
        captured += o.captured_yen;
        refunded_sum += o.refunded_yen;
    }
    assert_eq!((captured, refunded_sum), (3000 + 4200 + 4000, 3000 + 1000));
    assert_eq!(report.total.captured_yen, captured);
    assert_eq!(report.total.refunded_yen, refunded_sum);
    assert_eq!(report.total.net_yen, captured - refunded_sum);
    assert_eq!((report.total.captures, report.total.refunds), (3, 3));
    let month = report.rows.last().unwrap();
    assert_eq!(month.card.captured_yen, 7200);
    assert_eq!(month.card.refunded_yen, 3000);
    assert_eq!(month.paidy.captured_yen, 4000);
    assert_eq!(month.paidy.refunded_yen, 1000);

    // The card cell lists exactly the movements that make it.
    let cell = h
        .desk
        .sales_movements(MovementsQuery {
            from: month.start.clone(),
            to: month.end.clone(),
            method: Some(PaymentMethodCode::Card),
        })
        .await
        .unwrap();
    keep(&cell);
    let sum = |kind| -> i64 {
        cell.items
            .iter()
            .filter(|m| m.kind == kind)
            .map(|m| m.amount_yen)
            .sum()
    };
    assert_eq!(sum(MovementKindCode::Capture), month.card.captured_yen);
    assert_eq!(sum(MovementKindCode::Refund), month.card.refunded_yen);
    assert!(cell.items.iter().all(|m| m.order_id != cancelled));
    assert_eq!(cell.total as usize, cell.items.len());

    // Days: today's row holds the same.
    let days = h
        .desk
        .sales_report(SalesQuery {
            period: SalesPeriodCode::Day,
            from: None,
            to: None,
        })
        .await
        .unwrap();
    assert_eq!(days.total, month.total);

    // The export refuses and names what is missing, then writes once it is set.
    let file = h.dir.path().join("yayoi.csv");
    let month_code = &month.start[..7];
    let refused = h
        .desk
        .export_journal(
            file.display().to_string(),
            AccountingFormatCode::Yayoi,
            month_code.to_owned(),
        )
        .await
        .unwrap_err();
    keep(&refused);
    assert_eq!(refused.code, "accounting_accounts_missing");
    for name in ["売掛金", "売上の勘定科目", "返金", "弥生の税区分"] {
        assert!(refused.message.ja.contains(name), "{}", refused.message.ja);
    }
    assert!(!file.exists(), "nothing written");
    h.desk
        .save_accounting_settings(AccountingSettings {
            receivable: " 売掛金 ".into(),
            sales: "売上高".into(),
            refunds: "売上高".into(),
            yayoi_tax: "課税売上込10%".into(),
            ..AccountingSettings::default()
        })
        .await
        .unwrap();
    let done = h
        .desk
        .export_journal(
            file.display().to_string(),
            AccountingFormatCode::Yayoi,
            month_code.to_owned(),
        )
        .await
        .unwrap();
    keep(&done);
    let bytes = std::fs::read(&file).unwrap();
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len() as u32, done.entries);
    let amounts: i64 = lines
        .iter()
        .map(|l| {
            let cols: Vec<&str> = l.split(',').collect();
            let amount: i64 = cols[8].parse().unwrap();
            if cols[4] == "売掛金" {
                amount
            } else {
                -amount
            }
        })
        .sum();
    assert_eq!(amounts, captured - refunded_sum, "{text}");

    // Expected deposits: a card contract without a fee rate names it and shows no figure.
    let card = SettlementContractInput {
        method: PaymentMethodCode::Card,
        cycles: vec![CycleDto {
            closing_day: 31,
            pay_months_after: 1,
            pay_day: 15,
        }],
        fee_rate: String::new(),
        fee_per_capture_yen: Some(0),
        transfer_fee_yen: Some(330),
        transfer_fee_borne_by: Some(TransferFeeBorneByCode::Shop),
    };
    let saved = h.desk.save_settlement_contract(card.clone()).await.unwrap();
    assert_eq!(saved.missing.len(), 1);
    assert!(saved.missing[0].ja.contains("決済手数料率"));
    let bad = h
        .desk
        .save_settlement_contract(SettlementContractInput {
            fee_rate: "3,6".into(),
            ..card.clone()
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code, "invalid_fee_rate");
    let query = ExpectedDepositsQuery {
        from: Some(month.start.clone()),
        to: Some(month.end.clone()),
    };
    let deposits = h.desk.expected_deposits(query.clone()).await.unwrap();
    keep(&deposits);
    let card_deposits = &deposits.methods[0];
    assert!(card_deposits.periods.is_empty());
    assert!(
        card_deposits.missing[0].en.contains("fee rate"),
        "{card_deposits:?}"
    );
    // With the rate: the month's card captures less refunds, 3.6 % and the transfer fee.
    h.desk
        .save_settlement_contract(SettlementContractInput {
            fee_rate: "3.6".into(),
            ..card
        })
        .await
        .unwrap();
    let deposits = h.desk.expected_deposits(query).await.unwrap();
    keep(&deposits);
    let period = &deposits.methods[0].periods[0];
    assert_eq!(period.captured_yen, month.card.captured_yen);
    assert_eq!(period.refunded_yen, month.card.refunded_yen);
    assert_eq!(period.fee_yen, month.card.captured_yen * 360 / 10_000);
    assert_eq!(
        period.expected_yen,
        month.card.captured_yen - month.card.refunded_yen - period.fee_yen - 330
    );
    assert!(period.to_come);
    // Paidy has no contract yet: it says so.
    assert!(!deposits.methods[1].missing.is_empty());

    // Reconciliation: the deposit of that period arrives 36 yen short; nothing moved after
    // the closing day, so no order explains it and the implied fee rate is shown.
    let short = h
        .desk
        .record_deposit(DepositInput {
            method: PaymentMethodCode::Card,
            received_on: period.payment_date.clone(),
            amount_yen: period.expected_yen - 36,
        })
        .await
        .unwrap();
    keep(&short);
    assert_eq!(short.period.as_ref().unwrap().start, period.start);
    assert_eq!(short.difference_yen, Some(-36));
    assert!(!short.explained);
    assert!(short.implied_fee_rate.is_some());
    // A deposit far from any payment date stays listed, unmatched.
    let stray_day = format!("{}-05", &period.start[..7]);
    let stray = h
        .desk
        .record_deposit(DepositInput {
            method: PaymentMethodCode::Card,
            received_on: stray_day.clone(),
            amount_yen: 1000,
        })
        .await
        .unwrap();
    assert!(stray.period.is_none());
    let all = h
        .desk
        .reconciliation(ExpectedDepositsQuery {
            from: Some(stray_day),
            to: Some(period.payment_date.clone()),
        })
        .await
        .unwrap();
    assert_eq!(all.deposits.len(), 2, "both kept");
}
