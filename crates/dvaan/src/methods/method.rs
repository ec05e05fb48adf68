//! What the trainer needs from a method (DVAAN, its variants, the baselines of Table 1):
//! a forward pass that records the step's losses and one objective per network, the
//! networks' optimisers, and a classifier score for evaluation. The update that follows the
//! forward pass is the same for every method ([`train_step`]): one backward pass per network
//! with that network's objective, then one Adam update per network. A method may compute
//! the same gradients with less work ([`Method::step_gradients`]; DVAAN shares its
//! discriminator's backward).
//!
//! The trainer holds a `Box<dyn Method>`; the epoch loop, batching, history, evaluation and
//! checkpoints are shared, so a method is only its networks and its losses.

use dvaan_autograd::{Adam, Gradients, Param, Tape, Var};
use dvaan_tensor::Tensor;

use super::Generated;

/// The four logged quantities of a step, as `[1]` values on the GPU; `None` where a method
/// has no such term (the history then records 0). What each means per method is listed by
/// `MethodKind::loss_columns`: broadly, reconstruction, KL, the classifier network's loss,
/// and the generator's matching loss.
#[derive(Clone, Default)]
pub struct StepLosses {
    pub l_ele: Option<Tensor>,
    pub l_kl: Option<Tensor>,
    pub l_adv: Option<Tensor>,
    pub l_fea: Option<Tensor>,
}

/// A recorded forward pass: the logged losses and, in the order of
/// [`Method::optimisers`], the objective each network minimises.
pub struct Forward {
    pub logged: StepLosses,
    pub objectives: Vec<Var>,
}

/// How the trainer draws an epoch's mini-batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// A permutation of D (and DVAAN's support pool D⁺).
    Shuffle,
    /// Every batch half positives, half negatives: each negative once per epoch, the
    /// positives cycled through reshuffled copies (`vae-gan-b`).
    BalancedBatches,
    /// Random oversampling: the positives repeated (whole copies, then a random
    /// remainder) until they match the negatives, the lot shuffled (`cnn-ros`).
    Oversample,
}

pub trait Method {
    /// Records one step's forward pass on the batch `x [B, …]`, `y [B]` (0/1) at global
    /// step `step` (noise is drawn from the seed and `step` alone).
    fn forward(&self, tape: &Tape, x: &Tensor, y: &Tensor, step: u64) -> Forward;

