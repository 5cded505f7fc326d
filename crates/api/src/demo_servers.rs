//! The seam between [`Desk`](crate::Desk) and the demo (crate `demo`: the embedded simulator and relay
//! with sample data). Only development and test builds link that crate; a release build
//! has no [`DemoServers`], and [`Desk::open`](crate::Desk::open) then refuses the demo with
//! [`unavailable`] before it creates or opens any folder.

use crate::ErrorCode;
pub use crate::context::{DemoFuture, DemoServers, RunningDemo};
use crate::error::AppError;

/// The refusal of `--demo` / `PAYDESK_DEMO=1` in a build without the demo.
pub fn unavailable() -> AppError {
    AppError::of(ErrorCode::DemoUnavailable).into()
}
