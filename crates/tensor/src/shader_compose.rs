// Shaders composed from preludes: WGSL has no includes, so a helper that several shaders
// share (the rank-4 update of the subgroup tile, the texel fetches, the conv geometry) lives
// once in `shaders/prelude/NAME.wgsl`, and `build.rs` writes each shader below as its
// preludes, in the order listed, followed by its own file, into `OUT_DIR/shaders/`, where
// `composed_shader!` finds it. Shaders not listed are used as they are (`shader!`).
// Shared by `build.rs` (which composes and validates) and the tests; free of crate imports
// so `build.rs` can `include!` it.

/// (shader, its preludes in order). A prelude may use what an earlier one declares.
pub const PRELUDES: &[(&str, &[&str])] = &[
    ("conv_portable", &["conv_geometry"]),
    ("conv_subgroup", &["conv_geometry"]),
    ("conv_tiled", &["conv_geometry"]),
    (
        "conv_texel",
        &[
            "texel_layout",
            "texel_operands",
            "subgroup_tile",
            "conv_texel_params",
            "conv_texel_phases",
        ],
    ),
    (
        "conv_layout",
        &[
            "texel_layout",
            "conv_texel_params",
            "conv_texel_phases",
            "conv_layout_kernels",
        ],
    ),
    (
        "conv_layout_texel",
        &[
            "texel_layout",
            "conv_texel_params",
            "conv_texel_phases",
            "conv_layout_kernels",
        ],
    ),
    ("batch_norm", &["batch_norm_passes"]),
    ("batch_norm_texel", &["texel_layout", "batch_norm_passes"]),
    ("elementwise", &["activation", "elementwise_ops"]),
    (
        "elementwise_texel",
        &["texel_layout", "activation", "elementwise_ops"],
    ),
    (
        "gemm_portable",
        &["activation", "gemm_params", "gemm_buffers"],
    ),
    (
        "gemm_subgroup",
        &["activation", "gemm_params", "gemm_buffers", "subgroup_tile"],
    ),
    (
        "gemm_texel",
        &[
            "activation",
            "gemm_params",
            "texel_layout",
            "texel_operands",
            "subgroup_tile",
        ],
    ),
];

/// One shader as handed to the GPU, with where each of its lines came from.
pub struct Composed {
    pub source: String,
    /// (file, first line of it in `source`, counting from 1), in order.
    parts: Vec<(String, usize)>,
}

impl Composed {
    /// Shader `name` of folder `dir`: its preludes (from `dir/prelude/`), then its own file.
    pub fn read(dir: &std::path::Path, name: &str) -> Result<Composed, String> {
        let preludes = PRELUDES
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(&[][..], |(_, p)| *p);
        let mut files: Vec<std::path::PathBuf> = preludes
            .iter()
            .map(|p| dir.join("prelude").join(format!("{p}.wgsl")))
            .collect();
        files.push(dir.join(format!("{name}.wgsl")));
        let mut composed = Composed {
            source: String::new(),
            parts: Vec::new(),
        };
        for file in files {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let shown = file.canonicalize().unwrap_or(file);
            let first = composed.source.lines().count() + 1;
            composed.parts.push((shown.display().to_string(), first));
            composed.source.push_str(&text);
            if !text.ends_with('\n') {
                composed.source.push('\n');
            }
        }
        Ok(composed)
    }

    /// The file and line that line `line` (from 1) of the composed source came from.
    pub fn origin(&self, line: usize) -> (&str, usize) {
        let (file, first) = self
            .parts
            .iter()
            .rev()
            .find(|(_, first)| *first <= line)
            .unwrap_or(&self.parts[0]);
        (file, line + 1 - first)
    }

    /// Validates the composed source with `validate` (which names the source `PLACEHOLDER`
    /// in its messages); the error's `file:line:column` names the file the line came from.
    pub fn validate(
        &self,
        validate: impl Fn(&str, &str) -> Result<(), String>,
    ) -> Result<(), String> {
        const PLACEHOLDER: &str = "<composed>";
        validate(&self.source, PLACEHOLDER).map_err(|message| {
            let mut out = String::new();
            let mut rest = message.as_str();
            while let Some(at) = rest.find(PLACEHOLDER) {
                out.push_str(&rest[..at]);
                rest = &rest[at + PLACEHOLDER.len()..];
                let digits = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
                let line_len = rest.strip_prefix(':').map_or(0, digits);
                match rest[1.min(rest.len())..][..line_len].parse::<usize>() {
                    Ok(line) if line_len > 0 => {
                        let (file, local) = self.origin(line);
                        out.push_str(&format!("{file}:{local}"));
                        rest = &rest[1 + line_len..];
                    }
                    _ => out.push_str(PLACEHOLDER),
                }
            }
            out.push_str(rest);
            out.push_str("(line numbers in the excerpt count lines of the composed source)\n");
            out
        })
    }
}
