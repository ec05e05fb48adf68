//! [`Variant::Texel`](super::Variant::Texel), for CPU adapters: all three convolutions as
//! GEMMs over channels-last copies of the operands, written into textures (`crate::texels`)
//! by the layout kernels of `shaders/conv_layout.wgsl`, so that every four reduction terms
//! are one texel fetch in `shaders/conv_texel.wgsl`. The forward reads x as zero-padded NHWC
//! and w as [O, KH, KW, C]; the weight gradient the same x and dy as [O, N·OH·OW]; the input
//! gradient dy as zero-padded NHWC and, for every stride phase, the phase's taps of w,
//! reversed, as [C, KHP, KWP, O] (one GEMM dispatch whose grid z runs over the phases;
//! `texel_phases.rs`). A product that lays out both x (or dy) and the weight does so in one
//! dispatch (`x_padded_and_weight_khwc`, `x_padded_and_weight_phases`): the layouts are
//! independent and small, and a dispatch costs the host more than either's work. Channels
//! that are not whole quads (a 3-channel image) are laid out filled up with zero channels,
//! which add exact zeros to each sum; the weight gradient of those channels is computed and
//! dropped. A forward-shaped GEMM of at most 4 columns (the input gradient into one channel)
//! runs a narrow kernel without the 64-column tile.

mod layout;

pub(super) use layout::lay_out_into;

use super::gpu::{sum_splits, MIN_CHUNK};
use super::staged::{Layout, PaddedLayout, Staged, WeightLayout};
use super::{texel_phases, Bias, Geometry, Mode};
use crate::ops::concat;
use crate::{grid_1d, Dispatch, Gpu, Shader, Tensor, TEXELS_PER_ROW};

const TEXEL: Shader = crate::composed_shader!("conv_texel");

// The shortest tile's rows (see TexelTile), and reduction steps of four terms one
// invocation may walk (a step is one loop iteration).
pub(super) const TEXEL_ROWS: usize = 64;
pub(super) const TEXEL_MAX_STEPS: usize = 16_384;
// Texel runs on CPU adapters, whose few threads need fewer workgroups than a GPU: splitting
// a reduction for more would only add partial sums and a dispatch to sum them. 8 keeps the
// weight gradients of the DVAAN networks whole (13 to 100 workgroups each) on a 2-core
// lavapipe, where 32 split five of them in 2 or 3 and ran no faster. A constant, not the
// host's core count, so that a run gives the same bits on every machine with this adapter.
const TEXEL_TARGET_GROUPS: usize = 8;
// conv_texel_narrow: forwards of at most this many columns (the input gradient into one
// channel), this many rows per invocation.
const NARROW_COLS: u32 = 4;
const NARROW_ROWS: usize = 8;

/// Records the GEMM of `mode` into `out` on the texel kernels, or hands `out` back untouched
/// (nothing recorded) when they do not take this convolution. It adds `bias`, or writes the
/// bias gradient where [`sums_bias`] says it can. The result may be a new
/// tensor: a weight gradient over filled-up channels keeps part of a larger one. A forward
/// gives back its layouts of `src` and of the weight, an input gradient its layout of the
/// weight; a later product reads them from `reuse` instead of laying the same tensor out
/// again the same way.
pub(super) fn run(
    mode: Mode,
    g: &Geometry,
    (src, plain): (&Tensor, &Tensor),
    bias: Bias,
    out: Tensor,
    reuse: Option<&Staged>,
) -> Result<(Tensor, Staged), Tensor> {
    if let Some(plan) = TexelPlan::new(mode, g, src.gpu()) {
        return Ok(plan.run_into(src, plain, bias, out, reuse));
    }
    if mode == Mode::InputGrad && bias.grad().is_none() {
        if let Some(staged) = texel_phases::input_grad(g, (src, plain), bias.added(), &out, reuse) {
            return Ok((out, staged));
        }
    }
    Err(out)
}

