//! Subscriptions (定期購入) on stored cards: renewal dates in Japan time, which renewals are
//! due (with catch-up after PayDesk was off), why a renewal is not attempted, what the
//! shop's four choices after a failed renewal do, card-expiry states, the card dashboard,
//! the shop's monthly summary and when a buyer may get a reminder.
//!
//! Layout: the value types ([`Subscription`], [`Cycle`], [`CardExpiry`], ...) come first;
//! then renewals ([`renewal_due_at`], [`due_renewals`], [`renewal_check`], [`renewal_key`]);
//! failed renewals ([`failed_renewal`], [`FailedRenewalChoice`]); cards ([`card_state`],
//! [`will_fail_before_next_billing`], [`cards_to_check`], [`card_digest`]); the dashboard
//! ([`dashboard`]); the monthly summary ([`monthly_summary`]); reminders
//! ([`reminder_decision`], [`should_send`], [`SendSchedule`]).
//!
//! Decisions written down here:
//! - **Dates** are Japan calendar dates ([`NaiveDate`]); a renewal falls due at 0:00 Japan
//!   time of its date ([`renewal_due_at`]). Japan has had no daylight saving time since
//!   1951, so the fixed offset UTC+9 ([`crate::history::JAPAN`]) is exact.
//! - **Month-end dates** keep their billing day: a subscription billed on the 31st renews
//!   on Jan 31, Feb 28 (29 in a leap year), Mar 31, Apr 30, ... ([`Cycle::date_after`]).
//! - **Catch-up renews only the latest missed cycle.** When PayDesk was off across several
//!   renewal dates of one subscription, the latest due cycle is authorized (marked late) and
//!   the earlier ones are reported as missed, never charged: a buyer is never charged for
//!   several cycles in one night without the shop deciding, and the shop sees exactly which
//!   cycles were missed so it can create those orders by hand or contact the buyer. With
//!   one missed date (the usual case: PayDesk was off overnight) nothing is skipped.
//! - **A blocked renewal is not consumed**: the cycle stays due and the subscription shows
//!   the reason ([`RenewalBlock`]); once the shop fixes it, the cycle is authorized (late).
//! - **"Expiring soon"** means fewer than `rules.card_expiry_warning_months` months are left.
//!   A card is valid through the last day of its expiry month; the time left is counted from
//!   the end of the given day (that day is already in use). Because the card ends on a
//!   month's last day this is month-granular: with 3 months, a card expiring in June is
//!   expiring soon from April 1 through June 30 and expired from July 1 ([`card_state`]).
//! - **Monthly revenue** normalizes each cycle to a month exactly (a month is 1/12 year; a
//!   year 365.25 days, so a week is 336/1461 of a month), keeps millionths of a yen, and
//!   rounds the total once to the nearest yen (half up) ([`monthly_amount_micro`]).

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, Utc, Weekday};
use paygent_codec::Yen;
use paygent_codec::dictionary::{ErrorContext, Explanation, explain_with_detail};

use crate::history::{JAPAN, Text, yen};
use crate::journal::OperationKey;
use crate::order::{CaptureMode, OrderList, PaymentMethod};
use crate::rules::Rules;

/// The store's key of a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubscriptionId(pub i64);

/// Longest `customer_id` the gateway accepts (alphanumerics and `_`, §9).
pub const CUSTOMER_ID_MAX_LEN: usize = 25;
/// Longest `customer_card_id` the gateway assigns (digits, §9).
pub const CUSTOMER_CARD_ID_MAX_LEN: usize = 18;

/// Whether `s` is a valid `customer_id` (1–25 alphanumerics or `_`).
pub fn valid_customer_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= CUSTOMER_ID_MAX_LEN
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Whether `s` is a valid `customer_card_id` (1–18 digits).
pub fn valid_customer_card_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= CUSTOMER_CARD_ID_MAX_LEN && s.bytes().all(|b| b.is_ascii_digit())
}

/// How often a subscription renews.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cycle {
    /// Every n weeks (1 = weekly).
    Weeks(u32),
    /// Every n months (1 = monthly), on the subscription's billing day.
    Months(u32),
}

impl Cycle {
    /// The longest cycle in weeks PayDesk accepts (a year).
    pub const MAX_WEEKS: u32 = 52;
    /// The longest cycle in months PayDesk accepts (a year).
    pub const MAX_MONTHS: u32 = 12;

    /// A cycle, if its length is 1 up to a year.
    pub fn new_weeks(n: u32) -> Option<Cycle> {
        (1..=Cycle::MAX_WEEKS)
            .contains(&n)
            .then_some(Cycle::Weeks(n))
    }

    /// A cycle, if its length is 1 up to a year.
    pub fn new_months(n: u32) -> Option<Cycle> {
        (1..=Cycle::MAX_MONTHS)
            .contains(&n)
            .then_some(Cycle::Months(n))
    }

    /// The stable code used in the database and CSV files: `1m`, `3m`, `1w`, `2w`.
    pub fn code(self) -> String {
        match self {
            Cycle::Weeks(n) => format!("{n}w"),
            Cycle::Months(n) => format!("{n}m"),
        }
    }

    /// Parses a code (`1m`, `2w`) or a plain word: `monthly`, `weekly`, `毎月`, `毎週`,
    /// `every 2 months`, `every 3 weeks`, `2か月ごと`, `2ヶ月ごと`, `3週間ごと`.
    pub fn parse(s: &str) -> Option<Cycle> {
        let s = s.trim().to_lowercase();
        match s.as_str() {
            "monthly" | "毎月" => return Cycle::new_months(1),
            "weekly" | "毎週" => return Cycle::new_weeks(1),
            _ => {}
        }
        let number = |t: &str| t.trim().parse::<u32>().ok();
        if let Some(n) = s.strip_suffix('m').and_then(number) {
            return Cycle::new_months(n);
        }
        if let Some(n) = s.strip_suffix('w').and_then(number) {
            return Cycle::new_weeks(n);
        }
        if let Some(rest) = s.strip_prefix("every ") {
            let (n, unit) = rest.split_once(' ')?;
            let n = number(n)?;
            return match unit.trim() {
                "month" | "months" => Cycle::new_months(n),
                "week" | "weeks" => Cycle::new_weeks(n),
                _ => None,
            };
        }
        for suffix in ["か月ごと", "ヶ月ごと", "ヵ月ごと", "カ月ごと"] {
            if let Some(n) = s.strip_suffix(suffix).and_then(number) {
                return Cycle::new_months(n);
            }
        }
        if let Some(n) = s.strip_suffix("週間ごと").and_then(number) {
            return Cycle::new_weeks(n);
        }
        None
    }

    /// How the cycle reads on screen.
    pub fn text(self) -> Text {
        match self {
            Cycle::Months(1) => Text::new("毎月", "Monthly"),
            Cycle::Weeks(1) => Text::new("毎週", "Weekly"),
            Cycle::Months(n) => Text::new(format!("{n}か月ごと"), format!("Every {n} months")),
            Cycle::Weeks(n) => Text::new(format!("{n}週間ごと"), format!("Every {n} weeks")),
        }
    }

