//! How many dispatches one warm DVAAN training step records, per kernel (`shader::entry`):
//! batch 64 of 28×28×1 images, as `benches/benches/dvaan_step.rs` runs it.
//!
//! `cargo run -p dvaan --example step_kernels [-- --no-subgroups]`
//!
//! The kernels are those the adapter's class picks (texel variants and their staging on CPU
//! adapters, tiled or subgroup kernels on GPUs); `--no-subgroups` opens the device without
//! subgroups, which on a CPU adapter runs the plain buffer kernels instead of the texel ones.
//! Each dispatch is waited for on its own, so the times printed beside the counts are for
//! finding hot kernels only; the wall time of three warm steps, each started on an idle GPU,
//! comes first.

use dvaan::methods::Dvaan;
use dvaan::train::TrainConfig;
use std::time::Instant;

use dvaan_tensor::{Gpu, GpuOptions, Tensor};

const BATCH: usize = 64;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = GpuOptions {
        without_subgroups: std::env::args().any(|a| a == "--no-subgroups"),
        ..GpuOptions::default()
    };
    let gpu = Gpu::with_options(&options)?;
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
    let timed = 3;
    let mut seconds = 0.0;
    for step in 2..2 + timed {
        let t = Instant::now();
        model.step(&x, &y, step);
        gpu.sync();
        seconds += t.elapsed().as_secs_f64();
    }
    println!(
        "{:.0} ms/step (mean of {timed})",
        seconds * 1e3 / timed as f64
    );

    let before = gpu.counters().dispatches;
    gpu.profile_kernels(true);
    model.step(&x, &y, 2 + timed);
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
