//! A bare Tauri v2 app: one window with an empty page (none with `--no-window`). `cargo xtask bench` starts it the
//! way it starts PayDesk and reports PayDesk's start-up time and memory beside it.

use std::io::Write;
use std::sync::OnceLock;
use std::time::Instant;

static START: OnceLock<Instant> = OnceLock::new();

/// The page painted its first frame: prints the cold start as PayDesk does.
#[tauri::command]
fn first_paint() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let ms = START.get().map_or(0.0, |s| s.elapsed().as_secs_f64() * 1e3);
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "METRIC\tapp cold start to first paint\t{ms:.0}\tms\t-");
        let _ = out.flush();
    });
}

fn main() {
    START.get_or_init(Instant::now);
    // `--no-window`: the app runs without ever making its window, as PayDesk started at
    // login does; the benchmark measures what any Tauri app holds so.
    let window = !std::env::args().any(|a| a == "--no-window");
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![first_paint])
        .setup(move |app| {
            // Made here, as PayDesk makes its own (the configuration's `create` is false).
            if window && let Some(config) = app.config().app.windows.first().cloned() {
                tauri::WebviewWindowBuilder::from_config(app.handle(), &config)?.build()?;
            }
            Ok(())
        })
        .build(tauri::generate_context!())
        .expect("tauri-bare failed to start")
        // With no window, stay up until the benchmark ends the process.
        .run(|_, event| {
            if let tauri::RunEvent::ExitRequested {
                code: None, api, ..
            } = event
            {
                api.prevent_exit();
            }
        });
}
