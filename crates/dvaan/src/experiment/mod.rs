//! `dvaan experiment`: the runs behind the paper's tables and figures. A grid of methods ×
//! datasets × imbalance ratios × seeds is trained cell by cell, each cell an ordinary
//! `dvaan train` run in `OUT/cells/<dataset>-r<R>-<method>-s<seed>/`; then the tables and
//! figures are written from whatever cells have finished (`report`). Re-running continues
//! where it stopped: finished cells are kept, interrupted ones resume from their checkpoint.
//!
//! A grid can be spread over machines: `--shard K/N` runs only the cells at positions
//! `i ≡ K − 1 (mod N)` of the canonical order (`shard.rs`), each shard into its own folder,
//! and `--from DIR` (repeated) writes the report of the whole grid from those folders
//! (`gather.rs`), the same report one unsharded run would write.
//!
//! ```text
//! OUT/experiment.json     the grid and settings of the last run
//! OUT/cells/…/            metrics.json, history.csv, curves.svg, checkpoint, samples.png|svg (+ latent.csv)
//! OUT/runs.csv            one row per cell: status and final metrics
//! OUT/tables/*.md|csv     ROC-AUC (Table 1), PR-AUC, G-mean, reconstruction MSE (Table 3),
//!                         dvaan against dvaan-a and dvaan-mu (ablation.*) when the grid has them
//! OUT/figures/*.svg|png   Figures 1, 4, 5, 6 analogues
//! OUT/README.md           an index of the above with notes on skipped or failed cells
//! ```

pub mod ablation;
mod cell;
pub mod figures;
mod gather;
pub mod grid;
mod latent;
pub mod outcome;
pub mod paper;
pub mod pca;
pub mod preset;
mod report;
pub mod shard;
mod synthetic;
pub mod tables;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use dvaan_tensor::GpuOptions;
use serde::Serialize;

pub use cell::CellReport;
pub use grid::{Block, Cell, Grid, ALL_METHODS};
pub use outcome::{Metric, Outcome, Status};
pub use preset::{CellSettings, Preset};
pub use shard::Shard;

pub use self::cell::epochs as cell_epochs;
use self::cell::{CellRun, CellState};
use crate::data::DatasetKind;
use crate::io::io_error;
use crate::{Error, Result};

/// Everything one `dvaan experiment` invocation does.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub out: PathBuf,
    pub grid: Grid,
    pub settings: CellSettings,
    /// Where the datasets are read from (ignored with `synthetic_data`).
    pub data_dir: PathBuf,
    /// Generate the smoke preset's tiny data into OUT/data.
    pub synthetic_data: bool,
    #[serde(skip)]
    pub gpu: GpuOptions,
    /// Show each cell's own progress output.
    pub verbose: bool,
    /// Train nothing; rebuild tables and figures from the cells already finished.
    pub report_only: bool,
    /// Run only this share of the cells.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// Train nothing; report the grid from the cells finished in these output folders.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub from: Vec<PathBuf>,
}

impl Plan {
    pub fn cells_dir(&self) -> PathBuf {
        self.out.join("cells")
    }
}

/// Runs the grid and writes the tables and figures; returns the outcome of every cell. Cells
/// that fail are reported and the others still run; the call then returns an error naming them.
pub fn run(plan: &Plan) -> Result<Vec<Outcome>> {
    plan.grid.check().map_err(Error::Usage)?;
    if plan.settings.epochs == 0 {
        return Err(Error::Usage("--epochs must be at least 1".into()));
    }
    let cells_dir = plan.cells_dir();
    std::fs::create_dir_all(&cells_dir).map_err(io_error(&cells_dir, "create"))?;
    let data_dir = if plan.synthetic_data {
        synthetic::write_smoke_data(&plan.out.join("data"))?
    } else {
        plan.data_dir.clone()
    };
    if plan.shard.is_some() && !plan.from.is_empty() {
        return Err(Error::Usage(
            "--shard runs a share of the cells and --from reports cells run elsewhere; give \
             one of them"
                .into(),
        ));
    }
    let mut cells = plan.grid.cells();
    if let Some(shard) = plan.shard {
        cells = shard.select(&cells);
    }
    if !plan.report_only && plan.from.is_empty() {
        check_data(&cells, &data_dir)?;
    }
    let json = serde_json::to_string_pretty(plan).expect("the plan serialises");
    crate::io::atomic::write_atomic(&plan.out.join("experiment.json"), json.as_bytes())?;
    if !plan.from.is_empty() {
        return report_gathered(plan, &cells, &data_dir);
    }

    let start = Instant::now();
    let mut outcomes = Vec::new();
    for (i, cell) in cells.iter().enumerate() {
        let o = run_cell(
            plan,
            cell,
            &data_dir,
            &format!("[{}/{}]", i + 1, cells.len()),
        )?;
        outcomes.push(o);
    }
    report::write_all(plan, &data_dir, &outcomes)?;
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| matches!(o.status, Status::Failed(_)))
        .map(|o| o.cell.name())
        .collect();
    println!(
        "experiment: {} cells in {:.0} s; tables in {}, figures in {}, index {}",
        outcomes.len(),
        start.elapsed().as_secs_f64(),
        plan.out.join("tables").display(),
        plan.out.join("figures").display(),
        plan.out.join("README.md").display()
    );
    if !failed.is_empty() {
        return Err(Error::Usage(format!(
            "{} cell(s) failed: {} (see {}; run the same command again to retry them)",
            failed.len(),
            failed.join(", "),
            plan.out.join("README.md").display()
        )));
    }
    Ok(outcomes)
}

