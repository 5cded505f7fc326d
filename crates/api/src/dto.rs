//! The types that cross the IPC boundary. Each derives `specta::Type`, so
//! `ui/src/bindings.ts` is generated from them; a test fails when that file is stale.
//!
//! Layout: this file holds the desk's own (app, orders, operations, settings, sync,
//! import and export); each feature's are in a file of their own below it (`bulk`,
//! `documents`, `guide`, `mail_text`, `money`, `order_mail`, `shipping`, `statement`,
//! `subscriptions`), and [`events`] holds the
//! one event the backend pushes. They depend one way: `documents` on nothing, this file
//! on `documents`, the features on this file, `guide` on `subscriptions`, `events` on
//! all of them.
//!
//! Conventions: money is integer yen in fields named `*_yen`; times are RFC 3339 strings
//! in UTC (the UI shows them in Asia/Tokyo); user-facing text is a [`Text`] pair filled
//! in on the Rust side; codes are lowercase snake_case enums the UI can switch on. Domain
//! types never appear here: `convert.rs` builds these by hand. The UI is built with the
//! backend from the generated bindings, so a change to a command or a type changes both in
//! one commit (`cargo xtask codegen`; a test fails on stale bindings).

pub mod bulk;
pub mod documents;
pub mod events;
pub mod guide;
pub mod mail_text;
pub mod money;
pub mod order_mail;
pub mod shipping;
pub mod statement;
pub mod subscriptions;

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::{AppError, Text};

#[derive(Clone, Debug, Serialize, Type)]
pub struct AppInfo {
    pub name: String,
    pub version: String,
    pub identifier: String,
    /// The keychain namespace this build uses (shown in Settings so a shop owner can find
    /// the entries in the OS keychain app).
    pub keychain_namespace: String,
    pub build: String,
    /// Where the database and logs live.
    pub data_dir: String,
    /// Whether this run is the demo (embedded simulator and relay).
    pub demo: bool,
    /// Whether this build has the demo at all (development and test builds; a release
    /// build has none, so the setup guide does not offer it).
    pub demo_available: bool,
    /// Something the start has to tell the shop owner (the data could not be moved to
    /// its new place, or something was left in the old one); shown on the home screen.
    pub notice: Option<Text>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Ja,
    En,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct KeychainStatus {
    pub available: bool,
    pub problem: Option<AppError>,
}

// ---------------------------------------------------------------------------------------
// Codes
// ---------------------------------------------------------------------------------------

/// Where an order sits in the shop's workflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum OrderListCode {
    Open,
    Completed,
    Cancelled,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethodCode {
    Card,
    Paidy,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum CaptureModeCode {
    AuthorizeOnly,
    AuthorizeAndCapture,
}

/// The operations of the order detail screen, in button order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum OperationKindCode {
    Capture,
    Cancel,
    FullRefund,
    PartialRefund,
    AmountChange,
}

/// Who made a history line's change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ActorCode {
    Paydesk,
    Gateway,
    Outside,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKindCode {
    Capture,
    Refund,
}

/// How an order stands against its deadline: `near` = within 7 days (flagged, counted on
/// the home screen); `lapsed` = passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineStateCode {
    Ok,
    Near,
    Lapsed,
}

/// The deadline filter of an order list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineFilterCode {
    Near,
    Lapsed,
}

/// The order of an order list's rows. Without one, a list with a deadline filter is
/// most urgent first and any other list newest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum OrderSortCode {
    /// Newest order first.
    Newest,
    /// Oldest order first.
    Oldest,
    /// Highest amount first.
    AmountHigh,
    /// Lowest amount first.
    AmountLow,
    /// Deadlines still ahead, soonest first; then those that passed, most recent first;
    /// then orders without a deadline.
    Deadline,
}

/// Where telegrams go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum EnvironmentCode {
    /// The local simulator (or any custom base URL).
    Simulator,
    Sandbox,
    Production,
}

// ---------------------------------------------------------------------------------------
// Orders
// ---------------------------------------------------------------------------------------

