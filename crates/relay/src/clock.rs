//! Time, passed in: the relay never asks the system for the time inside its logic (received_at
//! stamps, retention, heartbeats). The one clock of the workspace (`clock` crate).

pub use clock::{Clock, ManualClock, SystemClock};
