use serde::Serialize;
use specta::Type;

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
    pub fn new(code: &str, message: Text, action: Option<Text>) -> Self {
        AppError {
            code: code.to_owned(),
            message,
            action,
        }
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
        AppError::new(
            e.code(),
            Text::new(ja, &e.to_string()),
            Some(Text::new(action_ja, action_en)),
        )
    }
}