    /// The renewal date after `date`. Month cycles land on `billing_day`, or on the month's
    /// last day when it is shorter (Jan 31 → Feb 28/29 → Mar 31). `None` only past the end
    /// of the calendar.
    pub fn date_after(self, date: NaiveDate, billing_day: u32) -> Option<NaiveDate> {
        match self {
            Cycle::Weeks(n) => date.checked_add_signed(TimeDelta::weeks(i64::from(n))),
            Cycle::Months(n) => {
                let index = month_index(date) + i64::from(n);
                let (year, month) = from_month_index(index);
                let day = billing_day.clamp(1, days_in_month(year, month));
                NaiveDate::from_ymd_opt(year, month, day)
            }
        }
    }

    /// The cycle's amount as a monthly amount in millionths of a yen (see the module doc).
    pub fn monthly_amount_micro(self, amount: Yen) -> i128 {
        let micro = i128::from(amount.0) * 1_000_000;
        match self {
            Cycle::Months(n) => micro / i128::from(n.max(1)),
            // Weeks per month = 365.25 / 12 / 7 = 1461 / 336.
            Cycle::Weeks(n) => micro * 1461 / (336 * i128::from(n.max(1))),
        }
    }
}

/// `amount` per `cycle` as a monthly amount in millionths of a yen.
pub fn monthly_amount_micro(cycle: Cycle, amount: Yen) -> i128 {
    cycle.monthly_amount_micro(amount)
}

/// Millionths of a yen rounded to the nearest yen, half up.
pub fn round_micro(micro: i128) -> Yen {
    let rounded = if micro >= 0 {
        (micro + 500_000) / 1_000_000
    } else {
        -((-micro + 500_000) / 1_000_000)
    };
    Yen(i64::try_from(rounded).unwrap_or(i64::MAX))
}

/// Year × 12 + month − 1: consecutive months are consecutive numbers.
pub fn month_index(date: NaiveDate) -> i64 {
    i64::from(date.year()) * 12 + i64::from(date.month0())
}

fn from_month_index(index: i64) -> (i32, u32) {
    (
        i32::try_from(index.div_euclid(12)).unwrap_or(i32::MAX),
        index.rem_euclid(12) as u32 + 1,
    )
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|first| first.pred_opt())
        .map_or(28, |last| last.day())
}

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubscriptionStatus {
    /// Renews on its dates.
    Active,
    /// Kept, but not renewed until the shop resumes it.
    Paused,
    /// Ended (定期購入終了); never renews again.
    Ended,
}

impl SubscriptionStatus {
    /// Every status.
    pub const ALL: [SubscriptionStatus; 3] = [
        SubscriptionStatus::Active,
        SubscriptionStatus::Paused,
        SubscriptionStatus::Ended,
    ];

    /// The stable code used in the database, CSV files and at the IPC boundary.
    pub fn code(self) -> &'static str {
        match self {
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::Paused => "paused",
            SubscriptionStatus::Ended => "ended",
        }
    }

    /// The status for a code (also accepts 継続中, 一時停止, 終了).
    pub fn from_code(code: &str) -> Option<SubscriptionStatus> {
        match code.trim() {
            "継続中" => Some(SubscriptionStatus::Active),
            "一時停止" => Some(SubscriptionStatus::Paused),
            "終了" => Some(SubscriptionStatus::Ended),
            c => SubscriptionStatus::ALL
                .into_iter()
                .find(|s| s.code().eq_ignore_ascii_case(c)),
        }
    }
}

/// A stored card's expiry month (the gateway's `card_valid_term`, MMYY).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CardExpiry {
    /// Four-digit year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
}

impl CardExpiry {
    /// An expiry, if the month is 1–12 and the year four digits.
    pub fn new(year: i32, month: u32) -> Option<CardExpiry> {
        ((1..=12).contains(&month) && (2000..=9999).contains(&year))
            .then_some(CardExpiry { year, month })
    }

    /// Parses the gateway's `MMYY` (`1226` = December 2026), `MM/YY`, `YYYY-MM` or
    /// `YYYY/MM`.
    pub fn parse(s: &str) -> Option<CardExpiry> {
        let s = s.trim();
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        let (month, year) = if s.len() == 4 && digits(s) {
            (&s[..2], format!("20{}", &s[2..]))
        } else if let Some((m, y)) = s
            .split_once('/')
            .filter(|(m, y)| m.len() <= 2 && y.len() == 2)
        {
            (m, format!("20{y}"))
        } else if let Some((y, m)) = s
            .split_once('-')
            .or_else(|| s.split_once('/'))
            .filter(|(y, _)| y.len() == 4)
        {
            (m, y.to_owned())
        } else {
            return None;
        };
        if !digits(month) || !digits(&year) {
            return None;
        }
        CardExpiry::new(year.parse().ok()?, month.parse().ok()?)
    }

    /// The gateway's `MMYY`.
    pub fn mmyy(self) -> String {
        format!("{:02}{:02}", self.month, self.year.rem_euclid(100))
    }

    /// `2026-12`, as shown and stored.
    pub fn code(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    /// Year × 12 + month − 1 (see [`month_index`]).
    pub fn month_index(self) -> i64 {
        i64::from(self.year) * 12 + i64::from(self.month) - 1
    }

    /// The last day the card can be used: the last day of its expiry month.
    pub fn last_valid_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, days_in_month(self.year, self.month))
            .unwrap_or(NaiveDate::MAX)
    }
}

/// A subscription on a stored card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Its key.
    pub id: SubscriptionId,
    /// The buyer's member ID at the gateway (`customer_id`), shown in e-mails as 会員ID.
    pub customer_id: String,
    /// The stored card renewals are charged to (`customer_card_id`).
    pub customer_card_id: String,
    /// The buyer's name, for lists and e-mails.
    pub buyer_name: String,
    /// Where reminders go; without it the shop must contact the buyer another way.
    pub buyer_email: Option<String>,
    /// How often it renews.
    pub cycle: Cycle,
    /// The day of month month cycles renew on (1–31; shorter months use their last day).
    pub billing_day: u32,
    /// The amount of each renewal.
    pub amount: Yen,
    /// Fees or shipping are "to be advised" (別途): the amount is not final, so no renewal
    /// is authorized (seed 6-5 ❸).
    pub fees_to_be_advised: bool,
    /// The last day the shop's Paygent merchant contract covers this subscription's
    /// renewals; later renewals are not attempted (seed 6-5 ❹).
    pub contract_end: Option<NaiveDate>,
    /// The next renewal date (a Japan calendar date).
    pub next_renewal_date: NaiveDate,
    /// The cycle number of the next renewal (0 is the first purchase or the first imported
    /// date); with the id it is the renewal's idempotency key.
    pub next_cycle_index: u32,
    /// Active, paused or ended.
    pub status: SubscriptionStatus,
    /// The stored card's expiry as the gateway (027) last reported it; `None` until read.
    pub card_expiry: Option<CardExpiry>,
    /// When the expiry was last read from the gateway.
    pub card_refreshed_at: Option<DateTime<Utc>>,
    /// The capture mode renewals are authorized with: the shop's setting in force (one
    /// setting for normal and subscription orders, seed 1-1), copied here when the
    /// subscription is made and whenever the shop changes it.
    pub capture_mode: CaptureMode,
}

