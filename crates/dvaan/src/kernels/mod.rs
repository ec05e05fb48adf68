//! DVAAN's own GPU kernels, run through the engine's public [`Dispatch`](dvaan_tensor::Dispatch):
//! the margin update of Eq. 10 ([`margin`]), the class-conditional prior mean ([`prior`]) and
//! the KL divergence to that shifted prior with its tape op ([`kl`]). The engine knows
//! nothing of the method; these live beside the method that needs them.
//!
//! Each module holds a dispatcher and a plain f64 `reference`; the WGSL sits in
//! `crates/dvaan/shaders/` and is validated by naga when the crate is built (`build.rs`).

/// `dvaan_shader!("margin")` embeds `crates/dvaan/shaders/margin.wgsl` as the engine shader
/// `dvaan_margin`: the engine caches compiled modules by name, so the prefix keeps these
/// apart from the engine's own `shaders/`.
macro_rules! dvaan_shader {
    ($name:literal) => {
        dvaan_tensor::Shader {
            name: concat!("dvaan_", $name),
            source: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/shaders/",
                $name,
                ".wgsl"
            )),
        }
    };
}

pub mod kl;
pub mod margin;
pub mod posterior;
pub mod prior;
