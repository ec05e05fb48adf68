//! GEMM throughput per kernel variant. Each benchmark's throughput is its FLOP count
//! (2·M·N·K), so criterion's "elem/s" reads as FLOP/s; `tools/bench-table.sh` prints GFLOP/s.
//!
//! Ids: `gemm/<variant>/<name>/<M>x<N>x<K>`; `default` is the variant `matmul` picks on this
//! adapter. The model's fully connected layers run as `y = x·Wᵀ` (B transposed).

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use dvaan_benches::{gpu, time_gpu};
use dvaan_tensor::ops::gemm::{default_variant, matmul_with, GemmVariant};
use dvaan_tensor::{AdapterClass, Gpu, Tensor};
use rand::{Rng, SeedableRng};

fn random(gpu: &Gpu, shape: &[usize], seed: u64) -> Tensor {
    let mut r = rand_pcg::Pcg64::seed_from_u64(seed);
    let n: usize = shape.iter().product();
    let data: Vec<f32> = (0..n).map(|_| r.random_range(-1.0..1.0)).collect();
    Tensor::from_slice(gpu, shape, &data)
}

fn variant_name(v: GemmVariant) -> &'static str {
    match v {
        GemmVariant::Naive => "naive",
        GemmVariant::Tiled => "tiled",
        GemmVariant::Subgroup => "subgroup",
        GemmVariant::Texel => "texel",
    }
}

#[allow(clippy::too_many_arguments)]
fn bench_one(
    c: &mut Criterion,
    g: &Gpu,
    label: &str,
    name: &str,
    (m, n, k): (usize, usize, usize),
    trans_b: bool,
    variant: GemmVariant,
) {
    let a = random(g, &[m, k], 1);
    let b_shape = if trans_b { [n, k] } else { [k, n] };
    let b = random(g, &b_shape, 2);
    let bias = random(g, &[n], 3);
    let bias = trans_b.then_some(&bias);
    // Compile the pipeline before timing: lavapipe takes seconds for the first dispatch.
    drop(matmul_with(&a, &b, false, trans_b, bias, variant));
    g.sync();
    let mut group = c.benchmark_group("gemm");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements((2 * m * n * k) as u64));
    let id = BenchmarkId::new(format!("{label}/{name}"), format!("{m}x{n}x{k}"));
    group.bench_function(id, |bencher| {
        bencher.iter_custom(|iters| {
            time_gpu(g, iters, || {
                drop(matmul_with(&a, &b, false, trans_b, bias, variant))
            })
        })
    });
    group.finish();
}

fn gemm(c: &mut Criterion) {
    let g = gpu();
    let default = default_variant(&g);
    eprintln!("default gemm variant: {default:?}");
    let variants: Vec<GemmVariant> = GemmVariant::ALL
        .into_iter()
        .filter(|v| v.supported(&g))
        .collect();
    // On a CPU adapter the naive and tiled kernels run at well under 1 GFLOP/s, so there they
    // are compared at 256³ only (the subgroup kernel, the texel kernel's storage-buffer twin,
    // up to 1024³); 2048³ runs only with the default variant.
    let cpu = g.summary().class == AdapterClass::Cpu;
    let wanted = |v: GemmVariant, size: usize| {
        v == default || (size < 2048 && (!cpu || size == 256 || v == GemmVariant::Subgroup))
    };
    for size in [256, 512, 1024, 2048] {
        for &v in &variants {
            if wanted(v, size) && v.fits(&g, size, size, size, false, false) {
                let label = if v == default {
                    format!("default-{}", variant_name(v))
                } else {
                    variant_name(v).into()
                };
                bench_one(c, &g, &label, "square", (size, size, size), false, v);
            }
        }
    }
    // (name, M = batch, N = out features, K = in features) of the DVAAN fully connected layers.
    let fc = [
        ("disc_fc1", 192, 512, 1024),
        ("disc_fc2", 192, 1, 512),
        ("enc_fc1", 64, 512, 1024),
        ("enc_fc2", 64, 64, 512),
        ("dec_fc1", 128, 512, 32),
        ("dec_fc2", 128, 1024, 512),
    ];
    for (name, m, n, k) in fc {
        let fits = |v: GemmVariant| v.fits(&g, m, n, k, false, true);
        for &v in variants
            .iter()
            .filter(|&&v| (v == default || !cpu) && fits(v))
        {
            let label = if v == default {
                format!("default-{}", variant_name(v))
            } else {
                variant_name(v).into()
            };
            bench_one(c, &g, &label, name, (m, n, k), true, v);
        }
    }
}

criterion_group!(benches, gemm);
criterion_main!(benches);
