//! 2-d convolution (NCHW, weight [O, C, KH, KW], one stride and one zero padding for both
//! axes): forward, input gradient and weight gradient. The transposed convolution
//! ([`super::conv_transpose`]) runs on the same three kernels: its forward is this input
//! gradient, its input gradient this forward.
//!
//! With ih = oh*stride - padding + kh (taps outside the input read zero):
//! - forward:      y[n,o,oh,ow]  = bias[o] + Σ_{c,kh,kw} x[n,c,ih,iw] · w[o,c,kh,kw]
//! - input grad:   dx[n,c,ih,iw] = Σ_{o,kh,kw : ih = oh*stride - padding + kh} dy[n,o,oh,ow] · w[o,c,kh,kw]
//! - weight grad:  dw[o,c,kh,kw] = Σ_{n,oh,ow} dy[n,o,oh,ow] · x[n,c,ih,iw]
//!
//! Read in this order (which kernel runs on which adapter: `variant.rs`):
//! - [`reference`]: the plain f64 versions every kernel is tested against;
//! - `gpu.rs`: the implicit-GEMM kernels that read storage buffers: the portable one
//!   (`shaders/conv_portable.wgsl`), the workgroup-tiled one GPUs run
//!   (`shaders/conv_tiled.wgsl`, its tile shape in `tiled.rs`) and the 8-lane subgroup one
//!   (`shaders/conv_subgroup.wgsl`), all over the conv geometry of
//!   `shaders/prelude/conv_geometry.wgsl`, with long reductions summed by
//!   `shaders/conv_sum_splits.wgsl`;
//! - `texel.rs`: [`Variant::Texel`] for CPU adapters (`shaders/conv_texel.wgsl`, its operands
//!   laid out channels-last in textures by `shaders/conv_layout.wgsl`), its input gradient by
//!   stride phases in `texel_phases.rs`, and `staged.rs`, which
//!   carries laid-out operands from one product to the next: x from a forward to its weight
//!   gradient ([`conv2d_keeping`]), a weight from one backward pass to the next
//!   ([`conv2d_backward_input_keeping`]).

mod gpu;
pub mod reference;
mod staged;
mod texel;
mod texel_phases;
mod tiled;
mod variant;

pub use staged::Staged;
pub use tiled::Tiles;
pub use variant::{with_variant, Variant};

use crate::Tensor;

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
    forward_keeping(x, w, bias, stride, padding, variant).0
}

/// [`conv2d`], also giving x as the kernel laid it out, for [`conv2d_backward_weight_from`]
/// (nothing on kernels that read x as it is).
pub fn conv2d_keeping(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
) -> (Tensor, Staged) {
    forward_keeping(x, w, bias, stride, padding, Variant::best(x.gpu()))
}

fn forward_keeping(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
    variant: Variant,
) -> (Tensor, Staged) {
    let op = "conv2d";
    let (xs, [o, _, kh, kw]) = with_weight(op, "x", x, w, 1);
    check_bias(op, bias, o);
    let g = Geometry::new(op, xs, [o, kh, kw], stride, padding);
    let (y, staged) =
        implicit_gemm_staged(Mode::Forward, &g, (x, w), Bias::add(bias), variant, None);
    // The forward's layout of w is not the one an input gradient reads: only x's is kept.
    (y, staged.split().0)
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
    input_grad_keeping(None, dy, w, input_hw, (stride, padding), variant).0
}

/// [`conv2d_backward_input`], reading w as an earlier input gradient laid it out where
/// `kept` holds that layout of this w, and giving back the layout of w it made (nothing where
/// it read `kept`'s, or on kernels that read w as it is): a network run backward twice in one
/// step lays each weight out once.
pub fn conv2d_backward_input_keeping(
    kept: Option<&Staged>,
    dy: &Tensor,
    w: &Tensor,
    input_hw: (usize, usize),
    stride: usize,
    padding: usize,
) -> (Tensor, Staged) {
    let variant = Variant::best(dy.gpu());
    input_grad_keeping(kept, dy, w, input_hw, (stride, padding), variant)
}

