//! Expected deposits (issue 21, point 2): settlement periods from the contract's closing
//! and payment days, and the expected deposit; a contract with no fee rate says so.

use chrono::NaiveDate;
use domain::deposits::{
    Contract, ContractField, Cycle, SettlementPeriod, TransferFeeBorneBy, expected, fee_rate_text,
    parse_fee_rate, period_of, periods_overlapping,
};
use domain::{PaymentMethod, Yen};

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, m, day).unwrap_or_default()
}

/// Twice a month: the 15th paid at the month's end, the month's end paid on the 15th after.
fn card() -> Contract {
    Contract {
        method: PaymentMethod::Card,
        cycles: vec![
            Cycle {
                closing_day: 15,
                pay_months_after: 0,
                pay_day: 31,
            },
            Cycle {
                closing_day: 31,
                pay_months_after: 1,
                pay_day: 15,
            },
        ],
        fee_rate_bp: Some(360),
        fee_per_capture: Some(Yen(10)),
        transfer_fee: Some(Yen(330)),
        transfer_fee_borne_by: Some(TransferFeeBorneBy::Shop),
    }
}

fn period(start: NaiveDate, end: NaiveDate, payment_date: NaiveDate) -> SettlementPeriod {
    SettlementPeriod {
        start,
        end,
        payment_date,
    }
}

#[test]
fn a_day_falls_in_the_period_its_next_closing_day_ends() {
    let c = card();
    assert_eq!(period_of(&c, d(1, 1)), period(d(1, 1), d(1, 15), d(1, 31)));
    assert_eq!(period_of(&c, d(1, 15)), period(d(1, 1), d(1, 15), d(1, 31)));
    assert_eq!(
        period_of(&c, d(1, 16)),
        period(d(1, 16), d(1, 31), d(2, 15))
    );
    // A leap February ends on the 29th; April on the 30th.
    assert_eq!(
        period_of(&c, d(2, 20)),
        period(d(2, 16), d(2, 29), d(3, 15))
    );
    assert_eq!(
        period_of(&c, d(4, 30)),
        period(d(4, 16), d(4, 30), d(5, 15))
    );
    // Across the year's end.
    assert_eq!(
        period_of(&c, d(12, 20)),
        period(
            d(12, 16),
            d(12, 31),
            NaiveDate::from_ymd_opt(2025, 1, 15).unwrap_or_default()
        )
    );
    assert_eq!(
        periods_overlapping(&c, d(1, 10), d(2, 20)),
        [
            period(d(1, 1), d(1, 15), d(1, 31)),
            period(d(1, 16), d(1, 31), d(2, 15)),
            period(d(2, 1), d(2, 15), d(2, 29)),
            period(d(2, 16), d(2, 29), d(3, 15)),
        ]
    );
    // Once a month, paid on the 10th two months later.
    let paidy = Contract {
        method: PaymentMethod::Paidy,
        cycles: vec![Cycle {
            closing_day: 31,
            pay_months_after: 2,
            pay_day: 10,
        }],
        ..card()
    };
    assert_eq!(
        period_of(&paidy, d(3, 5)),
        period(d(3, 1), d(3, 31), d(5, 10))
    );
}

#[test]
fn the_expected_deposit_is_captures_less_refunds_fees_and_the_transfer_fee() {
    let c = card();
    let p = period_of(&c, d(1, 5));
    let e = expected(&c, p, Yen(10_000), 3, Yen(1_000), 1).unwrap_or_else(|m| panic!("{m:?}"));
    // 3.6 % of 10,000 = 360, plus 3 × 10.
    assert_eq!(e.fee, Yen(390));
    assert_eq!(e.transfer_fee, Yen(330));
    assert_eq!(e.amount, Yen(10_000 - 1_000 - 390 - 330));
    // Rounded down once per period: 3.6 % of 999 = 35.964.
    let e = expected(&c, p, Yen(999), 1, Yen(0), 0).unwrap_or_else(|m| panic!("{m:?}"));
    assert_eq!(e.fee, Yen(35 + 10));
    // The gateway bears the transfer fee: nothing more comes off.
    let gateway = Contract {
        transfer_fee_borne_by: Some(TransferFeeBorneBy::Gateway),
        ..card()
    };
    let e = expected(&gateway, p, Yen(10_000), 3, Yen(0), 0).unwrap_or_else(|m| panic!("{m:?}"));
    assert_eq!(e.amount, Yen(10_000 - 390));
    // Refunds beyond the period's sales: owed to the gateway, no transfer.
    let e = expected(&c, p, Yen(0), 0, Yen(2_000), 1).unwrap_or_else(|m| panic!("{m:?}"));
    assert_eq!((e.transfer_fee, e.amount), (Yen(0), Yen(-2_000)));
}

