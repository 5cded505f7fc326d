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
use crate::dto::guide::{
    GuideGatewayResult, GuideMailResult, GuideNotificationsInput, GuideNotificationsResult,
    GuideStatusCode, GuideStepStateCode, SetupGuide,
};
use crate::dto::subscriptions::SmtpSettingsInput;
use crate::dto::{ConnectionTestInput, CredentialsInput, SettingsInput};
use crate::{AppError, Desk, Text};

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

/// A step taken before the one it needs.
fn step_order(ja: &str, en: &str) -> AppError {
    AppError::new(
        ErrorCode::GuideStepOrder,
        Text::new(ja, en),
        Some(Text::new(
            "前の手順に戻り、テストが成功してから進んでください。",
            "Go back to the previous step and continue once its test has passed.",
        )),
    )
}

impl Desk {
    fn guide_set(&self, key: &str, value: &str) -> Result<(), AppError> {
        self.store().set_setting(key, value)?;
        Ok(())
    }

    fn guide_step(&self, key: &str) -> Result<GuideStepStateCode, AppError> {
        Ok(step_of(self.setting(key)?.as_deref()))
    }

    pub(crate) fn guide_dto(&self) -> Result<SetupGuide, AppError> {
        let status = status_of(self.setting(keys::STATUS)?.as_deref());
        // A desk set up in Settings before the guide existed (its environment was saved
        // there) is not sent through it; the demo never is. The keychain is not asked:
        // entries left by an earlier install do not make a new data folder set up.
        let opens_at_start = !self.is_demo()
            && match status {
                GuideStatusCode::InProgress => true,
                GuideStatusCode::NotStarted => {
                    self.setting(crate::settings::keys::ENVIRONMENT)?.is_none()
                }
                GuideStatusCode::Skipped | GuideStatusCode::Finished => false,
            };
        Ok(SetupGuide {
            status,
            opens_at_start,
            gateway: self.guide_step(keys::GATEWAY)?,
            notifications: self.guide_step(keys::NOTIFICATIONS)?,
            mail: self.guide_step(keys::MAIL)?,
        })
    }

    /// The guide is being worked through (it reopens at the next start until finished or
    /// skipped).
    pub(crate) fn guide_open(&self) -> Result<SetupGuide, AppError> {
        if self.guide_dto()?.status != GuideStatusCode::Finished {
            self.guide_set(keys::STATUS, status_str(GuideStatusCode::InProgress))?;
        }
        self.guide_dto()
    }

    /// "Set up later": the guide stays closed until reopened from Settings.
    pub async fn skip_setup_guide(&self) -> Result<SetupGuide, AppError> {
        self.guide_set(keys::STATUS, status_str(GuideStatusCode::Skipped))?;
        tracing::info!("setup guide skipped");
        self.guide_dto()
    }

    /// Step 1: tests the typed connection values; saves them (secrets to the keychain) only
    /// when the test passed.
    pub async fn guide_gateway(
        &self,
        mut input: ConnectionTestInput,
    ) -> Result<GuideGatewayResult, AppError> {
        self.guide_open()?;
        input.settings.relay_url = None;
        input.credentials.relay_token = None;
        input.credentials.hash_key = None;
        let test = self.run_connection_test(Some(&input)).await?;
        let state = if test.ok {
            self.save_settings_input(input.settings)?;
            self.save_credentials_input(input.credentials)?;
            self.inner.sync.nudge();
            GuideStepStateCode::Done
        } else {
            GuideStepStateCode::Todo
        };
        self.guide_set(keys::GATEWAY, step_str(state))?;
        tracing::info!(passed = test.ok, "setup guide: gateway step tested");
        Ok(GuideGatewayResult {
            test,
            guide: self.guide_dto()?,
        })
    }

