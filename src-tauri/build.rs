//! Builds the shell: tauri-build, and the list of Tauri commands (every function marked
//! `#[tauri::command]` in `src-tauri/src/*.rs`, in file order), so adding a command is
//! writing its function: `specta_builder` includes the list, and the bindings follow.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    // tauri-build watches its default `capabilities/` folder only; ours lives under
    // `src-tauri/` (the root manifest layout), so a changed permission must rebuild too.
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=src-tauri/src");
    write_command_list(Path::new("src-tauri/src"));
    tauri_build::try_build(
        tauri_build::Attributes::new().capabilities_path_pattern("./src-tauri/capabilities/**/*"),
    )
    .expect("tauri build script failed");
}

/// Writes `$OUT_DIR/commands.rs`: `tauri_specta::collect_commands![module::name, …]`.
fn write_command_list(dir: &Path) {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("src-tauri/src")
        .map(|e| e.expect("src-tauri/src entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    let mut list = String::from("tauri_specta::collect_commands![\n");
    for path in files {
        let module = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let text = std::fs::read_to_string(&path).expect("a source file");
        for name in command_names(&text, &path) {
            assert!(
                module != "lib" && module != "main",
                "{}: a command lives in a module of its own",
                path.display()
            );
            writeln!(list, "    {module}::{name},").unwrap();
        }
    }
    list.push(']');
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("commands.rs");
    std::fs::write(out, list).expect("writing the command list");
}

/// The functions marked `#[tauri::command]` in a file: the first `fn` within the next few
/// lines (other attributes and doc comments may come between).
fn command_names(text: &str, path: &Path) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut names = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if !line.trim_start().starts_with("#[tauri::command") {
            continue;
        }
        let name = lines[i + 1..]
            .iter()
            .take(8)
            .find_map(|l| {
                let (_, rest) = l.split_once("fn ")?;
                let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
                Some(rest[..end].to_owned())
            })
            .unwrap_or_else(|| {
                panic!(
                    "{}:{}: no fn after #[tauri::command]",
                    path.display(),
                    i + 1
                )
            });
        names.push(name);
    }
    names
}
