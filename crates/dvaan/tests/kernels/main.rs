//! DVAAN's own kernels (`dvaan::kernels`) against their f64 CPU references, on awkward
//! shapes; one test binary so that the tests share one device and its compiled pipelines.

mod common;

mod kl;
mod margin;
mod posterior;
mod prior;
