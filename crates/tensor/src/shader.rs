//! WGSL sources compiled into the binary. Each kernel module names its own shader with
//! [`shader!`] (or, for a shader built from preludes, `composed_shader!`), so adding a kernel
//! family touches no central list.

/// A complete WGSL source and the name it is cached and profiled under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shader {
    pub name: &'static str,
    pub source: &'static str,
}

impl Shader {
    /// A shader from a complete source (one that needs no preludes).
    pub const fn new(name: &'static str, source: &'static str) -> Shader {
        Shader { name, source }
    }
}

/// `shader!("gemm_portable")` embeds `shaders/gemm_portable.wgsl`, a shader without preludes
/// (all of them are validated by naga in `build.rs`).
#[macro_export]
macro_rules! shader {
    ($name:literal) => {
        $crate::Shader {
            name: $name,
            source: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shaders/",
                $name,
                ".wgsl"
            )),
        }
    };
}

/// `composed_shader!("conv_texel")` embeds `shaders/conv_texel.wgsl` after its preludes, as
/// `build.rs` composed it (`src/shader_compose.rs` lists them).
macro_rules! composed_shader {
    ($name:literal) => {
        $crate::Shader {
            name: $name,
            source: include_str!(concat!(env!("OUT_DIR"), "/shaders/", $name, ".wgsl")),
        }
    };
}
pub(crate) use composed_shader;
