//! Plain f64 versions: one walk over every product of the forward, which each formula of the
//! module doc of [`super`] accumulates into a different tensor.

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
