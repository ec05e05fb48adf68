//! The error every user-facing entry point returns. The binary prints it as
//! `error: <message>` and exits with status 2.

use std::fmt;

use dvaan_tensor::GpuError;

use crate::data::DataError;
use crate::metrics::MetricError;

#[derive(Debug)]
pub enum Error {
    Data(DataError),
    Metric(MetricError),
    Gpu(GpuError),
    /// A command-line value that parses but makes no sense (the message says why).
    Usage(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Data(e) => e.fmt(f),
            Error::Metric(e) => e.fmt(f),
            Error::Gpu(e) => e.fmt(f),
            Error::Usage(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Data(e) => Some(e),
            Error::Metric(e) => Some(e),
            Error::Gpu(e) => Some(e),
            Error::Usage(_) => None,
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
