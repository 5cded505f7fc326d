//! PayDesk's one SQLite database on the desktop: the only crate there that runs SQL.
//!
//! Layout: this file opens the database (WAL, foreign keys) and runs the embedded
//! migrations in `migrations/` by `PRAGMA user_version`; [`orders`] stores orders, their
//! transaction-ID chains and list pages/search/filters; [`history`] is the append-only
//! change history (the database refuses UPDATE and DELETE); [`journal`] is the operation
//! journal (written before sending, settled after); [`sync`] applies gateway reports
//! exactly once and keeps the sync cursors; [`details`] holds buyer and item details;
//! [`documents`] the shop's details for its documents, each issued document and the
//! deposit check;
//! [`imports`] plans, applies, records and undoes storefront CSV imports field by field;
//! [`order_mails`] queues the shipping notice and order confirmation (never twice);
//! [`templates`] keeps the shop's edited e-mail texts, one table for every kind;
//! [`ledger`] keeps every capture and refund with its time and amount (sales per day and
//! month come from it); settings are plain key/value rows.
//!
//! Invariants: no column holds a secret; every multi-row change runs in one transaction;
//! business decisions come from the `domain` crate (the store never decides what a status
//! means); times are Unix milliseconds (UTC), money integer yen.

pub mod bulk;
pub mod details;
pub mod documents;
pub mod history;
pub mod imports;
pub mod journal;
pub mod ledger;
pub mod order_mails;
pub mod orders;
pub mod shipments;
pub mod statements;
pub mod subscriptions;
pub mod sync;
pub mod templates;

use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};

pub use bulk::{
    ItemStatus, LastFailure, OpenItem, RunDetail, RunEnd, RunItemRow, RunStatus, RunSummary,
    UnfinishedRun, UnprocessedQuery, UnprocessedRow,
};
pub use details::{DetailsSource, Item, OrderDetails};
pub use documents::{DocumentIssue, ShopProfile};
pub use history::HistoryLine;
pub use imports::{FieldChange, FieldValue, ImportPlan, ImportRecord, KeptField, UndoOutcome};
pub use journal::JournalOutcome;
pub use ledger::{
    DepositCorrection, DepositNotCorrected, MovementPage, MovementRow, MovementSource,
    ReceivedDeposit,
};
pub use order_mails::OrderMailQueued;
pub use orders::{DeadlineFilter, ListQuery, OrderRow, OrderSort, Page};
pub use shipments::{Shipment, TrackingRecorded, TrackingSource};
pub use statements::{CapturedOrder, DepositMark, StatementOutcome, StatementPlan, StatementRow};
pub use subscriptions::{
    BeginRenewal, CardListQuery, CardListRow, CardRefresh, CycleRow, CycleState,
    INTERRUPTED_PREFIX, ImportPolicy, ImportReport, MailId, MailPurpose, MailState, NewMail,
    QueueOutcome, QueuedMail, ShownBlock, StoredCard,
};
pub use sync::{Applied, SyncState};
pub use templates::StoredTemplate;

/// The migrations, in order; migration `i` brings the database to `user_version = i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_initial.sql"),
    include_str!("../migrations/0002_bulk_runs.sql"),
    include_str!("../migrations/0003_subscriptions.sql"),
    include_str!("../migrations/0004_sync_indexes.sql"),
    include_str!("../migrations/0005_search_keys.sql"),
    include_str!("../migrations/0006_details_imports.sql"),
    include_str!("../migrations/0007_choices_and_ends.sql"),
    include_str!("../migrations/0008_shop_owner_details.sql"),
    include_str!("../migrations/0009_list_sorts.sql"),
    include_str!("../migrations/0010_documents_and_deposits.sql"),
    include_str!("../migrations/0011_shipments.sql"),
    LEDGER_MIGRATION,
    include_str!("../migrations/0013_three_d_secure.sql"),
    include_str!("../migrations/0014_order_mails.sql"),
    include_str!("../migrations/0015_bank_statements.sql"),
    include_str!("../migrations/0016_mail_templates.sql"),
    include_str!("../migrations/0017_deposit_corrections.sql"),
    include_str!("../migrations/0018_document_numbers_and_item_rates.sql"),
];

