//! The facade: [`Desk`]'s methods, the names the Tauri commands, the command line, the demo
//! and the tests call. Each is one line that hands its [`Context`] to a feature module's
//! function, grouped by feature below; only this file (and `context`, which defines the
//! handle) mentions `Desk` (`cargo xtask tidy` checks it).

use std::sync::{Arc, Mutex};

use domain::labels::{LabelFile, Sender};
use secrets::Keychain;

use crate::context::{BulkShared, ClientCache, Context, Inner, SubscriptionsShared};
use crate::dto::bulk::{
    BulkConfirmation, BulkOperationLog, BulkRunDetail, BulkSelectAll, UnprocessedPage,
    UnprocessedQuery,
};
use crate::dto::documents::{
    DepositCheckInput, DocumentsReport, IssueDocumentsRequest, ShopDetails, ShopDetailsInput,
    ShopImageCode,
};
use crate::dto::guide::{
    GuideGatewayResult, GuideMailResult, GuideNotificationsInput, GuideNotificationsResult,
    SetupGuide,
};
use crate::dto::money::{
    AccountingFormatCode, AccountingSettings, ExpectedDepositsQuery, ExpectedDepositsReport,
    JournalExportReport, MovementList, MovementsQuery, SalesQuery, SalesReport, SettlementContract,
    SettlementContractInput,
};
use crate::dto::order_mail::{
    OrderMailKindCode, OrderMailPreviews, OrderMailReport, OrderMailRequest, OrderMailTemplateDto,
    OrderMailTemplateInput,
};
use crate::dto::shipping::{
    CarrierCode, LabelExportReport, LabelExportRequest, LabelSettingsDto, TrackingDto,
    TrackingImportReport, TrackingInput,
};
use crate::dto::statement::{
    DepositCheckAgreement, OrderDepositPeriod, StatementImport, StatementMappingDto,
};
use crate::dto::subscriptions::{
    CardDashboardDto, EmailTemplateDto, EmailTemplateInput, FailedRenewalChoiceCode,
    FailedRenewalChoiceInput, FailedRenewalDto, MailPreview, MailReadinessDto, MailRunReport,
    QueuedMailDto, ReminderKindCode, RenewalRunReport, SendRemindersReport, SendRemindersRequest,
    SmtpSettingsDto, SmtpSettingsInput, SmtpTestResult, SubscriptionDetail,
    SubscriptionImportReport, SubscriptionInput, SubscriptionPage, SubscriptionQuery,
    SubscriptionSummary,
};
use crate::dto::{
    AppInfo, ConnectionTestInput, ConnectionTestResult, CredentialsInput, DemoStatus, ExportReport,
    HomeSummary, ImportPreview, ImportRecord as ImportRecordDto, ImportReport, KeychainStatus,
    Language, OperationRequest, OperationResult, OrderDetail, OrderListCode, OrderPage, OrderQuery,
    Settings, SettingsInput, SyncReport, SyncStatus, UndoImportReport,
};
use crate::{
    AppError, Desk, DeskConfig, ErrorCode, accounting, bulk, demo_servers, deposits, details,
    documents, dto, guide, mailing, money, operations, order_mails, orders, settings, shipping,
    statements, subscriptions, sync, sync_state,
};

impl Desk {
    /// Opens the database in `data_dir` (creating it), settles every operation a crash
    /// left open (by 094 inquiry, when credentials are set), and in demo mode starts the
    /// embedded simulator and relay. Spawn [`Desk::run_sync`] afterwards to begin
    /// background sync.
    pub async fn open(config: DeskConfig) -> Result<Desk, AppError> {
        // The demo gets its own folder and keychain namespace here, in the one place every
        // host goes through, so no host can run it over a shop's data or secrets. A build
        // without it refuses before creating or opening anything.
        if config.demo && config.demo_servers.is_none() {
            return Err(demo_servers::unavailable());
        }
        let data_dir = config.data_dir_in_use();
        let namespace = config.keychain_namespace();
        std::fs::create_dir_all(&data_dir).map_err(|e| {
            AppError::internal(
                ErrorCode::DataDirUnusable,
                &format!("the data folder cannot be created: {e}"),
            )
        })?;
        let started = std::time::Instant::now();
        let store = store::Store::open(data_dir.join("paydesk.sqlite3"))?;
        let database_ms = started.elapsed().as_millis();
        let demo = match (&config.demo_servers, config.demo) {
            (Some(servers), true) => Some(servers.start(&data_dir.join("demo")).await?),
            _ => None,
        };
        let clock = match &demo {
            // The demo follows the simulator's clock, so moving simulated time moves ours.
            Some(running) => running.clock(),
            None => config.clock,
        };
        let keychain = Keychain::new(namespace);
        let inner = Inner {
            identifier: config.identifier,
            version: config.version,
            build: config.build,
            data_dir,
            keychain,
            store: Mutex::new(store),
            clock,
            events: config.events,
            sync: sync_state::SyncShared::default(),
            clients: ClientCache::default(),
            operations: tokio::sync::Mutex::new(()),
            bulk: BulkShared::default(),
            subscriptions: SubscriptionsShared::default(),
            retry_wait_divisor: config.retry_wait_divisor.max(1),
            relay_stall_divisor: config.relay_stall_divisor.max(1),
            in_flight_window: config.in_flight_window,
            notice: config.notice,
            demo,
            demo_available: config.demo_servers.is_some(),
        };
        let desk = Desk {
            cx: Context {
                inner: Arc::new(inner),
            },
        };
        if let Some(running) = &desk.cx.inner.demo {
            // Before recovery: a resumed demo's servers listen on new ports.
            running.prepare(&desk).await?;
        }
        let demo_ms = started.elapsed().as_millis() - database_ms;
        let settling = std::time::Instant::now();
        // Bulk runs first: their journal entries close with the run's one line each.
        bulk::recover_bulk_runs(&desk.cx).await;
        operations::settle_open_operations(&desk.cx).await;
        // Where a cold start spends its time (issue 22).
        tracing::info!(
            database_ms,
            demo_ms,
            settlement_ms = settling.elapsed().as_millis(),
            "desk opened"
        );
        Ok(desk)
    }

