//! The shop's details for its documents (one row), each issued document (append-only, so
//! the next issue of a kind knows it is a reissue) and the deposit check (a row while an
//! order's deposit is marked received). Every change writes its history line in the same
//! transaction.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use domain::deposit::Deposit;
use domain::invoice::{Rounding, TaxRate};
use domain::{Actor, OrderId, Text, Yen};
use rusqlite::{OptionalExtension, params};

use crate::{Error, Result, Store, decode, ms};

/// The shop's details for its documents (Settings; its name is the `shop_name` setting).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShopProfile {
    pub postal_code: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    /// As checked by `domain::invoice::RegistrationNumber` (`T` + 13 digits).
    pub registration_number: Option<String>,
    pub rounding: Rounding,
    /// The rate of the shop's items (the item lines carry none of their own).
    pub item_rate: ItemRate,
    pub logo_png: Option<Vec<u8>>,
    pub seal_png: Option<Vec<u8>>,
}

/// The consumption tax rate of a shop's items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ItemRate {
    #[default]
    Standard,
    Reduced,
}

impl ItemRate {
    pub fn rate(self) -> TaxRate {
        match self {
            ItemRate::Standard => TaxRate::Standard,
            ItemRate::Reduced => TaxRate::Reduced,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            ItemRate::Standard => "standard",
            ItemRate::Reduced => "reduced",
        }
    }

    pub fn from_code(code: &str) -> Option<ItemRate> {
        [ItemRate::Standard, ItemRate::Reduced]
            .into_iter()
            .find(|r| r.code() == code)
    }
}

/// The stable code of a rounding.
pub fn rounding_code(r: Rounding) -> &'static str {
    match r {
        Rounding::Down => "down",
        Rounding::Up => "up",
        Rounding::HalfUp => "half_up",
    }
}

/// The rounding of a code.
pub fn rounding_from_code(code: &str) -> Option<Rounding> {
    [Rounding::Down, Rounding::Up, Rounding::HalfUp]
        .into_iter()
        .find(|r| rounding_code(*r) == code)
}

/// Which of the shop's images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShopImage {
    Logo,
    Seal,
}

/// One issued document of one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentIssue {
    pub order: OrderId,
    /// `order_slip`, `delivery_note`, `invoice` or `receipt`.
    pub kind: &'static str,
    pub number: String,
    pub reissue: bool,
    /// The total the document states.
    pub amount: Yen,
    /// The order's history line.
    pub history: Text,
}

impl Store {
    /// The shop's details; empty ones before the shop set them.
    pub fn shop_profile(&self) -> Result<ShopProfile> {
        let row = self
            .conn
            .query_row(
                "SELECT postal_code, address, phone, registration_number, rounding, item_rate,
                     logo_png, seal_png FROM shop_profile WHERE id = 1",
                [],
                |r| {
                    let rounding: String = r.get(4)?;
                    let item_rate: String = r.get(5)?;
                    Ok(ShopProfile {
                        postal_code: r.get(0)?,
                        address: r.get(1)?,
                        phone: r.get(2)?,
                        registration_number: r.get(3)?,
                        rounding: decode(4, &rounding, rounding_from_code)?,
                        item_rate: decode(5, &item_rate, ItemRate::from_code)?,
                        logo_png: r.get(6)?,
                        seal_png: r.get(7)?,
                    })
                },
            )
            .optional()?;
        Ok(row.unwrap_or_default())
    }

