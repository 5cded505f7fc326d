//! The control API: JSON over HTTP under `/control`, used by tests, the demo and
//! benchmarks (documented in the crate README). Errors are `{"error": "..."}` with a 4xx.

use std::collections::BTreeSet;
use std::net::IpAddr;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::checkout::{CaptureMode, CardCheckout, CardInput};
use crate::clock::jst;
use crate::faults::FaultRule;
use crate::ledger::{
    Address, Buyer, CardDetails, Contract, Item, Ledger, LedgerError, PaidyDetails, PaidyOrder,
    Payment, Shop, StoredSecret,
};
use crate::sim::Simulator;
use crate::storefront::{GenerateRequest, generate};

/// A control API error.
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        let status = match e {
            LedgerError::NotFound(_) => StatusCode::NOT_FOUND,
            LedgerError::Invalid(_) => StatusCode::BAD_REQUEST,
            LedgerError::Refused { .. } => StatusCode::CONFLICT,
        };
        ApiError(status, e.to_string())
    }
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, message.into())
}

type ApiResult = Result<Json<Value>, ApiError>;

fn to_json(value: impl Serialize) -> ApiResult {
    serde_json::to_value(value)
        .map(Json)
        .map_err(|e| bad(e.to_string()))
}

/// The control router (mount at the root; every route is under `/control`).
pub fn router(sim: Simulator) -> Router {
    Router::new()
        .route("/control/shops", post(create_shop).get(list_shops))
        .route(
            "/control/shops/{merchant_id}/notify-url",
            put(set_notify_url),
        )
        .route("/control/tokens", post(create_token))
        .route("/control/checkouts/card", post(checkout_card))
        .route("/control/checkouts/paidy", post(checkout_paidy))
        .route(
            "/control/stored-cards",
            post(create_stored_card).get(list_stored_cards),
        )
        .route("/control/clock", get(clock))
        .route("/control/clock/advance", post(advance_clock))
        .route("/control/clock/set", post(set_clock))
        .route("/control/tick", post(tick))
        .route(
            "/control/faults",
            post(add_fault).get(list_faults).delete(clear_faults),
        )
        .route("/control/outside-operations", post(outside_operation))
        .route("/control/payments", get(list_payments))
        .route("/control/payments/{payment_id}", get(get_payment))
        .route(
            "/control/payments/{payment_id}/resolve",
            post(resolve_parked),
        )
        .route("/control/3ds/{auth_id}", get(get_three_ds))
        .route("/control/3ds/{auth_id}/complete", post(complete_three_ds))
        .route("/control/events", get(events))
        .route("/control/notifications", get(notifications))
        .route("/control/storefront/generate", post(storefront))
        .route("/control/snapshot", post(snapshot))
        .fallback(|| async { ApiError(StatusCode::NOT_FOUND, "no such control endpoint".into()) })
        .with_state(sim)
}

fn all_contracts() -> Vec<Contract> {
    vec![
        Contract::Card,
        Contract::StoredCard,
        Contract::Paidy,
        Contract::ThreeDSecure,
    ]
}

#[derive(Deserialize)]
struct ShopRequest {
    merchant_id: String,
    connect_id: String,
    connect_password: String,
    hash_key: String,
    #[serde(default)]
    notify_url: Option<String>,
    #[serde(default = "all_contracts")]
    contracts: Vec<Contract>,
    #[serde(default)]
    source_ip_allow: Option<Vec<IpAddr>>,
}

async fn create_shop(
    State(sim): State<Simulator>,
    Json(req): Json<ShopRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let shop = Shop {
        merchant_id: req.merchant_id.clone(),
        connect_id: req.connect_id,
        connect_password: StoredSecret::new(req.connect_password),
        hash_key: StoredSecret::new(req.hash_key),
        notify_url: req.notify_url,
        contracts: req.contracts.into_iter().collect::<BTreeSet<_>>(),
        source_ip_allow: req.source_ip_allow,
    };
    sim.update(|l, now, _| l.upsert_shop(now, shop))?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "merchant_id": req.merchant_id })),
    ))
}

