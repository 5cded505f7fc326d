//! The one rules table: every deadline and limit PayDesk enforces.
//!
//! Layout: [`Rules`] names each value with the reason it exists; [`RULES`] is the table the
//! app uses. Nothing else in the workspace writes a deadline or limit as a literal: a tidy
//! test (`tests/it/tidy.rs`) greps the other crates for suspicious numbers.

use chrono::TimeDelta;
use paygent_codec::Yen;

/// Every deadline and limit, as named values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// A card authorization is valid for 60 days; then Paygent moves it to 33 (authorization
    /// expired) and the sale lapses. This is the card capture deadline (§5.2, §9).
    pub card_authorization_validity: TimeDelta,
    /// A captured card payment can be refunded (023 / 029) for 60 days; then Paygent moves it
    /// to 41. Counted from the capture (the contract may count from the authorization; the
    /// later start is used so PayDesk never refuses what the gateway would accept).
    pub card_refund_window: TimeDelta,
    /// Paidy through Paygent: capture within 90 days of the order (seed, §4.9).
    pub paidy_capture_window: TimeDelta,
    /// Paidy through Paygent: refunds within 90 days of the capture (seed, §4.9).
    pub paidy_refund_window: TimeDelta,
    /// Paidy accepts at most 300,000 yen per order (seed).
    pub paidy_max_amount: Yen,
    /// The card `payment_amount` field holds at most 7 digits (§4.2).
    pub card_max_amount: Yen,
    /// Orders whose deadline is this close are flagged and counted on the home screen.
    pub deadline_warning: TimeDelta,
    /// Bulk capture sends at most 50 orders per run (seed).
    pub bulk_capture_max_orders: usize,
    /// The bulk-capture operation log keeps the last 100 runs (seed).
    pub operation_log_runs: usize,
    /// The unprocessed list (bulk capture) holds authorized orders for 90 days from payment.
    pub unprocessed_list_window: TimeDelta,
    /// A stored card is "expiring soon" when fewer than 3 months are left (seed).
    pub card_expiry_warning_months: u32,
    /// Authorize-and-capture orders are captured automatically "a few minutes" after the
    /// order; until then a manual capture is refused so the order is not captured twice.
    pub auto_capture_delay: TimeDelta,
    /// The relay connection counts as stalled after this long without an event or heartbeat.
    pub relay_stall_threshold: TimeDelta,
    /// How often PayDesk polls 091 (difference inquiry) when it polls.
    pub difference_inquiry_interval: TimeDelta,
    /// First wait after a "busy" answer (9004 concurrent 091, 9005 DB lock, E002 vendor
    /// access limit); doubled on each further attempt.
    pub busy_backoff_initial: TimeDelta,
    /// The longest wait between busy retries.
    pub busy_backoff_max: TimeDelta,
    /// Wait before resending a telegram that provably never reached the gateway.
    pub not_sent_retry_delay: TimeDelta,
    /// Automatic retries of one telegram before PayDesk gives up and asks the shop owner.
    pub max_automatic_retries: u32,
}

/// The rules PayDesk runs with.
pub const RULES: Rules = Rules {
    card_authorization_validity: TimeDelta::days(60),
    card_refund_window: TimeDelta::days(60),
    paidy_capture_window: TimeDelta::days(90),
    paidy_refund_window: TimeDelta::days(90),
    paidy_max_amount: Yen(300_000),
    card_max_amount: Yen(9_999_999),
    deadline_warning: TimeDelta::days(7),
    bulk_capture_max_orders: 50,
    operation_log_runs: 100,
    unprocessed_list_window: TimeDelta::days(90),
    card_expiry_warning_months: 3,
    auto_capture_delay: TimeDelta::minutes(5),
    relay_stall_threshold: TimeDelta::minutes(3),
    difference_inquiry_interval: TimeDelta::seconds(60),
    busy_backoff_initial: TimeDelta::seconds(30),
    busy_backoff_max: TimeDelta::minutes(5),
    not_sent_retry_delay: TimeDelta::seconds(10),
    max_automatic_retries: 5,
};

impl Default for Rules {
    fn default() -> Rules {
        RULES
    }
}
