//! One thin function per Tauri command: pull state, call the API, return its DTO or its
//! `AppError`. No logic lives here.

use api::dto::{
    AppInfo, ConnectionTestResult, CredentialsInput, DemoStatus, ExportReport, HomeSummary,
    ImportPreview, ImportRecord, ImportReport, KeychainStatus, Language, OperationRequest,
    OperationResult, OrderDetail, OrderListCode, OrderPage, OrderQuery, Settings, SettingsInput,
    SyncReport, SyncStatus, UndoImportReport,
};
use api::{AppError, Desk};
use tauri::State;

#[tauri::command]
#[specta::specta]
pub fn app_info(desk: State<'_, Desk>) -> AppInfo {
    desk.app_info()
}

/// The UI painted its first screen (used by the start-up benchmark).
#[tauri::command]
#[specta::specta]
pub fn first_paint() {
    crate::report_first_paint();
}

/// The UI painted its first screen with the desk's answers (used by the start-up benchmark).
#[tauri::command]
#[specta::specta]
pub fn first_screen() {
    crate::report_first_screen();
}

/// A notification click the UI may have missed (it came before the UI listened); taken
/// once. See `notify::take_click`.
#[tauri::command]
#[specta::specta]
pub fn take_notification_click() -> Option<crate::notify::Target> {
    crate::notify::take_click()
}

/// The screen the UI shows (its route as JSON), so a window made after the last one was
/// closed opens there. See `window`.
#[tauri::command]
#[specta::specta]
pub fn remember_place(place: String) {
    crate::window::remember_place(place);
}

#[tauri::command]
#[specta::specta]
pub fn keychain_status(desk: State<'_, Desk>) -> KeychainStatus {
    desk.keychain_status()
}

/// The UI keeps the choice; the shell relabels the tray menu to match.
#[tauri::command]
#[specta::specta]
pub fn set_language(app: tauri::AppHandle, language: String) -> Result<Language, AppError> {
    let language = Desk::parse_language(&language)?;
    crate::tray::relabel(&app, language);
    crate::notify::set_language(language);
    Ok(language)
}

/// One page of an order list (open / completed / cancelled), filtered and searched.
#[tauri::command]
#[specta::specta]
pub async fn list_orders(desk: State<'_, Desk>, query: OrderQuery) -> Result<OrderPage, AppError> {
    desk.list_orders(query).await
}

