//! The metrics tables printed at the end of `train` and by `eval`.

use super::record::MetricsRecord;
use crate::metrics::ImbalancedReport;

pub fn print_metrics(title: &str, m: &MetricsRecord) {
    println!("{title}");
    for (name, value) in [
        ("ROC-AUC", m.roc_auc),
        ("PR-AUC", m.pr_auc),
        ("G-mean", m.g_mean),
        ("F1 (minority)", m.f1),
        ("balanced accuracy", m.balanced_accuracy),
        ("recon MSE / value", m.recon_mse),
    ] {
        println!("  {name:<18} {value:.4}");
    }
    println!(
        "  (G-mean, F1 and balanced accuracy at logit > {}: threshold rule {})",
        m.threshold, m.threshold_rule
    );
}

/// The per-class report, indented under a title.
pub fn print_per_class(title: &str, report: &ImbalancedReport) {
    println!("{title}");
    for line in report.to_string().lines() {
        println!("  {line}");
    }
}