/// Whether the texel kernel takes the product of `mode` and can sum dy, the bias gradient, as
/// it lays dy out: a weight gradient's rows of dy (`dy_rows_summed`, one workgroup a row), or
/// the gathered dy of a forward-shaped product, a transposed convolution's input gradient
/// (`x_padded_nhwc_summed`, one workgroup a channel quad, or with the weight's layout in the
/// same dispatch, `x_padded_summed_and_weight_khwc`).
pub(super) fn sums_bias(mode: Mode, g: &Geometry, gpu: &Gpu) -> bool {
    // An empty product records nothing, so nothing would write the sums.
    if mode.out_shape(g).contains(&0) {
        return false;
    }
    let limit = gpu.limits().max_compute_workgroups_per_dimension as usize;
    let workgroups = match mode {
        Mode::WeightGrad => g.o,
        Mode::Forward => g.c.div_ceil(4),
        Mode::InputGrad => return false,
    };
    workgroups <= limit && TexelPlan::new(mode, g, gpu).is_some()
}

#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub(super) struct TexelParams {
    pub(super) n: u32,
    pub(super) c: u32,
    pub(super) h: u32,
    pub(super) w: u32,
    pub(super) o: u32,
    pub(super) oh: u32,
    pub(super) ow: u32,
    pub(super) kh: u32,
    pub(super) kw: u32,
    pub(super) stride: u32,
    pub(super) pad: u32,
    pub(super) hp: u32,
    pub(super) wp: u32,
    pub(super) rows: u32,
    pub(super) cols: u32,
    pub(super) steps: u32,
    pub(super) kp: u32,
    pub(super) r_chunk: u32,
    pub(super) len: u32,
    pub(super) has_bias: u32,
    pub(super) off_h: u32,
    pub(super) off_w: u32,
    pub(super) b_base: u32,
    pub(super) out_0: u32,
    pub(super) out_n: u32,
    pub(super) out_q: u32,
    pub(super) out_i: u32,
    pub(super) out_j: u32,
    pub(super) kh0: u32,
    pub(super) kw0: u32,
    pub(super) khp: u32,
    pub(super) kwp: u32,
    pub(super) c_src: u32,
    pub(super) conv_pad: u32,
    pub(super) dx_h: u32,
    pub(super) dx_w: u32,
    pub(super) w_len: u32,
    pub(super) w_c: u32,
    pub(super) w_c_src: u32,
    pub(super) _pad: u32,
}

/// The texel kernel's tile (`TX_ROWS` rows, `TILE_COLS` columns per invocation in the shader).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TexelTile {
    rows: usize,
    cols: usize,
}

impl TexelTile {
    /// 128 rows where that pads the rows by at most a tenth more than 64 would and, unless
    /// the reduction can be split for parallelism (`splits`), still makes two workgroups:
    /// each fetched B texel then feeds twice the multiply-adds (≈ 10 % faster per CPU-second
    /// on lavapipe). 4 columns per invocation where 8 would leave much of the last column
    /// tile idle (32 columns; 92 columns pad to 128 with 8, to 96 with 4).
    pub(super) fn for_gemm(rows: usize, cols: usize, sg_wg: usize, splits: bool) -> TexelTile {
        // A 4-column tile costs ≈ 15 % more per multiply-add than an 8-column one (fewer
        // of them share each fetched A texel), so it wins when it pads the columns less.
        let padded_cols = |per_lane: usize| cols.div_ceil(per_lane * sg_wg) * per_lane * sg_wg;
        let per_lane = if 115 * padded_cols(4) < 100 * padded_cols(8) {
            4
        } else {
            8
        };
        let col_tiles = cols.div_ceil(per_lane * sg_wg);
        let short = TEXEL_ROWS;
        let tall = 2 * TEXEL_ROWS;
        let padded = |edge: usize| rows.div_ceil(edge) * edge;
        let use_tall = rows > short
            && 10 * padded(tall) <= 11 * padded(short)
            && (splits || rows.div_ceil(tall) * col_tiles >= 2);
        TexelTile {
            rows: if use_tall { tall } else { short },
            cols: per_lane,
        }
    }

