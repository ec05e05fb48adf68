//! 2-d convolution (NCHW, weight [O, C, KH, KW], one stride and one zero padding for both
//! axes): forward, input gradient and weight gradient.
//! Kernel: `shaders/conv.wgsl`, one implicit-GEMM loop for all three. CPU reference: [`reference`].
//!
//! With ih = oh*stride - padding + kh (taps outside the input read zero):
//! - forward:      y[n,o,oh,ow]  = bias[o] + Σ_{c,kh,kw} x[n,c,ih,iw] · w[o,c,kh,kw]
//! - input grad:   dx[n,c,ih,iw] = Σ_{o,kh,kw : ih = oh*stride - padding + kh} dy[n,o,oh,ow] · w[o,c,kh,kw]
//! - weight grad:  dw[o,c,kh,kw] = Σ_{n,oh,ow} dy[n,o,oh,ow] · x[n,c,ih,iw]
//!
//! The transposed convolution ([`super::conv_transpose`]) runs on the same three kernels:
//! its forward is this input gradient, its input gradient this forward.
//!
//! [`Variant::Texel`] (CPU adapters) runs all three as GEMMs over channels-last copies of
//! the operands, written into textures (`crate::texels`) by small layout kernels so that
//! every four reduction terms are one texel fetch: the forward reads x as zero-padded NHWC
//! and w as [O, KH, KW, C]; the weight gradient the same x and dy as [O, N·OH·OW]; the input
//! gradient, one stride phase at a time, dy as zero-padded NHWC and the phase's taps of w,
//! reversed, as [C, KHP, KWP, O]. Channels that are not whole quads (a 3-channel image) are
//! laid out filled up with zero channels, which add exact zeros to each sum; the weight
//! gradient of those channels is computed and dropped. A forward-shaped GEMM of at most 4
//! columns (the input gradient into one channel) runs a narrow kernel without the 64-column
//! tile.

use crate::ops::concat;
use crate::{grid_1d, shader, Dispatch, Gpu, Shader, Tensor, Texels, TEXELS_PER_ROW};

const SHADER: Shader = shader!("conv");

/// Which kernel of `conv.wgsl` runs. All are correct on every adapter that runs them;
/// [`Variant::best`] picks the fast one for the adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// 8x8 workgroups, 4x4 outputs per invocation, plain loads.
    Portable,
    /// One 8-lane subgroup per workgroup sharing gathered operands by broadcasts, 64x8
    /// outputs per invocation: for CPU adapters, where every memory load is expensive.
    Subgroup,
    /// `gemm_texel`'s tiling on operands laid out channels-last in textures, four reduction
    /// terms per fetch. It needs the reduced channels (C for the forward and the weight
    /// gradient, O for the input gradient) to be a multiple of 4; shapes it does not take
    /// run [`Variant::texel_fallback`].
    Texel,
}

