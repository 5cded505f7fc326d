//! The subscription, card-dashboard, e-mail and notification types that cross the IPC
//! boundary (kept apart from `dto.rs` so the order screens and subscriptions can grow
//! without touching each other's files). Same conventions as `dto`: money in `*_yen`
//! integer fields, times RFC 3339 UTC, Japan calendar dates `YYYY-MM-DD`, texts as
//! [`Text`] pairs, codes snake_case. Never a secret: the SMTP password only shows as
//! `password_set`.

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::dto::CaptureModeCode;
use crate::{AppError, Text};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatusCode {
    Active,
    Paused,
    Ended,
}

/// A stored card's state today; `unknown` = the expiry was never read from Paygent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum CardStateCode {
    Valid,
    ExpiringSoon,
    Expired,
    Unknown,
}

/// The two reminders of the seed (7-7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKindCode {
    ExpiringSoon,
    Expired,
}

/// The four choices after a failed renewal (seed 6-4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum FailedRenewalChoiceCode {
    CancelOrder,
    SwitchPaymentMethod,
    EndSubscription,
    AskBuyerToUpdateCard,
}

/// The desktop notifications the shop can turn off one by one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKindCode {
    /// A renewal failed (at once).
    RenewalFailed,
    /// Cards entered "expiring soon" or "expired" (a daily digest).
    CardDigest,
    /// Orders near their capture deadline (daily).
    CaptureDeadline,
}

/// Why a renewal is not attempted, as the subscription shows it.
#[derive(Clone, Debug, Serialize, Type)]
pub struct RenewalBlockDto {
    /// `ended`, `paused`, `contract_ended`, `fees_to_be_advised`, `amount_out_of_range`.
    pub code: String,
    pub text: Text,
    /// When PayDesk found it.
    pub since: String,
}

/// One subscription as lists show it.
#[derive(Clone, Debug, Serialize, Type)]
pub struct SubscriptionSummary {
    #[specta(type = specta_typescript::Number)]
    pub id: i64,
    /// The buyer's member ID at Paygent (`customer_id`, 会員ID).
    pub customer_id: String,
    /// The stored card (`customer_card_id`).
    pub customer_card_id: String,
    pub buyer_name: String,
    pub buyer_email: Option<String>,
    /// `1m`, `2w`, …
    pub cycle: String,
    pub cycle_label: Text,
    pub billing_day: u32,
    #[specta(type = specta_typescript::Number)]
    pub amount_yen: i64,
    pub fees_to_be_advised: bool,
    /// Last day the merchant contract covers renewals (`YYYY-MM-DD`).
    pub contract_end: Option<String>,
    /// `YYYY-MM-DD` (Japan); `None` once the subscription ended (nothing renews).
    pub next_renewal_date: Option<String>,
    /// When the subscription ended (RFC 3339), while it is ended.
    pub ended_at: Option<String>,
    pub next_cycle_index: u32,
    pub status: SubscriptionStatusCode,
    pub capture_mode: CaptureModeCode,
    /// `YYYY-MM` as Paygent (027) last reported it.
    pub card_expiry: Option<String>,
    pub card_state: CardStateCode,
    pub card_state_label: Text,
    pub card_refreshed_at: Option<String>,
    /// The card expires before the next renewal date: that renewal will fail.
    pub will_fail_before_next_billing: bool,
    /// Why the next renewal is not attempted, if it is not.
    pub block: Option<RenewalBlockDto>,
    /// The last reminder this buyer received.
    pub last_reminder_at: Option<String>,
    /// The oldest of its renewals that failed and wait for the shop's choice (the list's
    /// marker opens its order, where the four choices are).
    pub failed_renewal: Option<FailedRenewalMark>,
}

/// A failed renewal waiting for the shop's choice, as the subscription list marks it.
#[derive(Clone, Debug, Serialize, Type)]
pub struct FailedRenewalMark {
    /// The order that shows the error and the four choices.
    #[specta(type = specta_typescript::Number)]
    pub order_id: i64,
    /// `YYYY-MM-DD` (Japan).
    pub renewal_date: String,
    /// The gateway's code (`P010`).
    pub error_code: String,
    /// Failed renewals of this subscription waiting in all.
    pub waiting: u32,
}

