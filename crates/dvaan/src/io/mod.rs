//! A run's files: checkpoints (safetensors, written atomically), `history.csv`, the PNG sample
//! grid, the JSON report, and the progress bar shown while training.

pub mod atomic;
pub mod checkpoint;
pub mod disk;
mod error;
pub mod grid;
pub mod history;
pub mod progress;

pub use error::{io_error, OutputError};
