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
    /// An error with one of PayDesk's own codes.
    pub fn new(code: ErrorCode, message: Text, action: Option<Text>) -> Self {
        AppError::foreign(code.as_str(), message, action)
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
    /// A problem on PayDesk's side (database, file, bug). `detail` is English for the log
    /// and support; it must not hold a secret.
    pub fn internal(code: ErrorCode, detail: &str) -> Self {
        AppError::new(
            code,
            Text::new(
                &format!("PayDesk の内部でエラーが起きました（{detail}）。"),
                &format!("PayDesk hit an internal problem: {detail}."),
            ),
            Some(Text::new(
                "もう一度お試しください。続く場合はサポートにご連絡ください。",
                "Try again; contact support if it persists.",
            )),
        )
    }

    /// A plain refusal with its own text.
    pub fn refused(code: ErrorCode, message: Text) -> Self {
        AppError::new(code, message, None)
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
        AppError::new(
            ErrorCode::OrderNotFound,
            Text::new(
                &format!("受注 {id} が見つかりません。一覧を再読み込みしてください。"),
                &format!("Order {id} was not found. Reload the list."),
            ),
            None,
        )
    }

    pub fn not_configured() -> Self {
        AppError::new(
            ErrorCode::NotConfigured,
            Text::new(
                "ペイジェントの接続情報（マーチャントID・接続ID・接続パスワード・クライアント証明書）がまだ設定されていません。",
                "Paygent's connection details (merchant ID, connect ID, connect password, client certificate) are not set yet.",
            ),
            Some(Text::new(
                "設定画面で接続情報を入力し、「接続テスト」を押してください。",
                "Enter them in Settings and press \"Test connection\".",
            )),
        )
    }
}

impl From<store::Error> for AppError {
    fn from(e: store::Error) -> Self {
        match e {
            store::Error::OrderNotFound(id) => AppError::order_not_found(id),
            store::Error::OperationUnsettled(_) => {
                AppError::from_refusal(&domain::Refusal::OperationUnsettled)
            }
            store::Error::TooNew { .. } => AppError::new(
                ErrorCode::DatabaseTooNew,
                Text::new(
                    "このデータは新しいバージョンの PayDesk で作られています。PayDesk を更新してください。",
                    &e.to_string(),
                ),
                None,
            ),
            store::Error::DocumentNumberTaken(number) => AppError::new(
                ErrorCode::DocumentNumberTaken,
                Text::new(
                    &format!(
                        "同じ帳票（{number}）がたった今、別の画面かコマンドで発行されました。ファイルは作っていません。"
                    ),
                    &format!(
                        "The same document ({number}) was issued a moment ago from another window or the command line. No file was made."
                    ),
                ),
                Some(Text::new(
                    "もう一度発行すると、次の番号の再発行になります。",
                    "Issue it again to get the next number, marked 再発行.",
                )),
            ),
            other => {
                tracing::error!(error = %other, "store error");
                AppError::internal(ErrorCode::DatabaseError, &other.to_string())
            }
        }
    }
}
