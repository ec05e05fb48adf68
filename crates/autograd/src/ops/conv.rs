//! Convolutions on the tape. Next hop toward the kernels: `dvaan_tensor::ops::conv`, which
//! picks the convolution kernel for the adapter; `dvaan_tensor::ops::conv_transpose` runs on
//! the same kernels with forward and input gradient swapped; `reduce::channel_sum` gives the
//! bias gradients. The backward of both ops is checked against finite differences in
//! `crates/autograd/tests/autograd/gradcheck.rs`.
//!
//! Each op has three gradients — input, weight, bias — and computes only the wanted ones:
//! the first layer of a network never computes an input gradient, and a network whose
//! parameters were not requested computes no weight gradients.
//!
//! A node may be run backward more than once in a step (a discriminator's input gradient for
//! two losses, a decoder on the way to the encoder and to its own weights). The weight is the
//! same every time, so the first input gradient keeps the weight as its kernel laid it out
//! and the later ones read that layout.

use std::cell::OnceCell;

use dvaan_tensor::ops::conv as cv;
use dvaan_tensor::ops::conv_transpose as ct;
use dvaan_tensor::ops::reduce::channel_sum;
use dvaan_tensor::Tensor;

use crate::tape::{single, Backward};
use crate::{Tape, Var};

struct Conv2d {
    x: Tensor,
    w: Tensor,
    /// x as the forward's kernel laid it out, which the weight gradient reads again.
    x_staged: cv::Staged,
    /// w as the first input gradient laid it out, for the next.
    w_staged: OnceCell<cv::Staged>,
    stride: usize,
    padding: usize,
}

/// Keeps the weight's layout from `staged` in `cell` unless one is kept already; gives back
/// the rest of `staged`.
fn keep_weight(cell: &OnceCell<cv::Staged>, staged: cv::Staged) -> cv::Staged {
    let (operand, weight) = staged.split();
    if weight.keeps_weight() {
        let _ = cell.set(weight);
    }
    operand
}

impl Backward for Conv2d {
    fn name(&self) -> &'static str {
        "conv2d"
    }
    fn backward(&self, dy: &[Option<Tensor>], wants: &[bool]) -> Vec<Option<Tensor>> {
        let dy = single(dy);
        let (xs, ws) = (self.x.shape(), self.w.shape());
        let dx = wants[0].then(|| {
            let (hw, s, p) = ((xs[2], xs[3]), self.stride, self.padding);
            let kept = self.w_staged.get();
            let (dx, staged) = cv::conv2d_backward_input_keeping(kept, dy, &self.w, hw, s, p);
            keep_weight(&self.w_staged, staged);
            dx
        });
        let (k, s, p) = ((ws[2], ws[3]), self.stride, self.padding);
        let wants_bias = wants.len() == 3 && wants[2];
        let (dw, db) = match (wants[1], wants_bias) {
            // One pass over dy can give both: the weight gradient's layout of dy sums its rows.
            (true, true) => {
                let (dw, db) =
                    cv::conv2d_backward_weight_and_bias_from(&self.x_staged, &self.x, dy, k, s, p);
                (Some(dw), Some(db))
            }
            (true, false) => (
                Some(cv::conv2d_backward_weight_from(
                    &self.x_staged,
                    &self.x,
                    dy,
                    k,
                    s,
                    p,
                )),
                None,
            ),
            (false, bias) => (None, bias.then(|| channel_sum(dy))),
        };
        let mut grads = vec![dx, dw];
        if wants.len() == 3 {
            grads.push(db);
        }
        grads
    }
}

struct ConvTranspose2d {
    x: Tensor,
    w: Tensor,
    /// w as the first input gradient laid it out, for the next.
    w_staged: OnceCell<cv::Staged>,
    stride: usize,
    padding: usize,
}

impl Backward for ConvTranspose2d {
    fn name(&self) -> &'static str {
        "conv_transpose2d"
    }
    fn backward(&self, dy: &[Option<Tensor>], wants: &[bool]) -> Vec<Option<Tensor>> {
        let dy = single(dy);
        let (k, s, p) = (
            (self.w.shape()[2], self.w.shape()[3]),
            self.stride,
            self.padding,
        );
        // Both gradients lay dy out the same way: the input gradient keeps its layout for
        // the weight gradient, and where the bias gradient is wanted too, sums dy as it lays
        // it out.
        let wants_bias = wants.len() == 3 && wants[2];
        let (dx, dy_staged, db) = if wants[0] {
            let kept = self.w_staged.get();
            let (dx, db, staged) = if wants_bias {
                let (dx, db, staged) =
                    ct::conv_transpose2d_backward_input_and_bias_keeping(kept, dy, &self.w, s, p);
                (dx, Some(db), staged)
            } else {
                let (dx, staged) =
                    ct::conv_transpose2d_backward_input_keeping(kept, dy, &self.w, s, p);
                (dx, None, staged)
            };
            (Some(dx), keep_weight(&self.w_staged, staged), db)
        } else {
            (None, cv::Staged::default(), None)
        };
        let mut grads = vec![
            dx,
            wants[1].then(|| {
                ct::conv_transpose2d_backward_weight_from(&dy_staged, &self.x, dy, k, s, p)
            }),
        ];
        if wants.len() == 3 {
            grads.push(db.or_else(|| wants_bias.then(|| channel_sum(dy))));
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
        let (y, x_staged) =
            cv::conv2d_keeping(x.value(), w.value(), b.map(Var::value), stride, padding);
        let saved = Conv2d {
            x: x.value().clone(),
            w: w.value().clone(),
            x_staged,
            w_staged: OnceCell::new(),
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
            w_staged: OnceCell::new(),
            stride,
            padding,
        };
        self.record1(saved, &inputs(x, w, b), y)
    }
}
