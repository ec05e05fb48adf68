//! Training a run into its folder, epoch by epoch. After every epoch it evaluates on the test
//! split and writes: the checkpoint (atomically), `metrics.json`, `history.csv` (rows appended
//! as they are read back), `curves.svg` (atomically), `samples.png` and `samples.svg`. A resumed run continues from the last checkpoint;
//! because every random stream is derived from (seed, epoch, step), the continued run equals
//! an uninterrupted one.
//!
//! While it runs, the process holds the folder's lock ([`super::lock`]), so a second `train`
//! on the same folder is refused. A checkpoint that cannot be written stops training with a
//! message naming the folder, the error and the free space; the previous checkpoint stays.
//! A panic of the GPU engine becomes an error naming the batch size and adapter
//! ([`super::engine_guard`]).
//!
//! This is what `dvaan train` runs and what the experiment runs for each cell; both describe
//! the run with the plain [`TrainRun`].

use std::path::{Path, PathBuf};
use std::time::Instant;

use dvaan_tensor::{Gpu, GpuOptions};

use super::curves::curves_svg;
use super::dir::{RunDir, CHECKPOINT, CURVES, HISTORY, METRICS, SAMPLES};
use super::engine_guard::{guard, EngineContext};
use super::lock::RunLock;
use super::record::{EpochRecord, LossMeans, Report, RunRecord, TaskRecord};
use super::restore::restore;
use super::table::{print_metrics, print_per_class};
use super::test_metrics::evaluate_test;
use crate::config::TrainConfig;
use crate::data::{DataError, Dataset, DatasetKind, Task};
use crate::io::atomic::{temp_path, write_atomic};
use crate::io::checkpoint;
use crate::io::disk::free_space;
use crate::io::grid::write_grid;
use crate::io::history::{History, HistoryRow};
use crate::io::progress::EpochProgress;
use crate::io::OutputError;
use crate::train::{StepLog, Trainer};
use crate::{Error, Result};

/// Images per row of the sample grid written after every epoch.
pub const GRID_PER_ROW: usize = 8;

/// Where the training of a run starts.
#[derive(Debug, Clone)]
pub enum Start {
    /// A new run of `config` on the task (`dataset`, `ratio`, `positive_class`,
    /// `label_column`), written into `out`; `force` replaces the run files already there.
    New {
        dataset: DatasetKind,
        ratio: f64,
        positive_class: Option<u32>,
        label_column: Option<String>,
        config: TrainConfig,
        out: PathBuf,
        force: bool,
    },
    /// The run in `dir`, continued from its last checkpoint with the configuration stored
    /// there; `epochs` raises its total.
    Resume { dir: PathBuf, epochs: Option<usize> },
}

/// One training run, as plain values.
#[derive(Debug, Clone)]
pub struct TrainRun {
    pub start: Start,
    /// The root data folder: of a new run (default `data`); on resume it overrides the
    /// recorded one.
    pub data_dir: Option<PathBuf>,
    /// No progress bar or summaries; errors only.
    pub quiet: bool,
    pub gpu: GpuOptions,
    /// Test hook: report a NaN loss at the end of this epoch, as if training had diverged.
    pub inject_nan_at_epoch: Option<usize>,
}

/// Values that parse but cannot train, named as the command line's flags.
pub fn check_config(c: &TrainConfig) -> std::result::Result<(), String> {
    if c.epochs == 0 {
        return Err("--epochs must be at least 1".into());
    }
    c.check()
}

/// Test hook (environment variable, an epoch number): make writing that epoch's checkpoint
/// fail.
const FAIL_CHECKPOINT_AT: &str = "DVAAN_TEST_FAIL_CHECKPOINT_AT_EPOCH";
/// Test hook (environment variable, an epoch number): make the engine panic in that epoch,
/// as on a failed GPU allocation.
const ENGINE_PANIC_AT: &str = "DVAAN_TEST_ENGINE_PANIC_AT_EPOCH";

fn hook_at(var: &str, epoch: usize) -> bool {
    std::env::var(var).is_ok_and(|v| v.trim().parse() == Ok(epoch))
}