fn input_grad_keeping(
    kept: Option<&Staged>,
    dy: &Tensor,
    w: &Tensor,
    input_hw: (usize, usize),
    (stride, padding): (usize, usize),
    variant: Variant,
) -> (Tensor, Staged) {
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
    implicit_gemm_staged(Mode::InputGrad, &g, (dy, w), Bias::None, variant, kept)
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
    weight_grad_of(
        "conv2d_backward_weight",
        true,
        None,
        (x, dy),
        (kernel_hw, stride, padding),
        variant,
    )
}

/// [`conv2d_backward_weight`], reading x as the forward laid it out where `staged` holds
/// that layout of this x (from [`conv2d_keeping`]); the result is the same.
pub fn conv2d_backward_weight_from(
    staged: &Staged,
    x: &Tensor,
    dy: &Tensor,
    kernel_hw: (usize, usize),
    stride: usize,
    padding: usize,
) -> Tensor {
    let variant = Variant::best(x.gpu());
    let sizes = (kernel_hw, stride, padding);
    weight_grad_of(
        "conv2d_backward_weight",
        true,
        Some(staged),
        (x, dy),
        sizes,
        variant,
    )
}

/// A convolution product's bias: added to a forward or an input-gradient product, or its
/// gradient (dy summed per channel) written by a product that reads dy anyway, which only the
/// texel kernel does ([`implicit_gemm_with_bias_grad`]).
#[derive(Clone, Copy)]
pub(crate) enum Bias<'a> {
    None,
    Add(&'a Tensor),
    Grad(&'a Tensor),
}

impl<'a> Bias<'a> {
    pub(crate) fn add(bias: Option<&'a Tensor>) -> Bias<'a> {
        bias.map_or(Bias::None, Bias::Add)
    }

    /// The bias a product adds.
    pub(crate) fn added(self) -> Option<&'a Tensor> {
        match self {
            Bias::Add(b) => Some(b),
            _ => None,
        }
    }

    /// Where a product writes the bias gradient.
    pub(crate) fn grad(self) -> Option<&'a Tensor> {
        match self {
            Bias::Grad(db) => Some(db),
            _ => None,
        }
    }
}

/// [`conv2d_backward_weight_from`] and the bias gradient `db[o] = Σ_{n,oh,ow} dy[n,o,oh,ow]`
/// (what `reduce::channel_sum(dy)` gives). The texel kernel sums each row of dy as it lays
/// the rows out for the weight gradient, which saves the channel sum's dispatch; elsewhere
/// the channel sum runs.
pub fn conv2d_backward_weight_and_bias_from(
    staged: &Staged,
    x: &Tensor,
    dy: &Tensor,
    kernel_hw: (usize, usize),
    stride: usize,
    padding: usize,
) -> (Tensor, Tensor) {
    let op = "conv2d_backward_weight";
    let g = weight_grad_geometry(op, x, dy, true, kernel_hw, stride, padding);
    let variant = Variant::best(x.gpu());
    let (dw, db, _) =
        implicit_gemm_with_bias_grad(Mode::WeightGrad, &g, (x, dy), dy, variant, Some(staged));
    (dw, db)
}

