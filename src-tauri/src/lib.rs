//! The PayDesk desktop shell: window, tray, single instance, and the Tauri commands.
//!
//! Layout: `commands` holds one thin function per Tauri command (pull state, call one
//! `api::Desk` method, convert the error), `documents_commands` those of the shop's
//! documents and the deposit check, `money_commands` those of money in,
//! `statement_commands` the bank statement import's, `shipping_commands` those of labels
//! and tracking, `order_mail_commands` those of the shipping notice and order confirmation
//! (build.rs lists every command for
//! [`specta_builder`]); `tray` builds the tray icon and its menu; `webview_runtime`
//! (Windows) stops a start without WebView2 with a message of ours; [`run_cli`] hands a
//! command line to crate `cli` over the same `api::Desk`; [`demo_servers`] is the demo
//! (crate `demo`, feature `demo`: development and test builds only). All logic lives in
//! the `api` crate and below; nothing here decides anything about payments. The backend's
//! pushes reach the window as one event, `desk-event`, carrying an `api::dto::events::DeskEvent`.

mod commands;
mod documents_commands;
mod file_dialog;
mod hidden;
mod money_commands;
mod notify;
mod order_mail_commands;
mod shipping_commands;
mod single_instance;
mod start;
mod statement_commands;
mod tray;
#[cfg(windows)]
mod webview_runtime;
mod window;

use std::sync::Arc;

use tauri::{Emitter, Manager, RunEvent, WindowEvent};

/// The one event name the backend pushes under.
pub const DESK_EVENT: &str = "desk-event";

/// The command list, shared by the app and by the bindings generator (`bindings()`), so
/// the TypeScript types can never describe a different set of commands than the app has.
/// The list is every function marked `#[tauri::command]` (collected by build.rs).
pub fn specta_builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new()
        // Every `#[tauri::command]` of this crate, listed by build.rs.
        .commands(include!(concat!(env!("OUT_DIR"), "/commands.rs")))
        // A command's AppError is thrown (one adapter in ui/src/lib/api.ts makes it a
        // CommandError), so the UI calls the generated functions without a wrapper each.
        .error_handling(tauri_specta::ErrorHandlingMode::Throw)
        // The payload of the `desk-event` event.
        .typ::<api::dto::events::DeskEvent>()
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

/// Sends the backend's events to the window.
struct WindowEvents(tauri::AppHandle);

impl api::EventSink for WindowEvents {
    fn emit(&self, event: api::dto::events::DeskEvent) {
        notify::on_event(&self.0, &event);
        let _ = self.0.emit(DESK_EVENT, event);
        // Background work ran: with no window, what it left is given back once quiet.
        hidden::after_work(&self.0);
    }
}

/// Runs the command-line entry when `args[1]` is one of its words; returns its exit code,
/// or `None` to start the window.
pub fn run_cli(args: &[String]) -> Option<i32> {
    let word = args.get(1)?;
    #[cfg(feature = "demo")]
    if word == "demo-servers" {
        return Some(serve_demo_apart(&args[2..]));
    }
    if !cli::is_cli_command(word) {
        return None;
    }
    let demo = api::demo_requested(args);
    if demo && demo_servers().is_none() && !is_help(&args[1..]) {
        return Some(refuse_demo());
    }
    let context = context();
    let identifier = context.config().identifier.clone();
    let version = context.package_info().version.to_string();
    // `PAYDESK_DEMO=1 paydesk …` scripts the demo (its own folder and keychain namespace),
    // never the shop's data. The log is the window's: a scripted capture is as traceable
    // as a click.
    let config = desk_config(&identifier, &version, default_data_dir(&identifier), demo);
    Some(tauri::async_runtime::block_on(cli::run(config, &args[1..])))
}

/// Help and completions open nothing, so they work in any build.
fn is_help(args: &[String]) -> bool {
    matches!(
        args.first().map(String::as_str),
        Some("help" | "completions")
    ) || args.iter().any(|a| matches!(a.as_str(), "--help" | "-h"))
}

