use std::path::Path;

/// `ui/src/bindings.ts` is generated from the Rust command definitions; this fails when
/// the committed file no longer matches them. `cargo xtask codegen` rewrites it.
#[test]
fn bindings_are_fresh() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/bindings.ts");
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        paydesk_app::export_bindings(&path).unwrap();
        return;
    }
    let fresh = std::env::temp_dir().join(format!("paydesk-bindings-{}.ts", std::process::id()));
    paydesk_app::export_bindings(&fresh).unwrap();
    let generated = std::fs::read_to_string(&fresh).unwrap();
    std::fs::remove_file(&fresh).unwrap();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "ui/src/bindings.ts is stale: run `cargo xtask codegen` and commit the result"
    );
}
