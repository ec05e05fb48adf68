//! The description of a run that travels with it: stored in every checkpoint's metadata (so
//! `eval`, `sample` and `--resume` rebuild the model and the data without flags) and written,
//! with the run's status, as `metrics.json`.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::config::ThresholdRule;
use crate::data::{load_task, split_validation, CsvOptions, DatasetKind, LabelColumn, Task};
use crate::data::{Dataset, Standardiser, TaskSpec};
use crate::io::history::HistoryRow;
use crate::metrics::ImbalancedReport;
use crate::train::{EvalMetrics, TrainConfig};
use crate::Result;

/// Which data the run trains on; the seed is the run's (`config.seed`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskRecord {
    pub dataset: String,
    pub data_dir: PathBuf,
    pub positive_class: Option<u32>,
    pub ratio: f64,
    pub label_column: Option<String>,
    /// Filled in once the data is loaded.
    pub name: String,
    pub sample_shape: Vec<usize>,
    pub train: ClassCounts,
    pub test: ClassCounts,
    /// The validation slice held out of the training data (`--threshold validation`);
    /// `train` counts what is left to train on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<ClassCounts>,
    /// The per-feature mean and std tabular inputs were standardised with (fitted on the
    /// training set), so that new data can be given the same transform. Absent for images
    /// and in checkpoints written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standardiser: Option<Standardiser>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ClassCounts {
    pub samples: usize,
    pub positive: usize,
    pub negative: usize,
}

/// Test-set metrics; G-mean, F1 and balanced accuracy predict positive for a logit above
/// `threshold`, set by `threshold_rule`. `recon_mse` is NaN for methods that do not
/// reconstruct; JSON writes NaN as `null`, read back as NaN. Records written before the rule
/// was recorded read as the fixed rule (logit 0), the only one there was.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct MetricsRecord {
    pub roc_auc: f64,
    pub pr_auc: f64,
    pub g_mean: f64,
    pub f1: f64,
    pub balanced_accuracy: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub recon_mse: f64,
    #[serde(default)]
    pub threshold_rule: ThresholdRule,
    /// The logit threshold of the thresholded metrics.
    #[serde(default)]
    pub threshold: f64,
}

fn nan_if_null<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

impl From<&EvalMetrics> for MetricsRecord {
    fn from(m: &EvalMetrics) -> Self {
        MetricsRecord {
            roc_auc: m.roc_auc,
            pr_auc: m.pr_auc,
            g_mean: m.g_mean,
            f1: m.f1,
            balanced_accuracy: m.balanced_accuracy,
            recon_mse: m.recon_mse,
            threshold_rule: ThresholdRule::Fixed,
            threshold: 0.0,
        }
    }
}

/// Means over the steps of one epoch.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct LossMeans {
    pub l_ele: f64,
    pub l_kl: f64,
    pub l_adv: f64,
    pub l_fea: f64,
}

impl LossMeans {
    pub fn of(rows: &[HistoryRow]) -> LossMeans {
        let n = rows.len().max(1) as f64;
        let sum = |f: fn(&HistoryRow) -> f32| rows.iter().map(|r| f(r) as f64).sum::<f64>() / n;
        LossMeans {
            l_ele: sum(|r| r.l_ele),
            l_kl: sum(|r| r.l_kl),
            l_adv: sum(|r| r.l_adv),
            l_fea: sum(|r| r.l_fea),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EpochRecord {
    /// 1-based.
    pub epoch: usize,
    pub steps: usize,
    /// Size of the support pool D+ at the end of the epoch.
    pub support_pool: usize,
    /// μ at the end of the epoch.
    pub mu: f32,
    pub losses: LossMeans,
    pub test: MetricsRecord,
    /// Per-class precision, recall, specificity, F1, G-mean and IBA on the test split, from
    /// the same scores as `test`. Absent in checkpoints written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_per_class: Option<ImbalancedReport>,
    pub samples_per_sec: f64,
    pub wall_s: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    pub config: TrainConfig,
    pub task: TaskRecord,
    pub epochs: Vec<EpochRecord>,
    /// Rows of history.csv that belong to the epochs above.
    pub history_rows: usize,
    /// Training time so far, summed over resumed sessions.
    pub wall_time_s: f64,
}

impl TaskRecord {
    pub fn spec(&self, seed: u64, data_dir: Option<&Path>) -> Result<TaskSpec> {
        Ok(TaskSpec {
            dataset: DatasetKind::from_str(&self.dataset)?,
            data_dir: data_dir.map_or_else(|| self.data_dir.clone(), Path::to_path_buf),
            positive_class: self.positive_class,
            ratio: self.ratio,
            seed,
            csv: CsvOptions {
                label: self
                    .label_column
                    .clone()
                    .map_or(LabelColumn::Last, LabelColumn::Name),
                header: None,
            },
        })
    }

    /// Loads the task of a run with `config` (its seed, and the validation slice its
    /// threshold rule holds out); `data_dir` overrides the recorded folder.
    pub fn load(&mut self, config: &TrainConfig, data_dir: Option<&Path>) -> Result<LoadedTask> {
        let mut task = load_task(&self.spec(config.seed, data_dir)?)?;
        let validation = match config.threshold {
            ThresholdRule::Fixed => None,
            ThresholdRule::Validation => {
                let (train, held) =
                    split_validation(&task.train, config.validation_fraction, config.seed)?;
                task.train = train;
                Some(held)
            }
        };
        let counts = |d: &Dataset| ClassCounts {
            samples: d.len(),
            positive: d.n_pos,
            negative: d.n_neg,
        };
        self.name = task.name.clone();
        self.sample_shape = task.train.shape.clone();
        self.train = counts(&task.train);
        self.test = counts(&task.test);
        self.validation = validation.as_ref().map(counts);
        self.standardiser = task.standardiser.clone();
        Ok(LoadedTask { task, validation })
    }
}

/// A run's data: the task (its training set without the validation slice) and the slice.
#[derive(Debug, Clone)]
pub struct LoadedTask {
    pub task: Task,
    pub validation: Option<Dataset>,
}

/// `metrics.json`: the run record plus where it stands and what ran it.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    /// `running`, `completed`, or `stopped: <why>`.
    pub status: &'a str,
    pub adapter: &'a str,
    pub seed: u64,
    /// The last epoch's test metrics.
    #[serde(rename = "final")]
    pub final_metrics: Option<&'a MetricsRecord>,
    /// The last epoch's per-class report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_per_class: Option<&'a ImbalancedReport>,
    #[serde(flatten)]
    pub run: &'a RunRecord,
}
