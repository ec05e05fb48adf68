//! Fully connected layer maths on the tape. Kernels: `dvaan_tensor::ops::gemm`
//! (`shaders/gemm_*.wgsl`), which sums the bias gradient in the weight gradient's product
//! where it can (`matmul_and_row_sums`), and `reduce::channel_sum` for it alone.
//!
//! `y = x·Wᵀ + b` with `x [N, in]`, `W [out, in]`, `b [out]`. Backward:
//! `dx = dy·W`, `dW = dyᵀ·x`, `db = Σ_rows dy`.

use dvaan_tensor::ops::elementwise::{activation_backward, Activation};
use dvaan_tensor::ops::gemm::{matmul, matmul_activated, matmul_and_row_sums};
use dvaan_tensor::ops::reduce::channel_sum;
use dvaan_tensor::Tensor;

use crate::tape::{single, Backward};
use crate::{Tape, Var};

struct Linear {
    x: Tensor,
    w: Tensor,
    /// The activation the product's epilogue applied, and its output (whose derivative the
    /// activation's backward reads off, as `Tape::activation`'s does).
    act: Option<(Activation, Tensor)>,
}

impl Backward for Linear {
    fn name(&self) -> &'static str {
        "linear"
    }
    fn backward(&self, dy: &[Option<Tensor>], wants: &[bool]) -> Vec<Option<Tensor>> {
        let da = self
            .act
            .as_ref()
            .map(|(act, y)| activation_backward(y, single(dy), *act));
        let dy = da.as_ref().unwrap_or_else(|| single(dy));
        let dx = wants[0].then(|| matmul(dy, &self.w, false, false, None));
        let wants_bias = wants.len() == 3 && wants[2];
        let (dw, db) = match (wants[1], wants_bias) {
            (true, true) => {
                let (dw, db) = matmul_and_row_sums(dy, &self.x, true, false);
                (Some(dw), Some(db))
            }
            (true, false) => (Some(matmul(dy, &self.x, true, false, None)), None),
            (false, true) => (None, Some(channel_sum(dy))),
            (false, false) => (None, None),
        };
        let mut grads = vec![dx, dw];
        if wants.len() == 3 {
            grads.push(db);
        }
        grads
    }
}

impl Tape {
    /// `x·Wᵀ + b` for `x [N, in]`, `w [out, in]`, `b [out]`.
    pub fn linear(&self, x: &Var, w: &Var, b: Option<&Var>) -> Var {
        self.linear_activated(x, w, b, None)
    }

    /// `act(x·Wᵀ + b)`, the activation applied by the product's epilogue (one dispatch
    /// forward; the backward runs the activation's backward, then the product's).
    pub fn linear_activated(
        &self,
        x: &Var,
        w: &Var,
        b: Option<&Var>,
        act: Option<Activation>,
    ) -> Var {
        assert!(
            x.shape().len() == 2 && w.shape().len() == 2 && x.shape()[1] == w.shape()[1],
            "linear: x must be [N, in] and w [out, in], got {:?} and {:?}",
            x.shape(),
            w.shape()
        );
        let y = matmul_activated(x.value(), w.value(), false, true, b.map(Var::value), act);
        let saved = Linear {
            x: x.value().clone(),
            w: w.value().clone(),
            act: act.map(|a| (a, y.clone())),
        };
        match b {
            Some(b) => self.record1(saved, &[x, w, b], y),
            None => self.record1(saved, &[x, w], y),
        }
    }
}
