//! E-mail: the shop's SMTP settings (the password in the OS keychain, nowhere else), the
//! two reminder templates (edited copies in the store), reminders to buyers by hand
//! (selected or bulk, editable before sending) and on the shop's schedule, the monthly
//! summary to the shop, and the mail queue's send loop through `mail::Mailer`.
//!
//! Layout: settings and templates first; then rendering and queuing
//! ([`send_reminders`]); then the scheduler's part ([`scheduled_mail`]:
//! automatic reminders, the monthly summary, dropping reminders that no longer apply,
//! sending). A mail is queued before it is sent; a refusing or unreachable server leaves
//! it failed and visible with the error, retried by the rules table's delay, never lost.
//! No function puts the password into a log, an error, a DTO or the database.

use chrono::{DateTime, Datelike, Utc};
use domain::RULES;
use domain::subscription::{
    CardState, LapsedOrder, ReminderContext, ReminderDecision, ReminderKind, SendSchedule,
    Subscription, SubscriptionStatus, card_state, japan_date, reminder_decision,
};
use mail::{Language, Mailer, OutgoingMail, Security, SmtpSettings, Template};
use secrets::{SecretKey, Sensitive};
use store::{MailId, MailPurpose, MailState, NewMail, QueueOutcome};

use crate::ErrorCode;
use crate::context::Context;
use crate::dto::subscriptions::{
    MailPreview, MailReadinessDto, MailRunReport, QueuedMailDto, ReminderKindCode,
    SendRemindersReport, SendRemindersRequest, SkippedReminder, SmtpSettingsDto, SmtpSettingsInput,
    SmtpTestResult,
};
use crate::money_summary;
use crate::settings;
use crate::templates;
use crate::templates::{language_of, template_error};
use crate::{AppError, Text, convert};

/// How long PayDesk waits for the SMTP server.
const SMTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

pub(crate) mod keys {
    pub const HOST: &str = "smtp.host";
    pub const PORT: &str = "smtp.port";
    pub const SECURITY: &str = "smtp.security";
    pub const USERNAME: &str = "smtp.username";
    pub const FROM_ADDRESS: &str = "smtp.from_address";
    pub const FROM_NAME: &str = "smtp.from_name";
    pub const SHOP_CONTACT: &str = "mail.shop_contact";
    pub const SUMMARY_TO: &str = "mail.summary_to";
    pub const LANGUAGE: &str = "mail.language";
    pub const REMINDER_SCHEDULE: &str = "mail.reminder_schedule";
    pub const SUMMARY_SCHEDULE: &str = "mail.summary_schedule";
    pub const LAST_REMINDER_RUN: &str = "mail.last_reminder_run";
    pub const LAST_SUMMARY_RUN: &str = "mail.last_summary_run";
    /// The last attempt to reach the SMTP server with a mail, as JSON
    /// (`{"ok":bool,"at":ms,"code":..,"ja":..,"en":..}`), for the warning before queueing.
    pub const LAST_ATTEMPT: &str = "mail.last_attempt";
}

/// The summary goes on the 1st at 9:00 (Japan) unless the shop changes it.
const DEFAULT_SUMMARY_SCHEDULE: &str = "monthly:1:9";

pub(crate) fn smtp_not_configured() -> AppError {
    AppError::of(ErrorCode::SmtpNotConfigured).into()
}

fn config_error(e: &mail::ConfigError) -> AppError {
    let ja = match e {
        mail::ConfigError::PlainNotLoopback { .. } => {
            "暗号化なし（plain）はこのパソコン上のサーバーにだけ使えます。TLS か STARTTLS を選んでください。"
        }
        mail::ConfigError::BadSender { .. } => "送信元メールアドレスが正しくありません。",
        mail::ConfigError::IncompleteCredentials => {
            "ログイン名とパスワードは両方入力するか、両方空にしてください。"
        }
        mail::ConfigError::Tls { .. } => {
            "暗号化通信の準備に失敗しました。サーバー名を確認してください。"
        }
    };
    AppError::foreign(e.code(), Text::new(ja, &e.to_string()), None)
}

fn send_error(e: &mail::SendError) -> AppError {
    AppError::foreign(e.code(), convert::text(&e.text()), None)
}

fn schedule_of(code: &str) -> Result<SendSchedule, AppError> {
    SendSchedule::from_code(code.trim()).ok_or_else(|| {
        AppError::of(ErrorCode::InvalidSchedule)
            .with("value", code)
            .into()
    })
}

fn reminder_subject_kind(kind: ReminderKind) -> ReminderKindCode {
    reminder_code(kind)
}

