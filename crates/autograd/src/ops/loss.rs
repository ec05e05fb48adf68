//! Losses on the tape. Kernels: `dvaan_tensor::ops::loss` (`shaders/loss.wgsl`).
//!
//! Every loss is a batch mean, returned as a `[1]` value that stays on the GPU; the upstream
//! gradient reaches the engine's backward kernels as a `[1]` tensor too, so a weighted sum of
//! losses never reads anything back. Targets (labels, pixels) are constants.

use dvaan_tensor::ops::loss as k;
use dvaan_tensor::Tensor;

use crate::tape::{single, Backward};
use crate::{Tape, Var};

struct BceWithLogits {
    logits: Tensor,
    targets: Tensor,
    weights: Option<Tensor>,
    factor: f32,
}

impl Backward for BceWithLogits {
    fn name(&self) -> &'static str {
        "bce_with_logits"
    }
    fn backward(&self, dy: &[Option<Tensor>], _wants: &[bool]) -> Vec<Option<Tensor>> {
        vec![Some(k::bce_with_logits_scaled_backward(
            &self.logits,
            &self.targets,
            self.weights.as_ref(),
            self.factor,
            single(dy),
        ))]
    }
}

struct Bce {
    probs: Tensor,
    targets: Tensor,
}

impl Backward for Bce {
    fn name(&self) -> &'static str {
        "bce"
    }
    fn backward(&self, dy: &[Option<Tensor>], _wants: &[bool]) -> Vec<Option<Tensor>> {
        vec![Some(k::bce_backward(
            &self.probs,
            &self.targets,
            single(dy),
        ))]
    }
}

struct Mse {
    pred: Tensor,
    target: Tensor,
}

impl Backward for Mse {
    fn name(&self) -> &'static str {
        "mse"
    }
    fn backward(&self, dy: &[Option<Tensor>], wants: &[bool]) -> Vec<Option<Tensor>> {
        // The loss is symmetric up to sign: d/dtarget = −d/dpred, written by the same pass.
        if wants[1] {
            let (dpred, dtarget) = k::mse_backward_both(&self.pred, &self.target, single(dy));
            return vec![wants[0].then_some(dpred), Some(dtarget)];
        }
        let dpred = wants[0].then(|| k::mse_backward(&self.pred, &self.target, single(dy)));
        vec![dpred, None]
    }
}

struct Focal {
    logits: Tensor,
    targets: Tensor,
    gamma: f32,
    alpha: f32,
}

impl Backward for Focal {
    fn name(&self) -> &'static str {
        "focal_with_logits"
    }
    fn backward(&self, dy: &[Option<Tensor>], _wants: &[bool]) -> Vec<Option<Tensor>> {
        let d = k::focal_with_logits_backward(
            &self.logits,
            &self.targets,
            self.gamma,
            self.alpha,
            single(dy),
        );
        vec![Some(d)]
    }
}

impl Tape {
    /// Mean of `weight·BCE(sigmoid(logit), target)` over `[N]` logits, computed stably
    /// from the logits.
    pub fn bce_with_logits(&self, logits: &Var, targets: &Tensor, weights: Option<&Tensor>) -> Var {
        self.bce_with_logits_scaled(logits, targets, weights, 1.0)
    }

    /// `factor` times [`Tape::bce_with_logits`]: the factor is applied by the loss's own
    /// kernels, forward and backward, where `tape.scale` would add a dispatch to each.
    pub fn bce_with_logits_scaled(
        &self,
        logits: &Var,
        targets: &Tensor,
        weights: Option<&Tensor>,
        factor: f32,
    ) -> Var {
        let loss = k::bce_with_logits_scaled(logits.value(), targets, weights, factor);
        let saved = BceWithLogits {
            logits: logits.value().clone(),
            targets: targets.clone(),
            weights: weights.cloned(),
            factor,
        };
        self.record1(saved, &[logits], loss)
    }

    /// Mean BCE of probabilities (clamped to [1e-7, 1 − 1e-7]) against targets, e.g. a
    /// decoder's sigmoid output against the input pixels.
    pub fn bce(&self, probs: &Var, targets: &Tensor) -> Var {
        let loss = k::bce(probs.value(), targets);
        self.record1(
            Bce {
                probs: probs.value().clone(),
                targets: targets.clone(),
            },
            &[probs],
            loss,
        )
    }

    /// Mean over all elements of `(pred − target)²`. Both sides may carry gradients
    /// (feature matching compares two network outputs).
    pub fn mse(&self, pred: &Var, target: &Var) -> Var {
        let loss = k::mse(pred.value(), target.value());
        self.record1(
            Mse {
                pred: pred.value().clone(),
                target: target.value().clone(),
            },
            &[pred, target],
            loss,
        )
    }

    /// Mean focal loss on logits with focusing `gamma` and positive-class weight `alpha`.
    pub fn focal_with_logits(&self, logits: &Var, targets: &Tensor, gamma: f32, alpha: f32) -> Var {
        let loss = k::focal_with_logits(logits.value(), targets, gamma, alpha);
        let saved = Focal {
            logits: logits.value().clone(),
            targets: targets.clone(),
            gamma,
            alpha,
        };
        self.record1(saved, &[logits], loss)
    }
}
