//! Every shader in `shaders/` validates and every one of its entry points compiles to a
//! pipeline on the test adapter; a broken shader is reported with its file and line, also
//! when the line is in one of the preludes it is composed with.

#[path = "../src/shader_compose.rs"]
mod shader_compose;
#[path = "../src/wgsl_check.rs"]
mod wgsl_check;

// For its capability check; the rest serves the kernel tests.
#[allow(dead_code)]
#[path = "kernels/common.rs"]
mod common;

use std::path::Path;

use dvaan_tensor::{Gpu, Shader};

/// (name, source) of every shader as the engine uses it: composed with its preludes by
/// `build.rs`, which writes each one of `shaders/` to `OUT_DIR/shaders/`.
fn shader_files() -> Vec<(String, String)> {
    let dir = Path::new(env!("OUT_DIR")).join("shaders");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "wgsl"))
        .map(|p| {
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_entry_point_of_every_shader_compiles_on_the_adapter() {
    let gpu = Gpu::new().unwrap_or_else(|e| panic!("{e}"));
    let files = shader_files();
    assert!(
        files.iter().any(|(n, _)| n == "elementwise"),
        "the shader folder was not found"
    );
    let mut compiled = 0;
    for (name, source) in files {
        let shader = Shader::new(
            Box::leak(name.clone().into_boxed_str()),
            Box::leak(source.into_boxed_str()),
        );
        // Subgroup kernels are only ever chosen on adapters that have subgroups.
        let what = format!("compiling {name}.wgsl");
        let subgroups = gpu.has_subgroups();
        if shader.source.contains("subgroup")
            && !common::can_run(&gpu, common::Capability::Subgroups, subgroups, &what)
        {
            continue;
        }
        let entries = wgsl_check::entry_points(shader.source);
        assert!(!entries.is_empty(), "{name}.wgsl declares no entry point");
        for entry in entries {
            gpu.prepare(&shader, &entry, &[]);
            compiled += 1;
        }
    }
    assert_eq!(gpu.counters().pipelines_created, compiled);
}

#[test]
fn a_broken_shader_is_reported_with_file_and_line() {
    let source = "@compute @workgroup_size(1)\nfn main() {\n    let x: f32 = 1u;\n}\n";
    let err = wgsl_check::validate_wgsl(source, "shaders/broken.wgsl").unwrap_err();
    assert!(
        err.contains("shaders/broken.wgsl:3:"),
        "message lacks file:line: {err}"
    );
    let err = wgsl_check::validate_wgsl("fn main( {", "shaders/typo.wgsl").unwrap_err();
    assert!(
        err.contains("shaders/typo.wgsl:1:"),
        "message lacks file:line: {err}"
    );
    assert!(wgsl_check::validate_wgsl(shader_files()[0].1.as_str(), "ok.wgsl").is_ok());
}

#[test]
fn a_broken_prelude_is_reported_with_its_own_file_and_line() {
    let dir = std::env::temp_dir().join(format!("dvaan-prelude-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("prelude")).unwrap();
    let (name, preludes) = shader_compose::PRELUDES[0];
    for (i, p) in preludes.iter().enumerate() {
        // The last prelude breaks on its second line.
        let text = if i + 1 == preludes.len() {
            "fn ok() {}\nfn broken() -> f32 { return 1u; }\n".to_string()
        } else {
            format!("fn fine_{i}() {{}}\n")
        };
        std::fs::write(dir.join("prelude").join(format!("{p}.wgsl")), text).unwrap();
    }
    std::fs::write(
        dir.join(format!("{name}.wgsl")),
        "@compute @workgroup_size(1)\nfn main() {}\n",
    )
    .unwrap();
    let composed = shader_compose::Composed::read(&dir, name).unwrap();
    let err = composed.validate(wgsl_check::validate_wgsl).unwrap_err();
    let last = preludes.last().unwrap();
    assert!(
        err.contains(&format!("{last}.wgsl:2:")),
        "message lacks the prelude's file:line: {err}"
    );
    assert!(!err.contains("<composed>"), "placeholder left in: {err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
