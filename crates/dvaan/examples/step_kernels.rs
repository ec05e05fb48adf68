//! How many dispatches one warm DVAAN training step records, per kernel (`shader::entry`):
//! batch 64 of 28×28×1 images, as `benches/benches/dvaan_step.rs` runs it.
//!
//! `cargo run -p dvaan --example step_kernels`
//!
//! The kernels are those the adapter's class picks (texel variants and their staging on CPU
//! adapters, tiled or subgroup kernels on GPUs). Each dispatch is waited for on its own, so
//! the times printed beside the counts are for finding hot kernels only.

use dvaan::methods::Dvaan;
use dvaan::train::TrainConfig;
use dvaan_tensor::{Gpu, Tensor};

const BATCH: usize = 64;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let gpu = Gpu::new()?;
    let cfg = TrainConfig {
        batch: BATCH,
        ..TrainConfig::default()
    };
    let mut model = Dvaan::new(&gpu, &cfg, &[1, 28, 28])?;
    let x: Vec<f32> = (0..BATCH * 784)
        .map(|i| ((i * 7919) % 256) as f32 / 255.0)
        .collect();
    let y: Vec<f32> = (0..BATCH).map(|i| (i % 6 == 0) as u8 as f32).collect();
    let x = Tensor::from_slice(&gpu, &[BATCH, 1, 28, 28], &x);
    let y = Tensor::from_slice(&gpu, &[BATCH], &y);
    for step in 0..2 {
        model.step(&x, &y, step);
    }
    gpu.sync();

    let before = gpu.counters().dispatches;
    gpu.profile_kernels(true);
    model.step(&x, &y, 2);
    let mut kernels = gpu.kernel_profile();
    gpu.profile_kernels(false);
    let dispatches = gpu.counters().dispatches - before;
    kernels.sort_by(|a, b| {
        b.dispatches
            .cmp(&a.dispatches)
            .then(a.kernel.cmp(&b.kernel))
    });
    println!("dispatches of one warm step on {}", gpu.summary());
    for k in &kernels {
        println!(
            "  {:>4} x {:>8.1} ms  {}",
            k.dispatches,
            k.seconds * 1e3,
            k.kernel
        );
    }
    println!("per step: {dispatches} dispatches");
    Ok(())
}
