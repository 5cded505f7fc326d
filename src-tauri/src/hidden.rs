//! Memory given back while no window exists (issue 22).
//!
//! When the window is destroyed (`lib.rs`, `WindowEvent::Destroyed`) and after each burst
//! of background work while none exists (a sync round, renewals, mail: the desk's events,
//! `WindowEvents`), one thread waits until things are quiet, then ends WebKit's network
//! process that no page uses any more, frees the database's page cache, returns the heap's
//! free pages to the OS and takes the clean pages of mapped files (the code the window and
//! the work ran) out of the process (crate `memory`; Linux: WebKitGTK, glibc, the kernel;
//! the cache everywhere). The tray needs none of it; a new window starts, reads and
//! allocates again, and work maps the code it runs again from the OS's file cache.
//!
//! With a window open, the same is done once after its first screen has settled: the
//! start-up's code (migrations, the settlement, the page's first load) and heap are not
//! needed again, and what the open window uses is mapped back as it runs.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tauri::{AppHandle, Manager};

/// How long nothing must happen before memory is given back: WebKit's side of a destroyed
/// window frees its last pieces from the main loop just after, and a sync round's events
/// come close together. A trim costs a few milliseconds of one core, not more often.
const QUIET: Duration = Duration::from_secs(2);

/// What woke the thread: a window gone (or work done without one), or a window's first
/// screen shown.
#[derive(Clone, Copy, PartialEq)]
enum Signal {
    NoWindow,
    FirstScreen,
}

static SIGNAL: OnceLock<Mutex<Sender<Signal>>> = OnceLock::new();

/// Starts the thread that gives memory back (once, from `setup`).
pub fn start(app: &AppHandle) {
    let (tx, rx) = mpsc::channel::<Signal>();
    if SIGNAL.set(Mutex::new(tx)).is_err() {
        return;
    }
    let app = app.clone();
    std::thread::Builder::new()
        .name("hidden-memory".into())
        .spawn(move || {
            while let Ok(first) = rx.recv() {
                // Wait for a quiet moment: each new signal starts the wait again.
                let mut first_screen = first == Signal::FirstScreen;
                loop {
                    match rx.recv_timeout(QUIET) {
                        Ok(signal) => first_screen |= signal == Signal::FirstScreen,
                        Err(RecvTimeoutError::Timeout) => break,
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
                if app.get_webview_window(crate::window::MAIN).is_none() {
                    give_back(&app);
                } else if first_screen {
                    give_back_start_up();
                }
            }
        })
        .expect("the hidden-memory thread could not start");
}

/// The window was destroyed: once things are quiet, give back what it left.
pub fn window_closed() {
    send(Signal::NoWindow);
}

/// A window's first screen showed (at start or opened from the tray): once things are
/// quiet, give back what getting there left.
pub fn first_screen_shown() {
    send(Signal::FirstScreen);
}

fn send(signal: Signal) {
    if let Some(tx) = SIGNAL.get() {
        let _ = tx.lock().unwrap_or_else(|p| p.into_inner()).send(signal);
    }
}

/// Background work ran (a desk event): with no window, give back what it left once
/// things are quiet.
pub fn after_work(app: &AppHandle) {
    if app.get_webview_window(crate::window::MAIN).is_none() {
        window_closed();
    }
}

/// With the window open: the heap's free pages and the clean file pages only (WebKit's
/// processes and the database's cache serve the window).
fn give_back_start_up() {
    trim_and_release(
        "memory given back (first screen settled)",
        memory::resident(),
    );
}

fn give_back(app: &AppHandle) {
    // WebKit's network process outlives the last page (see `memory`); a new window starts
    // another. Under WebDriver (tauri-driver sets this), ending it would end the session.
    let automation = std::env::var("TAURI_WEBVIEW_AUTOMATION").as_deref() == Ok("true");
    if !automation {
        // On the main thread, where windows are made: none can be in the making while
        // it looks, so a window opened just now never loses the process its page needs.
        let handle = app.clone();
        let _ = app.run_on_main_thread(move || {
            if handle.get_webview_window(crate::window::MAIN).is_some() {
                return;
            }
            let ended = memory::end_idle_network_process();
            if !ended.is_empty() {
                tracing::info!(?ended, "WebKit's network process ended (no window)");
            }
        });
    }
    let before = memory::resident();
    if let Some(desk) = app.try_state::<api::Desk>() {
        desk.shrink_memory();
    }
    trim_and_release("memory given back (no window)", before);
}

/// Returns the heap's free pages, then (last: the code that ran just now is among them)
/// the clean file pages, and logs what was given back since `before`.
fn trim_and_release(what: &str, before: Option<memory::Resident>) {
    let trimmed = memory::trim_heap();
    let file_kib_released = memory::release_clean_file_pages();
    let after = memory::resident();
    match (before, after) {
        (Some(before), Some(after)) => tracing::info!(
            trimmed,
            anon_kib_before = before.anon_kib,
            anon_kib_after = after.anon_kib,
            file_kib_before = before.file_kib,
            file_kib_after = after.file_kib,
            file_kib_released,
            resident_kib_after = after.total_kib(),
            "{what}"
        ),
        _ => tracing::info!(trimmed, file_kib_released, "{what}"),
    }
}
