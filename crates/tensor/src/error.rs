//! Errors a user can cause or fix: no GPU, an adapter name that matches nothing.

use std::fmt;

#[derive(Debug)]
pub enum GpuError {
    /// wgpu found no adapter at all on the enabled backends.
    NoAdapter { backends: String },
    /// An adapter was asked for by name and none matched.
    AdapterNotFound {
        wanted: String,
        available: Vec<String>,
    },
    /// A backend name that wgpu does not know.
    UnknownBackend(String),
    /// The adapter refused to open a device.
    Device(String),
    /// An adapter class name (`DVAAN_ADAPTER_CLASS`) that the engine does not know.
    UnknownClass(String),
}

impl fmt::Display for GpuError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GpuError::NoAdapter { backends } => write!(
                f,
                "no GPU adapter found (backends tried: {backends}).\n\
                 fix: install a Vulkan driver; on a machine without a GPU, Mesa's software \
                 driver works: `apt-get install mesa-vulkan-drivers libvulkan1` (Debian/Ubuntu)"
            ),
            GpuError::AdapterNotFound { wanted, available } => write!(
                f,
                "no GPU adapter name contains {wanted:?}; available adapters: {}.\n\
                 fix: pass part of one of those names to --adapter (or WGPU_ADAPTER_NAME)",
                if available.is_empty() {
                    "none".to_string()
                } else {
                    available.join(", ")
                }
            ),
            GpuError::UnknownBackend(b) => write!(
                f,
                "unknown GPU backend {b:?}; expected one of: vulkan, metal, dx12, gl"
            ),
            GpuError::Device(e) => write!(f, "the GPU adapter refused to open a device: {e}"),
            GpuError::UnknownClass(c) => write!(
                f,
                "unknown adapter class {c:?} (DVAAN_ADAPTER_CLASS); expected one of: cpu, \
                 discrete-gpu, integrated-gpu, virtual-gpu, other, or leave it unset"
            ),
        }
    }
}

impl std::error::Error for GpuError {}
