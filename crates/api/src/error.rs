use serde::Serialize;
use specta::Type;

pub use crate::error_code::ErrorCode;

/// A message in both of the app's languages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Type)]
pub struct Text {
    pub ja: String,
    pub en: String,
}

impl Text {
    pub fn new(ja: &str, en: &str) -> Self {
        Text {
            ja: ja.to_owned(),
            en: en.to_owned(),
        }
    }
}

/// The one error that crosses the IPC boundary (and the CLI's output).
///
/// `code` is stable and what the UI switches on; `message` says what happened and `action`
/// what the shop owner can do, both in plain Japanese and English, filled in on the Rust
/// side from the one error dictionary. It never carries a secret: it is built from our own
/// error enums, never from a raw gateway body or a platform payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Type, thiserror::Error)]
#[error("{code}: {}", message.en)]
pub struct AppError {
    pub code: String,
    pub message: Text,
    pub action: Option<Text>,
}

impl AppError {
    /// An error of PayDesk's own, its words from the table in [`ErrorCode`]: give each
    /// `{placeholder}` of its texts a value with [`Filling::with`] (or [`Filling::with_each`]
    /// for one that differs per language), then `.into()` (or `?`) makes the error.
    pub fn of(code: ErrorCode) -> Filling {
        Filling {
            code,
            values: Vec::new(),
        }
    }

    /// An error whose code comes from another crate's own table (the gateway's error
    /// dictionary, the mail crate, the keychain, domain's refusals) or was stored earlier
    /// (a failed mail's), kept as it is. PayDesk's own codes go through [`ErrorCode`].
    pub fn foreign(code: &str, message: Text, action: Option<Text>) -> Self {
        AppError {
            code: code.to_owned(),
            message,
            action,
        }
    }

    /// Whether this is the error `code`.
    pub fn is(&self, code: ErrorCode) -> bool {
        self.code == code.as_str()
    }
}

impl From<secrets::SecretsError> for AppError {
    fn from(e: secrets::SecretsError) -> Self {
        use secrets::SecretsError as E;
        let (ja, action_ja, action_en) = match &e {
            E::Locked => (
                "OSのキーチェーンがロックされているか、アクセスが拒否されました。",
                "キーチェーンのロックを解除して(再ログインするか、キーチェーンアプリを開いて)やり直してください。",
                "Unlock the keychain (log in again or open the keychain app) and try again.",
            ),
            E::Unavailable { .. } => (
                "このパソコンでは OS のキーチェーンが使えません。加盟店の秘密情報を安全に保存できません。",
                "OSのキーチェーン(Windows: 資格情報マネージャー、macOS: キーチェーン、Linux: GNOME Keyring など)を有効にしてください。",
                "Enable the OS keychain (Windows Credential Manager, macOS Keychain, or a Secret Service such as GNOME Keyring on Linux).",
            ),
            E::Damaged { .. } => (
                "キーチェーンに保存された値が壊れています。",
                "設定画面で値をもう一度入力してください。",
                "Enter the value again in Settings.",
            ),
            E::Platform { .. } => (
                "キーチェーンの操作に失敗しました。",
                "パソコンを再起動してからもう一度お試しください。続く場合はサポートにご連絡ください。",
                "Restart the computer and try again; contact support if it persists.",
            ),
        };
        AppError::foreign(
            e.code(),
            Text::new(ja, &e.to_string()),
            Some(Text::new(action_ja, action_en)),
        )
    }
}

impl AppError {
    /// A problem on PayDesk's side (database, file, bug): an `internal` entry of the
    /// table. `detail` is English for the log and support; it must not hold a secret.
    pub fn internal(code: ErrorCode, detail: &str) -> Self {
        AppError::of(code).with("detail", detail).into()
    }

    /// An explanation from the one error dictionary.
    pub fn from_explanation(e: &paygent_codec::Explanation) -> Self {
        AppError::foreign(
            &e.code,
            Text::new(&e.ja, &e.en),
            Some(Text::new(&e.action_ja, &e.action_en)),
        )
    }

    /// A client error (gateway code or transport problem), explained by the dictionary.
    pub fn from_client(
        e: &paygent_client::ClientError,
        context: paygent_codec::ErrorContext,
    ) -> Self {
        AppError::from_explanation(&e.explain(context))
    }