    /// `(network name, its optimiser)`, in the order of [`Forward::objectives`].
    fn optimisers(&self) -> Vec<(&'static str, &Adam)>;
    fn optimisers_mut(&mut self) -> Vec<(&'static str, &mut Adam)>;

    /// Every parameter, named `<network>.…` (checkpoint names).
    fn params(&self) -> Vec<(String, Param)>;
    /// Batch-norm running statistics, named like the parameters.
    fn buffers(&self) -> Vec<(String, Tensor)>;

    /// Classifier logits `[N]` for `x [N, …]`, every network in evaluation mode;
    /// P(positive | x) = sigmoid(logit). Never given the labels.
    fn scores(&self, x: &Tensor) -> Tensor;

    /// Runs after the updates of a step, on the GPU (DVAAN's margin update).
    fn after_step(&mut self, _logged: &StepLosses) {}

    /// The class margin μ (`[1]`), for methods that have one.
    fn mu(&self) -> Option<&Tensor> {
        None
    }

    /// Posterior means `m [N, d]` in evaluation mode, for methods with an encoder
    /// (conditional encoders take the labels `y [N]`).
    fn encode(&self, _x: &Tensor, _y: &Tensor) -> Option<Tensor> {
        None
    }

    /// Reconstructions of `x` from the posterior means, for autoencoding methods.
    fn reconstruct(&self, _x: &Tensor, _y: &Tensor) -> Option<Tensor> {
        None
    }

    /// `4·per_row` generated samples in four rows (evaluation mode), for methods with a
    /// generator: DVAAN's rows come from N(+μ1, I), N(0, I), N(0, I), N(−μ1, I); the
    /// conditional generators' from the positive class (two rows), then the negative.
    fn sample_rows(&self, _per_row: usize, _seed: u64) -> Option<Tensor> {
        None
    }

    /// `n` generated positives (evaluation mode) decoded from the positive class's prior, for
    /// methods whose generator knows the class: DVAAN's N(+μ1, I), the conditional
    /// generators' N(0, I) with the positive label. Noise from `seed` and `offset` alone.
    fn draw_positives(&self, _n: usize, _seed: u64, _offset: u64) -> Option<Tensor> {
        None
    }

    /// A round of support samples (docs/DESIGN.md §5.3), for methods that augment.
    fn generate_support(&self, _n: usize, _step: u64, _keep_negatives: bool) -> Option<Generated> {
        None
    }

    fn sampling(&self) -> Sampling {
        Sampling::Shuffle
    }

    /// A step's logged losses and each network's gradient of its objective, in the order of
    /// [`Method::optimisers`]: the forward pass, then one backward per network
    /// ([`per_objective_gradients`]; none for a network other than `only`). A method may
    /// share work between those passes (DVAAN shares its discriminator's); the gradients must
    /// be the same.
    fn step_gradients(
        &self,
        x: &Tensor,
        y: &Tensor,
        step: u64,
        only: Option<&str>,
    ) -> (StepLosses, Vec<Gradients>) {
        let tape = Tape::new();
        let Forward { logged, objectives } = self.forward(&tape, x, y, step);
        let grads = per_objective_gradients(tape, &objectives, &self.optimisers(), only);
        (logged, grads)
    }
}

/// One training step: each network's gradient of its own objective
/// ([`Method::step_gradients`]), every optimiser steps, then [`Method::after_step`]. Records
/// GPU work only. With `only = Some(name)` just that network is updated (the others stay
/// frozen): for tests that check each network descends its own objective.
pub fn train_step(
    method: &mut dyn Method,
    x: &Tensor,
    y: &Tensor,
    step: u64,
    only: Option<&str>,
) -> StepLosses {
    let (logged, grads) = method.step_gradients(x, y, step, only);
    for ((name, opt), g) in method.optimisers_mut().into_iter().zip(&grads) {
        if only.is_none_or(|n| n == name) {
            opt.step(g);
        }
    }
    method.after_step(&logged);
    logged
}

/// One backward pass per network, `objectives[i]` to the parameters of `opts[i]`; a network
/// other than `only` (when given) gets no pass and empty gradients.
pub fn per_objective_gradients(
    tape: Tape,
    objectives: &[Var],
    opts: &[(&'static str, &Adam)],
    only: Option<&str>,
) -> Vec<Gradients> {
    assert_eq!(opts.len(), objectives.len(), "one objective per optimiser");
    let wanted = |name: &str| only.is_none_or(|n| n == name);
    let (last, rest) = opts.split_last().expect("a method has a network");
    let mut grads: Vec<Gradients> = rest
        .iter()
        .zip(objectives)
        .map(|((name, opt), o)| match wanted(name) {
            true => tape.backward(o, opt.params()),
            false => Gradients::default(),
        })
        .collect();
    // The last pass releases the tape's saved tensors as it goes (lower peak memory).
    grads.push(match wanted(last.0) {
        true => tape.backward_last(&objectives[rest.len()], last.1.params()),
        false => Gradients::default(),
    });
    grads
}

/// The value of each network's objective on a batch, read back: `(network, value)`. The
/// forward pass runs in training mode (batch statistics; the running averages move).
pub fn objective_values(
    method: &dyn Method,
    x: &Tensor,
    y: &Tensor,
    step: u64,
) -> Vec<(&'static str, f32)> {
    let tape = Tape::new();
    let f = method.forward(&tape, x, y, step);
    method
        .optimisers()
        .iter()
        .zip(&f.objectives)
        .map(|((name, _), o)| (*name, o.value().item()))
        .collect()
}