/// Everything the epoch loop works on.
struct Session {
    dir: RunDir,
    record: RunRecord,
    task: Task,
    /// The validation slice of `--threshold validation`, held out of `task.train`.
    validation: Option<Dataset>,
    trainer: Trainer,
    history: History,
    adapter: String,
    /// Removed from the folder when the session ends, however it ends.
    _lock: RunLock,
}

/// Trains `run` to its configured number of epochs.
pub fn train(run: &TrainRun) -> Result<()> {
    guard("training", |context| train_guarded(run, context))
}

fn train_guarded(run: &TrainRun, context: &EngineContext) -> Result<()> {
    if let Start::New { config, .. } = &run.start {
        context.set_batch(config.batch);
    }
    let mut s = match &run.start {
        Start::New { .. } => start(run)?,
        Start::Resume { dir, epochs } => resume(run, dir, *epochs)?,
    };
    context.set_batch(s.record.config.batch);
    context.set_adapter(&s.adapter);
    let quiet = run.quiet;
    if !quiet {
        println!(
            "{} | 1:{} | {} | seed {} | {} samples ({} positive) | {}",
            s.record.task.name,
            s.record.task.ratio,
            s.record.config.method,
            s.record.config.seed,
            s.record.task.train.samples,
            s.record.task.train.positive,
            s.adapter
        );
    }
    write_report(&s, "running")?;
    while s.trainer.epochs_done() < s.record.config.epochs {
        if let Err(e) = train_one_epoch(&mut s, run) {
            let last = s.record.epochs.len();
            let why = format!("stopped: {e}");
            // A report that cannot be written (the disk that refused the checkpoint) must not
            // hide the error that stopped the run.
            if let Err(report) = write_report(&s, &why) {
                eprintln!("warning: {report}");
            }
            if matches!(e, Error::NonFinite { .. }) {
                let kept = if last == 0 {
                    "no checkpoint was written (the first epoch did not finish)".to_string()
                } else {
                    format!(
                        "{} still holds the last good state (epoch {last})",
                        s.dir.file(CHECKPOINT).display()
                    )
                };
                eprintln!(
                    "training stopped in epoch {}: a loss is not finite; {kept}.\nfix: the \
                     run diverged; start a new run with a lower --lr (resuming repeats the \
                     same steps, and so the same divergence)",
                    last + 1
                );
            }
            return Err(e);
        }
    }
    write_report(&s, "completed")?;
    if !quiet {
        if let Some(last) = s.record.epochs.last() {
            print_metrics(
                &format!(
                    "test metrics after {} epochs ({:.0} s of training):",
                    last.epoch, s.record.wall_time_s
                ),
                &last.test,
            );
            if let Some(per_class) = &last.test_per_class {
                print_per_class(
                    &format!(
                        "per class (logit > {}, threshold rule {}):",
                        last.test.threshold, last.test.threshold_rule
                    ),
                    per_class,
                );
            }
        }
        println!("run folder: {}", s.dir.0.display());
        if s.dir.file(SAMPLES).exists() {
            println!("sample grid: {}", s.dir.file(SAMPLES).display());
        }
    }
    Ok(())
}

