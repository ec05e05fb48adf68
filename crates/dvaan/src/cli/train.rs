//! `dvaan train`: trains a model epoch by epoch into `--out`, or continues the run in
//! `--resume DIR` from its last checkpoint (`crate::run::train` does the work; this module
//! turns the flags into a [`TrainRun`]).

use std::path::PathBuf;

use super::gpu_args::GpuArgs;
use super::hyper::HyperArgs;
use crate::config::TrainConfig;
use crate::data::DatasetKind;
use crate::run::train::{train, Start, TrainRun};
use crate::{Error, Result};

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

pub fn run(args: &Args) -> Result<()> {
    train(&train_run(args)?)
}

/// The run the flags describe. Resuming keeps the configuration in the checkpoint, so any
/// hyper-parameter flag but `--epochs` is refused rather than silently ignored.
pub fn train_run(args: &Args) -> Result<TrainRun> {
    let start = match &args.resume {
        Some(dir) => {
            let fixed = args.hyper.fixed_by_checkpoint();
            if !fixed.is_empty() {
                return Err(Error::Usage(format!(
                    "{} cannot change when resuming: a resumed run keeps the configuration \
                     stored in its checkpoint (only --epochs may be raised).\nfix: drop those \
                     flags, or start a new run with --out",
                    fixed.join(", ")
                )));
            }
            Start::Resume {
                dir: dir.clone(),
                epochs: args.hyper.epochs,
            }
        }
        None => {
            let mut config = TrainConfig::default();
            args.hyper.apply(&mut config);
            Start::New {
                dataset: args.dataset.clone().expect("clap requires --dataset"),
                ratio: args.ratio,
                positive_class: args.positive_class,
                label_column: args.label_column.clone(),
                config,
                out: args
                    .out
                    .clone()
                    .expect("clap requires --out without --resume"),
                force: args.force,
            }
        }
    };
    Ok(TrainRun {
        start,
        data_dir: args.data_dir.clone(),
        quiet: args.quiet,
        gpu: args.gpu.options(),
        inject_nan_at_epoch: args.inject_nan_at_epoch,
    })
}
