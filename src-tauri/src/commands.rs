//! One thin function per Tauri command: pull state, call the API, return its DTO or its
//! `AppError`. No logic lives here.

use api::dto::{AppInfo, KeychainStatus, Language};
use api::{AppError, Desk};
use tauri::State;

#[tauri::command]
#[specta::specta]
pub fn app_info(desk: State<'_, Desk>) -> AppInfo {
    desk.app_info()
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
    Ok(language)
}
