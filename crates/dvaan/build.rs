//! Validates DVAAN's own WGSL kernels (`shaders/` of this crate) with naga, so that a typo
//! fails `cargo build` with the shader's file, line and column instead of failing at the
//! first dispatch.
//!
//! The check itself is the engine's (`crates/tensor/src/wgsl_check.rs`), included rather
//! than copied so that both crates validate by one rule; it is kept free of crate imports
//! for exactly this use.

use std::path::Path;

include!("../tensor/src/wgsl_check.rs");

fn main() {
    // Read at run time: `env!` would bake in the checkout that compiled this script, which a
    // second checkout sharing the target folder then reuses.
    let manifest = std::env::var("CARGO_MANIFEST_DIR")
        .expect("cargo sets CARGO_MANIFEST_DIR for build scripts");
    let check = Path::new(&manifest).join("../tensor/src/wgsl_check.rs");
    println!("cargo:rerun-if-changed={}", check.display());
    let dir = Path::new(&manifest).join("shaders");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read shader folder {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wgsl"))
        .collect();
    paths.sort();
    let mut failures = Vec::new();
    for path in &paths {
        println!("cargo:rerun-if-changed={}", path.display());
        let source = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let shown = path.canonicalize().unwrap_or(path.clone());
        if let Err(message) = validate_wgsl(&source, &shown.to_string_lossy()) {
            failures.push(message);
        }
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
