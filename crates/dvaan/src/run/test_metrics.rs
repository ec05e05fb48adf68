//! The test-split numbers a run reports, from one scoring pass: the evaluation protocol's
//! metrics and the per-class report of imbalanced learning, both at logit 0. `eval` and
//! `predict` both score through here, so their numbers agree.

use super::record::MetricsRecord;
use crate::data::Dataset;
use crate::metrics::{self, ImbalancedReport, ScoreKind};
use crate::train::Trainer;
use crate::Result;

/// The scores of a labelled set and the numbers computed from them.
pub struct Scored {
    /// The classifier's logit per sample, in order.
    pub logits: Vec<f32>,
    pub metrics: MetricsRecord,
    pub per_class: ImbalancedReport,
}

pub fn score_and_evaluate(trainer: &Trainer, data: &Dataset) -> Result<Scored> {
    let (logits, recon_mse) = trainer.score(data)?;
    let m = metrics::evaluate(&logits, &data.labels, ScoreKind::Logit)?;
    let per_class = metrics::imbalanced_report(&logits, &data.labels, ScoreKind::Logit)?;
    let metrics = MetricsRecord {
        roc_auc: m.roc_auc,
        pr_auc: m.pr_auc,
        g_mean: m.g_mean,
        f1: m.f1,
        balanced_accuracy: m.balanced_accuracy,
        recon_mse,
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
) -> Result<(MetricsRecord, ImbalancedReport)> {
    let s = score_and_evaluate(trainer, test)?;
    Ok((s.metrics, s.per_class))
}
