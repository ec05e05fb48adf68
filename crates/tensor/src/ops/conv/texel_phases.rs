//! The input gradient on the texel kernel ([`super::texel`]), one stride phase at a time.
//! Within one phase (see `prelude/conv_geometry.wgsl`) the input gradient is a stride-1
//! forward convolution of dy with that phase's taps reversed, so each phase runs the texel
//! forward GEMM on dy laid out as zero-padded NHWC and on the phase's block of w. One layout
//! dispatch writes dy's layout and every phase's block, and one GEMM dispatch runs every
//! phase.

use super::staged::{Layout, Staged, WeightLayout};
use super::texel::{lay_out_into, texel_gemm, TexelParams, TexelTile, TEXEL_MAX_STEPS, TEXEL_ROWS};
use super::{Geometry, Mode};
use crate::Tensor;

/// One axis of one input-gradient phase (see `prelude/conv_texel_phases.wgsl`, which the
/// kernels compute the same from): outputs first + S·i for i < len, taps k0 + S·a for
/// a < taps, reading dy at d + i - a. The host needs it only to size dy's padding and the grid.
struct PhaseAxis {
    len: usize,
    taps: usize,
    d: usize,
}

impl PhaseAxis {
    fn new(first: usize, size: usize, kernel: usize, stride: usize, pad: usize) -> PhaseAxis {
        let count_from = |f: usize, n: usize| if f < n { (n - f).div_ceil(stride) } else { 0 };
        let k0 = (first + pad) % stride;
        PhaseAxis {
            len: count_from(first, size),
            taps: count_from(k0, kernel),
            d: (first + pad) / stride,
        }
    }

    /// Zero padding of dy (of `dy_len` along this axis) that keeps every read inside:
    /// reads run from d - (taps - 1) to d + len - 1.
    fn pad_needed(&self, dy_len: usize) -> usize {
        if self.len == 0 || self.taps == 0 {
            return 0;
        }
        (self.taps - 1)
            .saturating_sub(self.d)
            .max((self.d + self.len).saturating_sub(dy_len))
    }
}

