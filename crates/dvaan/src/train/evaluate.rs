//! Evaluation on a test set and decoded samples, with every network in evaluation mode
//! (batch norm uses its running statistics, so results do not depend on the batch size).
//!
//! - Scores are the classifier's logits (DVAAN's discriminator; each method says which of
//!   its networks classifies); the metrics are those of `crate::metrics` (threshold 0 on the
//!   logit, i.e. P(positive) > ½).
//! - Reconstruction error (the paper's Table 3) decodes the posterior mean `m` rather than a
//!   sample `m + σ·ε`: a deterministic number that measures the autoencoder, not the noise.
//!   It is the mean squared error per pixel (per feature for tables), NaN for methods that
//!   do not reconstruct (ac-gan, cnn*). Conditional models (cvae-gan) are given the labels.

use dvaan_tensor::ops::{concat::concat, loss};
use dvaan_tensor::Tensor;

use super::Trainer;
use crate::data::{sequential, Dataset};
use crate::metrics::{self, ScoreKind};
use crate::Error;

/// Test samples scored per dispatch chain.
const EVAL_BATCH: usize = 256;

/// Every number of the evaluation protocol (docs/DESIGN.md §6) for one test set.
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

    /// The classifier's logit for every sample of `test`, in order, and the mean
    /// reconstruction error per element (NaN for methods that do not reconstruct).
    pub fn score(&self, test: &Dataset) -> Result<(Vec<f32>, f64), Error> {
        self.check_shape(test)?;
        let (mut logits, mut errors, mut sizes) = (Vec::new(), Vec::new(), Vec::new());
        for r in sequential(test.len(), EVAL_BATCH) {
            let (x, y) = self.upload(test, r.clone());
            logits.push(self.model.scores(&x));
            if let Some(x_rec) = self.model.reconstruct(&x, &y) {
                errors.push(loss::mse(&x_rec, &x));
            }
            sizes.push(r.len());
        }
        if logits.is_empty() {
            return Err(Error::Usage(format!(
                "{} has no samples to evaluate",
                test.name
            )));
        }
        let scores = concat(&logits.iter().collect::<Vec<_>>(), 0).to_vec();
        if errors.is_empty() {
            return Ok((scores, f64::NAN));
        }
        let errors = concat(&errors.iter().collect::<Vec<_>>(), 0).to_vec();
        let total: f64 = errors
            .iter()
            .zip(&sizes)
            .map(|(&e, &n)| e as f64 * n as f64)
            .sum();
        Ok((scores, total / test.len() as f64))
    }

    /// The encoder's posterior means `m` for every sample of `data` (evaluation mode, no
    /// sampling), row-major `[data.len(), latent]`; `None` for methods without an encoder.
    /// cvae-gan's conditional encoder is given `data`'s labels.
    pub fn encode(&self, data: &Dataset) -> Result<Option<Vec<f32>>, Error> {
        self.check_shape(data)?;
        let mut parts = Vec::new();
        for r in sequential(data.len(), EVAL_BATCH) {
            let (x, y) = self.upload(data, r);
            match self.model.encode(&x, &y) {
                Some(m) => parts.push(m),
                None => return Ok(None),
            }
        }
        if parts.is_empty() {
            return Err(Error::Usage(format!(
                "{} has no samples to encode",
                data.name
            )));
        }
        Ok(Some(concat(&parts.iter().collect::<Vec<_>>(), 0).to_vec()))
    }

    /// True when the method has a generator ([`Trainer::sample_grid`] works).
    pub fn can_sample(&self) -> bool {
        self.config.method.generates()
    }

    /// Decoded samples for the paper's Figure 6: four rows of `per_row`. DVAAN's come from
    /// `N(+μ1, I)`, `N(0, I)`, `N(0, I)` and `N(−μ1, I)` (vae-gan: all four from N(0, I));
    /// the conditional generators (ac-gan, cvae-gan) give two rows of positives, then two of
    /// negatives. Returns the values (`[4·per_row, C, H, W]`, in [0, 1] for images;
    /// standardised features for tables, as `[1, 1, D]` samples) and the sample shape
    /// `(C, H, W)`. An error for methods without a generator (cnn*).
    pub fn sample_grid(&self, per_row: usize, seed: u64) -> Result<(Vec<f32>, [usize; 3]), Error> {
        if per_row == 0 {
            return Err(Error::Usage(
                "a sample grid needs at least one sample per row".into(),
            ));
        }
        let x = self.model.sample_rows(per_row, seed).ok_or_else(|| {
            Error::Usage(format!(
                "{} has no generator to draw samples from",
                self.config.method
            ))
        })?;
        let shape = match self.train.shape[..] {
            [c, h, w] => [c, h, w],
            [d] => [1, 1, d],
            _ => unreachable!("the networks take images or flat features"),
        };
        Ok((x.to_vec(), shape))
    }

    fn check_shape(&self, data: &Dataset) -> Result<(), Error> {
        if data.shape != self.train.shape {
            return Err(Error::Usage(format!(
                "{} has samples of shape {:?} but the model was trained on {:?}",
                data.name, data.shape, self.train.shape
            )));
        }
        Ok(())
    }

    /// Samples `r` of `data` and their labels, on the GPU.
    fn upload(&self, data: &Dataset, r: std::ops::Range<usize>) -> (Tensor, Tensor) {
        let d = data.sample_len();
        let x = Tensor::from_slice(
            &self.gpu,
            &data.batch_shape(r.len()),
            &data.x[r.start * d..r.end * d],
        );
        let y = Tensor::from_slice(&self.gpu, &[r.len()], &data.labels[r]);
        (x, y)
    }
}
