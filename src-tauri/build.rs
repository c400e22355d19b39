//! The app's commands come from one list, `commands.txt`: this script
//! generates the shell's handler list, one `allow-<name>` permission per
//! command (under the ACL) and `capabilities/default.json`, which grants
//! exactly these to the main window. See docs/architecture.md.

use std::path::{Path, PathBuf};

#[path = "src/command_list.rs"]
mod command_list;

fn main() {
    println!("cargo:rerun-if-changed=commands.txt");
    let text = std::fs::read_to_string("commands.txt").expect("read src-tauri/commands.txt");
    let commands = command_list::parse(&text).unwrap_or_else(|e| panic!("commands.txt, {e}"));

    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    write_if_changed(
        &out.join("invoke_handler.rs"),
        &command_list::invoke_handler(&commands),
    );
    // Written before tauri-build reads the capabilities, and only when it
    // changes, so an unchanged list never triggers a rebuild.
    write_if_changed(
        Path::new("capabilities/default.json"),
        &command_list::capability(&commands),
    );

    // tauri-build wants the names for the life of the program.
    let names: Vec<&'static str> = commands
        .into_iter()
        .map(|c| &*Box::leak(c.name.into_boxed_str()))
        .collect();
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(
        tauri_build::AppManifest::new().commands(Box::leak(names.into_boxed_slice())),
    ))
    .expect("tauri-build failed");
}

fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
}
