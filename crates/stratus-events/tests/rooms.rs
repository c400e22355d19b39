//! The crate's rooms keep their order (see `lib.rs`): a wing imports only
//! the wings before it, and no two modules of a wing import each other (as
//! `query` and `search` once did).

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const WINGS: [&str; 6] = ["envelope", "collector", "sync", "browse", "privacy", "demo"];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `crate::a::b…` paths used in code (not comments) of one file: the names after `crate::`.
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .flat_map(|l| l.match_indices("crate::").map(move |(i, _)| &l[i + 7..]))
        .map(|rest| {
            rest.split("::")
                .map(|s| {
                    s.chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect()
                })
                .take_while(|s: &String| !s.is_empty())
                .collect()
        })
        .collect()
}

/// (wing, module within the wing) of a source file.
fn room(src: &Path, file: &Path) -> (String, String) {
    let rel = file.strip_prefix(src).unwrap();
    let parts: Vec<String> = rel
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let wing = parts[0].clone();
    let module = parts.get(1).cloned().unwrap_or_else(|| "mod".into());
    (wing, module)
}

fn wing_index(wing: &str) -> Option<usize> {
    WINGS.iter().position(|w| *w == wing)
}

#[test]
fn a_wing_imports_only_the_wings_before_it_and_no_module_circles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut wrong = Vec::new();
    // Within each wing: module -> the modules of the same wing it imports.
    let mut graph: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let (wing, module) = room(&src, file);
        let Some(own) = wing_index(&wing) else {
            continue; // lib.rs, error.rs: not a wing
        };
        let text = std::fs::read_to_string(file).unwrap();
        for path in crate_paths(&text) {
            let Some(target) = path.first() else { continue };
            match wing_index(target) {
                Some(other) if other > own => wrong.push(format!(
                    "{}: imports crate::{} (a later wing)",
                    file.display(),
                    path.join("::")
                )),
                Some(other) if other == own => {
                    if let Some(m) = path.get(1).filter(|m| **m != module) {
                        graph
                            .entry((wing.clone(), module.clone()))
                            .or_default()
                            .insert(m.clone());
                    }
                }
                _ => {}
            }
        }
    }
    for ((wing, a), targets) in &graph {
        for b in targets {
            let back = graph.get(&(wing.clone(), b.clone()));
            if back.is_some_and(|t| t.contains(a)) {
                wrong.push(format!("{wing}: {a} and {b} import each other"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "rooms out of order:\n{}",
        wrong.join("\n")
    );
}
