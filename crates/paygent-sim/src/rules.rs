//! Every gateway rule the simulator models, in one table.
//!
//! No deadline, limit or delay appears as a literal anywhere else in this crate: code reads
//! it from a [`GatewayRules`]. The values model Paygent as described in
//! `/work/shared/paygent-protocol.md` and the seed documents, independently of PayDesk's own
//! rules (so a property test can compare the two).

use chrono::Duration;

/// Where the card capture-cancel window (40 → 41) starts (§9: "60 days from auth or capture
/// date depending on contract").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureCancelWindowStart {
    /// Counted from the authorization.
    Authorization,
    /// Counted from the capture.
    Capture,
}

/// The gateway's rules. Deadlines are exact multiples of 24 hours counted from the event
/// (§11 Q1): a deadline has passed when `now >= event + window`.
#[derive(Debug, Clone)]
pub struct GatewayRules {
    /// A card authorization expires this long after it was granted (20 → 33).
    pub card_authorization_validity: Duration,
    /// A card capture can be cancelled for this long (40 → 41).
    pub card_capture_cancel_window: Duration,
    /// Where the capture-cancel window starts.
    pub card_capture_cancel_window_start: CaptureCancelWindowStart,
    /// A card payment left in status 10 after an input error lapses to 11 after this long.
    pub card_input_error_lapse: Duration,
    /// How many 020 re-authorizations a payment in status 10 may receive (beyond → 2001/P903).
    pub card_reauthorization_limit: u32,
    /// The storefront cart's "authorize and capture" mode: the cart authorizes and sends
    /// the capture (022 / 341) itself this long after the order (seed 000: "a few
    /// minutes"). This is the cart's behaviour, not the gateway's: a 020 with
    /// `sales_mode=1` is captured at once (§4.2, §5.3).
    pub cart_capture_delay: Duration,
    /// A Paidy authorization can be captured for this long (20 → 33).
    pub paidy_capture_window: Duration,
    /// A captured Paidy payment can be refunded for this long (40 → 41).
    pub paidy_refund_window: Duration,
    /// A Paidy operation parked by a Paidy timeout (24005, status 30/31/42) is finished by
    /// Paygent's polling of Paidy this long later, with success (§4.9; the delay and the
    /// outcome are not documented, §11 Q3: a failure is made through the control API).
    pub paidy_processing_resolution: Duration,
    /// A card authorization cancel left in 31 by a processing error is retried by Paygent
    /// itself (§5.2 "Paygent retries") and ends in 32 this long later (§11 Q3). Card 30,
    /// 42 and 50 are finished only by the shop's retry (022 / 023, §5.3).
    pub card_cancel_retry_resolution: Duration,
    /// An EMV 3-D Secure authentication not finished within this is abandoned: Paygent
    /// answers 31013 (§4.6, 30 minutes).
    pub three_d_secure_timeout: Duration,
    /// The largest Paidy order.
    pub paidy_amount_limit: i64,
    /// The largest card amount (`payment_amount` has 7 digits).
    pub card_amount_limit: i64,
    /// Notification records are purged this long after they were created.
    pub notification_retention: Duration,
    /// Consecutive failed pushes after which pushing is suspended.
    pub notification_failure_limit: u32,
    /// How long pushing stays suspended.
    pub notification_suspension: Duration,
    /// The wait between two push attempts of the same record (UNCONFIRMED at Paygent).
    pub notification_retry_interval: Duration,
    /// The largest request body, in bytes.
    pub max_telegram_bytes: usize,
    /// Stored cards per customer.
    pub stored_cards_per_customer: usize,
    /// The only accepted `telegram_version`.
    pub telegram_version: &'static str,
    /// How long a "timeout" fault holds a request before closing the connection.
    pub fault_timeout_hold: std::time::Duration,
    /// How long a push waits for the merchant's answer.
    pub notification_push_timeout: std::time::Duration,
}

impl Default for GatewayRules {
    fn default() -> Self {
        GatewayRules {
            card_authorization_validity: Duration::days(60),
            card_capture_cancel_window: Duration::days(60),
            card_capture_cancel_window_start: CaptureCancelWindowStart::Capture,
            card_input_error_lapse: Duration::days(30),
            card_reauthorization_limit: 3,
            cart_capture_delay: Duration::minutes(3),
            paidy_capture_window: Duration::days(90),
            paidy_refund_window: Duration::days(90),
            paidy_processing_resolution: Duration::minutes(10),
            card_cancel_retry_resolution: Duration::minutes(10),
            three_d_secure_timeout: Duration::minutes(30),
            paidy_amount_limit: 300_000,
            card_amount_limit: 9_999_999,
            notification_retention: Duration::days(7),
            notification_failure_limit: 5,
            notification_suspension: Duration::minutes(15),
            notification_retry_interval: Duration::minutes(1),
            max_telegram_bytes: 102_400,
            stored_cards_per_customer: 10,
            telegram_version: "1.0",
            fault_timeout_hold: std::time::Duration::from_secs(120),
            notification_push_timeout: std::time::Duration::from_secs(10),
        }
    }
}
