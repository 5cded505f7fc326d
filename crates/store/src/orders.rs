//! Orders, their transaction-ID chains, and the list pages (paged and filtered in SQL; a
//! search's matches gathered from the key and trigram indexes, then paged along the list's
//! index or read by key, whichever costs less; indexed for 100,000 orders).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use domain::{
    CaptureMode, Deadline, DeadlineKind, Order, OrderId, OrderList, PaymentMethod, PaymentStatus,
    RULES, Yen,
};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use crate::{Error, Result, Store, decode, from_ms, from_ms_opt, ms};

/// An order in a list, with its key and stored deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRow {
    /// The order's key.
    pub id: OrderId,
    /// The order.
    pub order: Order,
    /// The deadline it works against, as stored (see `domain::deadline`).
    pub deadline: Option<Deadline>,
}

/// Which deadline situation to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineFilter {
    /// Capture deadline within the warning period (the home screen's count); most urgent
    /// first.
    Near,
    /// Capture deadline passed, or the gateway already expired the authorization; most
    /// recently lapsed first.
    Lapsed,
}

/// How a list page is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderSort {
    /// Newest order first.
    Newest,
    /// Oldest order first.
    Oldest,
    /// Highest amount first.
    AmountHigh,
    /// Lowest amount first.
    AmountLow,
    /// Most urgent first: deadlines still ahead, soonest first; then deadlines that passed,
    /// most recently passed first; then orders with no deadline, newest first (see
    /// [`deadline_page`]).
    Deadline,
}

/// One page request of an order list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// The list; `None` searches all three.
    pub list: Option<OrderList>,
    /// Only these statuses (empty = any).
    pub statuses: Vec<PaymentStatus>,
    /// Only orders in this deadline situation.
    pub deadline: Option<DeadlineFilter>,
    /// Transaction ID (prefix), order number (prefix), buyer name (prefix; substring from 3
    /// characters) or amount (`1500`, `¥1,500`).
    pub search: Option<String>,
    /// Only orders paid with this method.
    pub method: Option<PaymentMethod>,
    /// Only orders placed at or after this moment.
    pub ordered_from: Option<DateTime<Utc>>,
    /// Only orders placed before this moment.
    pub ordered_until: Option<DateTime<Utc>>,
    /// Only orders whose deposit is marked received (`Some(true)`), or captured orders that
    /// still hold money and are not marked yet (`Some(false)`: waiting for the deposit).
    pub deposit: Option<bool>,
    /// The order of the rows; `None`: by urgency with a deadline filter, newest first
    /// otherwise.
    pub sort: Option<OrderSort>,
    /// Zero-based page number.
    pub page: u32,
    /// Rows per page (at least 1).
    pub page_size: u32,
    /// The time deadline filters are evaluated at.
    pub now: DateTime<Utc>,
}

impl ListQuery {
    /// The first page of a list, 50 rows, no filters.
    pub fn list(list: OrderList, now: DateTime<Utc>) -> ListQuery {
        ListQuery {
            list: Some(list),
            statuses: Vec::new(),
            deadline: None,
            search: None,
            method: None,
            ordered_from: None,
            ordered_until: None,
            deposit: None,
            sort: None,
            page: 0,
            page_size: 50,
            now,
        }
    }

