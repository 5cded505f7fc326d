//! The setup guide's types that cross the IPC boundary (kept apart from `dto.rs`, which the
//! order screens grow). Never a secret: what was typed goes to the keychain through the
//! settings' own path and only "tested" or "not tested" comes back.

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::dto::subscriptions::SmtpTestResult;
use crate::dto::{ConnectionTestResult, RelayTestResult};

/// Where the guide stands as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum GuideStatusCode {
    /// Never opened (a fresh shop).
    NotStarted,
    /// Opened and left before the end: it opens again at the next start.
    InProgress,
    /// "Set up later": it stays closed until reopened from Settings.
    Skipped,
    /// Finished with every needed test passing on the saved settings.
    Finished,
}

/// One step's state. A step is `done` only after its test passed with the values saved
/// then; a failed test puts it back to `todo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum GuideStepStateCode {
    Todo,
    Done,
    /// The shop chose not to use it (no relay: PayDesk asks Paygent itself; e-mail later).
    NotUsed,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct SetupGuide {
    pub status: GuideStatusCode,
    /// Whether the window should open on the guide (a shop's first starts; never the demo).
    pub opens_at_start: bool,
    /// Step 1: the connection to Paygent (merchant ID, connect ID and password, client
    /// certificate), proven by the connection test.
    pub gateway: GuideStepStateCode,
    /// Step 2: payment notifications through a relay (URL and token, proven by the relay
    /// test), or none.
    pub notifications: GuideStepStateCode,
    /// Step 3: the shop's outgoing e-mail (SMTP, proven by the SMTP test), or later.
    pub mail: GuideStepStateCode,
}

/// Step 2's input: the relay's URL and this desktop's token, or no relay. The hash key
/// may be kept too (the relay's operator needs it; PayDesk stores it in the keychain).
#[derive(Clone, Default, Serialize, Deserialize, Type)]
pub struct GuideNotificationsInput {
    pub use_relay: bool,
    #[serde(default)]
    pub relay_url: Option<String>,
    #[serde(default)]
    pub relay_token: Option<String>,
    #[serde(default)]
    pub hash_key: Option<String>,
}

impl std::fmt::Debug for GuideNotificationsInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "GuideNotificationsInput(use_relay: {}, <redacted>)",
            self.use_relay
        )
    }
}

/// Step 1's answer: the connection test's result and the guide after it.
#[derive(Clone, Debug, Serialize, Type)]
pub struct GuideGatewayResult {
    pub test: ConnectionTestResult,
    pub guide: SetupGuide,
}

/// Step 2's answer: the relay test's result (`null` when no relay was chosen).
#[derive(Clone, Debug, Serialize, Type)]
pub struct GuideNotificationsResult {
    pub relay: Option<RelayTestResult>,
    pub guide: SetupGuide,
}

/// Step 3's answer: the SMTP test's result (`null` when e-mail is left for later).
#[derive(Clone, Debug, Serialize, Type)]
pub struct GuideMailResult {
    pub test: Option<SmtpTestResult>,
    pub guide: SetupGuide,
}