/// The demo's servers: only a build with the feature `demo` (development, tests) has them;
/// a release build has none (`cargo xtask tidy` checks its dependency graph).
pub fn demo_servers() -> Option<Arc<dyn api::DemoServers>> {
    #[cfg(feature = "demo")]
    return Some(match std::env::var_os("PAYDESK_DEMO_SERVERS") {
        // The benchmark's demo: its servers run apart (`paydesk demo-servers`), so the
        // app's memory is PayDesk's own (issue 22); the value names their file.
        Some(file) => demo::servers_apart(file.into()),
        None => demo::servers(),
    });
    #[cfg(not(feature = "demo"))]
    None
}

/// `paydesk demo-servers DIR` (builds with the demo): the demo's simulator and relay in a
/// process of their own, published in `DIR/demo-servers.json` for a desk started with
/// `PAYDESK_DEMO_SERVERS` naming that file; serves until the process ends.
#[cfg(feature = "demo")]
fn serve_demo_apart(args: &[String]) -> i32 {
    let [dir] = args else {
        eprintln!("usage: paydesk demo-servers DIR");
        return cli::EXIT_USAGE;
    };
    match tauri::async_runtime::block_on(demo::serve_apart(std::path::Path::new(dir))) {
        Ok(()) => cli::EXIT_OK,
        Err(e) => {
            eprintln!("error {}: {}", e.code, e.message.en);
            cli::EXIT_FAILED
        }
    }
}

/// `--demo` / `PAYDESK_DEMO=1` in a build without the demo: says so in both languages on
/// stderr and ends before any folder, log or keychain entry is touched (exit 1).
fn refuse_demo() -> i32 {
    let refusal = api::demo_servers::unavailable();
    eprintln!("error {}: {}", refusal.code, refusal.message.ja);
    eprintln!("error {}: {}", refusal.code, refusal.message.en);
    if let Some(action) = &refusal.action {
        eprintln!("  {}\n  {}", action.ja, action.en);
    }
    cli::EXIT_FAILED
}

/// The desk's configuration at start, with its log open. The shop's desk lives under the
/// current identifier; what the previous identifier left (data folder, keychain entries)
/// is moved there first, and if that fails the desk runs from the previous place this time
/// and says so (`api::identity`). The demo moves nothing: `api::Desk::open` gives it its
/// own folder beside the shop's and its own keychain namespace.
fn desk_config(
    identifier: &str,
    version: &str,
    app_data_dir: std::path::PathBuf,
    demo: bool,
) -> api::DeskConfig {
    use api::identity::{PREVIOUS_IDENTIFIER, Place, move_from_previous};
    let build = build();
    let current = Place {
        identifier: identifier.to_owned(),
        data_dir: api::data_dir_from_env(app_data_dir.clone()),
    };
    let moved = (!demo).then(|| {
        let previous = Place {
            identifier: PREVIOUS_IDENTIFIER.to_owned(),
            data_dir: api::data_dir_from_env(app_data_dir.with_file_name(PREVIOUS_IDENTIFIER)),
        };
        move_from_previous(build, &previous, &current)
    });
    let place = moved.as_ref().map_or(current, |m| m.place.clone());
    let mut config = api::DeskConfig::new(&place.identifier, version, build, place.data_dir);
    config.demo = demo;
    config.demo_servers = demo_servers();
    config.notice = moved.as_ref().and_then(|m| m.notice.clone());
    api::log::init(&config.data_dir_in_use(), version);
    if let Some(moved) = &moved {
        moved.log();
    }
    config
}

/// The app data directory without a running app (the CLI): what Tauri's `app_data_dir`
/// resolves to on each platform.
fn default_data_dir(identifier: &str) -> std::path::PathBuf {
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(std::path::PathBuf::from)
        .unwrap_or_default();
    if cfg!(target_os = "windows") {
        std::env::var_os("APPDATA")
            .map(std::path::PathBuf::from)
            .unwrap_or(home)
            .join(identifier)
    } else if cfg!(target_os = "macos") {
        home.join("Library/Application Support").join(identifier)
    } else {
        std::env::var_os("XDG_DATA_HOME")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| home.join(".local/share"))
            .join(identifier)
    }
}

/// The app's context (configuration and embedded assets), generated once.
fn context() -> tauri::Context<tauri::Wry> {
    tauri::generate_context!()
}

