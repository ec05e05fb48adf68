//! One full DVAAN training step (docs/DESIGN.md §5.2): batch 64 of 28×28×1 images, the encoder,
//! decoder on `[z; z_p]`, discriminator on `[x; x̃; x_p]`, the backward passes of
//! `Dvaan::gradients` (discriminator shared), three Adam updates and the margin update, as the
//! trainer records it. Reported as samples/s, and first as ms/step with the step's GEMM
//! and convolution FLOPs (`Counters::flops`) and the effective rate they give.
//!
//! `cargo bench -p dvaan-benches --bench dvaan_step`
//!
//! Set `DVAAN_PROFILE=1` to also time each forward/backward stage of the step separately,
//! and each kernel (every dispatch waited for on its own, so the kernel total exceeds a
//! step's time by the lost overlap and submit overhead).

use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use dvaan::methods::Dvaan;
use dvaan::train::TrainConfig;
use dvaan_autograd::Tape;
use dvaan_benches::{gpu, time_gpu};
use dvaan_tensor::{Gpu, Tensor};

const BATCH: usize = 64;

fn batch(gpu: &Gpu) -> (Tensor, Tensor) {
    let x: Vec<f32> = (0..BATCH * 784)
        .map(|i| ((i * 7919) % 256) as f32 / 255.0)
        .collect();
    let y: Vec<f32> = (0..BATCH).map(|i| (i % 6 == 0) as u8 as f32).collect();
    (
        Tensor::from_slice(gpu, &[BATCH, 1, 28, 28], &x),
        Tensor::from_slice(gpu, &[BATCH], &y),
    )
}

/// Wall time of `f` until the GPU has finished it, in ms.
fn ms(gpu: &Gpu, f: impl FnOnce()) -> f64 {
    gpu.sync();
    let t = Instant::now();
    f();
    gpu.sync();
    t.elapsed().as_secs_f64() * 1e3
}

/// Where a step's time goes: forward, then each backward pass, then the updates.
fn profile(gpu: &Gpu, model: &mut Dvaan, x: &Tensor, y: &Tensor) {
    let tape = Tape::new();
    let mut losses = None;
    let fwd = ms(gpu, || losses = Some(model.losses(&tape, x, y, 1000)));
    let l = losses.unwrap();
    let mut g = None;
    let back = ms(gpu, || g = Some(model.gradients(tape, &l)));
    let [enc, dec, dis] = g.unwrap();
    let upd = ms(gpu, || {
        model.opt_enc.step(&enc);
        model.opt_dec.step(&dec);
        model.opt_dis.step(&dis);
    });
    eprintln!(
        "stages (ms): forward {fwd:.0}, backward (all three networks) {back:.0}, Adam x3 {upd:.0}"
    );

    gpu.profile_kernels(true);
    model.step(x, y, 2000);
    let kernels = gpu.kernel_profile();
    gpu.profile_kernels(false);
    let total: f64 = kernels.iter().map(|k| k.seconds).sum();
    eprintln!(
        "kernels of one step, dispatched one at a time: {:.0} ms",
        total * 1e3
    );
    for k in kernels.iter().take(25) {
        eprintln!(
            "  {:>8.1} ms {:>5.1} % {:>5} x  {}",
            k.seconds * 1e3,
            100.0 * k.seconds / total,
            k.dispatches,
            k.kernel
        );
    }
}

fn dvaan_step(c: &mut Criterion) {
    let gpu = gpu();
    let cfg = TrainConfig {
        batch: BATCH,
        ..TrainConfig::default()
    };
    let mut model = Dvaan::new(&gpu, &cfg, &[1, 28, 28]).expect("28x28 networks");
    let (x, y) = batch(&gpu);
    let mut step = 0u64;
    // Warm-up: pipelines compiled and the buffer pool filled.
    for _ in 0..2 {
        model.step(&x, &y, step);
        step += 1;
    }
    let before = gpu.counters().flops;
    let one = ms(&gpu, || {
        model.step(&x, &y, step);
    });
    let gflop = (gpu.counters().flops - before) as f64 / 1e9;
    step += 1;
    eprintln!(
        "dvaan step, batch {BATCH}, 28x28: {one:.0} ms/step, {gflop:.1} GFLOP of GEMMs and \
         convolutions ({:.1} GFLOP/s effective) on {}",
        gflop / (one / 1e3),
        gpu.summary()
    );
    if std::env::var_os("DVAAN_PROFILE").is_some() {
        profile(&gpu, &mut model, &x, &y);
    }

    let mut group = c.benchmark_group("dvaan_step");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("batch64_28x28", |b| {
        b.iter_custom(|iters| {
            time_gpu(&gpu, iters, || {
                model.step(&x, &y, step);
                step += 1;
            })
        })
    });
    group.finish();
}

criterion_group!(benches, dvaan_step);
criterion_main!(benches);
