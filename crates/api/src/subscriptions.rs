//! Subscriptions (定期購入): renewals on stored cards, failed renewals and their four
//! choices, stored-card refresh (027) and the day-before check, the card dashboard, the
//! CSV import, and the scheduler that runs it all in the background.
//!
//! Layout: [`run_subscriptions`] is the background task (started beside
//! `run_sync`): at start it settles renewals a crash left open and catches up on renewals
//! that fell due while PayDesk was off, then wakes just after the next 0:00 Japan time
//! (and at least every [`MAX_SLEEP`], so a demo's simulated clock that jumps ahead is
//! noticed) to run [`subscriptions_tick`]: settle, renew, check tomorrow's cards,
//! daily notifications, scheduled e-mails (`mailing`), send the mail queue. A renewal is
//! journaled before it is sent (`store::begin_renewal`: one row per cycle, unique key, so a
//! cycle is never authorized twice); a renewal whose answer was lost is settled with an
//! inquiry (094) by its deterministic order number, and sent again only when the gateway
//! has no payment under that number. Refused renewals still create an order (status 11)
//! showing the error, the dictionary's explanation and the four choices.
//!
//! Decisions: renewals use the shop's capture mode in force at renewal time (one setting
//! for normal and subscription orders, seed 1-1). Paygent's validity check (025
//! `valid_check_flg`) needs a fresh card token, which a stored card does not have, so the
//! day-before check reads the stored card (027: expiry, expired flag, and the validity
//! check result when the card was registered with one), and records and says which of
//! the two it made (`CardCheckKindCode`, issue 19 point 8) and that a validity check of
//! its own could not be made.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use domain::subscription::{
    CardExpiry, CardState, Cycle, DueRenewal, FailedRenewalChoice, FailedRenewalChoiceKind,
    FirstPurchase, NotificationKind, ReminderKind, Subscription, SubscriptionId,
    SubscriptionStatus, card_state, cards_to_check, due_renewals, japan_date, renewal_check,
    renewal_due_at, renewal_key,
};
use domain::{
    CaptureMode, FailureCategory, Order, OrderId, OrderList, PaymentMethod, PaymentStatus, RULES,
    Yen,
};
use paygent_client::ClientError;
use paygent_codec::ErrorContext;
use paygent_codec::request::{
    CardAuthorize, CardSource, PaymentClass, PaymentInquiry, PaymentRef, StoredCardInquiry,
    ThreeDSecure,
};
use store::{BeginRenewal, CardListQuery, CardRefresh, CycleRow, CycleState, ImportPolicy};

use crate::ErrorCode;
use crate::context::Context;
use crate::dto::events::DeskEvent;
use crate::dto::subscriptions::{
    CardCheckDto, CardCheckKindCode, CardDashboardDto, CardStateCode, DesktopNotification,
    ExpiryMonthDto, FailedRenewalChoiceCode, FailedRenewalChoiceDto, FailedRenewalChoiceInput,
    FailedRenewalDto, FailedRenewalMark, NotificationKindCode, OutreachDto, RenewalBlockDto,
    RenewalCycleDto, RenewalOutcomeDto, RenewalRunReport, SubscriptionDetail,
    SubscriptionImportError, SubscriptionImportReport, SubscriptionInput, SubscriptionPage,
    SubscriptionQuery, SubscriptionStatusCode, SubscriptionSummary,
};
use crate::mailing;
use crate::mailing::{reminder_code, subscription_not_found};
use crate::settings;
use crate::{AppError, Text, convert};

/// The longest the scheduler sleeps between passes: a simulated clock moved ahead (demo,
/// tests) or a machine that slept is noticed within this time.
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// How long after 0:00 Japan time the scheduler wakes for the day's renewals.
const AFTER_MIDNIGHT: TimeDelta = TimeDelta::seconds(5);
/// Rows per page when the UI does not say, and the most one page may ask for.
const DEFAULT_PAGE_SIZE: u32 = 50;
const MAX_PAGE_SIZE: u32 = 500;

/// Settings keys of the scheduler's daily work.
mod keys {
    pub const LAST_DIGEST_DATE: &str = "subscriptions.last_card_digest_date";
    pub const LAST_DEADLINE_NOTICE_DATE: &str = "subscriptions.last_deadline_notice_date";
    pub const START_AT_LOGIN: &str = "start_at_login";
    pub fn card_check(id: i64) -> String {
        format!("subscriptions.card_check.{id}")
    }
    pub fn late_note(id: i64) -> String {
        format!("subscriptions.late_notes.{id}")
    }
}

// ---------------------------------------------------------------------------------------
// Conversions.

pub(crate) fn status_code(s: SubscriptionStatus) -> SubscriptionStatusCode {
    match s {
        SubscriptionStatus::Active => SubscriptionStatusCode::Active,
        SubscriptionStatus::Paused => SubscriptionStatusCode::Paused,
        SubscriptionStatus::Ended => SubscriptionStatusCode::Ended,
    }
}

fn status_from(s: SubscriptionStatusCode) -> SubscriptionStatus {
    match s {
        SubscriptionStatusCode::Active => SubscriptionStatus::Active,
        SubscriptionStatusCode::Paused => SubscriptionStatus::Paused,
        SubscriptionStatusCode::Ended => SubscriptionStatus::Ended,
    }
}

pub(crate) fn card_state_code(s: Option<CardState>) -> CardStateCode {
    match s {
        None => CardStateCode::Unknown,
        Some(CardState::Valid) => CardStateCode::Valid,
        Some(CardState::ExpiringSoon) => CardStateCode::ExpiringSoon,
        Some(CardState::Expired) => CardStateCode::Expired,
    }
}

fn choice_code(k: FailedRenewalChoiceKind) -> FailedRenewalChoiceCode {
    match k {
        FailedRenewalChoiceKind::CancelOrder => FailedRenewalChoiceCode::CancelOrder,
        FailedRenewalChoiceKind::SwitchPaymentMethod => {
            FailedRenewalChoiceCode::SwitchPaymentMethod
        }
        FailedRenewalChoiceKind::EndSubscription => FailedRenewalChoiceCode::EndSubscription,
        FailedRenewalChoiceKind::AskBuyerToUpdateCard => {
            FailedRenewalChoiceCode::AskBuyerToUpdateCard
        }
    }
}

fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_date(field: &str, s: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::of(ErrorCode::InvalidSubscriptionDate)
            .with("field", field)
            .with("value", s)
            .into()
    })
}

fn cycle_state_label(s: CycleState) -> Text {
    let (ja, en) = match s {
        CycleState::Pending => ("送信準備中", "Being sent"),
        CycleState::Sent => ("送信済み・応答待ち", "Sent, waiting for the answer"),
        CycleState::Unknown => ("結果を確認中", "Result being confirmed"),
        CycleState::Authorized => ("オーソリOK", "Authorized"),
        CycleState::Failed => ("オーソリ失敗", "Failed"),
        CycleState::Missed => ("未実行（停止中）", "Missed (PayDesk was off)"),
    };
    Text::new(ja, en)
}

fn not_a_renewal_order(order_id: i64) -> AppError {
    AppError::of(ErrorCode::NotAFailedRenewal)
        .with("id", order_id)
        .into()
}

/// The subscription and cycle of a renewal order number (`S{id}_{cycle}`).
fn parse_renewal_order_number(order_number: &str) -> Option<(SubscriptionId, u32)> {
    let rest = order_number.strip_prefix('S')?;
    let (id, cycle) = rest.split_once('_')?;
    Some((SubscriptionId(id.parse().ok()?), cycle.parse().ok()?))
}

/// A day-before check as kept in the settings table (the DTO's `Text` is not
/// deserializable).
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredCheck {
    subscription_id: i64,
    buyer_name: String,
    renewal_date: String,
    amount_yen: i64,
    checked_at: String,
    predicted_failure: bool,
    result_ja: String,
    result_en: String,
    validity_check_unavailable: bool,
    /// Which check was made (absent in records written before it was kept).
    #[serde(default)]
    check_kind: Option<CardCheckKindCode>,
    #[serde(default)]
    check_made_ja: Option<String>,
    #[serde(default)]
    check_made_en: Option<String>,
}

impl StoredCheck {
    /// Which check this record says was made; an older record without it made the
    /// stored-card read (with the registration's check when one was found).
    fn kind(&self) -> CardCheckKindCode {
        self.check_kind
            .unwrap_or(if self.validity_check_unavailable {
                CardCheckKindCode::StoredCardRead
            } else {
                CardCheckKindCode::StoredCardReadWithRegistrationCheck
            })
    }
}

