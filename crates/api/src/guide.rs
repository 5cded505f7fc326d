//! The setup guide: a shop's first start walks through the connection to Paygent, payment
//! notifications (a relay, or none) and e-mail, one step at a time.
//!
//! Layout: each step tests the values typed in it with the checks Settings already has
//! (the connection test, the relay test, the SMTP test) and saves them through Settings'
//! own path (non-secret values to the store, secrets to the keychain) only when the test
//! passed; a failed test saves nothing and puts the step back to "todo". The guide's
//! progress is four rows of the store's settings table. "Finish" tests the saved settings
//! once more, so the guide never says "done" over a connection that does not work.

use crate::ErrorCode;
use crate::context::Context;
use crate::dto::guide::{
    GuideGatewayResult, GuideMailResult, GuideNotificationsInput, GuideNotificationsResult,
    GuideStatusCode, GuideStepStateCode, SetupGuide,
};
use crate::dto::subscriptions::SmtpSettingsInput;
use crate::dto::{ConnectionTestInput, CredentialsInput, SettingsInput};
use crate::mailing;
use crate::settings;
use crate::{AppError, Text};

mod keys {
    pub const STATUS: &str = "guide_status";
    pub const GATEWAY: &str = "guide_gateway";
    pub const NOTIFICATIONS: &str = "guide_notifications";
    pub const MAIL: &str = "guide_mail";
}

fn status_of(value: Option<&str>) -> GuideStatusCode {
    match value {
        Some("in_progress") => GuideStatusCode::InProgress,
        Some("skipped") => GuideStatusCode::Skipped,
        Some("finished") => GuideStatusCode::Finished,
        _ => GuideStatusCode::NotStarted,
    }
}

fn status_str(status: GuideStatusCode) -> &'static str {
    match status {
        GuideStatusCode::NotStarted => "not_started",
        GuideStatusCode::InProgress => "in_progress",
        GuideStatusCode::Skipped => "skipped",
        GuideStatusCode::Finished => "finished",
    }
}

fn step_of(value: Option<&str>) -> GuideStepStateCode {
    match value {
        Some("done") => GuideStepStateCode::Done,
        Some("not_used") => GuideStepStateCode::NotUsed,
        _ => GuideStepStateCode::Todo,
    }
}

fn step_str(state: GuideStepStateCode) -> &'static str {
    match state {
        GuideStepStateCode::Todo => "todo",
        GuideStepStateCode::Done => "done",
        GuideStepStateCode::NotUsed => "not_used",
    }
}

fn guide_set(cx: &Context, key: &str, value: &str) -> Result<(), AppError> {
    cx.store().set_setting(key, value)?;
    Ok(())
}

fn guide_step(cx: &Context, key: &str) -> Result<GuideStepStateCode, AppError> {
    Ok(step_of(settings::setting(cx, key)?.as_deref()))
}

pub(crate) fn setup_guide(cx: &Context) -> Result<SetupGuide, AppError> {
    let status = status_of(settings::setting(cx, keys::STATUS)?.as_deref());
    // A desk set up in Settings before the guide existed (its environment was saved
    // there) is not sent through it; the demo never is. The keychain is not asked:
    // entries left by an earlier install do not make a new data folder set up.
    let opens_at_start = !cx.is_demo()
        && match status {
            GuideStatusCode::InProgress => true,
            GuideStatusCode::NotStarted => {
                settings::setting(cx, crate::settings::keys::ENVIRONMENT)?.is_none()
            }
            GuideStatusCode::Skipped | GuideStatusCode::Finished => false,
        };
    Ok(SetupGuide {
        status,
        opens_at_start,
        gateway: guide_step(cx, keys::GATEWAY)?,
        notifications: guide_step(cx, keys::NOTIFICATIONS)?,
        mail: guide_step(cx, keys::MAIL)?,
    })
}

/// The guide is being worked through (it reopens at the next start until finished or
/// skipped).
pub(crate) fn open_setup_guide(cx: &Context) -> Result<SetupGuide, AppError> {
    if setup_guide(cx)?.status != GuideStatusCode::Finished {
        guide_set(cx, keys::STATUS, status_str(GuideStatusCode::InProgress))?;
    }
    setup_guide(cx)
}

/// "Set up later": the guide stays closed until reopened from Settings.
pub(crate) async fn skip_setup_guide(cx: &Context) -> Result<SetupGuide, AppError> {
    guide_set(cx, keys::STATUS, status_str(GuideStatusCode::Skipped))?;
    tracing::info!("setup guide skipped");
    setup_guide(cx)
}

/// Step 1: tests the typed connection values; saves them (secrets to the keychain) only
/// when the test passed.
pub(crate) async fn guide_gateway(
    cx: &Context,
    mut input: ConnectionTestInput,
) -> Result<GuideGatewayResult, AppError> {
    open_setup_guide(cx)?;
    input.settings.relay_url = None;
    input.credentials.relay_token = None;
    input.credentials.hash_key = None;
    let test = settings::test_connection(cx, Some(&input)).await?;
    let state = if test.ok {
        settings::save_settings_input(cx, input.settings)?;
        settings::save_credentials_input(cx, input.credentials)?;
        cx.inner.sync.nudge();
        GuideStepStateCode::Done
    } else {
        GuideStepStateCode::Todo
    };
    guide_set(cx, keys::GATEWAY, step_str(state))?;
    tracing::info!(passed = test.ok, "setup guide: gateway step tested");
    Ok(GuideGatewayResult {
        test,
        guide: setup_guide(cx)?,
    })
}