/// What a first purchase paid with a stored card brings to a new subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstPurchase {
    /// The buyer's `customer_id`; empty when the card was not stored.
    pub customer_id: String,
    /// The stored card's `customer_card_id`; empty when the card was not stored.
    pub customer_card_id: String,
    /// The buyer's name.
    pub buyer_name: String,
    /// The buyer's e-mail.
    pub buyer_email: Option<String>,
    /// The order's method.
    pub method: PaymentMethod,
    /// The amount of each renewal.
    pub amount: Yen,
    /// How often it renews.
    pub cycle: Cycle,
    /// When the first purchase was authorized.
    pub purchased_at: DateTime<Utc>,
    /// The card's expiry if the gateway reported it with the purchase.
    pub card_expiry: Option<CardExpiry>,
    /// The shop's capture mode in force.
    pub capture_mode: CaptureMode,
}

/// Why a first purchase cannot start a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotRenewable {
    /// Renewals are charged to stored cards only (seed 1-1: subscriptions are card only).
    NotACard,
    /// The purchase was not paid with a stored card (no valid customer_id /
    /// customer_card_id).
    NoStoredCard,
}

impl NotRenewable {
    /// The message.
    pub fn text(self) -> Text {
        match self {
            NotRenewable::NotACard => Text::new(
                "定期購入はクレジットカード決済のみ対応しています。",
                "Subscriptions can only be paid by credit card.",
            ),
            NotRenewable::NoStoredCard => Text::new(
                "登録済みカード（カードお預かり）で支払われた注文ではないため、定期購入を作成できません。",
                "This order was not paid with a stored card, so it cannot start a subscription.",
            ),
        }
    }
}

impl Subscription {
    /// Whether a renewal computed from `self` would charge `now` (the same subscription
    /// read again) the same: the same status, card, amount, fees flag, date, cycle and
    /// contract end. A renewal decided on a copy the shop has since edited, paused or
    /// moved must not be sent (the edit wins; the next pass decides on the new values). The
    /// buyer's name and e-mail and the card's last read expiry do not change what is
    /// charged.
    pub fn charges_like(&self, now: &Subscription) -> bool {
        self.id == now.id
            && self.status == now.status
            && self.next_renewal_date == now.next_renewal_date
            && self.next_cycle_index == now.next_cycle_index
            && self.amount == now.amount
            && self.fees_to_be_advised == now.fees_to_be_advised
            && self.cycle == now.cycle
            && self.billing_day == now.billing_day
            && self.contract_end == now.contract_end
            && self.customer_id == now.customer_id
            && self.customer_card_id == now.customer_card_id
    }

    /// A subscription started by a first purchase: cycle 0 is the purchase (on its Japan
    /// date), cycle 1 the first renewal one cycle later, on the purchase's day of month.
    pub fn from_first_purchase(
        id: SubscriptionId,
        purchase: &FirstPurchase,
    ) -> Result<Subscription, NotRenewable> {
        if purchase.method != PaymentMethod::Card {
            return Err(NotRenewable::NotACard);
        }
        if !valid_customer_id(&purchase.customer_id)
            || !valid_customer_card_id(&purchase.customer_card_id)
        {
            return Err(NotRenewable::NoStoredCard);
        }
        let first = japan_date(purchase.purchased_at);
        let billing_day = first.day();
        let next = purchase
            .cycle
            .date_after(first, billing_day)
            .unwrap_or(NaiveDate::MAX);
        Ok(Subscription {
            id,
            customer_id: purchase.customer_id.clone(),
            customer_card_id: purchase.customer_card_id.clone(),
            buyer_name: purchase.buyer_name.clone(),
            buyer_email: purchase.buyer_email.clone(),
            cycle: purchase.cycle,
            billing_day,
            amount: purchase.amount,
            fees_to_be_advised: false,
            contract_end: None,
            next_renewal_date: next,
            next_cycle_index: 1,
            status: SubscriptionStatus::Active,
            card_expiry: purchase.card_expiry,
            card_refreshed_at: purchase.card_expiry.map(|_| purchase.purchased_at),
            capture_mode: purchase.capture_mode,
        })
    }

    /// The renewal date after the next one.
    pub fn date_after_next(&self) -> NaiveDate {
        self.cycle
            .date_after(self.next_renewal_date, self.billing_day)
            .unwrap_or(NaiveDate::MAX)
    }
}

/// The Japan calendar date of an instant.
pub fn japan_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&JAPAN).date_naive()
}

/// 0:00 Japan time of `date`, in UTC: when a renewal dated `date` falls due.
pub fn renewal_due_at(date: NaiveDate) -> DateTime<Utc> {
    let offset = TimeDelta::seconds(i64::from(JAPAN.local_minus_utc()));
    (date.and_time(NaiveTime::MIN) - offset).and_utc()
}

/// A renewal cycle that fell due while PayDesk was off and is not charged (see the module
/// doc: catch-up renews only the latest cycle).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MissedCycle {
    /// The cycle number.
    pub cycle_index: u32,
    /// Its renewal date.
    pub renewal_date: NaiveDate,
}

/// A renewal to authorize now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueRenewal {
    /// The subscription.
    pub subscription: SubscriptionId,
    /// The cycle number; with the id it is the idempotency key ([`renewal_key`]).
    pub cycle_index: u32,
    /// The renewal date.
    pub renewal_date: NaiveDate,
    /// 0:00 Japan time of the renewal date.
    pub due_at: DateTime<Utc>,
    /// It runs later than `rules.renewal_on_time_window` after `due_at` (PayDesk was off).
    pub late: bool,
    /// Earlier cycles that fell due while PayDesk was off; they are not charged.
    pub missed: Vec<MissedCycle>,
    /// The subscription's next renewal date once this one is recorded.
    pub following_date: NaiveDate,
}

impl DueRenewal {
    /// What the shop is told about a late renewal (and its missed cycles), if it ran late.
    pub fn late_text(&self, now: DateTime<Utc>) -> Option<Text> {
        if !self.late {
            return None;
        }
        let hours = (now - self.due_at).num_hours();
        let mut text = Text::new(
            format!(
                "{} の継続決済は PayDesk が起動していなかったため、{} 時間遅れて実行しました。",
                self.renewal_date, hours
            ),
            format!(
                "The renewal due on {} ran {} hours late because PayDesk was not running.",
                self.renewal_date, hours
            ),
        );
        if !self.missed.is_empty() {
            let dates: Vec<String> = self
                .missed
                .iter()
                .map(|m| m.renewal_date.to_string())
                .collect();
            let dates = dates.join(", ");
            text.ja.push_str(&format!(
                " それ以前の回（{dates}）は二重請求を避けるため決済していません。必要なら手動で受注を作成してください。"
            ));
            text.en.push_str(&format!(
                " Earlier cycles ({dates}) were not charged, so the buyer is not billed several times at once; create those orders by hand if needed."
            ));
        }
        Some(text)
    }
}

