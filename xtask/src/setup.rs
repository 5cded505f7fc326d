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
    // paygent-client's renegotiating test server (pyOpenSSL on Debian's Python).
    "python3-openssl",
];

const TAURI_DRIVER_VERSION: &str = "2.1.0";

pub fn run() -> Result {
    report_free_disk();
    apt(APT_PACKAGES)?;
    tauri_driver()?;
    npm()
}

/// What a full `cargo xtask test` from a fresh clone leaves in `target/` (measured 2026-12-06:
/// the test build about 8 GB, Windows 5 GB, the rest 2 GB), plus room for Wine and npm.
const DISK_A_RUN_NEEDS_GB: u64 = 20;

/// Says how much disk is free before a run that needs much of it, so a run that ends in
/// "No space left on device" half an hour later is explained at its first line.
fn report_free_disk() {
    let Some(free_gb) = free_disk_gb(&root()) else {
        return;
    };
    if free_gb < DISK_A_RUN_NEEDS_GB {
        eprintln!(
            "xtask: warning: {free_gb} GB free beside the checkout; a full run from a fresh clone \
             writes about {DISK_A_RUN_NEEDS_GB} GB and may stop with \"No space left on device\""
        );
    } else {
        eprintln!("xtask: {free_gb} GB free beside the checkout");
    }
}

/// Free space of the file system holding `path`, in whole GB, from POSIX `df -Pk`.
fn free_disk_gb(path: &std::path::Path) -> Option<u64> {
    let out = Command::new("df").arg("-Pk").arg(path).output().ok()?;
    parse_df_available_gb(&String::from_utf8_lossy(&out.stdout))
}

/// The "Available" column (1024-byte blocks) of `df -Pk`'s second line, in GB.
fn parse_df_available_gb(df: &str) -> Option<u64> {
    let kib: u64 = df.lines().nth(1)?.split_whitespace().nth(3)?.parse().ok()?;
    Some(kib / (1024 * 1024))
}

fn installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

/// Installs the Debian packages of `packages` that are missing (none: nothing runs).
pub fn apt(packages: &[&str]) -> Result {
    let missing: Vec<&str> = packages.iter().copied().filter(|p| !installed(p)).collect();
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

#[cfg(test)]
mod tests {
    use super::parse_df_available_gb;

    #[test]
    fn free_disk_is_read_from_dfs_available_column() {
        let df = "Filesystem 1024-blocks Used Available Capacity Mounted on\n\
                  /dev/vda 264092264 63577672 32505724 67% /\n";
        assert_eq!(parse_df_available_gb(df), Some(30));
        assert_eq!(parse_df_available_gb("Filesystem\n"), None);
    }
}
