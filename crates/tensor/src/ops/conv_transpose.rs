//! 2-d transposed convolution with PyTorch semantics: weight [C_in, C_out, KH, KW],
//! OH = (H-1)*stride - 2*padding + KH + output_padding.
//! Kernels: the convolution's ([`super::conv`]), no kernel of its own. CPU reference:
//! [`reference`].
//!
//! A transposed convolution is the input gradient of the convolution whose weight is the
//! same tensor read as [O = C_in, C = C_out, KH, KW]:
//! - forward:      y[n,o,oh,ow]  = bias[o] + Σ_{c,kh,kw : oh = h*stride - padding + kh} x[n,c,h,w] · w[c,o,kh,kw]
//!   = that convolution's input gradient, with dy = x;
//! - input grad:   dx[n,c,h,w]   = Σ_{o,kh,kw} dy[n,o,h*stride - padding + kh, ...] · w[c,o,kh,kw]
//!   = that convolution's forward, with input dy;
//! - weight grad:  dw[c,o,kh,kw] = Σ_{n,h,w} x[n,c,h,w] · dy[n,o,h*stride - padding + kh, ...]
//!   = that convolution's weight gradient, with input dy and output gradient x.
//!
//! `output_padding` only adds rows/columns at the bottom/right that receive no products.

use super::conv::{
    check_bias, implicit_gemm, implicit_gemm_staged, implicit_gemm_with_bias_grad, weight_grad_of,
    with_weight, Bias, Geometry, Mode, Staged, Variant,
};
use crate::Tensor;

/// Output height and width for an input of `hw` and a kernel of `khw`.
fn transposed_hw(
    op: &str,
    hw: [usize; 2],
    khw: [usize; 2],
    stride: usize,
    pad: usize,
    out_pad: usize,
) -> [usize; 2] {
    assert!(stride >= 1, "{op}: stride must be at least 1");
    assert!(
        out_pad < stride,
        "{op}: output_padding {out_pad} must be smaller than stride {stride}"
    );
    [0, 1].map(|axis| {
        let (input, kernel) = (hw[axis], khw[axis]);
        let full = (input.max(1) - 1) * stride + kernel + out_pad;
        assert!(
            input >= 1 && full >= 2 * pad,
            "{op}: input size {input}, kernel {kernel}, stride {stride}, padding {pad} give a negative output"
        );
        full - 2 * pad
    })
}

/// `x [N,C,H,W]`, `w [C,O,KH,KW]`, optional `bias [O]` → `[N,O,OH,OW]`.
pub fn conv_transpose2d(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
    output_padding: usize,
) -> Tensor {
    conv_transpose2d_with(
        x,
        w,
        bias,
        stride,
        padding,
        output_padding,
        Variant::best(x.gpu()),
    )
}

pub fn conv_transpose2d_with(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
    output_padding: usize,
    variant: Variant,
) -> Tensor {
    let op = "conv_transpose2d";
    let ([n, c, h, wd], [_, o, kh, kw]) = with_weight(op, "x", x, w, 0);
    check_bias(op, bias, o);
    let [oh, ow] = transposed_hw(op, [h, wd], [kh, kw], stride, padding, output_padding);
    // The convolution whose input gradient this is: input [n, o, oh, ow], output [n, c, h, w]
    // (output_padding < stride leaves the output size at h, w).
    let g = Geometry::new(op, [n, o, oh, ow], [c, kh, kw], stride, padding);
    debug_assert_eq!((g.oh, g.ow), (h, wd));
    implicit_gemm(Mode::InputGrad, &g, x, w, bias, variant)
}

/// `dy [N,O,OH,OW]`, `w [C,O,KH,KW]` → `dx [N,C,H,W]`.
pub fn conv_transpose2d_backward_input(
    dy: &Tensor,
    w: &Tensor,
    stride: usize,
    padding: usize,
) -> Tensor {
    conv_transpose2d_backward_input_with(dy, w, stride, padding, Variant::best(dy.gpu()))
}