pub(crate) fn mail_dto(m: &store::QueuedMail) -> QueuedMailDto {
    let (purpose, kind) = match m.mail.purpose {
        MailPurpose::Reminder(k) => ("reminder", Some(reminder_subject_kind(k))),
        MailPurpose::MonthlySummary => ("monthly_summary", None),
        MailPurpose::Order(_, kind) => (kind.code(), None),
        MailPurpose::Other => ("other", None),
    };
    let order_id = match m.mail.purpose {
        MailPurpose::Order(order, _) => Some(order.0),
        _ => None,
    };
    QueuedMailDto {
        id: m.id.0,
        purpose: purpose.into(),
        reminder_kind: kind,
        customer_id: m.mail.customer_id.clone(),
        subscription_id: m.mail.subscription.map(|s| s.0),
        to: m.mail.to.clone(),
        subject: m.mail.subject.clone(),
        body: m.mail.body.clone(),
        state: m.state.code().into(),
        attempts: m.attempts,
        last_error: m.last_error.clone(),
        next_attempt_at: convert::time(m.next_attempt_at),
        created_at: convert::time(m.created_at),
        sent_at: m.sent_at.map(convert::time),
        order_id,
    }
}

// -----------------------------------------------------------------------------------
// Settings.

pub(crate) fn mail_language(cx: &Context) -> Language {
    settings::setting(cx, keys::LANGUAGE)
        .ok()
        .flatten()
        .and_then(|c| Language::from_code(&c))
        .unwrap_or(Language::Ja)
}

fn smtp_security(cx: &Context) -> Security {
    settings::setting(cx, keys::SECURITY)
        .ok()
        .flatten()
        .and_then(|c| Security::from_code(&c))
        .unwrap_or(Security::StartTls)
}

pub(crate) async fn smtp_settings(cx: &Context) -> Result<SmtpSettingsDto, AppError> {
    let host = settings::setting(cx, keys::HOST)?;
    let from_address = settings::setting(cx, keys::FROM_ADDRESS)?;
    let password_set = cx
        .keychain()
        .read(SecretKey::SmtpPassword)?
        .is_some_and(|p| !p.expose().is_empty());
    Ok(SmtpSettingsDto {
        complete: host.is_some() && from_address.is_some(),
        host,
        port: settings::setting(cx, keys::PORT)?.and_then(|p| p.parse().ok()),
        security: smtp_security(cx).code().into(),
        username: settings::setting(cx, keys::USERNAME)?,
        password_set,
        from_address,
        from_name: settings::setting(cx, keys::FROM_NAME)?,
        shop_contact: settings::setting(cx, keys::SHOP_CONTACT)?,
        summary_to: settings::setting(cx, keys::SUMMARY_TO)?,
        mail_language: mail_language(cx).code().into(),
        reminder_schedule: settings::setting(cx, keys::REMINDER_SCHEDULE)?
            .unwrap_or_else(|| "off".into()),
        summary_schedule: settings::setting(cx, keys::SUMMARY_SCHEDULE)?
            .unwrap_or_else(|| DEFAULT_SUMMARY_SCHEDULE.into()),
    })
}

/// Saves the SMTP settings; the password goes to the OS keychain only.
pub(crate) async fn save_smtp_settings(
    cx: &Context,
    input: SmtpSettingsInput,
) -> Result<SmtpSettingsDto, AppError> {
    if let Some(s) = input.security.as_deref()
        && Security::from_code(s).is_none()
    {
        return Err(AppError::of(ErrorCode::InvalidSmtpSecurity).into());
    }
    if let Some(l) = input.mail_language.as_deref() {
        language_of(l)?;
    }
    for s in [&input.reminder_schedule, &input.summary_schedule]
        .into_iter()
        .flatten()
    {
        schedule_of(s)?;
    }
    if let Some(password) = &input.password {
        if password.is_empty() {
            cx.keychain().delete(SecretKey::SmtpPassword)?;
        } else {
            cx.keychain()
                .store(SecretKey::SmtpPassword, &Sensitive::new(password.clone()))?;
        }
        tracing::info!(
            secret = SecretKey::SmtpPassword.account(),
            "keychain entry updated"
        );
    }
    {
        let mut store = cx.store();
        let mut set = |key: &str, value: Option<String>| -> Result<(), store::Error> {
            match value {
                Some(v) => store.set_setting(key, v.trim()),
                None => Ok(()),
            }
        };
        set(keys::HOST, input.host)?;
        set(keys::PORT, input.port.map(|p| p.to_string()))?;
        set(keys::SECURITY, input.security)?;
        set(keys::USERNAME, input.username)?;
        set(keys::FROM_ADDRESS, input.from_address)?;
        set(keys::FROM_NAME, input.from_name)?;
        set(
            keys::SHOP_CONTACT,
            input.shop_contact.map(|c| c.replace("\r\n", "\n")),
        )?;
        set(keys::SUMMARY_TO, input.summary_to)?;
        set(keys::LANGUAGE, input.mail_language)?;
        set(keys::REMINDER_SCHEDULE, input.reminder_schedule)?;
        set(keys::SUMMARY_SCHEDULE, input.summary_schedule)?;
    }
    tracing::info!("mail settings saved");
    nudge_subscriptions(cx);
    smtp_settings(cx).await
}

