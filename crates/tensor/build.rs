//! Composes every WGSL shader in `shaders/` with its preludes (`src/shader_compose.rs`) into
//! `OUT_DIR/shaders/` and validates it with naga, so that a typo fails `cargo build` with the
//! file, line and column it is in instead of failing at the first dispatch.

use std::path::Path;

include!("src/wgsl_check.rs");
include!("src/shader_compose.rs");

fn main() {
    // Read at run time: `env!` would bake in the checkout that compiled this script, which a
    // second checkout sharing the target folder then reuses.
    let manifest = std::env::var("CARGO_MANIFEST_DIR")
        .expect("cargo sets CARGO_MANIFEST_DIR for build scripts");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    let dir = Path::new(&manifest).join("../../shaders");
    let composed_dir = Path::new(&out_dir).join("shaders");
    std::fs::create_dir_all(&composed_dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", composed_dir.display()));
    // A folder is watched with everything in it, preludes included.
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read shader folder {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wgsl"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for (name, _) in PRELUDES {
        assert!(
            names.iter().any(|n| n == name),
            "src/shader_compose.rs lists preludes for {name}, which is not in {}",
            dir.display()
        );
    }
    let mut failures = Vec::new();
    for name in &names {
        let composed = Composed::read(&dir, name).unwrap_or_else(|e| panic!("{e}"));
        if let Err(message) = composed.validate(validate_wgsl) {
            failures.push(message);
        }
        let target = composed_dir.join(format!("{name}.wgsl"));
        std::fs::write(&target, &composed.source)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", target.display()));
    }
    if !failures.is_empty() {
        for f in &failures {
            eprintln!("{f}");
        }
        panic!(
            "{} WGSL shader(s) failed naga validation; the messages above give file:line:column",
            failures.len()
        );
    }
}
