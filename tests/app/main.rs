//! The desktop app as a whole: generated bindings, and end-to-end tests that drive the
//! real app in a real WebKit window through tauri-driver and WebKitWebDriver.
//!
//! The end-to-end tests need a display and a D-Bus session; `cargo xtask test` provides
//! both (Xvfb, and a private session with gnome-keyring).

mod bindings;
mod bulk_kill;
mod control;
mod demo;
mod demo_isolation;
mod driver;
mod e2e;
mod e2e_autostart;
mod e2e_bulk;
mod e2e_buyer;
mod e2e_documents;
mod e2e_file_dialog;
mod e2e_guide;
mod e2e_import;
mod e2e_lists;
mod e2e_mail_screens;
mod e2e_notify;
mod e2e_order_mails;
mod e2e_orders;
mod e2e_sales;
mod e2e_settings;
mod e2e_shipping;
mod e2e_statement;
mod e2e_subscriptions;
mod e2e_three_d_secure_and_processing;
mod e2e_tray;
mod file_dialog;
mod identity_move;
mod screen;

/// A test-build desk over `dir` under `identifier`, as the app opens it.
async fn open_desk(identifier: &str, dir: &std::path::Path) -> api::Desk {
    api::Desk::open(api::DeskConfig::new(
        identifier,
        "0.0.0",
        api::Build::Test,
        dir.to_path_buf(),
    ))
    .await
    .unwrap()
}

/// A shop's desk left as a shop owner leaves it: `dir` created under `identifier` with
/// its shop name saved, then closed.
async fn saved_shop(identifier: &str, dir: &std::path::Path, shop_name: &str) {
    let desk = open_desk(identifier, dir).await;
    desk.save_settings(api::dto::SettingsInput {
        shop_name: Some(shop_name.into()),
        ..api::dto::SettingsInput::default()
    })
    .await
    .unwrap();
}