/// The order detail: summary, operations (with the reason a button is disabled), history.
#[tauri::command]
#[specta::specta]
pub async fn get_order(desk: State<'_, Desk>, order_id: i32) -> Result<OrderDetail, AppError> {
    desk.get_order(i64::from(order_id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn move_order(
    desk: State<'_, Desk>,
    order_id: i32,
    list: OrderListCode,
) -> Result<OrderDetail, AppError> {
    desk.move_order(i64::from(order_id), list).await
}

#[tauri::command]
#[specta::specta]
pub async fn acknowledge_outside_change(
    desk: State<'_, Desk>,
    order_id: i32,
) -> Result<OrderDetail, AppError> {
    desk.acknowledge_outside_change(i64::from(order_id)).await
}

/// Asks the gateway (094) for the order's current state.
#[tauri::command]
#[specta::specta]
pub async fn refresh_order(desk: State<'_, Desk>, order_id: i32) -> Result<OrderDetail, AppError> {
    desk.refresh_order(i64::from(order_id)).await
}

/// Capture, cancel, full refund, partial refund or amount change.
#[tauri::command]
#[specta::specta]
pub async fn perform_operation(
    desk: State<'_, Desk>,
    order_id: i32,
    request: OperationRequest,
) -> Result<OperationResult, AppError> {
    desk.perform_operation(i64::from(order_id), request).await
}

#[tauri::command]
#[specta::specta]
pub async fn home_summary(desk: State<'_, Desk>) -> Result<HomeSummary, AppError> {
    desk.home_summary().await
}

#[tauri::command]
#[specta::specta]
pub async fn get_settings(desk: State<'_, Desk>) -> Result<Settings, AppError> {
    desk.get_settings().await
}

#[tauri::command]
#[specta::specta]
pub async fn save_settings(
    desk: State<'_, Desk>,
    input: SettingsInput,
) -> Result<Settings, AppError> {
    desk.save_settings(input).await
}

/// Secrets go to the OS keychain; they are never sent back.
#[tauri::command]
#[specta::specta]
pub async fn save_credentials(
    desk: State<'_, Desk>,
    input: CredentialsInput,
) -> Result<Settings, AppError> {
    desk.save_credentials(input).await
}

#[tauri::command]
#[specta::specta]
pub async fn test_connection(
    desk: State<'_, Desk>,
    form: Option<api::dto::ConnectionTestInput>,
) -> Result<ConnectionTestResult, AppError> {
    match form {
        Some(form) => desk.test_connection_with(form).await,
        None => desk.test_connection().await,
    }
}

/// The buyer's details edited on the order's screen (recorded in its history).
#[tauri::command]
#[specta::specta]
pub async fn edit_buyer_details(
    desk: State<'_, Desk>,
    order_id: i32,
    input: api::dto::BuyerDetailsInput,
) -> Result<OrderDetail, AppError> {
    desk.edit_buyer_details(i64::from(order_id), input).await
}

#[tauri::command]
#[specta::specta]
pub async fn setup_guide(desk: State<'_, Desk>) -> Result<api::dto::guide::SetupGuide, AppError> {
    desk.setup_guide().await
}

#[tauri::command]
#[specta::specta]
pub async fn open_setup_guide(
    desk: State<'_, Desk>,
) -> Result<api::dto::guide::SetupGuide, AppError> {
    desk.open_setup_guide().await
}

#[tauri::command]
#[specta::specta]
pub async fn skip_setup_guide(
    desk: State<'_, Desk>,
) -> Result<api::dto::guide::SetupGuide, AppError> {
    desk.skip_setup_guide().await
}

/// Step 1's test; the values are saved (secrets to the keychain) only if it passed.
#[tauri::command]
#[specta::specta]
pub async fn guide_gateway(
    desk: State<'_, Desk>,
    input: api::dto::ConnectionTestInput,
) -> Result<api::dto::guide::GuideGatewayResult, AppError> {
    desk.guide_gateway(input).await
}

#[tauri::command]
#[specta::specta]
pub async fn guide_notifications(
    desk: State<'_, Desk>,
    input: api::dto::guide::GuideNotificationsInput,
) -> Result<api::dto::guide::GuideNotificationsResult, AppError> {
    desk.guide_notifications(input).await
}

#[tauri::command]
#[specta::specta]
pub async fn guide_mail(
    desk: State<'_, Desk>,
    input: Option<api::dto::subscriptions::SmtpSettingsInput>,
) -> Result<api::dto::guide::GuideMailResult, AppError> {
    desk.guide_mail(input).await
}

#[tauri::command]
#[specta::specta]
pub async fn finish_setup_guide(
    desk: State<'_, Desk>,
) -> Result<api::dto::guide::SetupGuide, AppError> {
    desk.finish_setup_guide().await
}

/// The relay's operator guide, shipped inside the app (see `api::RELAY_OPERATOR_GUIDE`).
#[tauri::command]
#[specta::specta]
pub fn relay_guide() -> String {
    api::RELAY_OPERATOR_GUIDE.to_owned()
}

/// "Try the demo": starts PayDesk again as the demo (its own folder and keychain
/// namespace) and ends this window. The single-instance lock is released first, or the
/// new process would only bring this window forward.
#[tauri::command]
#[specta::specta]
pub fn open_demo(app: tauri::AppHandle) -> Result<(), AppError> {
    // The guide offers the demo only where the build has it (`AppInfo::demo_available`).
    if crate::demo_servers().is_none() {
        return Err(api::demo_servers::unavailable());
    }
    crate::relaunch(&app, true)
}

/// "Leave the demo": starts PayDesk again as the shop and ends the demo's window.
#[tauri::command]
#[specta::specta]
pub fn leave_demo(app: tauri::AppHandle) -> Result<(), AppError> {
    crate::relaunch(&app, false)
}

#[tauri::command]
#[specta::specta]
pub async fn sync_status(desk: State<'_, Desk>) -> Result<SyncStatus, AppError> {
    desk.sync_status().await
}

#[tauri::command]
#[specta::specta]
pub async fn sync_now(desk: State<'_, Desk>) -> Result<SyncReport, AppError> {
    desk.sync_now().await
}

#[tauri::command]
#[specta::specta]
pub async fn preview_orders_import(
    desk: State<'_, Desk>,
    path: String,
    clear_empty: bool,
) -> Result<ImportPreview, AppError> {
    desk.preview_orders_import(path, clear_empty).await
}

#[tauri::command]
#[specta::specta]
pub async fn import_orders_csv(
    desk: State<'_, Desk>,
    path: String,
    clear_empty: bool,
    token: String,
) -> Result<ImportReport, AppError> {
    desk.import_orders_csv(path, clear_empty, token).await
}

#[tauri::command]
#[specta::specta]
pub async fn undo_orders_import(
    desk: State<'_, Desk>,
    import_id: i32,
) -> Result<UndoImportReport, AppError> {
    desk.undo_orders_import(i64::from(import_id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn orders_imports(desk: State<'_, Desk>) -> Result<Vec<ImportRecord>, AppError> {
    desk.orders_imports().await
}

#[tauri::command]
#[specta::specta]
pub async fn export_orders_csv(
    desk: State<'_, Desk>,
    path: String,
    query: OrderQuery,
) -> Result<ExportReport, AppError> {
    desk.export_orders_csv(path, query).await
}

/// The embedded simulator and relay of a demo run (`null` otherwise).
#[tauri::command]
#[specta::specta]
pub async fn demo_status(desk: State<'_, Desk>) -> Result<Option<DemoStatus>, AppError> {
    desk.demo_status().await
}

// --- Bulk capture (売上確定一括処理) -------------------------------------------------------

/// One page of the unprocessed list (authorized, not captured, within the window).
#[tauri::command]
#[specta::specta]
pub async fn bulk_unprocessed(
    desk: State<'_, Desk>,
    query: api::dto::bulk::UnprocessedQuery,
) -> Result<api::dto::bulk::UnprocessedPage, AppError> {
    desk.bulk_unprocessed(query).await
}

/// "Select all": the selectable orders matching the filters, at most one run's worth.
#[tauri::command]
#[specta::specta]
pub async fn bulk_select_all(
    desk: State<'_, Desk>,
    query: api::dto::bulk::UnprocessedQuery,
) -> Result<api::dto::bulk::BulkSelectAll, AppError> {
    desk.bulk_select_all(query).await
}

/// The confirmation screen: the orders a run would capture, the total, the ones left out.
#[tauri::command]
#[specta::specta]
pub async fn bulk_confirm(
    desk: State<'_, Desk>,
    order_ids: Vec<i32>,
) -> Result<api::dto::bulk::BulkConfirmation, AppError> {
    desk.bulk_confirm(order_ids.into_iter().map(i64::from).collect())
        .await
}

/// Starts a run; progress comes as `bulk_item_changed` events, the end as
/// `bulk_run_finished`.
#[tauri::command]
#[specta::specta]
pub async fn bulk_start(
    desk: State<'_, Desk>,
    order_ids: Vec<i32>,
) -> Result<api::dto::bulk::BulkRunDetail, AppError> {
    desk.bulk_start(order_ids.into_iter().map(i64::from).collect())
        .await
}

/// The operation log (the newest runs).
#[tauri::command]
#[specta::specta]
pub async fn bulk_operation_log(
    desk: State<'_, Desk>,
) -> Result<api::dto::bulk::BulkOperationLog, AppError> {
    desk.bulk_operation_log().await
}

/// A run's detailed log.
#[tauri::command]
#[specta::specta]
pub async fn bulk_run_detail(
    desk: State<'_, Desk>,
    run_id: i32,
) -> Result<api::dto::bulk::BulkRunDetail, AppError> {
    desk.bulk_run_detail(i64::from(run_id)).await
}

// --- Subscriptions, card dashboard, e-mail, notifications --------------------------------

use api::dto::subscriptions as sub;

/// Subscriptions (and the card dashboard's list), filtered, searched and paged.
#[tauri::command]
#[specta::specta]
pub async fn list_subscriptions(
    desk: State<'_, Desk>,
    query: sub::SubscriptionQuery,
) -> Result<sub::SubscriptionPage, AppError> {
    desk.list_subscriptions(query).await
}

#[tauri::command]
#[specta::specta]
pub async fn get_subscription(
    desk: State<'_, Desk>,
    subscription_id: i32,
) -> Result<sub::SubscriptionDetail, AppError> {
    desk.get_subscription(i64::from(subscription_id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn update_subscription(
    desk: State<'_, Desk>,
    subscription_id: i32,
    input: sub::SubscriptionInput,
) -> Result<sub::SubscriptionDetail, AppError> {
    desk.update_subscription(i64::from(subscription_id), input)
        .await
}

/// Starts a subscription from a first purchase paid with a stored card.
#[tauri::command]
#[specta::specta]
pub async fn create_subscription_from_order(
    desk: State<'_, Desk>,
    order_id: i32,
    cycle: String,
) -> Result<sub::SubscriptionSummary, AppError> {
    desk.create_subscription_from_order(i64::from(order_id), cycle)
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn import_subscriptions_csv(
    desk: State<'_, Desk>,
    path: String,
    all_or_nothing: bool,
) -> Result<sub::SubscriptionImportReport, AppError> {
    desk.import_subscriptions_csv(path, all_or_nothing).await
}

/// Reads the stored card's expiry from Paygent (027).
#[tauri::command]
#[specta::specta]
pub async fn refresh_card(
    desk: State<'_, Desk>,
    subscription_id: i32,
) -> Result<sub::SubscriptionSummary, AppError> {
    desk.refresh_card(i64::from(subscription_id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn refresh_all_cards(desk: State<'_, Desk>) -> Result<u32, AppError> {
    desk.refresh_all_cards().await
}

#[tauri::command]
#[specta::specta]
pub async fn run_due_renewals(desk: State<'_, Desk>) -> Result<sub::RenewalRunReport, AppError> {
    desk.run_due_renewals().await
}

#[tauri::command]
#[specta::specta]
pub async fn card_dashboard(desk: State<'_, Desk>) -> Result<sub::CardDashboardDto, AppError> {
    desk.card_dashboard().await
}

/// The failed-renewal panel of an order (`null` when the order is not a failed renewal).
#[tauri::command]
#[specta::specta]
pub async fn failed_renewal(
    desk: State<'_, Desk>,
    order_id: i32,
) -> Result<Option<sub::FailedRenewalDto>, AppError> {
    desk.failed_renewal(i64::from(order_id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn choose_failed_renewal(
    desk: State<'_, Desk>,
    order_id: i32,
    input: sub::FailedRenewalChoiceInput,
) -> Result<sub::FailedRenewalDto, AppError> {
    desk.choose_failed_renewal(i64::from(order_id), input).await
}

/// Takes back a choice made on a failed renewal (cancel, switch, or the end).
#[tauri::command]
#[specta::specta]
pub async fn undo_failed_renewal_choice(
    desk: State<'_, Desk>,
    order_id: i32,
    input: sub::UndoChoiceInput,
) -> Result<sub::FailedRenewalDto, AppError> {
    desk.undo_failed_renewal_choice(i64::from(order_id), input.kind)
        .await
}

/// Takes back the end of a subscription (the status it had before returns).
#[tauri::command]
#[specta::specta]
pub async fn reopen_subscription(
    desk: State<'_, Desk>,
    id: i32,
) -> Result<sub::SubscriptionDetail, AppError> {
    desk.reopen_subscription(i64::from(id)).await
}

/// Whether e-mail can go out now (before anything is queued).
#[tauri::command]
#[specta::specta]
pub async fn mail_readiness(desk: State<'_, Desk>) -> Result<sub::MailReadinessDto, AppError> {
    desk.mail_readiness().await
}

#[tauri::command]
#[specta::specta]
pub async fn smtp_settings(desk: State<'_, Desk>) -> Result<sub::SmtpSettingsDto, AppError> {
    desk.smtp_settings().await
}

/// The SMTP password goes to the OS keychain; it is never sent back.
#[tauri::command]
#[specta::specta]
pub async fn save_smtp_settings(
    desk: State<'_, Desk>,
    input: sub::SmtpSettingsInput,
) -> Result<sub::SmtpSettingsDto, AppError> {
    desk.save_smtp_settings(input).await
}

#[tauri::command]
#[specta::specta]
pub async fn test_smtp(
    desk: State<'_, Desk>,
    form: Option<sub::SmtpSettingsInput>,
) -> Result<sub::SmtpTestResult, AppError> {
    desk.test_smtp(form).await
}

#[tauri::command]
#[specta::specta]
pub async fn mail_text(
    desk: State<'_, Desk>,
    kind: api::dto::mail_text::MailTextKindCode,
    language: String,
) -> Result<api::dto::mail_text::MailTextDto, AppError> {
    desk.mail_text(kind, language).await
}

#[tauri::command]
#[specta::specta]
pub async fn save_mail_text(
    desk: State<'_, Desk>,
    input: api::dto::mail_text::MailTextInput,
) -> Result<api::dto::mail_text::MailTextDto, AppError> {
    desk.save_mail_text(input).await
}

#[tauri::command]
#[specta::specta]
pub async fn reset_mail_text(
    desk: State<'_, Desk>,
    kind: api::dto::mail_text::MailTextKindCode,
    language: String,
) -> Result<api::dto::mail_text::MailTextDto, AppError> {
    desk.reset_mail_text(kind, language).await
}

#[tauri::command]
#[specta::specta]
pub async fn preview_reminder(
    desk: State<'_, Desk>,
    subscription_id: i32,
    kind: Option<sub::ReminderKindCode>,
    subject: Option<String>,
    body: Option<String>,
) -> Result<sub::MailPreview, AppError> {
    desk.preview_reminder(i64::from(subscription_id), kind, subject, body)
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn send_reminders(
    desk: State<'_, Desk>,
    request: sub::SendRemindersRequest,
) -> Result<sub::SendRemindersReport, AppError> {
    desk.send_reminders(request).await
}

#[tauri::command]
#[specta::specta]
pub async fn list_mails(
    desk: State<'_, Desk>,
    state: Option<String>,
) -> Result<Vec<sub::QueuedMailDto>, AppError> {
    desk.list_mails(state).await
}

#[tauri::command]
#[specta::specta]
pub async fn retry_mail(
    desk: State<'_, Desk>,
    mail_id: i32,
) -> Result<sub::MailRunReport, AppError> {
    desk.retry_mail(i64::from(mail_id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn discard_mail(
    desk: State<'_, Desk>,
    mail_id: i32,
) -> Result<Vec<sub::QueuedMailDto>, AppError> {
    desk.discard_mail(i64::from(mail_id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn send_mail_queue(desk: State<'_, Desk>) -> Result<sub::MailRunReport, AppError> {
    Ok(desk.send_mail_queue().await)
}

#[tauri::command]
#[specta::specta]
pub async fn send_monthly_summary_now(
    desk: State<'_, Desk>,
) -> Result<sub::MailRunReport, AppError> {
    desk.send_monthly_summary_now().await
}

#[tauri::command]
#[specta::specta]
pub async fn notification_preferences(
    desk: State<'_, Desk>,
) -> Result<sub::NotificationPreferencesDto, AppError> {
    desk.notification_preferences().await
}

/// Saves the preferences; "start at login" is applied with tauri-plugin-autostart.
#[tauri::command]
#[specta::specta]
pub async fn save_notification_preferences(
    app: tauri::AppHandle,
    desk: State<'_, Desk>,
    preferences: sub::NotificationPreferencesDto,
) -> Result<sub::NotificationPreferencesDto, AppError> {
    use tauri_plugin_autostart::ManagerExt;
    let start_at_login = preferences.start_at_login;
    let saved = desk.save_notification_preferences(preferences).await?;
    let autolaunch = app.autolaunch();
    let applied = if start_at_login {
        autolaunch.enable()
    } else {
        autolaunch.disable()
    };
    if let Err(e) = applied {
        return Err(AppError::of(api::ErrorCode::AutostartFailed)
            .with("detail", e)
            .into());
    }
    Ok(saved)
}
