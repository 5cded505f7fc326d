// Hide the console window of release builds on Windows.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    paydesk_app::mark_process_start();
    // `paydesk orders list …` and friends run the command-line entry and exit.
    let args: Vec<String> = std::env::args().collect();
    if let Some(code) = paydesk_app::run_cli(&args) {
        std::process::exit(code);
    }
    paydesk_app::run();
}
