//! The test-split numbers a run reports, from one scoring pass: the evaluation protocol's
//! metrics and the per-class report of imbalanced learning, both at logit 0.

use super::record::MetricsRecord;
use crate::data::Dataset;
use crate::metrics::{self, ImbalancedReport, ScoreKind};
use crate::train::Trainer;
use crate::Result;

pub fn evaluate_test(
    trainer: &Trainer,
    test: &Dataset,
) -> Result<(MetricsRecord, ImbalancedReport)> {
    let (scores, recon_mse) = trainer.score(test)?;
    let m = metrics::evaluate(&scores, &test.labels, ScoreKind::Logit)?;
    let per_class = metrics::imbalanced_report(&scores, &test.labels, ScoreKind::Logit)?;
    let record = MetricsRecord {
        roc_auc: m.roc_auc,
        pr_auc: m.pr_auc,
        g_mean: m.g_mean,
        f1: m.f1,
        balanced_accuracy: m.balanced_accuracy,
        recon_mse,
    };
    Ok((record, per_class))
}