    /// A rule refused the operation before anything was sent.
    pub fn from_refusal(r: &domain::Refusal) -> Self {
        let m = r.message();
        AppError::foreign(r.code(), Text::new(&m.ja, &m.en), None)
    }

    pub fn order_not_found(id: i64) -> Self {
        AppError::of(ErrorCode::OrderNotFound).with("id", id).into()
    }

    pub fn not_configured() -> Self {
        AppError::of(ErrorCode::NotConfigured).into()
    }
}

impl From<store::Error> for AppError {
    fn from(e: store::Error) -> Self {
        match e {
            store::Error::OrderNotFound(id) => AppError::order_not_found(id),
            store::Error::OperationUnsettled(_) => {
                AppError::from_refusal(&domain::Refusal::OperationUnsettled)
            }
            store::Error::TooNew { .. } => AppError::of(ErrorCode::DatabaseTooNew)
                .with("detail", &e)
                .into(),
            store::Error::DocumentNumberTaken(number) => {
                AppError::of(ErrorCode::DocumentNumberTaken)
                    .with("number", number)
                    .into()
            }
            other => {
                tracing::error!(error = %other, "store error");
                AppError::internal(ErrorCode::DatabaseError, &other.to_string())
            }
        }
    }
}

/// An [`AppError::of`] being given its values; `.into()` makes the error.
#[must_use = "an error is made by `.into()` (or `?`)"]
pub struct Filling {
    code: ErrorCode,
    /// (name, Japanese value, English value)
    values: Vec<(&'static str, String, String)>,
}

impl Filling {
    /// The value of `{name}`, the same in both languages.
    pub fn with(self, name: &'static str, value: impl std::fmt::Display) -> Self {
        let value = value.to_string();
        self.with_each(name, value.clone(), value)
    }

    /// The value of `{name}` in Japanese and in English.
    pub fn with_each(
        mut self,
        name: &'static str,
        ja: impl std::fmt::Display,
        en: impl std::fmt::Display,
    ) -> Self {
        self.values.push((name, ja.to_string(), en.to_string()));
        self
    }

