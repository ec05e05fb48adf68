//! `Linear`: `y = x·Wᵀ + b`, optionally followed by an activation in the same product. Op:
//! [`Tape::linear`] / [`Tape::linear_activated`] (`ops/linear.rs`, GEMM kernels).

use dvaan_tensor::ops::elementwise::Activation;
use dvaan_tensor::{Gpu, Tensor};
use rand_pcg::Pcg64;

use crate::init::{self, Init};
use crate::layers::Layer;
use crate::{Param, Tape, Var};

pub struct Linear {
    /// `[out, in]`.
    pub weight: Param,
    /// `[out]`.
    pub bias: Option<Param>,
}

impl Linear {
    /// A layer with bias, initialised like PyTorch's default.
    pub fn new(gpu: &Gpu, in_features: usize, out_features: usize, rng: &mut Pcg64) -> Linear {
        Linear::with_init(
            gpu,
            in_features,
            out_features,
            true,
            Init::KaimingUniform,
            rng,
        )
    }

    /// Any weight initialisation; the bias (when present) follows PyTorch's default.
    pub fn with_init(
        gpu: &Gpu,
        in_features: usize,
        out_features: usize,
        bias: bool,
        w: Init,
        rng: &mut Pcg64,
    ) -> Linear {
        let shape = [out_features, in_features];
        let weight = Param::new(Tensor::from_slice(
            gpu,
            &shape,
            &init::weight(rng, &shape, w),
        ));
        let bias = bias.then(|| {
            Param::new(Tensor::from_slice(
                gpu,
                &[out_features],
                &init::bias(rng, out_features, &shape),
            ))
        });
        Linear { weight, bias }
    }

    pub fn forward(&self, tape: &Tape, x: &Var) -> Var {
        self.forward_activated(tape, x, None)
    }

    /// `act(x·Wᵀ + b)` in one product ([`Tape::linear_activated`]).
    pub fn forward_activated(&self, tape: &Tape, x: &Var, act: Option<Activation>) -> Var {
        let b = self.bias.as_ref().map(|b| tape.param(b));
        tape.linear_activated(x, &tape.param(&self.weight), b.as_ref(), act)
    }
}

impl Layer for Linear {
    fn params(&self) -> Vec<(String, Param)> {
        let mut p = vec![("weight".to_string(), self.weight.clone())];
        p.extend(self.bias.iter().map(|b| ("bias".to_string(), b.clone())));
        p
    }
}
