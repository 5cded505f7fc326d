//! The system's file dialog, driven the way a person uses it: WebDriver cannot reach a
//! native window, so `xdotool` finds it on the session's X server by its title, focuses
//! it, opens GTK's location box (Ctrl+L), types the path and presses Enter.

use std::path::Path;
use std::time::Duration;

/// How long one `xdotool` call may take (`search --sync` waits for the window).
const WAIT: Duration = Duration::from_secs(60);

/// Runs `xdotool` and returns what it printed.
pub async fn xdotool(args: &[&str]) -> String {
    let out = tokio::time::timeout(
        WAIT,
        tokio::process::Command::new("xdotool").args(args).output(),
    )
    .await
    .unwrap_or_else(|_| panic!("xdotool {args:?} did not finish"))
    .expect("xdotool is installed by `cargo xtask setup`");
    assert!(out.status.success(), "xdotool {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The X window of the file dialog titled `title`, once it is mapped.
pub async fn window(title: &str) -> String {
    let found = xdotool(&["search", "--sync", "--onlyvisible", "--name", title]).await;
    found
        .lines()
        .next()
        .expect("the file dialog's window")
        .to_owned()
}

/// Types `path` into the dialog titled `title` and presses Enter until `answered` says the
/// app got it: GTK may still be completing the typed path when the first Enter arrives, and
/// then ignores it. Panics after five tries.
pub async fn pick(title: &str, path: &Path, mut answered: impl AsyncFnMut() -> bool) {
    let window = window(title).await;
    xdotool(&["windowfocus", "--sync", &window]).await;
    // Ctrl+L opens GTK's location box; the typed path replaces what it holds.
    xdotool(&["key", "--clearmodifiers", "ctrl+l"]).await;
    let typed = path.display().to_string();
    xdotool(&["type", "--delay", "5", &typed]).await;
    for _ in 0..5 {
        xdotool(&["key", "Return"]).await;
        if answered().await {
            return;
        }
    }
    panic!("the file dialog {title:?} did not answer with {typed}");
}