/// The renewals due at `now`: for every active subscription whose next renewal date has
/// begun (0:00 Japan time), the latest due cycle, with the earlier due cycles as missed.
/// Sorted by due time, then subscription.
pub fn due_renewals(subs: &[Subscription], now: DateTime<Utc>, rules: &Rules) -> Vec<DueRenewal> {
    let today = japan_date(now);
    let mut due = Vec::new();
    for sub in subs {
        if sub.status != SubscriptionStatus::Active || sub.next_renewal_date > today {
            continue;
        }
        let mut date = sub.next_renewal_date;
        let mut index = sub.next_cycle_index;
        let mut missed = Vec::new();
        let following = loop {
            let Some(next) = sub.cycle.date_after(date, sub.billing_day) else {
                break NaiveDate::MAX;
            };
            if next > today {
                break next;
            }
            missed.push(MissedCycle {
                cycle_index: index,
                renewal_date: date,
            });
            date = next;
            index += 1;
        };
        let due_at = renewal_due_at(date);
        due.push(DueRenewal {
            subscription: sub.id,
            cycle_index: index,
            renewal_date: date,
            due_at,
            late: now - due_at > rules.renewal_on_time_window,
            missed,
            following_date: following,
        });
    }
    due.sort_by_key(|d| (d.due_at, d.subscription));
    due
}

/// The idempotency key of one renewal: journaled before the authorization is sent, so a
/// cycle is never authorized twice.
pub fn renewal_key(subscription: SubscriptionId, cycle_index: u32) -> OperationKey {
    OperationKey(format!("renewal:{}:{}", subscription.0, cycle_index))
}

/// The order number (`trading_id`, alphanumerics and `_`, at most 25) of one renewal's
/// order: deterministic, so after a timeout the renewal is found with an inquiry by order
/// number instead of being sent again.
pub fn renewal_order_number(subscription: SubscriptionId, cycle_index: u32) -> String {
    format!("S{}_{}", subscription.0, cycle_index)
}

/// The allowed amount range of a payment method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AmountRange {
    /// Smallest allowed amount.
    pub min: Yen,
    /// Largest allowed amount.
    pub max: Yen,
}

impl AmountRange {
    /// The gateway's range for a method (from the rules table).
    pub fn of_method(method: PaymentMethod, rules: &Rules) -> AmountRange {
        match method {
            PaymentMethod::Card => AmountRange {
                min: rules.card_min_amount,
                max: rules.card_max_amount,
            },
            PaymentMethod::Paidy => AmountRange {
                min: rules.card_min_amount,
                max: rules.paidy_max_amount,
            },
        }
    }

    /// The range narrowed by the shop's own conditions (適用条件, seed ⑭).
    pub fn narrowed(self, shop: Option<AmountRange>) -> AmountRange {
        match shop {
            None => self,
            Some(s) => AmountRange {
                min: Yen(self.min.0.max(s.min.0)),
                max: Yen(self.max.0.min(s.max.0)),
            },
        }
    }

    /// Whether `amount` is inside.
    pub fn contains(self, amount: Yen) -> bool {
        (self.min.0..=self.max.0).contains(&amount.0)
    }
}

/// Why a renewal is not attempted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RenewalBlock {
    /// The subscription has ended.
    Ended,
    /// The subscription is paused.
    Paused,
    /// The merchant contract with Paygent ended on this date (seed 6-5 ❹).
    ContractEnded(NaiveDate),
    /// Fees or shipping are "to be advised" (seed 6-5 ❸).
    FeesToBeAdvised,
    /// The amount is outside the payment method's allowed range (seed 6-5 ❷).
    AmountOutOfRange {
        /// The renewal's amount.
        amount: Yen,
        /// The allowed range.
        range: AmountRange,
    },
}

impl RenewalBlock {
    /// The stable code used in the database and at the IPC boundary.
    pub fn code(self) -> &'static str {
        match self {
            RenewalBlock::Ended => "ended",
            RenewalBlock::Paused => "paused",
            RenewalBlock::ContractEnded(_) => "contract_ended",
            RenewalBlock::FeesToBeAdvised => "fees_to_be_advised",
            RenewalBlock::AmountOutOfRange { .. } => "amount_out_of_range",
        }
    }

    /// What the subscription shows.
    pub fn text(self) -> Text {
        match self {
            RenewalBlock::Ended => Text::new(
                "定期購入は終了しているため、継続決済は行いません。",
                "The subscription has ended, so no renewal is authorized.",
            ),
            RenewalBlock::Paused => Text::new(
                "定期購入は一時停止中のため、継続決済は行いません。再開すると決済します。",
                "The subscription is paused, so no renewal is authorized. Resume it to renew.",
            ),
            RenewalBlock::ContractEnded(end) => Text::new(
                format!(
                    "ペイジェントとの加盟店契約が {end} で終了しているため、オーソリを実行しません。契約を確認してください。"
                ),
                format!(
                    "The merchant contract with Paygent ended on {end}, so the renewal is not authorized. Check the contract."
                ),
            ),
            RenewalBlock::FeesToBeAdvised => Text::new(
                "決済手数料または送料が「別途」になっているため、請求金額が確定せずオーソリを実行しません。定期購入の手数料・送料を確定してください。",
                "Fees or shipping are \"to be advised\", so the amount is not final and the renewal is not authorized. Set the subscription's fees and shipping.",
            ),
            RenewalBlock::AmountOutOfRange { amount, range } => Text::new(
                format!(
                    "金額 {} が支払方法の利用可能範囲（{}〜{}）の外にあるため、オーソリを実行しません。金額か支払方法の適用条件を見直してください。",
                    yen(amount),
                    yen(range.min),
                    yen(range.max)
                ),
                format!(
                    "The amount {} is outside the payment method's allowed range ({} to {}), so the renewal is not authorized. Change the amount or the method's conditions.",
                    yen(amount),
                    yen(range.min),
                    yen(range.max)
                ),
            ),
        }
    }
}

/// Whether the subscription's next renewal may be authorized at `now`. `shop_range` is the
/// shop's own amount condition for card payments (適用条件), if it set one. The first block
/// found wins, in the order: ended, paused, contract ended, fees to be advised, amount.
pub fn renewal_check(
    sub: &Subscription,
    now: DateTime<Utc>,
    rules: &Rules,
    shop_range: Option<AmountRange>,
) -> Result<(), RenewalBlock> {
    match sub.status {
        SubscriptionStatus::Ended => return Err(RenewalBlock::Ended),
        SubscriptionStatus::Paused => return Err(RenewalBlock::Paused),
        SubscriptionStatus::Active => {}
    }
    if let Some(end) = sub.contract_end
        && sub.next_renewal_date.max(japan_date(now)) > end
    {
        return Err(RenewalBlock::ContractEnded(end));
    }
    if sub.fees_to_be_advised {
        return Err(RenewalBlock::FeesToBeAdvised);
    }
    let range = AmountRange::of_method(PaymentMethod::Card, rules).narrowed(shop_range);
    if !range.contains(sub.amount) {
        return Err(RenewalBlock::AmountOutOfRange {
            amount: sub.amount,
            range,
        });
    }
    Ok(())
}

/// A renewal the gateway refused, as its order shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedRenewal {
    /// The dictionary's explanation in the renewal context (P010 → the stored card most
    /// likely expired).
    pub explanation: Explanation,
    /// The shop's choices, in the seed's order (6-4).
    pub choices: [FailedRenewalChoiceKind; 4],
}

