//! Every kernel against its f64 CPU reference, on awkward shapes. One test binary so that
//! all tests share one device and its compiled pipelines (slow to make on lavapipe).

mod common;

mod adam;
mod batch_norm;
mod concat;
mod conv;
mod conv_bias_grad;
mod conv_staged;
mod conv_texel;
mod conv_transpose;
mod elementwise;
mod engine;
mod gemm;
mod gemm_row_sums;
mod loss;
mod oracle;
mod random;
mod reduce;
mod reparam;
#[path = "fixtures/torch_oracle.rs"]
mod torch_oracle;
