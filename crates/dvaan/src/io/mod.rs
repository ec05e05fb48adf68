//! A run's files: checkpoints (safetensors, written atomically), `history.csv`, the PNG sample
//! grid and its row-labelled SVG, the JSON report, the progress bar shown while training, and the SVG charts of a run
//! and of the experiment.

pub mod atomic;
pub mod checkpoint;
pub mod disk;
mod error;
pub mod grid;
pub mod history;
pub mod progress;
pub mod svg;

pub use error::{io_error, OutputError};
