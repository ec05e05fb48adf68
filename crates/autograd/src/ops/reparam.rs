//! The reparameterisation `z = m + exp(½·logvar) ⊙ ε` on the tape. Kernels:
//! `dvaan_tensor::ops::reparam` (`shaders/reparam.wgsl`).
//!
//! ε is noise, a constant: gradients flow to `m` (`dm = dz`) and `logvar`
//! (`dlogvar = ½·exp(½·logvar)·ε·dz`).

use dvaan_tensor::ops::reparam as k;
use dvaan_tensor::Tensor;

use crate::tape::{single, Backward};
use crate::{Tape, Var};

struct Reparam {
    logvar: Tensor,
    eps: Tensor,
}

impl Backward for Reparam {
    fn name(&self) -> &'static str {
        "reparameterize"
    }
    fn backward(&self, dy: &[Option<Tensor>], wants: &[bool]) -> Vec<Option<Tensor>> {
        let (dm, dlogvar) = k::reparameterize_backward(&self.logvar, &self.eps, single(dy));
        vec![wants[0].then_some(dm), wants[1].then_some(dlogvar)]
    }
}

impl Tape {
    /// `z = m + exp(½·logvar) ⊙ eps`, all `[N, D]`.
    pub fn reparameterize(&self, m: &Var, logvar: &Var, eps: &Tensor) -> Var {
        let z = k::reparameterize(m.value(), logvar.value(), eps);
        self.record1(
            Reparam {
                logvar: logvar.value().clone(),
                eps: eps.clone(),
            },
            &[m, logvar],
            z,
        )
    }
}
