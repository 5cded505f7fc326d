//! The bare app is built with the workspace's tests, so `cargo xtask bench --quick` finds
//! its debug binary beside PayDesk's (the tests' build).

#[test]
fn the_bare_app_is_built() {
    assert!(std::path::Path::new(env!("CARGO_BIN_EXE_tauri-bare")).exists());
}
