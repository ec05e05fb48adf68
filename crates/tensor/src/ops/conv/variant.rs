//! Which convolution kernel runs: the [`Variant`]s, the adapter's choice
//! ([`Variant::best`]), a choice forced for a benchmark ([`with_variant`]), and the names
//! benchmarks and probes parse.

use std::cell::Cell;

use super::Tiles;
use crate::{AdapterClass, Gpu};

/// Which kernel runs. All are correct on every adapter that runs them; [`Variant::best`]
/// picks the fast one for the adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// 8x8 workgroups, 4x4 outputs per invocation, plain loads: the simple reference for
    /// the GPU kernels.
    Portable,
    /// The textbook GPU GEMM: each step of the reduction stages both operands' panels in
    /// workgroup memory, each invocation computes 4x4 outputs from them. Adapters without
    /// the workgroup memory or invocations the tile needs ([`Tiles::fit`]) run
    /// [`Variant::Portable`] instead.
    Tiled(Tiles),
    /// One 8-lane subgroup per workgroup sharing gathered operands by broadcasts, 64x8
    /// outputs per invocation: for CPU adapters, where every memory load is expensive.
    Subgroup,
    /// `gemm_texel`'s tiling on operands laid out channels-last in textures, four reduction
    /// terms per fetch. It needs the reduced channels (C for the forward and the weight
    /// gradient, O for the input gradient) to be a multiple of 4; shapes it does not take
    /// run [`Variant::texel_fallback`].
    Texel,
}

/// The name [`Variant::parse`] reads back.
impl std::fmt::Display for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Variant::Portable => write!(f, "portable"),
            Variant::Subgroup => write!(f, "subgroup"),
            Variant::Texel => write!(f, "texel"),
            Variant::Tiled(t) => write!(f, "tiled={},{},{}", t.m(), t.n(), t.k()),
        }
    }
}

thread_local! {
    static FORCED_VARIANT: Cell<Option<Variant>> = const { Cell::new(None) };
}

/// Runs `f` with every convolution on this thread that would take [`Variant::best`] using
/// `variant` instead (None: the adapter's choice): lets a benchmark time a whole training
/// step under another kernel choice, e.g. the one a tile sweep picked.
pub fn with_variant<R>(variant: Option<Variant>, f: impl FnOnce() -> R) -> R {
    crate::scoped::with_local(&FORCED_VARIANT, variant, f)
}

impl Variant {
    /// Texel (else Subgroup) on CPU adapters that can run it, the workgroup-tiled kernel on
    /// GPUs, portable elsewhere; or what [`with_variant`] set on this thread.
    pub fn best(gpu: &Gpu) -> Variant {
        if let Some(forced) = FORCED_VARIANT.with(Cell::get) {
            return forced;
        }
        match gpu.summary().class {
            // The one place GPUs are sent to the workgroup-tiled kernel; `Variant::Portable`
            // here reverts them to the portable one.
            AdapterClass::DiscreteGpu | AdapterClass::IntegratedGpu | AdapterClass::VirtualGpu => {
                Variant::Tiled(Tiles::DEFAULT)
            }
            AdapterClass::Cpu if Variant::texel_runs_on(gpu) => Variant::Texel,
            AdapterClass::Cpu if Variant::subgroup_runs_on(gpu) => Variant::Subgroup,
            AdapterClass::Cpu | AdapterClass::Other => Variant::Portable,
        }
    }

    /// A variant by name, as benchmarks and probes take it (what [`Variant`]'s `Display`
    /// writes): `portable`, `subgroup`, `texel`,
    /// `tiled` (the default tile) or `tiled=M,N,K`.
    pub fn parse(name: &str) -> Result<Variant, String> {
        match name {
            "portable" => Ok(Variant::Portable),
            "subgroup" => Ok(Variant::Subgroup),
            "texel" => Ok(Variant::Texel),
            "tiled" => Ok(Variant::Tiled(Tiles::DEFAULT)),
            _ => {
                let Some(mnk) = name.strip_prefix("tiled=") else {
                    return Err(format!(
                        "unknown conv variant `{name}`: use portable, subgroup, texel, tiled \
                         or tiled=M,N,K"
                    ));
                };
                let parts: Vec<u32> = mnk
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()
                    .map_err(|_| format!("`{name}`: tiled=M,N,K wants three whole numbers"))?;
                let [m, n, k] = parts[..] else {
                    return Err(format!("`{name}`: tiled=M,N,K wants three whole numbers"));
                };
                Tiles::new(m, n, k).map(Variant::Tiled)
            }
        }
    }

    /// The subgroup kernel is written for subgroups of exactly 8 lanes, and its 8-invocation
    /// workgroup must be one whole subgroup.
    pub fn subgroup_runs_on(gpu: &Gpu) -> bool {
        let s = gpu.summary();
        gpu.has_subgroups() && s.subgroup_min_size == 8 && s.subgroup_max_size == 8
    }

    /// The texel kernel broadcasts from lanes 0..8 of whole subgroups: any size of at least 8.
    pub fn texel_runs_on(gpu: &Gpu) -> bool {
        gpu.has_subgroups() && gpu.summary().subgroup_min_size >= 8
    }

    /// What runs in place of [`Variant::Texel`] on shapes it does not take.
    pub fn texel_fallback(gpu: &Gpu) -> Variant {
        if Variant::subgroup_runs_on(gpu) {
            Variant::Subgroup
        } else {
            Variant::Portable
        }
    }
}
