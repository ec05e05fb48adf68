//! 2-d transposed convolution with PyTorch semantics: weight [C_in, C_out, KH, KW],
//! OH = (H-1)*stride - 2*padding + KH + output_padding.
//! Kernel: `shaders/conv.wgsl` (no kernel of its own). CPU reference: [`reference`].
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

use super::conv::{implicit_gemm, out_size, Geometry, Mode, Variant};
use crate::Tensor;

fn dims4(op: &str, name: &str, t: &Tensor) -> [usize; 4] {
    let s = t.shape();
    assert!(s.len() == 4, "{op}: {name} must be 4-d, got {s:?}");
    [s[0], s[1], s[2], s[3]]
}

/// Output size along one axis.
fn transposed_size(
    op: &str,
    input: usize,
    kernel: usize,
    stride: usize,
    pad: usize,
    out_pad: usize,
) -> usize {
    assert!(stride >= 1, "{op}: stride must be at least 1");
    assert!(
        out_pad < stride,
        "{op}: output_padding {out_pad} must be smaller than stride {stride}"
    );
    let full = (input.max(1) - 1) * stride + kernel + out_pad;
    assert!(
        input >= 1 && full >= 2 * pad,
        "{op}: input size {input}, kernel {kernel}, stride {stride}, padding {pad} give a negative output"
    );
    full - 2 * pad
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
    let [n, c, h, wd] = dims4(op, "x", x);
    let [wc, o, kh, kw] = dims4(op, "w", w);
    assert!(
        c == wc,
        "{op}: x {:?} has {c} channels but w {:?} expects {wc}",
        x.shape(),
        w.shape()
    );
    if let Some(b) = bias {
        assert!(b.shape() == [o], "{op}: bias {:?} must be [{o}]", b.shape());
    }
    let oh = transposed_size(op, h, kh, stride, padding, output_padding);
    let ow = transposed_size(op, wd, kw, stride, padding, output_padding);
    // The convolution whose input gradient this is: input [n, o, oh, ow], output [n, c, h, w].
    let g = Geometry {
        n,
        c: o,
        h: oh,
        w: ow,
        o: c,
        oh: h,
        ow: wd,
        kh,
        kw,
        stride,
        pad: padding,
    };
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
    let op = "conv_transpose2d_backward_input";
    let [n, o, oh, ow] = dims4(op, "dy", dy);
    let [c, wo, kh, kw] = dims4(op, "w", w);
    assert!(
        o == wo,
        "{op}: dy {:?} has {o} channels but w {:?} has {wo} outputs",
        dy.shape(),
        w.shape()
    );
    let g = Geometry {
        n,
        c: o,
        h: oh,
        w: ow,
        o: c,
        oh: out_size(op, oh, kh, stride, padding),
        ow: out_size(op, ow, kw, stride, padding),
        kh,
        kw,
        stride,
        pad: padding,
    };
    implicit_gemm(Mode::Forward, &g, dy, w, None, variant)
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
    let op = "conv_transpose2d_backward_weight";
    let [n, c, h, wd] = dims4(op, "x", x);
    let [dn, o, oh, ow] = dims4(op, "dy", dy);
    let (kh, kw) = kernel_hw;
    assert!(
        n == dn,
        "{op}: x {:?} and dy {:?} differ in batch",
        x.shape(),
        dy.shape()
    );
    assert!(
        out_size(op, oh, kh, stride, padding) == h && out_size(op, ow, kw, stride, padding) == wd,
        "{op}: dy {:?} with kernel {kernel_hw:?}, stride {stride}, padding {padding} does not match x {:?}",
        dy.shape(),
        x.shape()
    );
    let g = Geometry {
        n,
        c: o,
        h: oh,
        w: ow,
        o: c,
        oh: h,
        ow: wd,
        kh,
        kw,
        stride,
        pad: padding,
    };
    implicit_gemm(Mode::WeightGrad, &g, dy, x, None, variant)
}

/// Plain f64 versions: every product x[n,c,h,w]·w[c,o,kh,kw] lands on y[n,o,h*s-p+kh, w*s-p+kw].
pub mod reference {
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

