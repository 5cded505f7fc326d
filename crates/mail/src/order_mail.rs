//! The built-in texts of the shop's two order mails (issue 20, point 5), Japanese and
//! English, their placeholders, and filling them in for one order.
//!
//! They share the reminders' template syntax and checker (`{placeholder}`, `{{` / `}}`,
//! a one-line subject); each kind has its own placeholder list. Unlike a reminder, an order
//! mail is refused when a placeholder it uses has no value for the order
//! ([`TemplateError::Unfilled`]): a notice saying "伝票番号：" with nothing after it is
//! never sent.

use domain::order_mail::OrderMailKind;

use crate::template::{Allowed, Language, Part, Rendered, Template, TemplateError, fill};

/// The shipping notice's placeholders.
pub const SHIPPING_NOTICE_PLACEHOLDERS: &[&str] = &[
    "buyer_name",
    "order_number",
    "order_date",
    "items",
    "total",
    "carrier",
    "tracking_number",
    "tracking_url",
    "shop_name",
    "shop_contact",
];

/// The order confirmation's placeholders.
pub const ORDER_CONFIRMATION_PLACEHOLDERS: &[&str] = &[
    "buyer_name",
    "order_number",
    "order_date",
    "payment_method",
    "items",
    "shipping_fee",
    "total",
    "shop_name",
    "shop_contact",
];

/// The placeholders a kind may use.
pub fn placeholders(kind: OrderMailKind) -> &'static [&'static str] {
    match kind {
        OrderMailKind::ShippingNotice => SHIPPING_NOTICE_PLACEHOLDERS,
        OrderMailKind::OrderConfirmation => ORDER_CONFIRMATION_PLACEHOLDERS,
    }
}

/// What a placeholder stands for and where its value comes from (Japanese, English), for
/// the "no value" message.
pub fn placeholder_meaning(name: &str) -> (&'static str, &'static str) {
    match name {
        "buyer_name" => (
            "購入者の氏名。注文画面の「購入者情報」で入力できます",
            "the buyer's name; enter it under \"Buyer details\" on the order",
        ),
        "order_number" => ("注文番号", "the order number"),
        "order_date" => ("注文日", "the order date"),
        "payment_method" => ("お支払い方法", "the payment method"),
        "items" => (
            "ご注文の商品。ストアの注文CSVを取り込むと入ります",
            "the items; importing the storefront's order export fills them in",
        ),
        "shipping_fee" => ("送料", "the shipping fee"),
        "total" => ("お支払い金額", "the amount"),
        "carrier" => ("配送業者", "the carrier"),
        "tracking_number" => (
            "問合せ番号。注文画面で登録できます",
            "the tracking number; record it on the order",
        ),
        "tracking_url" => ("配送状況のページ", "the tracking page"),
        "shop_name" => (
            "ショップ名。設定画面の「ショップ」で入力できます",
            "the shop name; enter it in Settings, under \"Shop\"",
        ),
        "shop_contact" => (
            "お店の連絡先。メール設定の「お店の連絡先」で入力できます",
            "the shop's contact; enter it in the e-mail settings, under \"Shop contact\"",
        ),
        _ => ("", ""),
    }
}

/// The values put into an order mail. An empty value is "no value".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrderValues {
    /// `{buyer_name}`.
    pub buyer_name: String,
    /// `{order_number}`.
    pub order_number: String,
    /// `{order_date}`: the Japan day it was ordered.
    pub order_date: String,
    /// `{payment_method}`.
    pub payment_method: String,
    /// `{items}`: one line per item (name, quantity, amount).
    pub items: String,
    /// `{shipping_fee}`.
    pub shipping_fee: String,
    /// `{total}`: what the payment holds now.
    pub total: String,
    /// `{carrier}`.
    pub carrier: String,
    /// `{tracking_number}`: every recorded number, one per line for a multi-piece shipment.
    pub tracking_number: String,
    /// `{tracking_url}`: the carrier's tracking page for each number, one per line.
    pub tracking_url: String,
    /// `{shop_name}`.
    pub shop_name: String,
    /// `{shop_contact}`.
    pub shop_contact: String,
}

impl OrderValues {
    fn get(&self, name: &str) -> Option<&str> {
        Some(match name {
            "buyer_name" => &self.buyer_name,
            "order_number" => &self.order_number,
            "order_date" => &self.order_date,
            "payment_method" => &self.payment_method,
            "items" => &self.items,
            "shipping_fee" => &self.shipping_fee,
            "total" => &self.total,
            "carrier" => &self.carrier,
            "tracking_number" => &self.tracking_number,
            "tracking_url" => &self.tracking_url,
            "shop_name" => &self.shop_name,
            "shop_contact" => &self.shop_contact,
            _ => return None,
        })
    }
}

