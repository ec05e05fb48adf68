//! Every kernel against its f64 CPU reference, on awkward shapes. One test binary so that
//! all tests share one device and its compiled pipelines (slow to make on lavapipe).

mod common;

mod elementwise;
mod engine;
mod gemm;
mod conv;
mod conv_transpose;
mod batch_norm;
mod reduce;
mod concat;
mod random;
mod reparam;
mod loss;
mod adam;