/// The mailer from the settings, with the password read from the keychain right now.
fn mailer(cx: &Context) -> Result<Mailer, AppError> {
    mailer_with(cx, None).map(|(m, _)| m)
}

/// The mailer from the saved settings, or for a test from the screen's values over
/// them (a typed password is used for that test only, never stored or logged), with
/// the words that say what is tested.
fn mailer_with(cx: &Context, form: Option<&SmtpSettingsInput>) -> Result<(Mailer, Text), AppError> {
    let typed = |f: fn(&SmtpSettingsInput) -> &Option<String>| {
        form.and_then(|i| f(i).as_deref())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let host = match typed(|i| &i.host) {
        Some(h) => h,
        None => settings::setting(cx, keys::HOST)?.ok_or_else(smtp_not_configured)?,
    };
    let from_address = match typed(|i| &i.from_address) {
        Some(a) => a,
        None => settings::setting(cx, keys::FROM_ADDRESS)?.ok_or_else(smtp_not_configured)?,
    };
    let security = match form.and_then(|i| i.security.as_deref()) {
        Some(code) => Security::from_code(code).unwrap_or(Security::StartTls),
        None => smtp_security(cx),
    };
    let port = form
        .and_then(|i| i.port)
        .or(settings::setting(cx, keys::PORT)?.and_then(|p| p.parse().ok()))
        .unwrap_or(match security {
            Security::Tls => 465,
            Security::StartTls => 587,
            Security::Plain => 25,
        });
    let username = match form.and_then(|i| i.username.as_deref()) {
        // The box on screen is what is tested, also when it was emptied.
        Some(u) => Some(u.trim().to_owned()).filter(|u| !u.is_empty()),
        None => settings::setting(cx, keys::USERNAME)?,
    };
    let typed_password = form
        .and_then(|i| i.password.as_deref())
        .filter(|p| !p.is_empty());
    let (password, password_source) = match typed_password {
        Some(p) => (
            Some(Sensitive::new(p.to_owned())),
            Text::new("画面の入力値（未保存）", "the screen's input (not saved)"),
        ),
        None => {
            let stored = cx
                .keychain()
                .read(SecretKey::SmtpPassword)?
                .filter(|p| !p.expose().is_empty());
            let source = if stored.is_some() {
                Text::new("保存済みの値", "the saved value")
            } else {
                Text::new("なし", "none")
            };
            (stored, source)
        }
    };
    let from_name = match typed(|i| &i.from_name) {
        Some(n) => Some(n),
        None => match settings::setting(cx, keys::FROM_NAME)? {
            Some(n) => Some(n),
            None => settings::setting(cx, crate::settings::keys::SHOP_NAME)?,
        },
    };
    let tested = Text::new(
        &format!(
            "{host}:{port}（{}）・ログイン名 {}・パスワード {}・送信元 {from_address}",
            security.code(),
            username.as_deref().unwrap_or("なし"),
            password_source.ja
        ),
        &format!(
            "{host}:{port} ({}), login {}, password {}, sender {from_address}",
            security.code(),
            username.as_deref().unwrap_or("none"),
            password_source.en
        ),
    );
    let mailer = Mailer::new(&SmtpSettings {
        host,
        port,
        security,
        username,
        password,
        from_address,
        from_name,
        timeout: SMTP_TIMEOUT,
    })
    .map_err(|e| config_error(&e))?;
    Ok((mailer, tested))
}

/// Whether mail can go out now: said before anything is queued, so the shop is not
/// told "done" for a mail that cannot leave.
pub(crate) fn mail_readiness(cx: &Context) -> Result<MailReadinessDto, AppError> {
    let configured = settings::setting(cx, keys::HOST)?.is_some()
        && settings::setting(cx, keys::FROM_ADDRESS)?.is_some();
    let last = settings::setting(cx, keys::LAST_ATTEMPT)?
        .and_then(|json| serde_json::from_str::<LastAttempt>(&json).ok())
        .filter(|a| !a.ok);
    let waiting = {
        let store = cx.store();
        store.mails(Some(MailState::Queued))?.len() + store.mails(Some(MailState::Failed))?.len()
    };
    Ok(MailReadinessDto {
        configured,
        last_failure_at: last
            .as_ref()
            .and_then(|a| DateTime::from_timestamp_millis(a.at))
            .map(convert::time),
        last_failure: last.map(|a| AppError::foreign(&a.code, Text::new(&a.ja, &a.en), None)),
        waiting: u32::try_from(waiting).unwrap_or(u32::MAX),
    })
}

/// Remembers how the last attempt to hand a mail to the SMTP server went.
fn record_attempt(cx: &Context, error: Option<&AppError>, now: DateTime<Utc>) {
    let attempt = LastAttempt {
        ok: error.is_none(),
        at: now.timestamp_millis(),
        code: error.map(|e| e.code.clone()).unwrap_or_default(),
        ja: error.map(|e| e.message.ja.clone()).unwrap_or_default(),
        en: error.map(|e| e.message.en.clone()).unwrap_or_default(),
    };
    if let Ok(json) = serde_json::to_string(&attempt)
        && let Err(e) = cx.store().set_setting(keys::LAST_ATTEMPT, &json)
    {
        tracing::warn!(error = %e, "cannot record the mail attempt");
    }
}

/// Connects (and logs in) without sending: the settings screen's test button. With
/// `form`, the values on screen (unsaved) are tested, over the saved ones.
pub(crate) async fn test_smtp(
    cx: &Context,
    form: Option<SmtpSettingsInput>,
) -> Result<SmtpTestResult, AppError> {
    if let Some(s) = form.as_ref().and_then(|f| f.security.as_deref())
        && Security::from_code(s).is_none()
    {
        return Err(AppError::of(ErrorCode::InvalidSmtpSecurity).into());
    }
    let (mailer, tested) = match mailer_with(cx, form.as_ref()) {
        Ok(m) => m,
        Err(e) => {
            return Ok(SmtpTestResult {
                ok: false,
                message: e.message.clone(),
                error: Some(e),
                tested: None,
            });
        }
    };
    Ok(match mailer.test_connection().await {
        Ok(()) => SmtpTestResult {
            ok: true,
            message: Text::new(
                "メールサーバーに接続できました。",
                "Connected to the mail server.",
            ),
            error: None,
            tested: Some(tested),
        },
        Err(e) => {
            let error = send_error(&e);
            tracing::info!(code = e.code(), "SMTP test failed");
            SmtpTestResult {
                ok: false,
                message: error.message.clone(),
                error: Some(error),
                tested: Some(tested),
            }
        }
    })
}

// -----------------------------------------------------------------------------------
// Reminders.

fn values_for(cx: &Context, sub: &Subscription) -> Result<mail::Values, AppError> {
    Ok(mail::Values {
        buyer_name: sub.buyer_name.clone(),
        shop_name: settings::setting(cx, crate::settings::keys::SHOP_NAME)?.unwrap_or_default(),
        member_id: sub.customer_id.clone(),
        shop_contact: settings::setting(cx, keys::SHOP_CONTACT)?.unwrap_or_default(),
    })
}

fn decision_for(
    cx: &Context,
    sub: &Subscription,
    kind: ReminderKind,
) -> Result<ReminderDecision, AppError> {
    let now = cx.now();
    let (log, succeeded) = {
        let store = cx.store();
        (
            store.outreach_log(&sub.customer_id)?,
            store.last_successful_renewal(&sub.customer_id)?,
        )
    };
    Ok(reminder_decision(
        kind,
        &log,
        ReminderContext {
            card_expiry: sub.card_expiry,
            card_refreshed_at: sub.card_refreshed_at,
            renewal_succeeded_at: succeeded,
        },
        now,
        &RULES,
    ))
}

fn render(
    cx: &Context,
    sub: &Subscription,
    kind: ReminderKind,
    subject: Option<&str>,
    body: Option<&str>,
) -> Result<mail::Rendered, AppError> {
    let (mut template, _) = templates::template_of(cx, kind.into(), mail_language(cx))?;
    if let Some(s) = subject {
        template.subject = s.to_owned();
    }
    if let Some(b) = body {
        template.body = b.replace("\r\n", "\n");
    }
    template
        .render(&values_for(cx, sub)?)
        .map_err(|e| template_error(&e))
}

pub(crate) fn preview_for(
    cx: &Context,
    sub: &Subscription,
    kind: ReminderKind,
    subject: Option<&str>,
    body: Option<&str>,
) -> Result<MailPreview, AppError> {
    let rendered = render(cx, sub, kind, subject, body)?;
    let blocked = match decision_for(cx, sub, kind)? {
        ReminderDecision::Send if sub.buyer_email.is_none() => Some(no_email_text()),
        d => d.text().map(|t| convert::text(&t)),
    };
    Ok(MailPreview {
        subscription_id: sub.id.0,
        kind: reminder_code(kind),
        to: sub.buyer_email.clone(),
        subject: rendered.subject,
        body: rendered.body,
        blocked,
    })
}

/// The reminder as it would go (the template, or the shop's edit of it, filled in).
/// `kind` `null` picks by the card's state.
pub(crate) async fn preview_reminder(
    cx: &Context,
    subscription_id: i64,
    kind: Option<ReminderKindCode>,
    subject: Option<String>,
    body: Option<String>,
) -> Result<MailPreview, AppError> {
    let sub = cx
        .store()
        .get_subscription(domain::subscription::SubscriptionId(subscription_id))?
        .ok_or_else(|| subscription_not_found(subscription_id))?;
    let kind = kind
        .map(reminder_from)
        .unwrap_or_else(|| kind_for(cx, &sub));
    preview_for(cx, &sub, kind, subject.as_deref(), body.as_deref())
}

fn kind_for(cx: &Context, sub: &Subscription) -> ReminderKind {
    match sub
        .card_expiry
        .map(|e| card_state(e, japan_date(cx.now()), &RULES))
    {
        Some(CardState::ExpiringSoon) => ReminderKind::ExpiringSoon,
        _ => ReminderKind::Expired,
    }
}

/// A reminder ready to queue. `lenient` (the failed-renewal choice): only a reminder
/// already sent this period or a missing address stops it; otherwise every rule of
/// `reminder_decision` applies.
pub(crate) fn reminder_mail(
    cx: &Context,
    sub: &Subscription,
    kind: ReminderKind,
    subject: Option<&str>,
    body: Option<&str>,
    lenient: bool,
) -> Result<NewMail, AppError> {
    let to = sub
        .buyer_email
        .clone()
        .ok_or_else(|| AppError::of(ErrorCode::BuyerEmailMissing))?;
    let decision = decision_for(cx, sub, kind)?;
    let stop = match decision {
        ReminderDecision::Send => false,
        ReminderDecision::AlreadySent(_) => true,
        _ => !lenient,
    };
    if stop {
        let text = decision
            .text()
            .map(|t| convert::text(&t))
            .unwrap_or_else(|| Text::new("", ""));
        return Err(AppError::of(ErrorCode::ReminderNotSent)
            .with_text("reason", &text)
            .into());
    }
    let rendered = render(cx, sub, kind, subject, body)?;
    Ok(NewMail {
        purpose: MailPurpose::Reminder(kind),
        customer_id: Some(sub.customer_id.clone()),
        subscription: Some(sub.id),
        card_expiry: sub.card_expiry,
        to,
        subject: rendered.subject,
        body: rendered.body,
    })
}

pub(crate) fn queue_reminders(
    cx: &Context,
    mails: Vec<NewMail>,
) -> Result<Vec<QueueOutcome>, AppError> {
    let now = cx.now();
    let outcomes = cx.store().queue_mails(&mails, now)?;
    cx.emit(crate::dto::events::DeskEvent::MailQueueChanged {});
    nudge_subscriptions(cx);
    Ok(outcomes)
}

/// Reminders by hand, to the selected subscriptions (or a bulk selection). Each buyer
/// is checked first (address, card state, not sent this period); the ones that do not
/// qualify are listed with the reason. An edited subject/body is validated before
/// anything is queued.
pub(crate) async fn send_reminders(
    cx: &Context,
    request: SendRemindersRequest,
) -> Result<SendRemindersReport, AppError> {
    if request.subject.is_some() || request.body.is_some() {
        let check = Template {
            subject: request.subject.clone().unwrap_or_else(|| "x".into()),
            body: request.body.clone().unwrap_or_default(),
        };
        check.validate().map_err(|e| template_error(&e))?;
    }
    let mut mails = Vec::new();
    // Each queued mail's buyer, so a "already waiting" line can say whose it is.
    let mut buyers = Vec::new();
    let mut skipped = Vec::new();
    for id in &request.subscription_ids {
        let Some(sub) = cx
            .store()
            .get_subscription(domain::subscription::SubscriptionId(*id))?
        else {
            return Err(subscription_not_found(*id));
        };
        let kind = request
            .kind
            .map(reminder_from)
            .unwrap_or_else(|| kind_for(cx, &sub));
        match reminder_mail(
            cx,
            &sub,
            kind,
            request.subject.as_deref(),
            request.body.as_deref(),
            false,
        ) {
            Ok(m) => {
                mails.push(m);
                buyers.push(sub.buyer_name.clone());
            }
            Err(e) => skipped.push(SkippedReminder {
                subscription_id: *id,
                buyer_name: sub.buyer_name.clone(),
                reason: e.message,
            }),
        }
    }
    let queued_ids: Vec<i64> = mails
        .iter()
        .filter_map(|m| m.subscription.map(|s| s.0))
        .collect();
    let outcomes = queue_reminders(cx, mails)?;
    let mut queued = 0;
    let mut mail_ids = Vec::new();
    for ((outcome, id), buyer) in outcomes.iter().zip(queued_ids.iter()).zip(buyers) {
        match outcome {
            QueueOutcome::Queued(mail) => {
                queued += 1;
                mail_ids.push(*mail);
            }
            QueueOutcome::AlreadyQueued => skipped.push(SkippedReminder {
                subscription_id: *id,
                buyer_name: buyer,
                reason: Text::new(
                    "同じお知らせがすでに送信待ちです。",
                    "The same reminder is already waiting to be sent.",
                ),
            }),
        }
    }
    // Sent at once, so the screen says what really happened to each mail.
    let run = if mail_ids.is_empty() {
        None
    } else {
        Some(send_mail_queue(cx).await)
    };
    let (mut sent, mut failed, mut waiting) = (0, 0, 0);
    let mut problem = None;
    for id in mail_ids {
        match cx.store().mail(id)? {
            Some(m) if m.state == MailState::Sent => sent += 1,
            Some(m) if m.state == MailState::Failed => {
                failed += 1;
                if problem.is_none() {
                    problem = m.last_error.map(|e| failed_mail_error(&e));
                }
            }
            Some(m) if m.state == MailState::Queued => waiting += 1,
            _ => {}
        }
    }
    if problem.is_none() && (failed > 0 || waiting > 0) {
        problem = run.and_then(|r| r.problem);
    }
    tracing::info!(
        queued,
        sent,
        failed,
        waiting,
        skipped = skipped.len(),
        "reminders by hand"
    );
    Ok(SendRemindersReport {
        queued,
        sent,
        failed,
        waiting,
        problem,
        skipped,
    })
}

// -----------------------------------------------------------------------------------
// The queue.

/// The mail queue (newest first), optionally one state: `queued`, `sent`, `failed`,
/// `discarded`.
pub(crate) async fn list_mails(
    cx: &Context,
    state: Option<String>,
) -> Result<Vec<QueuedMailDto>, AppError> {
    let state = match state.as_deref() {
        None | Some("") => None,
        Some(s) => Some(
            MailState::from_code(s)
                .ok_or_else(|| AppError::of(ErrorCode::InvalidMailState).with("value", s))?,
        ),
    };
    Ok(cx.store().mails(state)?.iter().map(mail_dto).collect())
}

pub(crate) async fn retry_mail(cx: &Context, id: i64) -> Result<MailRunReport, AppError> {
    let now = cx.now();
    cx.store().retry_mail(MailId(id), now)?;
    Ok(send_mail_queue(cx).await)
}

pub(crate) async fn discard_mail(cx: &Context, id: i64) -> Result<Vec<QueuedMailDto>, AppError> {
    cx.store().discard_mail(MailId(id))?;
    cx.emit(crate::dto::events::DeskEvent::MailQueueChanged {});
    list_mails(cx, None).await
}

/// Sends every mail that is due now. A refusing or unreachable server marks the mail
/// failed with the error (it stays visible and is retried later); nothing is lost.
pub(crate) async fn send_mail_queue(cx: &Context) -> MailRunReport {
    let _one_at_a_time = cx.inner.subscriptions.sending.lock().await;
    let mut report = MailRunReport {
        sent: 0,
        failed: 0,
        problem: None,
    };
    if let Err(e) = prune_reminders(cx) {
        tracing::warn!(code = %e.code, "reminder pruning failed");
    }
    let now = cx.now();
    match cx
        .store()
        .settle_interrupted_mails(now, &interrupted_error(), &RULES)
    {
        Ok(ids) if !ids.is_empty() => {
            tracing::warn!(
                mails = ?ids.iter().map(|m| m.0).collect::<Vec<_>>(),
                "mails interrupted mid-send: not sent again automatically"
            );
        }
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "cannot settle interrupted mails"),
    }
    let due = match cx.store().mails_to_send(now, &RULES) {
        Ok(d) => d,
        Err(e) => {
            report.problem = Some(e.into());
            return report;
        }
    };
    if due.is_empty() {
        return report;
    }
    let mailer = match mailer(cx) {
        Ok(m) => m,
        Err(e) => {
            tracing::info!(code = %e.code, waiting = due.len(), "mails wait for SMTP settings");
            if !e.is(ErrorCode::SmtpNotConfigured) {
                record_attempt(cx, Some(&e), now);
            }
            report.problem = Some(e);
            return report;
        }
    };
    for m in due {
        // Claimed before the server sees it: if PayDesk stops before the outcome is
        // recorded, the mail is never handed over again automatically; another
        // process's attempt is left alone.
        match cx.store().claim_mail(m.id, cx.now()) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::error!(error = %e, "cannot claim a mail");
                continue;
            }
        }
        let outgoing = OutgoingMail {
            to: m.mail.to.clone(),
            to_name: None,
            subject: m.mail.subject.clone(),
            body: m.mail.body.clone(),
        };
        let result = mailer.send(&outgoing).await;
        let now = cx.now();
        match result {
            Ok(()) => {
                tracing::info!(mail = m.id.0, "mail sent");
                record_attempt(cx, None, now);
                let recorded = match m.mail.purpose {
                    MailPurpose::Order(_, kind) => cx.store().mark_order_mail_sent(
                        m.id,
                        now,
                        &domain::order_mail::sent_line(kind, &m.mail.to),
                    ),
                    _ => cx.store().mark_mail_sent(m.id, now),
                };
                if let MailPurpose::Order(order, _) = m.mail.purpose {
                    cx.orders_changed(&[order.0]);
                }
                if let Err(e) = recorded {
                    tracing::error!(error = %e, "cannot record a sent mail");
                }
                report.sent += 1;
            }
            Err(e) => {
                let error = send_error(&e);
                tracing::warn!(mail = m.id.0, code = e.code(), "mail not sent");
                let text = format!(
                    "[{}] {} / {}",
                    error.code, error.message.ja, error.message.en
                );
                if let Err(e) = cx.store().mark_mail_failed(m.id, &text, now, &RULES) {
                    tracing::error!(error = %e, "cannot record a failed mail");
                }
                record_attempt(cx, Some(&error), now);
                report.failed += 1;
                report.problem = Some(error);
            }
        }
    }
    cx.emit(crate::dto::events::DeskEvent::MailQueueChanged {});
    report
}