/// One page request of an order list. Every field is optional.
#[derive(Clone, Debug, Default, Serialize, Deserialize, Type)]
pub struct OrderQuery {
    /// `null` searches all three lists.
    #[serde(default)]
    pub list: Option<OrderListCode>,
    /// Payment status codes (`"20"`, `"40"`, …); empty = any.
    #[serde(default)]
    pub statuses: Vec<String>,
    #[serde(default)]
    pub deadline: Option<DeadlineFilterCode>,
    /// Transaction ID, order number, buyer name (kanji or kana) or amount (`1500`, `¥1,500`).
    #[serde(default)]
    pub search: Option<String>,
    /// Only orders paid with this method.
    #[serde(default)]
    pub method: Option<PaymentMethodCode>,
    /// Only orders placed on or after this Japan calendar day (`2026-12-01`).
    #[serde(default)]
    pub ordered_from: Option<String>,
    /// Only orders placed on or before this Japan calendar day (`2026-12-31`).
    #[serde(default)]
    pub ordered_to: Option<String>,
    /// Only orders whose deposit is marked received, or captured ones still waiting for it.
    #[serde(default)]
    pub deposit: Option<crate::dto::documents::DepositFilterCode>,
    #[serde(default)]
    pub sort: Option<OrderSortCode>,
    /// Zero-based.
    #[serde(default)]
    pub page: u32,
    /// Rows per page; 0 = 50.
    #[serde(default)]
    pub page_size: u32,
}

/// A deadline as shown next to an order.
#[derive(Clone, Debug, Serialize, Type)]
pub struct DeadlineDto {
    pub kind: DeadlineKindCode,
    /// The moment it passes (exclusive), RFC 3339 UTC.
    pub at: String,
    pub state: DeadlineStateCode,
    /// "売上確定期限 2024-05-01 13:09 (あと3日)" / "Capture by …", or "lapsed" in plain words.
    pub text: Text,
}

/// A payment status code with its label.
#[derive(Clone, Debug, Serialize, Type)]
pub struct StatusDto {
    /// The gateway's code (`"20"` authorized, `"40"` captured, …).
    pub code: String,
    pub label: Text,
}

