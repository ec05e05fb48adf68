//! `dvaan data-info`: loads a task exactly as training will and prints what it holds, so a
//! user can check the data (and the imbalance ratio) before spending GPU time.

use std::path::PathBuf;
use std::time::Instant;

use crate::data::{load_task, CsvOptions, DatasetKind, LabelColumn, TaskSpec};
use crate::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// mnist, fashion-mnist, cifar10, tis, or csv:DIR (DIR holds train.csv and test.csv).
    #[arg(long)]
    pub dataset: DatasetKind,
    /// Root folder; each dataset lives in a folder under it: mnist/ and fashion-mnist/ (IDX
    /// files, raw or .gz, as tools/fetch-data.sh writes them; Fashion-MNIST is also read from
    /// /usr/share/datasets/fashion-mnist, where Debian's dataset-fashion-mnist puts it),
    /// cifar10/ or cifar-10-batches-bin/ (data_batch_1..5.bin, test_batch.bin), and for
    /// tabular data tis/ or DIR/ holding train.csv and test.csv.
    #[arg(long, default_value = "data")]
    pub data_dir: PathBuf,
    /// Imbalance ratio 1:R: keep a seeded random 1/R of the training positives.
    #[arg(long, default_value_t = 1.0)]
    pub ratio: f64,
    /// One-vs-all: this class is positive, every other class negative.
    #[arg(long)]
    pub positive_class: Option<u32>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// CSV only: the header name of the label column (default: the last column).
    #[arg(long)]
    pub label_column: Option<String>,
}

impl Args {
    pub fn spec(&self) -> TaskSpec {
        TaskSpec {
            dataset: self.dataset.clone(),
            data_dir: self.data_dir.clone(),
            positive_class: self.positive_class,
            ratio: self.ratio,
            seed: self.seed,
            csv: CsvOptions {
                label: self
                    .label_column
                    .clone()
                    .map_or(LabelColumn::Last, LabelColumn::Name),
                header: None,
            },
        }
    }
}

pub fn run(args: &Args) -> Result<()> {
    let start = Instant::now();
    let task = load_task(&args.spec())?;
    println!("task:    {}", task.name);
    println!("source:  {}", task.source.display());
    println!("shape:   {:?} per sample", task.train.shape);
    println!(
        "ratio:   1:{} (seed {}): kept {} of {} training positives",
        args.ratio, args.seed, task.train.n_pos, task.train_pos_available
    );
    for d in [&task.train, &task.test] {
        println!(
            "{:<8} {} samples: {} positive, {} negative (1:{:.2})",
            format!("{}:", d.name.rsplit('/').next().unwrap_or(&d.name)),
            d.len(),
            d.n_pos,
            d.n_neg,
            d.n_neg as f64 / d.n_pos as f64
        );
    }
    let mean = task.train.x.iter().map(|&v| v as f64).sum::<f64>() / task.train.x.len() as f64;
    println!(
        "train mean value: {mean:.4}; loaded in {:.2} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