/// Which check the day-before check made, in plain words (issue 19, point 8). `validity`:
/// the registration's check result (§4.5: 0 OK, 1 NG, 2 card-company match error, 3 billing
/// stopped) and its date, `YYYYMMDDhhmmss` as 027 gives it.
fn check_made_text(kind: CardCheckKindCode, validity: Option<(&str, &str)>) -> Text {
    const NO_FRESH_CHECK_JA: &str = "その日の有効性チェック（カード会社への確認）はカード番号が必要なため、登録済みカードにはできません。";
    const NO_FRESH_CHECK_EN: &str = "A validity check with the card company today needs the card's number, so it cannot be made on a stored card.";
    match kind {
        CardCheckKindCode::NotMade => Text::new(
            "確認できませんでした: ペイジェントに登録済みカードを照会できませんでした。",
            "No check was made: the stored card could not be read from Paygent.",
        ),
        CardCheckKindCode::StoredCardRead => Text::new(
            &format!(
                "確認した内容: ペイジェントに登録済みカードを照会し、有効期限と期限切れの印を確かめました。{NO_FRESH_CHECK_JA}"
            ),
            &format!(
                "Check made: the stored card read from Paygent, its expiry and expired flag. {NO_FRESH_CHECK_EN}"
            ),
        ),
        CardCheckKindCode::StoredCardReadWithRegistrationCheck => {
            let (code, date) = validity.unwrap_or(("", ""));
            let (ja, en) = match code {
                "0" => ("正常", "OK"),
                "1" => ("NG", "NG"),
                "2" => ("カード会社との照合エラー", "card company match error"),
                "3" => ("請求停止", "billing stopped"),
                _ => ("不明", "unknown"),
            };
            let day = match (date.get(..4), date.get(4..6), date.get(6..8)) {
                (Some(y), Some(m), Some(d)) => format!("{y}-{m}-{d}"),
                _ => "?".to_owned(),
            };
            Text::new(
                &format!(
                    "確認した内容: ペイジェントに登録済みカードを照会し、有効期限と期限切れの印、カード登録時（{day}）の有効性チェックの結果「{ja}」を確かめました。{NO_FRESH_CHECK_JA}"
                ),
                &format!(
                    "Check made: the stored card read from Paygent, its expiry, expired flag and the validity check made when it was registered ({day}): {en}. {NO_FRESH_CHECK_EN}"
                ),
            )
        }
    }
}

/// How a renewal ended: `authorized`, `failed` or `unknown`, its order, its error.
type Settled = (&'static str, Option<i64>, Option<AppError>);

/// The settle/answer functions call each other (a resend after an inquiry), so their
/// futures are boxed.
type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// How a 020 renewal's answer classifies.
enum Answer {
    Authorized {
        payment_id: String,
    },
    /// Refused for good: the renewal failed (an order shows why).
    Refused {
        code: String,
        detail: String,
        payment_id: Option<String>,
    },
    /// It may or may not have happened: settle by inquiry by order number. `in_flight`: no
    /// answer came at all (a timeout, a dropped connection), so the gateway may still be
    /// carrying it out.
    Open {
        why: String,
        in_flight: bool,
    },
}

fn classify(result: Result<paygent_codec::response::CardAuthorization, ClientError>) -> Answer {
    match result {
        Ok(auth) => Answer::Authorized {
            payment_id: auth.payment_id,
        },
        Err(ClientError::Gateway(g)) => match FailureCategory::from_code(&g.response_code) {
            // 2005: a payment already has this order number (an earlier send went through).
            FailureCategory::Refused if g.response_code != "2005" => Answer::Refused {
                code: g.response_code,
                detail: g.response_detail,
                payment_id: g.payment_id,
            },
            _ => Answer::Open {
                why: g.response_code,
                in_flight: false,
            },
        },
        // Timeouts, dropped connections, unreadable answers, and connections that never
        // opened: all settled by inquiry before anything is sent again.
        Err(e) => Answer::Open {
            why: e.to_string(),
            in_flight: e.outcome_unknown(),
        },
    }
}

/// What the inquiry by order number found.
enum Found {
    Authorized {
        payment_id: String,
    },
    Failed {
        payment_id: String,
    },
    /// The gateway has no payment under the order number: the renewal never happened.
    Nothing,
    /// The inquiry itself failed; try again later.
    CannotTell,
}

// -----------------------------------------------------------------------------------
// Queries.

fn summary_dto(
    cx: &Context,
    sub: &Subscription,
    last_reminder_at: Option<DateTime<Utc>>,
    today: NaiveDate,
) -> Result<SubscriptionSummary, AppError> {
    let state = sub.card_expiry.map(|e| card_state(e, today, &RULES));
    let (block, ended, failed) = {
        let store = cx.store();
        (
            store.renewal_block(sub.id)?,
            store.subscription_end(sub.id)?,
            store.failed_renewals_waiting(Some(sub.id))?,
        )
    };
    let label = match state {
        Some(s) => convert::text(&s.text()),
        None => Text::new("未取得", "Not read yet"),
    };
    Ok(SubscriptionSummary {
        id: sub.id.0,
        customer_id: sub.customer_id.clone(),
        customer_card_id: sub.customer_card_id.clone(),
        buyer_name: sub.buyer_name.clone(),
        buyer_email: sub.buyer_email.clone(),
        cycle: sub.cycle.code(),
        cycle_label: convert::text(&sub.cycle.text()),
        billing_day: sub.billing_day,
        amount_yen: sub.amount.0,
        fees_to_be_advised: sub.fees_to_be_advised,
        contract_end: sub.contract_end.map(date_text),
        // An ended subscription renews no more: no date to show.
        next_renewal_date: (sub.status != SubscriptionStatus::Ended)
            .then(|| date_text(sub.next_renewal_date)),
        ended_at: ended.map(|(at, _)| convert::time(at)),
        next_cycle_index: sub.next_cycle_index,
        status: status_code(sub.status),
        capture_mode: convert::capture_mode_to(sub.capture_mode),
        card_expiry: sub.card_expiry.map(CardExpiry::code),
        card_state: card_state_code(state),
        card_state_label: label,
        card_refreshed_at: sub.card_refreshed_at.map(convert::time),
        will_fail_before_next_billing: sub.status == SubscriptionStatus::Active
            && domain::subscription::will_fail_before_next_billing(sub),
        block: block.map(|b| RenewalBlockDto {
            code: b.code,
            text: convert::text(&b.text),
            since: convert::time(b.at),
        }),
        last_reminder_at: last_reminder_at.map(convert::time),
        failed_renewal: failed.first().and_then(|c| {
            Some(FailedRenewalMark {
                order_id: c.order_id?.0,
                renewal_date: date_text(c.renewal_date),
                error_code: c.error_code.clone().unwrap_or_default(),
                waiting: u32::try_from(failed.len()).unwrap_or(u32::MAX),
            })
        }),
    })
}

fn subscription(cx: &Context, id: i64) -> Result<Subscription, AppError> {
    cx.store()
        .get_subscription(SubscriptionId(id))?
        .ok_or_else(|| subscription_not_found(id))
}

pub(crate) fn subscription_summary(cx: &Context, id: i64) -> Result<SubscriptionSummary, AppError> {
    let sub = subscription(cx, id)?;
    let last = cx
        .store()
        .outreach_log(&sub.customer_id)?
        .iter()
        .map(|e| e.sent_at)
        .max();
    summary_dto(cx, &sub, last, japan_date(cx.now()))
}

/// The subscription list and the card dashboard's list: filtered, searched and paged
/// in SQL, soonest card expiry first.
pub(crate) async fn list_subscriptions(
    cx: &Context,
    query: SubscriptionQuery,
) -> Result<SubscriptionPage, AppError> {
    let today = japan_date(cx.now());
    let q = CardListQuery {
        state: match query.card_state {
            Some(CardStateCode::Valid) => Some(CardState::Valid),
            Some(CardStateCode::ExpiringSoon) => Some(CardState::ExpiringSoon),
            Some(CardStateCode::Expired) => Some(CardState::Expired),
            Some(CardStateCode::Unknown) | None => None,
        },
        predicted_failures_only: query.predicted_failures_only,
        search: query.search.clone(),
        include_ended: query.include_ended,
        page: query.page,
        page_size: match query.page_size {
            0 => DEFAULT_PAGE_SIZE,
            n => n.min(MAX_PAGE_SIZE),
        },
        today,
    };
    let page = cx.store().card_list(&q, &RULES)?;
    let items = page
        .items
        .iter()
        .map(|row| summary_dto(cx, &row.subscription, row.last_reminder_at, today))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SubscriptionPage {
        items,
        total: u32::try_from(page.total).unwrap_or(u32::MAX),
        page: page.page,
        page_size: page.page_size,
    })
}

/// One subscription with its cycles, late renewals, outreach log and card check.
pub(crate) async fn get_subscription(
    cx: &Context,
    id: i64,
) -> Result<SubscriptionDetail, AppError> {
    let summary = subscription_summary(cx, id)?;
    let (cycles, outreach) = {
        let store = cx.store();
        (
            store.renewal_cycles(SubscriptionId(id))?,
            store.outreach_log(&summary.customer_id)?,
        )
    };
    let late_notes: Vec<Text> = settings::setting(cx, &keys::late_note(id))?
        .and_then(|json| serde_json::from_str::<Vec<(String, String)>>(&json).ok())
        .unwrap_or_default()
        .into_iter()
        .rev()
        .map(|(ja, en)| Text::new(&ja, &en))
        .collect();
    Ok(SubscriptionDetail {
        cycles: cycles.iter().map(cycle_dto).collect(),
        late_notes,
        outreach: outreach
            .iter()
            .map(|e| OutreachDto {
                kind: reminder_code(e.kind),
                sent_at: convert::time(e.sent_at),
                card_expiry: e.card_expiry.map(CardExpiry::code),
            })
            .collect(),
        card_check: card_check(cx, id),
        first_order_id: None,
        summary,
    })
}

