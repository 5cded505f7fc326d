//! Issue 15, points 10 and 11, where the logic lives: the order list's payment-method and
//! order-date filters (Japan days over UTC times) and sorts, the bulk-capture list by
//! deadline, and failed renewals counted for Home, marked in the subscription list and
//! leading from there to the four choices. Against the real simulator on its own clock.

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use serde_json::json;

use api::dto::bulk::UnprocessedQuery;
use api::dto::subscriptions::{
    FailedRenewalChoiceCode, FailedRenewalChoiceInput, SubscriptionQuery,
};
use api::dto::{OrderQuery, OrderSortCode, PaymentMethodCode};

use crate::harness::{Harness, keep};

/// A Japan wall-clock time.
fn jst(y: i32, m: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    FixedOffset::east_opt(9 * 3600)
        .unwrap()
        .with_ymd_and_hms(y, m, d, h, mi, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// The order numbers of one page.
async fn numbers(h: &Harness, query: OrderQuery) -> Vec<String> {
    let page = h.desk.list_orders(query).await.unwrap();
    keep(&page);
    page.items.into_iter().map(|o| o.order_number).collect()
}

#[tokio::test]
async fn issue15_the_order_list_filters_by_method_and_japan_days_and_sorts() {
    let h = Harness::quiet("lists_filters").await;
    let sim = h.embedded.simulator();
    // Around midnight in Japan: 23:30 on 1 March is still 1 March, 00:30 on 2 March is
    // already 2 March, though both are 1 March in UTC.
    sim.set_time(jst(2030, 3, 1, 23, 30));
    h.card_checkout("F_CARD_0301", 5_000, "authorize_only", false)
        .await;
    sim.set_time(jst(2030, 3, 2, 0, 30));
    h.paidy_checkout("F_PAIDY_0302", 3_000).await;
    sim.set_time(jst(2030, 3, 3, 12, 0));
    h.card_checkout("F_CARD_0303", 9_000, "authorize_only", false)
        .await;
    h.sync().await;
    let all = |sort, method, from: Option<&str>, to: Option<&str>| OrderQuery {
        list: None,
        sort,
        method,
        ordered_from: from.map(str::to_owned),
        ordered_to: to.map(str::to_owned),
        ..OrderQuery::default()
    };

    assert_eq!(
        numbers(&h, all(None, None, None, None)).await,
        ["F_CARD_0303", "F_PAIDY_0302", "F_CARD_0301"],
        "newest first by default"
    );
    // A Japan day, both ends included.
    assert_eq!(
        numbers(&h, all(None, None, Some("2030-03-02"), Some("2030-03-02"))).await,
        ["F_PAIDY_0302"]
    );
    assert_eq!(
        numbers(&h, all(None, None, None, Some("2030-03-01"))).await,
        ["F_CARD_0301"]
    );
    assert_eq!(
        numbers(&h, all(None, None, Some("2030-03-02"), None)).await,
        ["F_CARD_0303", "F_PAIDY_0302"]
    );
    // Payment method.
    assert_eq!(
        numbers(&h, all(None, Some(PaymentMethodCode::Card), None, None)).await,
        ["F_CARD_0303", "F_CARD_0301"]
    );
    // Sorts.
    assert_eq!(
        numbers(&h, all(Some(OrderSortCode::Oldest), None, None, None)).await,
        ["F_CARD_0301", "F_PAIDY_0302", "F_CARD_0303"]
    );
    assert_eq!(
        numbers(&h, all(Some(OrderSortCode::AmountHigh), None, None, None)).await,
        ["F_CARD_0303", "F_CARD_0301", "F_PAIDY_0302"]
    );
    assert_eq!(
        numbers(&h, all(Some(OrderSortCode::AmountLow), None, None, None)).await,
        ["F_PAIDY_0302", "F_CARD_0301", "F_CARD_0303"]
    );
    // Deadlines from the rules table: cards 60 days from authorization, Paidy 90 days, so
    // the Paidy order placed in between comes last.
    assert_eq!(
        numbers(&h, all(Some(OrderSortCode::Deadline), None, None, None)).await,
        ["F_CARD_0301", "F_CARD_0303", "F_PAIDY_0302"]
    );
    // All of it at once: cards from 2 March, highest first.
    assert_eq!(
        numbers(
            &h,
            all(
                Some(OrderSortCode::AmountHigh),
                Some(PaymentMethodCode::Card),
                Some("2030-03-02"),
                Some("2030-03-31")
            )
        )
        .await,
        ["F_CARD_0303"]
    );

    // Bad dates get a plain answer in both languages.
    let e = h
        .desk
        .list_orders(all(None, None, Some("2030-02-30"), None))
        .await
        .unwrap_err();
    assert_eq!(e.code, "invalid_date");
    assert!(
        e.message.ja.contains("2030-02-30") && e.message.en.contains("start date"),
        "{e:?}"
    );
    let e = h
        .desk
        .list_orders(all(None, None, Some("2030-03-03"), Some("2030-03-01")))
        .await
        .unwrap_err();
    assert_eq!(e.code, "date_range_reversed");
    assert!(e.message.ja.contains("開始日"), "{e:?}");
}

#[tokio::test]
async fn issue15_the_bulk_capture_list_puts_the_most_urgent_deadline_first() {
    let h = Harness::quiet("lists_bulk").await;
    let sim = h.embedded.simulator();
    // Paidy has 90 days to capture, a card 60: the Paidy order of day 0 is due on day 90,
    // the card order of day 10 on day 70, the card order of day 40 on day 100.
    let day0 = jst(2030, 1, 1, 10, 0);
    sim.set_time(day0);
    h.paidy_checkout("U_PAIDY_DAY00", 2_000).await;
    sim.set_time(day0 + chrono::Duration::days(10));
    h.card_checkout("U_CARD_DAY10", 2_000, "authorize_only", false)
        .await;
    sim.set_time(day0 + chrono::Duration::days(40));
    h.card_checkout("U_CARD_DAY40", 2_000, "authorize_only", false)
        .await;
    sim.set_time(day0 + chrono::Duration::days(45));
    h.sync().await;

    let page = h
        .desk
        .bulk_unprocessed(UnprocessedQuery::default())
        .await
        .unwrap();
    keep(&page);
    let listed: Vec<&str> = page
        .items
        .iter()
        .map(|r| r.order.order_number.as_str())
        .collect();
    assert_eq!(listed, ["U_CARD_DAY10", "U_PAIDY_DAY00", "U_CARD_DAY40"]);
    // "Select all" takes the most urgent first too (a run holds at most 50).
    let all = h
        .desk
        .bulk_select_all(UnprocessedQuery::default())
        .await
        .unwrap();
    assert_eq!(
        all.order_ids,
        page.items.iter().map(|r| r.order.id).collect::<Vec<_>>()
    );

    // Past its deadline (day 75) the card of day 10 cannot be captured any more: it moves
    // behind the ones that still can.
    sim.set_time(day0 + chrono::Duration::days(75));
    let page = h
        .desk
        .bulk_unprocessed(UnprocessedQuery::default())
        .await
        .unwrap();
    let listed: Vec<&str> = page
        .items
        .iter()
        .map(|r| r.order.order_number.as_str())
        .collect();
    assert_eq!(listed, ["U_PAIDY_DAY00", "U_CARD_DAY40", "U_CARD_DAY10"]);
}

/// Registers a stored card at the simulator (what the buyer's first purchase did).
async fn stored_card(h: &Harness, customer: &str, expiry: &str) -> String {
    let answer = h
        .control(
            "POST",
            "/control/stored-cards",
            json!({"merchant_id": demo::DEMO_MERCHANT_ID, "customer_id": customer,
                   "card_number": "4900000000000000", "expiry": expiry, "holder": "HANAKO YAMADA"}),
        )
        .await;
    answer["customer_card_id"].as_str().unwrap().to_owned()
}

async fn choose(h: &Harness, order: i64, kind: FailedRenewalChoiceCode, method: Option<&str>) {
    let panel = h
        .desk
        .choose_failed_renewal(
            order,
            FailedRenewalChoiceInput {
                kind,
                payment_method: method.map(str::to_owned),
                subject: None,
                body: None,
            },
        )
        .await
        .unwrap();
    keep(&panel);
}

/// Home's count and the oldest failed renewal's order; the subscription list's marker.
async fn waiting(h: &Harness) -> (u32, Option<i64>, Vec<Option<i64>>) {
    let home = h.desk.home_summary().await.unwrap();
    keep(&home);
    let list = h
        .desk
        .list_subscriptions(SubscriptionQuery {
            include_ended: true,
            ..SubscriptionQuery::default()
        })
        .await
        .unwrap();
    keep(&list);
    let mut marks: Vec<(String, Option<i64>)> = list
        .items
        .iter()
        .map(|s| {
            (
                s.customer_id.clone(),
                s.failed_renewal.as_ref().map(|m| m.order_id),
            )
        })
        .collect();
    marks.sort();
    (
        home.failed_renewals,
        home.oldest_failed_renewal_order,
        marks.into_iter().map(|(_, m)| m).collect(),
    )
}

#[tokio::test]
async fn issue15_failed_renewals_are_counted_on_home_and_marked_until_a_choice_stands() {
    let h = Harness::quiet("lists_failed").await;
    let sim = h.embedded.simulator();
    sim.set_time(jst(2030, 7, 1, 0, 0));
    // Two buyers whose cards ended in June: both renewals of 1 July fail with P010; a
    // third buyer's card is valid and renews.
    let a = stored_card(&h, "CUST_A", "0630").await;
    let b = stored_card(&h, "CUST_B", "0630").await;
    let c = stored_card(&h, "CUST_C", "1239").await;
    let path = h.dir.path().join("subscriptions.csv");
    std::fs::write(
        &path,
        format!(
            "customer_id,customer_card_id,buyer_name,buyer_email,cycle,amount,next_renewal_date\n\
             CUST_A,{a},青木 一郎,a@example.jp,1m,3300,2030-07-01\n\
             CUST_B,{b},馬場 花子,b@example.jp,1m,4400,2030-07-01\n\
             CUST_C,{c},千葉 健,c@example.jp,1m,5500,2030-07-01\n"
        ),
    )
    .unwrap();
    h.desk
        .import_subscriptions_csv(path.display().to_string(), false)
        .await
        .unwrap();
    let all = h
        .desk
        .list_subscriptions(SubscriptionQuery::default())
        .await
        .unwrap();
    for s in &all.items {
        h.desk.refresh_card(s.id).await.unwrap();
    }
    sim.set_time(jst(2030, 7, 1, 0, 0) + chrono::Duration::seconds(30));
    let run = h.desk.subscriptions_tick().await;
    keep(&run);
    let failed: Vec<i64> = run
        .outcomes
        .iter()
        .filter(|o| o.outcome == "failed")
        .filter_map(|o| o.order_id)
        .collect();
    assert_eq!(failed.len(), 2, "{run:?}");
    let order_of = |customer: &str| {
        let name = if customer == "CUST_A" {
            "青木 一郎"
        } else {
            "馬場 花子"
        };
        run.outcomes
            .iter()
            .find(|o| o.buyer_name == name)
            .and_then(|o| o.order_id)
            .unwrap()
    };
    let (order_a, order_b) = (order_of("CUST_A"), order_of("CUST_B"));

    // Home counts both, and names the oldest; the list marks A and B, not C.
    let (count, oldest, marks) = waiting(&h).await;
    assert_eq!(count, 2);
    assert!(
        oldest == Some(order_a) || oldest == Some(order_b),
        "{oldest:?}"
    );
    assert_eq!(marks, [Some(order_a), Some(order_b), None]);
    // The marker's order is the one whose panel has the four choices, and the panel
    // leads on to the other failure.
    let panel = h.desk.failed_renewal(order_a).await.unwrap().unwrap();
    keep(&panel);
    assert_eq!(panel.choices.len(), 4);
    assert!(panel.choices.iter().all(|c| c.enabled));
    assert_eq!(panel.waiting, 2);
    let next = panel.next_waiting_order.unwrap();
    assert!(next == order_b || next == order_a);
    assert_ne!(
        h.desk
            .failed_renewal(order_a)
            .await
            .unwrap()
            .unwrap()
            .next_waiting_order,
        h.desk
            .failed_renewal(order_b)
            .await
            .unwrap()
            .unwrap()
            .next_waiting_order,
        "each leads to the other"
    );

    // Asking the buyer with no SMTP set up decides nothing yet: the mail was not sent.
    choose(
        &h,
        order_a,
        FailedRenewalChoiceCode::AskBuyerToUpdateCard,
        None,
    )
    .await;
    assert_eq!(waiting(&h).await.0, 2);
    // Switching A to a bank transfer decides it; undoing the switch brings it back.
    choose(
        &h,
        order_a,
        FailedRenewalChoiceCode::SwitchPaymentMethod,
        Some("銀行振込"),
    )
    .await;
    assert_eq!(
        waiting(&h).await,
        (1, Some(order_b), vec![None, Some(order_b), None])
    );
    h.desk
        .undo_failed_renewal_choice(order_a, FailedRenewalChoiceCode::SwitchPaymentMethod)
        .await
        .unwrap();
    assert_eq!(waiting(&h).await.0, 2);
    // Cancelling A's order, and ending B's subscription, decide both.
    choose(&h, order_a, FailedRenewalChoiceCode::CancelOrder, None).await;
    choose(&h, order_b, FailedRenewalChoiceCode::EndSubscription, None).await;
    assert_eq!(waiting(&h).await, (0, None, vec![None, None, None]));
    let panel = h.desk.failed_renewal(order_b).await.unwrap().unwrap();
    assert_eq!((panel.waiting, panel.next_waiting_order), (0, None));
    // Taking the end back reopens the question.
    h.desk
        .undo_failed_renewal_choice(order_b, FailedRenewalChoiceCode::EndSubscription)
        .await
        .unwrap();
    assert_eq!(
        waiting(&h).await,
        (1, Some(order_b), vec![None, Some(order_b), None])
    );
}