    /// Workgroups along columns and rows.
    pub(super) fn grid(self, rows: usize, cols: usize, sg_wg: usize) -> (usize, usize) {
        (cols.div_ceil(self.cols * sg_wg), rows.div_ceil(self.rows))
    }
}

/// The texel kernel's GEMM for one forward or weight gradient (see `conv_texel` in the
/// shader): its sizes, and the shapes of the channels-last operands it reads.
struct TexelPlan {
    mode: Mode,
    prm: TexelParams,
    /// x_pad [N, H+2·PAD, W+2·PAD, C], and the other operand: w_khwc [O, KH, KW, C] or
    /// dy_rows [O, KP].
    x_pad: [usize; 4],
    other: Vec<usize>,
    groups: [u32; 3],
    tile: TexelTile,
    sg_wg: usize,
}

impl TexelPlan {
    /// The plan, or None when the texel kernel does not take this convolution: the input
    /// gradient, channels that are not whole texels, a forward reduction past the loop
    /// budget, operands past the adapter's texture size, or a grid past its limits.
    fn new(mode: Mode, g: &Geometry, gpu: &Gpu) -> Option<TexelPlan> {
        // Channels that are not whole quads are filled up with zero channels, where that adds
        // at most half again to the work: 3 → 4 channels (a 32x32x3 image's first layer ran
        // its forward 3.1x and weight gradient 1.6x faster than on the subgroup kernel), but
        // not 1 → 4, which measured no faster than the subgroup kernel at four times the work.
        let c = g.c.next_multiple_of(4);
        if mode == Mode::InputGrad || g.c == 0 || 2 * c > 3 * g.c {
            return None;
        }
        let (hp, wp) = (g.h + 2 * g.pad, g.w + 2 * g.pad);
        let (khw, c4, pixels) = (g.kh * g.kw, c / 4, g.n * g.oh * g.ow);
        let x_pad = [g.n, hp, wp, c];
        let sg_wg = gpu.summary().subgroup_max_size.max(8) as usize;
        let (rows, cols, steps, kp, other) = match mode {
            Mode::Forward => (pixels, g.o, khw * c4, 0, vec![g.o, g.kh, g.kw, c]),
            _ => {
                let kp = pixels.next_multiple_of(4);
                (g.o, khw * c, pixels, kp, vec![g.o, kp])
            }
        };
        let tile = TexelTile::for_gemm(rows, cols, sg_wg, mode == Mode::WeightGrad);
        let (col_tiles, row_tiles) = tile.grid(rows, cols, sg_wg);
        // The forward walks its whole reduction in one invocation; the weight gradient splits
        // N·OH·OW in chunks of whole texels, as many as the loop budget and the wish for
        // TARGET_GROUPS workgroups ask.
        let (r_chunk, splits) = match mode {
            Mode::Forward if steps > TEXEL_MAX_STEPS => return None,
            Mode::Forward => (0, 1),
            _ => {
                let want = TEXEL_TARGET_GROUPS
                    .div_ceil(row_tiles * col_tiles)
                    .min(steps / MIN_CHUNK);
                let splits = steps.div_ceil(4 * TEXEL_MAX_STEPS).max(want).max(1);
                let r_chunk = steps.div_ceil(splits).next_multiple_of(4);
                (r_chunk, steps.div_ceil(r_chunk).max(1))
            }
        };
        let x_len: usize = x_pad.iter().product();
        let other_len: usize = other.iter().product();
        let limit = gpu.limits().max_compute_workgroups_per_dimension as usize;
        let fits = pixels > 0
            && gpu.texels_fit(x_len)
            && gpu.texels_fit(other_len)
            && [row_tiles, col_tiles, splits].iter().all(|&t| t <= limit)
            && [rows * cols * splits, x_len, other_len]
                .iter()
                .all(|&l| l <= u32::MAX as usize);
        let u = |v: usize| v as u32;
        fits.then(|| TexelPlan {
            mode,
            prm: TexelParams {
                n: u(g.n),
                c: u(c),
                c_src: u(g.c),
                h: u(g.h),
                w: u(g.w),
                o: u(g.o),
                oh: u(g.oh),
                ow: u(g.ow),
                kh: u(g.kh),
                kw: u(g.kw),
                stride: u(g.stride),
                pad: u(g.pad),
                hp: u(hp),
                wp: u(wp),
                rows: u(rows),
                cols: u(cols),
                steps: u(steps),
                kp: u(kp),
                r_chunk: u(r_chunk),
                len: u(rows * cols),
                // The forward's output is NCHW y.
                out_n: u(g.o * g.oh * g.ow),
                out_q: u(g.oh * g.ow),
                out_i: u(g.ow),
                out_j: 1,
                ..Default::default()
            },
            x_pad,
            other,
            groups: [u(col_tiles), u(row_tiles), u(splits)],
            tile,
            sg_wg,
        })
    }