/// One row of an order list.
#[derive(Clone, Debug, Serialize, Type)]
pub struct OrderSummary {
    #[specta(type = specta_typescript::Number)]
    pub id: i64,
    pub order_number: String,
    /// The current transaction ID (the gateway's payment ID).
    pub transaction_id: String,
    pub method: PaymentMethodCode,
    pub capture_mode: CaptureModeCode,
    pub status: StatusDto,
    /// The amount ordered and authorized (lowered by an amount change).
    #[specta(type = specta_typescript::Number)]
    pub amount_yen: i64,
    #[specta(type = specta_typescript::Number)]
    pub captured_yen: i64,
    #[specta(type = specta_typescript::Number)]
    pub refunded_yen: i64,
    /// What a refund may still take (0 unless captured).
    #[specta(type = specta_typescript::Number)]
    pub refundable_yen: i64,
    pub ordered_at: String,
    pub buyer_name: Option<String>,
    pub buyer_name_kana: Option<String>,
    pub list: OrderListCode,
    pub deadline: Option<DeadlineDto>,
    /// Someone changed the payment outside PayDesk (banner until acknowledged).
    pub outside_change: bool,
    /// An operation's outcome is still being confirmed with the gateway.
    pub operation_unsettled: bool,
    /// A failed renewal the shop switched to another payment method (銀行振込, …): the
    /// buyer pays outside Paygent, so `method` and the gateway status no longer describe
    /// how this order is paid.
    pub payment_method_label: Option<String>,
    /// The deposit check (入金チェック): marked received, on this day.
    pub deposit: Option<crate::dto::documents::DepositDto>,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct OrderPage {
    pub items: Vec<OrderSummary>,
    /// Rows matching in total.
    pub total: u32,
    pub page: u32,
    pub page_size: u32,
}

/// Whether an operation can work now; a disabled button shows `reason`.
#[derive(Clone, Debug, Serialize, Type)]
pub struct OperationAvailability {
    pub kind: OperationKindCode,
    pub enabled: bool,
    /// The refusal's stable code (`already_captured`, `capture_deadline_passed`, …).
    pub reason_code: Option<String>,
    pub reason: Option<Text>,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct HistoryLineDto {
    pub at: String,
    pub actor: ActorCode,
    pub text: Text,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct ItemDto {
    pub item_id: Option<String>,
    pub title: String,
    pub description: Option<String>,
    #[specta(type = specta_typescript::Number)]
    pub unit_price_yen: i64,
    #[specta(type = specta_typescript::Number)]
    pub quantity: i64,
}

/// Buyer, shipping and item details (from Paidy's verify telegram or a storefront CSV).
#[derive(Clone, Debug, Serialize, Type)]
pub struct OrderDetailsDto {
    /// `paidy_verify`, `storefront_csv`, `gateway` or `shop_owner`.
    pub source: String,
    pub buyer_name: Option<String>,
    pub buyer_name_kana: Option<String>,
    pub buyer_email: Option<String>,
    pub buyer_phone: Option<String>,
    pub shipping_zip: Option<String>,
    pub shipping_state: Option<String>,
    pub shipping_city: Option<String>,
    pub shipping_line1: Option<String>,
    pub shipping_line2: Option<String>,
    #[specta(type = Option<specta_typescript::Number>)]
    pub order_tax_yen: Option<i64>,
    #[specta(type = Option<specta_typescript::Number>)]
    pub order_shipping_yen: Option<i64>,
    pub items: Vec<ItemDto>,
}

/// The buyer's details as the shop owner edits them on the order's screen; an empty box
/// clears the field.
#[derive(Clone, Debug, Default, Serialize, Deserialize, Type)]
pub struct BuyerDetailsInput {
    pub name: String,
    pub kana: String,
    pub email: String,
    pub phone: String,
    pub postal_code: String,
    pub prefecture: String,
    pub city: String,
    pub address_line1: String,
    pub address_line2: String,
}

/// An operation whose outcome PayDesk is still confirming with the gateway.
#[derive(Clone, Debug, Serialize, Type)]
pub struct PendingOperationDto {
    pub kind: OperationKindCode,
    #[specta(type = Option<specta_typescript::Number>)]
    pub amount_yen: Option<i64>,
    /// `pending`, `sent` or `unknown`.
    pub state: String,
    pub created_at: String,
    pub message: Text,
}

/// The order detail screen.
#[derive(Clone, Debug, Serialize, Type)]
pub struct OrderDetail {
    pub summary: OrderSummary,
    /// Every transaction ID the order has had, oldest first (revisions add new ones).
    pub transaction_ids: Vec<String>,
    pub three_d_secure: bool,
    /// 3-D Secure as the gateway reported it (card orders; `None` for Paidy).
    pub three_d_secure_outcome: Option<ThreeDSecureDto>,
    /// What the payment status means for the shop owner when its label is not enough: a
    /// processing status (from `domain::PROCESSING_RULES`), a validity check, a 3-D Secure
    /// the buyer did not finish.
    pub status_meaning: Option<Text>,
    pub authorized_at: Option<String>,
    pub captured_at: Option<String>,
    /// One entry per operation kind, in button order.
    pub operations: Vec<OperationAvailability>,
    /// Newest first.
    pub history: Vec<HistoryLineDto>,
    pub details: Option<OrderDetailsDto>,
    /// The outside-change banner, while not acknowledged.
    pub banner: Option<Text>,
    pub pending_operation: Option<PendingOperationDto>,
}

/// A card order's 3-D Secure: `code` is `authenticated`, `attempted` (the card company
/// vouched for a card that does not take part), `not_used`, `interrupted` (the buyer did
/// not finish) or `not_reported` (Paygent has not said yet).
#[derive(Clone, Debug, Serialize, Type)]
pub struct ThreeDSecureDto {
    pub code: String,
    pub label: Text,
    pub meaning: Text,
}

/// What the shop owner asks for. `amount_yen`: the refund for `partial_refund`, the new
/// total for `amount_change`; ignored otherwise.
#[derive(Clone, Debug, Serialize, Deserialize, Type)]
pub struct OperationRequest {
    pub kind: OperationKindCode,
    #[serde(default)]
    #[specta(type = Option<specta_typescript::Number>)]
    pub amount_yen: Option<i64>,
}

/// How an operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum OperationOutcomeCode {
    /// The gateway did it.
    Succeeded,
    /// The gateway refused (see `error`: code and the dictionary's explanation).
    Failed,
    /// No answer came and the inquiry could not settle it yet; PayDesk keeps checking and
    /// the order's buttons stay disabled until it is settled.
    Unknown,
    /// The payment changed some other way meanwhile; the order adopted the gateway's state.
    Conflict,
    /// The gateway stopped part-way and holds the payment in a processing status for this
    /// operation (§5.3, §4.9): neither done nor refused; sync settles the order when the
    /// gateway moves it on.
    Processing,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct OperationResult {
    #[specta(type = specta_typescript::Number)]
    pub order_id: i64,
    pub kind: OperationKindCode,
    pub outcome: OperationOutcomeCode,
    /// One plain sentence for a toast.
    pub message: Text,
    /// The gateway's code and explanation when `outcome` is `failed` (or a local problem).
    pub error: Option<AppError>,
    /// The order afterwards.
    pub order: OrderDetail,
}

/// The home screen's counts.
#[derive(Clone, Debug, Serialize, Type)]
pub struct HomeSummary {
    pub open_orders: u32,
    pub completed_orders: u32,
    pub cancelled_orders: u32,
    /// Orders within 7 days of their capture deadline.
    pub near_deadline: u32,
    /// Orders whose capture deadline passed (lapsed).
    pub lapsed: u32,
    /// Orders showing an unacknowledged outside change.
    pub outside_changes: u32,
    /// Operations still being confirmed with the gateway.
    pub unsettled_operations: u32,
    /// Failed renewals waiting for the shop's choice (see
    /// `store::Store::failed_renewals_waiting`).
    pub failed_renewals: u32,
    /// The oldest of them: its order shows the four choices.
    #[specta(type = Option<specta_typescript::Number>)]
    pub oldest_failed_renewal_order: Option<i64>,
    pub sync: SyncStatus,
}

// ---------------------------------------------------------------------------------------
// Sync
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum SyncModeCode {
    /// Notifications arrive through the relay's stream.
    Relay,
    /// PayDesk polls telegram 091 (no relay, or the relay is quiet or reported a gap).
    Polling,
    /// Neither works right now (see `problem`).
    Offline,
    /// Credentials are missing: nothing to sync with.
    NotConfigured,
}

/// Sync liveness for the status bar ("last event 3 min ago").
#[derive(Clone, Debug, Serialize, Type)]
pub struct SyncStatus {
    pub mode: SyncModeCode,
    pub relay_configured: bool,
    pub relay_connected: bool,
    /// Last payment event from the relay (or 091 record).
    pub last_event_at: Option<String>,
    pub last_heartbeat_at: Option<String>,
    pub last_poll_at: Option<String>,
    /// Highest `payment_notice_id` applied.
    #[specta(type = Option<specta_typescript::Number>)]
    pub last_notice_id: Option<i64>,
    /// Notice ids the relay reported missing and PayDesk has not fetched yet.
    pub missing_notices: u32,
    /// Notifications the relay quarantined (hash check failed): a security warning.
    pub quarantined: u32,
    /// Why the mode is not `relay` or something failed (wrong token, gateway down, …).
    pub problem: Option<AppError>,
    /// PayDesk's clock when this status was made (RFC 3339). The times above are on
    /// this clock (the demo's follows its simulator), so the UI measures "3 min ago"
    /// against it, not against the window's own clock.
    pub now: String,
}

/// What one `sync_now` did.
#[derive(Clone, Debug, Serialize, Type)]
pub struct SyncReport {
    /// Records applied (new or changed orders).
    pub applied: u32,
    pub created: u32,
    pub duplicates: u32,
    pub status: SyncStatus,
}

// ---------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------

/// Which secrets are stored in the keychain (never their values).
#[derive(Clone, Debug, Serialize, Type)]
pub struct SecretsSet {
    pub merchant_id: bool,
    pub connect_id: bool,
    pub connect_password: bool,
    pub client_certificate: bool,
    pub client_certificate_passphrase: bool,
    pub hash_key: bool,
    pub relay_token: bool,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct Settings {
    pub environment: EnvironmentCode,
    /// The simulator's (or a custom) base URL, e.g. `https://127.0.0.1:18443`.
    pub custom_base_url: Option<String>,
    /// Whether a CA certificate for the custom URL is stored (the simulator's test CA).
    pub custom_ca_set: bool,
    pub relay_url: Option<String>,
    pub shop_name: Option<String>,
    /// Capture mode given to orders PayDesk creates from notifications.
    pub capture_mode_for_new: CaptureModeCode,
    pub secrets: SecretsSet,
    /// Whether everything needed to send telegrams is set.
    pub complete: bool,
    /// The keychain could not be read (locked, absent): `secrets` is then all false.
    pub keychain_problem: Option<AppError>,
}

/// Non-secret settings. `null` keeps a value; an empty string clears it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, Type)]
pub struct SettingsInput {
    #[serde(default)]
    pub environment: Option<EnvironmentCode>,
    #[serde(default)]
    pub custom_base_url: Option<String>,
    /// Path of a PEM CA file to trust for the custom URL (its content is stored; not secret).
    #[serde(default)]
    pub custom_ca_path: Option<String>,
    #[serde(default)]
    pub relay_url: Option<String>,
    #[serde(default)]
    pub shop_name: Option<String>,
    #[serde(default)]
    pub capture_mode_for_new: Option<CaptureModeCode>,
}

/// Secrets going into the keychain. `null` keeps the stored value; an empty string deletes
/// it. They are never sent back.
#[derive(Clone, Default, Serialize, Deserialize, Type)]
pub struct CredentialsInput {
    #[serde(default)]
    pub merchant_id: Option<String>,
    #[serde(default)]
    pub connect_id: Option<String>,
    #[serde(default)]
    pub connect_password: Option<String>,
    /// Path of the client certificate file (`.pem`, or `.p12`/`.pfx`); the backend reads
    /// it and stores its content in the keychain.
    #[serde(default)]
    pub client_certificate_path: Option<String>,
    #[serde(default)]
    pub client_certificate_passphrase: Option<String>,
    #[serde(default)]
    pub hash_key: Option<String>,
    #[serde(default)]
    pub relay_token: Option<String>,
}

impl std::fmt::Debug for CredentialsInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CredentialsInput(<redacted>)")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionOutcomeCode {
    /// The gateway accepted the credentials and the certificate.
    Ok,
    /// Merchant ID, connect ID or connect password wrong (P001, P002).
    WrongCredentials,
    /// The client certificate was refused (TLS handshake, P016) or cannot be read.
    Certificate,
    /// The source IP is not registered with Paygent (P015).
    IpNotRegistered,
    /// The gateway cannot be reached or is under maintenance.
    GatewayDown,
    /// Settings are missing.
    NotConfigured,
    /// Something else; see `code`.
    Other,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct ConnectionTestResult {
    pub outcome: ConnectionOutcomeCode,
    pub ok: bool,
    /// The gateway or module code (`P002`, `E02004`, …) when there is one.
    pub code: Option<String>,
    pub message: Text,
    pub action: Option<Text>,
    /// The relay, if configured: `null` = not configured.
    pub relay: Option<RelayTestResult>,
    /// The values this test used (environment and URL, and for each secret whether the
    /// screen's unsaved input or the saved value).
    pub tested: Vec<TestedValueDto>,
}

/// What the connection test used, so the shop owner sees which values were tested (the
/// screen's unsaved input or the saved settings). Secrets are named, never shown.
#[derive(Clone, Debug, Serialize, Type)]
pub struct TestedValueDto {
    pub label: Text,
    pub value: Text,
}

/// The settings screen's values as they are on screen, unsaved: the connection test
/// uses them over the saved ones (an empty box keeps the saved value), and stores or
/// logs none of them.
#[derive(Clone, Default, Serialize, Deserialize, Type)]
pub struct ConnectionTestInput {
    #[serde(default)]
    pub settings: SettingsInput,
    #[serde(default)]
    pub credentials: CredentialsInput,
}

impl std::fmt::Debug for ConnectionTestInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConnectionTestInput(<redacted>)")
    }
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct RelayTestResult {
    pub ok: bool,
    pub message: Text,
}

// ---------------------------------------------------------------------------------------
// CSV import / export
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug, Serialize, Type)]
pub struct ImportRowError {
    /// 1-based line in the file (the header is line 1).
    pub line: u32,
    pub order_number: Option<String>,
    pub message: Text,
}

/// One field an import changes, as the shop owner reads it.
#[derive(Clone, Debug, Serialize, Type)]
pub struct ImportChange {
    #[specta(type = specta_typescript::Number)]
    pub order_id: i64,
    pub order_number: String,
    pub field: Text,
    /// The value before, as shown (`None`: empty).
    pub before: Option<String>,
    /// The value after, as shown (`None`: empty).
    pub after: Option<String>,
}

/// What a storefront import would change, computed by the same code that applies it.
/// Nothing has been written; apply with [`ImportPreview::token`].
#[derive(Clone, Debug, Serialize, Type)]
pub struct ImportPreview {
    pub path: String,
    /// Whether empty cells clear known values (the shop owner's explicit choice).
    pub clear_empty: bool,
    /// Names this exact set of changes: the apply refuses if its changes differ.
    pub token: String,
    /// `utf-8` or `shift_jis`.
    pub encoding: String,
    /// Data rows read.
    pub rows: u32,
    /// Rows matched to an order.
    pub matched: u32,
    /// Orders that would change.
    pub orders: u32,
    /// Fields that would change, over all orders.
    pub fields: u32,
    /// The detail columns the file has: only these can change.
    pub columns: Vec<Text>,
    /// The first changes (`RULES.import_preview_sample`), old → new.
    pub sample: Vec<ImportChange>,
    /// Rows that cannot be used (no such order, bad value), one entry each.
    pub errors: Vec<ImportRowError>,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct ImportReport {
    /// The recorded import, to undo it; `None` when nothing changed (nothing recorded).
    #[specta(type = Option<specta_typescript::Number>)]
    pub import_id: Option<i64>,
    /// `utf-8` or `shift_jis`.
    pub encoding: String,
    /// Data rows read.
    pub rows: u32,
    /// Rows matched to an order.
    pub matched: u32,
    /// Orders changed.
    pub orders: u32,
    /// Fields changed, over all orders.
    pub fields: u32,
    /// Rows that could not be used (no such order, bad value), one entry each.
    pub errors: Vec<ImportRowError>,
}

/// An applied storefront import, listed so it can be undone.
#[derive(Clone, Debug, Serialize, Type)]
pub struct ImportRecord {
    #[specta(type = specta_typescript::Number)]
    pub id: i64,
    /// When it was applied (RFC 3339, UTC).
    pub at: String,
    pub file_name: String,
    pub clear_empty: bool,
    pub orders: u32,
    pub fields: u32,
    /// When it was undone (RFC 3339, UTC), if it was.
    pub undone_at: Option<String>,
}

/// What undoing an import did.
#[derive(Clone, Debug, Serialize, Type)]
pub struct UndoImportReport {
    #[specta(type = specta_typescript::Number)]
    pub import_id: i64,
    /// Orders touched (each has a history line saying what was restored and kept).
    pub orders: u32,
    /// Fields set back to their value before the import.
    pub restored: u32,
    /// Fields changed after the import, kept as they are now (`before`: what the import
    /// set, `after`: the value now, which stays).
    pub kept: Vec<ImportChange>,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct ExportReport {
    pub path: String,
    pub rows: u32,
}

// ---------------------------------------------------------------------------------------
// Demo
// ---------------------------------------------------------------------------------------

/// The embedded simulator and relay of a demo run (for end-to-end tests and the curious).
#[derive(Clone, Debug, Serialize, Type)]
pub struct DemoStatus {
    /// The simulator's control API base, e.g. `http://127.0.0.1:40123` (paths `/control/…`).
    pub control_url: String,
    /// The simulator's telegram endpoint (mutual TLS).
    pub gateway_url: String,
    /// The local relay's base URL.
    pub relay_url: String,
    pub merchant_id: String,
    /// The relay's shop id.
    pub relay_shop: String,
}