/// Waiting reminders stop by themselves once the buyer updated the card or a renewal
/// succeeded after they were queued.
fn prune_reminders(cx: &Context) -> Result<(), AppError> {
    let waiting: Vec<store::QueuedMail> = {
        let store = cx.store();
        let mut all = store.mails(Some(MailState::Queued))?;
        all.extend(store.mails(Some(MailState::Failed))?);
        all
    };
    for m in waiting {
        let (MailPurpose::Reminder(_), Some(customer), Some(sub_id)) = (
            m.mail.purpose,
            m.mail.customer_id.as_deref(),
            m.mail.subscription,
        ) else {
            continue;
        };
        let mut store = cx.store();
        let Some(sub) = store.get_subscription(sub_id)? else {
            continue;
        };
        let updated = store
            .stored_card(&sub.customer_id, &sub.customer_card_id)?
            .and_then(|c| c.updated_card_at)
            .is_some_and(|at| at > m.created_at);
        let renewed = store
            .last_successful_renewal(customer)?
            .is_some_and(|at| at > m.created_at);
        if updated || renewed || sub.status == SubscriptionStatus::Ended {
            let n = store.discard_reminders(customer)?;
            tracing::info!(
                discarded = n,
                updated,
                renewed,
                "waiting reminders no longer apply"
            );
        }
    }
    Ok(())
}