    /// The order the rows come in.
    pub fn effective_sort(&self) -> OrderSort {
        match (self.sort, self.deadline) {
            (Some(sort), _) => sort,
            (None, Some(_)) => OrderSort::Deadline,
            (None, None) => OrderSort::Newest,
        }
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// How many rows match in total.
    pub total: u64,
    /// This page's number (zero-based).
    pub page: u32,
    /// Rows per page.
    pub page_size: u32,
}

pub(crate) const ORDER_COLUMNS: &str = "o.id, o.order_number, o.payment_id, o.method, o.capture_mode, \
    o.three_d_secure, o.amount, o.captured_amount, o.refunded_amount, o.status, o.ordered_at, \
    o.authorized_at, o.captured_at, o.list, o.outside_change, o.buyer_name, o.buyer_name_kana, \
    o.buyer_email, o.deadline_kind, o.deadline_at";

pub(crate) fn order_row(row: &Row<'_>) -> rusqlite::Result<OrderRow> {
    let text = |i: usize| -> rusqlite::Result<String> { row.get(i) };
    let order = Order {
        order_number: row.get(1)?,
        payment_id: row.get(2)?,
        method: decode(3, &text(3)?, PaymentMethod::from_code)?,
        capture_mode: decode(4, &text(4)?, CaptureMode::from_code)?,
        three_d_secure: row.get(5)?,
        amount: Yen(row.get(6)?),
        captured_amount: Yen(row.get(7)?),
        refunded_amount: Yen(row.get(8)?),
        status: decode(9, &text(9)?, PaymentStatus::from_code)?,
        ordered_at: from_ms(row.get(10)?)?,
        authorized_at: from_ms_opt(row.get(11)?)?,
        captured_at: from_ms_opt(row.get(12)?)?,
        list: decode(13, &text(13)?, OrderList::from_code)?,
        outside_change: row.get(14)?,
        buyer_name: row.get(15)?,
        buyer_name_kana: row.get(16)?,
        buyer_email: row.get(17)?,
    };
    let kind: Option<String> = row.get(18)?;
    let at: Option<i64> = row.get(19)?;
    let deadline = match (kind, at) {
        (Some(kind), Some(at)) => Some(Deadline {
            kind: decode(18, &kind, DeadlineKind::from_code)?,
            at: from_ms(at)?,
        }),
        _ => None,
    };
    Ok(OrderRow {
        id: OrderId(row.get(0)?),
        order,
        deadline,
    })
}

/// The stored deadline. When the gateway already expired the authorization (33), the
/// deadline passed no later than `now`, so the lapsed filter stays one index range.
fn deadline_columns(order: &Order, now: DateTime<Utc>) -> (Option<&'static str>, Option<i64>) {
    match domain::deadline(order, &RULES) {
        Some(d) => {
            let at = if order.status == PaymentStatus::AuthorizationExpired {
                d.at.min(now)
            } else {
                d.at
            };
            (Some(d.kind.code()), Some(ms(at)))
        }
        None => (None, None),
    }
}

/// The `orders` columns an insert and an update write from an [`Order`], in the order
/// [`order_values`] gives their values (`created_at` and `updated_at` come after).
const ORDER_WRITE_COLUMNS: [&str; 19] = [
    "order_number",
    "payment_id",
    "method",
    "capture_mode",
    "three_d_secure",
    "amount",
    "captured_amount",
    "refunded_amount",
    "status",
    "ordered_at",
    "authorized_at",
    "captured_at",
    "list",
    "outside_change",
    "buyer_name",
    "buyer_name_kana",
    "buyer_email",
    "deadline_kind",
    "deadline_at",
];

/// The values of [`ORDER_WRITE_COLUMNS`] for `order`, then `now` (the row's `updated_at`,
/// and on insert its `created_at`).
fn order_values(order: &Order, now: DateTime<Utc>) -> [Value; 20] {
    let (deadline_kind, deadline_at) = deadline_columns(order, now);
    [
        order.order_number.clone().into(),
        order.payment_id.clone().into(),
        order.method.code().to_owned().into(),
        order.capture_mode.code().to_owned().into(),
        order.three_d_secure.into(),
        order.amount.0.into(),
        order.captured_amount.0.into(),
        order.refunded_amount.0.into(),
        order.status.code().to_owned().into(),
        ms(order.ordered_at).into(),
        order.authorized_at.map(ms).into(),
        order.captured_at.map(ms).into(),
        order.list.code().to_owned().into(),
        order.outside_change.into(),
        order.buyer_name.clone().into(),
        order.buyer_name_kana.clone().into(),
        order.buyer_email.clone().into(),
        deadline_kind.map(str::to_owned).into(),
        deadline_at.into(),
        ms(now).into(),
    ]
}

pub(crate) fn insert_order(
    conn: &Connection,
    order: &Order,
    now: DateTime<Utc>,
) -> Result<OrderId> {
    let known: Option<i64> = conn
        .query_row(
            "SELECT order_id FROM payment_ids WHERE payment_id = ?1",
            [&order.payment_id],
            |r| r.get(0),
        )
        .optional()?;
    if known.is_some() {
        return Err(Error::DuplicatePaymentId(order.payment_id.clone()));
    }
    let marks: Vec<String> = (1..=ORDER_WRITE_COLUMNS.len())
        .map(|n| format!("?{n}"))
        .collect();
    conn.execute(
        &format!(
            "INSERT INTO orders ({}, created_at, updated_at) VALUES ({}, ?{now_mark}, ?{now_mark})",
            ORDER_WRITE_COLUMNS.join(", "),
            marks.join(", "),
            now_mark = ORDER_WRITE_COLUMNS.len() + 1,
        ),
        params_from_iter(order_values(order, now)),
    )?;
    let id = conn.last_insert_rowid();
    conn.execute(
        "INSERT INTO payment_ids (payment_id, order_id, base_payment_id, created_at) VALUES (?1, ?2, NULL, ?3)",
        params![order.payment_id, id, ms(now)],
    )?;
    // An order that arrives captured (or refunded) has moved money already.
    crate::ledger::record(conn, OrderId(id), None, order, now, now)?;
    Ok(OrderId(id))
}

/// Writes the order's new state; a new transaction ID joins the chain.
pub(crate) fn update_order(
    conn: &Connection,
    id: OrderId,
    order: &Order,
    now: DateTime<Utc>,
) -> Result<()> {
    let current: String = conn
        .query_row("SELECT payment_id FROM orders WHERE id = ?1", [id.0], |r| {
            r.get(0)
        })
        .optional()?
        .ok_or(Error::OrderNotFound(id.0))?;
    if current != order.payment_id {
        let owner: Option<i64> = conn
            .query_row(
                "SELECT order_id FROM payment_ids WHERE payment_id = ?1",
                [&order.payment_id],
                |r| r.get(0),
            )
            .optional()?;
        match owner {
            Some(owner) if owner != id.0 => {
                return Err(Error::DuplicatePaymentId(order.payment_id.clone()));
            }
            Some(_) => {}
            None => {
                conn.execute(
                    "INSERT INTO payment_ids (payment_id, order_id, base_payment_id, created_at) VALUES (?1, ?2, ?3, ?4)",
                    params![order.payment_id, id.0, current, ms(now)],
                )?;
            }
        }
    }
    let sets: Vec<String> = ORDER_WRITE_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, column)| format!("{column} = ?{}", i + 1))
        .collect();
    conn.execute(
        &format!(
            "UPDATE orders SET {}, updated_at = ?{now_mark} WHERE id = ?{id_mark}",
            sets.join(", "),
            now_mark = ORDER_WRITE_COLUMNS.len() + 1,
            id_mark = ORDER_WRITE_COLUMNS.len() + 2,
        ),
        params_from_iter(
            order_values(order, now)
                .into_iter()
                .chain([Value::from(id.0)]),
        ),
    )?;
    Ok(())
}

