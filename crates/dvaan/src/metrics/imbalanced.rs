//! The per-class report of imbalanced learning: for each class, taken in turn as the class
//! of interest, its precision, recall (sensitivity), specificity (the recall of the other
//! class), F1, geometric mean √(recall·specificity) and index of balanced accuracy, plus its
//! support; and the average of each column weighted by support. The columns and their
//! definitions are those of imbalanced-learn's `classification_report_imbalanced`, so the
//! numbers can be checked against it (see `imbalanced_reference.py`).
//!
//! IBA_α = (1 + α·(recall − specificity))·G-mean², with α = 0.1: the squared G-mean,
//! favouring the class whose own recall is the higher of the two. Predictions are taken at
//! the same threshold as the other threshold metrics (score strictly above it).
//!
//! A class that is never predicted has no precision; it is reported as 0 (as is its F1 when
//! its recall is 0 too), the convention of scikit-learn's `zero_division=0`.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{check, confusion, MetricError, ScoreKind};

/// α of the index of balanced accuracy.
pub const IBA_ALPHA: f64 = 0.1;

/// One row of the report. For the weighted average, `support` is the total.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassReport {
    pub precision: f64,
    pub recall: f64,
    pub specificity: f64,
    pub f1: f64,
    pub g_mean: f64,
    pub iba: f64,
    pub support: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ImbalancedReport {
    /// The minority class (label 1).
    pub positive: ClassReport,
    /// The majority class (label 0).
    pub negative: ClassReport,
    /// Each column averaged over the two classes, weighted by their support.
    pub weighted: ClassReport,
}

/// 0 when nothing was counted in the denominator.
fn ratio(num: f64, den: f64) -> f64 {
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

/// The row of the class whose hits are `tp`, with `fp` false alarms, `fneg` misses and `tn`
/// correct rejections.
fn class_row(tp: f64, fp: f64, tn: f64, fneg: f64) -> ClassReport {
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fneg);
    let specificity = ratio(tn, tn + fp);
    let g_mean = (recall * specificity).sqrt();
    ClassReport {
        precision,
        recall,
        specificity,
        f1: ratio(2.0 * tp, 2.0 * tp + fp + fneg),
        g_mean,
        iba: (1.0 + IBA_ALPHA * (recall - specificity)) * g_mean * g_mean,
        support: (tp + fneg) as usize,
    }
}

fn weighted(a: &ClassReport, b: &ClassReport) -> ClassReport {
    let total = a.support + b.support;
    let (wa, wb) = (
        a.support as f64 / total as f64,
        b.support as f64 / total as f64,
    );
    let avg = |f: fn(&ClassReport) -> f64| wa * f(a) + wb * f(b);
    ClassReport {
        precision: avg(|r| r.precision),
        recall: avg(|r| r.recall),
        specificity: avg(|r| r.specificity),
        f1: avg(|r| r.f1),
        g_mean: avg(|r| r.g_mean),
        iba: avg(|r| r.iba),
        support: total,
    }
}

pub fn imbalanced_report(
    scores: &[f32],
    labels: &[f32],
    kind: ScoreKind,
) -> Result<ImbalancedReport, MetricError> {
    imbalanced_report_at(scores, labels, kind.threshold())
}

/// The report with positive predicted for scores strictly above `threshold`.
pub fn imbalanced_report_at(
    scores: &[f32],
    labels: &[f32],
    threshold: f32,
) -> Result<ImbalancedReport, MetricError> {
    check(scores, labels)?;
    let (tp, fp, tn, fneg) = confusion(scores, labels, threshold);
    // The negative class's hits are the correct rejections; its misses the false alarms.
    let positive = class_row(tp, fp, tn, fneg);
    let negative = class_row(tn, fneg, tp, fp);
    Ok(ImbalancedReport {
        positive,
        negative,
        weighted: weighted(&positive, &negative),
    })
}