/// The built-in text of an order mail.
pub fn builtin(kind: OrderMailKind, language: Language) -> Template {
    let (subject, body) = match (kind, language) {
        (OrderMailKind::ShippingNotice, Language::Ja) => (SHIPPING_SUBJECT_JA, SHIPPING_JA),
        (OrderMailKind::ShippingNotice, Language::En) => (SHIPPING_SUBJECT_EN, SHIPPING_EN),
        (OrderMailKind::OrderConfirmation, Language::Ja) => {
            (CONFIRMATION_SUBJECT_JA, CONFIRMATION_JA)
        }
        (OrderMailKind::OrderConfirmation, Language::En) => {
            (CONFIRMATION_SUBJECT_EN, CONFIRMATION_EN)
        }
    };
    Template {
        subject: subject.to_owned(),
        body: body.to_owned(),
    }
}

/// Checks an edited order mail: only this kind's placeholders, matched braces, a one-line
/// subject.
pub fn validate(template: &Template, kind: OrderMailKind) -> Result<(), TemplateError> {
    template.check(Allowed::Order(placeholders(kind)))
}

/// Fills an order mail in; a placeholder it uses without a value refuses it.
pub fn render(
    template: &Template,
    kind: OrderMailKind,
    values: &OrderValues,
) -> Result<Rendered, TemplateError> {
    validate(template, kind)?;
    let allowed = Allowed::Order(placeholders(kind));
    let get = |name: &str| values.get(name);
    Ok(Rendered {
        subject: fill(&template.subject, Part::Subject, allowed, &get, true)?,
        body: fill(&template.body, Part::Body, allowed, &get, true)?,
    })
}

const SHIPPING_SUBJECT_JA: &str = "【{shop_name}】商品発送のお知らせ（ご注文番号 {order_number}）";

const SHIPPING_JA: &str = "{buyer_name} 様

このたびは{shop_name}をご利用いただき、誠にありがとうございます。
ご注文の商品を発送いたしましたので、お知らせいたします。

■ご注文番号：{order_number}
■ご注文日：{order_date}

■配送業者：{carrier}
■お問い合わせ伝票番号：
{tracking_number}
■配送状況の確認：
{tracking_url}
（配送業者のページに反映されるまで、お時間がかかる場合があります。）

■ご注文内容
{items}
------------------------------------------------
お支払い金額：{total}

商品の到着まで、今しばらくお待ちください。

【お問い合わせ先】
============================================================
{shop_name}
{shop_contact}
============================================================
";

const SHIPPING_SUBJECT_EN: &str = "Your order {order_number} has shipped ({shop_name})";

const SHIPPING_EN: &str = "Dear {buyer_name},

Thank you for shopping at {shop_name}.
Your order has been shipped.

Order number: {order_number}
Order date: {order_date}

Carrier: {carrier}
Tracking number:
{tracking_number}
Track your parcel:
{tracking_url}
(The carrier's page may take a while to show it.)

Your order
{items}
---------------------------------------
Amount: {total}

Contact
============================================================
{shop_name}
{shop_contact}
============================================================
";

const CONFIRMATION_SUBJECT_JA: &str =
    "【{shop_name}】ご注文内容のご確認（ご注文番号 {order_number}）";

const CONFIRMATION_JA: &str = "{buyer_name} 様

このたびは{shop_name}をご利用いただき、誠にありがとうございます。
以下の内容でご注文を承りました。

■ご注文番号：{order_number}
■ご注文日：{order_date}
■お支払い方法：{payment_method}

■ご注文内容
{items}
------------------------------------------------
送料：{shipping_fee}
お支払い金額：{total}

発送の際は、あらためてお知らせいたします。

【お問い合わせ先】
============================================================
{shop_name}
{shop_contact}
============================================================
";

const CONFIRMATION_SUBJECT_EN: &str = "Your order {order_number} at {shop_name}";

const CONFIRMATION_EN: &str = "Dear {buyer_name},

Thank you for shopping at {shop_name}.
We have received your order as follows.

Order number: {order_number}
Order date: {order_date}
Payment method: {payment_method}

Your order
{items}
---------------------------------------
Shipping: {shipping_fee}
Amount: {total}

We will let you know when it ships.

Contact
============================================================
{shop_name}
{shop_contact}
============================================================
";
