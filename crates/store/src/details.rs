//! Buyer and item details of an order (from Paidy's 343 verify telegram or a storefront CSV
//! import matched by order number, see `imports`).

use chrono::{DateTime, Utc};
use domain::invoice::TaxRate;
use domain::{Actor, OrderId, Yen};
use rusqlite::{Connection, OptionalExtension, params};

use crate::{Error, Result, Store, decode, ms};

/// Where details came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DetailsSource {
    /// Paidy's 343 verify telegram.
    PaidyVerify,
    /// The storefront's order CSV.
    StorefrontCsv,
    /// A gateway record (Paidy 091/094 fields).
    Gateway,
    /// The shop owner, on the order's screen.
    ShopOwner,
}

impl DetailsSource {
    /// The stable code used in the database.
    pub fn code(self) -> &'static str {
        match self {
            DetailsSource::PaidyVerify => "paidy_verify",
            DetailsSource::StorefrontCsv => "storefront_csv",
            DetailsSource::Gateway => "gateway",
            DetailsSource::ShopOwner => "shop_owner",
        }
    }

    /// The source for a code.
    pub fn from_code(code: &str) -> Option<DetailsSource> {
        [
            DetailsSource::PaidyVerify,
            DetailsSource::StorefrontCsv,
            DetailsSource::Gateway,
            DetailsSource::ShopOwner,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }

    fn label(self) -> (&'static str, &'static str) {
        match self {
            DetailsSource::PaidyVerify => ("ペイディ決済情報検証", "Paidy verify"),
            DetailsSource::StorefrontCsv => ("ショップのCSV", "storefront CSV"),
            DetailsSource::Gateway => ("ペイジェント", "Paygent"),
            DetailsSource::ShopOwner => ("ショップでの入力", "entered by the shop"),
        }
    }
}

/// One item line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The shop's item ID, if any.
    pub item_id: Option<String>,
    /// Item name.
    pub title: String,
    /// Description, if any.
    pub description: Option<String>,
    /// Unit price.
    pub unit_price: Yen,
    /// Quantity.
    pub quantity: i64,
    /// The item's own tax rate when its source gave one; `None`: the shop's rate.
    pub tax_rate: Option<TaxRate>,
}

/// The stored code of an item's tax rate.
pub(crate) fn rate_code(rate: Option<TaxRate>) -> Option<&'static str> {
    rate.map(|r| match r {
        TaxRate::Reduced => "reduced",
        TaxRate::Standard => "standard",
    })
}

/// An item's tax rate from its stored code (anything else is no rate of its own).
pub(crate) fn rate_of(code: Option<&str>) -> Option<TaxRate> {
    match code? {
        "reduced" => Some(TaxRate::Reduced),
        "standard" => Some(TaxRate::Standard),
        _ => None,
    }
}

/// Reads one `order_items` row selected as `ITEM_COLUMNS`.
pub(crate) fn item_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Item> {
    let rate: Option<String> = r.get(5)?;
    Ok(Item {
        item_id: r.get(0)?,
        title: r.get(1)?,
        description: r.get(2)?,
        unit_price: Yen(r.get(3)?),
        quantity: r.get(4)?,
        tax_rate: rate_of(rate.as_deref()),
    })
}

/// The columns [`item_row`] reads, in its order.
pub(crate) const ITEM_COLUMNS: &str = "item_id, title, description, unit_price, quantity, tax_rate";

/// Buyer, shipping and item details of one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderDetails {
    /// Where they came from.
    pub source: DetailsSource,
    /// Buyer name (kanji).
    pub buyer_name: Option<String>,
    /// Buyer name (kana).
    pub buyer_name_kana: Option<String>,
    /// Buyer e-mail.
    pub buyer_email: Option<String>,
    /// Buyer phone.
    pub buyer_phone: Option<String>,
    /// Postal code.
    pub shipping_zip: Option<String>,
    /// Prefecture.
    pub shipping_state: Option<String>,
    /// City.
    pub shipping_city: Option<String>,
    /// Address line 1.
    pub shipping_line1: Option<String>,
    /// Address line 2.
    pub shipping_line2: Option<String>,
    /// Tax.
    pub order_tax: Option<Yen>,
    /// Shipping fee.
    pub order_shipping: Option<Yen>,
    /// Items, in order.
    pub items: Vec<Item>,
}