/// The shop's edits: status (pause, resume, end), amount, fees "to be advised",
/// contract end, buyer e-mail, next renewal date.
pub(crate) async fn update_subscription(
    cx: &Context,
    id: i64,
    input: SubscriptionInput,
) -> Result<SubscriptionDetail, AppError> {
    let mut sub = subscription(cx, id)?;
    if let Some(status) = input.status {
        sub.status = status_from(status);
    }
    if let Some(amount) = input.amount_yen {
        if amount < 0 {
            return Err(AppError::from_refusal(&domain::Refusal::AmountNotPositive));
        }
        sub.amount = Yen(amount);
    }
    if let Some(fees) = input.fees_to_be_advised {
        sub.fees_to_be_advised = fees;
    }
    match input.contract_end.as_deref().map(str::trim) {
        None => {}
        Some("") => sub.contract_end = None,
        Some(d) => sub.contract_end = Some(parse_date("契約終了日 / contract end", d)?),
    }
    if let Some(email) = input.buyer_email {
        let email = email.trim();
        sub.buyer_email = (!email.is_empty()).then(|| email.to_owned());
    }
    if let Some(d) = input.next_renewal_date {
        sub.next_renewal_date = parse_date("次回決済日 / next renewal date", &d)?;
    }
    let now = cx.now();
    {
        let mut store = cx.store();
        store.update_subscription(&sub, now)?;
        // A fixed block shows again on the next pass if it still applies.
        store.clear_renewal_block(sub.id)?;
    }
    subscriptions_changed(cx, &[id]);
    mailing::nudge_subscriptions(cx);
    get_subscription(cx, id).await
}

/// The card dashboard: counts, monthly revenue at risk, the 12-month chart, predicted
/// failures before the next billing date with their yen, and tomorrow's card checks.
pub(crate) async fn card_dashboard(cx: &Context) -> Result<CardDashboardDto, AppError> {
    let now = cx.now();
    let today = japan_date(now);
    let subs = cx.store().live_subscriptions()?;
    let d = domain::subscription::dashboard(&subs, today, &RULES);
    let mut predicted = Vec::new();
    for id in &d.predicted_failures {
        if let Some(sub) = subs.iter().find(|s| s.id == *id) {
            predicted.push(summary_dto(cx, sub, None, today)?);
        }
    }
    let mut checks: Vec<CardCheckDto> = subs
        .iter()
        .filter(|s| s.status == SubscriptionStatus::Active)
        .filter_map(|s| card_check(cx, s.id.0))
        .filter(|c| c.renewal_date >= date_text(today))
        .collect();
    checks.sort_by(|a, b| {
        b.predicted_failure
            .cmp(&a.predicted_failure)
            .then(a.renewal_date.cmp(&b.renewal_date))
    });
    Ok(CardDashboardDto {
        today: date_text(today),
        expiring_soon: d.expiring_soon,
        expired: d.expired,
        valid: d.valid,
        unknown_expiry: d.unknown_expiry,
        monthly_revenue_at_risk_yen: d.monthly_revenue_at_risk.0,
        expiries_by_month: d
            .expiries_by_month
            .iter()
            .map(|m| ExpiryMonthDto {
                year: m.year,
                month: m.month,
                cards: m.cards,
                monthly_revenue_yen: m.monthly_revenue.0,
            })
            .collect(),
        predicted_failures: predicted,
        predicted_failure_yen: d.predicted_failure_amount.0,
        day_before_checks: checks,
        warning_months: RULES.card_expiry_warning_months,
    })
}

fn card_check(cx: &Context, id: i64) -> Option<CardCheckDto> {
    settings::setting(cx, &keys::card_check(id))
        .ok()
        .flatten()
        .and_then(|json| serde_json::from_str::<StoredCheck>(&json).ok())
        .map(|c| CardCheckDto {
            check_kind: c.kind(),
            check_made: match (&c.check_made_ja, &c.check_made_en) {
                (Some(ja), Some(en)) => Text::new(ja, en),
                _ => check_made_text(c.kind(), None),
            },
            subscription_id: c.subscription_id,
            buyer_name: c.buyer_name,
            renewal_date: c.renewal_date,
            amount_yen: c.amount_yen,
            checked_at: c.checked_at,
            predicted_failure: c.predicted_failure,
            result: Text::new(&c.result_ja, &c.result_en),
            validity_check_unavailable: c.validity_check_unavailable,
        })
}

// -----------------------------------------------------------------------------------
// Creating subscriptions.

/// Starts a subscription from a first purchase paid with a stored card: the order's
/// payment is read from the gateway (094) for its `customer_id`, `customer_card_id`
/// and the card's expiry.
pub(crate) async fn create_subscription_from_order(
    cx: &Context,
    order_id: i64,
    cycle: String,
) -> Result<SubscriptionSummary, AppError> {
    let cycle = Cycle::parse(&cycle)
        .ok_or_else(|| AppError::of(ErrorCode::InvalidCycle).with("cycle", &cycle))?;
    let order = cx
        .store()
        .get_order(OrderId(order_id))?
        .ok_or_else(|| AppError::order_not_found(order_id))?;
    let client = settings::gateway(cx)?;
    let answer = client
        .send(&PaymentInquiry {
            target: PaymentRef::by_payment_id(order.payment_id.clone()),
            payment_type: None,
        })
        .await
        .map_err(|e| AppError::from_client(&e, ErrorContext::Inquiry))?;
    let field = |k: &str| answer.fields.get(k).cloned().unwrap_or_default();
    let purchase = FirstPurchase {
        customer_id: field("customer_id"),
        customer_card_id: field("customer_card_id"),
        buyer_name: order.buyer_name.clone().unwrap_or_default(),
        buyer_email: order.buyer_email.clone(),
        method: order.method,
        amount: order.amount,
        cycle,
        purchased_at: order.authorized_at.unwrap_or(order.ordered_at),
        card_expiry: CardExpiry::parse(&field("card_valid_term")),
        capture_mode: settings::capture_mode_for_new(cx),
    };
    let sub = Subscription::from_first_purchase(SubscriptionId(0), &purchase).map_err(|e| {
        AppError::of(ErrorCode::NotRenewable).with_text("reason", &convert::text(&e.text()))
    })?;
    let now = cx.now();
    let id = cx
        .store()
        .insert_subscription(&sub, Some(OrderId(order_id)), now)?;
    tracing::info!(
        subscription = id.0,
        order = order_id,
        "subscription created from a first purchase"
    );
    subscriptions_changed(cx, &[id.0]);
    subscription_summary(cx, id.0)
}

/// Imports subscriptions from a CSV file (layout: `store::subscriptions`). Every
/// stored card named is first looked up at the gateway (027); a row naming a card the
/// gateway does not know is reported and then nothing is imported (fix or remove the
/// row and import again). Otherwise rows with errors are reported and the others
/// imported (`all_or_nothing`: nothing unless every row is good).
pub(crate) async fn import_subscriptions_csv(
    cx: &Context,
    path: String,
    all_or_nothing: bool,
) -> Result<SubscriptionImportReport, AppError> {
    let bytes = crate::files::read_user_file(
        std::path::Path::new(&path),
        crate::files::UserFile::Csv,
        "",
        "",
    )?;
    import_subscriptions_bytes(cx, &bytes, all_or_nothing).await
}