    /// Step 2: a relay proven by the relay test, or none.
    pub async fn guide_notifications(
        &self,
        input: GuideNotificationsInput,
    ) -> Result<GuideNotificationsResult, AppError> {
        if self.guide_step(keys::GATEWAY)? != GuideStepStateCode::Done {
            return Err(step_order(
                "先に「ペイジェントへの接続」の手順を終えてください（接続テストの成功が必要です）。",
                "Finish the step \"Connection to Paygent\" first (its connection test must pass).",
            ));
        }
        self.guide_open()?;
        let hash_key = input.hash_key.filter(|k| !k.trim().is_empty());
        if !input.use_relay {
            self.save_settings_input(SettingsInput {
                relay_url: Some(String::new()),
                ..SettingsInput::default()
            })?;
            if hash_key.is_some() {
                self.save_credentials_input(CredentialsInput {
                    hash_key,
                    ..CredentialsInput::default()
                })?;
            }
            self.inner.sync.nudge();
            self.guide_set(keys::NOTIFICATIONS, step_str(GuideStepStateCode::NotUsed))?;
            return Ok(GuideNotificationsResult {
                relay: None,
                guide: self.guide_dto()?,
            });
        }
        let url = input.relay_url.as_deref().map(str::trim).unwrap_or("");
        if url.is_empty() {
            return Err(AppError::refused(
                ErrorCode::GuideRelayUrlMissing,
                Text::new(
                    "中継サーバー（リレー）のURLを入力してください。リレーを使わない場合は「リレーを使わない」を選んでください。",
                    "Enter the relay's URL, or choose \"No relay\".",
                ),
            ));
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
        let relay = self.test_relay(Some(&form)).await;
        let passed = relay.as_ref().is_some_and(|r| r.ok);
        let state = if passed {
            self.save_settings_input(form.settings)?;
            self.save_credentials_input(CredentialsInput {
                relay_token: input.relay_token,
                hash_key,
                ..CredentialsInput::default()
            })?;
            self.inner.sync.nudge();
            GuideStepStateCode::Done
        } else {
            GuideStepStateCode::Todo
        };
        self.guide_set(keys::NOTIFICATIONS, step_str(state))?;
        tracing::info!(passed, "setup guide: relay step tested");
        Ok(GuideNotificationsResult {
            relay,
            guide: self.guide_dto()?,
        })
    }

    /// Step 3: e-mail proven by the SMTP test, or later (`None`).
    pub async fn guide_mail(
        &self,
        input: Option<SmtpSettingsInput>,
    ) -> Result<GuideMailResult, AppError> {
        if self.guide_step(keys::NOTIFICATIONS)? == GuideStepStateCode::Todo
            || self.guide_step(keys::GATEWAY)? != GuideStepStateCode::Done
        {
            return Err(step_order(
                "先に「決済通知」の手順を終えてください（リレーを使う場合はそのテストの成功が必要です）。",
                "Finish the step \"Payment notifications\" first (with a relay, its test must pass).",
            ));
        }
        self.guide_open()?;
        let Some(form) = input else {
            self.guide_set(keys::MAIL, step_str(GuideStepStateCode::NotUsed))?;
            return Ok(GuideMailResult {
                test: None,
                guide: self.guide_dto()?,
            });
        };
        let test = self.test_smtp(Some(form.clone())).await?;
        let state = if test.ok {
            self.save_smtp_settings(form).await?;
            GuideStepStateCode::Done
        } else {
            GuideStepStateCode::Todo
        };
        self.guide_set(keys::MAIL, step_str(state))?;
        tracing::info!(passed = test.ok, "setup guide: mail step tested");
        Ok(GuideMailResult {
            test: Some(test),
            guide: self.guide_dto()?,
        })
    }

    /// "Done", refused while a step is open or the saved settings fail their test.
    pub async fn finish_setup_guide(&self) -> Result<SetupGuide, AppError> {
        let guide = self.guide_dto()?;
        if guide.gateway != GuideStepStateCode::Done
            || guide.notifications == GuideStepStateCode::Todo
            || guide.mail == GuideStepStateCode::Todo
        {
            return Err(step_order(
                "まだ終わっていない手順があります。各手順のテストが成功してから完了できます。",
                "A step is not finished yet: the guide can be completed once each step's test has passed.",
            ));
        }
        let test = self.run_connection_test(None).await?;
        let relay_failed = test.relay.as_ref().is_some_and(|r| !r.ok);
        if !test.ok || relay_failed {
            let (state, what) = if test.ok {
                (keys::NOTIFICATIONS, test.relay.map(|r| r.message))
            } else {
                (keys::GATEWAY, Some(test.message))
            };
            self.guide_set(state, step_str(GuideStepStateCode::Todo))?;
            let what = what.unwrap_or_else(|| Text::new("", ""));
            return Err(AppError::new(
                ErrorCode::GuideTestFailed,
                Text::new(
                    &format!(
                        "保存した設定でのテストが失敗したため、まだ完了できません：{}",
                        what.ja
                    ),
                    &format!(
                        "Not done yet: the test with the saved settings failed: {}",
                        what.en
                    ),
                ),
                Some(Text::new(
                    "その手順に戻って値を確かめ、もう一度テストしてください。",
                    "Go back to that step, check the values and test again.",
                )),
            ));
        }
        self.guide_set(keys::STATUS, status_str(GuideStatusCode::Finished))?;
        tracing::info!("setup guide finished");
        self.guide_dto()
    }
}