/// The renewal's failure as its order shows it: the error with the dictionary's
/// explanation and the four choices.
pub fn failed_renewal(code: &str, detail: Option<&str>) -> FailedRenewal {
    FailedRenewal {
        explanation: explain_with_detail(code, detail, ErrorContext::Renewal),
        choices: FailedRenewalChoiceKind::ALL,
    }
}

/// The four choices without their data, for menus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailedRenewalChoiceKind {
    /// See [`FailedRenewalChoice::CancelOrder`].
    CancelOrder,
    /// See [`FailedRenewalChoice::SwitchPaymentMethod`].
    SwitchPaymentMethod,
    /// See [`FailedRenewalChoice::EndSubscription`].
    EndSubscription,
    /// See [`FailedRenewalChoice::AskBuyerToUpdateCard`].
    AskBuyerToUpdateCard,
}

impl FailedRenewalChoiceKind {
    /// The four, in the seed's order.
    pub const ALL: [FailedRenewalChoiceKind; 4] = [
        FailedRenewalChoiceKind::CancelOrder,
        FailedRenewalChoiceKind::SwitchPaymentMethod,
        FailedRenewalChoiceKind::EndSubscription,
        FailedRenewalChoiceKind::AskBuyerToUpdateCard,
    ];

    /// The stable code used in the database and at the IPC boundary.
    pub fn code(self) -> &'static str {
        match self {
            FailedRenewalChoiceKind::CancelOrder => "cancel_order",
            FailedRenewalChoiceKind::SwitchPaymentMethod => "switch_payment_method",
            FailedRenewalChoiceKind::EndSubscription => "end_subscription",
            FailedRenewalChoiceKind::AskBuyerToUpdateCard => "ask_buyer_to_update_card",
        }
    }

    /// The kind for a code.
    pub fn from_code(code: &str) -> Option<FailedRenewalChoiceKind> {
        FailedRenewalChoiceKind::ALL
            .into_iter()
            .find(|k| k.code() == code)
    }

    /// The button's label.
    pub fn label(self) -> Text {
        match self {
            FailedRenewalChoiceKind::CancelOrder => {
                Text::new("この受注をキャンセル", "Cancel this order")
            }
            FailedRenewalChoiceKind::SwitchPaymentMethod => Text::new(
                "この受注を別の支払方法に変更",
                "Switch this order to another payment method",
            ),
            FailedRenewalChoiceKind::EndSubscription => {
                Text::new("定期購入を終了", "End the subscription")
            }
            FailedRenewalChoiceKind::AskBuyerToUpdateCard => Text::new(
                "購入者にカード変更を依頼（メール）",
                "Ask the buyer to update the card (e-mail)",
            ),
        }
    }
}

/// What the shop decided after a failed renewal (seed 6-4). The first two are about this
/// order (❶), the last two about the subscription's future (❷); the shop may pick one of
/// each.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FailedRenewalChoice {
    /// The buyer does not want this delivery: the order moves to the cancelled list.
    CancelOrder,
    /// The buyer pays this order another way (the method's name, e.g. 銀行振込): recorded on
    /// the order, no gateway call.
    SwitchPaymentMethod(String),
    /// The buyer stops the subscription: it ends; this order stays as it is.
    EndSubscription,
    /// The buyer keeps paying by card: ask them (e-mail) to update the stored card.
    AskBuyerToUpdateCard,
}

/// What a choice does, as data; the api layer carries it out in one store transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceEffects {
    /// Move the renewal's order to this list.
    pub order_list: Option<OrderList>,
    /// Record this payment method on the renewal's order (no gateway call).
    pub payment_method_label: Option<String>,
    /// Set the subscription's status.
    pub subscription_status: Option<SubscriptionStatus>,
    /// Queue this reminder to the buyer (editable before sending).
    pub reminder: Option<ReminderKind>,
    /// The failure counts as recovered in the monthly summary (the money is collected
    /// another way).
    pub recovered: bool,
    /// The change-history line.
    pub history: Text,
}

/// Why a choice cannot be carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChoiceError {
    /// The new payment method's name is empty.
    EmptyMethodName,
}

impl ChoiceError {
    /// The message.
    pub fn text(self) -> Text {
        match self {
            ChoiceError::EmptyMethodName => Text::new(
                "変更後の支払方法を入力してください。",
                "Enter the new payment method.",
            ),
        }
    }
}

impl FailedRenewalChoice {
    /// The kind.
    pub fn kind(&self) -> FailedRenewalChoiceKind {
        match self {
            FailedRenewalChoice::CancelOrder => FailedRenewalChoiceKind::CancelOrder,
            FailedRenewalChoice::SwitchPaymentMethod(_) => {
                FailedRenewalChoiceKind::SwitchPaymentMethod
            }
            FailedRenewalChoice::EndSubscription => FailedRenewalChoiceKind::EndSubscription,
            FailedRenewalChoice::AskBuyerToUpdateCard => {
                FailedRenewalChoiceKind::AskBuyerToUpdateCard
            }
        }
    }

    /// What the choice does. `card` is the stored card's state now: the reminder is the
    /// "expiring soon" template while the card is expiring soon, otherwise the "expired"
    /// one (a renewal refused with P010 usually means the card expired; the shop can edit
    /// the text before it goes). A failed authorization holds no money at the gateway, so
    /// no choice calls the gateway.
    pub fn effects(&self, card: Option<CardState>) -> Result<ChoiceEffects, ChoiceError> {
        let none = ChoiceEffects {
            order_list: None,
            payment_method_label: None,
            subscription_status: None,
            reminder: None,
            recovered: false,
            history: Text::new("", ""),
        };
        Ok(match self {
            FailedRenewalChoice::CancelOrder => ChoiceEffects {
                order_list: Some(OrderList::Cancelled),
                history: Text::new(
                    "継続決済失敗のため受注をキャンセル一覧へ移動しました",
                    "Moved to the cancelled list after the failed renewal",
                ),
                ..none
            },
            FailedRenewalChoice::SwitchPaymentMethod(method) => {
                let method = method.trim();
                if method.is_empty() {
                    return Err(ChoiceError::EmptyMethodName);
                }
                // Not "recovered": the money is to come outside Paygent, and PayDesk
                // cannot see whether it did (the summary counts it as switched).
                ChoiceEffects {
                    payment_method_label: Some(method.to_owned()),
                    history: Text::new(
                        format!("支払方法を「{method}」に変更しました（ペイジェントへの送信なし）"),
                        format!(
                            "Payment method switched to \"{method}\" (nothing sent to Paygent)"
                        ),
                    ),
                    ..none
                }
            }
            FailedRenewalChoice::EndSubscription => ChoiceEffects {
                subscription_status: Some(SubscriptionStatus::Ended),
                history: Text::new(
                    "継続決済失敗のため定期購入を終了しました",
                    "Ended the subscription after the failed renewal",
                ),
                ..none
            },
            FailedRenewalChoice::AskBuyerToUpdateCard => ChoiceEffects {
                reminder: Some(if card == Some(CardState::ExpiringSoon) {
                    ReminderKind::ExpiringSoon
                } else {
                    ReminderKind::Expired
                }),
                history: Text::new(
                    "購入者にカード変更依頼メールを送信予約しました",
                    "Queued an e-mail asking the buyer to update the card",
                ),
                ..none
            },
        })
    }
}

