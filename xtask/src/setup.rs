//! Installs what building, running and testing PayDesk need, skipping what is present.

use crate::{Result, root};
use std::process::Command;

/// Debian/Ubuntu packages: the WebKitGTK build stack, then what the tests run (Xvfb,
/// WebKitWebDriver, a D-Bus session with gnome-keyring for the Secret Service, a
/// notification daemon, ImageMagick for screenshots).
const APT_PACKAGES: &[&str] = &[
    "libwebkit2gtk-4.1-dev",
    "build-essential",
    "curl",
    "wget",
    "file",
    "libxdo-dev",
    "libssl-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "pkg-config",
    "libdbus-1-dev",
    "xvfb",
    "imagemagick",
    "xdotool",
    "webkit2gtk-driver",
    "gnome-keyring",
    "dbus-x11",
    "libsecret-tools",
    "dunst",
    "libnotify-bin",
    // pdftotext and pdftoppm: the document tests read the PDFs they make.
    "poppler-utils",
];

const TAURI_DRIVER_VERSION: &str = "2.1.0";

pub fn run() -> Result {
    apt()?;
    tauri_driver()?;
    npm()
}

fn installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

fn apt() -> Result {
    let missing: Vec<&str> = APT_PACKAGES
        .iter()
        .copied()
        .filter(|p| !installed(p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let sudo = !is_root();
    let apt = |args: &[&str]| {
        let mut c = if sudo {
            Command::new("sudo")
        } else {
            Command::new("apt-get")
        };
        if sudo {
            c.arg("apt-get");
        }
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    crate::run(&mut apt(&["update"]))?;
    let mut install = apt(&["install", "-y", "-o", "DPkg::Lock::Timeout=600"]);
    install.args(&missing);
    crate::run(&mut install)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn tauri_driver() -> Result {
    let present = Command::new("tauri-driver")
        .arg("--help")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if present {
        return Ok(());
    }
    crate::run(Command::new("cargo").args([
        "install",
        "tauri-driver",
        "--locked",
        "--version",
        TAURI_DRIVER_VERSION,
    ]))
}

/// npm packages exactly as the lockfile says; reinstalled only when the lockfile changed.
fn npm() -> Result {
    let ui = root().join("ui");
    let lock = ui.join("package-lock.json");
    let stamp = ui.join("node_modules/.package-lock.json");
    let fresh = match (std::fs::metadata(&lock), std::fs::metadata(&stamp)) {
        (Ok(l), Ok(s)) => s.modified().ok() >= l.modified().ok(),
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    crate::run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(ui),
    )
}