fn start(run: &TrainRun) -> Result<Session> {
    let Start::New {
        dataset,
        ratio,
        positive_class,
        label_column,
        config,
        out,
        force,
    } = &run.start
    else {
        unreachable!("start() is called for new runs only")
    };
    let config = config.clone();
    check_config(&config).map_err(Error::Usage)?;
    RunDir::check_new(out, *force)?;
    let mut task_record = TaskRecord {
        dataset: dataset.to_string(),
        data_dir: run.data_dir.clone().unwrap_or_else(|| "data".into()),
        positive_class: *positive_class,
        ratio: *ratio,
        label_column: label_column.clone(),
        name: String::new(),
        sample_shape: Vec::new(),
        train: Default::default(),
        test: Default::default(),
        validation: None,
        standardiser: None,
    };
    // Check data and flags before touching the output folder or the GPU.
    let loaded = task_record.load(&config, None)?;
    let task = loaded.task;
    check_batch(&config, &task)?;
    let gpu = Gpu::with_options(&run.gpu)?;
    let trainer = Trainer::new(&gpu, config.clone(), task.train.clone())?;
    std::fs::create_dir_all(out).map_err(crate::io::io_error(out, "create"))?;
    let lock = RunLock::acquire(out)?;
    let dir = RunDir::create(out, *force)?;
    let history = History::create(&dir.file(HISTORY))?;
    Ok(Session {
        dir,
        record: RunRecord {
            config,
            task: task_record,
            epochs: Vec::new(),
            history_rows: 0,
            wall_time_s: 0.0,
        },
        task,
        validation: loaded.validation,
        trainer,
        history,
        adapter: gpu.summary().to_string(),
        _lock: lock,
    })
}

fn resume(run: &TrainRun, dir: &Path, epochs: Option<usize>) -> Result<Session> {
    let dir = RunDir::existing(dir)?;
    let lock = RunLock::acquire(&dir.0)?;
    let r = restore(&dir.file(CHECKPOINT), run.data_dir.as_deref(), &run.gpu)?;
    let mut record = r.record;
    if let Some(data_dir) = &run.data_dir {
        record.task.data_dir = data_dir.clone();
    }
    if let Some(epochs) = epochs {
        record.config.epochs = epochs;
    }
    check_config(&record.config).map_err(Error::Usage)?;
    let (history, kept) = History::resume(&dir.file(HISTORY), record.history_rows)?;
    if kept < record.history_rows {
        eprintln!(
            "warning: {} holds {kept} of the {} rows logged before the checkpoint; new rows \
             are appended after them",
            dir.file(HISTORY).display(),
            record.history_rows
        );
        record.history_rows = kept;
    }
    if !run.quiet {
        println!(
            "resuming {} after epoch {} of {}",
            dir.0.display(),
            r.trainer.epochs_done(),
            record.config.epochs
        );
    }
    Ok(Session {
        adapter: r.gpu.summary().to_string(),
        dir,
        record,
        task: r.task,
        validation: r.validation,
        trainer: r.trainer,
        history,
        _lock: lock,
    })
}

fn check_batch(config: &TrainConfig, task: &Task) -> Result<()> {
    if config.batch > task.train.len() {
        return Err(DataError::BatchSize {
            batch: config.batch,
            n: task.train.len(),
        }
        .into());
    }
    Ok(())
}

fn row(s: &StepLog) -> HistoryRow {
    HistoryRow {
        epoch: s.epoch,
        step: s.step,
        l_ele: s.l_ele,
        l_kl: s.l_kl,
        l_adv: s.l_adv,
        l_fea: s.l_fea,
        mu: s.mu,
    }
}