// -----------------------------------------------------------------------------------
// The schedule.

/// The scheduler's mail work: automatic reminders and the monthly summary when their
/// schedule says so, then the queue.
pub(crate) async fn scheduled_mail(cx: &Context, now: DateTime<Utc>) {
    if let Err(e) = automatic_reminders(cx, now) {
        tracing::warn!(code = %e.code, "automatic reminders failed");
    }
    if let Err(e) = monthly_summary_mail(cx, now).await {
        tracing::warn!(code = %e.code, "monthly summary failed");
    }
    send_mail_queue(cx).await;
}

/// Whether a schedule ran due since its last run; a first sight only records "now".
fn schedule_due(
    cx: &Context,
    schedule_key: &str,
    default: &str,
    last_key: &str,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let schedule = SendSchedule::from_code(
        &settings::setting(cx, schedule_key)?.unwrap_or_else(|| default.into()),
    )
    .unwrap_or(SendSchedule::Off);
    if schedule == SendSchedule::Off {
        return Ok(false);
    }
    let last = settings::setting(cx, last_key)?
        .and_then(|v| v.parse::<i64>().ok())
        .and_then(DateTime::from_timestamp_millis);
    let Some(last) = last else {
        cx.store()
            .set_setting(last_key, &now.timestamp_millis().to_string())?;
        return Ok(false);
    };
    Ok(schedule.is_due(Some(last), now))
}

