//! Storefront CSV imports as field changes: planned, applied in one transaction, recorded,
//! and undone as a whole.
//!
//! [`Store::plan_details_import`] (the preview) and [`Store::apply_details_import`] run the
//! same planning function, so what the preview shows is what the apply does; the apply
//! refuses when its plan's fingerprint differs from the previewed one (an order or the file
//! changed in between). Only the fields a row carries are considered ([`ImportRow`]); an
//! empty cell (`None`) changes a known value only with `clear_empty`.
//!
//! Values are kept as canonical text (`None` = empty): text fields as they are, the
//! shipping fee as decimal yen, the address (prefecture, city, line 1, line 2) and the
//! items as JSON. Each applied change keeps the value before and after in
//! `details_import_changes`; undo writes the value before back to every field that still
//! holds the imported value, and keeps (and reports) fields changed since.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use domain::storefront::DetailField;
use domain::{Actor, OrderId, Text, Yen};
use rusqlite::{Connection, OptionalExtension, params};

use crate::details::{DetailsSource, ITEM_COLUMNS, Item, item_row, rate_code, rate_of};
use crate::{Error, Result, Store, from_ms, ms};

/// A field's value as canonical text; `None` is empty.
pub type FieldValue = Option<String>;

/// One row of an import: its order number and the fields its file has. A `None` value is
/// an empty cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// Matched to exactly one order by order number.
    pub order_number: String,
    /// Only the fields whose column the file has.
    pub fields: Vec<(DetailField, FieldValue)>,
}

/// One field an import changes (or changed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// The order.
    pub order: OrderId,
    /// Its order number.
    pub order_number: String,
    /// The field.
    pub field: DetailField,
    /// The value before.
    pub old: FieldValue,
    /// The value after.
    pub new: FieldValue,
}

/// What an import will do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportPlan {
    /// Rows matched to exactly one order.
    pub matched_rows: usize,
    /// Order numbers without an order (or with several: ambiguous rows are not guessed),
    /// each once, in file order.
    pub unmatched: Vec<String>,
    /// Orders that change.
    pub orders: usize,
    /// Every field change, order by order in file order.
    pub changes: Vec<FieldChange>,
    /// A digest of `changes` and the option: equal plans have equal fingerprints.
    pub fingerprint: String,
}

/// An applied import, as listed for undo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRecord {
    /// Its number.
    pub id: i64,
    /// When it was applied.
    pub at: DateTime<Utc>,
    /// The file's name (without its folder).
    pub file_name: String,
    /// Whether empty cells cleared values.
    pub clear_empty: bool,
    /// Orders changed.
    pub orders: usize,
    /// Fields changed.
    pub fields: usize,
    /// When it was undone, if it was.
    pub undone_at: Option<DateTime<Utc>>,
}

/// A field undo left alone because it changed after the import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptField {
    /// The order.
    pub order: OrderId,
    /// Its order number.
    pub order_number: String,
    /// The field.
    pub field: DetailField,
    /// What the import set.
    pub imported: FieldValue,
    /// What it holds now (and keeps).
    pub now: FieldValue,
}

/// What an undo did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UndoOutcome {
    /// Orders the undo touched (each got a history line).
    pub orders: usize,
    /// Fields set back to their value before the import.
    pub restored: usize,
    /// Fields changed since the import, left as they are.
    pub kept: Vec<KeptField>,
}

/// The canonical value of an address.
pub fn address_value(parts: [Option<String>; 4]) -> FieldValue {
    parts
        .iter()
        .any(Option::is_some)
        .then(|| serde_json::to_string(&parts).unwrap_or_default())
}

/// The address parts (prefecture, city, line 1, line 2) of a canonical value.
pub fn address_parts(value: Option<&str>) -> [Option<String>; 4] {
    value
        .and_then(|v| serde_json::from_str(v).ok())
        .unwrap_or_default()
}

