//! The host-agnostic API, exercised the way the Tauri commands and the CLI use it.

mod boundary;
