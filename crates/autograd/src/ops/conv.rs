//! Convolutions on the tape. Kernels: `dvaan_tensor::ops::conv` (`shaders/conv_*.wgsl`),
//! which `dvaan_tensor::ops::conv_transpose` runs too, and `reduce::channel_sum` for bias
//! gradients.
//!
//! Each op has three gradients — input, weight, bias — and computes only the wanted ones:
//! the first layer of a network never computes an input gradient, and a network whose
//! parameters were not requested computes no weight gradients.

use dvaan_tensor::ops::conv as cv;
use dvaan_tensor::ops::conv_transpose as ct;
use dvaan_tensor::ops::reduce::channel_sum;
use dvaan_tensor::Tensor;

use crate::tape::{single, Backward};
use crate::{Tape, Var};

struct Conv2d {
    x: Tensor,
    w: Tensor,
    stride: usize,
    padding: usize,
}

impl Backward for Conv2d {
    fn name(&self) -> &'static str {
        "conv2d"
    }
    fn backward(&self, dy: &[Option<Tensor>], wants: &[bool]) -> Vec<Option<Tensor>> {
        let dy = single(dy);
        let (xs, ws) = (self.x.shape(), self.w.shape());
        let mut grads = vec![
            wants[0].then(|| {
                cv::conv2d_backward_input(dy, &self.w, (xs[2], xs[3]), self.stride, self.padding)
            }),
            wants[1].then(|| {
                cv::conv2d_backward_weight(&self.x, dy, (ws[2], ws[3]), self.stride, self.padding)
            }),
        ];
        if wants.len() == 3 {
            grads.push(wants[2].then(|| channel_sum(dy)));
        }
        grads
    }
}

struct ConvTranspose2d {
    x: Tensor,
    w: Tensor,
    stride: usize,
    padding: usize,
}

impl Backward for ConvTranspose2d {
    fn name(&self) -> &'static str {
        "conv_transpose2d"
    }
    fn backward(&self, dy: &[Option<Tensor>], wants: &[bool]) -> Vec<Option<Tensor>> {
        let dy = single(dy);
        let ws = self.w.shape();
        let mut grads = vec![
            wants[0].then(|| {
                ct::conv_transpose2d_backward_input(dy, &self.w, self.stride, self.padding)
            }),
            wants[1].then(|| {
                ct::conv_transpose2d_backward_weight(
                    &self.x,
                    dy,
                    (ws[2], ws[3]),
                    self.stride,
                    self.padding,
                )
            }),
        ];
        if wants.len() == 3 {
            grads.push(wants[2].then(|| channel_sum(dy)));
        }
        grads
    }
}

fn inputs<'a>(x: &'a Var, w: &'a Var, b: Option<&'a Var>) -> Vec<&'a Var> {
    let mut v = vec![x, w];
    v.extend(b);
    v
}

impl Tape {
    /// `x [N, C, H, W]` ⋆ `w [O, C, KH, KW]` + `b [O]` → `[N, O, OH, OW]`.
    pub fn conv2d(&self, x: &Var, w: &Var, b: Option<&Var>, stride: usize, padding: usize) -> Var {
        let y = cv::conv2d(x.value(), w.value(), b.map(Var::value), stride, padding);
        let saved = Conv2d {
            x: x.value().clone(),
            w: w.value().clone(),
            stride,
            padding,
        };
        self.record1(saved, &inputs(x, w, b), y)
    }

    /// Transposed convolution (PyTorch semantics, `w [C_in, C_out, KH, KW]`):
    /// `OH = (H − 1)·stride − 2·padding + KH + output_padding`.
    pub fn conv_transpose2d(
        &self,
        x: &Var,
        w: &Var,
        b: Option<&Var>,
        stride: usize,
        padding: usize,
        output_padding: usize,
    ) -> Var {
        let y = ct::conv_transpose2d(
            x.value(),
            w.value(),
            b.map(Var::value),
            stride,
            padding,
            output_padding,
        );
        let saved = ConvTranspose2d {
            x: x.value().clone(),
            w: w.value().clone(),
            stride,
            padding,
        };
        self.record1(saved, &inputs(x, w, b), y)
    }
}