fn automatic_reminders(cx: &Context, now: DateTime<Utc>) -> Result<(), AppError> {
    if !schedule_due(
        cx,
        keys::REMINDER_SCHEDULE,
        "off",
        keys::LAST_REMINDER_RUN,
        now,
    )? {
        return Ok(());
    }
    let today = japan_date(now);
    let subs = cx.store().live_subscriptions()?;
    let mut mails = Vec::new();
    for sub in subs.iter().filter(|s| s.buyer_email.is_some()) {
        let kind = match sub.card_expiry.map(|e| card_state(e, today, &RULES)) {
            Some(CardState::ExpiringSoon) => ReminderKind::ExpiringSoon,
            Some(CardState::Expired) => ReminderKind::Expired,
            _ => continue,
        };
        if let Ok(m) = reminder_mail(cx, sub, kind, None, None, false) {
            mails.push(m);
        }
    }
    let n = mails.len();
    if !mails.is_empty() {
        queue_reminders(cx, mails)?;
    }
    cx.store()
        .set_setting(keys::LAST_REMINDER_RUN, &now.timestamp_millis().to_string())?;
    tracing::info!(queued = n, "automatic reminders");
    Ok(())
}

async fn monthly_summary_mail(cx: &Context, now: DateTime<Utc>) -> Result<(), AppError> {
    if !schedule_due(
        cx,
        keys::SUMMARY_SCHEDULE,
        DEFAULT_SUMMARY_SCHEDULE,
        keys::LAST_SUMMARY_RUN,
        now,
    )? {
        return Ok(());
    }
    queue_monthly_summary(cx, now).await?;
    cx.store()
        .set_setting(keys::LAST_SUMMARY_RUN, &now.timestamp_millis().to_string())?;
    Ok(())
}