/// The canonical value of an item list (`None` when empty).
pub fn items_value(items: &[Item]) -> FieldValue {
    if items.is_empty() {
        return None;
    }
    let list: Vec<serde_json::Value> = items
        .iter()
        .map(|i| {
            let mut item = serde_json::json!({
                "id": i.item_id, "title": i.title, "description": i.description,
                "price": i.unit_price.0, "quantity": i.quantity,
            });
            // Only when the item has a rate of its own, so values saved before items had
            // rates compare equal to the same items read again.
            if let Some(code) = rate_code(i.tax_rate) {
                item["rate"] = code.into();
            }
            item
        })
        .collect();
    Some(serde_json::Value::Array(list).to_string())
}

/// The items of a canonical value.
pub fn items_of(value: Option<&str>) -> Vec<Item> {
    let Some(list) = value.and_then(|v| serde_json::from_str::<Vec<serde_json::Value>>(v).ok())
    else {
        return Vec::new();
    };
    list.iter()
        .map(|i| Item {
            item_id: i["id"].as_str().map(str::to_owned),
            title: i["title"].as_str().unwrap_or_default().to_owned(),
            description: i["description"].as_str().map(str::to_owned),
            unit_price: Yen(i["price"].as_i64().unwrap_or(0)),
            quantity: i["quantity"].as_i64().unwrap_or(0),
            tax_rate: rate_of(i["rate"].as_str()),
        })
        .collect()
}

/// The canonical value of a yen amount.
pub fn yen_value(yen: Option<Yen>) -> FieldValue {
    yen.map(|y| y.0.to_string())
}

/// An order's current value of every field. The buyer's name, kana and e-mail fall back to
/// the order's own summary (a gateway record may carry them before any details exist).
fn current(conn: &Connection, order: OrderId) -> Result<BTreeMap<DetailField, FieldValue>> {
    type Row = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        [Option<String>; 4],
        Option<i64>,
    );
    let details: Option<Row> = conn
        .query_row(
            "SELECT buyer_name, buyer_name_kana, buyer_email, buyer_phone, shipping_zip,
                 shipping_state, shipping_city, shipping_line1, shipping_line2, order_shipping
             FROM order_details WHERE order_id = ?1",
            [order.0],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    [r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?],
                    r.get(9)?,
                ))
            },
        )
        .optional()?;
    let (name, kana, email): (Option<String>, Option<String>, Option<String>) = conn.query_row(
        "SELECT buyer_name, buyer_name_kana, buyer_email FROM orders WHERE id = ?1",
        [order.0],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let (d_name, d_kana, d_email, phone, zip, address, shipping) = details.unwrap_or_default();
    let items: Vec<Item> = {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {ITEM_COLUMNS} FROM order_items WHERE order_id = ?1 ORDER BY position"
        ))?;
        stmt.query_map([order.0], item_row)?
            .collect::<rusqlite::Result<_>>()?
    };
    Ok(BTreeMap::from([
        (DetailField::BuyerName, d_name.or(name)),
        (DetailField::BuyerNameKana, d_kana.or(kana)),
        (DetailField::BuyerEmail, d_email.or(email)),
        (DetailField::BuyerPhone, phone),
        (DetailField::ShippingZip, zip),
        (DetailField::Address, address_value(address)),
        (DetailField::OrderShipping, shipping.map(|y| y.to_string())),
        (DetailField::Items, items_value(&items)),
    ]))
}

/// Writes one field's canonical value to the order (details row, and the order's summary
/// for name, kana and e-mail, which feed the list and search).
fn write(
    conn: &Connection,
    order: OrderId,
    field: DetailField,
    value: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    write_from(conn, order, field, value, now, DetailsSource::StorefrontCsv)
}