pub(crate) fn get_order(conn: &Connection, id: OrderId) -> Result<Option<Order>> {
    Ok(conn
        .query_row(
            &format!("SELECT {ORDER_COLUMNS} FROM orders o WHERE o.id = ?1"),
            [id.0],
            order_row,
        )
        .optional()?
        .map(|r| r.order))
}

pub(crate) fn order_id_by_payment_id(
    conn: &Connection,
    payment_id: &str,
) -> Result<Option<OrderId>> {
    Ok(conn
        .query_row(
            "SELECT order_id FROM payment_ids WHERE payment_id = ?1",
            [payment_id],
            |r| r.get(0),
        )
        .optional()?
        .map(OrderId))
}

/// Above this many matches a sorted page (by amount, oldest first, deadline) walks the
/// index of its order and stops at the page's end instead of sorting all matches; below
/// it, SQLite finds the matches by the filters' index and sorts them (a tuning constant of
/// the query plan, not a business rule).
const DENSE_MATCHES: u64 = 2_000;

/// What reading one order's row costs, in steps along a list's index (measured at 100,000
/// orders: about 2 µs against 0.15 µs). A search's page walks the index when that takes
/// fewer steps than this many times its matches, and reads the matches' rows otherwise (a
/// tuning constant of the query plan, not a business rule).
const ROW_READ_IN_INDEX_STEPS: u64 = 16;

/// Whether a list query narrows by more than its search.
fn has_filters(query: &ListQuery) -> bool {
    query.list.is_some()
        || !query.statuses.is_empty()
        || query.deadline.is_some()
        || query.method.is_some()
        || query.ordered_from.is_some()
        || query.ordered_until.is_some()
        || query.deposit.is_some()
}

