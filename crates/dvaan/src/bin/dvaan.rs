//! The `dvaan` binary: parse the command line, run it, and turn any error into a message and
//! exit status 2 (the status clap uses for usage errors too).

use std::process::ExitCode;

use clap::Parser;
use dvaan::cli::{run, Cli};

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