/// A stored card's state on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CardState {
    /// At least the warning period left.
    Valid,
    /// Fewer than `rules.card_expiry_warning_months` months left (期限間近).
    ExpiringSoon,
    /// Past its last valid day (期限切れ).
    Expired,
}

impl CardState {
    /// The stable code used in the database and at the IPC boundary.
    pub fn code(self) -> &'static str {
        match self {
            CardState::Valid => "valid",
            CardState::ExpiringSoon => "expiring_soon",
            CardState::Expired => "expired",
        }
    }

    /// How it reads on screen.
    pub fn text(self) -> Text {
        match self {
            CardState::Valid => Text::new("有効", "Valid"),
            CardState::ExpiringSoon => Text::new("期限間近", "Expiring soon"),
            CardState::Expired => Text::new("期限切れ", "Expired"),
        }
    }
}

/// The card's state on `on_date` (see the module doc for the exact definition).
pub fn card_state(expiry: CardExpiry, on_date: NaiveDate, rules: &Rules) -> CardState {
    state_by_months(expiry.month_index() - month_index(on_date), rules)
}

/// The state from "expiry month minus this month".
fn state_by_months(months_ahead: i64, rules: &Rules) -> CardState {
    if months_ahead < 0 {
        CardState::Expired
    } else if months_ahead < i64::from(rules.card_expiry_warning_months) {
        CardState::ExpiringSoon
    } else {
        CardState::Valid
    }
}

/// Whether the stored card expires before the next renewal date, so that renewal will fail
/// unless the buyer updates the card. `false` when the expiry is unknown.
pub fn will_fail_before_next_billing(sub: &Subscription) -> bool {
    sub.card_expiry
        .is_some_and(|e| e.month_index() < month_index(sub.next_renewal_date))
}

/// Active subscriptions whose renewal is within `rules.card_check_lead` of `now` (the day
/// before, by default) and not yet due: their stored cards should get the gateway's
/// validity check now, where the contract allows it.
pub fn cards_to_check(
    subs: &[Subscription],
    now: DateTime<Utc>,
    rules: &Rules,
) -> Vec<SubscriptionId> {
    subs.iter()
        .filter(|s| s.status == SubscriptionStatus::Active)
        .filter(|s| {
            let due = renewal_due_at(s.next_renewal_date);
            now < due && due - now <= rules.card_check_lead
        })
        .map(|s| s.id)
        .collect()
}

/// Cards that entered "expiring soon" or "expired" between two days (the daily digest).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardDigest {
    /// Entered "expiring soon".
    pub entered_expiring_soon: Vec<SubscriptionId>,
    /// Entered "expired".
    pub entered_expired: Vec<SubscriptionId>,
}

impl CardDigest {
    /// Nothing to tell.
    pub fn is_empty(&self) -> bool {
        self.entered_expiring_soon.is_empty() && self.entered_expired.is_empty()
    }
}

/// Cards of live (not ended) subscriptions whose state changed for the worse after
/// `last_digest` up to `today`.
pub fn card_digest(
    subs: &[Subscription],
    last_digest: NaiveDate,
    today: NaiveDate,
    rules: &Rules,
) -> CardDigest {
    let mut digest = CardDigest::default();
    for sub in subs
        .iter()
        .filter(|s| s.status != SubscriptionStatus::Ended)
    {
        let Some(expiry) = sub.card_expiry else {
            continue;
        };
        let before = card_state(expiry, last_digest, rules);
        match card_state(expiry, today, rules) {
            CardState::Expired if before != CardState::Expired => {
                digest.entered_expired.push(sub.id)
            }
            CardState::ExpiringSoon if before == CardState::Valid => {
                digest.entered_expiring_soon.push(sub.id)
            }
            _ => {}
        }
    }
    digest
}

/// One month of the expiry chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExpiryMonth {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
    /// Cards of live subscriptions expiring that month.
    pub cards: u32,
    /// The monthly revenue of the active subscriptions on those cards.
    pub monthly_revenue: Yen,
}

/// The card dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dashboard {
    /// The day it was computed for.
    pub today: NaiveDate,
    /// Live (active or paused) subscriptions whose card is expiring soon.
    pub expiring_soon: u32,
    /// Live subscriptions whose card is expired.
    pub expired: u32,
    /// Live subscriptions whose card is valid.
    pub valid: u32,
    /// Live subscriptions whose card expiry was never read from the gateway.
    pub unknown_expiry: u32,
    /// The monthly revenue of active subscriptions whose card is expiring soon or expired.
    pub monthly_revenue_at_risk: Yen,
    /// Expiries in this month and the 11 after it.
    pub expiries_by_month: [ExpiryMonth; 12],
    /// Active subscriptions whose card expires before the next renewal date, soonest
    /// renewal first.
    pub predicted_failures: Vec<SubscriptionId>,
    /// The sum of those next renewals.
    pub predicted_failure_amount: Yen,
}

/// Computes the dashboard in one pass over the subscriptions (integer arithmetic only).
pub fn dashboard(subs: &[Subscription], today: NaiveDate, rules: &Rules) -> Dashboard {
    let this_month = month_index(today);
    let mut months = [ExpiryMonth {
        year: 0,
        month: 0,
        cards: 0,
        monthly_revenue: Yen(0),
    }; 12];
    let mut month_micro = [0i128; 12];
    for (i, m) in months.iter_mut().enumerate() {
        let (year, month) = from_month_index(this_month + i as i64);
        m.year = year;
        m.month = month;
    }
    let (mut soon, mut expired, mut valid, mut unknown) = (0u32, 0u32, 0u32, 0u32);
    let mut at_risk_micro = 0i128;
    let mut failures: Vec<(NaiveDate, SubscriptionId)> = Vec::new();
    let mut failure_yen = 0i64;
    for sub in subs {
        if sub.status == SubscriptionStatus::Ended {
            continue;
        }
        let Some(expiry) = sub.card_expiry else {
            unknown += 1;
            continue;
        };
        let active = sub.status == SubscriptionStatus::Active;
        let ahead = expiry.month_index() - this_month;
        let monthly = if active {
            sub.cycle.monthly_amount_micro(sub.amount)
        } else {
            0
        };
        match state_by_months(ahead, rules) {
            CardState::Valid => valid += 1,
            CardState::ExpiringSoon => {
                soon += 1;
                at_risk_micro += monthly;
            }
            CardState::Expired => {
                expired += 1;
                at_risk_micro += monthly;
            }
        }
        if let Ok(slot) = usize::try_from(ahead)
            && slot < months.len()
        {
            months[slot].cards += 1;
            month_micro[slot] += monthly;
        }
        if active && expiry.month_index() < month_index(sub.next_renewal_date) {
            failures.push((sub.next_renewal_date, sub.id));
            failure_yen += sub.amount.0;
        }
    }
    for (m, micro) in months.iter_mut().zip(month_micro) {
        m.monthly_revenue = round_micro(micro);
    }
    failures.sort_unstable();
    Dashboard {
        today,
        expiring_soon: soon,
        expired,
        valid,
        unknown_expiry: unknown,
        monthly_revenue_at_risk: round_micro(at_risk_micro),
        expiries_by_month: months,
        predicted_failures: failures.into_iter().map(|(_, id)| id).collect(),
        predicted_failure_amount: Yen(failure_yen),
    }
}

