//! The test-split numbers a run reports, from one scoring pass: the evaluation protocol's
//! metrics and the per-class report of imbalanced learning, both at the run's decision
//! threshold: logit 0 (probability 0.5), or, when the run holds out a validation slice
//! (`--threshold validation`), the logit that maximises G-mean on that slice. `eval` and
//! `predict` both score through here, so their numbers and their threshold agree.

use super::record::MetricsRecord;
use crate::config::ThresholdRule;
use crate::data::Dataset;
use crate::metrics::{self, ImbalancedReport, ScoreKind};
use crate::train::Trainer;
use crate::Result;

/// The rule a run labels samples by and the logit it puts the cut at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    pub rule: ThresholdRule,
    /// Positive is predicted for logits strictly above this.
    pub threshold: f32,
}

impl Decision {
    pub fn predicts_positive(&self, logit: f32) -> bool {
        metrics::predicts_positive(logit, self.threshold)
    }
}

/// The run's decision: fixed without a validation slice, chosen on it otherwise.
pub fn decision_threshold(trainer: &Trainer, validation: Option<&Dataset>) -> Result<Decision> {
    match validation {
        None => Ok(Decision {
            rule: ThresholdRule::Fixed,
            threshold: ScoreKind::Logit.threshold(),
        }),
        Some(v) => {
            let (scores, _) = trainer.score(v)?;
            let threshold = metrics::best_g_mean_threshold(&scores, &v.labels)?;
            Ok(Decision {
                rule: ThresholdRule::Validation,
                threshold,
            })
        }
    }
}

/// The scores of a labelled set and the numbers computed from them.
pub struct Scored {
    /// The classifier's logit per sample, in order.
    pub logits: Vec<f32>,
    pub metrics: MetricsRecord,
    pub per_class: ImbalancedReport,
}

pub fn score_and_evaluate(trainer: &Trainer, data: &Dataset, decision: Decision) -> Result<Scored> {
    let (logits, recon_mse) = trainer.score(data)?;
    let m = metrics::evaluate_at(&logits, &data.labels, decision.threshold)?;
    let per_class = metrics::imbalanced_report_at(&logits, &data.labels, decision.threshold)?;
    let metrics = MetricsRecord {
        roc_auc: m.roc_auc,
        pr_auc: m.pr_auc,
        g_mean: m.g_mean,
        f1: m.f1,
        balanced_accuracy: m.balanced_accuracy,
        recon_mse,
        threshold_rule: decision.rule,
        threshold: decision.threshold as f64,
    };
    Ok(Scored {
        logits,
        metrics,
        per_class,
    })
}

pub fn evaluate_test(
    trainer: &Trainer,
    test: &Dataset,
    validation: Option<&Dataset>,
) -> Result<(MetricsRecord, ImbalancedReport)> {
    let decision = decision_threshold(trainer, validation)?;
    let s = score_and_evaluate(trainer, test, decision)?;
    Ok((s.metrics, s.per_class))
}
