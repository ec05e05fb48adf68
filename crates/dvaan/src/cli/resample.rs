//! `dvaan resample`: writes a run's training set plus generated positives (and its test
//! split) as a data folder in the dataset's own format, with a manifest of the generated rows.

use std::path::PathBuf;

use super::gpu_args::GpuArgs;
use crate::run::dir::checkpoint_path;
use crate::run::resample::{resample, ResampleRun, MANIFEST};
use crate::train::LatentSource;
use crate::Result;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum From {
    /// The support-sample rule of training: z ~ N(0, I) on the positive side, kept when the
    /// classifier agrees (DVAAN's methods).
    Support,
    /// The positive class's prior: N(+μ·1, I) for DVAAN, the positive condition for ac-gan
    /// and cvae-gan.
    Prior,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A run folder, or its checkpoint.safetensors.
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// A new or empty folder; it becomes a data folder (`--data-dir`) to train on.
    #[arg(long)]
    pub out: PathBuf,
    /// Generated positives to add (default: as many as balance the training classes).
    #[arg(long)]
    pub n: Option<usize>,
    /// Which latent distribution the positives are decoded from.
    #[arg(long, value_enum, default_value = "support")]
    pub from: From,
    /// Seed of the latent draws (default: the run's seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Also write each generated image as a PNG under OUT/generated/.
    #[arg(long)]
    pub png: bool,
    /// Root data folder of the run's data, if it moved since training.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    #[command(flatten)]
    pub gpu: GpuArgs,
}

pub fn run(args: &Args) -> Result<()> {
    let r = resample(&ResampleRun {
        checkpoint: checkpoint_path(&args.checkpoint),
        out: args.out.clone(),
        n: args.n,
        from: match args.from {
            From::Support => LatentSource::Support,
            From::Prior => LatentSource::Prior,
        },
        seed: args.seed,
        png: args.png,
        data_dir: args.data_dir.clone(),
        gpu: args.gpu.options(),
    })?;
    let m = &r.manifest;
    println!(
        "wrote {} ({}): {} training rows ({} positive, {} of them generated from the {} \
         latent, rows {}..{}; {} negative) and {} test rows; manifest in {}",
        args.out.display(),
        m.task,
        m.train.rows,
        m.train.positive,
        m.generated.count,
        m.generated.latent,
        m.train.first_generated,
        m.train.rows,
        m.train.negative,
        m.test.rows,
        args.out.join(MANIFEST).display()
    );
    if let Some(pngs) = &m.generated.pngs {
        println!("generated images: {}", args.out.join(pngs).display());
    }
    println!(
        "train on it with: dvaan train --dataset {} --data-dir {}{}",
        r.dataset,
        args.out.display(),
        m.positive_class
            .map(|k| format!(" --positive-class {k}"))
            .unwrap_or_default()
    );
    Ok(())
}