/// The end of a prefix range: every string starting with `prefix` sorts below it.
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// The amount a search text names (`1500`, `¥1,500`, `1,500円`, `５８４０`), if it is one.
fn search_amount(key: &str) -> Option<i64> {
    let digits: String = key
        .chars()
        .filter(|c| !matches!(c, '¥' | ',' | '円'))
        .collect();
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The orders a search text finds, as one query of their ids (an order may come more than
/// once): orders whose transaction ID, order number, buyer name or kana starts with the
/// text, whose order number, name, kana or e-mail holds it (three characters or more), or
/// whose amount it names. Text and fields are compared by their search keys
/// (`domain::search::search_key`), so full-width digits, a name without its space, kana in
/// either script or half width, and another letter case all find the order. `None` when
/// the search is absent or blank; `param` binds a value and returns its mark.
fn search_hits(search: Option<&str>, mut param: impl FnMut(Value) -> String) -> Option<String> {
    let key = domain::search::search_key(search?);
    if key.is_empty() {
        return None;
    }
    let from = param(Value::Text(key.clone()));
    let to = param(Value::Text(prefix_end(&key)));
    let mut hits = vec![format!(
        "SELECT order_id FROM payment_ids WHERE payment_id >= {from} AND payment_id < {to}"
    )];
    if key.chars().count() >= 3 {
        // The trigram index holds each key whole, so it also finds every key that starts
        // with the text: the prefix ranges of the three keys would only find them twice.
        let phrase = param(Value::Text(format!("\"{}\"", key.replace('"', "\"\""))));
        hits.push(format!(
            "SELECT rowid FROM orders_search WHERE orders_search MATCH {phrase}"
        ));
    } else {
        for column in ["number_key", "name_key", "kana_key"] {
            hits.push(format!(
                "SELECT id FROM orders WHERE {column} >= {from} AND {column} < {to}"
            ));
        }
    }
    if let Some(amount) = search_amount(&key) {
        let amount = param(Value::Integer(amount));
        hits.push(format!("SELECT id FROM orders WHERE amount = {amount}"));
    }
    Some(hits.join(" UNION ALL "))
}

/// The search term of a list's WHERE clause (the order list's and the unprocessed list's):
/// the orders [`search_hits`] finds. `None` when the search is absent or blank.
pub(crate) fn search_clause(
    search: Option<&str>,
    param: impl FnMut(Value) -> String,
) -> Option<String> {
    search_hits(search, param).map(|hits| format!("o.id IN ({hits})"))
}

/// Builds the WHERE clause and its parameters for a list query.
fn where_clause(query: &ListQuery) -> (String, Vec<Value>) {
    filter_clause(query, true)
}

/// The WHERE clause of a list query's filters, with its search term or without it.
fn filter_clause(query: &ListQuery, with_search: bool) -> (String, Vec<Value>) {
    let mut clauses: Vec<String> = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    let mut param = |v: Value| {
        values.push(v);
        format!("?{}", values.len())
    };
    if let Some(list) = query.list {
        clauses.push(format!(
            "o.list = {}",
            param(Value::Text(list.code().into()))
        ));
    }
    if !query.statuses.is_empty() {
        let marks: Vec<String> = query
            .statuses
            .iter()
            .map(|s| param(Value::Text(s.code().into())))
            .collect();
        clauses.push(format!("o.status IN ({})", marks.join(", ")));
    }
    match query.deadline {
        Some(DeadlineFilter::Near) => {
            let now = param(Value::Integer(ms(query.now)));
            let until = param(Value::Integer(ms(query.now + RULES.deadline_warning)));
            clauses.push(format!(
                "o.deadline_kind = 'capture' AND o.deadline_at > {now} AND o.deadline_at <= {until}"
            ));
        }
        Some(DeadlineFilter::Lapsed) => {
            let now = param(Value::Integer(ms(query.now)));
            clauses.push(format!(
                "o.deadline_kind = 'capture' AND o.deadline_at <= {now}"
            ));
        }
        None => {}
    }
    if let Some(method) = query.method {
        clauses.push(format!(
            "o.method = {}",
            param(Value::Text(method.code().into()))
        ));
    }
    if let Some(from) = query.ordered_from {
        clauses.push(format!(
            "o.ordered_at >= {}",
            param(Value::Integer(ms(from)))
        ));
    }
    if let Some(until) = query.ordered_until {
        clauses.push(format!(
            "o.ordered_at < {}",
            param(Value::Integer(ms(until)))
        ));
    }
    match query.deposit {
        Some(true) => clauses.push("o.id IN (SELECT order_id FROM order_deposits)".into()),
        Some(false) => clauses.push(
            "o.captured_amount > o.refunded_amount AND o.id NOT IN (SELECT order_id FROM order_deposits)"
                .into(),
        ),
        None => {}
    }
    if with_search {
        clauses.extend(search_clause(query.search.as_deref(), &mut param));
    }
    let sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    (sql, values)
}

/// A query paged in deadline order by [`deadline_page`].
pub(crate) struct DeadlineQuery<'a> {
    /// The selected columns.
    pub columns: &'a str,
    /// `FROM orders o …` for counting (no joins).
    pub count_from: &'a str,
    /// `FROM orders o …` with any joins and index hints.
    pub from: &'a str,
    /// The same along the deadline index and along the date index, for a part with many
    /// matches (see [`DENSE_MATCHES`]): the first for the parts with a deadline, the
    /// second for the rows without one (newest first); `None`: always `from`.
    pub dense_from: Option<(&'a str, &'a str)>,
    /// The WHERE clause (or nothing).
    pub filter: &'a str,
    /// Its parameters.
    pub values: &'a [Value],
    /// What orders rows with the same deadline (after it in the deadline index).
    pub ties: &'a [&'a str],
    /// Which deadlines are still ahead.
    pub now: DateTime<Utc>,
    /// Rows to skip.
    pub offset: u64,
    /// Rows to return.
    pub limit: u64,
}

