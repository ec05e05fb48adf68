//! A small GPU tensor engine on wgpu: one generic dispatch path, a buffer pool, a pipeline
//! cache, and a family of hand-written WGSL kernels, each beside a plain f64 CPU reference.
//!
//! Shape errors inside the engine are programming errors and panic with a message that
//! names the op and the shapes; input a user hands over is checked by the callers above.

mod bind_groups;
mod capture;
mod dispatch;
mod error;
mod gpu;
mod kernel_times;
mod pipeline;
mod pool;
mod profile;
mod recorder;
mod reflect;
mod scoped;
mod shader;
mod tensor;
mod texel_pool;
mod texels;

pub mod ops;

pub use capture::CapturedDispatches;
pub use dispatch::{grid_1d, Counters, Dispatch};
pub use error::GpuError;
pub use gpu::{AdapterClass, AdapterSummary, Gpu, GpuOptions};
pub use kernel_times::KernelTime;
pub(crate) use shader::composed_shader;
pub use shader::Shader;
pub use tensor::Tensor;
pub use texel_pool::Texels;
pub use texels::{with_texel_reads, TEXELS_PER_ROW};
