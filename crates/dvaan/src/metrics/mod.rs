//! Classification metrics for imbalanced binary tasks, computed on the host from the
//! classifier's scores and the 0/1 labels (1 = positive = minority).
//!
//! - ROC-AUC: the Mann–Whitney statistic, P(score of a random positive > score of a random
//!   negative) with ties counted as one half (average ranks).
//! - PR-AUC: average precision as scikit-learn defines it, Σ_k (R_k − R_{k−1})·P_k over the
//!   distinct score thresholds in decreasing order (tied scores enter together; no
//!   interpolation).
//! - Threshold metrics predict positive when the score is strictly above the threshold: 0.5
//!   for probabilities, 0 for logits. G-mean = √(TPR·TNR), F1 of the positive (minority) class,
//!   balanced accuracy = (TPR + TNR) / 2.
//!
//! Degenerate input is an error, never a made-up number: all of these metrics need at least
//! one positive and one negative, scores must be finite, labels exactly 0 or 1.
//!
//! The per-class report of imbalanced learning (precision, recall, specificity, F1, G-mean,
//! IBA and support for each class) is in [`imbalanced`].

use std::fmt;

pub mod imbalanced;
pub mod threshold;

pub use imbalanced::{
    imbalanced_report, imbalanced_report_at, ClassReport, ImbalancedReport, IBA_ALPHA,
};
pub use threshold::best_g_mean_threshold;

#[derive(Debug, Clone, PartialEq)]
pub enum MetricError {
    LengthMismatch {
        scores: usize,
        labels: usize,
    },
    /// Only one class among the labels: AUCs, TPR or TNR are undefined.
    OneClass {
        n_pos: usize,
        n_neg: usize,
    },
    NonFinite {
        index: usize,
        value: f32,
    },
    BadLabel {
        index: usize,
        value: f32,
    },
}

impl fmt::Display for MetricError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricError::LengthMismatch { scores, labels } => {
                write!(f, "{scores} scores but {labels} labels; they must pair up")
            }
            MetricError::OneClass { n_pos, n_neg } => write!(
                f,
                "metrics need both classes, got {n_pos} positive and {n_neg} negative samples"
            ),
            MetricError::NonFinite { index, value } => write!(
                f,
                "score {index} is {value}; the model diverged or produced an invalid output"
            ),
            MetricError::BadLabel { index, value } => {
                write!(f, "label {index} is {value}; labels must be 0 or 1")
            }
        }
    }
}

impl std::error::Error for MetricError {}

/// How scores relate to the decision threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreKind {
    /// P(positive) in [0, 1]; threshold 0.5.
    Probability,
    /// Logit; threshold 0.
    Logit,
}

impl ScoreKind {
    pub fn threshold(self) -> f32 {
        match self {
            ScoreKind::Probability => 0.5,
            ScoreKind::Logit => 0.0,
        }
    }

    /// The decision at this kind's fixed threshold.
    pub fn predicts_positive(self, score: f32) -> bool {
        predicts_positive(score, self.threshold())
    }
}

/// The decision every threshold metric counts, and the label `predict` writes: positive when
/// the score is strictly above the threshold.
pub fn predicts_positive(score: f32, threshold: f32) -> bool {
    score > threshold
}

/// Every metric of the evaluation protocol for one test run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    pub roc_auc: f64,
    pub pr_auc: f64,
    pub g_mean: f64,
    pub f1: f64,
    pub balanced_accuracy: f64,
}

/// Checks the input; returns (positives, negatives).
fn check(scores: &[f32], labels: &[f32]) -> Result<(usize, usize), MetricError> {
    if scores.len() != labels.len() {
        return Err(MetricError::LengthMismatch {
            scores: scores.len(),
            labels: labels.len(),
        });
    }
    if let Some(index) = scores.iter().position(|s| !s.is_finite()) {
        return Err(MetricError::NonFinite {
            index,
            value: scores[index],
        });
    }
    if let Some(index) = labels.iter().position(|&l| l != 0.0 && l != 1.0) {
        return Err(MetricError::BadLabel {
            index,
            value: labels[index],
        });
    }
    let n_pos = labels.iter().filter(|&&l| l == 1.0).count();
    let n_neg = labels.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return Err(MetricError::OneClass { n_pos, n_neg });
    }
    Ok((n_pos, n_neg))
}

/// Sample indices by decreasing score, ties in index order.
fn by_score_desc(scores: &[f32]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    order
}

/// Runs of equal scores in `order`, as (start, end) ranges.
fn tie_groups(scores: &[f32], order: &[usize]) -> Vec<(usize, usize)> {
    let mut groups = Vec::new();
    let mut start = 0;
    for i in 1..=order.len() {
        if i == order.len() || scores[order[i]] != scores[order[start]] {
            groups.push((start, i));
            start = i;
        }
    }
    groups
}

