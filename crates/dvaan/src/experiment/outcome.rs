//! What became of each cell, and the numbers the tables and figures are built from. Tables
//! and figures read only these, so they can be tested on made-up outcomes.

use std::path::PathBuf;

use crate::run::record::MetricsRecord;

use super::grid::Cell;

#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// Finished: metrics.json holds the final test metrics.
    Done,
    /// The method is a known row of the tables that this build does not implement yet.
    NotImplemented,
    /// A loss became NaN/Inf; re-running repeats the same steps, so it is not retried.
    Diverged(String),
    /// The run stopped with another error this time (retried on the next run).
    Failed(String),
    /// Not run (e.g. `--report-only` before the cell was trained).
    NotRun,
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub cell: Cell,
    pub status: Status,
    /// The last epoch's test metrics, for `Done` cells.
    pub metrics: Option<MetricsRecord>,
    /// μ at the end of the run.
    pub mu: Option<f32>,
    pub epochs: usize,
    pub wall_s: f64,
    /// The cell's folder (for finished cells; it may lie in another experiment's folder).
    pub dir: PathBuf,
}

impl Outcome {
    pub fn new(cell: Cell, status: Status) -> Outcome {
        Outcome {
            cell,
            status,
            metrics: None,
            mu: None,
            epochs: 0,
            wall_s: 0.0,
            dir: PathBuf::new(),
        }
    }
}

/// The metrics the tables report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    RocAuc,
    PrAuc,
    GMean,
    ReconMse,
}

impl Metric {
    pub const ALL: [Metric; 4] = [
        Metric::RocAuc,
        Metric::PrAuc,
        Metric::GMean,
        Metric::ReconMse,
    ];

    /// File stem and CSV column value.
    pub fn key(self) -> &'static str {
        match self {
            Metric::RocAuc => "roc_auc",
            Metric::PrAuc => "pr_auc",
            Metric::GMean => "g_mean",
            Metric::ReconMse => "recon_mse",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Metric::RocAuc => "Tables 1 and 2 analogue: test ROC-AUC",
            Metric::PrAuc => "Test PR-AUC (average precision)",
            Metric::GMean => "Test G-mean",
            Metric::ReconMse => {
                "Table 3 analogue: reconstruction MSE per value (posterior mean decoded)"
            }
        }
    }

    /// True for the metrics that depend on the decision threshold.
    pub fn thresholded(self) -> bool {
        self == Metric::GMean
    }

    pub fn value(self, m: &MetricsRecord) -> f64 {
        match self {
            Metric::RocAuc => m.roc_auc,
            Metric::PrAuc => m.pr_auc,
            Metric::GMean => m.g_mean,
            Metric::ReconMse => m.recon_mse,
        }
    }
}

/// Mean and sample standard deviation (n − 1 in the denominator) over seeds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    /// `None` for a single value.
    pub std: Option<f64>,
}

pub fn summarise(values: &[f64]) -> Option<Summary> {
    let v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    let n = v.len();
    let mean = v.iter().sum::<f64>() / n as f64;
    let std = (n > 1)
        .then(|| (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64).sqrt());
    Some(Summary { n, mean, std })
}

/// The outcomes of one (dataset, ratio, method) group, over seeds.
pub fn group<'a>(
    outcomes: &'a [Outcome],
    dataset: &str,
    ratio: f64,
    method: &str,
) -> Vec<&'a Outcome> {
    outcomes
        .iter()
        .filter(|o| o.cell.dataset == dataset && o.cell.ratio == ratio && o.cell.method == method)
        .collect()
}
