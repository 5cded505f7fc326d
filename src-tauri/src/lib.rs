//! The PayDesk desktop shell: window, tray, single instance, and the Tauri commands.
//!
//! Layout: `commands` holds one thin function per Tauri command (pull state, call one
//! `api::Desk` method, convert the error); `tray` builds the tray icon and its menu. All
//! logic lives in the `api` crate and below; nothing here decides anything about payments.

mod commands;
mod tray;

use tauri::WindowEvent;

/// The command list, shared by the app and by the bindings generator (`bindings()`), so
/// the TypeScript types can never describe a different set of commands than the app has.
pub fn specta_builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new().commands(tauri_specta::collect_commands![
        commands::app_info,
        commands::keychain_status,
        commands::set_language,
    ])
}

/// Writes the generated TypeScript bindings (what `ui/src/bindings.ts` should contain) to
/// `path`.
pub fn export_bindings(path: &std::path::Path) -> Result<(), String> {
    specta_builder()
        .export(specta_typescript::Typescript::default(), path)
        .map_err(|e| e.to_string())
}

fn build() -> api::Build {
    if std::env::var_os("PAYDESK_TEST").is_some() {
        api::Build::Test
    } else if cfg!(debug_assertions) {
        api::Build::Dev
    } else {
        api::Build::Release
    }
}

pub fn run() {
    let specta = specta_builder();
    let context = tauri::generate_context!();
    let desk = api::Desk::new(
        &context.config().identifier,
        &context.package_info().version.to_string(),
        build(),
    );
    tauri::Builder::default()
        // A second launch brings the running window forward instead of opening a twin
        // that would race the first on the database and the gateway.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            tray::show_main_window(app);
        }))
        .plugin(tauri_plugin_notification::init())
        .manage(desk)
        .invoke_handler(specta.invoke_handler())
        .setup(move |app| {
            specta.mount_events(app);
            tray::create(app.handle())?;
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the window keeps PayDesk running in the tray: renewals and sync
            // must go on. "Quit" in the tray menu ends the app.
            if let WindowEvent::CloseRequested { api, .. } = event
                && window.label() == "main"
            {
                api.prevent_close();
                let _ = window.hide();
            }
        })
        .run(context)
        .expect("PayDesk failed to start");
}