pub(crate) async fn import_subscriptions_bytes(
    cx: &Context,
    bytes: &[u8],
    all_or_nothing: bool,
) -> Result<SubscriptionImportReport, AppError> {
    let (rows, parse_errors) = domain::subscription_csv::parse_subscriptions_csv(bytes);
    let mut unknown: Vec<SubscriptionImportError> = Vec::new();
    if !rows.is_empty() {
        let client = settings::gateway(cx)?;
        let mut customers: Vec<&str> = rows.iter().map(|r| r.customer_id.as_str()).collect();
        customers.sort_unstable();
        customers.dedup();
        for customer in customers {
            let list = client
                .send(&StoredCardInquiry {
                    trading_id: None,
                    customer_id: customer.to_owned(),
                    customer_card_id: None,
                    return_fingerprint: false,
                    site_id: None,
                })
                .await
                .map_err(|e| AppError::from_client(&e, ErrorContext::Inquiry))?;
            let now = cx.now();
            for card in &list.cards {
                if let Some(expiry) = CardExpiry::parse(&card.card_valid_term) {
                    let last4 = last4(&card.masked_card_number);
                    cx.store().refresh_stored_card(
                        &card.customer_id,
                        &card.customer_card_id,
                        expiry,
                        last4.as_deref(),
                        now,
                    )?;
                }
            }
            for row in rows.iter().filter(|r| r.customer_id == customer) {
                if !list
                    .cards
                    .iter()
                    .any(|c| c.customer_card_id == row.customer_card_id)
                {
                    let stored: Vec<&str> = list
                        .cards
                        .iter()
                        .map(|c| c.customer_card_id.as_str())
                        .collect();
                    let stored = if stored.is_empty() {
                        "なし / none".to_owned()
                    } else {
                        stored.join(", ")
                    };
                    unknown.push(SubscriptionImportError {
                        line: u32::try_from(row.line).unwrap_or(u32::MAX),
                        column: Some("customer_card_id".into()),
                        message: Text::new(
                            &format!(
                                "カードID「{}」は会員「{}」の登録済みカードとしてペイジェントにありません（登録済み: {stored}）。",
                                row.customer_card_id, row.customer_id
                            ),
                            &format!(
                                "Paygent has no stored card \"{}\" for customer \"{}\" (stored: {stored}).",
                                row.customer_card_id, row.customer_id
                            ),
                        ),
                    });
                }
            }
        }
    }
    let error_dto = |e: &domain::subscription_csv::RowError| SubscriptionImportError {
        line: u32::try_from(e.line).unwrap_or(u32::MAX),
        column: e.column.clone(),
        message: convert::text(&e.message),
    };
    if !unknown.is_empty() {
        let mut errors: Vec<SubscriptionImportError> = parse_errors.iter().map(error_dto).collect();
        errors.extend(unknown);
        errors.sort_by_key(|e| e.line);
        tracing::info!(
            errors = errors.len(),
            "subscription import refused: unknown stored cards"
        );
        return Ok(SubscriptionImportReport {
            imported: 0,
            errors,
        });
    }
    let policy = if all_or_nothing {
        ImportPolicy::AllOrNothing
    } else {
        ImportPolicy::ValidRowsOnly
    };
    let now = cx.now();
    let mode = settings::capture_mode_for_new(cx);
    let report = cx.store().import_subscriptions(bytes, policy, mode, now)?;
    tracing::info!(
        imported = report.imported.len(),
        errors = report.errors.len(),
        "subscriptions imported"
    );
    let ids: Vec<i64> = report.imported.iter().map(|i| i.0).collect();
    subscriptions_changed(cx, &ids);
    mailing::nudge_subscriptions(cx);
    Ok(SubscriptionImportReport {
        imported: u32::try_from(report.imported.len()).unwrap_or(u32::MAX),
        errors: report.errors.iter().map(error_dto).collect(),
    })
}

// -----------------------------------------------------------------------------------
// Stored cards.

/// Reads one subscription's stored card from the gateway (027) and records its expiry;
/// when the buyer updated the card, waiting reminders to them are discarded.
pub(crate) async fn refresh_card(cx: &Context, id: i64) -> Result<SubscriptionSummary, AppError> {
    let sub = subscription(cx, id)?;
    refresh_card_of(cx, &sub).await?;
    subscriptions_changed(cx, &[id]);
    subscription_summary(cx, id)
}

/// Refreshes every live subscription's card; returns how many were read.
pub(crate) async fn refresh_all_cards(cx: &Context) -> Result<u32, AppError> {
    let subs = cx.store().live_subscriptions()?;
    let mut n = 0;
    for sub in &subs {
        match refresh_card_of(cx, sub).await {
            Ok(_) => n += 1,
            Err(e) => {
                tracing::warn!(subscription = sub.id.0, code = %e.code, "card refresh failed")
            }
        }
    }
    subscriptions_changed(cx, &[]);
    Ok(n)
}

async fn refresh_card_of(
    cx: &Context,
    sub: &Subscription,
) -> Result<(CardRefresh, paygent_codec::response::StoredCard), AppError> {
    let client = settings::gateway(cx)?;
    let list = client
        .send(&StoredCardInquiry {
            trading_id: None,
            customer_id: sub.customer_id.clone(),
            customer_card_id: Some(sub.customer_card_id.clone()),
            return_fingerprint: false,
            site_id: None,
        })
        .await
        .map_err(|e| AppError::from_client(&e, ErrorContext::Inquiry))?;
    let card = list
        .cards
        .into_iter()
        .find(|c| c.customer_card_id == sub.customer_card_id)
        .ok_or_else(|| {
            AppError::of(ErrorCode::StoredCardNotFound)
                .with("customer", &sub.customer_id)
                .with("card", &sub.customer_card_id)
        })?;
    let expiry = CardExpiry::parse(&card.card_valid_term).ok_or_else(|| {
        AppError::internal(
            ErrorCode::CardExpiryUnreadable,
            &format!("the gateway reported expiry {:?}", card.card_valid_term),
        )
    })?;
    let now = cx.now();
    let refresh = {
        let mut store = cx.store();
        let refresh = store.refresh_stored_card(
            &sub.customer_id,
            &sub.customer_card_id,
            expiry,
            last4(&card.masked_card_number).as_deref(),
            now,
        )?;
        if refresh == CardRefresh::Updated {
            // Reminders stop by themselves once the card is updated.
            let n = store.discard_reminders(&sub.customer_id)?;
            tracing::info!(
                subscription = sub.id.0,
                discarded = n,
                "stored card updated by the buyer"
            );
        }
        refresh
    };
    Ok((refresh, card))
}

/// The day-before check: every active subscription renewing within
/// `RULES.card_check_lead` gets its stored card read (027) and a predicted outcome.
async fn check_tomorrows_cards(cx: &Context, now: DateTime<Utc>) {
    let subs = match cx.store().live_subscriptions() {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot read subscriptions");
            return;
        }
    };
    for id in cards_to_check(&subs, now, &RULES) {
        let Some(sub) = subs.iter().find(|s| s.id == id) else {
            continue;
        };
        let renewal = date_text(sub.next_renewal_date);
        if card_check(cx, id.0).is_some_and(|c| c.renewal_date == renewal) {
            continue;
        }
        let check = check_card(cx, sub).await;
        let stored = StoredCheck {
            subscription_id: check.subscription_id,
            buyer_name: check.buyer_name.clone(),
            renewal_date: check.renewal_date.clone(),
            amount_yen: check.amount_yen,
            checked_at: check.checked_at.clone(),
            predicted_failure: check.predicted_failure,
            result_ja: check.result.ja.clone(),
            result_en: check.result.en.clone(),
            validity_check_unavailable: check.validity_check_unavailable,
            check_kind: Some(check.check_kind),
            check_made_ja: Some(check.check_made.ja.clone()),
            check_made_en: Some(check.check_made.en.clone()),
        };
        tracing::info!(subscription = id.0, renewal = %renewal, check = ?check.check_kind, "stored card checked the day before");
        if let Ok(json) = serde_json::to_string(&stored) {
            let _ = cx.store().set_setting(&keys::card_check(id.0), &json);
        }
        if check.predicted_failure {
            tracing::info!(subscription = id.0, renewal = %renewal, "renewal predicted to fail");
        }
    }
}

async fn check_card(cx: &Context, sub: &Subscription) -> CardCheckDto {
    let now = cx.now();
    let mut check = CardCheckDto {
        subscription_id: sub.id.0,
        buyer_name: sub.buyer_name.clone(),
        renewal_date: date_text(sub.next_renewal_date),
        amount_yen: sub.amount.0,
        checked_at: convert::time(now),
        predicted_failure: false,
        result: Text::new("", ""),
        validity_check_unavailable: true,
        check_kind: CardCheckKindCode::NotMade,
        check_made: check_made_text(CardCheckKindCode::NotMade, None),
    };
    let card = match refresh_card_of(cx, sub).await {
        Ok((_, card)) => card,
        Err(e) => {
            check.predicted_failure = e.is(ErrorCode::StoredCardNotFound);
            check.result = e.message;
            return check;
        }
    };
    let expiry = CardExpiry::parse(&card.card_valid_term);
    let expires_first = expiry.is_some_and(|e| e.last_valid_day() < sub.next_renewal_date);
    // The validity check result, only for cards registered with one.
    let validity = card
        .columns
        .get("valid_check_result")
        .map(String::as_str)
        .filter(|v| !v.is_empty());
    let validity_ng = matches!(validity, Some("1" | "2" | "3"));
    check.validity_check_unavailable = !matches!(validity, Some("0" | "1" | "2" | "3"));
    check.predicted_failure = card.expired || expires_first || validity_ng;
    check.check_kind = if check.validity_check_unavailable {
        CardCheckKindCode::StoredCardRead
    } else {
        CardCheckKindCode::StoredCardReadWithRegistrationCheck
    };
    let checked_on = card
        .columns
        .get("valid_check_date")
        .map_or("", String::as_str);
    check.check_made = check_made_text(check.check_kind, validity.map(|code| (code, checked_on)));
    let expiry_text = expiry.map_or_else(|| "?".to_owned(), CardExpiry::code);
    check.result = if check.predicted_failure {
        Text::new(
            &format!(
                "有効期限 {expiry_text}: {} の継続決済は失敗する見込みです。購入者にカード変更を依頼してください。",
                check.renewal_date
            ),
            &format!(
                "Expiry {expiry_text}: the renewal on {} is expected to fail. Ask the buyer to update the card.",
                check.renewal_date
            ),
        )
    } else {
        Text::new(
            &format!("有効期限 {expiry_text}: 問題は見つかりませんでした。"),
            &format!("Expiry {expiry_text}: no problem found."),
        )
    };
    if validity_ng {
        // The expiry may be fine: say why the failure is expected.
        check
            .result
            .ja
            .push_str(" カード登録時の有効性チェックがNGでした。");
        check
            .result
            .en
            .push_str(" The validity check at the card's registration was not OK.");
    }
    check
}

