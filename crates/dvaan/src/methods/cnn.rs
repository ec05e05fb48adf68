//! Reference classifiers beyond the paper, so the table tells the truth about what the
//! generative machinery adds: DVAAN's discriminator architecture trained on real samples
//! alone, with
//! - `cnn`: BCE;
//! - `cnn-weighted`: BCE with class weights `n / (2·n_class)` from the training set (each
//!   class contributes half of the loss);
//! - `cnn-ros`: BCE on randomly oversampled data (the positives repeated until they match
//!   the negatives, `Sampling::Oversample`);
//! - `cnn-focal`: focal loss (Lin et al. 2017) with γ = 2 and α = 0.25 on the positive
//!   class, their published defaults (α < ½ makes up for γ down-weighting the many easy
//!   negatives; in a ranking metric such as ROC-AUC, α matters little).
//!
//! Logged: `l_adv` = the classifier's loss.

use dvaan_autograd::{Adam, Param, Tape, Var};
use dvaan_tensor::ops::elementwise;
use dvaan_tensor::{Gpu, Tensor};
use rand::SeedableRng;
use rand_pcg::Pcg64;

use super::common as c;
use super::{Forward, Method, Sampling, StepLosses};
use crate::config::TrainConfig;
use crate::data::Dataset;
use crate::models::{Arch, Discriminator};
use crate::Error;

pub const FOCAL_GAMMA: f32 = 2.0;
pub const FOCAL_ALPHA: f32 = 0.25;

/// The loss a reference classifier trains with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CnnLoss {
    Bce,
    /// Weights of a positive and a negative sample.
    Weighted {
        pos: f32,
        neg: f32,
    },
    Focal {
        gamma: f32,
        alpha: f32,
    },
}

impl CnnLoss {
    /// `n / (2·n_class)` for each class of `train`.
    pub fn class_weighted(train: &Dataset) -> CnnLoss {
        let n = train.len() as f32;
        CnnLoss::Weighted {
            pos: n / (2.0 * train.n_pos.max(1) as f32),
            neg: n / (2.0 * train.n_neg.max(1) as f32),
        }
    }
}

pub struct Cnn {
    cls: Box<dyn Discriminator>,
    opt: Adam,
    loss: CnnLoss,
    sampling: Sampling,
}

impl Cnn {
    pub fn new(
        gpu: &Gpu,
        cfg: &TrainConfig,
        sample_shape: &[usize],
        loss: CnnLoss,
        sampling: Sampling,
    ) -> Result<Cnn, Error> {
        let arch = Arch::of(sample_shape)?;
        let mut rng = Pcg64::seed_from_u64(cfg.seed);
        let cls = arch.discriminator(gpu, 1, &mut rng);
        Ok(Cnn {
            opt: c::optimiser("cls", cls.as_ref(), cfg),
            cls,
            loss,
            sampling,
        })
    }
}

impl Method for Cnn {
    fn forward(&self, tape: &Tape, x: &Tensor, y: &Tensor, _step: u64) -> Forward {
        let logit = self.cls.forward(tape, &Var::constant(x.clone())).logit;
        let loss = match self.loss {
            CnnLoss::Bce => tape.bce_with_logits(&logit, y, None),
            CnnLoss::Weighted { pos, neg } => {
                // w = neg + (pos − neg)·y
                let ones = c::targets(x.gpu(), y.dim(0), 1.0);
                let w = elementwise::axpby(pos - neg, y, neg, &ones);
                tape.bce_with_logits(&logit, y, Some(&w))
            }
            CnnLoss::Focal { gamma, alpha } => tape.focal_with_logits(&logit, y, gamma, alpha),
        };
        Forward {
            logged: StepLosses {
                l_adv: c::logged(&loss),
                ..StepLosses::default()
            },
            objectives: vec![loss],
        }
    }

    fn optimisers(&self) -> Vec<(&'static str, &Adam)> {
        vec![("cls", &self.opt)]
    }

    fn optimisers_mut(&mut self) -> Vec<(&'static str, &mut Adam)> {
        vec![("cls", &mut self.opt)]
    }

    fn params(&self) -> Vec<(String, Param)> {
        c::params_of(&[("cls", self.cls.as_ref())])
    }

    fn buffers(&self) -> Vec<(String, Tensor)> {
        c::buffers_of(&[("cls", self.cls.as_ref())])
    }

    fn scores(&self, x: &Tensor) -> Tensor {
        c::eval_logits(self.cls.as_ref(), x)
    }

    fn sampling(&self) -> Sampling {
        self.sampling
    }
}