/// Queues the summary of the month before `now`'s (Japan) month to the shop.
pub(crate) async fn queue_monthly_summary(
    cx: &Context,
    now: DateTime<Utc>,
) -> Result<Option<i64>, AppError> {
    let today = japan_date(now);
    let (year, month) = if today.month() == 1 {
        (today.year() - 1, 12)
    } else {
        (today.year(), today.month() - 1)
    };
    let Some(to) =
        settings::setting(cx, keys::SUMMARY_TO)?.or(settings::setting(cx, keys::FROM_ADDRESS)?)
    else {
        tracing::info!("no address for the monthly summary");
        return Ok(None);
    };
    let (first, last) = store::subscriptions::month_bounds(year, month)
        .ok_or_else(|| AppError::internal(ErrorCode::BadMonth, "month out of range"))?;
    let (cycles, subs, lapsed) = {
        let store = cx.store();
        let mut q = store::ListQuery::list(domain::OrderList::Open, now);
        q.list = None;
        q.deadline = Some(store::DeadlineFilter::Lapsed);
        q.page_size = 10_000;
        let lapsed: Vec<LapsedOrder> = store
            .list_orders(&q)?
            .items
            .iter()
            .filter_map(|row| {
                row.deadline.map(|d| LapsedOrder {
                    amount: row.order.amount,
                    lapsed_at: d.at,
                })
            })
            .collect();
        (
            store.cycle_records(first, last)?,
            store.live_subscriptions()?,
            lapsed,
        )
    };
    let cards = domain::subscription::dashboard(&subs, today, &RULES);
    let summary = domain::subscription::monthly_summary(year, month, &cycles, &lapsed, &cards);
    let shop = settings::setting(cx, crate::settings::keys::SHOP_NAME)?.unwrap_or_default();
    let language = mail_language(cx);
    let mut rendered = mail::monthly_summary(&summary, &shop, language);
    let money = money_summary::money_summary(cx, first, last).await?;
    rendered
        .body
        .push_str(&mail::money_section(&money, language));
    let outcome = cx.store().queue_mails(
        &[NewMail {
            purpose: MailPurpose::MonthlySummary,
            customer_id: None,
            subscription: None,
            card_expiry: None,
            to,
            subject: rendered.subject,
            body: rendered.body,
        }],
        now,
    )?;
    tracing::info!(year, month, "monthly summary queued");
    cx.emit(crate::dto::events::DeskEvent::MailQueueChanged {});
    Ok(outcome.first().and_then(|o| match o {
        QueueOutcome::Queued(id) => Some(id.0),
        QueueOutcome::AlreadyQueued => None,
    }))
}

