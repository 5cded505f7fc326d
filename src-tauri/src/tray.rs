//! The tray icon: PayDesk keeps running there when its window is closed.

use api::dto::Language;
use tauri::AppHandle;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};

const TRAY_ID: &str = "paydesk-tray";

fn menu(app: &AppHandle, language: Language) -> tauri::Result<Menu<tauri::Wry>> {
    let (open, quit) = match language {
        Language::Ja => ("PayDesk を開く", "終了"),
        Language::En => ("Open PayDesk", "Quit"),
    };
    let open = MenuItem::with_id(app, "open", open, true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", quit, true, None::<&str>)?;
    Menu::with_items(app, &[&open, &quit])
}

pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("PayDesk")
        .menu(&menu(app, Language::Ja)?)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => show_main_window(app),
            "quit" => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                show_main_window(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    Ok(())
}

pub fn relabel(app: &AppHandle, language: Language) {
    if let (Some(tray), Ok(menu)) = (app.tray_by_id(TRAY_ID), menu(app, language)) {
        let _ = tray.set_menu(Some(menu));
    }
}

/// Shows the window, made anew when it was closed (see `window`).
pub fn show_main_window(app: &AppHandle) {
    crate::window::open(app);
}