impl Variant {
    /// Texel (else Subgroup) on CPU adapters that can run it, portable elsewhere.
    pub fn best(gpu: &Gpu) -> Variant {
        if gpu.summary().device_type == "Cpu" && Variant::texel_runs_on(gpu) {
            Variant::Texel
        } else if gpu.summary().device_type == "Cpu" && Variant::subgroup_runs_on(gpu) {
            Variant::Subgroup
        } else {
            Variant::Portable
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

/// The sizes of one convolution: input [n, c, h, w], weight [o, c, kh, kw], output
/// [n, o, oh, ow].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Geometry {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub o: usize,
    pub oh: usize,
    pub ow: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride: usize,
    pub pad: usize,
}

impl Geometry {
    /// The convolution of an input `[n, c, h, w]` with a weight `[o, c, kh, kw]`; panics,
    /// naming `op`, when the kernel does not fit.
    pub(crate) fn new(
        op: &str,
        [n, c, h, w]: [usize; 4],
        [o, kh, kw]: [usize; 3],
        stride: usize,
        pad: usize,
    ) -> Geometry {
        let (oh, ow) = (
            out_size(op, h, kh, stride, pad),
            out_size(op, w, kw, stride, pad),
        );
        Geometry {
            n,
            c,
            h,
            w,
            o,
            oh,
            ow,
            kh,
            kw,
            stride,
            pad,
        }
    }
}

/// Output size of a convolution along one axis; panics when the kernel does not fit.
pub(crate) fn out_size(op: &str, input: usize, kernel: usize, stride: usize, pad: usize) -> usize {
    assert!(stride >= 1, "{op}: stride must be at least 1");
    assert!(
        input + 2 * pad >= kernel,
        "{op}: kernel {kernel} larger than the padded input {input} + 2*{pad}"
    );
    (input + 2 * pad - kernel) / stride + 1
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Forward = 0,
    InputGrad = 1,
    WeightGrad = 2,
}

// Output tile of one workgroup (rows p x columns q): fixed in `conv.wgsl`.
const SUBGROUP_TILE: usize = 64;
const PORTABLE_TILE: usize = 32;
// Lavapipe aborts a shader after 65,535 loop iterations in all; the portable kernel spends
// up to ~25 of them per reduction step where its inner loops stay rolled.
const SUBGROUP_MAX_STEPS: usize = 16_384;
const PORTABLE_MAX_STEPS: usize = 2_048;
// The weight gradient (few outputs, a long reduction) splits its reduction until there
// are about this many workgroups, keeping at least MIN_CHUNK terms per split.
const TARGET_GROUPS: usize = 64;
const MIN_CHUNK: usize = 256;
// The portable kernel is what real GPUs run, where a few hundred 64-invocation workgroups
// leave most of the chip idle (measured on an H200: 133 GFLOP/s for enc2's forward): every
// mode splits its reduction until about this many workgroups exist.
const PORTABLE_TARGET_GROUPS: usize = 2048;
const PORTABLE_MIN_CHUNK: usize = 64;
// The texel kernel: the shortest tile's rows (see TexelTile), and reduction steps of four
// terms one invocation may walk (a step is one loop iteration).
const TEXEL_ROWS: usize = 64;
const TEXEL_MAX_STEPS: usize = 16_384;
// Texel runs on CPU adapters, whose few threads need fewer workgroups than a GPU: splitting
// a reduction for more would only add partial sums.
const TEXEL_TARGET_GROUPS: usize = 32;
// conv_texel_narrow: forwards of at most this many columns (the input gradient into one
// channel), this many rows per invocation.
const NARROW_COLS: u32 = 4;
const NARROW_ROWS: usize = 8;

/// Runs one of the three GEMMs of `conv.wgsl`. `src` is the gathered tensor (x, or dy for
/// the input gradient), `plain` the other operand (w, or dy for the weight gradient).
pub(crate) fn implicit_gemm(
    mode: Mode,
    g: &Geometry,
    src: &Tensor,
    plain: &Tensor,
    bias: Option<&Tensor>,
    variant: Variant,
) -> Tensor {
    let gpu = src.gpu();
    let khw = g.kh * g.kw;
    gpu.count_flops(2 * g.n * g.o * g.oh * g.ow * g.c * khw);
    // GEMM sizes: p rows (of the largest phase for the input gradient), q columns, r terms.
    let (p_count, q_count, r_count, phases, out_shape) = match mode {
        Mode::Forward => (g.n * g.oh * g.ow, g.o, g.c * khw, 1, [g.n, g.o, g.oh, g.ow]),
        Mode::InputGrad => {
            let s = g.stride;
            let p = g.n * g.h.div_ceil(s) * g.w.div_ceil(s);
            let r = g.o * g.kh.div_ceil(s) * g.kw.div_ceil(s);
            (p, g.c, r, s * s, [g.n, g.c, g.h, g.w])
        }
        Mode::WeightGrad => (g.c * khw, g.o, g.n * g.oh * g.ow, 1, [g.o, g.c, g.kh, g.kw]),
    };
    let out = Tensor::uninit(gpu, &out_shape);
    if out.numel() == 0 {
        return out;
    }
    let mut variant = variant;
    if variant == Variant::Texel {
        assert!(
            Variant::texel_runs_on(gpu),
            "conv: the texel kernel needs subgroups of at least 8 lanes on this adapter ({})",
            gpu.summary()
        );
        if let Some(plan) = TexelPlan::new(mode, g, gpu) {
            return plan.run_into(src, plain, bias, out);
        }
        if mode == Mode::InputGrad && texel_input_grad(g, src, plain, bias, &out) {
            return out;
        }
        variant = Variant::texel_fallback(gpu);
    }
    assert!(
        variant == Variant::Portable || Variant::subgroup_runs_on(gpu),
        "conv: the subgroup kernel needs subgroups of exactly 8 lanes on this adapter ({})",
        gpu.summary()
    );
    let (entry, tile, max_steps) = match variant {
        Variant::Portable => ("conv_tiled", PORTABLE_TILE, PORTABLE_MAX_STEPS),
        Variant::Subgroup | Variant::Texel => ("conv_subgroup", SUBGROUP_TILE, SUBGROUP_MAX_STEPS),
    };
    let p_tiles = p_count.div_ceil(tile);
    let q_tiles = q_count.div_ceil(tile);
    let mut splits = r_count.div_ceil(max_steps).max(1);
    let (target, min_chunk) = match variant {
        Variant::Portable => (PORTABLE_TARGET_GROUPS, PORTABLE_MIN_CHUNK),
        // Texel has become its fallback by now; it never runs these kernels itself.
        Variant::Subgroup | Variant::Texel if mode == Mode::WeightGrad => {
            (TARGET_GROUPS, MIN_CHUNK)
        }
        Variant::Subgroup | Variant::Texel => (0, 1),
    };
    let want = target
        .div_ceil(p_tiles * q_tiles * phases)
        .min(r_count / min_chunk);
    splits = splits.max(want);
    let r_chunk = r_count.div_ceil(splits).max(1);
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
    Dispatch::new(&SHADER, entry)
        .constant("MODE", mode as u32 as f64)
        .constant("HAS_BIAS", (bias.is_some() && splits == 1) as u32 as f64)
        .params(&params)
        .arg(src)
        .arg(plain)
        .arg(bias_arg)
        .arg(partials.as_ref().unwrap_or(&out))
        .groups([gx, gy, z as u32])
        .run(gpu);
    if let Some(partials) = partials {
        let len = out.numel();
        let plane = out_shape[2] * out_shape[3];
        Dispatch::new(&SHADER, "sum_splits")
            .constant("HAS_BIAS", bias.is_some() as u32 as f64)
            .params(&SumParams {
                len: len as u32,
                splits: splits as u32,
                bias_div: plane as u32,
                bias_mod: out_shape[1] as u32,
            })
            .arg(&partials)
            .arg(bias_arg)
            .arg(&out)
            .groups(grid_1d(len, 256))
            .run(gpu);
    }
    out
}

#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct TexelParams {
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
    hp: u32,
    wp: u32,
    rows: u32,
    cols: u32,
    steps: u32,
    kp: u32,
    r_chunk: u32,
    len: u32,
    has_bias: u32,
    off_h: u32,
    off_w: u32,
    b_base: u32,
    out_0: u32,
    out_n: u32,
    out_q: u32,
    out_i: u32,
    out_j: u32,
    kh0: u32,
    kw0: u32,
    khp: u32,
    kwp: u32,
    c_src: u32,
    _pad: [u32; 3],
}

/// The texel kernel's tile (`TX_ROWS` x `TX_COLS` per invocation in the shader).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TexelTile {
    rows: usize,
    cols: usize,
}