/// Every dataset that some implemented method will train on must be readable, before hours
/// of training start and fail halfway.
fn check_data(cells: &[Cell], data_dir: &Path) -> Result<()> {
    let mut seen = Vec::new();
    for c in cells.iter().filter(|c| c.method_kind().is_some()) {
        let (name, _) = c.task();
        if !seen.contains(&name) {
            DatasetKind::from_str(&name)?.locate(data_dir)?;
            seen.push(name);
        }
    }
    Ok(())
}

fn run_cell(plan: &Plan, cell: &Cell, data_dir: &Path, tag: &str) -> Result<Outcome> {
    let name = cell.name();
    let Some(kind) = cell.method_kind() else {
        println!(
            "{tag} {name}: skipped, method `{}` is not implemented in this build",
            cell.method
        );
        return Ok(Outcome::new(cell.clone(), Status::NotImplemented));
    };
    let dir = plan.cells_dir().join(&name);
    let outcome = |o: Outcome| Outcome {
        dir: dir.clone(),
        ..o
    };
    let want = cell::config(cell, kind, &plan.settings);
    let state = match cell::state(&dir, cell::epochs(cell, &plan.settings)) {
        Ok(s) => s,
        Err(e) => return Ok(failed(tag, &name, cell, e.to_string())),
    };
    let resume = match state {
        CellState::Done(report) => {
            cell::check_same_config(&dir, &report, &want)?;
            println!("{tag} {name}: done already, kept");
            return Ok(outcome(done(cell, &report)));
        }
        CellState::Diverged(why) => {
            println!("{tag} {name}: diverged earlier, not retried ({why})");
            return Ok(Outcome::new(cell.clone(), Status::Diverged(why)));
        }
        _ if plan.report_only => {
            println!("{tag} {name}: not finished (report only)");
            return Ok(Outcome::new(cell.clone(), Status::NotRun));
        }
        CellState::Resume => true,
        CellState::Fresh => false,
    };
    if resume {
        if let Ok(Some(report)) = cell::read_report(&dir) {
            cell::check_same_config(&dir, &report, &want)?;
        }
    }
    println!(
        "{tag} {name}: {}",
        if resume { "resuming" } else { "training" }
    );
    let started = Instant::now();
    let run = CellRun {
        cell,
        kind,
        dir: dir.clone(),
        settings: &plan.settings,
        data_dir,
        gpu: &plan.gpu,
        quiet: !plan.verbose,
    };
    let result = run.run(resume);
    let secs = started.elapsed().as_secs_f64();
    match result {
        Ok(()) => match cell::state(&dir, cell::epochs(cell, &plan.settings)) {
            Ok(CellState::Done(report)) => {
                let o = outcome(done(cell, &report));
                let auc = o.metrics.map_or(f64::NAN, |m| m.roc_auc);
                println!("{tag} {name}: finished in {secs:.0} s, test ROC-AUC {auc:.4}");
                Ok(o)
            }
            Ok(other) => Ok(failed(
                tag,
                &name,
                cell,
                format!("finished, but its files say {other:?}"),
            )),
            Err(e) => Ok(failed(tag, &name, cell, e.to_string())),
        },
        Err(e @ Error::NonFinite { .. }) => {
            println!("{tag} {name}: diverged after {secs:.0} s: {e}");
            Ok(Outcome::new(cell.clone(), Status::Diverged(e.to_string())))
        }
        Err(e) => Ok(failed(tag, &name, cell, e.to_string())),
    }
}

/// The report of cells run in other folders (`--from`); an error naming the cells no folder
/// has finished, once the report is written.
fn report_gathered(plan: &Plan, cells: &[Cell], data_dir: &Path) -> Result<Vec<Outcome>> {
    let (outcomes, missing) = gather::gather(plan, cells)?;
    report::write_all(plan, data_dir, &outcomes)?;
    println!(
        "experiment: {} cells gathered from {} folders; index {}",
        outcomes.len() - missing.len(),
        plan.from.len(),
        plan.out.join("README.md").display()
    );
    if !missing.is_empty() {
        return Err(Error::Usage(format!(
            "the report is written, but {} cell(s) of the grid are finished in none of the \
             --from folders: {}",
            missing.len(),
            missing.join(", ")
        )));
    }
    Ok(outcomes)
}

fn failed(tag: &str, name: &str, cell: &Cell, why: String) -> Outcome {
    eprintln!("{tag} {name}: failed: {why}");
    Outcome::new(cell.clone(), Status::Failed(why))
}

/// The outcome of a finished cell; the caller says where its folder is.
fn done(cell: &Cell, report: &CellReport) -> Outcome {
    Outcome {
        cell: cell.clone(),
        status: Status::Done,
        metrics: report.final_metrics.map(Into::into),
        mu: report.epochs.last().and_then(|e| e.mu),
        epochs: report.epochs.len(),
        wall_s: report.wall_time_s,
        dir: PathBuf::new(),
    }
}
