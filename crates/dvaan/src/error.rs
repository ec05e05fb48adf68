//! The error every user-facing entry point returns. The binary prints it as
//! `error: <message>` and exits with status 2.

use std::fmt;

use dvaan_tensor::GpuError;

use crate::data::DataError;
use crate::io::OutputError;
use crate::metrics::MetricError;

#[derive(Debug)]
pub enum Error {
    Data(DataError),
    Metric(MetricError),
    Gpu(GpuError),
    /// A run's files: the output folder, checkpoints, reports.
    Output(OutputError),
    /// A command-line value that parses but makes no sense (the message says why).
    Usage(String),
    /// Training produced a NaN or infinite loss (or margin μ) at global step `step`.
    NonFinite {
        step: usize,
        what: String,
        value: f32,
    },
    /// A saved training state that does not fit this trainer (names, shapes, architecture).
    State(String),
    /// The GPU engine gave up while doing `what` (it panicked: out of GPU memory, a lost
    /// device, or a bug); caught at the command's boundary.
    Engine {
        what: String,
        batch: Option<usize>,
        adapter: Option<String>,
        message: String,
        location: Option<String>,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Data(e) => e.fmt(f),
            Error::Metric(e) => e.fmt(f),
            Error::Gpu(e) => e.fmt(f),
            Error::Output(e) => e.fmt(f),
            Error::Usage(m) => f.write_str(m),
            Error::NonFinite { step, what, value } => write!(
                f,
                "{what} became {value} at step {step}; training stopped (try a smaller learning rate)"
            ),
            Error::State(m) => f.write_str(m),
            Error::Engine {
                what,
                batch,
                adapter,
                message,
                location,
            } => {
                write!(f, "the GPU engine failed during {what}")?;
                let batch = batch.map(|b| format!("batch size {b}"));
                let adapter = adapter.as_ref().map(|a| format!("adapter {a}"));
                let known: Vec<String> = batch.into_iter().chain(adapter).collect();
                if !known.is_empty() {
                    write!(f, " ({})", known.join(", "))?;
                }
                write!(f, ": {message}")?;
                if let Some(at) = location {
                    write!(f, " (at {at})")?;
                }
                write!(
                    f,
                    ".\nfix: out of GPU memory: lower --batch (or close other programs using the \
                     GPU); a lost device (driver reset, GPU removed): pick another --adapter or \
                     restart the driver. `dvaan train --resume DIR` continues from the last \
                     checkpoint. Anything else is a bug; please report this message"
                )
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Data(e) => Some(e),
            Error::Metric(e) => Some(e),
            Error::Gpu(e) => Some(e),
            Error::Output(e) => Some(e),
            Error::Usage(_) | Error::NonFinite { .. } | Error::State(_) | Error::Engine { .. } => {
                None
            }
        }
    }
}

impl From<DataError> for Error {
    fn from(e: DataError) -> Error {
        Error::Data(e)
    }
}

impl From<MetricError> for Error {
    fn from(e: MetricError) -> Error {
        Error::Metric(e)
    }
}

impl From<GpuError> for Error {
    fn from(e: GpuError) -> Error {
        Error::Gpu(e)
    }
}

impl From<OutputError> for Error {
    fn from(e: OutputError) -> Error {
        Error::Output(e)
    }
}
