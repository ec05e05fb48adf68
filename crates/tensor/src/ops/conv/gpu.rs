//! The convolution GEMMs that read their operands from storage buffers: the portable kernel
//! (`shaders/conv_portable.wgsl`), the workgroup-tiled kernel GPUs run
//! (`shaders/conv_tiled.wgsl`) and the 8-lane subgroup kernel (`shaders/conv_subgroup.wgsl`).
//! All walk the implicit GEMM described in `shaders/prelude/conv_geometry.wgsl`; reductions split for parallelism or for the loop
//! budget are added up, in split order, by `shaders/conv_sum_splits.wgsl`.

use super::{Geometry, Mode, Variant};
use crate::{grid_1d, shader, Dispatch, Shader, Tensor};

const PORTABLE: Shader = crate::composed_shader!("conv_portable");
const SUBGROUP: Shader = crate::composed_shader!("conv_subgroup");
const TILED: Shader = crate::composed_shader!("conv_tiled");
const SUM_SPLITS: Shader = shader!("conv_sum_splits");

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    c: u32,
    h: u32,
    w: u32,
    o: u32,
    oh: u32,
    ow: u32,
    kh: u32,
    kw: u32,
    stride: u32,
    pad: u32,
    q_tiles: u32,
    phases: u32,
    r_chunk: u32,
    out_len: u32,
    _pad: u32,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct SumParams {
    len: u32,
    splits: u32,
    bias_div: u32,
    bias_mod: u32,
}

// Output tile of one workgroup (rows p x columns q): fixed in the shaders.
const SUBGROUP_TILE: usize = 64;
const PORTABLE_TILE: usize = 32;
// Lavapipe aborts a shader after 65,535 loop iterations in all; the portable kernel spends
// up to ~25 of them per reduction step where its inner loops stay rolled.
const SUBGROUP_MAX_STEPS: usize = 16_384;
const PORTABLE_MAX_STEPS: usize = 2_048;
// The weight gradient (few outputs, a long reduction) splits its reduction until there
// are about this many workgroups, keeping at least MIN_CHUNK terms per split.
const TARGET_GROUPS: usize = 64;
pub(super) const MIN_CHUNK: usize = 256;
// On real GPUs a few hundred of the portable kernel's 64-invocation workgroups leave most
// of the chip idle (measured on an H200: 133 GFLOP/s for enc2's forward): every
// mode splits its reduction until about this many workgroups exist.
const PORTABLE_TARGET_GROUPS: usize = 2048;
const PORTABLE_MIN_CHUNK: usize = 64;
// The workgroup-tiled kernel's 256-invocation workgroups: a few per multiprocessor fill a
// large GPU at about this many; a split shorter than MIN_CHUNK terms (16 steps of the
// default tile) would spend more on its partial output than on its multiply-adds.
const TILED_TARGET_GROUPS: usize = 1024;