    /// Saves the shop's text details and choices (the images are kept).
    pub fn save_shop_profile(&mut self, p: &ShopProfile, now: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "INSERT INTO shop_profile (id, postal_code, address, phone, registration_number,
                 rounding, item_rate, updated_at)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (id) DO UPDATE SET postal_code = excluded.postal_code,
                 address = excluded.address, phone = excluded.phone,
                 registration_number = excluded.registration_number, rounding = excluded.rounding,
                 item_rate = excluded.item_rate, updated_at = excluded.updated_at",
            params![
                p.postal_code,
                p.address,
                p.phone,
                p.registration_number,
                rounding_code(p.rounding),
                p.item_rate.code(),
                ms(now)
            ],
        )?;
        Ok(())
    }

    /// Sets (or with `None` removes) the logo or the seal image, already checked.
    pub fn set_shop_image(
        &mut self,
        which: ShopImage,
        png: Option<&[u8]>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let column = match which {
            ShopImage::Logo => "logo_png",
            ShopImage::Seal => "seal_png",
        };
        self.conn.execute(
            &format!(
                "INSERT INTO shop_profile (id, {column}, updated_at) VALUES (1, ?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET {column} = excluded.{column}, updated_at = excluded.updated_at"
            ),
            params![png, ms(now)],
        )?;
        Ok(())
    }

    /// How many documents of `kind` were issued for the order.
    pub fn document_issue_count(&self, order: OrderId, kind: &str) -> Result<u32> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM document_issues WHERE order_id = ?1 AND kind = ?2",
            params![order.0, kind],
            |r| r.get(0),
        )?)
    }

    /// Records issued documents and their history lines, and runs `write` (which writes
    /// the file) before committing: all or none, so the issues are recorded exactly when the
    /// file is there. A number issued meanwhile (the count was read before the PDF was drawn)
    /// refuses the whole set with [`Error::DocumentNumberTaken`] and `write` does not run.
    pub fn record_document_issues<E: From<Error>>(
        &mut self,
        issues: &[DocumentIssue],
        now: DateTime<Utc>,
        write: impl FnOnce() -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let tx = self.conn.transaction().map_err(Error::from)?;
        for i in issues {
            let inserted = tx.execute(
                "INSERT INTO document_issues (order_id, kind, number, reissue, amount, issued_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![i.order.0, i.kind, i.number, i.reissue, i.amount.0, ms(now)],
            );
            match inserted {
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    return Err(Error::DocumentNumberTaken(i.number.clone()).into());
                }
                other => {
                    other.map_err(Error::from)?;
                }
            }
            crate::history::append(&tx, i.order, now, Actor::PayDesk, &i.history)?;
        }
        write()?;
        tx.commit().map_err(Error::from)?;
        Ok(())
    }

    /// The orders with this order number (a number is the shop's own, so usually one).
    pub fn orders_by_number(&self, order_number: &str) -> Result<Vec<OrderId>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM orders WHERE order_number = ?1 ORDER BY id")?;
        let rows = stmt.query_map([order_number], |r| r.get(0).map(OrderId))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The order's deposit mark, if any.
    pub fn deposit(&self, order: OrderId) -> Result<Option<Deposit>> {
        Ok(self.deposits(&[order])?.remove(&order))
    }

    /// The deposit marks of these orders (a list page's).
    pub fn deposits(&self, orders: &[OrderId]) -> Result<HashMap<OrderId, Deposit>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT received_on, amount FROM order_deposits WHERE order_id = ?1")?;
        let mut out = HashMap::new();
        for &order in orders {
            let row = stmt
                .query_row([order.0], |r| {
                    let day: String = r.get(0)?;
                    Ok(Deposit {
                        received_on: decode(0, &day, |d| {
                            NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()
                        })?,
                        amount: r.get::<_, Option<i64>>(1)?.map(Yen),
                    })
                })
                .optional()?;
            if let Some(d) = row {
                out.insert(order, d);
            }
        }
        Ok(out)
    }

    /// Marks the deposit received (replacing an earlier mark), with its history line.
    pub fn mark_deposit(
        &mut self,
        order: OrderId,
        deposit: &Deposit,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        if crate::orders::get_order(&tx, order)?.is_none() {
            return Err(Error::OrderNotFound(order.0));
        }
        tx.execute(
            "INSERT INTO order_deposits (order_id, received_on, amount, marked_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (order_id) DO UPDATE SET received_on = excluded.received_on,
                 amount = excluded.amount, marked_at = excluded.marked_at",
            params![
                order.0,
                deposit.received_on.format("%Y-%m-%d").to_string(),
                deposit.amount.map(|a| a.0),
                ms(now)
            ],
        )?;
        crate::history::append(
            &tx,
            order,
            now,
            Actor::PayDesk,
            &domain::deposit::marked(deposit),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Removes the deposit mark, with its history line; `None` when there was none.
    pub fn undo_deposit(&mut self, order: OrderId, now: DateTime<Utc>) -> Result<Option<Deposit>> {
        let Some(deposit) = self.deposit(order)? else {
            return Ok(None);
        };
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM order_deposits WHERE order_id = ?1", [order.0])?;
        crate::history::append(
            &tx,
            order,
            now,
            Actor::PayDesk,
            &domain::deposit::undone(&deposit),
        )?;
        tx.commit()?;
        Ok(Some(deposit))
    }
}