#[test]
fn a_contract_with_no_fee_rate_says_what_is_missing_instead_of_a_figure() {
    let c = Contract {
        fee_rate_bp: None,
        transfer_fee_borne_by: None,
        ..card()
    };
    let p = period_of(&c, d(1, 5));
    assert_eq!(
        expected(&c, p, Yen(10_000), 3, Yen(0), 0),
        Err(vec![
            ContractField::FeeRate,
            ContractField::TransferFeeBorneBy
        ])
    );
    let empty = Contract {
        cycles: vec![],
        ..card()
    };
    assert_eq!(empty.missing(), [ContractField::Cycles]);
    // A 15th paid on the 10th of the same month is not a cycle.
    let backwards = Contract {
        cycles: vec![Cycle {
            closing_day: 15,
            pay_months_after: 0,
            pay_day: 10,
        }],
        ..card()
    };
    assert_eq!(backwards.missing(), [ContractField::Cycles]);
    let too_high = Contract {
        fee_rate_bp: Some(3_600),
        ..card()
    };
    assert_eq!(too_high.missing(), [ContractField::FeeRate]);
}

#[test]
fn fee_rates_are_typed_as_percentages() {
    assert_eq!(parse_fee_rate("3.6"), Some(360));
    assert_eq!(parse_fee_rate(" 3.25% "), Some(325));
    assert_eq!(parse_fee_rate("4"), Some(400));
    assert_eq!(parse_fee_rate("3.255"), None);
    assert_eq!(parse_fee_rate(""), None);
    assert_eq!(parse_fee_rate("3,6"), None);
    assert_eq!(parse_fee_rate("-1"), None);
    assert_eq!(fee_rate_text(360), "3.6");
    assert_eq!(fee_rate_text(325), "3.25");
    assert_eq!(fee_rate_text(400), "4");
    assert_eq!(fee_rate_text(305), "3.05");
}

#[test]
fn a_deposit_is_matched_to_the_nearest_payment_date_within_the_window() {
    use domain::deposits::match_period;
    let c = card();
    let periods = periods_overlapping(&c, d(1, 1), d(2, 29));
    // Paid 31 January, 15 February, 29 February, 15 March.
    assert_eq!(match_period(&periods, d(2, 1)), Some(0));
    assert_eq!(match_period(&periods, d(2, 16)), Some(1));
    assert_eq!(match_period(&periods, d(3, 2)), Some(2));
    // Ten days from any payment date: listed unmatched, never dropped.
    assert_eq!(match_period(&periods, d(2, 7)), None);
}

#[test]
fn the_orders_after_closing_explain_a_difference_when_they_add_up_to_it() {
    use domain::deposits::explain;
    // A refund of 1,300 after the closing day came off this deposit.
    assert_eq!(explain(-1_300, &[-1_300]), Some(vec![0]));
    // A capture and a refund after closing, together.
    assert_eq!(explain(2_000, &[3_000, -1_000]), Some(vec![0, 1]));
    // One of several.
    assert_eq!(explain(-500, &[4_000, -500, 700]), Some(vec![1]));
    // Nothing adds up: a fee change, or something outside PayDesk.
    assert_eq!(explain(-36, &[4_000]), None);
    assert_eq!(explain(0, &[4_000]), Some(vec![]));
}