pub fn conv_transpose2d_backward_input_with(
    dy: &Tensor,
    w: &Tensor,
    stride: usize,
    padding: usize,
    variant: Variant,
) -> Tensor {
    input_grad_keeping(None, dy, w, stride, padding, variant).0
}

/// [`conv_transpose2d_backward_input`], also giving dy and w as the kernel laid them out:
/// the weight gradient gathers dy the same way ([`conv_transpose2d_backward_weight_from`]),
/// and a later input gradient through the same layer reads w's layout from `kept` (a
/// network run backward twice in one step lays each weight out once).
pub fn conv_transpose2d_backward_input_keeping(
    kept: Option<&Staged>,
    dy: &Tensor,
    w: &Tensor,
    stride: usize,
    padding: usize,
) -> (Tensor, Staged) {
    input_grad_keeping(kept, dy, w, stride, padding, Variant::best(dy.gpu()))
}

/// [`conv_transpose2d_backward_input_keeping`] and the bias gradient `db[o] = Σ_{n,oh,ow}
/// dy[n,o,oh,ow]` (what `reduce::channel_sum(dy)` gives). The texel kernel sums each channel
/// of dy as it lays dy out for the input gradient, which saves the channel sum's dispatch;
/// elsewhere the channel sum runs.
pub fn conv_transpose2d_backward_input_and_bias_keeping(
    kept: Option<&Staged>,
    dy: &Tensor,
    w: &Tensor,
    stride: usize,
    padding: usize,
) -> (Tensor, Tensor, Staged) {
    let g = input_grad_geometry(dy, w, stride, padding);
    let variant = Variant::best(dy.gpu());
    implicit_gemm_with_bias_grad(Mode::Forward, &g, (dy, w), dy, variant, kept)
}

/// The convolution whose forward this input gradient is: input dy, weight w read as
/// [C_in, C_out, KH, KW] = [O, C, KH, KW].
fn input_grad_geometry(dy: &Tensor, w: &Tensor, stride: usize, padding: usize) -> Geometry {
    let op = "conv_transpose2d_backward_input";
    let (dys, [c, _, kh, kw]) = with_weight(op, "dy", dy, w, 1);
    Geometry::new(op, dys, [c, kh, kw], stride, padding)
}

fn input_grad_keeping(
    kept: Option<&Staged>,
    dy: &Tensor,
    w: &Tensor,
    stride: usize,
    padding: usize,
    variant: Variant,
) -> (Tensor, Staged) {
    let g = input_grad_geometry(dy, w, stride, padding);
    implicit_gemm_staged(Mode::Forward, &g, (dy, w), Bias::None, variant, kept)
}

/// [`conv_transpose2d_backward_weight`], reading dy as the input gradient laid it out where
/// `staged` holds that layout of this dy; the result is the same.
pub fn conv_transpose2d_backward_weight_from(
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
        "conv_transpose2d_backward_weight",
        false,
        Some(staged),
        (x, dy),
        sizes,
        variant,
    )
}

/// `x [N,C,H,W]`, `dy [N,O,OH,OW]` → `dw [C,O,KH,KW]` for a kernel of `kernel_hw`.
pub fn conv_transpose2d_backward_weight(
    x: &Tensor,
    dy: &Tensor,
    kernel_hw: (usize, usize),
    stride: usize,
    padding: usize,
) -> Tensor {
    conv_transpose2d_backward_weight_with(x, dy, kernel_hw, stride, padding, Variant::best(x.gpu()))
}

pub fn conv_transpose2d_backward_weight_with(
    x: &Tensor,
    dy: &Tensor,
    kernel_hw: (usize, usize),
    stride: usize,
    padding: usize,
    variant: Variant,
) -> Tensor {
    weight_grad_of(
        "conv_transpose2d_backward_weight",
        false,
        None,
        (x, dy),
        (kernel_hw, stride, padding),
        variant,
    )
}

/// Plain f64 versions: every product x[n,c,h,w]·w[c,o,kh,kw] lands on y[n,o,h*s-p+kh, w*s-p+kw].
pub mod reference {
    use crate::ops::conv::reference::tap;