    // --- Settings: app info, settings, secrets, the connection tests (`settings`) ------------

    pub fn app_info(&self) -> AppInfo {
        settings::app_info(&self.cx)
    }

    /// Frees the database's page cache while no window is open (issue 22).
    pub fn shrink_memory(&self) {
        self.cx.shrink_memory()
    }

    /// Whether the OS keychain can hold merchant secrets; the home screen warns if not.
    pub fn keychain_status(&self) -> KeychainStatus {
        settings::keychain_status(&self.cx)
    }

    /// Validates a language choice coming from the UI or the CLI.
    pub fn parse_language(code: &str) -> Result<Language, AppError> {
        settings::parse_language(code)
    }

    /// Non-secret settings and which secrets are set (never their values).
    pub async fn get_settings(&self) -> Result<Settings, AppError> {
        settings::get_settings(&self.cx)
    }

    pub async fn save_settings(&self, input: SettingsInput) -> Result<Settings, AppError> {
        settings::save_settings(&self.cx, input)
    }

    /// Stores secrets in the OS keychain (and nowhere else).
    pub async fn save_credentials(&self, input: CredentialsInput) -> Result<Settings, AppError> {
        settings::save_credentials(&self.cx, input)
    }

    /// Sends a real telegram (094 for a payment that cannot exist) and explains the result.
    pub async fn test_connection(&self) -> Result<ConnectionTestResult, AppError> {
        settings::test_connection(&self.cx, None).await
    }

    /// The settings screen's test: the values on screen (unsaved) over the saved ones.
    /// Secrets typed there are used for this test only: never stored, logged or returned.
    pub async fn test_connection_with(
        &self,
        form: dto::ConnectionTestInput,
    ) -> Result<ConnectionTestResult, AppError> {
        settings::test_connection(&self.cx, Some(&form)).await
    }

    // --- Orders: lists, the order detail, moves and edits (`orders`) -------------------------

    /// One page of an order list (paged, filtered and searched in SQL).
    pub async fn list_orders(&self, query: OrderQuery) -> Result<OrderPage, AppError> {
        orders::list_orders(&self.cx, &query)
    }

    /// The order detail screen: summary, operations with reasons, history, details.
    pub async fn get_order(&self, order_id: i64) -> Result<OrderDetail, AppError> {
        orders::get_order(&self.cx, order_id)
    }

    /// The orders with this order number (the shop's own number; several orders may share
    /// one): the command line names orders by it.
    pub fn orders_with_number(&self, order_number: &str) -> Result<Vec<i64>, AppError> {
        orders::orders_with_number(&self.cx, order_number)
    }

    /// The order of a gateway payment ID, if PayDesk has it (the demo's sample data).
    pub fn order_with_payment_id(&self, payment_id: &str) -> Result<Option<i64>, AppError> {
        orders::order_with_payment_id(&self.cx, payment_id)
    }

    /// Moves an order to another list (its payment is unchanged).
    pub async fn move_order(
        &self,
        order_id: i64,
        list: OrderListCode,
    ) -> Result<OrderDetail, AppError> {
        orders::move_order(&self.cx, order_id, list).await
    }

    /// The shop owner's edit of the buyer's details: checked (every bad field named in
    /// plain words, nothing saved then), saved, and recorded in the order's history.
    pub async fn edit_buyer_details(
        &self,
        order_id: i64,
        input: dto::BuyerDetailsInput,
    ) -> Result<OrderDetail, AppError> {
        orders::edit_buyer_details(&self.cx, order_id, input).await
    }

    /// Hides the outside-change banner (the history keeps the lines).
    pub async fn acknowledge_outside_change(&self, order_id: i64) -> Result<OrderDetail, AppError> {
        orders::acknowledge_outside_change(&self.cx, order_id).await
    }

    // --- Documents: the shop's details and documents as PDF, the deposit check (`documents`) ---

    /// The shop's details for its documents.
    pub async fn shop_details(&self) -> Result<ShopDetails, AppError> {
        documents::shop_details(&self.cx).await
    }