/// One page of subscriptions or of the card list.
#[derive(Clone, Debug, Serialize, Type)]
pub struct SubscriptionPage {
    pub items: Vec<SubscriptionSummary>,
    pub total: u32,
    pub page: u32,
    pub page_size: u32,
}

/// The subscription list and the card dashboard's list. Every field optional.
#[derive(Clone, Debug, Default, Serialize, Deserialize, Type)]
pub struct SubscriptionQuery {
    /// Only cards in this state (`unknown` is not a filter: use `null`).
    #[serde(default)]
    pub card_state: Option<CardStateCode>,
    /// Only active subscriptions whose card expires before the next renewal.
    #[serde(default)]
    pub predicted_failures_only: bool,
    /// Buyer name or member ID (prefix).
    #[serde(default)]
    pub search: Option<String>,
    /// Include ended subscriptions.
    #[serde(default)]
    pub include_ended: bool,
    #[serde(default)]
    pub page: u32,
    /// 0 = 50.
    #[serde(default)]
    pub page_size: u32,
}

/// One renewal cycle PayDesk recorded.
#[derive(Clone, Debug, Serialize, Type)]
pub struct RenewalCycleDto {
    pub cycle_index: u32,
    pub renewal_date: String,
    #[specta(type = specta_typescript::Number)]
    pub amount_yen: i64,
    /// `pending`, `sent`, `unknown`, `authorized`, `failed`, `missed`.
    pub state: String,
    pub state_label: Text,
    /// It ran late (PayDesk was off at 0:00 of its date).
    pub late: bool,
    #[specta(type = Option<specta_typescript::Number>)]
    pub order_id: Option<i64>,
    pub order_number: String,
    /// The gateway's code and the dictionary's explanation of a failure.
    pub error: Option<AppError>,
    pub order_choice: Option<FailedRenewalChoiceCode>,
    pub future_choice: Option<FailedRenewalChoiceCode>,
    pub payment_method_label: Option<String>,
    pub recovered: bool,
    pub created_at: String,
}

/// A reminder a buyer received.
#[derive(Clone, Debug, Serialize, Type)]
pub struct OutreachDto {
    pub kind: ReminderKindCode,
    pub sent_at: String,
    pub card_expiry: Option<String>,
}

/// Which check the day-before check made (issue 19, point 8). Paygent's validity check
/// (025 `valid_check_flg`, §4.5) needs the card's data, which PayDesk never holds for a
/// stored card, so it reads the stored card (027) and, for a card registered with a
/// validity check, that check's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum CardCheckKindCode {
    /// The stored card read from Paygent (027): its expiry and expired flag.
    StoredCardRead,
    /// The same read, with the validity check result of the card's registration.
    StoredCardReadWithRegistrationCheck,
    /// The stored card could not be read: no check was made.
    NotMade,
}

/// The day-before check of a stored card.
#[derive(Clone, Debug, Serialize, Type)]
pub struct CardCheckDto {
    #[specta(type = specta_typescript::Number)]
    pub subscription_id: i64,
    pub buyer_name: String,
    /// The renewal the check was for.
    pub renewal_date: String,
    #[specta(type = specta_typescript::Number)]
    pub amount_yen: i64,
    pub checked_at: String,
    /// The renewal is expected to fail.
    pub predicted_failure: bool,
    /// What the check found, in plain words (expiry, Paygent's expired flag, validity
    /// check result or why it could not be run).
    pub result: Text,
    /// Paygent's validity check could not be used for this card (contract, or a stored
    /// card without a fresh token); the prediction rests on the expiry.
    pub validity_check_unavailable: bool,
    /// Which check was made.
    pub check_kind: CardCheckKindCode,
    /// Which check was made, in plain words.
    pub check_made: Text,
}

/// The subscription detail.
#[derive(Clone, Debug, Serialize, Type)]
pub struct SubscriptionDetail {
    pub summary: SubscriptionSummary,
    /// Oldest first.
    pub cycles: Vec<RenewalCycleDto>,
    /// Late renewals and missed cycles, stated plainly (newest first).
    pub late_notes: Vec<Text>,
    pub outreach: Vec<OutreachDto>,
    pub card_check: Option<CardCheckDto>,
    /// The first purchase's order, when the subscription came from one.
    #[specta(type = Option<specta_typescript::Number>)]
    pub first_order_id: Option<i64>,
}