/// One page in deadline order, and the number of matching rows. Most urgent first: the
/// deadlines still ahead, soonest first; then those that passed (nothing can be done
/// about them any more), most recently passed first; then rows with no deadline, newest
/// first. The three parts are three range reads along a deadline index (one counting query
/// says where each starts), so no page sorts the whole list.
pub(crate) fn deadline_page<T>(
    conn: &Connection,
    q: &DeadlineQuery<'_>,
    row: impl Fn(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<(Vec<T>, u64)> {
    let mut values = q.values.to_vec();
    values.push(Value::Integer(ms(q.now)));
    let now = format!("?{}", values.len());
    let and = if q.filter.is_empty() { "WHERE" } else { "AND" };
    let filter = q.filter;
    let from = q.from;
    let count_from = q.count_from;
    let (total, ahead, passed): (i64, f64, f64) = conn.query_row(
        &format!(
            "SELECT count(*), total(o.deadline_at > {now}), total(o.deadline_at <= {now}) {count_from} {filter}"
        ),
        params_from_iter(values.iter()),
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let (ahead, passed) = (ahead as u64, passed as u64);
    let by_deadline = |direction: &str| {
        std::iter::once("o.deadline_at")
            .chain(q.ties.iter().copied())
            .map(|column| format!("{column} {direction}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let parts = [
        (format!("o.deadline_at > {now}"), by_deadline("ASC"), ahead),
        (
            format!("o.deadline_at <= {now}"),
            by_deadline("DESC"),
            passed,
        ),
        (
            "o.deadline_at IS NULL".to_owned(),
            "o.ordered_at DESC, o.id DESC".to_owned(),
            (total as u64).saturating_sub(ahead + passed),
        ),
    ];
    // The last part has no use for `now`, and SQLite counts the parameters a statement uses.
    let without_now = &values[..values.len() - 1];
    let mut skip = q.offset;
    let mut want = q.limit;
    let mut items = Vec::new();
    for (part, (condition, order_by, count)) in parts.into_iter().enumerate() {
        if want == 0 {
            break;
        }
        if skip >= count {
            skip -= count;
            continue;
        }
        let from = match q.dense_from {
            Some((by_deadline, by_date)) if count > DENSE_MATCHES => {
                if part < 2 {
                    by_deadline
                } else {
                    by_date
                }
            }
            _ => from,
        };
        let sql = format!(
            "SELECT {} {from} {filter} {and} {condition} ORDER BY {order_by} LIMIT {want} OFFSET {skip}",
            q.columns
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let values = if part == 2 { without_now } else { &values[..] };
        let rows = stmt
            .query_map(params_from_iter(values.iter()), &row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        want = want.saturating_sub(rows.len() as u64);
        skip = 0;
        items.extend(rows);
    }
    Ok((items, total as u64))
}

impl Store {
    /// Stores a new order (and its transaction ID). History lines are the caller's.
    pub fn insert_order(&mut self, order: &Order, now: DateTime<Utc>) -> Result<OrderId> {
        let tx = self.conn.transaction()?;
        let id = insert_order(&tx, order, now)?;
        tx.commit()?;
        Ok(id)
    }

    /// Stores many new orders in one transaction (imports, benchmarks).
    pub fn insert_orders(&mut self, orders: &[Order], now: DateTime<Utc>) -> Result<Vec<OrderId>> {
        let tx = self.conn.transaction()?;
        let ids = orders
            .iter()
            .map(|o| insert_order(&tx, o, now))
            .collect::<Result<Vec<_>>>()?;
        tx.commit()?;
        Ok(ids)
    }

    /// An order by key.
    pub fn get_order(&self, id: OrderId) -> Result<Option<Order>> {
        get_order(&self.conn, id)
    }

    /// The order that has or had this transaction ID.
    pub fn order_by_payment_id(&self, payment_id: &str) -> Result<Option<(OrderId, Order)>> {
        let Some(id) = order_id_by_payment_id(&self.conn, payment_id)? else {
            return Ok(None);
        };
        Ok(get_order(&self.conn, id)?.map(|o| (id, o)))
    }

    /// Records what the gateway reported about the 3-D Secure of a card payment, on the
    /// order whose current transaction it is (a report about an older transaction changes
    /// nothing). An authenticated outcome also marks the order 3-D Secure, so the rules
    /// refuse what Paygent refuses for such payments (2014), whichever way the order was
    /// made. Returns the order when something changed.
    pub fn record_three_d_secure(
        &mut self,
        payment_id: &str,
        outcome: domain::ThreeDSecureOutcome,
    ) -> Result<Option<OrderId>> {
        let id: Option<i64> = self
            .conn
            .query_row(
                "UPDATE orders SET three_d_secure_outcome = ?2,
                     three_d_secure = CASE WHEN ?3 THEN 1 ELSE three_d_secure END
                 WHERE payment_id = ?1 AND method = 'card'
                   AND (three_d_secure_outcome IS NOT ?2 OR (?3 AND three_d_secure = 0))
                 RETURNING id",
                params![payment_id, outcome.code(), outcome.authenticated()],
                |r| r.get(0),
            )
            .optional()?;
        Ok(id.map(OrderId))
    }

    /// The 3-D Secure outcome last reported for the order; `None` until reported.
    pub fn three_d_secure_outcome(
        &self,
        id: OrderId,
    ) -> Result<Option<domain::ThreeDSecureOutcome>> {
        let code: Option<String> = self
            .conn
            .query_row(
                "SELECT three_d_secure_outcome FROM orders WHERE id = ?1",
                [id.0],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        Ok(code
            .map(|c| decode(0, &c, domain::ThreeDSecureOutcome::from_code))
            .transpose()?)
    }

    /// Every transaction ID the order has had, oldest first.
    pub fn payment_id_chain(&self, id: OrderId) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT payment_id FROM payment_ids WHERE order_id = ?1 ORDER BY rowid")?;
        let rows = stmt.query_map([id.0], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One page of orders in the query's order (newest first by default; with a deadline
    /// filter, most urgent first). Every order is along an index (`orders_list_*`), so a
    /// page costs the same at 100,000 orders as at 100.
    pub fn list_orders(&self, query: &ListQuery) -> Result<Page<OrderRow>> {
        let page_size = query.page_size.max(1);
        let offset = u64::from(query.page) * u64::from(page_size);
        // A search in the list's own order (newest first; by urgency with a deadline
        // filter) gathers its matches first (below); other orders, and lists without a
        // search, are paged in SQL along the order's index.
        let natural = match query.sort {
            None => true,
            Some(OrderSort::Newest) => query.deadline.is_none(),
            Some(_) => false,
        };
        if !natural {
            return self.sorted_page(query, offset, page_size);
        }
        // The deadline filters' orders are `deadline_page`'s parts (ties by id the same
        // way), so a search lists its matches as the list without it does.
        let order_by = match query.deadline {
            Some(DeadlineFilter::Near) => "o.deadline_at ASC, o.id ASC",
            Some(DeadlineFilter::Lapsed) => "o.deadline_at DESC, o.id DESC",
            None => "o.ordered_at DESC, o.id DESC",
        };
        // A search's matches are gathered first, from index ranges and the trigram index
        // without reading an order. Many of them (a common family name) are paged by walking
        // the list's index and keeping the matches; SQLite would otherwise build the set
        // twice (count and page) and read every match's row to count and sort it.
        let Some(matches) = self.search_matches(query.search.as_deref())? else {
            return self.sorted_page(query, offset, page_size);
        };
        // The walk ends at the page's last match, the matches spread over the list; with
        // other filters it goes to the end to count them.
        let orders: i64 =
            self.conn
                .query_row("SELECT COALESCE(MAX(id), 0) FROM orders", [], |r| r.get(0))?;
        let orders = u64::try_from(orders).unwrap_or(0);
        let matched = matches.len() as u64;
        let steps = if has_filters(query) || matched == 0 {
            orders
        } else {
            (orders.saturating_mul(offset + u64::from(page_size)) / matched).min(orders)
        };
        if matched > 0 && steps <= matched.saturating_mul(ROW_READ_IN_INDEX_STEPS) {
            return self.page_of_many_matches(query, &matches, order_by, offset, page_size);
        }
        // Few matches for the list's size: their rows are looked up by key, filtered and
        // sorted.
        let (filter, mut values) = filter_clause(query, false);
        let first = values.len();
        values.extend(matches.iter().map(|&id| Value::Integer(id)));
        let marks: Vec<String> = (first + 1..=values.len())
            .map(|i| format!("?{i}"))
            .collect();
        let matching = format!("o.id IN ({})", marks.join(", "));
        let filter = if filter.is_empty() {
            format!("WHERE {matching}")
        } else {
            format!("{filter} AND {matching}")
        };
        let total = if has_filters(query) {
            let n: i64 = self.conn.query_row(
                &format!("SELECT COUNT(*) FROM orders o {filter}"),
                params_from_iter(values.iter()),
                |r| r.get(0),
            )?;
            n as u64
        } else {
            // Only a search: each match is one order.
            matches.len() as u64
        };
        self.page(query, &filter, &values, order_by, total)
    }

    /// A page in the query's order, without gathering a search's matches first (a
    /// search is a term of the WHERE clause): the deadline order in its three parts
    /// ([`deadline_page`]); other orders along their index when the matches are many.
    fn sorted_page(
        &self,
        query: &ListQuery,
        offset: u64,
        page_size: u32,
    ) -> Result<Page<OrderRow>> {
        let (filter, values) = where_clause(query);
        let sort = query.effective_sort();
        if sort == OrderSort::Deadline {
            let (items, total) = deadline_page(
                &self.conn,
                &DeadlineQuery {
                    columns: ORDER_COLUMNS,
                    count_from: "FROM orders o",
                    from: "FROM orders o",
                    dense_from: Some(if query.list.is_some() {
                        (
                            "FROM orders o INDEXED BY orders_list_deadline",
                            "FROM orders o INDEXED BY orders_list_page",
                        )
                    } else {
                        (
                            "FROM orders o INDEXED BY orders_deadline_at",
                            "FROM orders o INDEXED BY orders_ordered",
                        )
                    }),
                    ties: &["o.id"],
                    filter: &filter,
                    values: &values,
                    now: query.now,
                    offset,
                    limit: u64::from(page_size),
                },
                order_row,
            )?;
            return Ok(Page {
                items,
                total,
                page: query.page,
                page_size,
            });
        }
        let total: i64 = self.conn.query_row(
            &format!("SELECT COUNT(*) FROM orders o {filter}"),
            params_from_iter(values.iter()),
            |r| r.get(0),
        )?;
        // Many matches walk the index of the page's order and stop at the page's end
        // instead of sorting every match (searches for a common family name, a month of
        // orders by amount); few matches are looked up by the filters and sorted. Without
        // a search SQLite already walks the order's index where the filters allow.
        let dense = total as u64 > DENSE_MATCHES;
        let by_date = if query.list.is_some() {
            "INDEXED BY orders_list_page"
        } else {
            "INDEXED BY orders_ordered"
        };
        let by_amount = if query.list.is_some() {
            "INDEXED BY orders_list_amount"
        } else {
            "INDEXED BY orders_amount"
        };
        let dense_search = dense && query.search.is_some();
        let (index, order_by) = match sort {
            OrderSort::Newest if dense_search => (by_date, "o.ordered_at DESC, o.id DESC"),
            OrderSort::Newest => ("", "o.ordered_at DESC, o.id DESC"),
            OrderSort::Oldest if dense_search => (by_date, "o.ordered_at ASC, o.id ASC"),
            OrderSort::Oldest => ("", "o.ordered_at ASC, o.id ASC"),
            OrderSort::AmountHigh if dense => (by_amount, "o.amount DESC, o.id DESC"),
            OrderSort::AmountHigh => ("", "o.amount DESC, o.id DESC"),
            OrderSort::AmountLow if dense => (by_amount, "o.amount ASC, o.id ASC"),
            OrderSort::AmountLow => ("", "o.amount ASC, o.id ASC"),
            OrderSort::Deadline => unreachable!("paged by deadline_page above"),
        };
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM orders o {index} {filter} ORDER BY {order_by} LIMIT {page_size} OFFSET {offset}"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let items = stmt
            .query_map(params_from_iter(values.iter()), order_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Page {
            items,
            total: total as u64,
            page: query.page,
            page_size,
        })
    }

    /// The page of `query` among the orders `filter` selects, `total` of them.
    fn page(
        &self,
        query: &ListQuery,
        filter: &str,
        values: &[Value],
        order_by: &str,
        total: u64,
    ) -> Result<Page<OrderRow>> {
        let page_size = query.page_size.max(1);
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM orders o {filter} ORDER BY {order_by} LIMIT {page_size} OFFSET {}",
            u64::from(query.page) * u64::from(page_size)
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let items = stmt
            .query_map(params_from_iter(values.iter()), order_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Page {
            items,
            total,
            page: query.page,
            page_size,
        })
    }

    /// The ids of the orders a search finds (`None` without a search).
    fn search_matches(&self, search: Option<&str>) -> Result<Option<HashSet<i64>>> {
        let mut values = Vec::new();
        let Some(hits) = search_hits(search, |v| {
            values.push(v);
            format!("?{}", values.len())
        }) else {
            return Ok(None);
        };
        let mut stmt = self.conn.prepare_cached(&hits)?;
        let ids = stmt
            .query_map(params_from_iter(values.iter()), |r| r.get::<_, i64>(0))?
            .collect::<rusqlite::Result<HashSet<i64>>>()?;
        Ok(Some(ids))
    }

    /// A page of a search with many matches: the list's other filters walked in page order
    /// along their index (ids only), keeping the matches; then only the page's rows read.
    fn page_of_many_matches(
        &self,
        query: &ListQuery,
        matches: &HashSet<i64>,
        order_by: &str,
        offset: u64,
        page_size: u32,
    ) -> Result<Page<OrderRow>> {
        let (filter, values) = filter_clause(query, false);
        let index = match (query.deadline, query.list) {
            (Some(_), _) => "",
            (None, Some(_)) => "INDEXED BY orders_list_page",
            (None, None) => "INDEXED BY orders_ordered",
        };
        let mut walk = self.conn.prepare_cached(&format!(
            "SELECT o.id FROM orders o {index} {filter} ORDER BY {order_by}"
        ))?;
        let mut rows = walk.query(params_from_iter(values.iter()))?;
        let mut ids = Vec::with_capacity(page_size as usize);
        let mut found: u64 = 0;
        let mut total = None;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            if !matches.contains(&id) {
                continue;
            }
            if found >= offset && ids.len() < page_size as usize {
                ids.push(id);
            }
            found += 1;
            // Only a search: every match is on the walk, so the count is known.
            if !has_filters(query) && ids.len() == page_size as usize {
                total = Some(matches.len() as u64);
                break;
            }
        }
        drop(rows);
        let marks = vec!["?"; ids.len()].join(", ");
        let mut read = self.conn.prepare(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders o WHERE o.id IN ({marks})"
        ))?;
        let mut by_id = read
            .query_map(params_from_iter(ids.iter()), order_row)?
            .map(|row| row.map(|row| (row.id.0, row)))
            .collect::<rusqlite::Result<HashMap<i64, OrderRow>>>()?;
        Ok(Page {
            items: ids.iter().filter_map(|id| by_id.remove(id)).collect(),
            total: total.unwrap_or(found),
            page: query.page,
            page_size,
        })
    }

    /// How many orders' capture deadlines fall within the warning period (home screen).
    pub fn count_near_deadline(&self, now: DateTime<Utc>) -> Result<u64> {
        let query = ListQuery {
            list: None,
            statuses: Vec::new(),
            deadline: Some(DeadlineFilter::Near),
            page_size: 1,
            ..ListQuery::list(OrderList::Open, now)
        };
        let (filter, values) = where_clause(&query);
        let n: i64 = self.conn.query_row(
            &format!("SELECT COUNT(*) FROM orders o {filter}"),
            params_from_iter(values.iter()),
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    /// How many orders show an outside-change banner (home screen).
    pub fn count_outside_changes(&self) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM orders INDEXED BY orders_outside_change WHERE outside_change = 1",
            [],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    /// Moves an order to another list (its payment is unchanged) and says so in its history.
    pub fn move_to_list(&mut self, id: OrderId, list: OrderList, now: DateTime<Utc>) -> Result<()> {
        let tx = self.conn.transaction()?;
        let changed = tx.execute(
            "UPDATE orders SET list = ?2, updated_at = ?3 WHERE id = ?1 AND list <> ?2",
            params![id.0, list.code(), ms(now)],
        )?;
        if changed == 0 {
            let exists: Option<i64> = tx
                .query_row("SELECT id FROM orders WHERE id = ?1", [id.0], |r| r.get(0))
                .optional()?;
            if exists.is_none() {
                return Err(Error::OrderNotFound(id.0));
            }
        } else {
            crate::history::append(
                &tx,
                id,
                now,
                domain::Actor::PayDesk,
                &domain::history::moved_to_list(list),
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Clears the outside-change banner once the shop owner has seen it (the history keeps
    /// the lines).
    pub fn acknowledge_outside_change(&mut self, id: OrderId, now: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE orders SET outside_change = 0, updated_at = ?2 WHERE id = ?1",
            params![id.0, ms(now)],
        )?;
        Ok(())
    }
}
