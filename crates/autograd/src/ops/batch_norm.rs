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

/// The training-mode node; with `relu_out` it is batch norm and the ReLU after it as one
/// engine op each way, the saved output deciding which values the ReLU let through.
struct TrainBackward {
    x: Tensor,
    gamma: Tensor,
    mean: Tensor,
    inv_std: Tensor,
    relu_out: Option<Tensor>,
}

impl Backward for TrainBackward {
    fn name(&self) -> &'static str {
        if self.relu_out.is_some() {
            "batch_norm_relu(train)"
        } else {
            "batch_norm(train)"
        }
    }
    fn backward(&self, dy: &[Option<Tensor>], wants: &[bool]) -> Vec<Option<Tensor>> {
        let (x, dy, gamma) = (&self.x, single(dy), &self.gamma);
        let g = match &self.relu_out {
            Some(out) => bn::batch_norm_relu_backward(x, out, dy, gamma, &self.mean, &self.inv_std),
            None => bn::batch_norm_backward(x, dy, gamma, &self.mean, &self.inv_std),
        };
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
            let stats = [running_mean, running_var];
            self.batch_norm_train_node(x, gamma, beta, stats, (momentum, eps), false)
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
        let stats = [running_mean, running_var];
        self.batch_norm_train_node(x, gamma, beta, stats, (momentum, eps), true)
    }

    /// Training-mode batch norm (followed by a ReLU when `relu`), recorded as one node.
    fn batch_norm_train_node(
        &self,
        x: &Var,
        gamma: &Var,
        beta: &Var,
        [running_mean, running_var]: [&Tensor; 2],
        (momentum, eps): (f32, f32),
        relu: bool,
    ) -> Var {
        let train = if relu {
            bn::batch_norm_relu_train
        } else {
            bn::batch_norm_train
        };
        let (xv, gv, bv) = (x.value(), gamma.value(), beta.value());
        let out = train(xv, gv, bv, running_mean, running_var, momentum, eps);
        let saved = TrainBackward {
            x: xv.clone(),
            gamma: gv.clone(),
            mean: out.mean,
            inv_std: out.inv_std,
            relu_out: relu.then(|| out.y.clone()),
        };
        self.record1(saved, &[x, gamma, beta], out.y)
    }
}