    /// [`TexelPlan::run`] into `out`; a weight gradient over filled-up channels runs into
    /// [O, C rounded up, KH, KW] and keeps `out`'s C channels.
    fn run_into(
        &self,
        src: &Tensor,
        plain: &Tensor,
        bias: Bias,
        out: Tensor,
        reuse: Option<&Staged>,
    ) -> (Tensor, Staged) {
        let (c, filled) = (out.dim(1), self.x_pad[3]);
        if self.mode != Mode::WeightGrad || c == filled {
            let staged = self.run(src, plain, bias, &out, reuse);
            return (out, staged);
        }
        let mut shape = out.shape().to_vec();
        shape[1] = filled;
        let padded = Tensor::uninit(src.gpu(), &shape);
        let staged = self.run(src, plain, bias, &padded, reuse);
        (concat::narrow(&padded, 1, 0, c), staged)
    }

    /// The layout `x_padded_nhwc` writes of the gathered operand.
    fn padded_layout(&self) -> Layout {
        let p = &self.prm;
        Layout::Padded(PaddedLayout {
            x_pad: self.x_pad,
            c_src: p.c_src as usize,
            h: p.h as usize,
            w: p.w as usize,
            pad: p.pad as usize,
        })
    }

    /// The layout `weight_khwc` writes of a forward's weight.
    fn khwc_layout(&self) -> Layout {
        let p = &self.prm;
        let (o, c, kh, kw) = (p.o, p.c_src, p.kh, p.kw);
        Layout::Weight(WeightLayout {
            entry: "weight_khwc",
            shape: [o, c, kh, kw].map(|v| v as usize),
            channels: self.x_pad[3],
            stride: 0,
            pad: 0,
        })
    }

    /// `src` is x (the gathered operand), `plain` the weight (forward) or dy (weight
    /// gradient); writes `out`, adding `bias` in a forward, or writes the bias gradient as dy
    /// is laid out (dy is `plain` in a weight gradient, `src` in a transposed convolution's
    /// input gradient). The layouts of x and of the weight come from `reuse` where it holds
    /// them; a forward gives back those it made.
    fn run(
        &self,
        src: &Tensor,
        plain: &Tensor,
        bias: Bias,
        out: &Tensor,
        reuse: Option<&Staged>,
    ) -> Staged {
        let gpu = src.gpu();
        let forward = self.mode == Mode::Forward;
        let layout = self.padded_layout();
        let sums = bias.grad();
        let kept = reuse.and_then(|r| r.find(src, &layout));
        let w_layout = self.khwc_layout();
        let kept_w = reuse
            .filter(|_| forward)
            .and_then(|r| r.find(plain, &w_layout));
        let (fresh_x, fresh_other) =
            self.lay_out_fresh((src, plain), sums, (kept.is_some(), kept_w.is_some()));
        let x = fresh_x.as_ref().or(kept).expect("x kept or laid out");
        let other = fresh_other.as_ref().or(kept_w).expect("laid out or kept");
        let (a, b): (&wgpu::TextureView, &wgpu::TextureView) =
            if forward { (x, other) } else { (other, x) };
        let splits = self.groups[2] as usize;
        let partials = (splits > 1).then(|| Tensor::uninit(gpu, &[splits, out.numel()]));
        // Only a forward adds a bias.
        let bias = bias.added().filter(|_| forward);
        let prm = TexelParams {
            has_bias: bias.is_some() as u32,
            ..self.prm
        };
        let dst = partials.as_ref().unwrap_or(out);
        // The bias is read only when has_bias; the weight (or dy) stands in otherwise.
        let operands = (a, b, bias.unwrap_or(plain), dst);
        texel_gemm(
            self.mode,
            &prm,
            operands,
            self.groups,
            self.tile,
            self.sg_wg,
            false,
        );
        if let Some(partials) = partials {
            // Only the weight gradient splits; it has no bias.
            sum_splits(&partials, (None, plain), out, 1, 1);
        }
        let mut staged = Staged::default();
        if forward {
            if let Some(x) = fresh_x {
                staged.keep(src, layout, x);
            }
            if let Some(w) = fresh_other {
                staged.keep(plain, w_layout, w);
            }
        }
        staged
    }
}

