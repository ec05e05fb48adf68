// Shader validation shared by `build.rs` (which fails the build on a bad shader) and the
// tests (which prove a bad shader is reported with its file and line). Kept free of crate
// imports so `build.rs` can `include!` it.

/// Parses and validates one WGSL source with naga; the error text carries `path:line:column`.
pub fn validate_wgsl(source: &str, path: &str) -> Result<(), String> {
    let module = naga::front::wgsl::parse_str(source)
        .map_err(|e| e.emit_to_string_with_path(source, path))?;
    let mut validator = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::all(),
    );
    validator
        .validate(&module)
        .map(|_| ())
        .map_err(|e| e.emit_to_string_with_path(source, path))
}

/// The compute entry points a shader declares, in source order.
#[allow(dead_code)]
pub fn entry_points(source: &str) -> Vec<String> {
    naga::front::wgsl::parse_str(source)
        .map(|m| m.entry_points.iter().map(|e| e.name.clone()).collect())
        .unwrap_or_default()
}
