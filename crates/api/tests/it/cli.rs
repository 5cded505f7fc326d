//! The command-line entry runs over the same core.

use api::{Build, DeskConfig};

fn args(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

#[tokio::test]
async fn cli_lists_orders_and_reports_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let config = || {
        DeskConfig::new(
            "jp.paydesk.it.cli",
            "0.0.0",
            Build::Test,
            dir.path().to_owned(),
        )
    };
    assert_eq!(
        api::cli::run(config(), &args(&["orders", "list", "--json"])).await,
        0
    );
    assert_eq!(
        api::cli::run(config(), &args(&["orders", "show", "x"])).await,
        2
    );
    assert_eq!(
        api::cli::run(config(), &args(&["orders", "show", "42"])).await,
        1
    );
    assert_eq!(
        api::cli::run(config(), &args(&["orders", "frobnicate"])).await,
        2
    );
    // Without credentials there is nothing to sync with: not an error.
    assert_eq!(api::cli::run(config(), &args(&["sync", "once"])).await, 0);
    assert!(api::cli::is_cli_command("orders"));
    assert!(!api::cli::is_cli_command("--demo"));
}