    /// Saves the shop's details; a registration number that does not check out is refused
    /// and nothing is saved.
    pub async fn save_shop_details(
        &self,
        input: ShopDetailsInput,
    ) -> Result<ShopDetails, AppError> {
        documents::save_shop_details(&self.cx, input).await
    }

    /// Sets the logo or seal from a PNG file (read under `RULES.max_image_file_bytes`,
    /// checked by drawing it), or removes it with `None`.
    pub async fn set_shop_image(
        &self,
        which: ShopImageCode,
        path: Option<String>,
    ) -> Result<ShopDetails, AppError> {
        documents::set_shop_image(&self.cx, which, path).await
    }

    /// Issues documents of one kind for the orders into one PDF at `path`, built from each
    /// order as it stands now, and records each issue in the order's history.
    pub async fn issue_documents(
        &self,
        request: IssueDocumentsRequest,
    ) -> Result<DocumentsReport, AppError> {
        documents::issue_documents(&self.cx, request).await
    }

    /// Marks the order's deposit received (after the capture only), or changes the mark.
    pub async fn mark_deposit(
        &self,
        order_id: i64,
        input: DepositCheckInput,
    ) -> Result<OrderDetail, AppError> {
        documents::mark_deposit(&self.cx, order_id, input).await
    }

    /// Undoes the deposit mark (recorded in the history).
    pub async fn undo_deposit(&self, order_id: i64) -> Result<OrderDetail, AppError> {
        documents::undo_deposit(&self.cx, order_id).await
    }

    // --- Shipping: label files and tracking numbers (`shipping`) -----------------------------

    /// The shop as the sender (ご依頼主) of every label: the one seam between labels and
    /// the shop's details (see [`keys`]).
    pub fn label_sender(&self) -> Result<Sender, AppError> {
        shipping::label_sender(&self.cx)
    }

    /// Saves the sender's phone, postal code and address (the name is Settings' shop
    /// name) for labels, where Settings' shop details leave them empty. Used by the demo
    /// and tests.
    pub fn set_label_sender(&self, sender: &Sender) -> Result<(), AppError> {
        shipping::set_label_sender(&self.cx, sender)
    }

    /// What the label dialog shows before the shop owner exports.
    pub async fn label_settings(&self) -> Result<LabelSettingsDto, AppError> {
        shipping::label_settings(&self.cx).await
    }

    /// The label file for the selected orders (in selection order, each once), with the
    /// order IDs of the refused ones. `Err`: the sender or the Yamato contract is
    /// incomplete, or an order does not exist.
    pub fn label_file_for(
        &self,
        request: &LabelExportRequest,
    ) -> Result<(LabelFile, Vec<(i64, String)>), AppError> {
        shipping::label_file_for(&self.cx, request)
    }

    /// Writes the label file to `path` (nothing is written when no order could become a
    /// row) and reports every order left out with the field named.
    pub async fn export_labels(
        &self,
        path: String,
        request: LabelExportRequest,
    ) -> Result<LabelExportReport, AppError> {
        shipping::export_labels(&self.cx, path, request).await
    }

    /// An order's tracking numbers, oldest first, with their carrier's tracking page.
    pub async fn order_tracking(&self, order_id: i64) -> Result<Vec<TrackingDto>, AppError> {
        shipping::order_tracking(&self.cx, order_id).await
    }

    /// The carrier's tracking page for a number, built here from the number's digits only,
    /// so the shell opens nothing but one of the three carriers' pages.
    pub fn tracking_page(&self, carrier: CarrierCode, number: &str) -> Result<String, AppError> {
        shipping::tracking_page(carrier, number)
    }

    /// Keeps a tracking number typed on an order (a second one is a multi-piece shipment)
    /// and returns the order's tracking numbers.
    pub async fn add_tracking(&self, input: TrackingInput) -> Result<Vec<TrackingDto>, AppError> {
        shipping::add_tracking(&self.cx, input).await
    }

    /// Imports a carrier's issued-labels file: each line is matched to its order by order
    /// number and its tracking number kept; every line gets an outcome in the report.
    pub async fn import_tracking(
        &self,
        path: String,
        carrier: CarrierCode,
    ) -> Result<TrackingImportReport, AppError> {
        shipping::import_tracking(&self.cx, path, carrier).await
    }

    // --- Money: sales from the ledger, accounting settings (`money`) -------------------------

    /// Captured, refunded and net amounts and counts per Japan day or month and method,
    /// from the money ledger; every period of the range listed.
    pub async fn sales_report(&self, query: SalesQuery) -> Result<SalesReport, AppError> {
        money::sales_report(&self.cx, query).await
    }

    /// The captures and refunds behind one cell of the sales table (oldest first).
    pub async fn sales_movements(&self, query: MovementsQuery) -> Result<MovementList, AppError> {
        money::sales_movements(&self.cx, query).await
    }

    /// The account names and tax categories the accounting exports use.
    pub async fn accounting_settings(&self) -> Result<AccountingSettings, AppError> {
        money::accounting_settings(&self.cx).await
    }

