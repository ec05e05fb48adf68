//! `dvaan eval`: re-evaluates a checkpoint on the test split of the data it was trained on
//! and prints the metrics.

use std::path::PathBuf;

use super::gpu_args::GpuArgs;
use crate::run::dir::checkpoint_path;
use crate::run::record::MetricsRecord;
use crate::run::restore::restore;
use crate::run::table::print_metrics;
use crate::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A run folder, or its checkpoint.safetensors.
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// Root data folder, if it moved since training (default: the one recorded in the run).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Print the metrics as one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub gpu: GpuArgs,
}

pub fn run(args: &Args) -> Result<()> {
    let path = checkpoint_path(&args.checkpoint);
    let r = restore(&path, args.data_dir.as_deref(), &args.gpu.options())?;
    let metrics = MetricsRecord::from(&r.trainer.evaluate(&r.task.test)?);
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&metrics).expect("metrics serialise")
        );
    } else {
        print_metrics(
            &format!(
                "{}: {} after {} epochs, test split ({} samples, {} positive), on {}",
                path.display(),
                r.record.config.method,
                r.trainer.epochs_done(),
                r.task.test.len(),
                r.task.test.n_pos,
                r.gpu.summary()
            ),
            &metrics,
        );
    }
    Ok(())
}
