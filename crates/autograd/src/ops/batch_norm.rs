//! Batch normalisation on the tape. Kernels: `dvaan_tensor::ops::batch_norm`
//! (`shaders/batch_norm.wgsl`).
//!
//! Training mode normalises with the batch's statistics (and updates the running averages
//! in place); its backward is the engine's fused kernel. Evaluation mode is a fixed
//! per-channel affine map `y = γ·(x − μ_run)·s + β` with `s = 1/√(σ²_run + ε)`, so
//! `dx = γ·s·dy` (the eval kernel applied to `dy` with zero mean and shift),
//! `dγ = Σ dy·x̂` and `dβ = Σ dy`.

use dvaan_tensor::ops::batch_norm as bn;
use dvaan_tensor::ops::elementwise::{full, mul};
use dvaan_tensor::ops::reduce::channel_sum;
use dvaan_tensor::Tensor;

use crate::tape::{single, Backward};
use crate::{Tape, Var};

struct TrainBackward {
    x: Tensor,
    gamma: Tensor,
    mean: Tensor,
    inv_std: Tensor,
}

impl Backward for TrainBackward {
    fn name(&self) -> &'static str {
        "batch_norm(train)"
    }
    fn backward(&self, dy: &[Option<Tensor>], wants: &[bool]) -> Vec<Option<Tensor>> {
        let g =
            bn::batch_norm_backward(&self.x, single(dy), &self.gamma, &self.mean, &self.inv_std);
        vec![
            wants[0].then_some(g.dx),
            wants[1].then_some(g.dgamma),
            wants[2].then_some(g.dbeta),
        ]
    }
}

/// Batch norm and the ReLU after it, as one engine op each way: the output `out` decides
/// which values the ReLU let through.
struct TrainReluBackward {
    x: Tensor,
    out: Tensor,
    gamma: Tensor,
    mean: Tensor,
    inv_std: Tensor,
}

impl Backward for TrainReluBackward {
    fn name(&self) -> &'static str {
        "batch_norm_relu(train)"
    }
    fn backward(&self, dy: &[Option<Tensor>], wants: &[bool]) -> Vec<Option<Tensor>> {
        let g = bn::batch_norm_relu_backward(
            &self.x,
            &self.out,
            single(dy),
            &self.gamma,
            &self.mean,
            &self.inv_std,
        );
        vec![
            wants[0].then_some(g.dx),
            wants[1].then_some(g.dgamma),
            wants[2].then_some(g.dbeta),
        ]
    }
}

struct EvalBackward {
    x: Tensor,
    gamma: Tensor,
    /// Copies: a later training-mode pass updates the running statistics in place.
    running_mean: Tensor,
    running_var: Tensor,
    eps: f32,
}

impl Backward for EvalBackward {
    fn name(&self) -> &'static str {
        "batch_norm(eval)"
    }
    fn backward(&self, dy: &[Option<Tensor>], wants: &[bool]) -> Vec<Option<Tensor>> {
        let dy = single(dy);
        let c = [self.gamma.numel()];
        let gpu = dy.gpu();
        let dx = wants[0].then(|| {
            let zeros = full(gpu, &c, 0.0);
            bn::batch_norm_eval(dy, &self.gamma, &zeros, &zeros, &self.running_var, self.eps)
        });
        let dgamma = wants[1].then(|| {
            let (ones, zeros) = (full(gpu, &c, 1.0), full(gpu, &c, 0.0));
            let xhat = bn::batch_norm_eval(
                &self.x,
                &ones,
                &zeros,
                &self.running_mean,
                &self.running_var,
                self.eps,
            );
            channel_sum(&mul(dy, &xhat))
        });
        vec![dx, dgamma, wants[2].then(|| channel_sum(dy))]
    }
}

impl Tape {
    /// Batch norm of `x [N, C]` or `[N, C, H, W]` with per-channel `gamma`, `beta`. In
    /// training mode the running statistics are updated in place
    /// (`running = (1 − momentum)·running + momentum·batch`).
    #[allow(clippy::too_many_arguments)]
    pub fn batch_norm(
        &self,
        x: &Var,
        gamma: &Var,
        beta: &Var,
        running_mean: &Tensor,
        running_var: &Tensor,
        momentum: f32,
        eps: f32,
    ) -> Var {
        let inputs = [x, gamma, beta];
        if self.is_training() {
            let out = bn::batch_norm_train(
                x.value(),
                gamma.value(),
                beta.value(),
                running_mean,
                running_var,
                momentum,
                eps,
            );
            let saved = TrainBackward {
                x: x.value().clone(),
                gamma: gamma.value().clone(),
                mean: out.mean,
                inv_std: out.inv_std,
            };
            self.record1(saved, &inputs, out.y)
        } else {
            let y = bn::batch_norm_eval(
                x.value(),
                gamma.value(),
                beta.value(),
                running_mean,
                running_var,
                eps,
            );
            if !self.is_recording() || inputs.iter().all(|v| !v.is_tracked()) {
                return Var::constant(y);
            }
            let saved = EvalBackward {
                x: x.value().clone(),
                gamma: gamma.value().clone(),
                running_mean: running_mean.duplicate(),
                running_var: running_var.duplicate(),
                eps,
            };
            self.record1(saved, &inputs, y)
        }
    }

    /// [`Tape::batch_norm`] followed by a ReLU. In training mode both run as one engine op
    /// forward and one backward, with the results of the two ops in sequence; in evaluation
    /// mode they are the two ops.
    #[allow(clippy::too_many_arguments)]
    pub fn batch_norm_relu(
        &self,
        x: &Var,
        gamma: &Var,
        beta: &Var,
        running_mean: &Tensor,
        running_var: &Tensor,
        momentum: f32,
        eps: f32,
    ) -> Var {
        if !self.is_training() {
            let y = self.batch_norm(x, gamma, beta, running_mean, running_var, momentum, eps);
            return self.relu(&y);
        }
        let out = bn::batch_norm_relu_train(
            x.value(),
            gamma.value(),
            beta.value(),
            running_mean,
            running_var,
            momentum,
            eps,
        );
        let saved = TrainReluBackward {
            x: x.value().clone(),
            out: out.y.clone(),
            gamma: gamma.value().clone(),
            mean: out.mean,
            inv_std: out.inv_std,
        };
        self.record1(saved, &[x, gamma, beta], out.y)
    }
}