    /// Saves the account names (trimmed; empty = not set) all at once.
    pub async fn save_accounting_settings(
        &self,
        input: AccountingSettings,
    ) -> Result<AccountingSettings, AppError> {
        money::save_accounting_settings(&self.cx, input).await
    }

    // --- Deposits: settlement contracts, expected and received deposits (`deposits`) ---------

    /// Both methods' settlement contracts, with what each still lacks.
    pub async fn settlement_contracts(&self) -> Result<Vec<SettlementContract>, AppError> {
        deposits::settlement_contracts(&self.cx).await
    }

    /// Saves one method's contract. A value that is there but wrong (a fee rate that is not
    /// a percentage, a day outside 1–31, a negative fee) is refused and nothing is saved;
    /// a value left empty is saved as not set and named as missing.
    pub async fn save_settlement_contract(
        &self,
        input: SettlementContractInput,
    ) -> Result<SettlementContract, AppError> {
        deposits::save_settlement_contract(&self.cx, input).await
    }

    /// Each settlement period's expected deposit per method, from the money ledger.
    pub async fn expected_deposits(
        &self,
        query: ExpectedDepositsQuery,
    ) -> Result<ExpectedDepositsReport, AppError> {
        deposits::expected_deposits(&self.cx, query).await
    }

    /// Records a deposit received (typed) and returns it reconciled.
    pub async fn record_deposit(
        &self,
        input: crate::dto::money::DepositInput,
    ) -> Result<crate::dto::money::ReconciledDeposit, AppError> {
        deposits::record_deposit(&self.cx, input).await
    }

    /// Corrects a deposit typed by hand (method, day, amount); the values it replaces are
    /// kept. A deposit imported from the bank's statement is refused: it is the bank's.
    pub async fn correct_deposit(
        &self,
        id: i64,
        input: crate::dto::money::DepositInput,
    ) -> Result<crate::dto::money::ReconciledDeposit, AppError> {
        deposits::correct_deposit(&self.cx, id, input).await
    }

    /// Withdraws a deposit typed by mistake: no longer counted in the reconciliation, the
    /// deposit check or the journal files; kept, with its values, in the store.
    pub async fn withdraw_deposit(&self, id: i64) -> Result<(), AppError> {
        deposits::withdraw_deposit(&self.cx, id).await
    }

    /// The deposits received from `from` to `to` (default: the last two months), each
    /// matched to the period it pays, with the difference and what explains it.
    pub async fn reconciliation(
        &self,
        query: crate::dto::money::ExpectedDepositsQuery,
    ) -> Result<crate::dto::money::ReconciliationReport, AppError> {
        deposits::reconciliation(&self.cx, query).await
    }

    // --- Statements: the bank statement's import and the deposit check (`statements`) --------

    /// The bank statement's column mapping (empty fields: the defaults).
    pub async fn statement_mapping(&self) -> Result<StatementMappingDto, AppError> {
        statements::statement_mapping(&self.cx).await
    }

    /// Saves the column mapping (trimmed). A column number must be 1 or more.
    pub async fn save_statement_mapping(
        &self,
        input: StatementMappingDto,
    ) -> Result<StatementMappingDto, AppError> {
        statements::save_statement_mapping(&self.cx, input).await
    }

    /// What importing the statement would do: every line, each gateway deposit matched to
    /// its period (nothing is recorded).
    pub async fn preview_statement(&self, path: String) -> Result<StatementImport, AppError> {
        statements::preview_statement(&self.cx, path).await
    }

    /// Imports the previewed statement: exactly the preview (`token`), or nothing
    /// (`statement_changed`). A line imported or typed before is not recorded again.
    pub async fn import_statement(
        &self,
        path: String,
        token: String,
    ) -> Result<StatementImport, AppError> {
        statements::import_statement(&self.cx, path, token).await
    }

    /// Whether the deposit check (入金チェック) and the period view agree over Japan days
    /// `from` to `to` (default: the last two months): the orders captured in each period
    /// whose deposit was received in the range and is matched are all marked received, and
    /// each order marked received in the range belongs to a period whose deposit is
    /// recorded.
    pub async fn deposit_check_agreement(
        &self,
        query: ExpectedDepositsQuery,
    ) -> Result<DepositCheckAgreement, AppError> {
        statements::deposit_check_agreement(&self.cx, query).await
    }

    /// Where one order stands against the recorded deposits ([`OrderDepositPeriod`]);
    /// `None` before its capture, or while the contract has no settlement cycle.
    pub async fn order_deposit_period(
        &self,
        order_id: i64,
    ) -> Result<Option<OrderDepositPeriod>, AppError> {
        statements::order_deposit_period(&self.cx, order_id).await
    }

    // --- Accounting: the journal files (`accounting`) ----------------------------------------

    /// Writes one Japan month's journal entries for the shop's accounting software.
    pub async fn export_journal(
        &self,
        path: String,
        format: AccountingFormatCode,
        month: String,
    ) -> Result<JournalExportReport, AppError> {
        accounting::export_journal(&self.cx, path, format, month).await
    }

    // --- Operations: capture, cancel, refunds, amount change (`operations`) ------------------

