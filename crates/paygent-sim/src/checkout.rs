//! Checkouts created through the control API: what a storefront and its buyer would have
//! done before PayDesk sees the payment (a card payment authorized with a fresh token or
//! a stored card, a Paidy checkout, a stored card registration).

use chrono::{DateTime, Datelike, Utc};
use paygent_codec::Yen;
use serde::{Deserialize, Serialize};

use crate::clock::jst;
use crate::ledger::{CardDetails, Contract, EventDetail, Ledger, LedgerError};
use crate::rules::GatewayRules;

/// The default test card: the stub's "everything succeeds".
pub const DEFAULT_CARD: &str = "4900000000000000";

/// Capture mode of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureMode {
    /// The shop captures later.
    #[default]
    AuthorizeOnly,
    /// The storefront cart authorizes, then sends the capture itself a few minutes after
    /// the order (seed 000; `GatewayRules::cart_capture_delay`).
    AuthorizeAndCapture,
}

/// A card checkout.
#[derive(Debug, Clone, Deserialize)]
pub struct CardCheckout {
    /// The shop.
    pub merchant_id: String,
    /// The shop's order id.
    #[serde(default)]
    pub trading_id: Option<String>,
    /// Amount in yen.
    pub amount: i64,
    /// A stub number choosing the outcome (default: success).
    #[serde(default)]
    pub card_number: Option<String>,
    /// Expiry MMYY (default: three years ahead).
    #[serde(default)]
    pub expiry: Option<String>,
    /// Capture mode.
    #[serde(default)]
    pub capture_mode: CaptureMode,
    /// Authenticated with EMV 3-D Secure.
    #[serde(default)]
    pub three_d_secure: bool,
    /// Subscription customer: with `customer_card_id` the stored card is used (a
    /// renewal); without it the card is registered after the first purchase succeeds.
    #[serde(default)]
    pub customer_id: Option<String>,
    /// Stored card to use.
    #[serde(default)]
    pub customer_card_id: Option<String>,
    /// Cardholder name.
    #[serde(default)]
    pub holder: Option<String>,
}

/// A card entered through the control API.
#[derive(Debug, Clone)]
pub struct CardInput {
    /// A stub number (default: success).
    pub card_number: Option<String>,
    /// Expiry, MMYY.
    pub expiry: String,
    /// Cardholder name.
    pub holder: Option<String>,
}

/// What a checkout produced.
#[derive(Debug, Clone, Serialize)]
pub struct CheckoutResult {
    /// The payment, when one was created (also for refusals that leave one in 10/11).
    pub payment_id: Option<String>,
    /// Its status.
    pub status: Option<String>,
    /// `0` success, `1` refused.
    pub result: String,
    /// The gateway's response code when refused.
    pub response_code: String,
    /// The gateway's detail when refused.
    pub response_detail: String,
    /// The stored card used or registered.
    pub customer_card_id: Option<String>,
}

/// A default expiry three years ahead (MMYY).
pub fn default_expiry(now: DateTime<Utc>) -> String {
    let local = now.with_timezone(&jst());
    format!("12{:02}", (local.year() + 3) % 100)
}

