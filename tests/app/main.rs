//! The desktop app as a whole: generated bindings, and end-to-end tests that drive the
//! real app in a real WebKit window through tauri-driver and WebKitWebDriver.
//!
//! The end-to-end tests need a display and a D-Bus session; `cargo xtask test` provides
//! both (Xvfb, and a private session with gnome-keyring).

mod bindings;
mod bulk_kill;
mod control;
mod demo_isolation;
mod driver;
mod e2e;
mod e2e_autostart;
mod e2e_bulk;
mod e2e_buyer;
mod e2e_guide;
mod e2e_import;
mod e2e_lists;
mod e2e_mail_screens;
mod e2e_notify;
mod e2e_orders;
mod e2e_settings;
mod e2e_subscriptions;
mod identity_move;
mod screen;