    /// Capture, cancel, full or partial refund, amount change: every rule is checked
    /// before sending; the operation is journaled, sent, and settled by 094 after a
    /// timeout. Refusals and gateway errors come back as `Err` with the code and the plain
    /// explanation; an unknown outcome is `Ok` with outcome `unknown`.
    pub async fn perform_operation(
        &self,
        order_id: i64,
        request: OperationRequest,
    ) -> Result<OperationResult, AppError> {
        operations::perform_operation(&self.cx, order_id, request).await
    }

    /// Asks the gateway (094) for the order's current state and adopts it.
    pub async fn refresh_order(&self, order_id: i64) -> Result<OrderDetail, AppError> {
        operations::refresh_order(&self.cx, order_id).await
    }

    // --- Bulk capture (`bulk`) ---------------------------------------------------------------

    /// One page of the unprocessed list (未処理一覧): authorized orders in every workflow
    /// list, for the window from payment; authorize-and-capture ones flagged as waiting for
    /// their automatic capture; each with its newest bulk failure.
    pub async fn bulk_unprocessed(
        &self,
        query: UnprocessedQuery,
    ) -> Result<UnprocessedPage, AppError> {
        bulk::bulk_unprocessed(&self.cx, query).await
    }

    /// "Select all": the selectable orders matching the query's filters and search, on
    /// every page, at most one run's worth.
    pub async fn bulk_select_all(
        &self,
        query: UnprocessedQuery,
    ) -> Result<BulkSelectAll, AppError> {
        bulk::bulk_select_all(&self.cx, query).await
    }

    /// The confirmation screen: the orders the run would capture, the total, and the
    /// selected orders it leaves out with their reasons. An empty or oversized selection is
    /// an error (`bulk_selection_empty`, `bulk_selection_too_many`).
    pub async fn bulk_confirm(&self, order_ids: Vec<i64>) -> Result<BulkConfirmation, AppError> {
        bulk::bulk_confirm(&self.cx, order_ids).await
    }

    /// Starts a run and returns at once with its items (all pending); the progress comes
    /// as `bulk_item_changed` events and the end as `bulk_run_finished`.
    pub async fn bulk_start(&self, order_ids: Vec<i64>) -> Result<BulkRunDetail, AppError> {
        bulk::bulk_start(&self.cx, order_ids).await
    }

    /// Runs a bulk capture to its end (the command line, tests, the benchmark) with the
    /// default concurrency, and returns its detailed log.
    pub async fn bulk_capture(
        &self,
        order_ids: Vec<i64>,
        requested_by_cli: bool,
    ) -> Result<BulkRunDetail, AppError> {
        bulk::bulk_capture(&self.cx, order_ids, requested_by_cli).await
    }

    /// [`Desk::bulk_capture`] with a given number of captures in flight at once (1 to one
    /// run's size): the benchmark compares them.
    pub async fn bulk_capture_with(
        &self,
        order_ids: Vec<i64>,
        requested_by_cli: bool,
        concurrency: usize,
    ) -> Result<BulkRunDetail, AppError> {
        bulk::bulk_capture_with(&self.cx, order_ids, requested_by_cli, concurrency).await
    }

    /// The operation log: the newest runs first (the rules table's length).
    pub async fn bulk_operation_log(&self) -> Result<BulkOperationLog, AppError> {
        bulk::bulk_operation_log(&self.cx).await
    }

    /// A run's detailed log: one line per order ("completed normally" / "error code: xxx").
    pub async fn bulk_run_detail(&self, run_id: i64) -> Result<BulkRunDetail, AppError> {
        bulk::bulk_run_detail(&self.cx, run_id).await
    }

    // --- Sync: the background tasks and the home screen (`sync`) -----------------------------

    /// The home screen's counts and sync status.
    pub async fn home_summary(&self) -> Result<HomeSummary, AppError> {
        sync::home_summary(&self.cx)
    }

    pub async fn sync_status(&self) -> Result<SyncStatus, AppError> {
        Ok(sync::sync_status(&self.cx))
    }

    /// Catches up now: relay backlog if configured, else 091 until no record is left.
    pub async fn sync_now(&self) -> Result<SyncReport, AppError> {
        sync::sync_now(&self.cx).await
    }

    /// The background sync task: the host spawns it on its runtime and it runs until
    /// the process ends.
    pub async fn run_sync(self) {
        sync::run_sync(self.cx).await
    }

    // --- Details: the storefront's CSV import, its undo, the CSV export (`details`) ----------

    /// What importing the storefront's order export (UTF-8 or Shift_JIS, matched by order
    /// number) would change: counts, a sample old → new, and the token to apply it with.
    /// Only the columns the file has; empty cells clear values only with `clear_empty`.
    pub async fn preview_orders_import(
        &self,
        path: String,
        clear_empty: bool,
    ) -> Result<ImportPreview, AppError> {
        details::preview_orders_import(&self.cx, std::path::Path::new(&path), clear_empty).await
    }

    /// Applies a previewed import (`token` from [`Desk::preview_orders_import`]); refuses
    /// with `import_changed` when the changes are no longer the ones previewed.
    pub async fn import_orders_csv(
        &self,
        path: String,
        clear_empty: bool,
        token: String,
    ) -> Result<ImportReport, AppError> {
        details::import_orders_csv(&self.cx, std::path::Path::new(&path), clear_empty, &token)
    }

