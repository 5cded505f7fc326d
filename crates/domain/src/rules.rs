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
    /// Bulk capture sends at most this many captures at the same time. Measured with
    /// `crates/api/examples/bulk_bench.rs` (50 orders, every 022 answering after 300 ms,
    /// embedded simulator over mutual TLS, release build): 1 → 15.8 s, 2 → 8.0 s,
    /// 4 → 4.1 s, 8 → 2.3 s, 16 → 1.4 s; the time is rounds × latency plus ~15 ms per order.
    /// 10 runs 50 orders in 5 even rounds (~1.6 s), keeping the 3 s target with room for a
    /// slower machine or gateway, with few connections at once: Paygent documents no
    /// per-merchant limit, and its vendor access limit (E002) is backed off anyway.
    pub bulk_capture_concurrency: usize,
    /// The unprocessed list (bulk capture) holds authorized orders for 90 days from payment.
    pub unprocessed_list_window: TimeDelta,
    /// A stored card is "expiring soon" when fewer than 3 months are left (seed).
    pub card_expiry_warning_months: u32,
    /// Authorize-and-capture orders are captured automatically "a few minutes" after the
    /// order; until then a manual capture is refused so the order is not captured twice.
    pub auto_capture_delay: TimeDelta,
    /// The relay connection counts as stalled after this long without an event or heartbeat.
    pub relay_stall_threshold: TimeDelta,
    /// A relay call (catch-up, acknowledgement, status, opening the stream) gives up when
    /// the connection is not made within this.
    pub relay_connect_timeout: TimeDelta,
    /// A relay call gives up when not answered within this (the stream: its head). With
    /// the connect timeout well under `relay_stall_threshold`, so a relay that accepts
    /// and never answers still leaves PayDesk polling 091 within the stall window.
    pub relay_request_timeout: TimeDelta,
    /// The largest answer of one relay call (a page of events) PayDesk reads.
    pub relay_max_answer_bytes: usize,
    /// The longest line of the relay's stream (one event; a notification body is at most
    /// 64 KiB on the relay, a few times that as JSON).
    pub relay_max_line_bytes: usize,
    /// Events PayDesk asks the relay for per catch-up page (each may be 64 KiB).
    pub relay_events_per_page: usize,
    /// Notice ids (pushed records to confirm, ids of a relay gap) checked and fetched by id
    /// with 091 in one round; the rest wait for the next round.
    pub missing_notices_per_round: u32,
    /// Pushed records not yet confirmed whose payment ID PayDesk keeps (to ask 094 if
    /// Paygent no longer has the record); beyond it only their notice id is kept.
    pub unconfirmed_records_kept: usize,
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
    /// A telegram sent less than this long ago may still be carried out by the gateway (the
    /// client gave up after its 35 s timeout, or the app died, while the gateway kept
    /// working). An inquiry that finds nothing done inside this window proves nothing, so
    /// PayDesk only concludes "not applied" after it. Paygent's own calls to the card
    /// companies end within a minute (it answers 2008 when they do not), so two minutes
    /// leave a margin over the 35 s client timeout and that.
    pub in_flight_window: TimeDelta,
    /// How often open journal entries and unfinished bulk runs are settled again in the
    /// background while the app runs.
    pub settlement_recheck_interval: TimeDelta,
    /// The smallest card `payment_amount` the gateway accepts; with `card_max_amount` it is
    /// the card's allowed range, which a subscription renewal must fall in (seed 6-5 ❷).
    pub card_min_amount: Yen,
    /// A renewal authorized within this time after 0:00 (Japan) of its renewal date ran on
    /// time; later (PayDesk was off or asleep) it is marked late and the shop is told.
    pub renewal_on_time_window: TimeDelta,
    /// The same card reminder (expiring soon, expired) goes to one buyer at most once in
    /// this period, automatic or by hand.
    pub reminder_period: TimeDelta,
    /// How long before a renewal date PayDesk checks the stored card's validity with the
    /// gateway (where the contract allows it), so predicted failures show the day before.
    pub card_check_lead: TimeDelta,
    /// A queued e-mail is tried this many times automatically; then it stays failed and
    /// visible until the shop retries or discards it.
    pub mail_max_attempts: u32,
    /// The wait before an automatic retry of a failed e-mail.
    pub mail_retry_delay: TimeDelta,
    /// A mail handed to the SMTP server whose outcome was never recorded (PayDesk stopped
    /// mid-send) counts as "may have been sent" once this long has passed since the
    /// attempt began: it is never sent again automatically. Longer than a slow server's
    /// whole conversation (each of its steps may take the mailer's 20 s timeout).
    pub mail_interrupted_after: TimeDelta,
    /// The largest CSV file PayDesk reads (storefront and subscription imports), in bytes.
    /// 20 MiB holds about 60,000 storefront orders; reading it takes a few hundred MB at
    /// most, where a 300 MB file took 2.5 GB. Checked before reading, and while reading.
    pub max_csv_file_bytes: u64,
    /// The largest certificate, key or CA file PayDesk reads, in bytes. A client
    /// certificate kit is a few KB and a full CA bundle about 250 KB.
    pub max_certificate_file_bytes: u64,
    /// How many changes an import's preview lists as a sample (the counts cover all).
    pub import_preview_sample: usize,
    /// The largest logo or seal image PayDesk reads for the shop's documents, in bytes. A
    /// crisp logo or seal PNG is tens of KB; every document embeds it again.
    pub max_image_file_bytes: u64,
    /// The most orders one document file holds (a list page's selection is at most 500).
    pub max_orders_per_document_file: usize,
    /// The longest buyer detail the shop owner may type (name, kana, an address part), in
    /// characters: well above any real name or address line, and a cap on what is stored.
    pub buyer_text_max_chars: usize,
    /// The most captures and refunds one cell of the sales screen lists when clicked
    /// (its sums always cover all of them; the list says how many are not shown).
    pub sales_movements_shown: usize,
    /// The longest range one sales query (or its cell's list) covers: ten years of days,
    /// a cap on what one request reads.
    pub sales_range_max: TimeDelta,
    /// Yayoi reads an account name (勘定科目) of at most 24 half-width bytes (desktop
    /// 弥生会計; the online edition cuts at 12 characters itself).
    pub yayoi_account_max_bytes: usize,
    /// Yayoi's longest description (摘要) in its import file, in Shift_JIS bytes.
    pub yayoi_description_max_bytes: usize,
    /// A settlement contract pays a period out at most this many months after its closing
    /// day (card companies and Paidy pay within the next month or two).
    pub settlement_pay_months_max: u32,
    /// The highest fee rate a settlement contract may hold, in hundredths of a percent
    /// (20 %): a guard against a rate typed in the wrong unit.
    pub settlement_fee_rate_max_bp: u32,
    /// A deposit received this many days or fewer from a period's payment date is taken
    /// as that period's (banks credit a day or two late around weekends and holidays).
    pub deposit_match_window: TimeDelta,
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
    bulk_capture_concurrency: 10,
    unprocessed_list_window: TimeDelta::days(90),
    card_expiry_warning_months: 3,
    auto_capture_delay: TimeDelta::minutes(5),
    relay_stall_threshold: TimeDelta::minutes(3),
    relay_connect_timeout: TimeDelta::seconds(10),
    relay_request_timeout: TimeDelta::seconds(20),
    relay_max_answer_bytes: 32 << 20,
    relay_max_line_bytes: 512 << 10,
    relay_events_per_page: 100,
    missing_notices_per_round: 1_000,
    unconfirmed_records_kept: 100_000,
    difference_inquiry_interval: TimeDelta::seconds(60),
    busy_backoff_initial: TimeDelta::seconds(30),
    busy_backoff_max: TimeDelta::minutes(5),
    not_sent_retry_delay: TimeDelta::seconds(10),
    max_automatic_retries: 5,
    in_flight_window: TimeDelta::minutes(2),
    settlement_recheck_interval: TimeDelta::seconds(20),
    card_min_amount: Yen(1),
    renewal_on_time_window: TimeDelta::hours(1),
    reminder_period: TimeDelta::days(30),
    card_check_lead: TimeDelta::days(1),
    mail_max_attempts: 5,
    mail_retry_delay: TimeDelta::minutes(10),
    mail_interrupted_after: TimeDelta::minutes(5),
    max_csv_file_bytes: 20 * 1024 * 1024,
    max_certificate_file_bytes: 1024 * 1024,
    buyer_text_max_chars: 200,
    import_preview_sample: 20,
    max_image_file_bytes: 2 * 1024 * 1024,
    max_orders_per_document_file: 500,
    sales_movements_shown: 500,
    sales_range_max: TimeDelta::days(3_660),
    yayoi_account_max_bytes: 24,
    yayoi_description_max_bytes: 64,
    settlement_pay_months_max: 3,
    settlement_fee_rate_max_bp: 2_000,
    deposit_match_window: TimeDelta::days(5),
};

impl Default for Rules {
    fn default() -> Rules {
        RULES
    }
}