// -----------------------------------------------------------------------------------
// Renewals.

/// Runs every renewal that is due now (the scheduler does this by itself; the button
/// and tests call it directly).
pub(crate) async fn run_due_renewals(cx: &Context) -> Result<RenewalRunReport, AppError> {
    let _one_at_a_time = cx.inner.subscriptions.running.lock().await;
    settle_open_renewals(cx).await;
    let outcomes = renew_due(cx).await?;
    Ok(RenewalRunReport { outcomes })
}

async fn renew_due(cx: &Context) -> Result<Vec<RenewalOutcomeDto>, AppError> {
    let now = cx.now();
    let subs = cx.store().due_subscriptions(japan_date(now))?;
    if subs.is_empty() {
        return Ok(Vec::new());
    }
    let due = due_renewals(&subs, now, &RULES);
    let mut outcomes = Vec::new();
    for d in due {
        // Each renewal is decided on the subscription as it is now: the ones before it took
        // seconds each at the gateway, and the shop may have edited, paused or moved this
        // one meanwhile (the store refuses a copy changed even later, see `begin_renewal`).
        let Some(sub) = cx.store().get_subscription(d.subscription)? else {
            continue;
        };
        let Some(d) = due_renewals(std::slice::from_ref(&sub), now, &RULES).pop() else {
            continue;
        };
        let sub = &sub;
        match renew(cx, sub, &d).await {
            Ok(o) => outcomes.push(o),
            Err(e) => {
                tracing::warn!(subscription = sub.id.0, code = %e.code, "renewal not attempted");
                // Without credentials (or with the gateway down before anything was
                // journaled) the cycle stays due and is retried on the next pass.
                outcomes.push(RenewalOutcomeDto {
                    subscription_id: sub.id.0,
                    buyer_name: sub.buyer_name.clone(),
                    cycle_index: d.cycle_index,
                    renewal_date: date_text(d.renewal_date),
                    outcome: "not_attempted".into(),
                    late: d.late,
                    late_text: None,
                    order_id: None,
                    error: Some(e),
                });
            }
        }
    }
    let ids: Vec<i64> = outcomes.iter().map(|o| o.subscription_id).collect();
    subscriptions_changed(cx, &ids);
    Ok(outcomes)
}

async fn renew(
    cx: &Context,
    sub: &Subscription,
    due: &DueRenewal,
) -> Result<RenewalOutcomeDto, AppError> {
    let now = cx.now();
    let mut outcome = RenewalOutcomeDto {
        subscription_id: sub.id.0,
        buyer_name: sub.buyer_name.clone(),
        cycle_index: due.cycle_index,
        renewal_date: date_text(due.renewal_date),
        outcome: String::new(),
        late: due.late,
        late_text: due.late_text(now).map(|t| convert::text(&t)),
        order_id: None,
        error: None,
    };
    if let Err(block) = renewal_check(sub, now, &RULES, None) {
        tracing::info!(
            subscription = sub.id.0,
            block = block.code(),
            "renewal not attempted"
        );
        cx.store().record_renewal_block(sub.id, block, now)?;
        outcome.outcome = "blocked".into();
        outcome.error = Some(AppError::foreign(
            block.code(),
            convert::text(&block.text()),
            None,
        ));
        return Ok(outcome);
    }
    let client = settings::gateway(cx)?;
    let mode = settings::capture_mode_for_new(cx);
    let (key, order_number) = match cx.store().begin_renewal(sub, due, mode, now)? {
        BeginRenewal::Started { key, order_number } => (key, order_number),
        BeginRenewal::Changed => {
            tracing::info!(
                subscription = sub.id.0,
                "renewal left to the next pass: the subscription changed"
            );
            outcome.outcome = "changed".into();
            outcome.error = Some(AppError::of(ErrorCode::RenewalSubscriptionChanged).into());
            mailing::nudge_subscriptions(cx);
            return Ok(outcome);
        }
        BeginRenewal::AlreadyRecorded(state) => {
            outcome.outcome = "already_recorded".into();
            outcome.error = Some(
                AppError::of(ErrorCode::RenewalAlreadyRecorded)
                    .with_text("state", &cycle_state_label(state))
                    .into(),
            );
            return Ok(outcome);
        }
    };
    tracing::info!(subscription = sub.id.0, key = %key.0, late = due.late, "renewal journaled");
    if let Some(text) = &outcome.late_text {
        remember_late_note(cx, sub.id.0, text);
    }
    cx.store().mark_renewal_sent(&key, cx.now())?;
    let answer = classify(
        client
            .send(&renewal_telegram(sub, &order_number, mode))
            .await,
    );
    let cycle = cx.store().renewal_cycle(&key)?.ok_or_else(|| {
        AppError::internal(ErrorCode::RenewalLost, "a journaled renewal vanished")
    })?;
    let settled = apply_answer(cx, sub, &cycle, answer).await?;
    outcome.outcome = settled.0.into();
    outcome.order_id = settled.1;
    outcome.error = settled.2;
    Ok(outcome)
}

/// Records a renewal's answer: an order either way, the cycle settled; an open answer
/// is settled by inquiry at once (and on later passes while it stays open).
async fn apply_answer(
    cx: &Context,
    sub: &Subscription,
    cycle: &CycleRow,
    answer: Answer,
) -> Result<Settled, AppError> {
    match answer {
        Answer::Authorized { payment_id } => {
            let order = renewal_authorized(cx, sub, cycle, &payment_id)?;
            Ok(("authorized", Some(order), None))
        }
        Answer::Refused {
            code,
            detail,
            payment_id,
        } => {
            let (order, error) =
                renewal_refused(cx, sub, cycle, &code, &detail, payment_id.as_deref())?;
            Ok(("failed", Some(order), Some(error)))
        }
        Answer::Open { why, in_flight } => {
            tracing::warn!(key = %cycle.key.0, why = %why, "renewal outcome unknown; inquiring by order number");
            cx.store().mark_renewal_unknown(&cycle.key)?;
            Ok(settle_renewal(cx, sub, cycle, true, in_flight).await)
        }
    }
}

/// Settles an open renewal with an inquiry by its order number. `resend`: when the
/// gateway has no payment under the number, send the authorization (same order
/// number, same cycle) once more, but not while the last send, which got no answer
/// (`in_flight`), may still be carried out.
fn settle_renewal<'a>(
    cx: &'a Context,
    sub: &'a Subscription,
    cycle: &'a CycleRow,
    resend: bool,
    in_flight: bool,
) -> BoxFuture<'a, Settled> {
    Box::pin(async move {
        let open = || ("unknown", None, None);
        let Ok(client) = settings::gateway(cx) else {
            return open();
        };
        let found = match client
            .send(&PaymentInquiry {
                target: PaymentRef {
                    trading_id: Some(cycle.order_number.clone()),
                    payment_id: None,
                },
                payment_type: None,
            })
            .await
        {
            Ok(answer) => match answer.payment_status {
                PaymentStatus::Applied | PaymentStatus::AuthorizationFailed => Found::Failed {
                    payment_id: answer.payment_id,
                },
                _ => Found::Authorized {
                    payment_id: answer.payment_id,
                },
            },
            Err(ClientError::Gateway(g)) if g.response_code == "13001" => Found::Nothing,
            Err(e) => {
                tracing::warn!(key = %cycle.key.0, error = %e, "renewal inquiry failed; staying open");
                Found::CannotTell
            }
        };
        let result = match found {
            Found::Authorized { payment_id } => renewal_authorized(cx, sub, cycle, &payment_id)
                .map(|o| ("authorized", Some(o), None)),
            Found::Failed { payment_id } => {
                renewal_refused(cx, sub, cycle, "11", "", Some(&payment_id))
                    .map(|(o, e)| ("failed", Some(o), Some(e)))
            }
            // Nothing under the number yet proves nothing while the authorization
            // may still be in flight: sending again then could authorize twice.
            Found::Nothing
                if in_flight
                    && cycle
                        .sent_at
                        .is_some_and(|sent| cx.now() < sent + cx.inner.in_flight_window) =>
            {
                tracing::info!(key = %cycle.key.0, "renewal may still be in flight; inquiring again later");
                Ok(open())
            }
            Found::Nothing if resend => {
                tracing::info!(key = %cycle.key.0, "renewal never reached the gateway; sending it once more");
                if let Err(e) = cx.store().mark_renewal_resent(&cycle.key, cx.now()) {
                    return ("unknown", None, Some(e.into()));
                }
                let answer = classify(
                    client
                        .send(&renewal_telegram(
                            sub,
                            &cycle.order_number,
                            cycle.capture_mode,
                        ))
                        .await,
                );
                match answer {
                    Answer::Open { .. } => Ok(open()),
                    other => apply_answer_boxed(cx, sub, cycle, other).await,
                }
            }
            Found::Nothing | Found::CannotTell => Ok(open()),
        };
        result.unwrap_or_else(|e| ("unknown", None, Some(e)))
    })
}