/// How one renewal cycle ended, for the monthly summary.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CycleOutcome {
    /// Not settled yet.
    Pending,
    /// Authorized.
    Authorized,
    /// Refused by the gateway with this code.
    Failed(String),
    /// Fell due while PayDesk was off and was not charged.
    Missed,
}

/// One renewal cycle, for the monthly summary.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CycleRecord {
    /// The subscription.
    pub subscription: SubscriptionId,
    /// The renewal date (the month it counts in).
    pub renewal_date: NaiveDate,
    /// The amount.
    pub amount: Yen,
    /// How it ended.
    pub outcome: CycleOutcome,
    /// A failure whose money was collected anyway (authorized again after the buyer
    /// updated the card).
    pub recovered: bool,
    /// A failure whose order the shop switched to another payment method: the money is
    /// to come outside Paygent, so PayDesk cannot say it was collected.
    pub switched: bool,
}

/// An order whose authorization lapsed (the capture deadline passed): the sale is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LapsedOrder {
    /// The amount lost.
    pub amount: Yen,
    /// When it lapsed.
    pub lapsed_at: DateTime<Utc>,
}

/// The shop's monthly summary e-mail's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthlySummary {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
    /// Renewals authorized.
    pub renewals: u32,
    /// Their total.
    pub renewal_amount: Yen,
    /// Renewals the gateway refused.
    pub failures: u32,
    /// Their total.
    pub failure_amount: Yen,
    /// Failures recovered (authorized again after a card update).
    pub recovered: u32,
    /// Their total.
    pub recovered_amount: Yen,
    /// Failures switched to another payment method (paid outside Paygent; not confirmed
    /// by PayDesk).
    pub switched: u32,
    /// Their total.
    pub switched_amount: Yen,
    /// Cycles missed while PayDesk was off.
    pub missed: u32,
    /// Cards expiring soon (from the dashboard at the summary's time).
    pub cards_expiring_soon: u32,
    /// Cards expired.
    pub cards_expired: u32,
    /// Monthly revenue at risk.
    pub monthly_revenue_at_risk: Yen,
    /// Orders that lapsed in the month.
    pub lapsed_orders: u32,
    /// Yen lost to lapsed authorizations in the month.
    pub lapsed_amount: Yen,
}

/// The figures for `year`/`month` (Japan time): cycles count by renewal date, lapsed orders
/// by when they lapsed; card figures come from `cards` (the dashboard at sending time).
pub fn monthly_summary(
    year: i32,
    month: u32,
    cycles: &[CycleRecord],
    lapsed: &[LapsedOrder],
    cards: &Dashboard,
) -> MonthlySummary {
    let in_month = |d: NaiveDate| d.year() == year && d.month() == month;
    let mut s = MonthlySummary {
        year,
        month,
        renewals: 0,
        renewal_amount: Yen(0),
        failures: 0,
        failure_amount: Yen(0),
        recovered: 0,
        recovered_amount: Yen(0),
        switched: 0,
        switched_amount: Yen(0),
        missed: 0,
        cards_expiring_soon: cards.expiring_soon,
        cards_expired: cards.expired,
        monthly_revenue_at_risk: cards.monthly_revenue_at_risk,
        lapsed_orders: 0,
        lapsed_amount: Yen(0),
    };
    for c in cycles.iter().filter(|c| in_month(c.renewal_date)) {
        match c.outcome {
            CycleOutcome::Authorized => {
                s.renewals += 1;
                s.renewal_amount.0 += c.amount.0;
            }
            CycleOutcome::Failed(_) => {
                s.failures += 1;
                s.failure_amount.0 += c.amount.0;
                if c.recovered {
                    s.recovered += 1;
                    s.recovered_amount.0 += c.amount.0;
                } else if c.switched {
                    s.switched += 1;
                    s.switched_amount.0 += c.amount.0;
                }
            }
            CycleOutcome::Missed => s.missed += 1,
            CycleOutcome::Pending => {}
        }
    }
    for l in lapsed.iter().filter(|l| in_month(japan_date(l.lapsed_at))) {
        s.lapsed_orders += 1;
        s.lapsed_amount.0 += l.amount.0;
    }
    s
}

/// The two fixed reminders of the seed (7-7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReminderKind {
    /// 期限間近: the card expires within the warning period.
    ExpiringSoon,
    /// 期限切れ: the card has expired.
    Expired,
}

impl ReminderKind {
    /// Both.
    pub const ALL: [ReminderKind; 2] = [ReminderKind::ExpiringSoon, ReminderKind::Expired];

    /// The stable code used in the database and as the template's key.
    pub fn code(self) -> &'static str {
        match self {
            ReminderKind::ExpiringSoon => "expiring_soon",
            ReminderKind::Expired => "expired",
        }
    }

    /// The kind for a code.
    pub fn from_code(code: &str) -> Option<ReminderKind> {
        ReminderKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The card state this reminder is about.
    pub fn card_state(self) -> CardState {
        match self {
            ReminderKind::ExpiringSoon => CardState::ExpiringSoon,
            ReminderKind::Expired => CardState::Expired,
        }
    }
}

/// One reminder sent to a buyer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OutreachEntry {
    /// Which reminder.
    pub kind: ReminderKind,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
    /// The card expiry it was about; a reminder about an older card does not count for a
    /// new one.
    pub card_expiry: Option<CardExpiry>,
}

/// What PayDesk knows about the buyer's card when deciding on a reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReminderContext {
    /// The stored card's expiry as last read.
    pub card_expiry: Option<CardExpiry>,
    /// When it was last read from the gateway.
    pub card_refreshed_at: Option<DateTime<Utc>>,
    /// The buyer's latest successful renewal.
    pub renewal_succeeded_at: Option<DateTime<Utc>>,
}

/// Whether a reminder goes, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReminderDecision {
    /// Send it.
    Send,
    /// The card's expiry was never read: refresh it from the gateway first.
    ExpiryUnknown,
    /// The card is not in the reminder's state (e.g. updated, now valid).
    CardNotInState(CardState),
    /// The same reminder about the same card went within the reminder period.
    AlreadySent(DateTime<Utc>),
    /// A renewal succeeded after the last reminder and the card was not read since: the
    /// buyer probably updated it; wait for the refresh.
    RenewalSucceeded(DateTime<Utc>),
}

impl ReminderDecision {
    /// Why not, for the screen; `None` for [`ReminderDecision::Send`].
    pub fn text(self) -> Option<Text> {
        Some(match self {
            ReminderDecision::Send => return None,
            ReminderDecision::ExpiryUnknown => Text::new(
                "カードの有効期限がまだ取得されていません。カード情報を更新してください。",
                "The card's expiry has not been read yet. Refresh the card first.",
            ),
            ReminderDecision::CardNotInState(state) => Text::new(
                format!("カードは現在「{}」です。", state.text().ja),
                format!("The card is now \"{}\".", state.text().en),
            ),
            ReminderDecision::AlreadySent(at) => Text::new(
                format!(
                    "同じお知らせを {} に送信済みです。",
                    crate::history::jst(at)
                ),
                format!("The same reminder was sent on {}.", crate::history::jst(at)),
            ),
            ReminderDecision::RenewalSucceeded(at) => Text::new(
                format!(
                    "{} に継続決済が成功しています。カード情報を更新して確認してください。",
                    crate::history::jst(at)
                ),
                format!(
                    "A renewal succeeded on {}. Refresh the card to check.",
                    crate::history::jst(at)
                ),
            ),
        })
    }
}

