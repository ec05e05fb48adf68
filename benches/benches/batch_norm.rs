//! Batch norm, training mode, forward and backward on the DVAAN layer shapes (batch 64;
//! the decoder sees 128 rows: reconstructions and prior samples together).
//!
//! Throughput counts the compulsory traffic, each tensor once: the forward reads x and
//! writes y (8 bytes per element), the backward reads x and dy and writes dx (12 bytes).
//! The kernels read x more than once (per-channel passes), which a CPU adapter serves
//! from cache.
//!
//! `cargo bench -p dvaan-benches --bench batch_norm`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use dvaan_benches::{gpu, time_gpu};
use dvaan_tensor::ops::batch_norm::{batch_norm_backward, batch_norm_train};
use dvaan_tensor::Tensor;
use rand::{Rng, SeedableRng};
use std::time::Duration;

const SHAPES: &[&[usize]] = &[
    &[64, 64, 14, 14],
    &[64, 92, 7, 7],
    &[64, 128, 4, 4],
    &[64, 256, 2, 2],
    &[64, 512],
    &[128, 128, 4, 4],
    &[128, 92, 7, 7],
    &[128, 64, 14, 14],
];

fn random(gpu: &dvaan_tensor::Gpu, shape: &[usize], seed: u64) -> Tensor {
    let mut r = rand_pcg::Pcg64::seed_from_u64(seed);
    let n: usize = shape.iter().product();
    let data: Vec<f32> = (0..n).map(|_| r.random_range(-1.0..1.0)).collect();
    Tensor::from_slice(gpu, shape, &data)
}

fn name(shape: &[usize]) -> String {
    shape
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("x")
}

fn bench(c: &mut Criterion) {
    let gpu = gpu();
    for (pass, bytes_per_element) in [("forward", 8), ("backward", 12)] {
        let mut group = c.benchmark_group(format!("batch_norm_train_{pass}"));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
        for &shape in SHAPES {
            let c = shape[1];
            let n: usize = shape.iter().product();
            let x = random(&gpu, shape, 1);
            let dy = random(&gpu, shape, 2);
            let gamma = random(&gpu, &[c], 3);
            let beta = random(&gpu, &[c], 4);
            let running_mean = Tensor::zeros(&gpu, &[c]);
            let running_var = Tensor::zeros(&gpu, &[c]);
            let fwd = batch_norm_train(&x, &gamma, &beta, &running_mean, &running_var, 0.1, 1e-5);
            group.throughput(Throughput::Bytes((n * bytes_per_element) as u64));
            group.bench_function(BenchmarkId::from_parameter(name(shape)), |b| {
                b.iter_custom(|iters| {
                    time_gpu(&gpu, iters, || {
                        if pass == "forward" {
                            batch_norm_train(
                                &x,
                                &gamma,
                                &beta,
                                &running_mean,
                                &running_var,
                                0.1,
                                1e-5,
                            );
                        } else {
                            batch_norm_backward(&x, &dy, &gamma, &fwd.mean, &fwd.inv_std);
                        }
                    })
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
