//! `dvaan devices`: which adapters wgpu sees, so a user can pick one with `--adapter`.

use dvaan_tensor::Gpu;

use crate::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this backend: vulkan, metal, dx12 or gl.
    #[arg(long)]
    pub backend: Option<String>,
}

pub fn run(args: &Args) -> Result<()> {
    let adapters = Gpu::list_adapters(args.backend.as_deref())?;
    if adapters.is_empty() {
        return Err(dvaan_tensor::GpuError::NoAdapter {
            backends: args.backend.clone().unwrap_or_else(|| "all".into()),
        }
        .into());
    }
    for (i, a) in adapters.iter().enumerate() {
        println!("{i}: {a}");
        if !a.driver.is_empty() {
            println!("   driver: {}", a.driver);
        }
    }
    Ok(())
}