fn apply_answer_boxed<'a>(
    cx: &'a Context,
    sub: &'a Subscription,
    cycle: &'a CycleRow,
    answer: Answer,
) -> BoxFuture<'a, Result<Settled, AppError>> {
    Box::pin(apply_answer(cx, sub, cycle, answer))
}

/// At start and on every pass: renewals left open (crash, lost answer) are settled by
/// inquiry before any new renewal.
async fn settle_open_renewals(cx: &Context) {
    let open = match cx.store().open_renewals() {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the renewal journal");
            return;
        }
    };
    for cycle in open {
        let Ok(Some(sub)) = cx.store().get_subscription(cycle.subscription) else {
            continue;
        };
        // After a crash nobody knows whether an answer came: assume none did.
        let (outcome, _, _) = settle_renewal(cx, &sub, &cycle, true, true).await;
        tracing::info!(key = %cycle.key.0, outcome, "open renewal settled");
        subscriptions_changed(cx, &[sub.id.0]);
    }
}

fn renewal_order(
    cx: &Context,
    sub: &Subscription,
    cycle: &CycleRow,
    payment_id: &str,
    status: PaymentStatus,
) -> Order {
    let now = cx.now();
    Order {
        order_number: cycle.order_number.clone(),
        payment_id: payment_id.to_owned(),
        method: PaymentMethod::Card,
        capture_mode: cycle.capture_mode,
        three_d_secure: false,
        amount: cycle.amount,
        captured_amount: if status == PaymentStatus::Captured {
            cycle.amount
        } else {
            Yen(0)
        },
        refunded_amount: Yen(0),
        status,
        ordered_at: now,
        authorized_at: matches!(status, PaymentStatus::Authorized | PaymentStatus::Captured)
            .then_some(now),
        captured_at: (status == PaymentStatus::Captured).then_some(now),
        list: OrderList::Open,
        outside_change: false,
        buyer_name: Some(sub.buyer_name.clone()),
        buyer_name_kana: None,
        buyer_email: sub.buyer_email.clone(),
    }
}

/// Inserts the renewal's order, or finds the one sync already made from a notification.
fn insert_renewal_order(
    cx: &Context,
    order: &Order,
    history: &domain::Text,
) -> Result<OrderId, AppError> {
    let now = cx.now();
    let mut store = cx.store();
    if let Some((id, _)) = store.order_by_payment_id(&order.payment_id)? {
        store.append_history(id, now, domain::Actor::PayDesk, history)?;
        return Ok(id);
    }
    let id = store.insert_order(order, now)?;
    store.append_history(id, now, domain::Actor::PayDesk, history)?;
    Ok(id)
}

fn renewal_authorized(
    cx: &Context,
    sub: &Subscription,
    cycle: &CycleRow,
    payment_id: &str,
) -> Result<i64, AppError> {
    // An authorize-and-capture renewal goes out with sales_mode=1, which the gateway
    // captures at once (§4.2, §5.3): the order is 40 from the start.
    let status = match cycle.capture_mode {
        CaptureMode::AuthorizeOnly => PaymentStatus::Authorized,
        CaptureMode::AuthorizeAndCapture => PaymentStatus::Captured,
    };
    let order = renewal_order(cx, sub, cycle, payment_id, status);
    let line = renewal_line(cycle, Some(payment_id), None);
    let id = insert_renewal_order(cx, &order, &line)?;
    cx.store().renewal_authorized(&cycle.key, id, cx.now())?;
    tracing::info!(subscription = sub.id.0, key = %cycle.key.0, order = id.0, "renewal authorized");
    cx.orders_changed(&[id.0]);
    Ok(id.0)
}

fn renewal_refused(
    cx: &Context,
    sub: &Subscription,
    cycle: &CycleRow,
    code: &str,
    detail: &str,
    payment_id: Option<&str>,
) -> Result<(i64, AppError), AppError> {
    let failed = domain::subscription::failed_renewal(code, Some(detail).filter(|d| !d.is_empty()));
    let error = AppError::from_explanation(&failed.explanation);
    // A refusal before any payment existed (P010) leaves no transaction ID: the order
    // is kept under a stand-in that names the renewal.
    let stand_in = domain::order::no_transaction_id(&cycle.order_number);
    let payment_id = payment_id.filter(|p| !p.is_empty()).unwrap_or(&stand_in);
    let order = renewal_order(
        cx,
        sub,
        cycle,
        payment_id,
        PaymentStatus::AuthorizationFailed,
    );
    let line = renewal_line(cycle, None, Some(&error));
    let id = insert_renewal_order(cx, &order, &line)?;
    cx.store().renewal_failed(
        &cycle.key,
        code,
        Some(detail).filter(|d| !d.is_empty()),
        Some(id),
        cx.now(),
    )?;
    tracing::warn!(subscription = sub.id.0, key = %cycle.key.0, order = id.0, code, "renewal failed");
    cx.orders_changed(&[id.0]);
    notify(
        cx,
        NotificationKind::RenewalFailed,
        DesktopNotification {
            kind: NotificationKindCode::RenewalFailed,
            title: Text::new("継続決済が失敗しました", "A renewal failed"),
            body: Text::new(
                &format!(
                    "{} 様（{}）: {} {}",
                    sub.buyer_name,
                    domain::history::yen(cycle.amount),
                    error.code,
                    error.message.ja
                ),
                &format!(
                    "{} ({}): {} {}",
                    sub.buyer_name,
                    domain::history::yen(cycle.amount),
                    error.code,
                    error.message.en
                ),
            ),
            screen: NotificationKind::RenewalFailed.screen().into(),
            target_id: Some(id.0),
        },
    );
    Ok((id.0, error))
}

fn remember_late_note(cx: &Context, id: i64, text: &Text) {
    let key = keys::late_note(id);
    let mut notes: Vec<(String, String)> = settings::setting(cx, &key)
        .ok()
        .flatten()
        .and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default();
    notes.push((text.ja.clone(), text.en.clone()));
    if let Ok(json) = serde_json::to_string(&notes) {
        let _ = cx.store().set_setting(&key, &json);
    }
}

// -----------------------------------------------------------------------------------
// Failed renewals.

/// The failed-renewal panel of an order: `None` when the order is not a failed renewal.
pub(crate) async fn failed_renewal(
    cx: &Context,
    order_id: i64,
) -> Result<Option<FailedRenewalDto>, AppError> {
    let order = cx
        .store()
        .get_order(OrderId(order_id))?
        .ok_or_else(|| AppError::order_not_found(order_id))?;
    let Some((sub_id, index)) = parse_renewal_order_number(&order.order_number) else {
        return Ok(None);
    };
    let Some(cycle) = cx.store().renewal_cycle(&renewal_key(sub_id, index))? else {
        return Ok(None);
    };
    if cycle.state != CycleState::Failed || cycle.order_id != Some(OrderId(order_id)) {
        return Ok(None);
    }
    let sub = subscription(cx, sub_id.0)?;
    let failed = domain::subscription::failed_renewal(
        cycle.error_code.as_deref().unwrap_or(""),
        cycle.error_detail.as_deref(),
    );
    let order_choice = cycle
        .order_choice
        .as_deref()
        .and_then(FailedRenewalChoiceKind::from_code);
    let ended = sub.status == SubscriptionStatus::Ended;
    let future_choice = cycle
        .future_choice
        .as_deref()
        .and_then(FailedRenewalChoiceKind::from_code)
        // Reopened on the subscription screen since: the end no longer stands.
        .filter(|k| *k != FailedRenewalChoiceKind::EndSubscription || ended);
    let choices = failed
        .choices
        .iter()
        .map(|k| {
            let reason = match k {
                FailedRenewalChoiceKind::CancelOrder
                | FailedRenewalChoiceKind::SwitchPaymentMethod
                    if order_choice.is_some() =>
                {
                    Some(Text::new(
                        "この受注の対応は選択済みです。",
                        "This order's choice was already made.",
                    ))
                }
                FailedRenewalChoiceKind::EndSubscription if ended => Some(Text::new(
                    "定期購入は終了しています。",
                    "The subscription has ended.",
                )),
                FailedRenewalChoiceKind::AskBuyerToUpdateCard if sub.buyer_email.is_none() => {
                    Some(Text::new(
                        "購入者のメールアドレスが登録されていません。定期購入の画面で入力してください。",
                        "The buyer has no e-mail address. Enter it on the subscription.",
                    ))
                }
                _ => None,
            };
            FailedRenewalChoiceDto {
                kind: choice_code(*k),
                label: convert::text(&k.label()),
                enabled: reason.is_none(),
                reason,
            }
        })
        .collect();
    let card = sub
        .card_expiry
        .map(|e| card_state(e, japan_date(cx.now()), &RULES));
    let kind = if card == Some(CardState::ExpiringSoon) {
        ReminderKind::ExpiringSoon
    } else {
        ReminderKind::Expired
    };
    let reminder_preview = mailing::preview_for(cx, &sub, kind, None, None).ok();
    let reminder = match cycle.reminder_mail_id {
        Some(id) => cx.store().mail(id)?.as_ref().map(crate::mailing::mail_dto),
        None => None,
    };
    let waiting: Vec<i64> = cx
        .store()
        .failed_renewals_waiting(None)?
        .iter()
        .filter_map(|c| c.order_id.map(|o| o.0))
        .collect();
    // The next one after this order (from the last, the oldest again), or the oldest
    // when this one waits no more.
    let next_waiting_order = match waiting.iter().position(|o| *o == order_id) {
        Some(i) => waiting
            .iter()
            .cycle()
            .nth(i + 1)
            .copied()
            .filter(|o| *o != order_id),
        None => waiting.first().copied(),
    };
    Ok(Some(FailedRenewalDto {
        order_id,
        subscription_id: sub.id.0,
        buyer_name: sub.buyer_name.clone(),
        cycle_index: cycle.cycle_index,
        renewal_date: date_text(cycle.renewal_date),
        amount_yen: cycle.amount.0,
        error: AppError::from_explanation(&failed.explanation),
        choices,
        order_choice: order_choice.map(choice_code),
        future_choice: future_choice.map(choice_code),
        payment_method_label: cycle.payment_method_label.clone(),
        subscription_status: status_code(sub.status),
        buyer_email: sub.buyer_email.clone(),
        reminder_preview,
        reminder,
        mail_readiness: mailing::mail_readiness(cx)?,
        waiting: u32::try_from(waiting.len()).unwrap_or(u32::MAX),
        next_waiting_order,
    }))
}