impl Ledger {
    /// Creates a card payment as if the storefront had sent 020 with a token (or a stored
    /// card).
    pub fn card_checkout(
        &mut self,
        now: DateTime<Utc>,
        rules: &GatewayRules,
        req: &CardCheckout,
    ) -> Result<CheckoutResult, LedgerError> {
        let shop = self.shop(&req.merchant_id)?;
        if !shop.contracts.contains(&Contract::Card) {
            return Err(LedgerError::Refused {
                code: "P007".into(),
            });
        }
        if req.three_d_secure && !shop.contracts.contains(&Contract::ThreeDSecure) {
            return Err(LedgerError::Refused {
                code: "P063".into(),
            });
        }
        let mut params: Vec<(String, String)> =
            vec![("payment_amount".into(), req.amount.to_string())];
        if let Some(t) = &req.trading_id {
            params.push(("trading_id".into(), t.clone()));
        }
        let card = CardDetails {
            number: req
                .card_number
                .clone()
                .unwrap_or_else(|| DEFAULT_CARD.to_owned()),
            valid_term: req.expiry.clone().unwrap_or_else(|| default_expiry(now)),
            holder: req.holder.clone().unwrap_or_default(),
            customer_id: None,
            customer_card_id: None,
        };
        if req.three_d_secure {
            // The buyer authenticated at the storefront: a finished 450 (§4.6).
            let auth_id = self.start_three_ds(
                now,
                &req.merchant_id,
                card.clone(),
                &req.amount.to_string(),
                "https://shop.example/3ds/return",
                crate::three_ds::ThreeDsStatus::Authenticated,
            );
            params.push(("3dsecure_use_type".into(), "2".into()));
            params.push(("3ds_auth_id".into(), auth_id));
        } else {
            params.push(("3dsecure_ryaku".into(), "1".into()));
        }
        let register_after = match (&req.customer_id, &req.customer_card_id) {
            (Some(customer), Some(card_id)) => {
                params.push(("stock_card_mode".into(), "1".into()));
                params.push(("customer_id".into(), customer.clone()));
                params.push(("customer_card_id".into(), card_id.clone()));
                None
            }
            (customer, _) => {
                let token = self.create_token(
                    &req.merchant_id,
                    card.clone(),
                    false,
                    now + chrono::Duration::minutes(30),
                );
                params.push(("card_token".into(), token));
                customer.clone()
            }
        };
        let outcome = self.run_internal(now, rules, "020", &req.merchant_id, &params);
        let result = match outcome {
            Ok(items) => {
                let payment_id = items
                    .iter()
                    .find(|(k, _)| k == "payment_id")
                    .map(|(_, v)| v.clone());
                let mut customer_card_id = req.customer_card_id.clone();
                if let (Some(customer), Some(id)) = (register_after, &payment_id) {
                    let registered = self
                        .register_card(
                            now,
                            &req.merchant_id,
                            &customer,
                            card,
                            Default::default(),
                            rules,
                        )
                        .map_err(|code| LedgerError::Refused { code: code.into() })?;
                    if let Some(c) = self.payments.get_mut(id).and_then(|p| p.card.as_mut()) {
                        c.customer_id = Some(customer.clone());
                        c.customer_card_id = Some(registered.clone());
                    }
                    customer_card_id = Some(registered);
                }
                // The cart's "authorize and capture": it sends 022 itself a few minutes
                // later (the gateway's own sales_mode=1 would capture at once).
                if req.capture_mode == CaptureMode::AuthorizeAndCapture
                    && let Some(p) = payment_id.as_ref().and_then(|id| self.payments.get_mut(id))
                {
                    p.cart_capture_at = Some(now + rules.cart_capture_delay);
                }
                let status = payment_id
                    .as_ref()
                    .and_then(|id| self.payments.get(id))
                    .map(|p| p.status.code().to_owned());
                CheckoutResult {
                    payment_id,
                    status,
                    result: "0".into(),
                    response_code: String::new(),
                    response_detail: String::new(),
                    customer_card_id,
                }
            }
            Err(refusal) => {
                // A refused authorization still leaves a payment (10 or 11) except for
                // parameter errors; find the newest one for this order.
                let payment_id = refusal.payment_id.clone().or_else(|| {
                    self.payments
                        .values()
                        .rev()
                        .find(|p| {
                            p.merchant_id == req.merchant_id
                                && p.created_at == now
                                && p.trading_id == req.trading_id
                        })
                        .map(|p| p.payment_id.clone())
                });
                let status = payment_id
                    .as_ref()
                    .and_then(|id| self.payments.get(id))
                    .map(|p| p.status.code().to_owned());
                CheckoutResult {
                    payment_id,
                    status,
                    result: "1".into(),
                    response_code: refusal.code,
                    response_detail: refusal.detail,
                    customer_card_id: req.customer_card_id.clone(),
                }
            }
        };
        self.log(
            now,
            EventDetail::Control {
                action: "checkout_card".into(),
                detail: format!(
                    "{} {} {}",
                    req.merchant_id,
                    result.payment_id.as_deref().unwrap_or("-"),
                    if result.result == "0" {
                        "ok"
                    } else {
                        &result.response_code
                    }
                ),
            },
        );
        Ok(result)
    }

    /// Registers a stored card directly (as if the buyer had registered it on the shop).
    pub fn add_stored_card(
        &mut self,
        now: DateTime<Utc>,
        rules: &GatewayRules,
        merchant_id: &str,
        customer_id: &str,
        input: CardInput,
    ) -> Result<String, LedgerError> {
        let CardInput {
            card_number,
            expiry,
            holder,
        } = input;
        let shop = self.shop(merchant_id)?;
        if !shop.contracts.contains(&Contract::StoredCard) {
            return Err(LedgerError::Refused {
                code: "P021".into(),
            });
        }
        if !crate::ledger::is_trading_id(customer_id) {
            return Err(LedgerError::Invalid(
                "customer_id must be 1 to 25 letters, digits or _".into(),
            ));
        }
        if !crate::card_stub::is_valid_term(&expiry) {
            return Err(LedgerError::Invalid("expiry must be MMYY".into()));
        }
        let card = CardDetails {
            number: card_number.unwrap_or_else(|| DEFAULT_CARD.to_owned()),
            valid_term: expiry,
            holder: holder.unwrap_or_default(),
            customer_id: None,
            customer_card_id: None,
        };
        let id = self
            .register_card(
                now,
                merchant_id,
                customer_id,
                card,
                Default::default(),
                rules,
            )
            .map_err(|code| LedgerError::Refused { code: code.into() })?;
        self.log(
            now,
            EventDetail::Control {
                action: "stored_card".into(),
                detail: format!("{merchant_id} {customer_id} {id}"),
            },
        );
        Ok(id)
    }

    /// Checks an amount from the control API.
    pub fn control_amount(amount: i64) -> Result<Yen, LedgerError> {
        if amount <= 0 {
            return Err(LedgerError::Invalid(
                "amount must be a positive number of yen".into(),
            ));
        }
        Ok(Yen(amount))
    }
}