    /// Output size along one axis.
    pub fn out_size(
        input: usize,
        kernel: usize,
        stride: usize,
        pad: usize,
        out_pad: usize,
    ) -> usize {
        (input - 1) * stride + kernel + out_pad - 2 * pad
    }

    /// Calls `f(xi, wi, yi)` with the flat indices of every product x[xi]·w[wi] that lands
    /// on y[yi] (products past the output's edge are dropped), looping n, c, o, h, w, kh, kw.
    fn for_each_product(
        [n, c, h, wd]: [usize; 4],
        [o, kh, kw]: [usize; 3],
        stride: usize,
        pad: usize,
        out_pad: usize,
        mut f: impl FnMut(usize, usize, usize),
    ) {
        let oh = out_size(h, kh, stride, pad, out_pad);
        let ow = out_size(wd, kw, stride, pad, out_pad);
        for ni in 0..n {
            for ci in 0..c {
                for oi in 0..o {
                    for iy in 0..h {
                        for ix in 0..wd {
                            for ky in 0..kh {
                                for kx in 0..kw {
                                    let y0 = tap(iy, ky, stride, pad, oh);
                                    if let (Some(y0), Some(x0)) = (y0, tap(ix, kx, stride, pad, ow))
                                    {
                                        f(
                                            ((ni * c + ci) * h + iy) * wd + ix,
                                            ((ci * o + oi) * kh + ky) * kw + kx,
                                            ((ni * o + oi) * oh + y0) * ow + x0,
                                        );
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `x [n,c,h,w]`, `w [c,o,kh,kw]`, `bias [o]` → `[n,o,oh,ow]`.
    #[allow(clippy::too_many_arguments)]
    pub fn conv_transpose2d(
        x: &[f64],
        w: &[f64],
        bias: Option<&[f64]>,
        xs: [usize; 4],
        ks: [usize; 3],
        stride: usize,
        pad: usize,
        out_pad: usize,
    ) -> Vec<f64> {
        let ([n, _, h, wd], [o, kh, kw]) = (xs, ks);
        let plane = out_size(h, kh, stride, pad, out_pad) * out_size(wd, kw, stride, pad, out_pad);
        let mut y = vec![0.0; n * o * plane];
        if let Some(b) = bias {
            for (i, yi) in y.iter_mut().enumerate() {
                *yi = b[i / plane % o];
            }
        }
        for_each_product(xs, ks, stride, pad, out_pad, |xi, wi, yi| {
            y[yi] += x[xi] * w[wi]
        });
        y
    }

    /// `dy [n,o,oh,ow]`, `w [c,o,kh,kw]` → `dx [n,c,h,w]`: each input element collects the
    /// gradient of every output it fed.
    #[allow(clippy::too_many_arguments)]
    pub fn conv_transpose2d_backward_input(
        dy: &[f64],
        w: &[f64],
        xs: [usize; 4],
        ks: [usize; 3],
        stride: usize,
        pad: usize,
        out_pad: usize,
    ) -> Vec<f64> {
        let mut dx = vec![0.0; xs.iter().product()];
        for_each_product(xs, ks, stride, pad, out_pad, |xi, wi, yi| {
            dx[xi] += dy[yi] * w[wi]
        });
        dx
    }

    /// `x [n,c,h,w]`, `dy [n,o,oh,ow]` → `dw [c,o,kh,kw]`.
    #[allow(clippy::too_many_arguments)]
    pub fn conv_transpose2d_backward_weight(
        x: &[f64],
        dy: &[f64],
        xs: [usize; 4],
        ks: [usize; 3],
        stride: usize,
        pad: usize,
        out_pad: usize,
    ) -> Vec<f64> {
        let mut dw = vec![0.0; xs[1] * ks.iter().product::<usize>()];
        for_each_product(xs, ks, stride, pad, out_pad, |xi, wi, yi| {
            dw[wi] += x[xi] * dy[yi]
        });
        dw
    }
}