async fn list_shops(State(sim): State<Simulator>) -> ApiResult {
    let shops: Vec<Value> = sim.read(|l| {
        l.shops
            .values()
            .map(|s| {
                json!({
                    "merchant_id": s.merchant_id,
                    "connect_id": s.connect_id,
                    "notify_url": s.notify_url,
                    "contracts": s.contracts,
                    "source_ip_allow": s.source_ip_allow,
                })
            })
            .collect()
    });
    Ok(Json(json!({ "shops": shops })))
}

#[derive(Deserialize)]
struct NotifyUrl {
    notify_url: Option<String>,
}

async fn set_notify_url(
    State(sim): State<Simulator>,
    Path(merchant_id): Path<String>,
    Json(req): Json<NotifyUrl>,
) -> ApiResult {
    sim.update(|l, _, _| -> Result<(), LedgerError> {
        let shop = l
            .shops
            .get_mut(&merchant_id)
            .ok_or_else(|| LedgerError::NotFound(format!("shop {merchant_id}")))?;
        shop.notify_url = req.notify_url.clone();
        if let Some(n) = l.notices.get_mut(&merchant_id) {
            n.push = Default::default();
        }
        Ok(())
    })?;
    Ok(Json(
        json!({ "merchant_id": merchant_id, "notify_url": req.notify_url }),
    ))
}

#[derive(Deserialize)]
struct TokenRequest {
    merchant_id: String,
    #[serde(default)]
    card_number: Option<String>,
    #[serde(default)]
    expiry: Option<String>,
    #[serde(default)]
    holder: Option<String>,
    #[serde(default)]
    cvc_only: bool,
    /// With `cvc_only`: the stored card the CVC belongs to.
    #[serde(default)]
    customer_id: Option<String>,
    #[serde(default)]
    customer_card_id: Option<String>,
}

async fn create_token(State(sim): State<Simulator>, Json(req): Json<TokenRequest>) -> ApiResult {
    let (token, card, valid_until) = sim.update(|l, now, _| -> Result<_, LedgerError> {
        l.shop(&req.merchant_id)?;
        let card = match (&req.customer_id, &req.customer_card_id) {
            (Some(customer), Some(id)) if req.cvc_only => l
                .stored_cards_of(&req.merchant_id, customer)
                .iter()
                .find(|c| &c.customer_card_id == id)
                .map(|c| c.card.clone())
                .ok_or_else(|| LedgerError::NotFound(format!("stored card {customer}/{id}")))?,
            _ => CardDetails {
                number: req
                    .card_number
                    .clone()
                    .unwrap_or_else(|| crate::checkout::DEFAULT_CARD.into()),
                valid_term: req
                    .expiry
                    .clone()
                    .unwrap_or_else(|| crate::checkout::default_expiry(now)),
                holder: req.holder.clone().unwrap_or_default(),
                customer_id: None,
                customer_card_id: None,
            },
        };
        if !(14..=16).contains(&card.number.len())
            || !card.number.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(LedgerError::Invalid(
                "card_number must be 14 to 16 digits".into(),
            ));
        }
        let valid_until = now + Duration::minutes(30);
        let token = l.create_token(&req.merchant_id, card.clone(), req.cvc_only, valid_until);
        Ok((token, card, valid_until))
    })?;
    Ok(Json(json!({
        "token": token,
        "masked_card_number": crate::card_stub::masked(&card.number),
        "valid_until": crate::clock::wire_timestamp(valid_until),
        "fingerprint": card.fingerprint(),
    })))
}

async fn checkout_card(
    State(sim): State<Simulator>,
    Json(req): Json<CardCheckout>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    Ledger::control_amount(req.amount)?;
    let result = sim.update(|l, now, rules| l.card_checkout(now, rules, &req))?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::to_value(result).map_err(|e| bad(e.to_string()))?),
    ))
}

