//! The types that cross the IPC boundary. Each derives `specta::Type`, so
//! `ui/src/bindings.ts` is generated from them; a test fails when that file is stale.

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::AppError;

#[derive(Clone, Debug, Serialize, Type)]
pub struct AppInfo {
    pub name: String,
    pub version: String,
    pub identifier: String,
    /// The keychain namespace this build uses (shown in Settings so a shop owner can find
    /// the entries in the OS keychain app).
    pub keychain_namespace: String,
    pub build: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Ja,
    En,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct KeychainStatus {
    pub available: bool,
    pub problem: Option<AppError>,
}