/// The input gradient on the texel kernel, or None (nothing recorded) when it does not
/// take it; w's layout comes from `reuse` where it holds it, and is given back where this
/// made it. Within one phase (see `prelude/conv_geometry.wgsl`) the input gradient is a
/// stride-1 forward convolution of dy with that phase's taps reversed, so each phase runs the
/// forward GEMM (MODE 0) on dy laid out as zero-padded NHWC and the phase's block of w laid
/// out as [C, KHP, KWP, O]: the reduction runs over (a, b, o), four output channels per texel.
/// One layout dispatch writes dy's layout and every phase's block (dy's alone where w's is
/// kept), and one GEMM dispatch runs every phase.
pub(super) fn input_grad(
    g: &Geometry,
    (dy, w): (&Tensor, &Tensor),
    bias: Option<&Tensor>,
    out: &Tensor,
    reuse: Option<&Staged>,
) -> Option<Staged> {
    let gpu = dy.gpu();
    let s = g.stride;
    if g.o == 0 || !g.o.is_multiple_of(4) {
        return None;
    }
    let rows_h: Vec<PhaseAxis> = (0..s)
        .map(|ph| PhaseAxis::new(ph, g.h, g.kh, s, g.pad))
        .collect();
    let cols_w: Vec<PhaseAxis> = (0..s)
        .map(|pw| PhaseAxis::new(pw, g.w, g.kw, s, g.pad))
        .collect();
    let pad = rows_h
        .iter()
        .map(|a| a.pad_needed(g.oh))
        .chain(cols_w.iter().map(|a| a.pad_needed(g.ow)))
        .max()
        .unwrap_or(0);
    let (hp, wp, o4) = (g.oh + 2 * pad, g.ow + 2 * pad, g.o / 4);
    let dy_len = g.n * hp * wp * g.o;
    let w_len = g.o * g.c * g.kh * g.kw;
    let sg_wg = gpu.summary().subgroup_max_size.max(8) as usize;
    let limit = gpu.limits().max_compute_workgroups_per_dimension as usize;
    // Phase (0, 0) has the most rows; any phase may have the most taps.
    let max_rows = g.n * rows_h[0].len * cols_w[0].len;
    let max_taps = rows_h.iter().map(|a| a.taps).max().unwrap_or(0)
        * cols_w.iter().map(|a| a.taps).max().unwrap_or(0);
    let fits = gpu.texels_fit(dy_len)
        && gpu.texels_fit(w_len)
        && max_taps * o4 <= TEXEL_MAX_STEPS
        && max_rows.div_ceil(TEXEL_ROWS) <= limit
        && s * s <= limit
        && g.c.div_ceil(4 * sg_wg) <= limit
        && [dy_len, w_len, out.numel()]
            .iter()
            .all(|&l| l <= u32::MAX as usize);
    if !fits {
        return None;
    }
    let u = |v: usize| v as u32;
    let base = TexelParams {
        n: u(g.n),
        c: u(g.o),
        c_src: u(g.o),
        h: u(g.oh),
        w: u(g.ow),
        o: u(g.o),
        kh: u(g.kh),
        kw: u(g.kw),
        stride: u(s),
        pad: u(pad),
        hp: u(hp),
        wp: u(wp),
        ..Default::default()
    };
    // dy's layout with every phase's block of w, one after the other, then every phase's
    // GEMM: one dispatch each, the phases found from the convolution's sizes
    // (prelude/conv_texel_phases.wgsl).
    let phased = TexelParams {
        conv_pad: u(g.pad),
        dx_h: u(g.h),
        dx_w: u(g.w),
        ..base
    };
    let w_layout = Layout::Weight(WeightLayout {
        entry: "weight_phases",
        shape: [g.o, g.c, g.kh, g.kw],
        channels: g.c,
        stride: s,
        pad: g.pad,
    });
    let a = gpu.texel_target(dy_len);
    let pixels = g.n * hp * wp;
    let w_rows = g.c * g.kh * g.kw;
    let kept_w = reuse.and_then(|r| r.find(w, &w_layout));
    // dy and w, when both are laid out, in one dispatch.
    let fresh_w = match kept_w {
        Some(_) => {
            lay_out_into("x_padded_nhwc", &[(dy, &a)], &base, (pixels, None));
            None
        }
        None => {
            let b = gpu.texel_target(w_len);
            let both = TexelParams {
                w_len: u(w_rows),
                w_c: u(g.c),
                w_c_src: u(g.c),
                ..phased
            };
            let jobs = [(dy, &*a), (w, &*b)];
            lay_out_into("x_padded_and_weight_phases", &jobs, &both, (pixels, None));
            Some(b)
        }
    };
    let b = fresh_w.as_ref().or(kept_w).expect("w kept or laid out");
    let gemm = TexelParams {
        c: u(g.o),
        cols: u(g.c),
        out_n: u(g.c * g.h * g.w),
        out_q: u(g.h * g.w),
        out_i: u(s * g.w),
        out_j: u(s),
        len: u(out.numel()),
        has_bias: bias.is_some() as u32,
        // The most of any phase, which sizes the grid; each phase finds its own.
        rows: u(max_rows),
        ..phased
    };
    let tile = TexelTile::for_gemm(max_rows, g.c, sg_wg, false);
    let (col_tiles, row_tiles) = tile.grid(max_rows, g.c, sg_wg);
    let groups = [u(col_tiles), u(row_tiles), u(s * s)];
    // Without a bias, w stands in for it (never read).
    let operands = (&*a, &**b, bias.unwrap_or(w), out);
    texel_gemm(Mode::Forward, &gemm, operands, groups, tile, sg_wg, true);
    let mut staged = Staged::default();
    if let Some(b) = fresh_w {
        staged.keep(w, w_layout, b);
    }
    Some(staged)
}