/// Step 2: a relay proven by the relay test, or none.
pub(crate) async fn guide_notifications(
    cx: &Context,
    input: GuideNotificationsInput,
) -> Result<GuideNotificationsResult, AppError> {
    if guide_step(cx, keys::GATEWAY)? != GuideStepStateCode::Done {
        return Err(AppError::of(ErrorCode::GuideStepOrder).into());
    }
    open_setup_guide(cx)?;
    let hash_key = input.hash_key.filter(|k| !k.trim().is_empty());
    if !input.use_relay {
        settings::save_settings_input(
            cx,
            SettingsInput {
                relay_url: Some(String::new()),
                ..SettingsInput::default()
            },
        )?;
        if hash_key.is_some() {
            settings::save_credentials_input(
                cx,
                CredentialsInput {
                    hash_key,
                    ..CredentialsInput::default()
                },
            )?;
        }
        cx.inner.sync.nudge();
        guide_set(
            cx,
            keys::NOTIFICATIONS,
            step_str(GuideStepStateCode::NotUsed),
        )?;
        return Ok(GuideNotificationsResult {
            relay: None,
            guide: setup_guide(cx)?,
        });
    }
    let url = input.relay_url.as_deref().map(str::trim).unwrap_or("");
    if url.is_empty() {
        return Err(AppError::of(ErrorCode::GuideRelayUrlMissing).into());
    }
    let form = ConnectionTestInput {
        settings: SettingsInput {
            relay_url: Some(url.to_owned()),
            ..SettingsInput::default()
        },
        credentials: CredentialsInput {
            relay_token: input.relay_token.clone(),
            ..CredentialsInput::default()
        },
    };
    let relay = settings::test_relay(cx, Some(&form)).await;
    let passed = relay.as_ref().is_some_and(|r| r.ok);
    let state = if passed {
        settings::save_settings_input(cx, form.settings)?;
        settings::save_credentials_input(
            cx,
            CredentialsInput {
                relay_token: input.relay_token,
                hash_key,
                ..CredentialsInput::default()
            },
        )?;
        cx.inner.sync.nudge();
        GuideStepStateCode::Done
    } else {
        GuideStepStateCode::Todo
    };
    guide_set(cx, keys::NOTIFICATIONS, step_str(state))?;
    tracing::info!(passed, "setup guide: relay step tested");
    Ok(GuideNotificationsResult {
        relay,
        guide: setup_guide(cx)?,
    })
}

/// Step 3: e-mail proven by the SMTP test, or later (`None`).
pub(crate) async fn guide_mail(
    cx: &Context,
    input: Option<SmtpSettingsInput>,
) -> Result<GuideMailResult, AppError> {
    if guide_step(cx, keys::NOTIFICATIONS)? == GuideStepStateCode::Todo
        || guide_step(cx, keys::GATEWAY)? != GuideStepStateCode::Done
    {
        return Err(AppError::of(ErrorCode::GuideNotificationsFirst).into());
    }
    open_setup_guide(cx)?;
    let Some(form) = input else {
        guide_set(cx, keys::MAIL, step_str(GuideStepStateCode::NotUsed))?;
        return Ok(GuideMailResult {
            test: None,
            guide: setup_guide(cx)?,
        });
    };
    let test = mailing::test_smtp(cx, Some(form.clone())).await?;
    let state = if test.ok {
        mailing::save_smtp_settings(cx, form).await?;
        GuideStepStateCode::Done
    } else {
        GuideStepStateCode::Todo
    };
    guide_set(cx, keys::MAIL, step_str(state))?;
    tracing::info!(passed = test.ok, "setup guide: mail step tested");
    Ok(GuideMailResult {
        test: Some(test),
        guide: setup_guide(cx)?,
    })
}

/// "Done", refused while a step is open or the saved settings fail their test.
pub(crate) async fn finish_setup_guide(cx: &Context) -> Result<SetupGuide, AppError> {
    let guide = setup_guide(cx)?;
    if guide.gateway != GuideStepStateCode::Done
        || guide.notifications == GuideStepStateCode::Todo
        || guide.mail == GuideStepStateCode::Todo
    {
        return Err(AppError::of(ErrorCode::GuideStepsUnfinished).into());
    }
    let test = settings::test_connection(cx, None).await?;
    let relay_failed = test.relay.as_ref().is_some_and(|r| !r.ok);
    if !test.ok || relay_failed {
        let (state, what) = if test.ok {
            (keys::NOTIFICATIONS, test.relay.map(|r| r.message))
        } else {
            (keys::GATEWAY, Some(test.message))
        };
        guide_set(cx, state, step_str(GuideStepStateCode::Todo))?;
        let what = what.unwrap_or_else(|| Text::new("", ""));
        return Err(AppError::of(ErrorCode::GuideTestFailed)
            .with_text("reason", &what)
            .into());
    }
    guide_set(cx, keys::STATUS, status_str(GuideStatusCode::Finished))?;
    tracing::info!("setup guide finished");
    setup_guide(cx)
}