pub fn run() {
    #[cfg(windows)]
    if let Some(message) = webview_runtime::missing() {
        webview_runtime::tell(&message);
        std::process::exit(webview_runtime::EXIT_NO_RUNTIME);
    }
    let specta = specta_builder();
    mark_start_up("commands listed");
    let context = context();
    mark_start_up("context");
    let identifier = context.config().identifier.clone();
    let version = context.package_info().version.to_string();
    let args: Vec<String> = std::env::args().collect();
    let demo = api::demo_requested(&args);
    if demo && demo_servers().is_none() {
        std::process::exit(refuse_demo());
    }
    let minimized = args.iter().any(|a| a == "--minimized");
    single_instance::wait_for_an_ended_instance(&identifier);
    mark_start_up("single instance looked at");
    tauri::Builder::default()
        // A second launch brings the running window forward instead of opening a twin
        // that would race the first on the database and the gateway. (A click on a
        // notification in Windows' Action Center is such a launch: see `notify`.)
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            notify::open_last_shown(app);
        }))
        .plugin(tauri_plugin_notification::init())
        // Settings' "Choose…" buttons open the system's file dialog for certificate files.
        .plugin(tauri_plugin_dialog::init())
        // "Start at login" (Subscriptions > notifications): launched with --minimized, so
        // PayDesk starts in the tray and runs renewals without opening its window.
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--minimized"]),
        ))
        .invoke_handler(start::wait_for_desk(specta.invoke_handler()))
        .setup(move |app| {
            mark_start_up("setup (plugins ready)");
            specta.mount_events(app);
            hidden::start(app.handle());
            notify::listen_for_clicks(app.handle());
            // The window is made here, not by the configuration. Started at login, none is
            // made: PayDesk starts in the tray without WebKit (issue 22).
            if !minimized {
                window::create(app.handle())?;
                mark_start_up("window made");
            }
            window::follow_bench_commands(app.handle());
            // The desk opens beside WebKit's start (see `start`).
            let app_data_dir = app.path().app_data_dir()?;
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                let mut config = desk_config(&identifier, &version, app_data_dir, demo);
                config.events = Arc::new(WindowEvents(handle.clone()));
                let desk = match api::Desk::open(config).await {
                    Ok(desk) => desk,
                    Err(e) => {
                        tracing::error!(code = %e.code, "the desk could not open");
                        eprintln!("PayDesk failed to start: {}", e.message.en);
                        handle.exit(1);
                        return;
                    }
                };
                tracing::info!(since_start_ms = since_start_ms(), "desk open");
                tauri::async_runtime::spawn(desk.clone().run_sync());
                // Renewals, card checks, scheduled e-mail and notifications, beside sync.
                tauri::async_runtime::spawn(desk.clone().run_subscriptions());
                refresh_start_at_login(&handle, &desk).await;
                handle.manage(desk);
                start::desk_opened();
            });
            tray::create(app.handle())?;
            mark_start_up("tray made");
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the window destroys it, which ends WebKit's processes for it; PayDesk
            // goes on in the tray (renewals, sync, notifications), see `window`. "Quit" in
            // the tray menu ends the app.
            if let WindowEvent::Destroyed = event
                && window.label() == window::MAIN
            {
                tracing::info!("window closed; PayDesk goes on in the tray");
                hidden::window_closed();
            }
        })
        .build(context)
        .expect("PayDesk failed to start")
        .run(|_app, event| match event {
            RunEvent::Ready => mark_start_up("event loop running"),
            // The last window closed: stay in the tray. An exit with a code (the tray's
            // "Quit", a relaunch) goes ahead. macOS's Cmd+Q and the Dock's "Quit" end the
            // app through NSApplication's terminate, which sends no ExitRequested
            // (tauri#13778): they quit as the tray's "Quit" does.
            RunEvent::ExitRequested {
                code: None, api, ..
            } => api.prevent_exit(),
            // macOS: a click on the Dock icon with no window shown opens it, as the tray's
            // "Open" does.
            #[cfg(target_os = "macos")]
            RunEvent::Reopen {
                has_visible_windows: false,
                ..
            } => window::open(_app),
            _ => {}
        });
}

/// Writes the start-at-login entry again when the shop has it on, so it names this
/// binary where it is now: an app moved after the setting was made (on macOS, dragged from
/// Downloads to Applications; on Windows, another install folder) would otherwise be
/// started from its old place at the next login, which no longer exists. A launch from the
/// new place is enough to mend it.
async fn refresh_start_at_login(app: &tauri::AppHandle, desk: &api::Desk) {
    use tauri_plugin_autostart::ManagerExt;
    let wanted = desk
        .notification_preferences()
        .await
        .is_ok_and(|p| p.start_at_login);
    if wanted && let Err(e) = app.autolaunch().enable() {
        tracing::warn!(error = %e, "start at login could not be written again");
    }
}