impl fmt::Display for ImbalancedReport {
    /// A fixed-width table: a header, one row per class, then the weighted average.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<18} {:>9} {:>7} {:>11} {:>6} {:>6} {:>6} {:>8}",
            "class", "precision", "recall", "specificity", "F1", "G-mean", "IBA", "support"
        )?;
        let rows = [
            ("positive (1)", &self.positive),
            ("negative (0)", &self.negative),
            ("weighted average", &self.weighted),
        ];
        for (i, (name, r)) in rows.iter().enumerate() {
            write!(
                f,
                "{name:<18} {:>9.4} {:>7.4} {:>11.4} {:>6.4} {:>6.4} {:>6.4} {:>8}",
                r.precision, r.recall, r.specificity, r.f1, r.g_mean, r.iba, r.support
            )?;
            if i + 1 < rows.len() {
                writeln!(f)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Written by `imbalanced_reference.py` (imbalanced-learn); see that script.
    const FIXTURE: &str = include_str!("imbalanced_fixture.json");

    fn close(a: f64, b: f64, what: &str) {
        assert!((a - b).abs() < 1e-12, "{what}: {a} != {b}");
    }

    fn same_row(got: &ClassReport, want: &serde_json::Value, what: &str) {
        let num = |k: &str| want[k].as_f64().unwrap_or_else(|| panic!("{what}.{k}"));
        close(
            got.precision,
            num("precision"),
            &format!("{what} precision"),
        );
        close(got.recall, num("recall"), &format!("{what} recall"));
        close(
            got.specificity,
            num("specificity"),
            &format!("{what} specificity"),
        );
        close(got.f1, num("f1"), &format!("{what} f1"));
        close(got.g_mean, num("g_mean"), &format!("{what} g_mean"));
        close(got.iba, num("iba"), &format!("{what} iba"));
        assert_eq!(got.support as f64, num("support"), "{what} support");
    }

    #[test]
    fn agrees_with_imbalanced_learn() {
        let fixture: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
        assert_eq!(fixture["alpha"].as_f64(), Some(IBA_ALPHA));
        let cases = fixture["cases"].as_object().unwrap();
        assert!(!cases.is_empty());
        for (name, case) in cases {
            let floats = |k: &str| -> Vec<f32> {
                case[k]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap() as f32)
                    .collect()
            };
            let r =
                imbalanced_report(&floats("scores"), &floats("labels"), ScoreKind::Logit).unwrap();
            same_row(&r.positive, &case["positive"], &format!("{name} positive"));
            same_row(&r.negative, &case["negative"], &format!("{name} negative"));
            same_row(&r.weighted, &case["weighted"], &format!("{name} weighted"));
        }
    }

    #[test]
    fn by_hand_on_a_small_case() {
        // Logits > 0 predict positive: predictions 1,1,0,0,0 against labels 1,0,1,1,0.
        // Positive class: tp=1 fp=1 fn=2 tn=1 → P=1/2, R=1/3, S=1/2.
        let r = imbalanced_report(
            &[2.0, 1.0, 0.0, -1.0, -2.0],
            &[1.0, 0.0, 1.0, 1.0, 0.0],
            ScoreKind::Logit,
        )
        .unwrap();
        let g2 = 1.0 / 6.0;
        close(r.positive.precision, 0.5, "precision");
        close(r.positive.recall, 1.0 / 3.0, "recall");
        close(r.positive.specificity, 0.5, "specificity");
        close(r.positive.iba, (1.0 + 0.1 * (1.0 / 3.0 - 0.5)) * g2, "iba+");
        // The negative class sees the same matrix from the other side.
        close(r.negative.recall, 0.5, "recall−");
        close(r.negative.specificity, 1.0 / 3.0, "specificity−");
        close(r.negative.precision, 1.0 / 3.0, "precision−");
        close(r.negative.iba, (1.0 + 0.1 * (0.5 - 1.0 / 3.0)) * g2, "iba−");
        assert_eq!((r.positive.support, r.negative.support), (3, 2));
        assert_eq!(r.weighted.support, 5);
        close(
            r.weighted.recall,
            0.6 * (1.0 / 3.0) + 0.4 * 0.5,
            "weighted recall",
        );
    }

    #[test]
    fn degenerate_input_is_an_error() {
        assert_eq!(
            imbalanced_report(&[0.3, 0.1], &[0.0, 0.0], ScoreKind::Logit),
            Err(MetricError::OneClass { n_pos: 0, n_neg: 2 })
        );
    }

    #[test]
    fn table_has_a_row_per_class_and_the_average() {
        let r = imbalanced_report(&[1.0, -1.0, 1.0], &[1.0, 0.0, 0.0], ScoreKind::Logit).unwrap();
        let table = r.to_string();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 4, "{table}");
        assert!(lines[0].contains("specificity") && lines[0].contains("IBA"));
        assert!(lines[1].starts_with("positive (1)") && lines[1].ends_with(" 1"));
        assert!(lines[3].starts_with("weighted average") && lines[3].ends_with(" 3"));
    }
}