/// Fields the shop can change on a subscription; `null` keeps a value.
#[derive(Clone, Debug, Default, Serialize, Deserialize, Type)]
pub struct SubscriptionInput {
    #[serde(default)]
    pub status: Option<SubscriptionStatusCode>,
    #[serde(default)]
    #[specta(type = Option<specta_typescript::Number>)]
    pub amount_yen: Option<i64>,
    #[serde(default)]
    pub fees_to_be_advised: Option<bool>,
    /// `YYYY-MM-DD`, or `""` to clear.
    #[serde(default)]
    pub contract_end: Option<String>,
    #[serde(default)]
    pub buyer_email: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub next_renewal_date: Option<String>,
}

/// One month of the 12-month expiry chart.
#[derive(Clone, Debug, Serialize, Type)]
pub struct ExpiryMonthDto {
    pub year: i32,
    pub month: u32,
    pub cards: u32,
    /// Monthly revenue of the active subscriptions on those cards.
    #[specta(type = specta_typescript::Number)]
    pub monthly_revenue_yen: i64,
}

/// The card-expiry dashboard.
#[derive(Clone, Debug, Serialize, Type)]
pub struct CardDashboardDto {
    /// The Japan date it was computed for.
    pub today: String,
    pub expiring_soon: u32,
    pub expired: u32,
    pub valid: u32,
    pub unknown_expiry: u32,
    /// Monthly revenue of active subscriptions whose card is expiring soon or expired.
    #[specta(type = specta_typescript::Number)]
    pub monthly_revenue_at_risk_yen: i64,
    /// This month and the 11 after it.
    pub expiries_by_month: Vec<ExpiryMonthDto>,
    /// Renewals that will fail before the next billing date (card expires first).
    pub predicted_failures: Vec<SubscriptionSummary>,
    #[specta(type = specta_typescript::Number)]
    pub predicted_failure_yen: i64,
    /// The day-before checks of renewals due next (predicted failures first).
    pub day_before_checks: Vec<CardCheckDto>,
    /// How "expiring soon" is defined (from the rules table).
    pub warning_months: u32,
}