/// Carries out one of the four choices on a failed renewal's order. Cancel and switch
/// touch only PayDesk's records (a failed authorization holds no money, so nothing is
/// sent to Paygent); "ask the buyer" queues the reminder (the shop may have edited it).
pub(crate) async fn choose_failed_renewal(
    cx: &Context,
    order_id: i64,
    input: FailedRenewalChoiceInput,
) -> Result<FailedRenewalDto, AppError> {
    let panel = failed_renewal(cx, order_id)
        .await?
        .ok_or_else(|| not_a_renewal_order(order_id))?;
    if let Some(c) = panel.choices.iter().find(|c| c.kind == input.kind)
        && !c.enabled
    {
        return Err(match &c.reason {
            Some(reason) => AppError::of(ErrorCode::ChoiceNotAvailableBecause)
                .with_text("reason", reason)
                .into(),
            None => AppError::of(ErrorCode::ChoiceNotAvailable).into(),
        });
    }
    let choice = match input.kind {
        FailedRenewalChoiceCode::CancelOrder => FailedRenewalChoice::CancelOrder,
        FailedRenewalChoiceCode::SwitchPaymentMethod => FailedRenewalChoice::SwitchPaymentMethod(
            input.payment_method.clone().unwrap_or_default(),
        ),
        FailedRenewalChoiceCode::EndSubscription => FailedRenewalChoice::EndSubscription,
        FailedRenewalChoiceCode::AskBuyerToUpdateCard => FailedRenewalChoice::AskBuyerToUpdateCard,
    };
    let sub = subscription(cx, panel.subscription_id)?;
    let card = sub
        .card_expiry
        .map(|e| card_state(e, japan_date(cx.now()), &RULES));
    let effects = choice.effects(card).map_err(|e| {
        AppError::of(ErrorCode::InvalidChoice).with_text("reason", &convert::text(&e.text()))
    })?;
    // The reminder is rendered (and checked) before anything is recorded, so a bad
    // template or a missing address leaves nothing half-done.
    let mail = match effects.reminder {
        Some(kind) => Some(mailing::reminder_mail(
            cx,
            &sub,
            kind,
            input.subject.as_deref(),
            input.body.as_deref(),
            true,
        )?),
        None => None,
    };
    let key = renewal_key(SubscriptionId(panel.subscription_id), panel.cycle_index);
    let now = cx.now();
    cx.store()
        .record_failed_renewal_choice(&key, &choice, card, now)?;
    if let Some(mail) = mail {
        let kind = match mail.purpose {
            store::MailPurpose::Reminder(k) => Some(k),
            _ => None,
        };
        let outcome = mailing::queue_reminders(cx, vec![mail])?;
        // The mail this choice stands for: the one just queued, or the same reminder
        // already waiting for this buyer.
        let id = match outcome.first() {
            Some(store::QueueOutcome::Queued(id)) => Some(*id),
            _ => match kind {
                Some(k) => cx.store().open_reminder(&sub.customer_id, k)?,
                None => None,
            },
        };
        if let Some(id) = id {
            cx.store().set_cycle_reminder_mail(&key, id)?;
        }
        // Sent now, so the panel says what happened (sent, refused, unreachable, or
        // waiting for SMTP settings) instead of "done" for a mail still in the queue.
        mailing::send_mail_queue(cx).await;
    }
    tracing::info!(
        order = order_id,
        choice = choice.kind().code(),
        "failed-renewal choice recorded"
    );
    cx.orders_changed(&[order_id]);
    subscriptions_changed(cx, &[panel.subscription_id]);
    failed_renewal(cx, order_id)
        .await?
        .ok_or_else(|| not_a_renewal_order(order_id))
}

/// Takes back a choice made on a failed renewal: cancel or switch (the order is a
/// failed card payment in the open list again), or the subscription's end (it returns
/// to the status it had). A reminder cannot be taken back here: a waiting one is
/// discarded from the mail log, a sent one has reached the buyer.
pub(crate) async fn undo_failed_renewal_choice(
    cx: &Context,
    order_id: i64,
    kind: FailedRenewalChoiceCode,
) -> Result<FailedRenewalDto, AppError> {
    let panel = failed_renewal(cx, order_id)
        .await?
        .ok_or_else(|| not_a_renewal_order(order_id))?;
    let key = renewal_key(SubscriptionId(panel.subscription_id), panel.cycle_index);
    let now = cx.now();
    let undone = match kind {
        FailedRenewalChoiceCode::CancelOrder | FailedRenewalChoiceCode::SwitchPaymentMethod => {
            panel.order_choice == Some(kind) && cx.store().undo_order_choice(&key, now)?.is_some()
        }
        FailedRenewalChoiceCode::EndSubscription => cx.store().undo_end_choice(&key, now)?,
        FailedRenewalChoiceCode::AskBuyerToUpdateCard => false,
    };
    if !undone {
        return Err(AppError::of(ErrorCode::NothingToUndo).into());
    }
    tracing::info!(order = order_id, "failed-renewal choice taken back");
    cx.orders_changed(&[order_id]);
    subscriptions_changed(cx, &[panel.subscription_id]);
    mailing::nudge_subscriptions(cx);
    failed_renewal(cx, order_id)
        .await?
        .ok_or_else(|| not_a_renewal_order(order_id))
}

/// Takes back the end of a subscription: it returns to the status it had before
/// (active or paused). Renewals continue from its next renewal date; a date that
/// passed meanwhile is caught up like after PayDesk was off.
pub(crate) async fn reopen_subscription(
    cx: &Context,
    id: i64,
) -> Result<SubscriptionDetail, AppError> {
    let Some((_, before)) = cx.store().subscription_end(SubscriptionId(id))? else {
        return Err(AppError::of(ErrorCode::NotEnded).into());
    };
    update_subscription(
        cx,
        id,
        SubscriptionInput {
            status: Some(status_code(before)),
            ..SubscriptionInput::default()
        },
    )
    .await
}

// -----------------------------------------------------------------------------------
// Notifications.

pub(crate) fn notify(cx: &Context, kind: NotificationKind, notification: DesktopNotification) {
    if !cx.store().notification_enabled(kind).unwrap_or(true) {
        tracing::debug!(kind = kind.code(), "notification turned off");
        return;
    }
    let event = match kind {
        NotificationKind::RenewalFailed => DeskEvent::RenewalFailed { notification },
        NotificationKind::CardDigest => DeskEvent::CardDigest { notification },
        NotificationKind::CaptureDeadline => DeskEvent::DeadlineNear { notification },
    };
    cx.emit(event);
}

pub(crate) fn subscriptions_changed(cx: &Context, ids: &[i64]) {
    cx.emit(DeskEvent::SubscriptionsChanged {
        subscription_ids: ids.to_vec(),
    });
}

