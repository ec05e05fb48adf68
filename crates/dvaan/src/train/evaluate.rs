//! Evaluation on a test set and decoded samples, with every network in evaluation mode
//! (batch norm uses its running statistics, so results do not depend on the batch size).
//!
//! - Scores are the discriminator's logits; the metrics are those of `crate::metrics`
//!   (threshold 0 on the logit, i.e. P(positive) > ½).
//! - Reconstruction error (the paper's Table 3) decodes the posterior mean `m` rather than a
//!   sample `m + σ·ε`: a deterministic number that measures the autoencoder, not the noise.
//!   It is the mean squared error per pixel (per feature for tables).

use dvaan_autograd::{Tape, Var};
use dvaan_tensor::ops::{concat::concat, loss, random};
use dvaan_tensor::Tensor;

use super::Trainer;
use crate::data::{sequential, Dataset};
use crate::metrics::{self, ScoreKind};
use crate::Error;

/// Test samples scored per dispatch chain.
const EVAL_BATCH: usize = 256;

/// Every number of the evaluation protocol (DESIGN §6) for one test set.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EvalMetrics {
    pub roc_auc: f64,
    pub pr_auc: f64,
    pub g_mean: f64,
    pub f1: f64,
    pub balanced_accuracy: f64,
    pub recon_mse: f64,
}

impl Trainer {
    pub fn evaluate(&self, test: &Dataset) -> Result<EvalMetrics, Error> {
        let (scores, recon_mse) = self.score(test)?;
        let m = metrics::evaluate(&scores, &test.labels, ScoreKind::Logit)?;
        Ok(EvalMetrics {
            roc_auc: m.roc_auc,
            pr_auc: m.pr_auc,
            g_mean: m.g_mean,
            f1: m.f1,
            balanced_accuracy: m.balanced_accuracy,
            recon_mse,
        })
    }

    /// The discriminator's logit for every sample of `test`, in order, and the mean
    /// reconstruction error per element.
    pub fn score(&self, test: &Dataset) -> Result<(Vec<f32>, f64), Error> {
        if test.shape != self.train.shape {
            return Err(Error::Usage(format!(
                "{} has samples of shape {:?} but the model was trained on {:?}",
                test.name, test.shape, self.train.shape
            )));
        }
        let nets = &self.model.nets;
        let tape = Tape::eval();
        let d = test.sample_len();
        let (mut logits, mut errors, mut sizes) = (Vec::new(), Vec::new(), Vec::new());
        for r in sequential(test.len(), EVAL_BATCH) {
            let x = Tensor::from_slice(
                &self.gpu,
                &test.batch_shape(r.len()),
                &test.x[r.start * d..r.end * d],
            );
            let xv = Var::constant(x.clone());
            logits.push(nets.dis.forward(&tape, &xv).logit.value().clone());
            let (m, _) = nets.enc.forward(&tape, &xv);
            errors.push(loss::mse(nets.dec.forward(&tape, &m).value(), &x));
            sizes.push(r.len());
        }
        if logits.is_empty() {
            return Err(Error::Usage(format!(
                "{} has no samples to evaluate",
                test.name
            )));
        }
        let scores = concat(&logits.iter().collect::<Vec<_>>(), 0).to_vec();
        let errors = concat(&errors.iter().collect::<Vec<_>>(), 0).to_vec();
        let total: f64 = errors
            .iter()
            .zip(&sizes)
            .map(|(&e, &n)| e as f64 * n as f64)
            .sum();
        Ok((scores, total / test.len() as f64))
    }

    /// Decoded samples for the paper's Figure 6: four rows of `per_row`, from `N(+μ1, I)`,
    /// `N(0, I)`, `N(0, I)` and `N(−μ1, I)`. Returns the values (`[4·per_row, C, H, W]`, in
    /// [0, 1] for images; standardised features for tables, as `[1, 1, D]` samples) and the
    /// sample shape `(C, H, W)`.
    pub fn sample_grid(&self, per_row: usize, seed: u64) -> Result<(Vec<f32>, [usize; 3]), Error> {
        if per_row == 0 {
            return Err(Error::Usage(
                "a sample grid needs at least one sample per row".into(),
            ));
        }
        let n = 4 * per_row;
        let mu = self.mu();
        let shifts: Vec<f32> = [mu, 0.0, 0.0, -mu]
            .iter()
            .flat_map(|&s| vec![s; per_row])
            .collect();
        let eps = random::normal(&self.gpu, &[n, self.model.latent()], seed, 0);
        let shift = Tensor::from_slice(&self.gpu, &[n], &shifts);
        let z = dvaan_tensor::ops::reparam::shift_rows(&eps, &shift);
        let x = self
            .model
            .nets
            .dec
            .forward(&Tape::eval(), &Var::constant(z));
        let shape = match self.train.shape[..] {
            [c, h, w] => [c, h, w],
            [d] => [1, 1, d],
            _ => unreachable!("the networks take images or flat features"),
        };
        Ok((x.value().to_vec(), shape))
    }
}
