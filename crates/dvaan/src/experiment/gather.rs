//! `--from DIR` (repeatable): the report of a grid whose cells ran in several output folders,
//! e.g. the N shards of `--shard K/N` on N machines. Nothing is trained. Each cell of the grid
//! is looked up in every folder (`DIR/cells/<name>/`):
//!
//! - finished in one folder: used from there (figures read its history and checkpoint there);
//! - finished in several: used if their final metrics agree (the same cell run twice on the
//!   same kind of device), an error naming both folders if they differ;
//! - finished nowhere: reported as missing, by name, after the report is written.

use std::path::PathBuf;

use super::cell::{self, CellReport, CellState};
use super::grid::Cell;
use super::outcome::{Outcome, Status};
use super::Plan;
use crate::run::record::MetricsRecord;
use crate::{Error, Result};

/// The outcome of every cell, and the names of the cells no folder has finished.
pub fn gather(plan: &Plan, cells: &[Cell]) -> Result<(Vec<Outcome>, Vec<String>)> {
    for dir in &plan.from {
        if !dir.join("cells").is_dir() {
            return Err(Error::Usage(format!(
                "--from {}: not an experiment folder (it has no cells/ folder)",
                dir.display()
            )));
        }
    }
    let mut outcomes = Vec::new();
    let mut missing = Vec::new();
    for c in cells {
        let name = c.name();
        let Some(kind) = c.method_kind() else {
            outcomes.push(Outcome::new(c.clone(), Status::NotImplemented));
            continue;
        };
        let want = cell::config(c, kind, &plan.settings);
        let mut found: Vec<(PathBuf, CellReport)> = Vec::new();
        let mut diverged = None;
        for from in &plan.from {
            let dir = from.join("cells").join(&name);
            match cell::state(&dir, cell::epochs(c, &plan.settings))? {
                CellState::Done(report) => {
                    cell::check_same_config(&dir, &report, &want)?;
                    found.push((dir, *report));
                }
                CellState::Diverged(why) => {
                    diverged.get_or_insert(why);
                }
                CellState::Resume | CellState::Fresh => {}
            }
        }
        if let Some((first_dir, first)) = found.first() {
            for (dir, other) in &found[1..] {
                check_same_result(&name, (first_dir, first), (dir, other))?;
            }
            outcomes.push(Outcome {
                dir: first_dir.clone(),
                ..super::done(c, first)
            });
        } else if let Some(why) = diverged {
            outcomes.push(Outcome::new(c.clone(), Status::Diverged(why)));
        } else {
            missing.push(name);
            outcomes.push(Outcome::new(c.clone(), Status::NotRun));
        }
    }
    Ok((outcomes, missing))
}

fn check_same_result(
    name: &str,
    (a_dir, a): (&PathBuf, &CellReport),
    (b_dir, b): (&PathBuf, &CellReport),
) -> Result<()> {
    let (ma, mb): (Option<MetricsRecord>, Option<MetricsRecord>) = (
        a.final_metrics.map(Into::into),
        b.final_metrics.map(Into::into),
    );
    let same = match (ma, mb) {
        (Some(x), Some(y)) => same_metrics(&x, &y) && a.epochs.len() == b.epochs.len(),
        _ => false,
    };
    if same {
        return Ok(());
    }
    let auc = |m: Option<MetricsRecord>| m.map_or(f64::NAN, |m| m.roc_auc);
    Err(Error::Usage(format!(
        "cell {name} finished in both {} and {} with different results (ROC-AUC {} and {}, \
         {} and {} epochs); keep the one to report and delete the other folder's copy",
        a_dir.display(),
        b_dir.display(),
        auc(ma),
        auc(mb),
        a.epochs.len(),
        b.epochs.len()
    )))
}

/// Equal metrics, NaN (a method without reconstruction) equal to NaN.
fn same_metrics(a: &MetricsRecord, b: &MetricsRecord) -> bool {
    let eq = |x: f64, y: f64| x == y || (x.is_nan() && y.is_nan());
    eq(a.roc_auc, b.roc_auc)
        && eq(a.pr_auc, b.pr_auc)
        && eq(a.g_mean, b.g_mean)
        && eq(a.f1, b.f1)
        && eq(a.balanced_accuracy, b.balanced_accuracy)
        && eq(a.recon_mse, b.recon_mse)
        && a.threshold_rule == b.threshold_rule
        && eq(a.threshold, b.threshold)
}