pub fn roc_auc(scores: &[f32], labels: &[f32]) -> Result<f64, MetricError> {
    let (n_pos, n_neg) = check(scores, labels)?;
    let order = by_score_desc(scores);
    // Ranks ascend with the score, so rank = n - position; a tie group shares its mean rank.
    let n = scores.len() as f64;
    let mut pos_rank_sum = 0.0;
    for (start, end) in tie_groups(scores, &order) {
        let mean_rank = n - (start + end - 1) as f64 / 2.0;
        let pos = order[start..end]
            .iter()
            .filter(|&&i| labels[i] == 1.0)
            .count();
        pos_rank_sum += mean_rank * pos as f64;
    }
    let (p, q) = (n_pos as f64, n_neg as f64);
    Ok((pos_rank_sum - p * (p + 1.0) / 2.0) / (p * q))
}

pub fn average_precision(scores: &[f32], labels: &[f32]) -> Result<f64, MetricError> {
    let (n_pos, _) = check(scores, labels)?;
    let order = by_score_desc(scores);
    let (mut tp, mut seen, mut ap, mut last_recall) = (0usize, 0usize, 0.0, 0.0);
    for (start, end) in tie_groups(scores, &order) {
        tp += order[start..end]
            .iter()
            .filter(|&&i| labels[i] == 1.0)
            .count();
        seen += end - start;
        let recall = tp as f64 / n_pos as f64;
        ap += (recall - last_recall) * (tp as f64 / seen as f64);
        last_recall = recall;
    }
    Ok(ap)
}

/// (tp, fp, tn, fn) at `threshold`.
fn confusion(scores: &[f32], labels: &[f32], threshold: f32) -> (f64, f64, f64, f64) {
    let (mut tp, mut fp, mut tn, mut fneg) = (0.0, 0.0, 0.0, 0.0);
    for (&s, &l) in scores.iter().zip(labels) {
        match (predicts_positive(s, threshold), l == 1.0) {
            (true, true) => tp += 1.0,
            (true, false) => fp += 1.0,
            (false, false) => tn += 1.0,
            (false, true) => fneg += 1.0,
        }
    }
    (tp, fp, tn, fneg)
}

pub fn evaluate(scores: &[f32], labels: &[f32], kind: ScoreKind) -> Result<Metrics, MetricError> {
    evaluate_at(scores, labels, kind.threshold())
}

/// The metrics with positive predicted for scores strictly above `threshold`.
pub fn evaluate_at(scores: &[f32], labels: &[f32], threshold: f32) -> Result<Metrics, MetricError> {
    check(scores, labels)?;
    let (tp, fp, tn, fneg) = confusion(scores, labels, threshold);
    let tpr = tp / (tp + fneg);
    let tnr = tn / (tn + fp);
    Ok(Metrics {
        roc_auc: roc_auc(scores, labels)?,
        pr_auc: average_precision(scores, labels)?,
        g_mean: (tpr * tnr).sqrt(),
        // tp + fn > 0 is guaranteed by `check`, so the denominator is never zero.
        f1: 2.0 * tp / (2.0 * tp + fp + fneg),
        balanced_accuracy: (tpr + tnr) / 2.0,
    })
}

/// Mean and sample standard deviation (n − 1 in the denominator) of a metric over seeds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanStd {
    pub mean: f64,
    /// `None` for a single value, where the sample std is undefined.
    pub std: Option<f64>,
    pub n: usize,
}

/// `None` for an empty slice.
pub fn mean_std(values: &[f64]) -> Option<MeanStd> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let std = (n > 1)
        .then(|| (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt());
    Some(MeanStd { mean, std, n })
}