/// The weight gradient from `x` and `dy` (see [`weight_grad_geometry`] for `x_is_input`),
/// reading the gathered one of them from `staged` where it holds its layout.
pub(crate) fn weight_grad_of(
    op: &str,
    x_is_input: bool,
    staged: Option<&Staged>,
    (x, dy): (&Tensor, &Tensor),
    (kernel_hw, stride, padding): ((usize, usize), usize, usize),
    variant: Variant,
) -> Tensor {
    let g = weight_grad_geometry(op, x, dy, x_is_input, kernel_hw, stride, padding);
    let operands = if x_is_input { (x, dy) } else { (dy, x) };
    implicit_gemm_staged(Mode::WeightGrad, &g, operands, Bias::None, variant, staged).0
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

impl Mode {
    /// The shape of what this GEMM writes: y, dx or dw.
    fn out_shape(self, g: &Geometry) -> [usize; 4] {
        match self {
            Mode::Forward => [g.n, g.o, g.oh, g.ow],
            Mode::InputGrad => [g.n, g.c, g.h, g.w],
            Mode::WeightGrad => [g.o, g.c, g.kh, g.kw],
        }
    }
}

/// Runs one of the three GEMMs. `src` is the gathered tensor (x, or dy for the input
/// gradient), `plain` the other operand (w, or dy for the weight gradient).
pub(crate) fn implicit_gemm(
    mode: Mode,
    g: &Geometry,
    src: &Tensor,
    plain: &Tensor,
    bias: Option<&Tensor>,
    variant: Variant,
) -> Tensor {
    implicit_gemm_staged(mode, g, (src, plain), Bias::add(bias), variant, None).0
}

/// [`implicit_gemm`], which reads the layouts the kernel wants of `src` and of the weight
/// from `reuse` where it holds them, and gives back the layouts it made that a later product
/// can read ([`Staged`]: a forward's of `src` and of its weight, an input gradient's of its
/// weight; empty otherwise), and adds `bias` or writes the bias gradient into it
/// ([`Bias`]).
pub(crate) fn implicit_gemm_staged(
    mode: Mode,
    g: &Geometry,
    (src, plain): (&Tensor, &Tensor),
    bias: Bias,
    variant: Variant,
    reuse: Option<&Staged>,
) -> (Tensor, Staged) {
    let gpu = src.gpu();
    gpu.count_flops(2 * g.n * g.o * g.oh * g.ow * g.c * g.kh * g.kw);
    let out = Tensor::uninit(gpu, &mode.out_shape(g));
    if out.numel() == 0 {
        return (out, Staged::default());
    }
    let mut variant = variant;
    let mut out = out;
    if variant == Variant::Texel {
        assert!(
            Variant::texel_runs_on(gpu),
            "conv: the texel kernel needs subgroups of at least 8 lanes on this adapter ({})",
            gpu.summary()
        );
        match texel::run(mode, g, (src, plain), bias, out, reuse) {
            Ok(done) => return done,
            Err(untouched) => out = untouched,
        }
        variant = Variant::texel_fallback(gpu);
    }
    assert!(
        bias.grad().is_none(),
        "conv: only the texel kernel writes a bias gradient beside its product"
    );
    gpu::run(mode, g, src, plain, bias.added(), variant, &out);
    (out, Staged::default())
}

/// [`implicit_gemm_staged`] of a product that reads `dy` (a weight gradient's plain operand,
/// a transposed convolution's gathered one), also giving the bias gradient, dy summed per
/// channel: by the texel kernel's layout pass where it can ([`texel::sums_bias`]), by the
/// channel sum elsewhere.
pub(crate) fn implicit_gemm_with_bias_grad(
    mode: Mode,
    g: &Geometry,
    operands: (&Tensor, &Tensor),
    dy: &Tensor,
    variant: Variant,
    reuse: Option<&Staged>,
) -> (Tensor, Tensor, Staged) {
    let gpu = dy.gpu();
    if variant == Variant::Texel && texel::sums_bias(mode, g, gpu) {
        let db = Tensor::uninit(gpu, &[dy.dim(1)]);
        let (out, staged) =
            implicit_gemm_staged(mode, g, operands, Bias::Grad(&db), variant, reuse);
        return (out, db, staged);
    }
    let (out, staged) = implicit_gemm_staged(mode, g, operands, Bias::None, variant, reuse);
    (out, crate::ops::reduce::channel_sum(dy), staged)
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
