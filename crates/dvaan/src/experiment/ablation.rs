//! DVAAN against its two ablations (docs/DESIGN.md §5.4), per dataset and ratio: test ROC-AUC
//! mean ± sample std over seeds of `dvaan`, `dvaan-a` (no support samples) and `dvaan-mu`
//! (μ fixed), and of the per-seed differences `dvaan − dvaan-a` and `dvaan − dvaan-mu`.
//! Differences are paired by seed: cells of one seed train on the same imbalanced subsample
//! (and validation slice), so the pairing removes the spread the data draw causes.

use std::fmt::Write;

use super::grid::{ratio_label, Grid};
use super::outcome::{group, summarise, Outcome, Summary};

pub const FULL: &str = "dvaan";
pub const ABLATIONS: [&str; 2] = ["dvaan-a", "dvaan-mu"];

/// Final test ROC-AUC of each finished seed of one group.
fn by_seed(outcomes: &[Outcome], dataset: &str, ratio: f64, method: &str) -> Vec<(u64, f64)> {
    group(outcomes, dataset, ratio, method)
        .iter()
        .filter_map(|o| o.metrics.map(|m| (o.cell.seed, m.roc_auc)))
        .collect()
}

/// `full − ablation` for each seed both have finished.
pub fn paired_differences(full: &[(u64, f64)], ablation: &[(u64, f64)]) -> Vec<f64> {
    full.iter()
        .filter_map(|(s, a)| ablation.iter().find(|(t, _)| t == s).map(|(_, b)| a - b))
        .collect()
}

fn text(s: Option<Summary>) -> String {
    match s {
        None => "–".into(),
        Some(s) => match s.std {
            Some(sd) => format!("{:+.4} ± {sd:.4} (n={})", s.mean, s.n),
            None => format!("{:+.4} (n=1)", s.mean),
        },
    }
}

fn plain(s: Option<Summary>) -> String {
    match s {
        None => "–".into(),
        Some(s) => match s.std {
            Some(sd) => format!("{:.4} ± {sd:.4}", s.mean),
            None => format!("{:.4}", s.mean),
        },
    }
}

/// True when the grid holds DVAAN and at least one ablation.
pub fn applies(grid: &Grid) -> bool {
    let m = grid.methods();
    m.iter().any(|x| x == FULL) && ABLATIONS.iter().any(|a| m.iter().any(|x| x == a))
}

/// (dataset, ratio) pairs that have finished dvaan cells.
fn groups(grid: &Grid, outcomes: &[Outcome]) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for ratio in grid.ratios() {
        for d in grid.datasets() {
            if !by_seed(outcomes, &d, ratio, FULL).is_empty() {
                out.push((d, ratio));
            }
        }
    }
    out
}

pub fn markdown(grid: &Grid, outcomes: &[Outcome]) -> String {
    let mut out = String::from(
        "# DVAAN against its ablations: test ROC-AUC\n\n\
         | dataset | ratio | dvaan | dvaan-a | dvaan-mu | dvaan − dvaan-a | dvaan − dvaan-mu |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for (d, r) in groups(grid, outcomes) {
        let full = by_seed(outcomes, &d, r, FULL);
        let values = |v: &[(u64, f64)]| summarise(&v.iter().map(|x| x.1).collect::<Vec<_>>());
        let mut line = format!("| {d} | 1:{} | {} |", ratio_label(r), plain(values(&full)));
        let mut diffs = Vec::new();
        for a in ABLATIONS {
            let abl = by_seed(outcomes, &d, r, a);
            let _ = write!(line, " {} |", plain(values(&abl)));
            diffs.push(text(summarise(&paired_differences(&full, &abl))));
        }
        let _ = writeln!(line, " {} | {} |", diffs[0], diffs[1]);
        out.push_str(&line);
    }
    out.push_str(
        "\nMean ± sample standard deviation over seeds; the differences are taken seed by seed \
         (the same seed draws the same imbalanced subsample) over the n seeds both cells \
         finished, then averaged. `–`: no finished cell.\n",
    );
    out
}

pub fn csv(grid: &Grid, outcomes: &[Outcome]) -> String {
    let mut out = String::from("dataset,ratio,comparison,n,mean,std\n");
    let num = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v}"));
    for (d, r) in groups(grid, outcomes) {
        let full = by_seed(outcomes, &d, r, FULL);
        for a in ABLATIONS {
            let s = summarise(&paired_differences(&full, &by_seed(outcomes, &d, r, a)));
            let _ = writeln!(
                out,
                "{},{},{FULL} - {a},{},{},{}",
                super::tables::csv_field(&d),
                ratio_label(r),
                s.map_or(0, |s| s.n),
                num(s.map(|s| s.mean)),
                num(s.and_then(|s| s.std)),
            );
        }
    }
    out
}
