//! The fully connected layer the models use: `y = x·Wᵀ + b`, `W [out, in]`, `b [out]`.
//!
//! It runs as a 1×1 convolution over `[N, in, 1, 1]` (the same sums, the convolution kernels'
//! implicit GEMM), with the weight stored as `[out, in]` like PyTorch's `nn.Linear`, so a
//! checkpoint does not depend on how the product is computed.

use dvaan_autograd::init::{self, Init};
use dvaan_autograd::{Layer, Param, Tape, Var};
use dvaan_tensor::{Gpu, Tensor};
use rand_pcg::Pcg64;

pub struct Linear {
    /// `[out, in]`.
    pub weight: Param,
    /// `[out]`.
    pub bias: Param,
}

impl Linear {
    /// Initialised like PyTorch's default (Kaiming-uniform weight, uniform bias).
    pub fn new(gpu: &Gpu, in_features: usize, out_features: usize, rng: &mut Pcg64) -> Linear {
        let shape = [out_features, in_features];
        let w = init::weight(rng, &shape, Init::KaimingUniform);
        let b = init::bias(rng, out_features, &shape);
        Linear {
            weight: Param::new(Tensor::from_slice(gpu, &shape, &w)),
            bias: Param::new(Tensor::from_slice(gpu, &[out_features], &b)),
        }
    }

    /// `x [N, in]` → `[N, out]`.
    pub fn forward(&self, tape: &Tape, x: &Var) -> Var {
        let (n, (out, inp)) = (
            x.shape()[0],
            (self.weight.shape()[0], self.weight.shape()[1]),
        );
        assert_eq!(
            x.shape(),
            [n, inp],
            "Linear: input {:?} for weight {:?}",
            x.shape(),
            self.weight.shape()
        );
        let x4 = tape.reshape(x, &[n, inp, 1, 1]);
        let w4 = tape.reshape(&tape.param(&self.weight), &[out, inp, 1, 1]);
        let y = tape.conv2d(&x4, &w4, Some(&tape.param(&self.bias)), 1, 0);
        tape.reshape(&y, &[n, out])
    }
}

impl Layer for Linear {
    fn params(&self) -> Vec<(String, Param)> {
        vec![
            ("weight".into(), self.weight.clone()),
            ("bias".into(), self.bias.clone()),
        ]
    }
}
