//! The facade: [`Desk`]'s methods, the names the Tauri commands, the command line, the demo
//! and the tests call. Each is one line that hands its [`Context`] to a feature module's
//! function, grouped by feature below; only this file (and `context`, which defines the
//! handle) mentions `Desk` (`cargo xtask tidy` checks it). What a method does is written
//! once, on the feature function it hands over to, beside the behaviour.

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
use crate::dto::mail_text::{MailTextDto, MailTextInput, MailTextKindCode};
use crate::dto::money::{
    AccountingFormatCode, AccountingSettings, ExpectedDepositsQuery, ExpectedDepositsReport,
    JournalExportReport, MovementList, MovementsQuery, SalesQuery, SalesReport, SettlementContract,
    SettlementContractInput,
};
use crate::dto::order_mail::{OrderMailPreviews, OrderMailReport, OrderMailRequest};
use crate::dto::shipping::{
    CarrierCode, LabelExportReport, LabelExportRequest, LabelSettingsDto, TrackingDto,
    TrackingImportReport, TrackingInput,
};
use crate::dto::statement::{
    DepositCheckAgreement, OrderDepositPeriod, StatementImport, StatementMappingDto,
};
use crate::dto::subscriptions::{
    CardDashboardDto, FailedRenewalChoiceCode, FailedRenewalChoiceInput, FailedRenewalDto,
    MailPreview, MailReadinessDto, MailRunReport, QueuedMailDto, ReminderKindCode,
    RenewalRunReport, SendRemindersReport, SendRemindersRequest, SmtpSettingsDto,
    SmtpSettingsInput, SmtpTestResult, SubscriptionDetail, SubscriptionImportReport,
    SubscriptionInput, SubscriptionPage, SubscriptionQuery, SubscriptionSummary,
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
    statements, subscriptions, sync, sync_state, templates,
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

    pub fn orders_with_number(&self, order_number: &str) -> Result<Vec<i64>, AppError> {
        orders::orders_with_number(&self.cx, order_number)
    }

    pub fn order_with_payment_id(&self, payment_id: &str) -> Result<Option<i64>, AppError> {
        orders::order_with_payment_id(&self.cx, payment_id)
    }

    pub async fn move_order(
        &self,
        order_id: i64,
        list: OrderListCode,
    ) -> Result<OrderDetail, AppError> {
        orders::move_order(&self.cx, order_id, list).await
    }

    pub async fn edit_buyer_details(
        &self,
        order_id: i64,
        input: dto::BuyerDetailsInput,
    ) -> Result<OrderDetail, AppError> {
        orders::edit_buyer_details(&self.cx, order_id, input).await
    }

    pub async fn acknowledge_outside_change(&self, order_id: i64) -> Result<OrderDetail, AppError> {
        orders::acknowledge_outside_change(&self.cx, order_id).await
    }

    // --- Documents: the shop's details and documents as PDF, the deposit check (`documents`) ---

    pub async fn shop_details(&self) -> Result<ShopDetails, AppError> {
        documents::shop_details(&self.cx).await
    }

    pub async fn save_shop_details(
        &self,
        input: ShopDetailsInput,
    ) -> Result<ShopDetails, AppError> {
        documents::save_shop_details(&self.cx, input).await
    }

    pub async fn set_shop_image(
        &self,
        which: ShopImageCode,
        path: Option<String>,
    ) -> Result<ShopDetails, AppError> {
        documents::set_shop_image(&self.cx, which, path).await
    }

    pub async fn issue_documents(
        &self,
        request: IssueDocumentsRequest,
    ) -> Result<DocumentsReport, AppError> {
        documents::issue_documents(&self.cx, request).await
    }

    pub async fn mark_deposit(
        &self,
        order_id: i64,
        input: DepositCheckInput,
    ) -> Result<OrderDetail, AppError> {
        documents::mark_deposit(&self.cx, order_id, input).await
    }

    pub async fn undo_deposit(&self, order_id: i64) -> Result<OrderDetail, AppError> {
        documents::undo_deposit(&self.cx, order_id).await
    }

    // --- Shipping: label files and tracking numbers (`shipping`) -----------------------------

    pub fn label_sender(&self) -> Result<Sender, AppError> {
        shipping::label_sender(&self.cx)
    }

    pub fn set_label_sender(&self, sender: &Sender) -> Result<(), AppError> {
        shipping::set_label_sender(&self.cx, sender)
    }

    pub async fn label_settings(&self) -> Result<LabelSettingsDto, AppError> {
        shipping::label_settings(&self.cx).await
    }

    pub fn label_file_for(
        &self,
        request: &LabelExportRequest,
    ) -> Result<(LabelFile, Vec<(i64, String)>), AppError> {
        shipping::label_file_for(&self.cx, request)
    }

    pub async fn export_labels(
        &self,
        path: String,
        request: LabelExportRequest,
    ) -> Result<LabelExportReport, AppError> {
        shipping::export_labels(&self.cx, path, request).await
    }

    pub async fn order_tracking(&self, order_id: i64) -> Result<Vec<TrackingDto>, AppError> {
        shipping::order_tracking(&self.cx, order_id).await
    }

    /// The carrier's tracking page for a number, built here from the number's digits only,
    /// so the shell opens nothing but one of the three carriers' pages.
    pub fn tracking_page(&self, carrier: CarrierCode, number: &str) -> Result<String, AppError> {
        shipping::tracking_page(carrier, number)
    }

    pub async fn add_tracking(&self, input: TrackingInput) -> Result<Vec<TrackingDto>, AppError> {
        shipping::add_tracking(&self.cx, input).await
    }

    pub async fn import_tracking(
        &self,
        path: String,
        carrier: CarrierCode,
    ) -> Result<TrackingImportReport, AppError> {
        shipping::import_tracking(&self.cx, path, carrier).await
    }

    // --- Money: sales from the ledger, accounting settings (`money`) -------------------------

    pub async fn sales_report(&self, query: SalesQuery) -> Result<SalesReport, AppError> {
        money::sales_report(&self.cx, query).await
    }

    pub async fn sales_movements(&self, query: MovementsQuery) -> Result<MovementList, AppError> {
        money::sales_movements(&self.cx, query).await
    }

    pub async fn accounting_settings(&self) -> Result<AccountingSettings, AppError> {
        money::accounting_settings(&self.cx).await
    }

    pub async fn save_accounting_settings(
        &self,
        input: AccountingSettings,
    ) -> Result<AccountingSettings, AppError> {
        money::save_accounting_settings(&self.cx, input).await
    }

    // --- Deposits: settlement contracts, expected and received deposits (`deposits`) ---------

    pub async fn settlement_contracts(&self) -> Result<Vec<SettlementContract>, AppError> {
        deposits::settlement_contracts(&self.cx).await
    }

    pub async fn save_settlement_contract(
        &self,
        input: SettlementContractInput,
    ) -> Result<SettlementContract, AppError> {
        deposits::save_settlement_contract(&self.cx, input).await
    }

    pub async fn expected_deposits(
        &self,
        query: ExpectedDepositsQuery,
    ) -> Result<ExpectedDepositsReport, AppError> {
        deposits::expected_deposits(&self.cx, query).await
    }

    pub async fn record_deposit(
        &self,
        input: crate::dto::money::DepositInput,
    ) -> Result<crate::dto::money::ReconciledDeposit, AppError> {
        deposits::record_deposit(&self.cx, input).await
    }

    pub async fn correct_deposit(
        &self,
        id: i64,
        input: crate::dto::money::DepositInput,
    ) -> Result<crate::dto::money::ReconciledDeposit, AppError> {
        deposits::correct_deposit(&self.cx, id, input).await
    }

    pub async fn withdraw_deposit(&self, id: i64) -> Result<(), AppError> {
        deposits::withdraw_deposit(&self.cx, id).await
    }

    pub async fn reconciliation(
        &self,
        query: crate::dto::money::ExpectedDepositsQuery,
    ) -> Result<crate::dto::money::ReconciliationReport, AppError> {
        deposits::reconciliation(&self.cx, query).await
    }

    // --- Statements: the bank statement's import and the deposit check (`statements`) --------

    pub async fn statement_mapping(&self) -> Result<StatementMappingDto, AppError> {
        statements::statement_mapping(&self.cx).await
    }

    pub async fn save_statement_mapping(
        &self,
        input: StatementMappingDto,
    ) -> Result<StatementMappingDto, AppError> {
        statements::save_statement_mapping(&self.cx, input).await
    }

    pub async fn preview_statement(&self, path: String) -> Result<StatementImport, AppError> {
        statements::preview_statement(&self.cx, path).await
    }

    pub async fn import_statement(
        &self,
        path: String,
        token: String,
    ) -> Result<StatementImport, AppError> {
        statements::import_statement(&self.cx, path, token).await
    }

    pub async fn deposit_check_agreement(
        &self,
        query: ExpectedDepositsQuery,
    ) -> Result<DepositCheckAgreement, AppError> {
        statements::deposit_check_agreement(&self.cx, query).await
    }

    pub async fn order_deposit_period(
        &self,
        order_id: i64,
    ) -> Result<Option<OrderDepositPeriod>, AppError> {
        statements::order_deposit_period(&self.cx, order_id).await
    }

    // --- Accounting: the journal files (`accounting`) ----------------------------------------

    pub async fn export_journal(
        &self,
        path: String,
        format: AccountingFormatCode,
        month: String,
    ) -> Result<JournalExportReport, AppError> {
        accounting::export_journal(&self.cx, path, format, month).await
    }

    // --- Operations: capture, cancel, refunds, amount change (`operations`) ------------------

    pub async fn perform_operation(
        &self,
        order_id: i64,
        request: OperationRequest,
    ) -> Result<OperationResult, AppError> {
        operations::perform_operation(&self.cx, order_id, request).await
    }

    pub async fn refresh_order(&self, order_id: i64) -> Result<OrderDetail, AppError> {
        operations::refresh_order(&self.cx, order_id).await
    }

    // --- Bulk capture (`bulk`) ---------------------------------------------------------------

    pub async fn bulk_unprocessed(
        &self,
        query: UnprocessedQuery,
    ) -> Result<UnprocessedPage, AppError> {
        bulk::bulk_unprocessed(&self.cx, query).await
    }

    pub async fn bulk_select_all(
        &self,
        query: UnprocessedQuery,
    ) -> Result<BulkSelectAll, AppError> {
        bulk::bulk_select_all(&self.cx, query).await
    }

    pub async fn bulk_confirm(&self, order_ids: Vec<i64>) -> Result<BulkConfirmation, AppError> {
        bulk::bulk_confirm(&self.cx, order_ids).await
    }

    pub async fn bulk_start(&self, order_ids: Vec<i64>) -> Result<BulkRunDetail, AppError> {
        bulk::bulk_start(&self.cx, order_ids).await
    }

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

    pub async fn bulk_operation_log(&self) -> Result<BulkOperationLog, AppError> {
        bulk::bulk_operation_log(&self.cx).await
    }

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

    pub async fn undo_orders_import(&self, import_id: i64) -> Result<UndoImportReport, AppError> {
        details::undo_orders_import(&self.cx, import_id).await
    }

    pub async fn orders_imports(&self) -> Result<Vec<ImportRecordDto>, AppError> {
        details::orders_imports(&self.cx).await
    }

    // --- Mailing: SMTP, templates, reminders, the mail queue, the monthly summary (`mailing`) ---

    pub async fn smtp_settings(&self) -> Result<SmtpSettingsDto, AppError> {
        mailing::smtp_settings(&self.cx).await
    }

    pub async fn save_smtp_settings(
        &self,
        input: SmtpSettingsInput,
    ) -> Result<SmtpSettingsDto, AppError> {
        mailing::save_smtp_settings(&self.cx, input).await
    }

    pub async fn mail_readiness(&self) -> Result<MailReadinessDto, AppError> {
        mailing::mail_readiness(&self.cx)
    }

    pub async fn test_smtp(
        &self,
        form: Option<SmtpSettingsInput>,
    ) -> Result<SmtpTestResult, AppError> {
        mailing::test_smtp(&self.cx, form).await
    }

    pub async fn preview_reminder(
        &self,
        subscription_id: i64,
        kind: Option<ReminderKindCode>,
        subject: Option<String>,
        body: Option<String>,
    ) -> Result<MailPreview, AppError> {
        mailing::preview_reminder(&self.cx, subscription_id, kind, subject, body).await
    }

    pub async fn send_reminders(
        &self,
        request: SendRemindersRequest,
    ) -> Result<SendRemindersReport, AppError> {
        mailing::send_reminders(&self.cx, request).await
    }

    pub async fn list_mails(&self, state: Option<String>) -> Result<Vec<QueuedMailDto>, AppError> {
        mailing::list_mails(&self.cx, state).await
    }

    pub async fn retry_mail(&self, id: i64) -> Result<MailRunReport, AppError> {
        mailing::retry_mail(&self.cx, id).await
    }

    pub async fn discard_mail(&self, id: i64) -> Result<Vec<QueuedMailDto>, AppError> {
        mailing::discard_mail(&self.cx, id).await
    }

    pub async fn send_mail_queue(&self) -> MailRunReport {
        mailing::send_mail_queue(&self.cx).await
    }

    pub async fn send_monthly_summary_now(&self) -> Result<MailRunReport, AppError> {
        mailing::send_monthly_summary_now(&self.cx).await
    }

    // --- The shop's e-mail texts, reminders and order mails alike (`templates`) -------------

    pub async fn mail_text(
        &self,
        kind: MailTextKindCode,
        language: String,
    ) -> Result<MailTextDto, AppError> {
        templates::mail_text(&self.cx, kind, language).await
    }

    pub async fn save_mail_text(&self, input: MailTextInput) -> Result<MailTextDto, AppError> {
        templates::save_mail_text(&self.cx, input).await
    }

    pub async fn reset_mail_text(
        &self,
        kind: MailTextKindCode,
        language: String,
    ) -> Result<MailTextDto, AppError> {
        templates::reset_mail_text(&self.cx, kind, language).await
    }

    // --- Order mails: the shipping notice and the order confirmation (`order_mails`) ---------

    pub async fn preview_order_mails(
        &self,
        request: OrderMailRequest,
    ) -> Result<OrderMailPreviews, AppError> {
        order_mails::preview_order_mails(&self.cx, request).await
    }

    pub async fn send_order_mails(
        &self,
        request: OrderMailRequest,
    ) -> Result<OrderMailReport, AppError> {
        order_mails::send_order_mails(&self.cx, request).await
    }

    pub async fn order_mail_log(
        &self,
        order_id: i64,
    ) -> Result<Vec<crate::dto::subscriptions::QueuedMailDto>, AppError> {
        order_mails::order_mail_log(&self.cx, order_id).await
    }

    // --- Subscriptions: renewals, failed renewals, cards, the scheduler (`subscriptions`) ----

    pub async fn list_subscriptions(
        &self,
        query: SubscriptionQuery,
    ) -> Result<SubscriptionPage, AppError> {
        subscriptions::list_subscriptions(&self.cx, query).await
    }

    pub async fn get_subscription(&self, id: i64) -> Result<SubscriptionDetail, AppError> {
        subscriptions::get_subscription(&self.cx, id).await
    }

    pub async fn update_subscription(
        &self,
        id: i64,
        input: SubscriptionInput,
    ) -> Result<SubscriptionDetail, AppError> {
        subscriptions::update_subscription(&self.cx, id, input).await
    }

    pub async fn card_dashboard(&self) -> Result<CardDashboardDto, AppError> {
        subscriptions::card_dashboard(&self.cx).await
    }

    pub async fn create_subscription_from_order(
        &self,
        order_id: i64,
        cycle: String,
    ) -> Result<SubscriptionSummary, AppError> {
        subscriptions::create_subscription_from_order(&self.cx, order_id, cycle).await
    }

    pub async fn import_subscriptions_csv(
        &self,
        path: String,
        all_or_nothing: bool,
    ) -> Result<SubscriptionImportReport, AppError> {
        subscriptions::import_subscriptions_csv(&self.cx, path, all_or_nothing).await
    }

    pub async fn refresh_card(&self, id: i64) -> Result<SubscriptionSummary, AppError> {
        subscriptions::refresh_card(&self.cx, id).await
    }

    pub async fn refresh_all_cards(&self) -> Result<u32, AppError> {
        subscriptions::refresh_all_cards(&self.cx).await
    }

    pub async fn run_due_renewals(&self) -> Result<RenewalRunReport, AppError> {
        subscriptions::run_due_renewals(&self.cx).await
    }

    pub async fn failed_renewal(
        &self,
        order_id: i64,
    ) -> Result<Option<FailedRenewalDto>, AppError> {
        subscriptions::failed_renewal(&self.cx, order_id).await
    }

    pub async fn choose_failed_renewal(
        &self,
        order_id: i64,
        input: FailedRenewalChoiceInput,
    ) -> Result<FailedRenewalDto, AppError> {
        subscriptions::choose_failed_renewal(&self.cx, order_id, input).await
    }

    pub async fn undo_failed_renewal_choice(
        &self,
        order_id: i64,
        kind: FailedRenewalChoiceCode,
    ) -> Result<FailedRenewalDto, AppError> {
        subscriptions::undo_failed_renewal_choice(&self.cx, order_id, kind).await
    }

    pub async fn reopen_subscription(&self, id: i64) -> Result<SubscriptionDetail, AppError> {
        subscriptions::reopen_subscription(&self.cx, id).await
    }

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

    pub async fn skip_setup_guide(&self) -> Result<SetupGuide, AppError> {
        guide::skip_setup_guide(&self.cx).await
    }

    pub async fn guide_gateway(
        &self,
        input: ConnectionTestInput,
    ) -> Result<GuideGatewayResult, AppError> {
        guide::guide_gateway(&self.cx, input).await
    }

    pub async fn guide_notifications(
        &self,
        input: GuideNotificationsInput,
    ) -> Result<GuideNotificationsResult, AppError> {
        guide::guide_notifications(&self.cx, input).await
    }

    pub async fn guide_mail(
        &self,
        input: Option<SmtpSettingsInput>,
    ) -> Result<GuideMailResult, AppError> {
        guide::guide_mail(&self.cx, input).await
    }

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
