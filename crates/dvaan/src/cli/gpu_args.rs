//! `--backend`, `--adapter` and `--no-subgroups`, shared by every subcommand that opens a GPU.

use dvaan_tensor::GpuOptions;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct GpuArgs {
    /// GPU backend: vulkan, metal, dx12 or gl (default: wgpu's choice, or WGPU_BACKEND).
    #[arg(long)]
    pub backend: Option<String>,
    /// Use the adapter whose name contains this text (see `dvaan devices`), e.g. llvmpipe.
    #[arg(long)]
    pub adapter: Option<String>,
    /// Open the device without subgroup operations, so only the kernels that need none run
    /// (what adapters without them, e.g. GL, run).
    #[arg(long)]
    pub no_subgroups: bool,
}

impl GpuArgs {
    /// The engine's adapter choice these flags describe.
    pub fn options(&self) -> GpuOptions {
        GpuOptions {
            backend: self.backend.clone(),
            adapter: self.adapter.clone(),
            without_subgroups: self.no_subgroups,
            class: None,
        }
    }
}
