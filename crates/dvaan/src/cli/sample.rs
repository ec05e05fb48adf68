//! `dvaan sample`: decodes a grid of samples from a checkpoint, like the paper's Figure 6:
//! one row each from N(+μ·1, I), N(0, I), N(0, I) and N(−μ·1, I).

use std::path::PathBuf;

use super::gpu_args::GpuArgs;
use crate::io::grid::{labelled_path, write_grid};
use crate::run::dir::checkpoint_path;
use crate::run::engine_guard::{guard, EngineContext};
use crate::run::restore::restore;
use crate::{Error, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A run folder, or its checkpoint.safetensors.
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// Where to write the PNG (the labelled SVG goes beside it, named .svg).
    #[arg(long, default_value = "grid.png")]
    pub out: PathBuf,
    /// Images per row.
    #[arg(long, default_value_t = 8)]
    pub per_row: usize,
    /// Seed of the latent draws (default: the run's seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Root data folder, if it moved since training (default: the one recorded in the run).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    #[command(flatten)]
    pub gpu: GpuArgs,
}

pub fn run(args: &Args) -> Result<()> {
    if args.per_row == 0 {
        return Err(Error::Usage("--per-row must be at least 1".into()));
    }
    guard("sampling", |context| run_guarded(args, context))
}

fn run_guarded(args: &Args, context: &EngineContext) -> Result<()> {
    let r = restore(
        &checkpoint_path(&args.checkpoint),
        args.data_dir.as_deref(),
        &args.gpu.options(),
    )?;
    context.set_adapter(&r.gpu.summary().to_string());
    context.injected_failure();
    if r.record.task.sample_shape.len() != 3 {
        return Err(Error::Usage(format!(
            "{} holds tabular samples of shape {:?}; a sample grid needs images",
            r.record.task.name, r.record.task.sample_shape
        )));
    }
    let seed = args.seed.unwrap_or(r.record.config.seed);
    let (images, chw) = r.trainer.sample_grid(args.per_row, seed)?;
    let labels = r.record.config.method.grid_row_labels();
    write_grid(&args.out, &images, chw, &labels, args.per_row)?;
    println!(
        "wrote {} and {} (rows: {}; μ = {:.3}; {} per row, seed {seed})",
        args.out.display(),
        labelled_path(&args.out).display(),
        labels.join(", "),
        r.trainer.mu(),
        args.per_row
    );
    Ok(())
}
