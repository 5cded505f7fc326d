//! The seam between [`Desk`](crate::Desk) and the demo (crate `demo`: the embedded simulator and relay
//! with sample data). Only development and test builds link that crate; a release build
//! has no [`DemoServers`], and [`Desk::open`](crate::Desk::open) then refuses the demo with
//! [`unavailable`] before it creates or opens any folder.

use crate::ErrorCode;
pub use crate::context::{DemoFuture, DemoServers, RunningDemo};
use crate::error::{AppError, Text};

/// The refusal of `--demo` / `PAYDESK_DEMO=1` in a build without the demo.
pub fn unavailable() -> AppError {
    AppError::new(
        ErrorCode::DemoUnavailable,
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
