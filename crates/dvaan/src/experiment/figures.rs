//! The paper's figures from the finished cells, as SVG charts (and the sample grid as PNG):
//!
//! - Figure 1: PCA of the latent codes of test samples coloured by class, cvae-gan beside dvaan;
//! - Figure 4: the class margin μ against training iterations (dvaan), one chart per dataset;
//! - Figure 5: test ROC-AUC against the imbalance ratio with ±1 std error bars, per dataset;
//! - Figure 6: decoded samples of a dvaan cell (rows from N(+μ1), N(0), N(0), N(−μ1)).

use std::path::Path;

use super::grid::{ratio_label, Grid};
use super::outcome::Metric;
use super::pca::project_2d;
use super::tables::entry;
use super::Outcome;
use crate::io::io_error;
use crate::io::svg::{Chart, Series, Style};
use crate::Result;

/// Figure 5 for one dataset: a line per method, a point per ratio.
pub fn auc_vs_ratio(grid: &Grid, outcomes: &[Outcome], dataset: &str) -> Chart {
    let mut chart = Chart::new(
        &format!("Test ROC-AUC vs imbalance ({dataset})"),
        "imbalance ratio (positives : negatives)",
        "ROC-AUC (mean ± std over seeds)",
    );
    let ratios = grid.ratios();
    chart.log_x = true;
    chart.dodge = 4.0;
    chart.x_ticks = Some(
        ratios
            .iter()
            .map(|&r| (r, format!("1:{}", ratio_label(r))))
            .collect(),
    );
    for (i, m) in grid.methods().iter().enumerate() {
        let mut s = Series::new(m.clone(), i, Style::LineMarkers);
        for &r in &ratios {
            if let Some(sum) = entry(outcomes, Metric::RocAuc, dataset, r, m).summary {
                s.points.push((r, sum.mean));
                s.errors.push(sum.std.unwrap_or(0.0));
            }
        }
        if !s.points.is_empty() {
            chart.series.push(s);
        }
    }
    chart.empty_note = "no finished cells for this dataset".into();
    chart
}

/// Figure 4 for one dataset: μ per logged step of every dvaan cell, coloured by ratio.
pub fn mu_curves(grid: &Grid, outcomes: &[Outcome], dataset: &str) -> Result<Chart> {
    let mut chart = Chart::new(
        &format!("Class margin μ during training ({dataset}, dvaan)"),
        "iteration (global step)",
        "μ",
    );
    chart.empty_note = "no finished dvaan cell for this dataset".into();
    chart.x_integer = true;
    for (i, ratio) in grid.ratios().into_iter().enumerate() {
        let done = outcomes.iter().filter(|o| {
            o.cell.dataset == dataset
                && o.cell.ratio == ratio
                && o.cell.method == "dvaan"
                && o.metrics.is_some()
        });
        for (k, o) in done.enumerate() {
            let name = if k == 0 {
                format!("1:{}", ratio_label(ratio))
            } else {
                String::new()
            };
            let mut s = Series::new(name, i, Style::Line);
            s.points = read_mu(&o.dir.join("history.csv"))?;
            chart.series.push(s);
        }
    }
    Ok(chart)
}

/// (step, μ) from history.csv, thinned to at most 2000 points.
pub fn read_mu(path: &Path) -> Result<Vec<(f64, f64)>> {
    let text = std::fs::read_to_string(path).map_err(io_error(path, "read"))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let (Some(step), Some(mu)) = (col("step"), col("mu")) else {
        return Ok(Vec::new());
    };
    let points: Vec<(f64, f64)> = lines
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Some((f.get(step)?.parse().ok()?, f.get(mu)?.parse().ok()?))
        })
        .collect();
    let k = points.len().div_ceil(2000).max(1);
    Ok(points.into_iter().step_by(k).collect())
}

/// One panel of Figure 1: the codes projected on their first two principal axes.
pub fn latent_panel(title: &str, labels: &[f32], codes: &[f32], d: usize) -> Chart {
    let mut chart = Chart::new(title, "principal component 1", "principal component 2");
    if d == 0 || labels.is_empty() {
        chart.empty_note = "no latent codes".into();
        return chart;
    }
    let xy = project_2d(codes, d);
    for (i, (class, name)) in [(0.0, "negative"), (1.0, "positive (minority)")]
        .iter()
        .enumerate()
    {
        let mut s = Series::new(*name, i, Style::Markers);
        s.points = xy
            .iter()
            .zip(labels)
            .filter(|(_, &l)| l == *class)
            .map(|(p, _)| *p)
            .collect();
        chart.series.push(s);
    }
    chart
}