/// Replaces an order's items with `items`, in their order.
pub(crate) fn replace_items(conn: &Connection, order: OrderId, items: &[Item]) -> Result<()> {
    conn.execute("DELETE FROM order_items WHERE order_id = ?1", [order.0])?;
    for (position, item) in items.iter().enumerate() {
        conn.execute(
            "INSERT INTO order_items (order_id, position, item_id, title, description, unit_price, quantity, tax_rate)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                order.0,
                position as i64,
                item.item_id,
                item.title,
                item.description,
                item.unit_price.0,
                item.quantity,
                rate_code(item.tax_rate)
            ],
        )?;
    }
    Ok(())
}

fn save(
    conn: &Connection,
    order: OrderId,
    details: &OrderDetails,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.execute(
        "INSERT INTO order_details (order_id, source, buyer_name, buyer_name_kana, buyer_email, buyer_phone,
             shipping_zip, shipping_state, shipping_city, shipping_line1, shipping_line2, order_tax,
             order_shipping, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT (order_id) DO UPDATE SET source = excluded.source, buyer_name = excluded.buyer_name,
             buyer_name_kana = excluded.buyer_name_kana, buyer_email = excluded.buyer_email,
             buyer_phone = excluded.buyer_phone, shipping_zip = excluded.shipping_zip,
             shipping_state = excluded.shipping_state, shipping_city = excluded.shipping_city,
             shipping_line1 = excluded.shipping_line1, shipping_line2 = excluded.shipping_line2,
             order_tax = excluded.order_tax, order_shipping = excluded.order_shipping,
             updated_at = excluded.updated_at",
        params![
            order.0,
            details.source.code(),
            details.buyer_name,
            details.buyer_name_kana,
            details.buyer_email,
            details.buyer_phone,
            details.shipping_zip,
            details.shipping_state,
            details.shipping_city,
            details.shipping_line1,
            details.shipping_line2,
            details.order_tax.map(|y| y.0),
            details.order_shipping.map(|y| y.0),
            ms(now),
        ],
    )?;
    replace_items(conn, order, &details.items)?;
    // The list's summary columns follow the details (they feed search).
    conn.execute(
        "UPDATE orders SET buyer_name = COALESCE(?2, buyer_name), buyer_name_kana = COALESCE(?3, buyer_name_kana),
             buyer_email = COALESCE(?4, buyer_email), updated_at = ?5
         WHERE id = ?1",
        params![order.0, details.buyer_name, details.buyer_name_kana, details.buyer_email, ms(now)],
    )?;
    let (ja, en) = details.source.label();
    crate::history::append(
        conn,
        order,
        now,
        Actor::PayDesk,
        &domain::history::details_imported(ja, en),
    )?;
    Ok(())
}

impl Store {
    /// Stores an order's details (replacing earlier ones) and updates its buyer summary.
    pub fn save_order_details(
        &mut self,
        order: OrderId,
        details: &OrderDetails,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        if crate::orders::get_order(&tx, order)?.is_none() {
            return Err(Error::OrderNotFound(order.0));
        }
        save(&tx, order, details, now)?;
        tx.commit()?;
        Ok(())
    }

    /// An order's details, if any were stored.
    pub fn order_details(&self, order: OrderId) -> Result<Option<OrderDetails>> {
        let head = self
            .conn
            .query_row(
                "SELECT source, buyer_name, buyer_name_kana, buyer_email, buyer_phone, shipping_zip, shipping_state,
                     shipping_city, shipping_line1, shipping_line2, order_tax, order_shipping
                 FROM order_details WHERE order_id = ?1",
                [order.0],
                |r| {
                    let source: String = r.get(0)?;
                    Ok(OrderDetails {
                        source: decode(0, &source, DetailsSource::from_code)?,
                        buyer_name: r.get(1)?,
                        buyer_name_kana: r.get(2)?,
                        buyer_email: r.get(3)?,
                        buyer_phone: r.get(4)?,
                        shipping_zip: r.get(5)?,
                        shipping_state: r.get(6)?,
                        shipping_city: r.get(7)?,
                        shipping_line1: r.get(8)?,
                        shipping_line2: r.get(9)?,
                        order_tax: r.get::<_, Option<i64>>(10)?.map(Yen),
                        order_shipping: r.get::<_, Option<i64>>(11)?.map(Yen),
                        items: Vec::new(),
                    })
                },
            )
            .optional()?;
        let Some(mut details) = head else {
            return Ok(None);
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ITEM_COLUMNS} FROM order_items WHERE order_id = ?1 ORDER BY position"
        ))?;
        details.items = stmt
            .query_map([order.0], item_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Some(details))
    }
}
