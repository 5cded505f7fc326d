//! The system's file dialog fits the screen (issue 15). GTK sizes its file chooser from
//! the font, about 1096 × 822 here, and only a window manager keeps a window inside the
//! screen: without one (an X session with none, a kiosk) the dialog is taller than a
//! small laptop's 800 pixels and its buttons are out of reach. So on Linux, while a dialog
//! the page asked for is open, the app makes it fit the monitor's work area. Windows and
//! macOS size and place their own dialogs; there the command does nothing.

/// The page is about to open a file dialog (`files` in `ui/src/lib/api.ts`).
#[tauri::command]
#[specta::specta]
pub fn file_dialog_opening(app: tauri::AppHandle) {
    #[cfg(target_os = "linux")]
    linux::fit_when_shown(&app);
    #[cfg(not(target_os = "linux"))]
    let _ = app;
}

#[cfg(target_os = "linux")]
mod linux {
    use std::time::Duration;

    use gtk::glib::{self, ControlFlow};
    use gtk::prelude::*;

    /// How often the open windows are looked at, and for how long: the dialog appears
    /// within a moment of the page's call, and GTK settles its size right after mapping it.
    const LOOK_EVERY: Duration = Duration::from_millis(50);
    const LOOKS: u32 = 200;
    const LOOKS_AFTER_FOUND: u32 = 20;

    /// How much of the work area a dialog may take at most, in percent of each side.
    const MAX_SHARE: i32 = 90;

    /// Where a dialog of `size` goes in the work area `area` (`x, y, width, height`): `None`
    /// when it fits inside already, else the largest size allowed, centred.
    fn fitted(size: (i32, i32), area: (i32, i32, i32, i32)) -> Option<(i32, i32, i32, i32)> {
        let (x, y, width, height) = area;
        let (max_w, max_h) = (width * MAX_SHARE / 100, height * MAX_SHARE / 100);
        if size.0 <= max_w && size.1 <= max_h {
            return None;
        }
        let (w, h) = (size.0.min(max_w), size.1.min(max_h));
        Some((x + (width - w) / 2, y + (height - h) / 2, w, h))
    }

    pub fn fit_when_shown(app: &tauri::AppHandle) {
        let scheduled = app.run_on_main_thread(|| {
            let (mut looks, mut found_at) = (0u32, None::<u32>);
            glib::timeout_add_local(LOOK_EVERY, move || {
                looks += 1;
                for window in gtk::Window::list_toplevels() {
                    let Ok(dialog) = window.downcast::<gtk::FileChooserDialog>() else {
                        continue;
                    };
                    if dialog.is_visible() {
                        found_at.get_or_insert(looks);
                        fit(&dialog);
                    }
                }
                let settled = found_at.is_some_and(|at| looks >= at + LOOKS_AFTER_FOUND);
                if settled || looks >= LOOKS {
                    ControlFlow::Break
                } else {
                    ControlFlow::Continue
                }
            });
        });
        if let Err(e) = scheduled {
            tracing::warn!(error = %e, "the file dialog's size is left to GTK");
        }
    }

    fn fit(dialog: &gtk::FileChooserDialog) {
        let display = dialog.display();
        let monitor = dialog
            .window()
            .and_then(|w| display.monitor_at_window(&w))
            .or_else(|| display.primary_monitor())
            .or_else(|| display.monitor(0));
        let Some(monitor) = monitor else { return };
        let area = monitor.workarea();
        let size = dialog.size();
        let area = (area.x(), area.y(), area.width(), area.height());
        if let Some((x, y, w, h)) = fitted(size, area) {
            tracing::debug!(?size, ?area, w, h, "the file dialog made to fit the screen");
            dialog.resize(w, h);
            dialog.move_(x, y);
        }
    }
}
