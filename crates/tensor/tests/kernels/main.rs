//! Every kernel against its f64 CPU reference, on awkward shapes. One test binary so that
//! all tests share one device and its compiled pipelines (slow to make on lavapipe).

mod common;

mod elementwise;
mod engine;