/// What a renewal run did (the scheduler, or "run due renewals now").
#[derive(Clone, Debug, Serialize, Type)]
pub struct RenewalOutcomeDto {
    #[specta(type = specta_typescript::Number)]
    pub subscription_id: i64,
    pub buyer_name: String,
    pub cycle_index: u32,
    pub renewal_date: String,
    /// `authorized`, `failed`, `unknown` (being confirmed), `blocked`, `already_recorded`,
    /// `changed` (edited while the renewal was being decided; nothing sent), `not_attempted`.
    pub outcome: String,
    pub late: bool,
    /// "The renewal due on … ran 7 hours late because PayDesk was not running …".
    pub late_text: Option<Text>,
    #[specta(type = Option<specta_typescript::Number>)]
    pub order_id: Option<i64>,
    pub error: Option<AppError>,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct RenewalRunReport {
    pub outcomes: Vec<RenewalOutcomeDto>,
}

/// The failed-renewal panel of an order.
#[derive(Clone, Debug, Serialize, Type)]
pub struct FailedRenewalDto {
    #[specta(type = specta_typescript::Number)]
    pub order_id: i64,
    #[specta(type = specta_typescript::Number)]
    pub subscription_id: i64,
    pub buyer_name: String,
    pub cycle_index: u32,
    pub renewal_date: String,
    #[specta(type = specta_typescript::Number)]
    pub amount_yen: i64,
    /// The gateway's code with the dictionary's explanation and next step.
    pub error: AppError,
    /// The four choices in the seed's order, each with whether it can still be made.
    pub choices: Vec<FailedRenewalChoiceDto>,
    pub order_choice: Option<FailedRenewalChoiceCode>,
    pub future_choice: Option<FailedRenewalChoiceCode>,
    pub payment_method_label: Option<String>,
    pub subscription_status: SubscriptionStatusCode,
    pub buyer_email: Option<String>,
    /// The reminder "ask the buyer" would queue, rendered (editable before queuing).
    pub reminder_preview: Option<MailPreview>,
    /// The e-mail "ask the buyer" queued, as it stands: the choice is done only once it
    /// was sent.
    pub reminder: Option<QueuedMailDto>,
    /// Whether e-mail can go out now (shown before "ask the buyer" is chosen).
    pub mail_readiness: MailReadinessDto,
    /// Failed renewals waiting for a choice, this one included if it waits.
    pub waiting: u32,
    /// The next failed renewal waiting for a choice after this one (oldest first, round
    /// again after the last), to go through them one after another.
    #[specta(type = Option<specta_typescript::Number>)]
    pub next_waiting_order: Option<i64>,
}

/// Whether PayDesk can send e-mail now, said before a mail is queued: SMTP not set up,
/// or the last attempt failed (with its error and when).
#[derive(Clone, Debug, Serialize, Type)]
pub struct MailReadinessDto {
    pub configured: bool,
    /// The last attempt to reach the SMTP server failed (and none succeeded since).
    pub last_failure: Option<AppError>,
    pub last_failure_at: Option<String>,
    /// Mails waiting (queued or failed, not yet sent).
    pub waiting: u32,
}

/// A choice to take back on a failed renewal: the order's (cancel or switch) or the
/// subscription's end.
#[derive(Clone, Debug, Serialize, Deserialize, Type)]
pub struct UndoChoiceInput {
    pub kind: FailedRenewalChoiceCode,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct FailedRenewalChoiceDto {
    pub kind: FailedRenewalChoiceCode,
    pub label: Text,
    pub enabled: bool,
    /// Why not, when disabled.
    pub reason: Option<Text>,
}

/// The shop's choice. `payment_method` names the new method for `switch_payment_method`;
/// `subject`/`body` replace the reminder's text for `ask_buyer_to_update_card`.
#[derive(Clone, Debug, Serialize, Deserialize, Type)]
pub struct FailedRenewalChoiceInput {
    pub kind: FailedRenewalChoiceCode,
    #[serde(default)]
    pub payment_method: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
}

/// A rendered reminder.
#[derive(Clone, Debug, Serialize, Type)]
pub struct MailPreview {
    #[specta(type = specta_typescript::Number)]
    pub subscription_id: i64,
    pub kind: ReminderKindCode,
    pub to: Option<String>,
    pub subject: String,
    pub body: String,
    /// Why it would not be sent now (already sent this period, card updated, …).
    pub blocked: Option<Text>,
}

/// Reminders to send by hand (selected or bulk). `kind` `null` picks by each card's state;
/// `subject`/`body` (templates with placeholders) replace the template for this send.
#[derive(Clone, Debug, Serialize, Deserialize, Type)]
pub struct SendRemindersRequest {
    #[specta(type = Vec<specta_typescript::Number>)]
    pub subscription_ids: Vec<i64>,
    #[serde(default)]
    pub kind: Option<ReminderKindCode>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct SkippedReminder {
    #[specta(type = specta_typescript::Number)]
    pub subscription_id: i64,
    pub buyer_name: String,
    pub reason: Text,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct SendRemindersReport {
    /// Mails this request put in the queue.
    pub queued: u32,
    /// Of those, how many the SMTP server accepted right away.
    pub sent: u32,
    /// Of those, how many the SMTP server refused or could not take (retried later).
    pub failed: u32,
    /// Of those, how many still wait (SMTP not set up, or a retry is due later).
    pub waiting: u32,
    /// Why they were not sent, when some were not.
    pub problem: Option<AppError>,
    pub skipped: Vec<SkippedReminder>,
}

/// A mail in the queue (queued, sent, failed or discarded).
#[derive(Clone, Debug, Serialize, Type)]
pub struct QueuedMailDto {
    #[specta(type = specta_typescript::Number)]
    pub id: i64,
    /// `reminder`, `monthly_summary`, `shipping_notice`, `order_confirmation`, `other`.
    pub purpose: String,
    pub reminder_kind: Option<ReminderKindCode>,
    pub customer_id: Option<String>,
    #[specta(type = Option<specta_typescript::Number>)]
    pub subscription_id: Option<i64>,
    pub to: String,
    pub subject: String,
    pub body: String,
    /// `queued`, `sent`, `failed`, `discarded`.
    pub state: String,
    pub attempts: u32,
    /// The last error, in plain words (never a password).
    pub last_error: Option<String>,
    pub next_attempt_at: String,
    pub created_at: String,
    pub sent_at: Option<String>,
    /// The order an order mail is about (`purpose` `shipping_notice` or
    /// `order_confirmation`).
    #[specta(type = Option<specta_typescript::Number>)]
    pub order_id: Option<i64>,
}

/// The SMTP settings (the password stays in the keychain: only whether it is set).
#[derive(Clone, Debug, Serialize, Type)]
pub struct SmtpSettingsDto {
    pub host: Option<String>,
    pub port: Option<u16>,
    /// `tls`, `starttls`, `plain` (plain: this machine only).
    pub security: String,
    pub username: Option<String>,
    pub password_set: bool,
    pub from_address: Option<String>,
    pub from_name: Option<String>,
    /// The shop's contact block for `{shop_contact}` (address, e-mail, phone, site).
    pub shop_contact: Option<String>,
    /// Where the monthly summary goes (default: the sender address).
    pub summary_to: Option<String>,
    /// Language of reminders and the summary: `ja` or `en`.
    pub mail_language: String,
    /// Automatic reminders: `off`, `daily:9`, `weekly:mon:9`, `monthly:1:9` (Japan time).
    pub reminder_schedule: String,
    /// The monthly summary to the shop: `off` or `monthly:D:H`.
    pub summary_schedule: String,
    pub complete: bool,
}

/// `null` keeps a value; `""` clears it (for `password`: deletes it from the keychain).
#[derive(Clone, Default, Serialize, Deserialize, Type)]
pub struct SmtpSettingsInput {
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub security: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub from_address: Option<String>,
    #[serde(default)]
    pub from_name: Option<String>,
    #[serde(default)]
    pub shop_contact: Option<String>,
    #[serde(default)]
    pub summary_to: Option<String>,
    #[serde(default)]
    pub mail_language: Option<String>,
    #[serde(default)]
    pub reminder_schedule: Option<String>,
    #[serde(default)]
    pub summary_schedule: Option<String>,
}

impl std::fmt::Debug for SmtpSettingsInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmtpSettingsInput(<redacted>)")
    }
}

/// The result of the settings screen's "send a test" / connection test.
#[derive(Clone, Debug, Serialize, Type)]
pub struct SmtpTestResult {
    pub ok: bool,
    pub message: Text,
    pub error: Option<AppError>,
    /// The server, login and sender this test used (the password only as "typed" or
    /// "saved").
    pub tested: Option<Text>,
}

/// What one pass over the mail queue did.
#[derive(Clone, Debug, Serialize, Type)]
pub struct MailRunReport {
    pub sent: u32,
    pub failed: u32,
    /// The SMTP problem, when sending failed or is not set up (mails stay queued).
    pub problem: Option<AppError>,
}

#[derive(Clone, Debug, Serialize, Deserialize, Type)]
pub struct NotificationPreferencesDto {
    pub renewal_failed: bool,
    pub card_digest: bool,
    pub capture_deadline: bool,
    /// PayDesk starts when the user logs in (tray only).
    pub start_at_login: bool,
}

/// A desktop notification the shell shows; a click opens `screen` (`order` with
/// `target_id`, `cards`, `orders:near_deadline`).
#[derive(Clone, Debug, Serialize, Type)]
pub struct DesktopNotification {
    pub kind: NotificationKindCode,
    pub title: Text,
    pub body: Text,
    pub screen: String,
    #[specta(type = Option<specta_typescript::Number>)]
    pub target_id: Option<i64>,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct SubscriptionImportError {
    /// 1 = the header; 0 = the whole file.
    pub line: u32,
    pub column: Option<String>,
    pub message: Text,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct SubscriptionImportReport {
    pub imported: u32,
    pub errors: Vec<SubscriptionImportError>,
}