    /// The value of `{name}`: a text in both languages (a reason from domain, a list).
    pub fn with_text(self, name: &'static str, text: &Text) -> Self {
        self.with_each(name, &text.ja, &text.en)
    }
}

impl From<Filling> for AppError {
    /// Fills the code's texts. A placeholder without a value, or a value without a
    /// placeholder, is a bug at the call site: a debug build (every test) stops on it; a
    /// release build leaves the placeholder out, so the shop never sees `{x}`.
    fn from(f: Filling) -> Self {
        let code = f.code;
        let (error, problem) = f.fill();
        if let Some(problem) = problem {
            tracing::error!(%code, %problem, "an error's placeholders do not match its values");
            debug_assert!(false, "{code:?}: {problem}");
        }
        error
    }
}

impl Filling {
    /// The error, and what did not match between the texts' placeholders and the values.
    fn fill(self) -> (AppError, Option<String>) {
        let f = self;
        let texts = f.code.texts();
        let mut missing = Vec::new();
        let mut fill = |text: &str, ja: bool| {
            let (filled, lacking) = crate::error_code::fill(text, |name| {
                f.values
                    .iter()
                    .find(|(n, ..)| *n == name)
                    .map(|(_, j, e)| if ja { j.as_str() } else { e.as_str() })
            });
            missing.extend(lacking);
            filled
        };
        let message = Text {
            ja: fill(texts.message.0, true),
            en: fill(texts.message.1, false),
        };
        let action = texts.next.map(|(ja, en)| Text {
            ja: fill(ja, true),
            en: fill(en, false),
        });
        let used: Vec<&str> = [Some(texts.message), texts.next]
            .into_iter()
            .flatten()
            .flat_map(|(ja, en)| {
                let mut names = crate::error_code::placeholders(ja);
                names.extend(crate::error_code::placeholders(en));
                names
            })
            .collect();
        let unknown: Vec<&str> = f
            .values
            .iter()
            .map(|(n, ..)| *n)
            .filter(|n| !used.contains(n))
            .collect();
        let problem = (!missing.is_empty() || !unknown.is_empty())
            .then(|| format!("no value for {missing:?}, no placeholder for {unknown:?}"));
        (AppError::foreign(f.code.as_str(), message, action), problem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_filled_from_the_table_with_its_values() {
        let e: AppError = AppError::of(ErrorCode::OrderNotFound).with("id", 42).into();
        assert_eq!(e.code, "order_not_found");
        assert_eq!(
            e.message,
            Text::new(
                "受注 42 が見つかりません。一覧を再読み込みしてください。",
                "Order 42 was not found. Reload the list."
            )
        );
        assert_eq!(e.action, None);
        assert_eq!(e, AppError::order_not_found(42));
    }

    #[test]
    fn a_value_may_differ_per_language_and_fills_the_next_step_too() {
        let e: AppError = AppError::of(ErrorCode::InsecureUrl)
            .with_each("what", "中継サーバー", "relay")
            .with_text("secret", &Text::new("端末トークン", "desktop token"))
            .into();
        assert!(
            e.message.ja.starts_with("中継サーバーのURLは"),
            "{}",
            e.message.ja
        );
        assert!(
            e.message.en.contains("the desktop token would travel"),
            "{}",
            e.message.en
        );
        let action = e.action.expect("a next step");
        assert_eq!(
            action.ja,
            "設定画面で中継サーバーのURLを https:// で入力し直してください。"
        );
        assert_eq!(action.en, "Enter the relay URL with https:// in Settings.");
    }

    #[test]
    fn a_second_wording_keeps_the_codes_wire_string() {
        let e: AppError = AppError::of(ErrorCode::FeeRateTooHigh).into();
        assert_eq!(e.code, "invalid_fee_rate");
        assert!(e.is(ErrorCode::InvalidFeeRate));
        assert_eq!(
            e.message.en,
            "The fee rate is too high; check it is a percentage."
        );
    }

    #[test]
    fn a_missing_or_unknown_value_is_reported_and_never_shown_as_braces() {
        let (e, problem) = AppError::of(ErrorCode::TrackingNumberTaken)
            .with("number", "1234567890")
            .with("orderr", 7)
            .fill();
        let problem = problem.expect("a problem");
        assert!(problem.contains("\"order\""), "{problem}");
        assert!(problem.contains("\"orderr\""), "{problem}");
        assert!(
            !e.message.ja.contains('{') && !e.message.en.contains('{'),
            "{e:?}"
        );
        assert_eq!(
            e.message.en,
            "Tracking number 1234567890 is already recorded on order ."
        );
    }

    #[test]
    #[should_panic(expected = "no value for")]
    fn a_debug_build_stops_on_a_missing_value() {
        let _: AppError = AppError::of(ErrorCode::OrderNotFound).into();
    }

    #[test]
    fn every_code_fills_whole_when_each_placeholder_has_a_value() {
        for code in ErrorCode::ALL {
            let t = code.texts();
            let mut names: Vec<&str> = [Some(t.message), t.next]
                .into_iter()
                .flatten()
                .flat_map(|(ja, en)| {
                    let mut n = crate::error_code::placeholders(ja);
                    n.extend(crate::error_code::placeholders(en));
                    n
                })
                .collect();
            names.sort_unstable();
            names.dedup();
            let mut filling = AppError::of(*code);
            for name in names {
                filling = filling.with_each(name, "値", "value");
            }
            let (e, problem) = filling.fill();
            assert_eq!(problem, None, "{code:?}");
            assert_eq!(e.code, code.as_str());
            for text in [Some(&e.message), e.action.as_ref()].into_iter().flatten() {
                assert!(!text.ja.is_empty() && !text.en.is_empty(), "{code:?}");
                assert!(
                    !text.ja.contains('{') && !text.en.contains('{'),
                    "{code:?}: {text:?}"
                );
            }
        }
    }

    #[test]
    fn an_internal_problem_carries_its_detail_in_both_languages() {
        let e = AppError::internal(ErrorCode::CsvWrite, "disk full");
        assert_eq!(e.code, "csv_write");
        assert_eq!(
            e.message.ja,
            "PayDesk の内部でエラーが起きました（disk full）。"
        );
        assert_eq!(e.message.en, "PayDesk hit an internal problem: disk full.");
        assert!(e.action.is_some());
    }
}
