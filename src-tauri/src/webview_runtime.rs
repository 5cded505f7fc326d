//! Windows only: PayDesk's window is a WebView2 webview. The installer installs Microsoft's
//! WebView2 Runtime (`webviewInstallMode: embedBootstrapper`), and Windows 11 ships it, but a
//! copied `paydesk.exe`, a Windows 10 machine whose runtime was removed, or an install
//! whose bootstrapper could not reach Microsoft has none. Without this check Tauri stops
//! with its own English panic and no window; with it the shop owner is told, in both
//! languages, what is missing and how to get it. The sync and renewals never started, so
//! nothing is left half done.

/// Microsoft's permanent link to the WebView2 Runtime's Evergreen bootstrapper.
const DOWNLOAD: &str = "https://go.microsoft.com/fwlink/p/?LinkId=2124703";

/// Exit code of a start without the runtime (the command line's codes are its own).
pub const EXIT_NO_RUNTIME: i32 = 3;

/// `Some(message)` when the WebView2 Runtime cannot be found.
pub fn missing() -> Option<String> {
    let error = tauri::webview_version().err()?;
    tracing::error!(%error, "no WebView2 Runtime");
    Some(format!(
        "PayDesk を表示するための Microsoft Edge WebView2 ランタイムが、このパソコンに見つかりません。\n\
         PayDesk のインストーラーをもう一度実行するか、Microsoft のページ（{DOWNLOAD}）から\n\
         「エバーグリーン ブートストラップ」を入手してインストールしてから、PayDesk を起動してください。\n\
         データと設定はそのまま残っています。\n\n\
         PayDesk needs the Microsoft Edge WebView2 Runtime to show its window, and this PC does not have it.\n\
         Run the PayDesk installer again, or install the \"Evergreen Bootstrapper\" from Microsoft\n\
         ({DOWNLOAD}), then start PayDesk. Your data and settings are untouched."
    ))
}

/// Says it on standard error (a console start, a log) and in a message box.
pub fn tell(message: &str) {
    eprintln!("{message}");
    rfd::MessageDialog::new()
        .set_level(rfd::MessageLevel::Error)
        .set_title("PayDesk")
        .set_description(message)
        .set_buttons(rfd::MessageButtons::Ok)
        .show();
}