    /// Visits every (input position, tap, output position) triple that exists.
    fn for_each_tap(
        [h, wd]: [usize; 2],
        [kh, kw]: [usize; 2],
        [oh, ow]: [usize; 2],
        stride: usize,
        pad: usize,
        mut f: impl FnMut(usize, usize, usize, usize, usize, usize),
    ) {
        for iy in 0..h {
            for ix in 0..wd {
                for ky in 0..kh {
                    for kx in 0..kw {
                        let y0 = (iy * stride + ky) as isize - pad as isize;
                        let x0 = (ix * stride + kx) as isize - pad as isize;
                        if y0 < 0 || x0 < 0 || y0 >= oh as isize || x0 >= ow as isize {
                            continue;
                        }
                        f(iy, ix, ky, kx, y0 as usize, x0 as usize);
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
        [n, c, h, wd]: [usize; 4],
        [o, kh, kw]: [usize; 3],
        stride: usize,
        pad: usize,
        out_pad: usize,
    ) -> Vec<f64> {
        let (oh, ow) = (
            out_size(h, kh, stride, pad, out_pad),
            out_size(wd, kw, stride, pad, out_pad),
        );
        let mut y = vec![0.0; n * o * oh * ow];
        for ni in 0..n {
            for oi in 0..o {
                let b = bias.map_or(0.0, |b| b[oi]);
                y[(ni * o + oi) * oh * ow..][..oh * ow].fill(b);
                for ci in 0..c {
                    for_each_tap(
                        [h, wd],
                        [kh, kw],
                        [oh, ow],
                        stride,
                        pad,
                        |iy, ix, ky, kx, y0, x0| {
                            y[((ni * o + oi) * oh + y0) * ow + x0] += x
                                [((ni * c + ci) * h + iy) * wd + ix]
                                * w[((ci * o + oi) * kh + ky) * kw + kx];
                        },
                    );
                }
            }
        }
        y
    }

    /// `dy [n,o,oh,ow]`, `w [c,o,kh,kw]` → `dx [n,c,h,w]`: each input element collects the
    /// gradient of every output it fed.
    #[allow(clippy::too_many_arguments)]
    pub fn conv_transpose2d_backward_input(
        dy: &[f64],
        w: &[f64],
        [n, c, h, wd]: [usize; 4],
        [o, kh, kw]: [usize; 3],
        stride: usize,
        pad: usize,
        out_pad: usize,
    ) -> Vec<f64> {
        let (oh, ow) = (
            out_size(h, kh, stride, pad, out_pad),
            out_size(wd, kw, stride, pad, out_pad),
        );
        let mut dx = vec![0.0; n * c * h * wd];
        for ni in 0..n {
            for ci in 0..c {
                for oi in 0..o {
                    for_each_tap(
                        [h, wd],
                        [kh, kw],
                        [oh, ow],
                        stride,
                        pad,
                        |iy, ix, ky, kx, y0, x0| {
                            dx[((ni * c + ci) * h + iy) * wd + ix] += dy
                                [((ni * o + oi) * oh + y0) * ow + x0]
                                * w[((ci * o + oi) * kh + ky) * kw + kx];
                        },
                    );
                }
            }
        }
        dx
    }

    /// `x [n,c,h,w]`, `dy [n,o,oh,ow]` → `dw [c,o,kh,kw]`.
    #[allow(clippy::too_many_arguments)]
    pub fn conv_transpose2d_backward_weight(
        x: &[f64],
        dy: &[f64],
        [n, c, h, wd]: [usize; 4],
        [o, kh, kw]: [usize; 3],
        stride: usize,
        pad: usize,
        out_pad: usize,
    ) -> Vec<f64> {
        let (oh, ow) = (
            out_size(h, kh, stride, pad, out_pad),
            out_size(wd, kw, stride, pad, out_pad),
        );
        let mut dw = vec![0.0; c * o * kh * kw];
        for ni in 0..n {
            for ci in 0..c {
                for oi in 0..o {
                    for_each_tap(
                        [h, wd],
                        [kh, kw],
                        [oh, ow],
                        stride,
                        pad,
                        |iy, ix, ky, kx, y0, x0| {
                            dw[((ci * o + oi) * kh + ky) * kw + kx] += x
                                [((ni * c + ci) * h + iy) * wd + ix]
                                * dy[((ni * o + oi) * oh + y0) * ow + x0];
                        },
                    );
                }
            }
        }
        dw
    }
}