#[derive(Deserialize)]
struct PaidyCheckout {
    merchant_id: String,
    #[serde(default)]
    trading_id: Option<String>,
    amount: i64,
    buyer: Buyer,
    #[serde(default)]
    items: Vec<Item>,
    #[serde(default)]
    shipping_address: Address,
    #[serde(default)]
    order_shipping: i64,
    #[serde(default)]
    order_tax: i64,
    #[serde(default)]
    store_name: Option<String>,
    #[serde(default)]
    capture_mode: CaptureMode,
}

async fn checkout_paidy(
    State(sim): State<Simulator>,
    Json(req): Json<PaidyCheckout>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let amount = Ledger::control_amount(req.amount)?;
    let (payment_id, paidy_id) = sim.update(|l, now, rules| -> Result<_, LedgerError> {
        let paidy_payment_id = l.new_paidy_payment_id();
        let details = PaidyDetails {
            paidy_payment_id: paidy_payment_id.clone(),
            buyer: req.buyer.clone(),
            shipping: req.shipping_address.clone(),
            items: req.items.clone(),
            order_shipping: req.order_shipping,
            order_tax: req.order_tax,
            store_name: req
                .store_name
                .clone()
                .unwrap_or_else(|| "テストショップ".into()),
        };
        let auto = req.capture_mode == CaptureMode::AuthorizeAndCapture;
        let order = PaidyOrder {
            trading_id: req.trading_id.clone(),
            amount,
            details,
            cart_capture: auto,
        };
        let id = l.paidy_checkout(now, &req.merchant_id, order, rules)?;
        Ok((id, paidy_payment_id))
    })?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "payment_id": payment_id, "paidy_payment_id": paidy_id, "status": "20" })),
    ))
}

#[derive(Deserialize)]
struct StoredCardRequest {
    merchant_id: String,
    customer_id: String,
    #[serde(default)]
    card_number: Option<String>,
    expiry: String,
    #[serde(default)]
    holder: Option<String>,
    /// Registered with a validity check (025 `valid_check_flg=1`, §4.5), which passed: the
    /// card's 027 rows carry its result.
    #[serde(default)]
    valid_check: bool,
}

async fn create_stored_card(
    State(sim): State<Simulator>,
    Json(req): Json<StoredCardRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let id = sim.update(|l, now, rules| {
        let input = CardInput {
            card_number: req.card_number.clone(),
            expiry: req.expiry.clone(),
            holder: req.holder.clone(),
        };
        let id = l.add_stored_card(now, rules, &req.merchant_id, &req.customer_id, input)?;
        if req.valid_check
            && let Some(card) = l.stored_card_mut(&req.merchant_id, &req.customer_id, &id)
        {
            card.valid_checked_at = Some(now);
        }
        Ok::<_, LedgerError>(id)
    })?;
    Ok((StatusCode::CREATED, Json(json!({ "customer_card_id": id }))))
}

#[derive(Deserialize)]
struct CustomerQuery {
    merchant_id: String,
    customer_id: String,
}

async fn list_stored_cards(
    State(sim): State<Simulator>,
    Query(q): Query<CustomerQuery>,
) -> ApiResult {
    let cards: Vec<Value> = sim.read(|l| {
        l.stored_cards_of(&q.merchant_id, &q.customer_id)
            .iter()
            .map(|c| {
                json!({
                    "customer_card_id": c.customer_card_id,
                    "masked_card_number": crate::card_stub::masked(&c.card.number),
                    "expiry": c.card.valid_term,
                    "brand": c.brand,
                    "holder": c.card.holder,
                    "last_used_at": c.last_used_at,
                })
            })
            .collect()
    });
    Ok(Json(json!({ "cards": cards })))
}

fn clock_view(sim: &Simulator) -> Value {
    let now = sim.now();
    json!({
        "now": now,
        "now_jst": now.with_timezone(&jst()).to_rfc3339(),
        "offset_seconds": sim.clock().offset().num_seconds(),
        "offset_milliseconds": sim.clock().offset().num_milliseconds(),
    })
}