/// [`write`], naming who gave the details when the order had none yet.
fn write_from(
    conn: &Connection,
    order: OrderId,
    field: DetailField,
    value: Option<&str>,
    now: DateTime<Utc>,
    source: DetailsSource,
) -> Result<()> {
    conn.execute(
        "INSERT INTO order_details (order_id, source, updated_at) VALUES (?1, ?3, ?2)
         ON CONFLICT (order_id) DO UPDATE SET updated_at = excluded.updated_at",
        params![order.0, ms(now), source.code()],
    )?;
    let summary = |column: &str| -> Result<()> {
        conn.execute(
            &format!("UPDATE order_details SET {column} = ?2 WHERE order_id = ?1"),
            params![order.0, value],
        )?;
        conn.execute(
            &format!("UPDATE orders SET {column} = ?2, updated_at = ?3 WHERE id = ?1"),
            params![order.0, value, ms(now)],
        )?;
        Ok(())
    };
    let detail = |column: &str, value: rusqlite::types::Value| -> Result<()> {
        conn.execute(
            &format!("UPDATE order_details SET {column} = ?2 WHERE order_id = ?1"),
            params![order.0, value],
        )?;
        Ok(())
    };
    let text = |v: Option<&str>| -> rusqlite::types::Value { v.map(str::to_owned).into() };
    match field {
        DetailField::BuyerName => summary("buyer_name")?,
        DetailField::BuyerNameKana => summary("buyer_name_kana")?,
        DetailField::BuyerEmail => summary("buyer_email")?,
        DetailField::BuyerPhone => detail("buyer_phone", text(value))?,
        DetailField::ShippingZip => detail("shipping_zip", text(value))?,
        DetailField::Address => {
            let [state, city, line1, line2] = address_parts(value);
            conn.execute(
                "UPDATE order_details SET shipping_state = ?2, shipping_city = ?3,
                     shipping_line1 = ?4, shipping_line2 = ?5 WHERE order_id = ?1",
                params![order.0, state, city, line1, line2],
            )?;
        }
        DetailField::OrderShipping => detail(
            "order_shipping",
            value.and_then(|v| v.parse::<i64>().ok()).into(),
        )?,
        DetailField::Items => crate::details::replace_items(conn, order, &items_of(value))?,
    }
    Ok(())
}

