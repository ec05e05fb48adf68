//! The test-split numbers a run reports, from one scoring pass: the evaluation protocol's
//! metrics and the per-class report of imbalanced learning, both at the run's decision
//! threshold: logit 0 (probability 0.5), or, when the run holds out a validation slice
//! (`--threshold validation`), the logit that maximises G-mean on that slice.

use super::record::MetricsRecord;
use crate::config::ThresholdRule;
use crate::data::Dataset;
use crate::metrics::{self, ImbalancedReport, ScoreKind};
use crate::train::Trainer;
use crate::Result;

/// The threshold rule and logit threshold: fixed without a validation slice, chosen on it
/// otherwise.
pub fn decision_threshold(
    trainer: &Trainer,
    validation: Option<&Dataset>,
) -> Result<(ThresholdRule, f32)> {
    match validation {
        None => Ok((ThresholdRule::Fixed, ScoreKind::Logit.threshold())),
        Some(v) => {
            let (scores, _) = trainer.score(v)?;
            let t = metrics::best_g_mean_threshold(&scores, &v.labels)?;
            Ok((ThresholdRule::Validation, t))
        }
    }
}

pub fn evaluate_test(
    trainer: &Trainer,
    test: &Dataset,
    validation: Option<&Dataset>,
) -> Result<(MetricsRecord, ImbalancedReport)> {
    let (threshold_rule, threshold) = decision_threshold(trainer, validation)?;
    let (scores, recon_mse) = trainer.score(test)?;
    let m = metrics::evaluate_at(&scores, &test.labels, threshold)?;
    let per_class = metrics::imbalanced_report_at(&scores, &test.labels, threshold)?;
    let record = MetricsRecord {
        roc_auc: m.roc_auc,
        pr_auc: m.pr_auc,
        g_mean: m.g_mean,
        f1: m.f1,
        balanced_accuracy: m.balanced_accuracy,
        recon_mse,
        threshold_rule,
        threshold: threshold as f64,
    };
    Ok((record, per_class))
}