async fn clock(State(sim): State<Simulator>) -> ApiResult {
    Ok(Json(clock_view(&sim)))
}

#[derive(Deserialize)]
struct Advance {
    #[serde(default)]
    days: i64,
    #[serde(default)]
    hours: i64,
    #[serde(default)]
    minutes: i64,
}

async fn advance_clock(State(sim): State<Simulator>, Json(req): Json<Advance>) -> ApiResult {
    let by = Duration::try_days(req.days)
        .zip(Duration::try_hours(req.hours))
        .zip(Duration::try_minutes(req.minutes))
        .map(|((d, h), m)| d + h + m)
        .ok_or_else(|| bad("duration out of range"))?;
    sim.advance(by);
    Ok(Json(clock_view(&sim)))
}

#[derive(Deserialize)]
struct SetClock {
    now: DateTime<Utc>,
}

async fn set_clock(State(sim): State<Simulator>, Json(req): Json<SetClock>) -> ApiResult {
    sim.set_time(req.now);
    Ok(Json(clock_view(&sim)))
}

async fn tick(State(sim): State<Simulator>) -> ApiResult {
    to_json(sim.run_due_work().await)
}

async fn add_fault(
    State(sim): State<Simulator>,
    Json(rule): Json<FaultRule>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let id = sim.faults().add(rule);
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

async fn list_faults(State(sim): State<Simulator>) -> ApiResult {
    let rules = sim.faults().rules().to_vec();
    to_json(json!({ "faults": rules }))
}

async fn clear_faults(State(sim): State<Simulator>) -> ApiResult {
    sim.faults().clear();
    Ok(Json(json!({ "faults": [] })))
}

#[derive(Deserialize)]
struct OutsideOperation {
    payment_id: String,
    operation: String,
    #[serde(default)]
    amount: Option<i64>,
}

async fn outside_operation(
    State(sim): State<Simulator>,
    Json(req): Json<OutsideOperation>,
) -> ApiResult {
    let amount = req.amount.map(Ledger::control_amount).transpose()?;
    let new_id = sim.update(|l, now, rules| {
        l.outside_operation(now, &req.payment_id, &req.operation, amount, rules)
    })?;
    let view = sim.read(|l| {
        let id = new_id.as_deref().unwrap_or(&req.payment_id);
        l.payments.get(id).map(|p| payment_view(l, p, &sim))
    });
    Ok(Json(
        json!({ "payment_id": req.payment_id, "new_payment_id": new_id, "payment": view }),
    ))
}

#[derive(Deserialize)]
struct CompleteThreeDs {
    /// `authenticated` or `failed`.
    outcome: String,
}

/// The cardholder finishes an authentication on the ACS page (§4.6); answers the
/// term_url the browser is sent to. Abandoning is doing nothing: it times out.
async fn complete_three_ds(
    State(sim): State<Simulator>,
    Path(auth_id): Path<String>,
    Json(req): Json<CompleteThreeDs>,
) -> ApiResult {
    let authenticated = match req.outcome.as_str() {
        "authenticated" => true,
        "failed" => false,
        other => {
            return Err(bad(format!(
                "outcome must be authenticated or failed, not {other}"
            )));
        }
    };
    let term_url = sim.update(|l, now, _| l.complete_three_ds(now, &auth_id, authenticated))?;
    let status = sim.read(|l| l.three_ds.get(&auth_id).map(|a| a.status));
    Ok(Json(
        json!({ "3ds_auth_id": auth_id, "status": status, "term_url": term_url }),
    ))
}

/// An authentication: status, times, the payment that used it, and (once finished) the
/// term_url redirect.
async fn get_three_ds(State(sim): State<Simulator>, Path(auth_id): Path<String>) -> ApiResult {
    let view = sim.read(|l| {
        l.three_ds.get(&auth_id).map(|a| {
            let redirect = (a.status != crate::three_ds::ThreeDsStatus::Pending)
                .then(|| l.term_url_redirect(&auth_id, a));
            json!({
                "3ds_auth_id": auth_id,
                "merchant_id": a.merchant_id,
                "status": a.status,
                "created_at": a.created_at,
                "finished_at": a.finished_at,
                "used_by": a.used_by,
                "term_url": redirect,
            })
        })
    });
    view.map(Json)
        .ok_or_else(|| LedgerError::NotFound(format!("3-D Secure authentication {auth_id}")).into())
}

#[derive(Deserialize)]
struct Resolve {
    /// `success` or `failure`.
    outcome: String,
}

/// Finishes an operation parked in a processing status (30/31/42/50) now, as the
/// gateway's own retry or its polling of Paidy would.
async fn resolve_parked(
    State(sim): State<Simulator>,
    Path(payment_id): Path<String>,
    Json(req): Json<Resolve>,
) -> ApiResult {
    let success = match req.outcome.as_str() {
        "success" => true,
        "failure" => false,
        other => {
            return Err(LedgerError::Invalid(format!(
                "outcome must be success or failure, not {other}"
            ))
            .into());
        }
    };
    let cause = if success {
        "processing resolved"
    } else {
        "processing failed"
    };
    let new_id =
        sim.update(|l, now, rules| l.resolve_parked(now, &payment_id, success, cause, rules))?;
    let view = sim.read(|l| {
        l.payments
            .get(&payment_id)
            .map(|p| payment_view(l, p, &sim))
    });
    Ok(Json(
        json!({ "payment_id": payment_id, "new_payment_id": new_id, "payment": view }),
    ))
}

/// The control API's view of a payment, with the chain of revisions.
fn payment_view(l: &Ledger, p: &Payment, sim: &Simulator) -> Value {
    let mut chain = vec![p.payment_id.clone()];
    let mut cursor = p.base_payment_id.clone();
    while let Some(id) = cursor {
        chain.insert(0, id.clone());
        cursor = l.payments.get(&id).and_then(|b| b.base_payment_id.clone());
    }
    let mut cursor = p.next_payment_id.clone();
    while let Some(id) = cursor {
        chain.push(id.clone());
        cursor = l.payments.get(&id).and_then(|n| n.next_payment_id.clone());
    }
    let original = chain
        .first()
        .and_then(|id| l.payments.get(id))
        .map_or(p.amount.0, |r| r.amount.0);
    // Refunds count from the amount first captured: an amount changed before the capture
    // (028 on an authorization) is not a refund.
    let first_captured = chain
        .iter()
        .filter_map(|id| l.payments.get(id))
        .find(|q| q.captured_at.is_some())
        .map(|q| q.amount.0);
    let captured_now = matches!(p.status.code(), "40" | "41");
    let captured_amount = if captured_now { p.amount.0 } else { 0 };
    let refunded_amount = match first_captured {
        None => 0,
        Some(captured) if p.status.code() == "60" => captured,
        Some(captured) => captured - captured_amount,
    };
    let rules = sim.rules();
    let (capture_deadline, refund_deadline) = match p.method {
        crate::transition::Method::Card => (
            p.authorized_at
                .map(|t| t + rules.card_authorization_validity),
            p.captured_at.map(|t| t + rules.card_capture_cancel_window),
        ),
        crate::transition::Method::Paidy => (
            p.authorized_at.map(|t| t + rules.paidy_capture_window),
            p.captured_at.map(|t| t + rules.paidy_refund_window),
        ),
    };
    json!({
        "payment_id": p.payment_id,
        "merchant_id": p.merchant_id,
        "trading_id": p.trading_id,
        "method": p.method,
        "payment_type": p.method.payment_type().code(),
        "status": p.status.code(),
        "amount": p.amount.0,
        "original_amount": original,
        "captured_amount": captured_amount,
        "refunded_amount": refunded_amount,
        "three_d_secure": p.three_d_secure,
        "created_at": p.created_at,
        "authorized_at": p.authorized_at,
        "captured_at": p.captured_at,
        "cancelled_at": p.cancelled_at,
        "cart_capture_at": p.cart_capture_at,
        "capture_deadline": capture_deadline,
        "refund_deadline": refund_deadline,
        "base_payment_id": p.base_payment_id,
        "next_payment_id": p.next_payment_id,
        "changed_outside": p.changed_outside,
        "parked": p.parked,
        "card": p.card.as_ref().map(|c| json!({
            "masked_card_number": crate::card_stub::masked(&c.number),
            "expiry": c.valid_term,
            "brand": crate::card_stub::brand(&c.number),
            "customer_id": c.customer_id,
            "customer_card_id": c.customer_card_id,
        })),
        "paidy": p.paidy.as_ref().map(|d| json!({
            "paidy_payment_id": d.paidy_payment_id,
            "buyer": d.buyer,
            "items": d.items,
        })),
        "chain": chain,
        "history": p.history,
    })
}

async fn get_payment(State(sim): State<Simulator>, Path(payment_id): Path<String>) -> ApiResult {
    sim.read(|l| {
        l.payments
            .get(&payment_id)
            .map(|p| payment_view(l, p, &sim))
    })
    .map(Json)
    .ok_or_else(|| {
        ApiError(
            StatusCode::NOT_FOUND,
            format!("payment {payment_id} not found"),
        )
    })
}

#[derive(Deserialize)]
struct MerchantQuery {
    #[serde(default)]
    merchant_id: Option<String>,
}

async fn list_payments(State(sim): State<Simulator>, Query(q): Query<MerchantQuery>) -> ApiResult {
    let payments: Vec<Value> = sim.read(|l| {
        l.payments
            .values()
            .filter(|p| q.merchant_id.as_deref().is_none_or(|m| p.merchant_id == m))
            .map(|p| payment_view(l, p, &sim))
            .collect()
    });
    Ok(Json(json!({ "payments": payments })))
}

#[derive(Deserialize)]
struct EventQuery {
    #[serde(default)]
    after: u64,
    #[serde(default)]
    limit: Option<usize>,
}

async fn events(State(sim): State<Simulator>, Query(q): Query<EventQuery>) -> ApiResult {
    let limit = q.limit.unwrap_or(10_000);
    let (events, last) = sim.read(|l| {
        let start = l.events.partition_point(|e| e.seq <= q.after);
        let events: Vec<_> = l.events[start..].iter().take(limit).cloned().collect();
        (events, l.events.last().map_or(0, |e| e.seq))
    });
    to_json(json!({ "events": events, "last_seq": last }))
}

async fn notifications(State(sim): State<Simulator>, Query(q): Query<MerchantQuery>) -> ApiResult {
    let merchant = q
        .merchant_id
        .ok_or_else(|| bad("merchant_id is required"))?;
    let view = sim.read(|l| {
        l.notices.get(&merchant).map(|n| {
            json!({
                "merchant_id": merchant,
                "next_payment_notice_id": n.next_id,
                "purge_gap_pending": n.purge_gap_pending,
                "push": n.push,
                "records": n.records.iter().map(|r| json!({
                    "payment_notice_id": r.payment_notice_id,
                    "created_at": r.created_at,
                    "payment_id": r.payment_id,
                    "fetched": r.fetched,
                    "pushed": r.pushed,
                    "push_attempts": r.push_attempts,
                    "fields": r.fields.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
    });
    view.map(Json)
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("shop {merchant} not found")))
}

async fn storefront(State(sim): State<Simulator>, Json(req): Json<GenerateRequest>) -> ApiResult {
    let summary = generate(&sim, &req).map_err(|e| match e {
        crate::storefront::GenerateError::Ledger(l) => ApiError::from(l),
        other => bad(other.to_string()),
    })?;
    to_json(summary)
}

async fn snapshot(State(sim): State<Simulator>) -> ApiResult {
    sim.save()
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(Json(json!({ "saved": true })))
}
