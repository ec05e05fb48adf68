//! The fused Adam update over a model-sized parameter set, and normal noise generation.
//!
//! `cargo bench -p dvaan-benches --bench adam`
//!
//! Adam moves 7 f32 per parameter (param, grad, m, v read; param, m, v written), reported as
//! bytes/s; `normal` writes one f32 per value.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dvaan_benches::{gpu, time_gpu};
use dvaan_tensor::ops::adam::{adam_step, AdamConfig};
use dvaan_tensor::ops::random;
use dvaan_tensor::Tensor;

/// Weight shapes of a DVAAN-like model, about 4.9 M parameters in all.
const SHAPES: &[&[usize]] = &[
    &[512, 4096],      // FC on a flattened 256x4x4 map
    &[2048, 512],      // FC 512 -> 256x2x2 ... x2
    &[256, 128, 5, 5], // discriminator conv
    &[927, 512],       // tabular encoder
    &[128, 256, 3, 3], // decoder deconv
    &[92, 64, 5, 5],   // encoder conv
    &[512],
    &[92],
];

fn adam(c: &mut Criterion) {
    let gpu = gpu();
    let cfg = AdamConfig {
        lr: 2e-4,
        beta1: 0.5,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.0,
    };
    let sets: Vec<[Tensor; 4]> = SHAPES
        .iter()
        .map(|s| {
            let n: usize = s.iter().product();
            let grad: Vec<f32> = (0..n).map(|i| ((i % 97) as f32 - 48.0) * 1e-3).collect();
            [
                Tensor::zeros(&gpu, s),
                Tensor::from_slice(&gpu, s, &grad),
                Tensor::zeros(&gpu, s),
                Tensor::zeros(&gpu, s),
            ]
        })
        .collect();
    let params: usize = sets.iter().map(|t| t[0].numel()).sum();
    let mut step = 0u32;
    let mut run = || {
        step += 1;
        for [p, g, m, v] in &sets {
            adam_step(p, g, m, v, step, &cfg);
        }
    };
    run();
    gpu.sync();

    let mut group = c.benchmark_group("adam");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(7 * 4 * params as u64));
    group.bench_function(format!("step {params} params"), |b| {
        b.iter_custom(|iters| time_gpu(&gpu, iters, &mut run))
    });
    group.finish();

    let n = 1 << 20;
    let mut offset = 0u64;
    let _ = random::normal(&gpu, &[n], 7, offset);
    gpu.sync();
    let mut group = c.benchmark_group("random");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(4 * n as u64));
    group.bench_function("normal 1M", |b| {
        b.iter_custom(|iters| {
            time_gpu(&gpu, iters, || {
                offset += 1;
                let _ = random::normal(&gpu, &[n], 7, offset);
            })
        })
    });
    group.finish();
}

criterion_group!(benches, adam);
criterion_main!(benches);