    /// Writes the orders matching `query` (every page) as CSV for Excel (UTF-8 BOM, CRLF).
    pub async fn export_orders_csv(
        &self,
        path: String,
        query: OrderQuery,
    ) -> Result<ExportReport, AppError> {
        details::export_orders_csv(&self.cx, std::path::Path::new(&path), query)
    }

    /// Undoes an applied import as a whole; fields changed since it are kept and listed.
    pub async fn undo_orders_import(&self, import_id: i64) -> Result<UndoImportReport, AppError> {
        details::undo_orders_import(&self.cx, import_id).await
    }

    /// The latest applied imports (to undo one), newest first.
    pub async fn orders_imports(&self) -> Result<Vec<ImportRecordDto>, AppError> {
        details::orders_imports(&self.cx).await
    }

    // --- Mailing: SMTP, templates, reminders, the mail queue, the monthly summary (`mailing`) ---

    pub async fn smtp_settings(&self) -> Result<SmtpSettingsDto, AppError> {
        mailing::smtp_settings(&self.cx).await
    }

    /// Saves the SMTP settings; the password goes to the OS keychain only.
    pub async fn save_smtp_settings(
        &self,
        input: SmtpSettingsInput,
    ) -> Result<SmtpSettingsDto, AppError> {
        mailing::save_smtp_settings(&self.cx, input).await
    }

    /// Whether mail can go out now: said before anything is queued, so the shop is not
    /// told "done" for a mail that cannot leave.
    pub async fn mail_readiness(&self) -> Result<MailReadinessDto, AppError> {
        mailing::mail_readiness(&self.cx)
    }

    /// Connects (and logs in) without sending: the settings screen's test button. With
    /// `form`, the values on screen (unsaved) are tested, over the saved ones.
    pub async fn test_smtp(
        &self,
        form: Option<SmtpSettingsInput>,
    ) -> Result<SmtpTestResult, AppError> {
        mailing::test_smtp(&self.cx, form).await
    }

    pub async fn email_template(
        &self,
        kind: ReminderKindCode,
        language: String,
    ) -> Result<EmailTemplateDto, AppError> {
        mailing::email_template(&self.cx, kind, language).await
    }

    /// Saves an edited template; an unknown placeholder or an unmatched brace is refused
    /// with the line and the valid placeholders.
    pub async fn save_email_template(
        &self,
        input: EmailTemplateInput,
    ) -> Result<EmailTemplateDto, AppError> {
        mailing::save_email_template(&self.cx, input).await
    }

    pub async fn reset_email_template(
        &self,
        kind: ReminderKindCode,
        language: String,
    ) -> Result<EmailTemplateDto, AppError> {
        mailing::reset_email_template(&self.cx, kind, language).await
    }

    /// The reminder as it would go (the template, or the shop's edit of it, filled in).
    /// `kind` `null` picks by the card's state.
    pub async fn preview_reminder(
        &self,
        subscription_id: i64,
        kind: Option<ReminderKindCode>,
        subject: Option<String>,
        body: Option<String>,
    ) -> Result<MailPreview, AppError> {
        mailing::preview_reminder(&self.cx, subscription_id, kind, subject, body).await
    }

    /// Reminders by hand, to the selected subscriptions (or a bulk selection). Each buyer
    /// is checked first (address, card state, not sent this period); the ones that do not
    /// qualify are listed with the reason. An edited subject/body is validated before
    /// anything is queued.
    pub async fn send_reminders(
        &self,
        request: SendRemindersRequest,
    ) -> Result<SendRemindersReport, AppError> {
        mailing::send_reminders(&self.cx, request).await
    }

    /// The mail queue (newest first), optionally one state: `queued`, `sent`, `failed`,
    /// `discarded`.
    pub async fn list_mails(&self, state: Option<String>) -> Result<Vec<QueuedMailDto>, AppError> {
        mailing::list_mails(&self.cx, state).await
    }

    pub async fn retry_mail(&self, id: i64) -> Result<MailRunReport, AppError> {
        mailing::retry_mail(&self.cx, id).await
    }

    pub async fn discard_mail(&self, id: i64) -> Result<Vec<QueuedMailDto>, AppError> {
        mailing::discard_mail(&self.cx, id).await
    }

    /// Sends every mail that is due now. A refusing or unreachable server marks the mail
    /// failed with the error (it stays visible and is retried later); nothing is lost.
    pub async fn send_mail_queue(&self) -> MailRunReport {
        mailing::send_mail_queue(&self.cx).await
    }

    /// Queues last month's summary now (the settings screen's "send now" and tests).
    pub async fn send_monthly_summary_now(&self) -> Result<MailRunReport, AppError> {
        mailing::send_monthly_summary_now(&self.cx).await
    }

    // --- Order mails: the shipping notice and the order confirmation (`order_mails`) ---------