impl fmt::Display for MeanStd {
    /// `0.9960 ± 0.0012`; the precision (default 4) applies to both numbers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = f.precision().unwrap_or(4);
        match self.std {
            Some(s) => write!(f, "{:.p$} ± {:.p$}", self.mean, s),
            None => write!(f, "{:.p$} (1 run)", self.mean),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} != {b}");
    }

    #[test]
    fn roc_auc_counts_pairs_and_halves_ties() {
        // Positives 0.9, 0.4; negatives 0.6, 0.1. Pairs: (0.9>0.6) (0.9>0.1) (0.4<0.6)
        // (0.4>0.1) → 3 of 4.
        close(
            roc_auc(&[0.9, 0.6, 0.4, 0.1], &[1.0, 0.0, 1.0, 0.0]).unwrap(),
            0.75,
        );
        // Positive 0.5 tied with one negative 0.5, above negative 0.2: (0.5 + 1) / 2.
        close(roc_auc(&[0.5, 0.5, 0.2], &[1.0, 0.0, 0.0]).unwrap(), 0.75);
        // All scores equal: chance.
        close(roc_auc(&[0.3; 4], &[1.0, 0.0, 1.0, 0.0]).unwrap(), 0.5);
        close(roc_auc(&[0.1, 0.9], &[1.0, 0.0]).unwrap(), 0.0);
        close(roc_auc(&[-3.0, 2.0, 2.0], &[0.0, 1.0, 1.0]).unwrap(), 1.0);
    }

    #[test]
    fn average_precision_matches_sklearn_definition() {
        // sklearn.metrics.average_precision_score([1,0,1,0], [0.9,0.6,0.4,0.1]):
        // thresholds 0.9 (P=1, R=.5), 0.6 (P=.5, R=.5), 0.4 (P=2/3, R=1): .5*1 + .5*2/3.
        close(
            average_precision(&[0.9, 0.6, 0.4, 0.1], &[1.0, 0.0, 1.0, 0.0]).unwrap(),
            0.5 + 0.5 * 2.0 / 3.0,
        );
        // Tie across classes enters as one threshold: (0.5,0.5) both at once → P=1/2, R=1.
        close(
            average_precision(&[0.5, 0.5, 0.2], &[1.0, 0.0, 0.0]).unwrap(),
            0.5,
        );
        // A perfect ranking gives 1.
        close(
            average_precision(&[0.8, 0.7, 0.1], &[1.0, 1.0, 0.0]).unwrap(),
            1.0,
        );
        // All tied: precision equals the positive rate.
        close(
            average_precision(&[0.0; 4], &[1.0, 0.0, 0.0, 0.0]).unwrap(),
            0.25,
        );
    }

    #[test]
    fn threshold_metrics_by_hand() {
        // Probabilities, threshold 0.5 (strict): predictions 1,1,0,0,0 — note 0.5 itself is
        // negative. Labels 1,0,1,1,0: tp=1 fp=1 fn=2 tn=1. TPR=1/3, TNR=1/2.
        let s = [0.9, 0.7, 0.5, 0.2, 0.1];
        let l = [1.0, 0.0, 1.0, 1.0, 0.0];
        let m = evaluate(&s, &l, ScoreKind::Probability).unwrap();
        close(m.g_mean, (1.0f64 / 6.0).sqrt());
        close(m.f1, 2.0 / (2.0 + 1.0 + 2.0));
        close(m.balanced_accuracy, (1.0 / 3.0 + 0.5) / 2.0);
        // The same ranking as logits with threshold 0.
        let logits = [2.0, 1.0, 0.0, -1.0, -2.0];
        let ml = evaluate(&logits, &l, ScoreKind::Logit).unwrap();
        assert_eq!((ml.g_mean, ml.f1, ml.roc_auc), (m.g_mean, m.f1, m.roc_auc));
        // Nothing predicted positive: F1 and G-mean are 0, balanced accuracy 1/2.
        let none = evaluate(&[0.1, 0.2], &[1.0, 0.0], ScoreKind::Probability).unwrap();
        assert_eq!(
            (none.f1, none.g_mean, none.balanced_accuracy),
            (0.0, 0.0, 0.5)
        );
    }

    #[test]
    fn agrees_with_scikit_learn_on_a_tie_heavy_case() {
        // Expected values printed by scikit-learn 1.9.1 (roc_auc_score, average_precision_score,
        // f1_score, balanced_accuracy_score, sqrt of the two recall_scores at score > 0.5).
        let s = [
            0.3, 0.8, 0.2, 0.2, 0.8, 0.4, 0.3, 0.7, 0.0, 0.7, 0.2, 0.1, 0.4, 0.6, 0.1, 0.4, 0.4,
            0.4, 0.4, 0.4,
        ];
        let l = [
            1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0,
            0.0, 0.0, 1.0,
        ];
        let m = evaluate(&s, &l, ScoreKind::Probability).unwrap();
        close(m.roc_auc, 0.8516483516483516);
        close(m.pr_auc, 0.7857142857142856);
        close(m.f1, 0.6666666666666666);
        close(m.balanced_accuracy, 0.7472527472527473);
        close(m.g_mean, 0.7262730392025629);
    }

    #[test]
    fn degenerate_inputs_are_errors() {
        assert_eq!(
            roc_auc(&[0.1, 0.2], &[1.0, 1.0]),
            Err(MetricError::OneClass { n_pos: 2, n_neg: 0 })
        );
        assert_eq!(
            evaluate(&[0.1], &[0.0], ScoreKind::Logit),
            Err(MetricError::OneClass { n_pos: 0, n_neg: 1 })
        );
        assert!(matches!(
            roc_auc(&[], &[]),
            Err(MetricError::OneClass { .. })
        ));
        assert!(matches!(
            roc_auc(&[0.1], &[1.0, 0.0]),
            Err(MetricError::LengthMismatch { .. })
        ));
        assert!(matches!(
            average_precision(&[0.1, f32::NAN], &[1.0, 0.0]),
            Err(MetricError::NonFinite { index: 1, .. })
        ));
        assert!(matches!(
            roc_auc(&[0.1, 0.2], &[1.0, 2.0]),
            Err(MetricError::BadLabel { index: 1, .. })
        ));
        assert!(MetricError::OneClass { n_pos: 0, n_neg: 3 }
            .to_string()
            .contains("both classes"));
    }

    #[test]
    fn mean_and_sample_std() {
        let m = mean_std(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        close(m.mean, 2.5);
        close(m.std.unwrap(), (5.0f64 / 3.0).sqrt());
        assert_eq!(m.to_string(), "2.5000 ± 1.2910");
        assert_eq!(format!("{:.2}", m), "2.50 ± 1.29");
        let one = mean_std(&[0.9]).unwrap();
        assert_eq!((one.std, one.n), (None, 1));
        assert_eq!(one.to_string(), "0.9000 (1 run)");
        assert!(mean_std(&[]).is_none());
    }
}