/// Whether reminder `kind` may go to a buyer at `now`, given the buyer's outreach log.
/// Rules, in order: the expiry must be known; the card must be in the reminder's state (so
/// reminders stop once the card is updated); a renewal that succeeded after the last
/// reminder pauses reminders until the card is read again; the same reminder about the
/// same card goes at most once per `rules.reminder_period`.
pub fn reminder_decision(
    kind: ReminderKind,
    log: &[OutreachEntry],
    card: ReminderContext,
    now: DateTime<Utc>,
    rules: &Rules,
) -> ReminderDecision {
    let Some(expiry) = card.card_expiry else {
        return ReminderDecision::ExpiryUnknown;
    };
    let state = card_state(expiry, japan_date(now), rules);
    if state != kind.card_state() {
        return ReminderDecision::CardNotInState(state);
    }
    let last = log
        .iter()
        .filter(|e| e.kind == kind && e.card_expiry == Some(expiry))
        .map(|e| e.sent_at)
        .max();
    let Some(last) = last else {
        return ReminderDecision::Send;
    };
    if let Some(success) = card.renewal_succeeded_at
        && success > last
        && card.card_refreshed_at.is_none_or(|r| r < success)
    {
        return ReminderDecision::RenewalSucceeded(success);
    }
    if now - last < rules.reminder_period {
        return ReminderDecision::AlreadySent(last);
    }
    ReminderDecision::Send
}

/// [`reminder_decision`] as a yes/no.
pub fn should_send(
    kind: ReminderKind,
    log: &[OutreachEntry],
    card: ReminderContext,
    now: DateTime<Utc>,
    rules: &Rules,
) -> bool {
    reminder_decision(kind, log, card, now, rules) == ReminderDecision::Send
}

/// When automatic reminders go (Japan time), as the shop set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendSchedule {
    /// Never automatically.
    Off,
    /// Every day at this hour.
    Daily {
        /// Hour, 0–23.
        hour: u32,
    },
    /// Every week on this day at this hour.
    Weekly {
        /// Day of the week.
        weekday: Weekday,
        /// Hour, 0–23.
        hour: u32,
    },
    /// Every month on this day (the last day in shorter months) at this hour.
    Monthly {
        /// Day, 1–31.
        day: u32,
        /// Hour, 0–23.
        hour: u32,
    },
}

impl SendSchedule {
    /// The stable code used in settings: `off`, `daily:9`, `weekly:mon:9`, `monthly:1:9`.
    pub fn code(self) -> String {
        match self {
            SendSchedule::Off => "off".into(),
            SendSchedule::Daily { hour } => format!("daily:{hour}"),
            SendSchedule::Weekly { weekday, hour } => {
                format!("weekly:{}:{hour}", weekday.to_string().to_lowercase())
            }
            SendSchedule::Monthly { day, hour } => format!("monthly:{day}:{hour}"),
        }
    }

    /// The schedule for a code.
    pub fn from_code(code: &str) -> Option<SendSchedule> {
        let parts: Vec<&str> = code.split(':').collect();
        let hour = |s: &str| s.parse::<u32>().ok().filter(|h| *h < 24);
        Some(match parts.as_slice() {
            ["off"] => SendSchedule::Off,
            ["daily", h] => SendSchedule::Daily { hour: hour(h)? },
            ["weekly", w, h] => SendSchedule::Weekly {
                weekday: w.parse().ok()?,
                hour: hour(h)?,
            },
            ["monthly", d, h] => SendSchedule::Monthly {
                day: d.parse().ok().filter(|d| (1..=31).contains(d))?,
                hour: hour(h)?,
            },
            _ => return None,
        })
    }

    /// The latest scheduled run at or before `now`.
    pub fn latest_run(self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let today = japan_date(now);
        let at =
            |date: NaiveDate, hour: u32| renewal_due_at(date) + TimeDelta::hours(i64::from(hour));
        // Look back far enough for every kind (a month and a few days).
        let mut date = today;
        for _ in 0..=62 {
            let candidate = match self {
                SendSchedule::Off => return None,
                SendSchedule::Daily { hour } => Some(at(date, hour)),
                SendSchedule::Weekly { weekday, hour } => {
                    (date.weekday() == weekday).then(|| at(date, hour))
                }
                SendSchedule::Monthly { day, hour } => (date.day()
                    == day.min(days_in_month(date.year(), date.month())))
                .then(|| at(date, hour)),
            };
            if let Some(c) = candidate.filter(|c| *c <= now) {
                return Some(c);
            }
            date = date.pred_opt()?;
        }
        None
    }

    /// Whether a run is due: a scheduled time passed since the last run.
    pub fn is_due(self, last_run: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        match self.latest_run(now) {
            None => false,
            Some(run) => last_run.is_none_or(|last| last < run),
        }
    }
}

/// The desktop notifications the shop can turn off one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationKind {
    /// A renewal failed (sent at once).
    RenewalFailed,
    /// Cards entered "expiring soon" or "expired" (a daily digest).
    CardDigest,
    /// Orders near their capture deadline.
    CaptureDeadline,
}

impl NotificationKind {
    /// Every kind.
    pub const ALL: [NotificationKind; 3] = [
        NotificationKind::RenewalFailed,
        NotificationKind::CardDigest,
        NotificationKind::CaptureDeadline,
    ];

    /// The stable code used in the database and at the IPC boundary.
    pub fn code(self) -> &'static str {
        match self {
            NotificationKind::RenewalFailed => "renewal_failed",
            NotificationKind::CardDigest => "card_digest",
            NotificationKind::CaptureDeadline => "capture_deadline",
        }
    }

    /// The kind for a code.
    pub fn from_code(code: &str) -> Option<NotificationKind> {
        NotificationKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The screen a click opens: the failed renewal's order, the card dashboard, or the
    /// order list filtered to near deadlines (the UI's route names).
    pub fn screen(self) -> &'static str {
        match self {
            NotificationKind::RenewalFailed => "order",
            NotificationKind::CardDigest => "cards",
            NotificationKind::CaptureDeadline => "orders:near_deadline",
        }
    }

    /// The settings label.
    pub fn label(self) -> Text {
        match self {
            NotificationKind::RenewalFailed => {
                Text::new("継続決済の失敗（すぐに通知）", "Failed renewals (at once)")
            }
            NotificationKind::CardDigest => Text::new(
                "カードの期限間近・期限切れ（1日1回まとめて）",
                "Cards expiring soon or expired (daily digest)",
            ),
            NotificationKind::CaptureDeadline => Text::new(
                "売上確定期限が近い受注",
                "Orders near their capture deadline",
            ),
        }
    }
}