/// Migration 0012 creates the money ledger; right after it, in its transaction, the ledger
/// is filled for the orders that exist (`ledger::backfill`).
const LEDGER_MIGRATION: &str = include_str!("../migrations/0012_money_ledger.sql");

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The file was written by a newer PayDesk.
    #[error(
        "the database has schema version {found}, newer than this PayDesk ({known}); update PayDesk"
    )]
    TooNew {
        /// The file's version.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// No order with this id.
    #[error("order {0} not found")]
    OrderNotFound(i64),
    /// No journal entry with this key, or it is already settled.
    #[error("no open journal entry {0}")]
    JournalEntryNotFound(String),
    /// The order already has an unsettled operation.
    #[error("order {0} already has an unsettled operation")]
    OperationUnsettled(i64),
    /// Another order already has this transaction ID.
    #[error("transaction ID {0} already belongs to another order")]
    DuplicatePaymentId(String),
    /// A storefront import's plan is not the one previewed (the file or an order changed).
    #[error("the import's changes differ from its preview")]
    ImportPlanChanged,
    /// A statement import's plan is not the one previewed (the file or the recorded
    /// deposits changed).
    #[error("the statement import differs from its preview")]
    StatementPlanChanged,
    /// No applied import with this number.
    #[error("import {0} not found")]
    ImportNotFound(i64),
    /// The import was undone already.
    #[error("import {0} was already undone")]
    ImportAlreadyUndone(i64),
    /// A document number was issued meanwhile (another window or the command line issued
    /// the same document at the same moment).
    #[error("document number {0} was already issued")]
    DocumentNumberTaken(String),
    /// A stored value this build cannot read.
    #[error("unreadable value in {column}: {value:?}")]
    Corrupt {
        /// The column.
        column: &'static str,
        /// The value.
        value: String,
    },
}

/// `search_key(text)` in SQL: the triggers of the search columns call it, so every write
/// of an order keeps its search keys (see `migrations/0005_search_keys.sql`).
fn register_search_key(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "search_key",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let text: Option<String> = ctx.get(0)?;
            Ok(text.map(|t| domain::search::search_key(&t)))
        },
    )
}

/// The store's result.
pub type Result<T> = std::result::Result<T, Error>;

/// The database.
pub struct Store {
    conn: Connection,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the database file and migrates it.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Store::init(conn)
    }

    /// An in-memory database, for unit tests only.
    pub fn open_in_memory() -> Result<Store> {
        Store::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Store> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        register_search_key(&conn)?;
        let mut store = Store { conn };
        store.migrate()?;
        Ok(store)
    }

    /// The schema version (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// The newest schema version this build knows.
    pub fn latest_schema_version() -> i64 {
        MIGRATIONS.len() as i64
    }

    /// Frees what SQLite caches for this connection (its page cache, up to `cache_size`,
    /// 2 MiB by default): the app calls it when the window is gone and the tray needs
    /// none of the pages the screens read (issue 22). The next query reads them again.
    pub fn shrink_memory(&self) -> Result<()> {
        self.conn.execute_batch("PRAGMA shrink_memory")?;
        Ok(())
    }

    /// The SQLite journal mode (`wal` for files).
    pub fn journal_mode(&self) -> Result<String> {
        Ok(self
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))?)
    }

    fn migrate(&mut self) -> Result<()> {
        let found = self.schema_version()?;
        let known = Store::latest_schema_version();
        if found > known {
            return Err(Error::TooNew { found, known });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            if *sql == LEDGER_MIGRATION {
                ledger::backfill(&tx)?;
            }
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// A non-secret setting.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Stores a non-secret setting.
    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }
}

/// A time as stored: Unix milliseconds.
pub(crate) fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// A stored time.
pub(crate) fn from_ms(value: i64) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(value).ok_or(rusqlite::Error::IntegralValueOutOfRange(0, value))
}

/// A stored optional time.
pub(crate) fn from_ms_opt(value: Option<i64>) -> rusqlite::Result<Option<DateTime<Utc>>> {
    value.map(from_ms).transpose()
}

/// A stored code that must parse, as a rusqlite conversion error otherwise.
pub(crate) fn decode<T>(
    column: usize,
    value: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> rusqlite::Result<T> {
    parse(value).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            column,
            rusqlite::types::Type::Text,
            format!("unknown code {value:?}").into(),
        )
    })
}