    /// An order mail's text in a language (`ja`, `en`): the shop's edit or the built-in.
    pub async fn order_mail_template(
        &self,
        kind: OrderMailKindCode,
        language: String,
    ) -> Result<OrderMailTemplateDto, AppError> {
        order_mails::order_mail_template(&self.cx, kind, language).await
    }

    /// Saves an edited order mail text; an unknown placeholder or an unmatched brace is
    /// refused with the line and the valid placeholders, and nothing is saved.
    pub async fn save_order_mail_template(
        &self,
        input: OrderMailTemplateInput,
    ) -> Result<OrderMailTemplateDto, AppError> {
        order_mails::save_order_mail_template(&self.cx, input).await
    }

    /// Goes back to the built-in text.
    pub async fn reset_order_mail_template(
        &self,
        kind: OrderMailKindCode,
        language: String,
    ) -> Result<OrderMailTemplateDto, AppError> {
        order_mails::reset_order_mail_template(&self.cx, kind, language).await
    }

    /// Each order's mail as the buyer will get it (the shop's text filled in), or why that
    /// order cannot have it; and whether mail can go out now.
    pub async fn preview_order_mails(
        &self,
        request: OrderMailRequest,
    ) -> Result<OrderMailPreviews, AppError> {
        order_mails::preview_order_mails(&self.cx, request).await
    }

    /// Sends the mail to each order's buyer through the shop's SMTP server, and reports per
    /// order: sent, failed (kept in the queue with the error), refused and why, or sent
    /// before (sent again only with `resend`). Nothing is queued when SMTP is not set up.
    pub async fn send_order_mails(
        &self,
        request: OrderMailRequest,
    ) -> Result<OrderMailReport, AppError> {
        order_mails::send_order_mails(&self.cx, request).await
    }

    /// An order's mails (every kind and state), newest first: its send log.
    pub async fn order_mail_log(
        &self,
        order_id: i64,
    ) -> Result<Vec<crate::dto::subscriptions::QueuedMailDto>, AppError> {
        order_mails::order_mail_log(&self.cx, order_id).await
    }

    // --- Subscriptions: renewals, failed renewals, cards, the scheduler (`subscriptions`) ----

    /// The subscription list and the card dashboard's list: filtered, searched and paged
    /// in SQL, soonest card expiry first.
    pub async fn list_subscriptions(
        &self,
        query: SubscriptionQuery,
    ) -> Result<SubscriptionPage, AppError> {
        subscriptions::list_subscriptions(&self.cx, query).await
    }

    /// One subscription with its cycles, late renewals, outreach log and card check.
    pub async fn get_subscription(&self, id: i64) -> Result<SubscriptionDetail, AppError> {
        subscriptions::get_subscription(&self.cx, id).await
    }

    /// The shop's edits: status (pause, resume, end), amount, fees "to be advised",
    /// contract end, buyer e-mail, next renewal date.
    pub async fn update_subscription(
        &self,
        id: i64,
        input: SubscriptionInput,
    ) -> Result<SubscriptionDetail, AppError> {
        subscriptions::update_subscription(&self.cx, id, input).await
    }

    /// The card dashboard: counts, monthly revenue at risk, the 12-month chart, predicted
    /// failures before the next billing date with their yen, and tomorrow's card checks.
    pub async fn card_dashboard(&self) -> Result<CardDashboardDto, AppError> {
        subscriptions::card_dashboard(&self.cx).await
    }

    /// Starts a subscription from a first purchase paid with a stored card: the order's
    /// payment is read from the gateway (094) for its `customer_id`, `customer_card_id`
    /// and the card's expiry.
    pub async fn create_subscription_from_order(
        &self,
        order_id: i64,
        cycle: String,
    ) -> Result<SubscriptionSummary, AppError> {
        subscriptions::create_subscription_from_order(&self.cx, order_id, cycle).await
    }

    /// Imports subscriptions from a CSV file (layout: `store::subscriptions`). Every
    /// stored card named is first looked up at the gateway (027); a row naming a card the
    /// gateway does not know is reported and then nothing is imported (fix or remove the
    /// row and import again). Otherwise rows with errors are reported and the others
    /// imported (`all_or_nothing`: nothing unless every row is good).
    pub async fn import_subscriptions_csv(
        &self,
        path: String,
        all_or_nothing: bool,
    ) -> Result<SubscriptionImportReport, AppError> {
        subscriptions::import_subscriptions_csv(&self.cx, path, all_or_nothing).await
    }

    /// Reads one subscription's stored card from the gateway (027) and records its expiry;
    /// when the buyer updated the card, waiting reminders to them are discarded.
    pub async fn refresh_card(&self, id: i64) -> Result<SubscriptionSummary, AppError> {
        subscriptions::refresh_card(&self.cx, id).await
    }

    /// Refreshes every live subscription's card; returns how many were read.
    pub async fn refresh_all_cards(&self) -> Result<u32, AppError> {
        subscriptions::refresh_all_cards(&self.cx).await
    }

    /// Runs every renewal that is due now (the scheduler does this by itself; the button
    /// and tests call it directly).
    pub async fn run_due_renewals(&self) -> Result<RenewalRunReport, AppError> {
        subscriptions::run_due_renewals(&self.cx).await
    }