/// Starts this binary again, as the demo (`demo`) or as the shop, and exits this process.
/// A relaunch, not a switch inside the process: the demo and the shop have different data
/// folders and keychain namespaces, chosen once at start (`api::Desk::open`).
pub(crate) fn relaunch(app: &tauri::AppHandle, demo: bool) -> Result<(), api::AppError> {
    let failed = |e: std::io::Error| -> api::AppError {
        tracing::warn!(error = %e, "relaunch failed");
        api::AppError::of(api::ErrorCode::RelaunchFailed).into()
    };
    let exe = std::env::current_exe().map_err(failed)?;
    let mut command = std::process::Command::new(exe);
    command.env_remove("PAYDESK_DEMO");
    if demo {
        command.arg("--demo");
    }
    // The lock goes first: with it held, the new process would hand its arguments to this
    // one and exit.
    tauri_plugin_single_instance::destroy(app);
    let child = command.spawn().map_err(failed)?;
    tracing::info!(pid = child.id(), demo, "relaunched");
    app.exit(0);
    Ok(())
}

static PROCESS_START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Called first thing in `main`, so the cold-start figure counts the whole start-up.
pub fn mark_process_start() {
    PROCESS_START.get_or_init(std::time::Instant::now);
}

/// Milliseconds since `main` began (0 when not marked), for the start-up log lines.
fn since_start_ms() -> u128 {
    PROCESS_START.get().map_or(0, |s| s.elapsed().as_millis())
}

/// The benchmark's name for the time from a window asked for in the tray to its first
/// screen.
pub const WINDOW_OPENED_METRIC: &str = "app window opened from the tray to first screen";

/// The UI painted its frame (the page's first paint), then its first screen with the
/// desk's answers: each logged once with the time since start, and under `cargo xtask
/// bench` (which sets `PAYDESK_BENCH_STARTUP`) printed for the benchmark table.
pub(crate) fn report_first_paint() {
    static REPORTED: std::sync::Once = std::sync::Once::new();
    REPORTED.call_once(|| report_start_up("first paint", "app cold start to first paint"));
}

pub(crate) fn report_first_screen() {
    hidden::first_screen_shown();
    // A window made from the tray: how long its first screen took since it was asked for.
    if let Some(asked) = window::take_asked() {
        let ms = asked.elapsed().as_millis();
        tracing::info!(ms, "window opened from the tray: first screen");
        if std::env::var_os("PAYDESK_BENCH_STARTUP").is_some() {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "METRIC\t{WINDOW_OPENED_METRIC}\t{ms}\tms\t-");
            let _ = out.flush();
        }
        return;
    }
    static REPORTED: std::sync::Once = std::sync::Once::new();
    REPORTED.call_once(|| report_start_up("first screen", "app cold start to first screen"));
}

/// The start-up's steps before the first paint, each with its time since `main` began:
/// logged with the first paint (the log opens only with the desk, beside WebKit's start).
static START_UP_STEPS: std::sync::Mutex<Vec<(&str, u128)>> = std::sync::Mutex::new(Vec::new());

fn mark_start_up(step: &'static str) {
    if let Ok(mut steps) = START_UP_STEPS.lock() {
        steps.push((step, since_start_ms()));
    }
}

fn report_start_up(what: &str, metric: &str) {
    let ms = since_start_ms();
    let steps = START_UP_STEPS
        .lock()
        .map(|mut s| std::mem::take(&mut *s))
        .unwrap_or_default();
    if !steps.is_empty() {
        let steps: Vec<String> = steps.iter().map(|(s, ms)| format!("{s} {ms} ms")).collect();
        let steps = steps.join(", ");
        tracing::info!(%steps, "start-up before the {what}");
        if std::env::var_os("PAYDESK_BENCH_STARTUP").is_some() {
            println!("start-up before the {what}: {steps}");
        }
    }
    tracing::info!(since_start_ms = ms, "{what}");
    if std::env::var_os("PAYDESK_BENCH_STARTUP").is_some() {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "METRIC\t{metric}\t{ms}\tms\t-");
        let _ = out.flush();
    }
}