fn train_one_epoch(s: &mut Session, run: &TrainRun) -> Result<()> {
    let start = Instant::now();
    let epoch = s.trainer.epochs_done() + 1;
    let batch = s.record.config.batch;
    let expected = (s.task.train.len() + s.trainer.pool_size()) / batch;
    let (finished, base) = (s.trainer.finished_steps(), s.trainer.global_step());
    let progress = EpochProgress::new(
        epoch,
        s.record.config.epochs,
        expected,
        batch,
        run.quiet,
        move || finished.get().saturating_sub(base),
    );
    let mut rows: Vec<HistoryRow> = Vec::new();
    let mut write_error = None;
    let history = &mut s.history;
    let result = s.trainer.train_epoch(&mut |logs: &[StepLog]| {
        let new: Vec<HistoryRow> = logs.iter().map(row).collect();
        if let Err(e) = history.append(&new) {
            write_error.get_or_insert(e);
        }
        rows.extend_from_slice(&new);
        if let Some(last) = rows.last() {
            progress.update(rows.len(), last);
        }
    });
    let samples_per_sec = progress.samples_per_sec(rows.len());
    progress.finish();
    s.history.flush()?;
    if let Some(e) = write_error {
        return Err(e.into());
    }
    let stats = result?;
    if hook_at(ENGINE_PANIC_AT, epoch) {
        panic!("wgpu error: Out of Memory (injected by {ENGINE_PANIC_AT})");
    }
    if run.inject_nan_at_epoch == Some(epoch) {
        return Err(Error::NonFinite {
            step: rows.last().map_or(0, |r| r.step),
            what: "L_adv (injected by --inject-nan-at-epoch)".into(),
            value: f32::NAN,
        });
    }
    let (test, per_class) = evaluate_test(&s.trainer, &s.task.test, s.validation.as_ref())?;
    let mu = s.trainer.mu();
    let elapsed = start.elapsed().as_secs_f64();
    let before = (s.record.wall_time_s, s.record.history_rows);
    s.record.wall_time_s += elapsed;
    s.record.history_rows = s.history.rows();
    s.record.epochs.push(EpochRecord {
        epoch,
        steps: stats.steps,
        support_pool: stats.pool_size,
        mu,
        losses: LossMeans::of(&rows),
        test,
        test_per_class: Some(per_class),
        samples_per_sec,
        wall_s: elapsed,
    });
    let path = s.dir.file(CHECKPOINT);
    // The test hook puts a folder where the writer's temporary file goes, so the real write
    // path fails (as it would on a full disk) even for root, whom permissions do not stop.
    let blocker = temp_path(&path);
    let inject = hook_at(FAIL_CHECKPOINT_AT, epoch);
    if inject {
        std::fs::create_dir(&blocker).map_err(crate::io::io_error(&blocker, "create"))?;
    }
    let saved = checkpoint::save(&path, &s.record, &s.trainer.state());
    if inject {
        let _ = std::fs::remove_dir(&blocker);
    }
    if let Err(cause) = saved {
        // The record goes back to what the kept checkpoint holds, so metrics.json agrees.
        s.record.epochs.pop();
        (s.record.wall_time_s, s.record.history_rows) = before;
        return Err(OutputError::CheckpointNotWritten {
            dir: s.dir.0.clone(),
            epoch,
            cause: Box::new(cause),
            free_bytes: free_space(&s.dir.0),
        }
        .into());
    }
    if s.record.task.sample_shape.len() == 3 && s.trainer.can_sample() {
        let (images, chw) = s.trainer.sample_grid(GRID_PER_ROW, s.record.config.seed)?;
        let labels = s.record.config.method.grid_row_labels();
        write_grid(&s.dir.file(SAMPLES), &images, chw, &labels, GRID_PER_ROW)?;
    }
    write_report(s, "running")?;
    write_atomic(&s.dir.file(CURVES), curves_svg(&s.record.epochs).as_bytes())?;
    if !run.quiet {
        let e = s.record.epochs.last().expect("just pushed");
        println!(
            "epoch {epoch}/{}: {} steps, {:.1} samples/s, μ {:.3}, D+ {} | ele {:.4} kl {:.4} \
             adv {:.4} fea {:.4} | test ROC-AUC {:.4} PR-AUC {:.4} | {:.0} s",
            s.record.config.epochs,
            e.steps,
            e.samples_per_sec,
            e.mu,
            e.support_pool,
            e.losses.l_ele,
            e.losses.l_kl,
            e.losses.l_adv,
            e.losses.l_fea,
            e.test.roc_auc,
            e.test.pr_auc,
            e.wall_s
        );
    }
    Ok(())
}

fn write_report(s: &Session, status: &str) -> Result<()> {
    let report = Report {
        status,
        adapter: &s.adapter,
        seed: s.record.config.seed,
        final_metrics: s.record.epochs.last().map(|e| &e.test),
        final_per_class: s
            .record
            .epochs
            .last()
            .and_then(|e| e.test_per_class.as_ref()),
        run: &s.record,
    };
    let json = serde_json::to_string_pretty(&report).expect("the report serialises");
    write_atomic(&s.dir.file(METRICS), format!("{json}\n").as_bytes())?;
    Ok(())
}