/// One `conv_texel` dispatch on `groups` workgroups: operands (A texels, B texels, bias,
/// output). A forward of at most 4 columns runs `conv_texel_narrow` instead.
pub(super) fn texel_gemm(
    mode: Mode,
    prm: &TexelParams,
    (a, b, bias, dst): (&wgpu::TextureView, &wgpu::TextureView, &Tensor, &Tensor),
    groups: [u32; 3],
    tile: TexelTile,
    sg_wg: usize,
    phases: bool,
) {
    let narrow = mode == Mode::Forward && prm.cols <= NARROW_COLS;
    let dispatch = if narrow {
        // Rows fold into grid x and y; z stays the phase.
        let [x, y, _] = grid_1d((prm.rows as usize).div_ceil(NARROW_ROWS), 64);
        Dispatch::new(&TEXEL, "conv_texel_narrow").groups([x, y, groups[2]])
    } else {
        Dispatch::new(&TEXEL, "conv_texel")
            .constant("SG_WG", sg_wg as f64)
            .constant("TX_ROWS", tile.rows as f64)
            .constant("TILE_COLS", tile.cols as f64)
            .groups(groups)
    };
    dispatch
        .constant("MODE", mode as u32 as f64)
        .constant("PHASES", phases as u32 as f64)
        .constant("TEXELS_PER_ROW", TEXELS_PER_ROW as f64)
        .params(prm)
        .texels(a)
        .texels(b)
        .arg(bias)
        .arg(dst)
        .run(dst.gpu());
}

#[cfg(test)]
mod tests {
    use super::TexelTile;

    fn tile(rows: usize, cols: usize, splits: bool) -> (usize, usize) {
        let t = TexelTile::for_gemm(rows, cols, 8, splits);
        (t.rows, t.cols)
    }

    #[test]
    fn texel_tiles_follow_the_gemm_shape() {
        // enc2's forward: 3136 pixels pad to 3200 rows in 128-row tiles (2 % more than 64),
        // 92 columns to 96 in 4-column tiles (128 in 8-column ones).
        assert_eq!(tile(3136, 92, false), (128, 4));
        // enc2's weight gradient: 92 rows take one 128-row tile or two 64-row ones alike.
        assert_eq!(tile(92, 1600, true), (128, 8));
        // 300 rows would pad to 384 instead of 320: too much idle work.
        assert_eq!(tile(300, 64, true), (64, 8));
        // One tall tile and one column tile would leave one of two threads idle.
        assert_eq!(tile(100, 64, false), (64, 8));
        // dis2's input gradient: 32 columns fill a 4-column tile exactly.
        assert_eq!(tile(3136, 32, false), (128, 4));
        assert_eq!(tile(64, 33, false), (64, 8));
    }
}