impl TexelTile {
    /// 128 rows where that pads the rows by at most a tenth more than 64 would and, unless
    /// the reduction can be split for parallelism (`splits`), still makes two workgroups:
    /// each fetched B texel then feeds twice the multiply-adds (≈ 10 % faster per CPU-second
    /// on lavapipe). 4 columns per invocation where 8 would leave much of the last column
    /// tile idle (32 columns; 92 columns pad to 128 with 8, to 96 with 4).
    fn for_gemm(rows: usize, cols: usize, sg_wg: usize, splits: bool) -> TexelTile {
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
    fn grid(self, rows: usize, cols: usize, sg_wg: usize) -> (usize, usize) {
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

    /// Writes `t` into a lent staging texture as `numel` floats with layout kernel `entry`,
    /// run on `invocations` invocations.
    fn lay_out(&self, entry: &str, t: &Tensor, (numel, invocations): (usize, usize)) -> Texels {
        let view = t.gpu().texel_target(numel);
        lay_out_into(entry, t, &self.prm, &view, invocations);
        view
    }

    /// [`TexelPlan::run`] into `out`; a weight gradient over filled-up channels runs into
    /// [O, C rounded up, KH, KW] and keeps `out`'s C channels.
    fn run_into(&self, src: &Tensor, plain: &Tensor, bias: Option<&Tensor>, out: Tensor) -> Tensor {
        let (c, filled) = (out.dim(1), self.x_pad[3]);
        if self.mode != Mode::WeightGrad || c == filled {
            self.run(src, plain, bias, &out);
            return out;
        }
        let mut shape = out.shape().to_vec();
        shape[1] = filled;
        let padded = Tensor::uninit(src.gpu(), &shape);
        self.run(src, plain, bias, &padded);
        concat::narrow(&padded, 1, 0, c)
    }

    /// `src` is x (the gathered operand), `plain` the weight (forward) or dy (weight
    /// gradient); writes `out` (+ bias).
    fn run(&self, src: &Tensor, plain: &Tensor, bias: Option<&Tensor>, out: &Tensor) {
        let gpu = src.gpu();
        let g = &self.prm;
        let [n, hp, wp, c] = self.x_pad;
        let x_pad = (n * hp * wp * c, n * hp * wp);
        let other_len = self.other.iter().product::<usize>();
        let (a, b) = if self.mode == Mode::Forward {
            let taps = (g.o * g.kh * g.kw) as usize;
            (
                self.lay_out("x_padded_nhwc", src, x_pad),
                self.lay_out("weight_khwc", plain, (other_len, taps)),
            )
        } else {
            (
                self.lay_out("dy_rows", plain, (other_len, other_len / 4)),
                self.lay_out("x_padded_nhwc", src, x_pad),
            )
        };
        let splits = self.groups[2] as usize;
        let partials = (splits > 1).then(|| Tensor::uninit(gpu, &[splits, out.numel()]));
        let prm = TexelParams {
            has_bias: bias.is_some() as u32,
            ..self.prm
        };
        let dst = partials.as_ref().unwrap_or(out);
        // The bias is read only when has_bias; the weight (or dy) stands in otherwise.
        let operands = (&*a, &*b, bias.unwrap_or(plain), dst);
        texel_gemm(
            self.mode,
            &prm,
            operands,
            self.groups,
            self.tile,
            self.sg_wg,
        );
        if let Some(partials) = partials {
            // Only the weight gradient splits; it has no bias.
            let len = out.numel();
            Dispatch::new(&SHADER, "sum_splits")
                .constant("HAS_BIAS", 0.0)
                .params(&SumParams {
                    len: len as u32,
                    splits: splits as u32,
                    bias_div: 1,
                    bias_mod: 1,
                })
                .arg(&partials)
                .arg(plain)
                .arg(out)
                .groups(grid_1d(len, 256))
                .run(gpu);
        }
    }
}

/// Runs layout kernel `entry` of `conv.wgsl` on `invocations` invocations: it reads `t` (from
/// a staged copy where the adapter prefers texel reads) and writes staging texture `view`.
fn lay_out_into(
    entry: &str,
    t: &Tensor,
    prm: &TexelParams,
    view: &wgpu::TextureView,
    invocations: usize,
) {
    let gpu = t.gpu();
    let (reads, source) = gpu.texel_inputs(&[t]);
    Dispatch::new(&SHADER, entry)
        .constant("TEXELS_PER_ROW", TEXELS_PER_ROW as f64)
        .constant("TEXEL_READS", reads as u32 as f64)
        .constant("FILL_CHANNELS", (prm.c != prm.c_src) as u32 as f64)
        .params(&TexelParams {
            len: invocations as u32,
            ..*prm
        })
        .arg(t)
        .texels(view)
        .texels(&source[0])
        .groups(grid_1d(invocations, 64))
        .run(gpu);
}

/// One `conv_texel` dispatch on `groups` workgroups: operands (A texels, B texels, bias,
/// output). A forward of at most 4 columns runs `conv_texel_narrow` instead.
fn texel_gemm(
    mode: Mode,
    prm: &TexelParams,
    (a, b, bias, dst): (&wgpu::TextureView, &wgpu::TextureView, &Tensor, &Tensor),
    groups: [u32; 3],
    tile: TexelTile,
    sg_wg: usize,
) {
    let narrow = mode == Mode::Forward && prm.cols <= NARROW_COLS;
    let dispatch = if narrow {
        Dispatch::new(&SHADER, "conv_texel_narrow")
            .groups(grid_1d((prm.rows as usize).div_ceil(NARROW_ROWS), 64))
    } else {
        Dispatch::new(&SHADER, "conv_texel")
            .constant("SG_WG", sg_wg as f64)
            .constant("TX_ROWS", tile.rows as f64)
            .constant("TX_COLS", tile.cols as f64)
            .groups(groups)
    };
    dispatch
        .constant("MODE", mode as u32 as f64)
        .constant("TEXELS_PER_ROW", TEXELS_PER_ROW as f64)
        .params(prm)
        .texels(a)
        .texels(b)
        .arg(bias)
        .arg(dst)
        .run(dst.gpu());
}

/// One axis of one input-gradient phase (see `conv.wgsl`): outputs first + S·i for i < len,
/// taps k0 + S·a for a < taps, reading dy at d + i - a.
struct PhaseAxis {
    first: usize,
    len: usize,
    k0: usize,
    taps: usize,
    d: usize,
}

impl PhaseAxis {
    fn new(first: usize, size: usize, kernel: usize, stride: usize, pad: usize) -> PhaseAxis {
        let count_from = |f: usize, n: usize| if f < n { (n - f).div_ceil(stride) } else { 0 };
        let k0 = (first + pad) % stride;
        PhaseAxis {
            first,
            len: count_from(first, size),
            k0,
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

    /// Where output i = 0 reads with reversed tap 0 (tap taps - 1), in dy padded by `pad`.
    fn offset(&self, pad: usize) -> usize {
        if self.taps == 0 {
            return 0;
        }
        self.d + pad - (self.taps - 1)
    }
}

/// The input gradient on the texel kernel, or false (nothing recorded) when it does not
/// take it. Within one phase (see `conv.wgsl`) the input gradient is a stride-1 forward
/// convolution of dy with that phase's taps reversed, so each phase runs the forward GEMM
/// (MODE 0) on dy laid out as zero-padded NHWC and the phase's block of w laid out as
/// [C, KHP, KWP, O]: the reduction runs over (a, b, o), four output channels per texel.
fn texel_input_grad(
    g: &Geometry,
    dy: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    out: &Tensor,
) -> bool {
    let gpu = dy.gpu();
    let s = g.stride;
    if g.o == 0 || !g.o.is_multiple_of(4) {
        return false;
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
        && g.c.div_ceil(4 * sg_wg) <= limit
        && [dy_len, w_len, out.numel()]
            .iter()
            .all(|&l| l <= u32::MAX as usize);
    if !fits {
        return false;
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
    let a = gpu.texel_target(dy_len);
    lay_out_into("x_padded_nhwc", dy, &base, &a, g.n * hp * wp);
    let b = gpu.texel_target(w_len);
    // Each phase's block of w, one after the other; then each phase's GEMM.
    let mut b_base = 0;
    let mut gemms = Vec::new();
    for rh in &rows_h {
        for cw in &cols_w {
            let taps = rh.taps * cw.taps;
            let prm = TexelParams {
                c: u(g.c),
                c_src: u(g.c),
                kh0: u(rh.k0),
                kw0: u(cw.k0),
                khp: u(rh.taps),
                kwp: u(cw.taps),
                b_base: u(b_base),
                ..base
            };
            if taps > 0 {
                lay_out_into("weight_phase", w, &prm, &b, g.c * taps);
            }
            let rows = g.n * rh.len * cw.len;
            if rows > 0 {
                gemms.push(TexelParams {
                    c: u(g.o),
                    stride: 1,
                    off_h: u(rh.offset(pad)),
                    off_w: u(cw.offset(pad)),
                    oh: u(rh.len),
                    ow: u(cw.len),
                    kh: u(rh.taps),
                    kw: u(cw.taps),
                    rows: u(rows),
                    cols: u(g.c),
                    steps: u(taps * o4),
                    out_0: u(rh.first * g.w + cw.first),
                    out_n: u(g.c * g.h * g.w),
                    out_q: u(g.h * g.w),
                    out_i: u(s * g.w),
                    out_j: u(s),
                    len: u(out.numel()),
                    has_bias: bias.is_some() as u32,
                    ..prm
                });
            }
            b_base += g.c * taps * o4;
        }
    }
    for prm in &gemms {
        let tile = TexelTile::for_gemm(prm.rows as usize, g.c, sg_wg, false);
        let (col_tiles, row_tiles) = tile.grid(prm.rows as usize, g.c, sg_wg);
        let groups = [u(col_tiles), u(row_tiles), 1];
        // Without a bias, w stands in for it (never read).
        let operands = (&*a, &*b, bias.unwrap_or(w), out);
        texel_gemm(Mode::Forward, prm, operands, groups, tile, sg_wg);
    }
    true
}

pub(crate) fn dims4(op: &str, name: &str, t: &Tensor) -> [usize; 4] {
    let s = t.shape();
    assert!(s.len() == 4, "{op}: {name} must be 4-d, got {s:?}");
    [s[0], s[1], s[2], s[3]]
}

pub(crate) fn check_bias(op: &str, bias: Option<&Tensor>, channels: usize) {
    if let Some(b) = bias {
        assert!(
            b.shape() == [channels],
            "{op}: bias {:?} must be [{channels}]",
            b.shape()
        );
    }
}

/// The shapes of `t` (x or dy) and of the weight `w`, after checking that `t`'s channels
/// are the weight's dim `w_dim`: the channels it reads from x, or writes to dy.
pub(crate) fn with_weight(
    op: &str,
    name: &str,
    t: &Tensor,
    w: &Tensor,
    w_dim: usize,
) -> ([usize; 4], [usize; 4]) {
    let (ts, ws) = (dims4(op, name, t), dims4(op, "w", w));
    let (k, wk) = (ts[1], ws[w_dim]);
    assert!(
        k == wk,
        "{op}: {name} {:?} has {k} channels but w {:?} {}",
        t.shape(),
        w.shape(),
        if name == "dy" {
            format!("has {wk} outputs")
        } else {
            format!("expects {wk}")
        }
    );
    (ts, ws)
}

/// The geometry of a weight gradient from `x` and `dy`: the convolution reads x and writes
/// dy when `x_is_input`, the other way round otherwise (a transposed convolution).
pub(crate) fn weight_grad_geometry(
    op: &str,
    x: &Tensor,
    dy: &Tensor,
    x_is_input: bool,
    (kh, kw): (usize, usize),
    stride: usize,
    padding: usize,
) -> Geometry {
    let (xs, dys) = (dims4(op, "x", x), dims4(op, "dy", dy));
    assert!(
        xs[0] == dys[0],
        "{op}: x {:?} and dy {:?} differ in batch",
        x.shape(),
        dy.shape()
    );
    let ((a, a_name), (b, b_name)) = if x_is_input {
        ((xs, "x"), (dys, "dy"))
    } else {
        ((dys, "dy"), (xs, "x"))
    };
    let g = Geometry::new(op, a, [b[1], kh, kw], stride, padding);
    assert!(
        (g.oh, g.ow) == (b[2], b[3]),
        "{op}: {a_name} {a:?} with kernel {:?}, stride {stride}, padding {padding} does not give \
         {b_name} {b:?}",
        (kh, kw)
    );
    g
}

/// `x [N,C,H,W]`, `w [O,C,KH,KW]`, optional `bias [O]` → `[N,O,OH,OW]`.
pub fn conv2d(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
) -> Tensor {
    conv2d_with(x, w, bias, stride, padding, Variant::best(x.gpu()))
}

pub fn conv2d_with(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
    variant: Variant,
) -> Tensor {
    let op = "conv2d";
    let (xs, [o, _, kh, kw]) = with_weight(op, "x", x, w, 1);
    check_bias(op, bias, o);
    let g = Geometry::new(op, xs, [o, kh, kw], stride, padding);
    implicit_gemm(Mode::Forward, &g, x, w, bias, variant)
}

/// `dy [N,O,OH,OW]`, `w [O,C,KH,KW]` → `dx [N,C,H,W]` for an input of `input_hw`.
pub fn conv2d_backward_input(
    dy: &Tensor,
    w: &Tensor,
    input_hw: (usize, usize),
    stride: usize,
    padding: usize,
) -> Tensor {
    conv2d_backward_input_with(dy, w, input_hw, stride, padding, Variant::best(dy.gpu()))
}

pub fn conv2d_backward_input_with(
    dy: &Tensor,
    w: &Tensor,
    input_hw: (usize, usize),
    stride: usize,
    padding: usize,
    variant: Variant,
) -> Tensor {
    let op = "conv2d_backward_input";
    let ([n, o, oh, ow], [_, c, kh, kw]) = with_weight(op, "dy", dy, w, 0);
    let xs = [n, c, input_hw.0, input_hw.1];
    let g = Geometry::new(op, xs, [o, kh, kw], stride, padding);
    assert!(
        (g.oh, g.ow) == (oh, ow),
        "{op}: input {input_hw:?} with kernel {kh}x{kw}, stride {stride}, padding {padding} \
         does not give dy {:?}",
        dy.shape()
    );
    implicit_gemm(Mode::InputGrad, &g, dy, w, None, variant)
}

/// `x [N,C,H,W]`, `dy [N,O,OH,OW]` → `dw [O,C,KH,KW]` for a kernel of `kernel_hw`.
pub fn conv2d_backward_weight(
    x: &Tensor,
    dy: &Tensor,
    kernel_hw: (usize, usize),
    stride: usize,
    padding: usize,
) -> Tensor {
    conv2d_backward_weight_with(x, dy, kernel_hw, stride, padding, Variant::best(x.gpu()))
}

pub fn conv2d_backward_weight_with(
    x: &Tensor,
    dy: &Tensor,
    kernel_hw: (usize, usize),
    stride: usize,
    padding: usize,
    variant: Variant,
) -> Tensor {
    let op = "conv2d_backward_weight";
    let g = weight_grad_geometry(op, x, dy, true, kernel_hw, stride, padding);
    implicit_gemm(Mode::WeightGrad, &g, x, dy, None, variant)
}

/// Plain f64 versions: one walk over every product of the forward, which each formula of the
/// module doc accumulates into a different tensor.
pub mod reference {
    /// Output size along one axis.
    pub fn out_size(input: usize, kernel: usize, stride: usize, pad: usize) -> usize {
        (input + 2 * pad - kernel) / stride + 1
    }

    /// The index p*stride - pad + k that output index `p` reads through tap `k`, or None where
    /// that falls in the zero padding outside `0..len`.
    pub(crate) fn tap(p: usize, k: usize, stride: usize, pad: usize, len: usize) -> Option<usize> {
        (p * stride + k).checked_sub(pad).filter(|&i| i < len)
    }

    /// Calls `f(xi, wi, yi)` with the flat indices of every product x[xi]·w[wi] that the
    /// forward adds into y[yi], looping n, o, oh, ow, c, kh, kw.
    fn for_each_product(
        [n, c, h, wd]: [usize; 4],
        [o, kh, kw]: [usize; 3],
        stride: usize,
        pad: usize,
        mut f: impl FnMut(usize, usize, usize),
    ) {
        let (oh, ow) = (out_size(h, kh, stride, pad), out_size(wd, kw, stride, pad));
        for ni in 0..n {
            for oi in 0..o {
                for y0 in 0..oh {
                    for x0 in 0..ow {
                        let yi = ((ni * o + oi) * oh + y0) * ow + x0;
                        for ci in 0..c {
                            for ky in 0..kh {
                                for kx in 0..kw {
                                    let (Some(iy), Some(ix)) =
                                        (tap(y0, ky, stride, pad, h), tap(x0, kx, stride, pad, wd))
                                    else {
                                        continue;
                                    };
                                    let xi = ((ni * c + ci) * h + iy) * wd + ix;
                                    f(xi, ((oi * c + ci) * kh + ky) * kw + kx, yi);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `x [n,c,h,w]`, `w [o,c,kh,kw]`, `bias [o]` → `[n,o,oh,ow]`.
    #[allow(clippy::too_many_arguments)]
    pub fn conv2d(
        x: &[f64],
        w: &[f64],
        bias: Option<&[f64]>,
        [n, c, h, wd]: [usize; 4],
        [o, kh, kw]: [usize; 3],
        stride: usize,
        pad: usize,
    ) -> Vec<f64> {
        let plane = out_size(h, kh, stride, pad) * out_size(wd, kw, stride, pad);
        let mut y = vec![0.0; n * o * plane];
        if let Some(b) = bias {
            for (i, yi) in y.iter_mut().enumerate() {
                *yi = b[i / plane % o];
            }
        }
        for_each_product([n, c, h, wd], [o, kh, kw], stride, pad, |xi, wi, yi| {
            y[yi] += x[xi] * w[wi];
        });
        y
    }

    /// `dy [n,o,oh,ow]`, `w [o,c,kh,kw]` → `dx [n,c,h,w]`: every product of the forward,
    /// scattered back to the input element it came from.
    pub fn conv2d_backward_input(
        dy: &[f64],
        w: &[f64],
        xs: [usize; 4],
        ks: [usize; 3],
        stride: usize,
        pad: usize,
    ) -> Vec<f64> {
        let mut dx = vec![0.0; xs.iter().product()];
        for_each_product(xs, ks, stride, pad, |xi, wi, yi| dx[xi] += dy[yi] * w[wi]);
        dx
    }

    /// `x [n,c,h,w]`, `dy [n,o,oh,ow]` → `dw [o,c,kh,kw]`.
    pub fn conv2d_backward_weight(
        x: &[f64],
        dy: &[f64],
        [n, c, h, wd]: [usize; 4],
        [o, kh, kw]: [usize; 3],
        stride: usize,
        pad: usize,
    ) -> Vec<f64> {
        let mut dw = vec![0.0; o * c * kh * kw];
        for_each_product([n, c, h, wd], [o, kh, kw], stride, pad, |xi, wi, yi| {
            dw[wi] += dy[yi] * x[xi];
        });
        dw
    }
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