    /// The failed-renewal panel of an order: `None` when the order is not a failed renewal.
    pub async fn failed_renewal(
        &self,
        order_id: i64,
    ) -> Result<Option<FailedRenewalDto>, AppError> {
        subscriptions::failed_renewal(&self.cx, order_id).await
    }

    /// Carries out one of the four choices on a failed renewal's order. Cancel and switch
    /// touch only PayDesk's records (a failed authorization holds no money, so nothing is
    /// sent to Paygent); "ask the buyer" queues the reminder (the shop may have edited it).
    pub async fn choose_failed_renewal(
        &self,
        order_id: i64,
        input: FailedRenewalChoiceInput,
    ) -> Result<FailedRenewalDto, AppError> {
        subscriptions::choose_failed_renewal(&self.cx, order_id, input).await
    }

    /// Takes back a choice made on a failed renewal: cancel or switch (the order is a
    /// failed card payment in the open list again), or the subscription's end (it returns
    /// to the status it had). A reminder cannot be taken back here: a waiting one is
    /// discarded from the mail log, a sent one has reached the buyer.
    pub async fn undo_failed_renewal_choice(
        &self,
        order_id: i64,
        kind: FailedRenewalChoiceCode,
    ) -> Result<FailedRenewalDto, AppError> {
        subscriptions::undo_failed_renewal_choice(&self.cx, order_id, kind).await
    }

    /// Takes back the end of a subscription: it returns to the status it had before
    /// (active or paused). Renewals continue from its next renewal date; a date that
    /// passed meanwhile is caught up like after PayDesk was off.
    pub async fn reopen_subscription(&self, id: i64) -> Result<SubscriptionDetail, AppError> {
        subscriptions::reopen_subscription(&self.cx, id).await
    }

    /// The desktop notification preferences (and start at login).
    pub async fn notification_preferences(
        &self,
    ) -> Result<crate::dto::subscriptions::NotificationPreferencesDto, AppError> {
        subscriptions::notification_preferences(&self.cx).await
    }

    pub async fn save_notification_preferences(
        &self,
        prefs: crate::dto::subscriptions::NotificationPreferencesDto,
    ) -> Result<crate::dto::subscriptions::NotificationPreferencesDto, AppError> {
        subscriptions::save_notification_preferences(&self.cx, prefs).await
    }

    /// One pass of the scheduler: settle open renewals, renew what is due, check
    /// tomorrow's cards, the daily notifications, scheduled e-mails, the mail queue.
    pub async fn subscriptions_tick(&self) -> RenewalRunReport {
        subscriptions::subscriptions_tick(&self.cx).await
    }

    /// The background task: catch up at start, then wake just after each 0:00 Japan time
    /// (and at least every minute). The host spawns it beside `run_sync`.
    pub async fn run_subscriptions(self) {
        subscriptions::run_subscriptions(self.cx).await
    }

    // --- Setup guide (`guide`) ---------------------------------------------------------------

    /// Where the setup guide stands, and whether the window opens on it.
    pub async fn setup_guide(&self) -> Result<dto::guide::SetupGuide, AppError> {
        guide::setup_guide(&self.cx)
    }

    /// The guide was opened (or reopened from Settings): it is in progress.
    pub async fn open_setup_guide(&self) -> Result<dto::guide::SetupGuide, AppError> {
        guide::open_setup_guide(&self.cx)
    }

    /// "Set up later": the guide stays closed until reopened from Settings.
    pub async fn skip_setup_guide(&self) -> Result<SetupGuide, AppError> {
        guide::skip_setup_guide(&self.cx).await
    }

    /// Step 1: tests the typed connection values; saves them (secrets to the keychain) only
    /// when the test passed.
    pub async fn guide_gateway(
        &self,
        input: ConnectionTestInput,
    ) -> Result<GuideGatewayResult, AppError> {
        guide::guide_gateway(&self.cx, input).await
    }

    /// Step 2: a relay proven by the relay test, or none.
    pub async fn guide_notifications(
        &self,
        input: GuideNotificationsInput,
    ) -> Result<GuideNotificationsResult, AppError> {
        guide::guide_notifications(&self.cx, input).await
    }

    /// Step 3: e-mail proven by the SMTP test, or later (`None`).
    pub async fn guide_mail(
        &self,
        input: Option<SmtpSettingsInput>,
    ) -> Result<GuideMailResult, AppError> {
        guide::guide_mail(&self.cx, input).await
    }

    /// "Done", refused while a step is open or the saved settings fail their test.
    pub async fn finish_setup_guide(&self) -> Result<SetupGuide, AppError> {
        guide::finish_setup_guide(&self.cx).await
    }

    // --- The context: the keychain, the demo (`context`) -------------------------------------

    /// The embedded simulator and relay, in a demo run; `None` otherwise.
    pub async fn demo_status(&self) -> Result<Option<DemoStatus>, AppError> {
        Ok(self.cx.demo_status_dto())
    }

    pub fn keychain(&self) -> &Keychain {
        self.cx.keychain()
    }

    pub fn is_demo(&self) -> bool {
        self.cx.is_demo()
    }
}