/// Records the GEMM of `mode` into `out` on the portable or the subgroup kernel (a texel
/// variant has been replaced by its fallback by now). `src` is the gathered tensor, `plain`
/// the other operand.
pub(super) fn run(
    mode: Mode,
    g: &Geometry,
    src: &Tensor,
    plain: &Tensor,
    bias: Option<&Tensor>,
    variant: Variant,
    out: &Tensor,
) {
    let gpu = src.gpu();
    let khw = g.kh * g.kw;
    // GEMM sizes: p rows (of the largest phase for the input gradient), q columns, r terms.
    let (p_count, q_count, r_count, phases) = match mode {
        Mode::Forward => (g.n * g.oh * g.ow, g.o, g.c * khw, 1),
        Mode::InputGrad => {
            let s = g.stride;
            let p = g.n * g.h.div_ceil(s) * g.w.div_ceil(s);
            let r = g.o * g.kh.div_ceil(s) * g.kw.div_ceil(s);
            (p, g.c, r, s * s)
        }
        Mode::WeightGrad => (g.c * khw, g.o, g.n * g.oh * g.ow, 1),
    };
    assert!(
        matches!(variant, Variant::Portable | Variant::Tiled(_)) || Variant::subgroup_runs_on(gpu),
        "conv: the subgroup kernel needs subgroups of exactly 8 lanes on this adapter ({})",
        gpu.summary()
    );
    let variant = match variant {
        Variant::Tiled(tiles) if !tiles.fit(gpu) => Variant::Portable,
        v => v,
    };
    // (shader, entry, tile rows p, tile columns q, longest reduction per invocation,
    // workgroups wanted, shortest split)
    let (shader, entry, tile_p, tile_q, max_steps, target, min_chunk) = match variant {
        Variant::Portable => (
            &PORTABLE,
            "conv_tiled",
            PORTABLE_TILE,
            PORTABLE_TILE,
            PORTABLE_MAX_STEPS,
            PORTABLE_TARGET_GROUPS,
            PORTABLE_MIN_CHUNK,
        ),
        Variant::Tiled(tiles) => (
            &TILED,
            "conv_workgroup_tiled",
            tiles.m() as usize,
            tiles.n() as usize,
            tiles.max_steps(),
            TILED_TARGET_GROUPS,
            MIN_CHUNK,
        ),
        Variant::Subgroup | Variant::Texel => {
            let (target, min_chunk) = if mode == Mode::WeightGrad {
                (TARGET_GROUPS, MIN_CHUNK)
            } else {
                (0, 1)
            };
            (
                &SUBGROUP,
                "conv_subgroup",
                SUBGROUP_TILE,
                SUBGROUP_TILE,
                SUBGROUP_MAX_STEPS,
                target,
                min_chunk,
            )
        }
    };
    let p_tiles = p_count.div_ceil(tile_p);
    let q_tiles = q_count.div_ceil(tile_q);
    let mut splits = r_count.div_ceil(max_steps).max(1);
    let want = target
        .div_ceil(p_tiles * q_tiles * phases)
        .min(r_count / min_chunk);
    splits = splits.max(want);
    // Splits of whole reduction steps, so that only the last split has a partial one.
    let step = match variant {
        Variant::Tiled(tiles) => tiles.k() as usize,
        _ => 1,
    };
    let r_chunk = r_count.div_ceil(splits).max(1).next_multiple_of(step);
    let splits = r_count.div_ceil(r_chunk).max(1);
    let z = q_tiles * phases * splits;
    assert!(
        z <= 65_535,
        "conv: grid z of {z} (column tiles x phases x splits) is too large"
    );
    let [gx, gy, _] = grid_1d(p_tiles, 1);

    let params = Params {
        n: g.n as u32,
        c: g.c as u32,
        h: g.h as u32,
        w: g.w as u32,
        o: g.o as u32,
        oh: g.oh as u32,
        ow: g.ow as u32,
        kh: g.kh as u32,
        kw: g.kw as u32,
        stride: g.stride as u32,
        pad: g.pad as u32,
        q_tiles: q_tiles as u32,
        phases: phases as u32,
        r_chunk: r_chunk as u32,
        out_len: out.numel() as u32,
        _pad: 0,
    };
    let partials = (splits > 1).then(|| Tensor::uninit(gpu, &[splits, out.numel()]));
    // Without a bias the kernels never read its binding; any tensor fills it.
    let bias_arg = bias.unwrap_or(plain);
    let mut dispatch = Dispatch::new(shader, entry);
    if let Variant::Tiled(tiles) = variant {
        dispatch = dispatch
            .constant("TILE_M", tiles.m() as f64)
            .constant("TILE_N", tiles.n() as f64)
            .constant("TILE_K", tiles.k() as f64);
    }
    dispatch
        .constant("MODE", mode as u32 as f64)
        .constant("HAS_BIAS", (bias.is_some() && splits == 1) as u32 as f64)
        .params(&params)
        .arg(src)
        .arg(plain)
        .arg(bias_arg)
        .arg(partials.as_ref().unwrap_or(out))
        .groups([gx, gy, z as u32])
        .run(gpu);
    if let Some(partials) = partials {
        let shape = out.shape();
        sum_splits(
            &partials,
            (bias, bias_arg),
            out,
            shape[2] * shape[3],
            shape[1],
        );
    }
}

/// `out[i]` = the sum over splits, in split order, of `partials[split, i]` (+ the bias of
/// channel `(i / bias_div) % bias_mod` when `bias.0` is some; `bias.1` fills the binding
/// otherwise and is never read).
pub(super) fn sum_splits(
    partials: &Tensor,
    bias: (Option<&Tensor>, &Tensor),
    out: &Tensor,
    bias_div: usize,
    bias_mod: usize,
) {
    let len = out.numel();
    let splits = partials.dim(0);
    Dispatch::new(&SUM_SPLITS, "sum_splits")
        .constant("HAS_BIAS", bias.0.is_some() as u32 as f64)
        .params(&SumParams {
            len: len as u32,
            splits: splits as u32,
            bias_div: bias_div as u32,
            bias_mod: bias_mod as u32,
        })
        .arg(partials)
        .arg(bias.0.unwrap_or(bias.1))
        .arg(out)
        .groups(grid_1d(len, 256))
        .run(out.gpu());
}