/// Queues last month's summary now (the settings screen's "send now" and tests).
pub(crate) async fn send_monthly_summary_now(cx: &Context) -> Result<MailRunReport, AppError> {
    let now = cx.now();
    if queue_monthly_summary(cx, now).await?.is_none() {
        return Err(smtp_not_configured());
    }
    Ok(send_mail_queue(cx).await)
}

/// See `keys::LAST_ATTEMPT`.
#[derive(serde::Serialize, serde::Deserialize)]
struct LastAttempt {
    ok: bool,
    at: i64,
    code: String,
    ja: String,
    en: String,
}

/// A failed mail's stored error (`[code] ja / en`) as the boundary error again.
pub(crate) fn failed_mail_error(stored: &str) -> AppError {
    let (code, rest) = stored
        .strip_prefix('[')
        .and_then(|r| r.split_once("] "))
        .unwrap_or((ErrorCode::SmtpFailed.as_str(), stored));
    let (ja, en) = rest.split_once(" / ").unwrap_or((rest, rest));
    AppError::foreign(code, Text::new(ja, en), None)
}

/// The error a mail interrupted mid-send keeps (`[code] ja / en`, as `failed_mail_error`
/// reads it back).
fn interrupted_error() -> String {
    format!(
        "{} 送信の途中でPayDeskが止まったため、購入者に届いている可能性があります。自動では再送しません。 / \
         PayDesk stopped while sending it, so the buyer may have it. It is not sent again automatically.",
        store::INTERRUPTED_PREFIX
    )
}

/// The table's words for [`ErrorCode::BuyerEmailMissing`], also a reminder's reason.
fn no_email_text() -> Text {
    AppError::from(AppError::of(ErrorCode::BuyerEmailMissing)).message
}

/// Wakes the scheduler now (settings changed, a subscription was edited).
pub(crate) fn nudge_subscriptions(cx: &Context) {
    cx.inner.subscriptions.wake.notify_one();
}

pub(crate) fn reminder_code(k: ReminderKind) -> ReminderKindCode {
    match k {
        ReminderKind::ExpiringSoon => ReminderKindCode::ExpiringSoon,
        ReminderKind::Expired => ReminderKindCode::Expired,
    }
}

pub(crate) fn reminder_from(k: ReminderKindCode) -> ReminderKind {
    match k {
        ReminderKindCode::ExpiringSoon => ReminderKind::ExpiringSoon,
        ReminderKindCode::Expired => ReminderKind::Expired,
    }
}

pub(crate) fn subscription_not_found(id: i64) -> AppError {
    AppError::of(ErrorCode::SubscriptionNotFound)
        .with("id", id)
        .into()
}
