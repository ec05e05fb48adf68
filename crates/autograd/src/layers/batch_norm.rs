//! `BatchNorm` over `[N, C]` (1-d) or `[N, C, H, W]` (2-d) inputs, with running statistics.
//! Op: [`Tape::batch_norm`] (`ops/batch_norm.rs`, batch-norm kernels). The tape's mode picks
//! batch statistics (training) or running statistics (evaluation).

use dvaan_tensor::ops::elementwise::full;
use dvaan_tensor::{Gpu, Tensor};

use crate::layers::Layer;
use crate::{Param, Tape, Var};

pub struct BatchNorm {
    /// γ, `[C]`, starts at 1.
    pub weight: Param,
    /// β, `[C]`, starts at 0.
    pub bias: Param,
    pub running_mean: Tensor,
    pub running_var: Tensor,
    /// Weight of the new batch in the running averages (PyTorch's default 0.1).
    pub momentum: f32,
    pub eps: f32,
}

/// The same layer; the names say which input rank a model feeds it.
pub type BatchNorm1d = BatchNorm;
pub type BatchNorm2d = BatchNorm;

impl BatchNorm {
    /// γ = 1, β = 0, running mean 0 and variance 1, momentum 0.1, ε = 1e-5 (PyTorch's defaults).
    pub fn new(gpu: &Gpu, channels: usize) -> BatchNorm {
        BatchNorm {
            weight: Param::new(full(gpu, &[channels], 1.0)),
            bias: Param::new(full(gpu, &[channels], 0.0)),
            running_mean: full(gpu, &[channels], 0.0),
            running_var: full(gpu, &[channels], 1.0),
            momentum: 0.1,
            eps: 1e-5,
        }
    }

    pub fn forward(&self, tape: &Tape, x: &Var) -> Var {
        self.apply(tape, x, Tape::batch_norm)
    }
}

impl BatchNorm {
    /// [`BatchNorm::forward`] followed by a ReLU ([`Tape::batch_norm_relu`]: one engine op
    /// each way in training mode).
    pub fn forward_relu(&self, tape: &Tape, x: &Var) -> Var {
        self.apply(tape, x, Tape::batch_norm_relu)
    }

    /// `op` ([`Tape::batch_norm`] or [`Tape::batch_norm_relu`]) with this layer's parameters
    /// and running statistics.
    fn apply(&self, tape: &Tape, x: &Var, op: BatchNormOp) -> Var {
        let (gamma, beta) = (tape.param(&self.weight), tape.param(&self.bias));
        op(
            tape,
            x,
            &gamma,
            &beta,
            &self.running_mean,
            &self.running_var,
            self.momentum,
            self.eps,
        )
    }
}

impl Layer for BatchNorm {
    fn params(&self) -> Vec<(String, Param)> {
        vec![
            ("weight".to_string(), self.weight.clone()),
            ("bias".to_string(), self.bias.clone()),
        ]
    }

    fn buffers(&self) -> Vec<(String, Tensor)> {
        vec![
            ("running_mean".to_string(), self.running_mean.clone()),
            ("running_var".to_string(), self.running_var.clone()),
        ]
    }
}

/// The signature of [`Tape::batch_norm`] and [`Tape::batch_norm_relu`].
type BatchNormOp = fn(&Tape, &Var, &Var, &Var, &Tensor, &Tensor, f32, f32) -> Var;
