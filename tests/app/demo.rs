//! The demo world every order-driven end-to-end test starts from: the real app in demo
//! mode (embedded simulator and relay), the simulator's control API standing in for the
//! buyer and for Paygent's admin site, and the orders a test makes there.
//!
//! Layout: [`Demo::start`] opens the app and its demo world; `card_order` and
//! `paidy_order` are a buyer's checkout; [`Demo::order_id`] waits until an order has
//! arrived by notification; [`Demo::perform`] runs an operation as the UI's command does.
//! The order screen's own steps (open, operate by its buttons) are `e2e_orders`'.

use std::time::Duration;

use serde_json::json;

use crate::control::Control;
use crate::driver::Session;
use crate::screen::css;

pub(crate) struct Demo {
    pub(crate) s: Session,
    /// The simulator's control API: the buyer's checkouts, faults, its clock.
    pub(crate) control: Control,
    pub(crate) merchant_id: String,
}

impl Demo {
    /// The app in demo mode, once it has opened its demo world; the session waits at most
    /// `wait` for each element.
    pub(crate) async fn start(wait: Duration) -> Demo {
        let s = Session::start_demo().await.waiting(wait);
        // The demo banner shows once the app has opened its demo world.
        s.wait_css(&css("demo-banner")).await;
        let status = s.invoke("demo_status", json!({})).await;
        assert!(!status.is_null(), "the app did not start its demo");
        let control = Control::new(status["control_url"].as_str().unwrap());
        let merchant_id = status["merchant_id"].as_str().unwrap().to_owned();
        Demo {
            s,
            control,
            merchant_id,
        }
    }

    /// A buyer pays by card; the gateway authorizes (status 20). The transaction ID.
    pub(crate) async fn card_order(&self, order_number: &str, amount: i64) -> String {
        let r = self
            .control
            .post(
                "/control/checkouts/card",
                json!({
                    "merchant_id": self.merchant_id,
                    "trading_id": order_number,
                    "amount": amount,
                    "card_number": "4900000000000000",
                    "expiry": "1239",
                    "capture_mode": "authorize_only",
                    "three_d_secure": false,
                }),
            )
            .await;
        assert_eq!(r["status"], "20", "{r}");
        r["payment_id"].as_str().unwrap().to_owned()
    }

    /// A buyer pays with Paidy; authorized, to be captured by the shop. The transaction ID.
    pub(crate) async fn paidy_order(&self, order_number: &str, amount: i64) -> String {
        let r = self
            .control
            .post(
                "/control/checkouts/paidy",
                json!({
                    "merchant_id": self.merchant_id,
                    "trading_id": order_number,
                    "amount": amount,
                    "buyer": {"name": "山田 太郎", "name_kana": "ヤマダ タロウ", "email": "taro@example.jp", "phone": "090-1234-5678"},
                    "items": [{"title": "有機緑茶", "unit_price": amount, "quantity": 1}],
                    "shipping_address": {"zip": "150-0001", "state": "東京都", "city": "渋谷区", "line1": "神宮前1-2-3"},
                    "order_shipping": 0,
                    "capture_mode": "authorize_only",
                }),
            )
            .await;
        assert_eq!(r["status"], "20", "{r}");
        r["payment_id"].as_str().unwrap().to_owned()
    }

    /// The order's id once it has arrived (by notification: nothing here asks the app to
    /// fetch it).
    pub(crate) async fn order_id(&self, order_number: &str) -> i64 {
        let s = &self.s;
        s.until("the order never arrived", s.wait, async || {
            let page = s
                .invoke(
                    "list_orders",
                    json!({"query": {"search": order_number, "page": 0, "page_size": 10}}),
                )
                .await;
            page["items"].as_array()?.first()?["id"].as_i64()
        })
        .await
    }

    /// Runs an operation through the UI's command (not its buttons); it must succeed.
    pub(crate) async fn perform(&self, order_id: i64, kind: &str, amount: Option<i64>) {
        let r = self
            .s
            .invoke(
                "perform_operation",
                json!({"orderId": order_id, "request": {"kind": kind, "amount_yen": amount}}),
            )
            .await;
        assert_eq!(r["outcome"], "succeeded", "{r}");
    }
}

/// How long a test that makes its own orders waits by default: notifications travel
/// simulator → relay → app, and operations may wait for an inquiry.
pub(crate) const ORDER_WAIT: Duration = Duration::from_secs(60);
