//! WGSL sources compiled into the binary. Each kernel module names its own shader with
//! [`shader!`], so adding a kernel family touches no central list.

/// A WGSL source file from the workspace's `shaders/` folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shader {
    pub name: &'static str,
    pub source: &'static str,
}

/// `shader!("gemm")` embeds `shaders/gemm.wgsl` (validated by naga in `build.rs`).
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
