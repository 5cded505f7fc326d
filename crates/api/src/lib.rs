//! PayDesk's host-agnostic API.
//!
//! Layout: [`Desk`] is the application's state and the one entry point the Tauri commands
//! (`src-tauri`), the command-line entry and the tests call. [`dto`] holds the only types
//! that cross the IPC boundary (they derive `Serialize` and `specta::Type`, so the
//! frontend's TypeScript types are generated from them); [`AppError`] is the one error
//! that crosses it. Domain and gateway types never cross: each DTO is converted by hand.

pub mod dto;
mod error;

pub use error::{AppError, Text};

use dto::{AppInfo, KeychainStatus, Language};
use secrets::Keychain;

/// Which build this is; it picks the keychain namespace so that test and dev builds never
/// read or overwrite the release app's secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Build {
    Release,
    Dev,
    Test,
}

/// The application: one per process.
pub struct Desk {
    identifier: String,
    version: String,
    build: Build,
    keychain: Keychain,
}

impl Desk {
    /// `identifier` is the bundle identifier (`jp.paydesk.app`); the keychain namespace is
    /// derived from it and the build.
    pub fn new(identifier: &str, version: &str, build: Build) -> Self {
        let namespace = match build {
            Build::Release => identifier.to_owned(),
            Build::Dev => format!("{identifier}.dev"),
            Build::Test => format!("{identifier}.test"),
        };
        Desk {
            identifier: identifier.to_owned(),
            version: version.to_owned(),
            build,
            keychain: Keychain::new(namespace),
        }
    }

    pub fn app_info(&self) -> AppInfo {
        AppInfo {
            name: "PayDesk".into(),
            version: self.version.clone(),
            identifier: self.identifier.clone(),
            keychain_namespace: self.keychain.namespace().to_owned(),
            build: match self.build {
                Build::Release => "release",
                Build::Dev => "dev",
                Build::Test => "test",
            }
            .into(),
        }
    }

    /// Whether the OS keychain can hold merchant secrets; the home screen warns if not.
    pub fn keychain_status(&self) -> KeychainStatus {
        match self.keychain.probe() {
            Ok(()) => KeychainStatus {
                available: true,
                problem: None,
            },
            Err(e) => KeychainStatus {
                available: false,
                problem: Some(AppError::from(e)),
            },
        }
    }

    pub fn keychain(&self) -> &Keychain {
        &self.keychain
    }

    /// Validates a language choice coming from the UI or the CLI.
    pub fn parse_language(code: &str) -> Result<Language, AppError> {
        match code {
            "ja" => Ok(Language::Ja),
            "en" => Ok(Language::En),
            other => Err(AppError::new(
                "invalid_language",
                Text::new(
                    &format!(
                        "「{other}」は使えない言語です。日本語(ja)か英語(en)を選んでください。"
                    ),
                    &format!(
                        "\"{other}\" is not a supported language; choose Japanese (ja) or English (en)."
                    ),
                ),
                None,
            )),
        }
    }
}