/// FNV-1a, 64 bits: a digest that is the same in every process (the CLI previews in one
/// run and applies in the next). Not a security measure: it tells "the same plan" apart.
fn fnv(hash: &mut u64, bytes: &[u8]) {
    for b in bytes {
        *hash ^= u64::from(*b);
        *hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
}

/// The one planning function behind both the preview and the apply.
fn plan(conn: &Connection, rows: &[ImportRow], clear_empty: bool) -> Result<ImportPlan> {
    let mut result = ImportPlan::default();
    // Orders in file order, each with its values before and as planned.
    type Planned = (
        OrderId,
        String,
        BTreeMap<DetailField, FieldValue>,
        BTreeMap<DetailField, FieldValue>,
    );
    let mut planned: Vec<Planned> = Vec::new();
    let mut index_of: HashMap<i64, usize> = HashMap::new();
    let mut unmatched_seen: HashSet<&str> = HashSet::new();
    let mut stmt = conn.prepare_cached("SELECT id FROM orders WHERE order_number = ?1 LIMIT 2")?;
    for row in rows {
        let ids: Vec<i64> = stmt
            .query_map([&row.order_number], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let [id] = ids.as_slice() else {
            if unmatched_seen.insert(&row.order_number) {
                result.unmatched.push(row.order_number.clone());
            }
            continue;
        };
        result.matched_rows += 1;
        let at = match index_of.get(id) {
            Some(at) => *at,
            None => {
                let before = current(conn, OrderId(*id))?;
                planned.push((
                    OrderId(*id),
                    row.order_number.clone(),
                    before.clone(),
                    before,
                ));
                index_of.insert(*id, planned.len() - 1);
                planned.len() - 1
            }
        };
        let after = &mut planned[at].3;
        for (field, value) in &row.fields {
            // An empty cell leaves a known value alone unless the shop owner asked.
            if value.is_some() || clear_empty {
                after.insert(*field, value.clone());
            }
        }
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    fnv(&mut hash, &[u8::from(clear_empty)]);
    for (order, number, before, after) in planned {
        let mut changed = false;
        for field in DetailField::ALL {
            let (old, new) = (&before[&field], &after[&field]);
            if old != new {
                changed = true;
                for part in [
                    order.0.to_string().as_bytes(),
                    field.code().as_bytes(),
                    old.as_deref().unwrap_or("\u{0}").as_bytes(),
                    new.as_deref().unwrap_or("\u{0}").as_bytes(),
                ] {
                    fnv(&mut hash, part);
                    fnv(&mut hash, &[0xff]);
                }
                result.changes.push(FieldChange {
                    order,
                    order_number: number.clone(),
                    field,
                    old: old.clone(),
                    new: new.clone(),
                });
            }
        }
        result.orders += usize::from(changed);
    }
    result.fingerprint = format!("{hash:016x}");
    Ok(result)
}

fn labels(fields: &[DetailField]) -> Vec<Text> {
    fields.iter().map(|f| f.label()).collect()
}

impl Store {
    /// What importing `rows` would change now (nothing is written).
    pub fn plan_details_import(&self, rows: &[ImportRow], clear_empty: bool) -> Result<ImportPlan> {
        plan(&self.conn, rows, clear_empty)
    }

    /// Applies an import in one transaction: plans it again, refuses with
    /// [`Error::ImportPlanChanged`] when the plan is not the one previewed (`expected`
    /// fingerprint), writes every change, records the import and its old values, and adds
    /// a history line to each changed order. Returns the plan applied and the import's
    /// number (`None` when there was nothing to change: nothing is recorded then).
    pub fn apply_details_import(
        &mut self,
        rows: &[ImportRow],
        clear_empty: bool,
        expected: &str,
        file_name: &str,
        now: DateTime<Utc>,
    ) -> Result<(ImportPlan, Option<i64>)> {
        let tx = self.conn.transaction()?;
        let plan = plan(&tx, rows, clear_empty)?;
        if plan.fingerprint != expected {
            return Err(Error::ImportPlanChanged);
        }
        if plan.changes.is_empty() {
            return Ok((plan, None));
        }
        tx.execute(
            "INSERT INTO details_imports (at, file_name, clear_empty, orders, fields)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                ms(now),
                file_name,
                clear_empty,
                plan.orders as i64,
                plan.changes.len() as i64
            ],
        )?;
        let import_id = tx.last_insert_rowid();
        let mut fields_of: Vec<(OrderId, Vec<DetailField>)> = Vec::new();
        for change in &plan.changes {
            tx.execute(
                "INSERT INTO details_import_changes (import_id, order_id, field, old_value, new_value)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    import_id,
                    change.order.0,
                    change.field.code(),
                    change.old,
                    change.new
                ],
            )?;
            write(&tx, change.order, change.field, change.new.as_deref(), now)?;
            match fields_of.last_mut() {
                Some((order, fields)) if *order == change.order => fields.push(change.field),
                _ => fields_of.push((change.order, vec![change.field])),
            }
        }
        for (order, fields) in &fields_of {
            crate::history::append(
                &tx,
                *order,
                now,
                Actor::PayDesk,
                &domain::history::details_import_applied(import_id, &labels(fields)),
            )?;
        }
        tx.commit()?;
        Ok((plan, Some(import_id)))
    }

    /// Undoes an applied import as a whole, in one transaction: every field that still
    /// holds the imported value gets its value from before the import back; a field
    /// changed since is kept as it is and reported. Each touched order gets a history line
    /// that says both; the import is marked undone (an import is undone at most once).
    pub fn undo_details_import(
        &mut self,
        import_id: i64,
        now: DateTime<Utc>,
    ) -> Result<UndoOutcome> {
        let tx = self.conn.transaction()?;
        let undone: Option<Option<i64>> = tx
            .query_row(
                "SELECT undone_at FROM details_imports WHERE id = ?1",
                [import_id],
                |r| r.get(0),
            )
            .optional()?;
        match undone {
            None => return Err(Error::ImportNotFound(import_id)),
            Some(Some(_)) => return Err(Error::ImportAlreadyUndone(import_id)),
            Some(None) => {}
        }
        let changes: Vec<(i64, String, String, FieldValue, FieldValue)> = {
            let mut stmt = tx.prepare(
                "SELECT c.order_id, o.order_number, c.field, c.old_value, c.new_value
                 FROM details_import_changes c JOIN orders o ON o.id = c.order_id
                 WHERE c.import_id = ?1 ORDER BY c.id",
            )?;
            stmt.query_map([import_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<rusqlite::Result<_>>()?
        };
        let mut outcome = UndoOutcome::default();
        // Per order, in the import's order: restored and kept fields.
        let mut per_order: Vec<(OrderId, Vec<DetailField>, Vec<DetailField>)> = Vec::new();
        let mut now_of: HashMap<i64, BTreeMap<DetailField, FieldValue>> = HashMap::new();
        for (order_id, number, code, old, new) in changes {
            let field = DetailField::from_code(&code).ok_or(Error::Corrupt {
                column: "details_import_changes.field",
                value: code.clone(),
            })?;
            let order = OrderId(order_id);
            if let std::collections::hash_map::Entry::Vacant(e) = now_of.entry(order_id) {
                e.insert(current(&tx, order)?);
            }
            if per_order.last().is_none_or(|(o, _, _)| *o != order) {
                per_order.push((order, Vec::new(), Vec::new()));
            }
            let Some((_, restored, kept)) = per_order.last_mut() else {
                continue;
            };
            let value_now = now_of[&order_id][&field].clone();
            if value_now == new {
                write(&tx, order, field, old.as_deref(), now)?;
                restored.push(field);
                outcome.restored += 1;
            } else {
                kept.push(field);
                outcome.kept.push(KeptField {
                    order,
                    order_number: number,
                    field,
                    imported: new,
                    now: value_now,
                });
            }
        }
        for (order, restored, kept) in &per_order {
            // An order that had no details before the import has none again.
            tx.execute(
                "DELETE FROM order_details WHERE order_id = ?1 AND buyer_name IS NULL
                     AND buyer_name_kana IS NULL AND buyer_email IS NULL AND buyer_phone IS NULL
                     AND shipping_zip IS NULL AND shipping_state IS NULL AND shipping_city IS NULL
                     AND shipping_line1 IS NULL AND shipping_line2 IS NULL AND order_tax IS NULL
                     AND order_shipping IS NULL
                     AND NOT EXISTS (SELECT 1 FROM order_items WHERE order_id = ?1)",
                [order.0],
            )?;
            crate::history::append(
                &tx,
                *order,
                now,
                Actor::PayDesk,
                &domain::history::details_import_undone(
                    import_id,
                    &labels(restored),
                    &labels(kept),
                ),
            )?;
        }
        outcome.orders = per_order.len();
        tx.execute(
            "UPDATE details_imports SET undone_at = ?2 WHERE id = ?1",
            params![import_id, ms(now)],
        )?;
        tx.commit()?;
        Ok(outcome)
    }

    /// The shop owner's edit of an order's buyer details (name, kana, e-mail, phone,
    /// postal code, address), in one transaction with a history line naming the fields
    /// that changed. Returns those fields (none: nothing changed, no history line).
    pub fn edit_buyer_details(
        &mut self,
        order: OrderId,
        values: &[(DetailField, FieldValue)],
        now: DateTime<Utc>,
    ) -> Result<Vec<DetailField>> {
        let tx = self.conn.transaction()?;
        let before = current(&tx, order)?;
        let changed: Vec<DetailField> = values
            .iter()
            .filter(|(field, value)| before.get(field) != Some(value))
            .map(|(field, _)| *field)
            .collect();
        for (field, value) in values {
            if changed.contains(field) {
                write_from(
                    &tx,
                    order,
                    *field,
                    value.as_deref(),
                    now,
                    DetailsSource::ShopOwner,
                )?;
            }
        }
        if !changed.is_empty() {
            crate::history::append(
                &tx,
                order,
                now,
                Actor::PayDesk,
                &domain::history::buyer_details_edited(&labels(&changed)),
            )?;
        }
        tx.commit()?;
        Ok(changed)
    }

    /// The latest applied imports, newest first.
    pub fn details_imports(&self, limit: usize) -> Result<Vec<ImportRecord>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, at, file_name, clear_empty, orders, fields, undone_at
             FROM details_imports ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(ImportRecord {
                id: r.get(0)?,
                at: from_ms(r.get(1)?)?,
                file_name: r.get(2)?,
                clear_empty: r.get(3)?,
                orders: r.get::<_, i64>(4)? as usize,
                fields: r.get::<_, i64>(5)? as usize,
                undone_at: r.get::<_, Option<i64>>(6)?.map(from_ms).transpose()?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
