//! `dvaan experiment`: trains a grid of methods × datasets × ratios × seeds (each cell an
//! ordinary `dvaan train` run) and writes the paper's tables and figures from the results.
//! See `crate::experiment` for the folder layout and how re-runs continue.

use std::path::PathBuf;

use super::gpu_args::GpuArgs;
use crate::config::ThresholdRule;
use crate::experiment::grid::expand_methods;
use crate::experiment::{self, Block, CellSettings, Grid, Plan, Preset, Shard};
use crate::{Error, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A named grid: smoke (seconds, generated data), cpu (hours on a 2-core CPU), deep
    /// (DVAAN against its ablations over several epochs, hours on a 2-core CPU), ova (Table 2
    /// at CPU scale), paper (Tables 1–3 on MNIST and Fashion-MNIST, for GPUs). Without it,
    /// --methods and --datasets are required.
    #[arg(long, value_enum)]
    pub preset: Option<Preset>,
    /// Output folder; running again with the same folder keeps the finished cells.
    #[arg(long)]
    pub out: PathBuf,
    /// Comma-separated methods, or `all` (replaces the preset's methods).
    #[arg(long, value_delimiter = ',')]
    pub methods: Option<Vec<String>>,
    /// Comma-separated datasets: mnist, fashion-mnist, cifar10, tis, csv:DIR; a suffix -ovaK
    /// makes class K positive and every other class negative.
    #[arg(long, value_delimiter = ',')]
    pub datasets: Option<Vec<String>>,
    /// Comma-separated imbalance ratios R (1:R) [default without a preset: 5].
    #[arg(long, value_delimiter = ',')]
    pub ratios: Option<Vec<f64>>,
    /// Comma-separated seeds [default without a preset: 0].
    #[arg(long, value_delimiter = ',')]
    pub seeds: Option<Vec<u64>>,
    /// Epochs of every cell, in place of the preset's (raising it later extends finished
    /// cells from their checkpoints).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Root data folder [default: data] (the smoke preset generates its own).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Mini-batch size of every cell.
    #[arg(long)]
    pub batch: Option<usize>,
    /// Latent size of every cell.
    #[arg(long)]
    pub latent: Option<usize>,
    /// Adam learning rate of every cell.
    #[arg(long)]
    pub lr: Option<f32>,
    /// Decision threshold of G-mean, F1 and balanced accuracy in every cell: fixed
    /// (probability 0.5) or validation (chosen on a held-out slice of the training data).
    #[arg(long, value_enum)]
    pub threshold: Option<ThresholdRule>,
    /// Share of each training class held out for --threshold validation [default: 0.2].
    #[arg(long)]
    pub validation_fraction: Option<f64>,
    /// Run only shard K of N: the cells at positions i with i mod N = K − 1 in the grid's
    /// canonical order (block, dataset, ratio, method, seed). Give each shard its own --out.
    #[arg(long)]
    pub shard: Option<Shard>,
    /// Train nothing: write the report of the whole grid from the cells finished in these
    /// output folders (repeat the flag, e.g. one per shard) into --out.
    #[arg(long)]
    pub from: Vec<PathBuf>,
    /// Train nothing: rebuild the tables and figures from the cells already finished.
    #[arg(long)]
    pub report_only: bool,
    /// Show each cell's training progress.
    #[arg(long, short)]
    pub verbose: bool,
    #[command(flatten)]
    pub gpu: GpuArgs,
}

pub fn run(args: &Args) -> Result<()> {
    experiment::run(&plan(args)?).map(|_| ())
}

/// The preset (or an empty grid) with the flags applied.
pub fn plan(args: &Args) -> Result<Plan> {
    let (mut grid, mut settings, synthetic) = match args.preset {
        Some(p) => {
            let p = p.plan();
            (p.grid, p.settings, p.synthetic_data)
        }
        None => {
            if args.methods.is_none() || args.datasets.is_none() {
                return Err(Error::Usage(
                    "give --preset smoke|cpu|deep|ova|paper, or --methods and --datasets".into(),
                ));
            }
            let grid = Grid {
                blocks: vec![Block {
                    methods: Vec::new(),
                    datasets: Vec::new(),
                    ratios: vec![5.0],
                    epochs: None,
                }],
                seeds: vec![0],
            };
            let settings = CellSettings {
                epochs: crate::train::TrainConfig::default().epochs,
                ..Default::default()
            };
            (grid, settings, false)
        }
    };
    for b in &mut grid.blocks {
        if let Some(m) = &args.methods {
            b.methods = expand_methods(m);
        }
        if let Some(d) = &args.datasets {
            b.datasets = d.clone();
        }
        if let Some(r) = &args.ratios {
            b.ratios = r.clone();
        }
        if args.epochs.is_some() {
            b.epochs = None;
        }
    }
    if let Some(s) = &args.seeds {
        grid.seeds = s.clone();
    }
    settings.epochs = args.epochs.unwrap_or(settings.epochs);
    settings.batch = args.batch.or(settings.batch);
    settings.latent = args.latent.or(settings.latent);
    settings.lr = args.lr.or(settings.lr);
    settings.threshold = args.threshold.or(settings.threshold);
    settings.validation_fraction = args.validation_fraction.or(settings.validation_fraction);
    Ok(Plan {
        out: args.out.clone(),
        grid,
        settings,
        data_dir: args.data_dir.clone().unwrap_or_else(|| "data".into()),
        synthetic_data: synthetic && args.data_dir.is_none(),
        gpu: args.gpu.options(),
        verbose: args.verbose,
        report_only: args.report_only,
        shard: args.shard,
        from: args.from.clone(),
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    #[derive(Parser)]
    struct Command {
        #[command(flatten)]
        args: super::Args,
    }

    fn cell_epochs(argv: &[&str]) -> Vec<usize> {
        let args = Command::try_parse_from([&["experiment"], argv].concat())
            .unwrap()
            .args;
        let plan = super::plan(&args).unwrap();
        assert_eq!(plan.grid.check(), Ok(()));
        let mut epochs: Vec<usize> = plan
            .grid
            .cells()
            .iter()
            .map(|c| crate::experiment::cell_epochs(c, &plan.settings))
            .collect();
        epochs.dedup();
        epochs
    }

    #[test]
    fn epochs_flag_replaces_every_blocks_epochs() {
        // The deep preset trains MNIST for 10 epochs and Fashion-MNIST for 4.
        assert_eq!(cell_epochs(&["--preset", "deep", "--out", "o"]), [10, 4]);
        assert_eq!(
            cell_epochs(&["--preset", "deep", "--out", "o", "--epochs", "2"]),
            [2]
        );
        // Both blocks now name the Fashion-MNIST 1:50 cells; they keep the 4 epochs the
        // second block sets (1:20 is the first block's alone: 10).
        let fashion = [
            "--preset",
            "deep",
            "--out",
            "o",
            "--datasets",
            "fashion-mnist",
        ];
        assert_eq!(cell_epochs(&fashion), [10, 4]);
    }
}
