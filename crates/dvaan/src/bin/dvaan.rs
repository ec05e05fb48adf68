//! The `dvaan` binary: parse the command line, run it, and turn any error into a message and
//! exit status 2 (the status clap uses for usage errors too).

use std::process::ExitCode;

use clap::Parser;
use dvaan::cli::{run, Cli};

/// Recording a training step allocates many small objects (wgpu's command lists, bind group
/// handles, the tape's nodes); with mimalloc the recording thread spent about half the CPU
/// time it spent with the C library's allocator on lavapipe (docs/PERFORMANCE.md, "What a
/// dispatch costs the host"). The workspace builds it with `override`, so the C code in the
/// process (the Vulkan driver, which allocates for every command it records) allocates
/// through it too: a library must not choose that for its users, a binary may.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