/// The desktop notification preferences (and start at login).
pub(crate) async fn notification_preferences(
    cx: &Context,
) -> Result<crate::dto::subscriptions::NotificationPreferencesDto, AppError> {
    let store = cx.store();
    Ok(crate::dto::subscriptions::NotificationPreferencesDto {
        renewal_failed: store.notification_enabled(NotificationKind::RenewalFailed)?,
        card_digest: store.notification_enabled(NotificationKind::CardDigest)?,
        capture_deadline: store.notification_enabled(NotificationKind::CaptureDeadline)?,
        start_at_login: store
            .setting(keys::START_AT_LOGIN)?
            .is_some_and(|v| v == "1"),
    })
}

pub(crate) async fn save_notification_preferences(
    cx: &Context,
    prefs: crate::dto::subscriptions::NotificationPreferencesDto,
) -> Result<crate::dto::subscriptions::NotificationPreferencesDto, AppError> {
    {
        let mut store = cx.store();
        store.set_notification_enabled(NotificationKind::RenewalFailed, prefs.renewal_failed)?;
        store.set_notification_enabled(NotificationKind::CardDigest, prefs.card_digest)?;
        store
            .set_notification_enabled(NotificationKind::CaptureDeadline, prefs.capture_deadline)?;
        store.set_setting(
            keys::START_AT_LOGIN,
            if prefs.start_at_login { "1" } else { "0" },
        )?;
    }
    notification_preferences(cx).await
}

/// Once per Japan day: the digest of cards that entered "expiring soon" or "expired",
/// and the orders near their capture deadline.
fn daily_notifications(cx: &Context, now: DateTime<Utc>) -> Result<(), AppError> {
    let today = japan_date(now);
    let last = settings::setting(cx, keys::LAST_DIGEST_DATE)?
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
    if last.is_none_or(|l| l < today) {
        let since = last.unwrap_or_else(|| today.pred_opt().unwrap_or(today));
        let subs = cx.store().live_subscriptions()?;
        let digest = domain::subscription::card_digest(&subs, since, today, &RULES);
        cx.store()
            .set_setting(keys::LAST_DIGEST_DATE, &date_text(today))?;
        if !digest.is_empty() {
            let (soon, expired) = (
                digest.entered_expiring_soon.len(),
                digest.entered_expired.len(),
            );
            notify(
                cx,
                NotificationKind::CardDigest,
                DesktopNotification {
                    kind: NotificationKindCode::CardDigest,
                    title: Text::new("カード有効期限のお知らせ", "Card expiry digest"),
                    body: Text::new(
                        &format!(
                            "期限間近になったカード {soon}件、期限切れになったカード {expired}件"
                        ),
                        &format!("{soon} cards became expiring soon, {expired} expired"),
                    ),
                    screen: NotificationKind::CardDigest.screen().into(),
                    target_id: None,
                },
            );
        }
    }
    let last = settings::setting(cx, keys::LAST_DEADLINE_NOTICE_DATE)?;
    if last.as_deref() != Some(&date_text(today)) {
        let near = cx.store().count_near_deadline(now)?;
        cx.store()
            .set_setting(keys::LAST_DEADLINE_NOTICE_DATE, &date_text(today))?;
        if near > 0 {
            notify(
                cx,
                NotificationKind::CaptureDeadline,
                DesktopNotification {
                    kind: NotificationKindCode::CaptureDeadline,
                    title: Text::new(
                        "売上確定期限が近い受注があります",
                        "Orders near their capture deadline",
                    ),
                    body: Text::new(
                        &format!(
                            "{near}件の受注が売上確定期限まで{}日以内です。",
                            RULES.deadline_warning.num_days()
                        ),
                        &format!(
                            "{near} orders must be captured within {} days.",
                            RULES.deadline_warning.num_days()
                        ),
                    ),
                    screen: NotificationKind::CaptureDeadline.screen().into(),
                    target_id: None,
                },
            );
        }
    }
    Ok(())
}

// -----------------------------------------------------------------------------------
// The scheduler.

/// One pass of the scheduler: settle open renewals, renew what is due, check
/// tomorrow's cards, the daily notifications, scheduled e-mails, the mail queue.
pub(crate) async fn subscriptions_tick(cx: &Context) -> RenewalRunReport {
    let outcomes = {
        let _one_at_a_time = cx.inner.subscriptions.running.lock().await;
        settle_open_renewals(cx).await;
        match renew_due(cx).await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(code = %e.code, "renewals not run");
                Vec::new()
            }
        }
    };
    let now = cx.now();
    check_tomorrows_cards(cx, now).await;
    if let Err(e) = daily_notifications(cx, now) {
        tracing::warn!(code = %e.code, "daily notifications failed");
    }
    mailing::scheduled_mail(cx, now).await;
    RenewalRunReport { outcomes }
}

/// The background task: catch up at start, then wake just after each 0:00 Japan time
/// (and at least every minute). The host spawns it beside `run_sync`.
pub(crate) async fn run_subscriptions(cx: Context) {
    let cx = &cx;
    loop {
        let report = subscriptions_tick(cx).await;
        for o in report.outcomes.iter().filter(|o| o.late) {
            tracing::info!(subscription = o.subscription_id, date = %o.renewal_date, "renewal ran late");
        }
        let now = cx.now();
        let tomorrow = japan_date(now).succ_opt().unwrap_or(NaiveDate::MAX);
        let until_midnight = (renewal_due_at(tomorrow) + AFTER_MIDNIGHT - now)
            .to_std()
            .unwrap_or(Duration::ZERO);
        let sleep = until_midnight.min(MAX_SLEEP);
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = cx.inner.subscriptions.wake.notified() => {}
        }
    }
}

fn renewal_telegram(sub: &Subscription, order_number: &str, mode: CaptureMode) -> CardAuthorize {
    CardAuthorize {
        trading_id: Some(order_number.to_owned()),
        payment_id: None,
        amount: sub.amount,
        // Renewals are always one payment (seed ⑥).
        payment_class: PaymentClass::LumpSum,
        card: CardSource::StoredCard {
            customer_id: sub.customer_id.clone(),
            customer_card_id: sub.customer_card_id.clone(),
            cvc_token: None,
        },
        // Renewals are not 3-D Secure (seed 1-1).
        three_d_secure: ThreeDSecure::Skipped,
        capture_mode: match mode {
            CaptureMode::AuthorizeOnly => paygent_codec::request::CaptureMode::AuthorizeOnly,
            CaptureMode::AuthorizeAndCapture => {
                paygent_codec::request::CaptureMode::AuthorizeAndCapture
            }
        },
        site_id: None,
    }
}

fn renewal_line(
    cycle: &CycleRow,
    payment_id: Option<&str>,
    error: Option<&AppError>,
) -> domain::Text {
    let late_ja = if cycle.late {
        "（遅れて実行）"
    } else {
        ""
    };
    let late_en = if cycle.late { " (ran late)" } else { "" };
    let amount = domain::history::yen(cycle.amount);
    match (payment_id, error) {
        (_, Some(e)) => domain::Text::new(
            format!(
                "定期購入の継続決済（第{}回・{}）のオーソリが失敗しました{late_ja}: {} {}",
                cycle.cycle_index, cycle.renewal_date, e.code, e.message.ja
            ),
            format!(
                "Renewal {} ({}) was refused{late_en}: {} {}",
                cycle.cycle_index, cycle.renewal_date, e.code, e.message.en
            ),
        ),
        (Some(p), None) => domain::Text::new(
            format!(
                "定期購入の継続決済（第{}回・{}）をオーソリしました{late_ja}（取引ID {p}、{amount}）",
                cycle.cycle_index, cycle.renewal_date
            ),
            format!(
                "Renewal {} ({}) authorized{late_en} (transaction {p}, {amount})",
                cycle.cycle_index, cycle.renewal_date
            ),
        ),
        (None, None) => domain::Text::new("定期購入の継続決済", "Subscription renewal"),
    }
}

fn cycle_dto(c: &CycleRow) -> RenewalCycleDto {
    let error = c.error_code.as_deref().map(|code| {
        let failed = domain::subscription::failed_renewal(code, c.error_detail.as_deref());
        AppError::from_explanation(&failed.explanation)
    });
    RenewalCycleDto {
        cycle_index: c.cycle_index,
        renewal_date: date_text(c.renewal_date),
        amount_yen: c.amount.0,
        state: c.state.code().into(),
        state_label: cycle_state_label(c.state),
        late: c.late,
        order_id: c.order_id.map(|o| o.0),
        order_number: c.order_number.clone(),
        error,
        order_choice: c
            .order_choice
            .as_deref()
            .and_then(FailedRenewalChoiceKind::from_code)
            .map(choice_code),
        future_choice: c
            .future_choice
            .as_deref()
            .and_then(FailedRenewalChoiceKind::from_code)
            .map(choice_code),
        payment_method_label: c.payment_method_label.clone(),
        recovered: c.recovered,
        created_at: convert::time(c.created_at),
    }
}

fn last4(masked: &str) -> Option<String> {
    let digits: String = masked.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= 4).then(|| digits[digits.len() - 4..].to_owned())
}
