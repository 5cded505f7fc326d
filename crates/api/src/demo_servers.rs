//! The seam between [`Desk`] and the demo (crate `demo`: the embedded simulator and relay
//! with sample data). Only development and test builds link that crate; a release build
//! has no [`DemoServers`], and [`Desk::open`] then refuses the demo with
//! [`unavailable`] before it creates or opens any folder.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;

use crate::dto::DemoStatus;
use crate::{AppError, Clock, Desk, Text};

/// What a demo step returns: a boxed future, so the traits stay object-safe.
pub type DemoFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, AppError>> + Send + 'a>>;

/// Starts the demo's servers (crate `demo`).
pub trait DemoServers: Send + Sync {
    /// Starts the servers with their state in `dir`, inside the demo's own data folder.
    fn start<'a>(&'a self, dir: &'a Path) -> DemoFuture<'a, Box<dyn RunningDemo>>;
}

/// The demo's running servers; dropping them stops them.
pub trait RunningDemo: Send + Sync {
    fn status(&self) -> DemoStatus;
    /// The simulator's clock, which the demo's desk follows.
    fn clock(&self) -> Arc<dyn Clock>;
    /// Connects the desk to the servers (settings and secrets as a shop enters them) and,
    /// on the first start, fills it with sample data.
    fn prepare<'a>(&'a self, desk: &'a Desk) -> DemoFuture<'a, ()>;
}

/// The refusal of `--demo` / `PAYDESK_DEMO=1` in a build without the demo.
pub fn unavailable() -> AppError {
    AppError::new(
        "demo_unavailable",
        Text::new(
            "この PayDesk にはデモが入っていません。お店のデータには何も触れていません。",
            "This build of PayDesk has no demo. The shop's data was not touched.",
        ),
        Some(Text::new(
            "デモは開発用のビルド（cargo xtask demo）で試せます。お店として使うには --demo と PAYDESK_DEMO を付けずに起動してください。",
            "The demo runs in a development build (cargo xtask demo). To use PayDesk for the shop, start it without --demo and PAYDESK_DEMO.",
        )),
    )
}
