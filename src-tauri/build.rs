fn main() {
    // tauri-build watches its default `capabilities/` folder only; ours lives under
    // `src-tauri/` (the root manifest layout), so a changed permission must rebuild too.
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    tauri_build::try_build(
        tauri_build::Attributes::new().capabilities_path_pattern("./src-tauri/capabilities/**/*"),
    )
    .expect("tauri build script failed");
}
