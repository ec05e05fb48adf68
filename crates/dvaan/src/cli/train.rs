//! `dvaan train`: trains a model epoch by epoch. After every epoch it evaluates on the test
//! split and writes, into `--out`: the checkpoint (atomically), `metrics.json`, `history.csv`
//! (rows appended as they are read back) and `samples.png`. `--resume DIR` continues from the
//! last checkpoint; because every random stream is derived from (seed, epoch, step), the
//! continued run equals an uninterrupted one.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::gpu_args::GpuArgs;
use super::hyper::{self, HyperArgs};
use super::record::{EpochRecord, LossMeans, Report, RunRecord, TaskRecord};
use super::restore::restore;
use super::run_dir::{RunDir, CHECKPOINT, HISTORY, METRICS, SAMPLES};
use super::table::print_metrics;
use crate::data::{DataError, DatasetKind, Task};
use crate::io::atomic::write_atomic;
use crate::io::checkpoint;
use crate::io::grid::write_grid;
use crate::io::history::{History, HistoryRow};
use crate::io::progress::EpochProgress;
use crate::train::{StepLog, TrainConfig, Trainer};
use crate::{Error, Result};

/// Images per row of the sample grid written after every epoch.
pub const GRID_PER_ROW: usize = 8;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// mnist, fashion-mnist, cifar10, tis, or csv:DIR.
    #[arg(long, required_unless_present = "resume", conflicts_with = "resume")]
    pub dataset: Option<DatasetKind>,
    /// Root data folder [default: data]; on --resume, overrides the recorded one.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Imbalance ratio 1:R: keep a seeded random 1/R of the training positives.
    #[arg(long, default_value_t = 1.0, conflicts_with = "resume")]
    pub ratio: f64,
    /// One-vs-all: this class is positive, every other class negative.
    #[arg(long, conflicts_with = "resume")]
    pub positive_class: Option<u32>,
    /// CSV only: the header name of the label column (default: the last column).
    #[arg(long, conflicts_with = "resume")]
    pub label_column: Option<String>,
    /// Output folder of a new run.
    #[arg(long, required_unless_present = "resume", conflicts_with = "resume")]
    pub out: Option<PathBuf>,
    /// Continue the run in this folder from its last checkpoint (add --epochs to extend it).
    #[arg(long, value_name = "DIR")]
    pub resume: Option<PathBuf>,
    /// Replace the run files in an existing --out folder.
    #[arg(long, conflicts_with = "resume")]
    pub force: bool,
    /// No progress bar or summaries; errors only. Results are in the output folder.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub gpu: GpuArgs,
    #[command(flatten)]
    pub hyper: HyperArgs,
    /// Test hook: report a NaN loss at the end of this epoch, as if training had diverged.
    #[arg(long, hide = true)]
    pub inject_nan_at_epoch: Option<usize>,
}

/// Everything the epoch loop works on.
struct Session {
    dir: RunDir,
    record: RunRecord,
    task: Task,
    trainer: Trainer,
    history: History,
    adapter: String,
}

pub fn run(args: &Args) -> Result<()> {
    let mut s = match &args.resume {
        Some(dir) => resume(args, dir)?,
        None => start(args)?,
    };
    let quiet = args.quiet;
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
        if let Err(e) = train_one_epoch(&mut s, args) {
            let last = s.record.epochs.len();
            let why = format!("stopped: {e}");
            write_report(&s, &why)?;
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
        }
        println!("run folder: {}", s.dir.0.display());
        if s.dir.file(SAMPLES).exists() {
            println!("sample grid: {}", s.dir.file(SAMPLES).display());
        }
    }
    Ok(())
}

fn start(args: &Args) -> Result<Session> {
    let mut config = TrainConfig::default();
    args.hyper.apply(&mut config);
    hyper::check(&config).map_err(Error::Usage)?;
    let out = args
        .out
        .as_deref()
        .expect("clap requires --out without --resume");
    RunDir::check_new(out, args.force)?;
    let dataset = args.dataset.clone().expect("clap requires --dataset");
    let mut task_record = TaskRecord {
        dataset: dataset.to_string(),
        data_dir: args.data_dir.clone().unwrap_or_else(|| "data".into()),
        positive_class: args.positive_class,
        ratio: args.ratio,
        label_column: args.label_column.clone(),
        name: String::new(),
        sample_shape: Vec::new(),
        train: Default::default(),
        test: Default::default(),
    };
    // Check data and flags before touching the output folder or the GPU.
    let task = task_record.load(config.seed, None)?;
    check_batch(&config, &task)?;
    let gpu = args.gpu.open()?;
    let trainer = Trainer::new(&gpu, config.clone(), task.train.clone())?;
    let dir = RunDir::create(out, args.force)?;
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
        trainer,
        history,
        adapter: gpu.summary().to_string(),
    })
}

fn resume(args: &Args, dir: &Path) -> Result<Session> {
    let fixed = args.hyper.fixed_by_checkpoint();
    if !fixed.is_empty() {
        return Err(Error::Usage(format!(
            "{} cannot change when resuming: a resumed run keeps the configuration stored in \
             its checkpoint (only --epochs may be raised).\nfix: drop those flags, or start a \
             new run with --out",
            fixed.join(", ")
        )));
    }
    let dir = RunDir::existing(dir)?;
    let r = restore(&dir.file(CHECKPOINT), args.data_dir.as_deref(), &args.gpu)?;
    let mut record = r.record;
    if let Some(data_dir) = &args.data_dir {
        record.task.data_dir = data_dir.clone();
    }
    if let Some(epochs) = args.hyper.epochs {
        record.config.epochs = epochs;
    }
    hyper::check(&record.config).map_err(Error::Usage)?;
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
    if !args.quiet {
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
        trainer: r.trainer,
        history,
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

fn train_one_epoch(s: &mut Session, args: &Args) -> Result<()> {
    let start = Instant::now();
    let epoch = s.trainer.epochs_done() + 1;
    let batch = s.record.config.batch;
    let expected = (s.task.train.len() + s.trainer.pool_size()) / batch;
    let progress = EpochProgress::new(epoch, s.record.config.epochs, expected, batch, args.quiet);
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
    if args.inject_nan_at_epoch == Some(epoch) {
        return Err(Error::NonFinite {
            step: rows.last().map_or(0, |r| r.step),
            what: "L_adv (injected by --inject-nan-at-epoch)".into(),
            value: f32::NAN,
        });
    }
    let test = s.trainer.evaluate(&s.task.test)?;
    let mu = s.trainer.mu();
    let elapsed = start.elapsed().as_secs_f64();
    s.record.wall_time_s += elapsed;
    s.record.history_rows = s.history.rows();
    s.record.epochs.push(EpochRecord {
        epoch,
        steps: stats.steps,
        support_pool: stats.pool_size,
        mu,
        losses: LossMeans::of(&rows),
        test: (&test).into(),
        samples_per_sec,
        wall_s: elapsed,
    });
    checkpoint::save(&s.dir.file(CHECKPOINT), &s.record, &s.trainer.state())?;
    if s.record.task.sample_shape.len() == 3 && s.trainer.can_sample() {
        let (images, chw) = s.trainer.sample_grid(GRID_PER_ROW, s.record.config.seed)?;
        write_grid(&s.dir.file(SAMPLES), &images, chw, 4, GRID_PER_ROW)?;
    }
    write_report(s, "running")?;
    if !args.quiet {
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
        run: &s.record,
    };
    let json = serde_json::to_string_pretty(&report).expect("the report serialises");
    write_atomic(&s.dir.file(METRICS), format!("{json}\n").as_bytes())?;
    Ok(())
}
