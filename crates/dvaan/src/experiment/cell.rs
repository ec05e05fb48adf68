//! One cell of the grid = one `dvaan train` run in `OUT/cells/<name>/`, driven through the
//! same code (`crate::run::train`) with the run the command line would describe. Whether a
//! cell needs work is read from its own files:
//!
//! - metrics.json says `completed` with at least the wanted epochs: done, not re-run;
//! - a checkpoint exists (interrupted, or fewer epochs than now wanted): `train --resume`,
//!   which continues from the last finished epoch and equals an uninterrupted run;
//! - `diverged.txt` exists (written here when a loss became NaN/Inf): not retried, since the
//!   same seed repeats the same steps — delete the file or the folder to force a retry;
//! - otherwise: a fresh run (`--force` clears the run files of an interrupted first epoch).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use dvaan_tensor::GpuOptions;
use serde::Deserialize;

use super::grid::Cell;
use super::preset::CellSettings;
use crate::config::{MethodKind, ThresholdRule, TrainConfig};
use crate::data::DatasetKind;
use crate::io::atomic::write_atomic;
use crate::io::io_error;
use crate::run::dir::{CHECKPOINT, METRICS};
use crate::run::record::MetricsRecord;
use crate::run::train::{train, Start, TrainRun};
use crate::{Error, Result};

pub const DIVERGED: &str = "diverged.txt";

/// The parts of metrics.json (as `dvaan train` writes it) the experiment reads. Metrics are
/// read leniently: a method without a reconstruction has `recon_mse` NaN, written as `null`.
#[derive(Debug, Clone, Deserialize)]
pub struct CellReport {
    pub status: String,
    #[serde(rename = "final")]
    pub final_metrics: Option<Reported>,
    pub config: TrainConfig,
    pub epochs: Vec<ReportedEpoch>,
    pub wall_time_s: f64,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct ReportedEpoch {
    pub mu: Option<f32>,
}

/// `MetricsRecord` with `null` read as NaN.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Reported {
    #[serde(deserialize_with = "nan_if_null")]
    roc_auc: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pr_auc: f64,
    #[serde(deserialize_with = "nan_if_null")]
    g_mean: f64,
    #[serde(deserialize_with = "nan_if_null")]
    f1: f64,
    #[serde(deserialize_with = "nan_if_null")]
    balanced_accuracy: f64,
    #[serde(deserialize_with = "nan_if_null")]
    recon_mse: f64,
    #[serde(default)]
    threshold_rule: ThresholdRule,
    #[serde(default)]
    threshold: f64,
}

fn nan_if_null<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

impl From<Reported> for MetricsRecord {
    fn from(r: Reported) -> MetricsRecord {
        MetricsRecord {
            roc_auc: r.roc_auc,
            pr_auc: r.pr_auc,
            g_mean: r.g_mean,
            f1: r.f1,
            balanced_accuracy: r.balanced_accuracy,
            recon_mse: r.recon_mse,
            threshold_rule: r.threshold_rule,
            threshold: r.threshold,
        }
    }
}

#[derive(Debug)]
pub enum CellState {
    Done(Box<CellReport>),
    Resume,
    Diverged(String),
    Fresh,
}

pub fn read_report(dir: &Path) -> Result<Option<CellReport>> {
    let path = dir.join(METRICS);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(&path, "read")(e).into()),
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        Error::Usage(format!(
            "{}: not a metrics.json written by `dvaan train` ({e}); delete the cell folder to \
             re-run it",
            path.display()
        ))
    })
}

pub fn state(dir: &Path, epochs: usize) -> Result<CellState> {
    if let Ok(why) = std::fs::read_to_string(dir.join(DIVERGED)) {
        return Ok(CellState::Diverged(why.trim().to_string()));
    }
    let report = read_report(dir)?;
    if let Some(r) = report {
        if r.status == "completed" && r.final_metrics.is_some() && r.epochs.len() >= epochs {
            return Ok(CellState::Done(Box::new(r)));
        }
    }
    if dir.join(CHECKPOINT).is_file() {
        Ok(CellState::Resume)
    } else {
        Ok(CellState::Fresh)
    }
}

/// The epochs a cell trains for: its block's, else the experiment's.
pub fn epochs(cell: &Cell, s: &CellSettings) -> usize {
    cell.epochs.unwrap_or(s.epochs)
}

/// The configuration a cell trains with: the defaults, with the cell's method and seed and
/// the settings the preset or the flags give.
pub fn config(cell: &Cell, kind: MethodKind, s: &CellSettings) -> TrainConfig {
    let d = TrainConfig::default();
    TrainConfig {
        method: kind,
        epochs: epochs(cell, s),
        seed: cell.seed,
        batch: s.batch.unwrap_or(d.batch),
        latent: s.latent.unwrap_or(d.latent),
        lr: s.lr.unwrap_or(d.lr),
        log_every: s.log_every.unwrap_or(d.log_every),
        aug_every: s.aug_every.unwrap_or(d.aug_every),
        aug_n: s.aug_n.unwrap_or(d.aug_n),
        threshold: s.threshold.unwrap_or(d.threshold),
        validation_fraction: s.validation_fraction.unwrap_or(d.validation_fraction),
        ..d
    }
}

/// Refuses to reuse a cell trained with other settings (the folder name does not hold them).
pub fn check_same_config(dir: &Path, report: &CellReport, want: &TrainConfig) -> Result<()> {
    let mut have = report.config.clone();
    have.epochs = want.epochs;
    if &have != want {
        return Err(Error::Usage(format!(
            "{} was trained with other settings than this experiment asks for\n  recorded: \
             {:?}\n  wanted:   {:?}\nfix: use another --out, or delete that folder",
            dir.display(),
            have,
            want
        )));
    }
    Ok(())
}

pub struct CellRun<'a> {
    pub cell: &'a Cell,
    pub kind: MethodKind,
    pub dir: PathBuf,
    pub settings: &'a CellSettings,
    pub data_dir: &'a Path,
    pub gpu: &'a GpuOptions,
    pub quiet: bool,
}

impl CellRun<'_> {
    /// Trains the cell from scratch or from its checkpoint.
    pub fn run(&self, resume: bool) -> Result<()> {
        let run = if resume {
            self.resume_run()
        } else {
            self.fresh_run()?
        };
        let result = train(&run);
        if let Err(e @ Error::NonFinite { .. }) = &result {
            write_atomic(&self.dir.join(DIVERGED), format!("{e}\n").as_bytes())?;
        }
        result
    }

    fn fresh_run(&self) -> Result<TrainRun> {
        let (dataset, positive_class) = self.cell.task();
        Ok(self.train_run(Start::New {
            dataset: DatasetKind::from_str(&dataset)?,
            ratio: self.cell.ratio,
            positive_class,
            label_column: None,
            config: config(self.cell, self.kind, self.settings),
            out: self.dir.clone(),
            force: true,
        }))
    }

    fn resume_run(&self) -> TrainRun {
        self.train_run(Start::Resume {
            dir: self.dir.clone(),
            epochs: Some(epochs(self.cell, self.settings)),
        })
    }

    fn train_run(&self, start: Start) -> TrainRun {
        TrainRun {
            start,
            data_dir: Some(self.data_dir.to_path_buf()),
            quiet: self.quiet,
            gpu: self.gpu.clone(),
            inject_nan_at_epoch: None,
        }
    }
}
