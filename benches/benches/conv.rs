//! Convolution throughput for every conv and deconv layer of the model (docs/DESIGN.md §5.1) at
//! batch 64, each through the variant the engine picks on this adapter. Throughput is the
//! layer's FLOP count 2·N·O·OH·OW·C·KH·KW (the same for forward and both gradients), so
//! criterion's "elem/s" reads as FLOP/s.
//!
//! Ids: `conv/<layer>/<op>` with op `fwd`, `dgrad` (input gradient), `wgrad` (weight
//! gradient). For the decoder's transposed convolutions `fwd` is `conv_transpose2d`, `dgrad`
//! its input gradient and `wgrad` its weight gradient.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dvaan_benches::{gpu, time_gpu};
use dvaan_tensor::ops::{conv, conv_transpose as ct};
use dvaan_tensor::{Gpu, Tensor};
use rand::{Rng, SeedableRng};

const BATCH: usize = 64;

/// A layer: name, in channels, out channels, input size, kernel, stride, padding, output
/// padding (deconvs only).
struct Layer {
    name: &'static str,
    c: usize,
    o: usize,
    size: usize,
    k: usize,
    s: usize,
    p: usize,
    op: usize,
}

const fn layer(
    name: &'static str,
    c: usize,
    o: usize,
    size: usize,
    k: usize,
    p: usize,
    op: usize,
) -> Layer {
    Layer {
        name,
        c,
        o,
        size,
        k,
        s: 2,
        p,
        op,
    }
}

const CONVS: &[Layer] = &[
    layer("enc1", 1, 64, 28, 5, 2, 0),
    layer("enc2", 64, 92, 14, 5, 2, 0),
    layer("enc3", 92, 128, 7, 3, 1, 0),
    layer("enc4", 128, 256, 4, 3, 1, 0),
    layer("dis1", 1, 32, 28, 5, 2, 0),
    layer("dis2", 32, 128, 14, 5, 2, 0),
    layer("dis3", 128, 256, 7, 5, 2, 0),
];

const DECONVS: &[Layer] = &[
    layer("dec1", 256, 128, 2, 3, 1, 1),
    layer("dec2", 128, 92, 4, 3, 1, 0),
    layer("dec3", 92, 64, 7, 5, 2, 1),
    layer("dec4", 64, 1, 14, 5, 2, 1),
];

fn random(gpu: &Gpu, shape: &[usize], seed: u64) -> Tensor {
    let mut r = rand_pcg::Pcg64::seed_from_u64(seed);
    let n: usize = shape.iter().product();
    let data: Vec<f32> = (0..n).map(|_| r.random_range(-1.0..1.0)).collect();
    Tensor::from_slice(gpu, shape, &data)
}

fn bench_op(c: &mut Criterion, g: &Gpu, id: String, flops: usize, mut op: impl FnMut() -> Tensor) {
    // Compile the pipelines before timing: lavapipe takes seconds for the first dispatch.
    drop(op());
    g.sync();
    let mut group = c.benchmark_group("conv");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    group.throughput(Throughput::Elements(flops as u64));
    group.bench_function(id, |b| {
        b.iter_custom(|iters| time_gpu(g, iters, || drop(op())))
    });
    group.finish();
}

fn convs(c: &mut Criterion) {
    let g = gpu();
    eprintln!("conv variant: {:?}", conv::Variant::best(&g));
    for l in CONVS {
        let out = (l.size + 2 * l.p - l.k) / l.s + 1;
        let flops = 2 * BATCH * l.o * out * out * l.c * l.k * l.k;
        let x = random(&g, &[BATCH, l.c, l.size, l.size], 1);
        let w = random(&g, &[l.o, l.c, l.k, l.k], 2);
        let b = random(&g, &[l.o], 3);
        let dy = random(&g, &[BATCH, l.o, out, out], 4);
        let (s, p, hw, k) = (l.s, l.p, (l.size, l.size), (l.k, l.k));
        bench_op(c, &g, format!("{}/fwd", l.name), flops, || {
            conv::conv2d(&x, &w, Some(&b), s, p)
        });
        bench_op(c, &g, format!("{}/dgrad", l.name), flops, || {
            conv::conv2d_backward_input(&dy, &w, hw, s, p)
        });
        bench_op(c, &g, format!("{}/wgrad", l.name), flops, || {
            conv::conv2d_backward_weight(&x, &dy, k, s, p)
        });
    }
    for l in DECONVS {
        let out = (l.size - 1) * l.s + l.k + l.op - 2 * l.p;
        let flops = 2 * BATCH * l.c * l.size * l.size * l.o * l.k * l.k;
        let x = random(&g, &[BATCH, l.c, l.size, l.size], 1);
        let w = random(&g, &[l.c, l.o, l.k, l.k], 2);
        let b = random(&g, &[l.o], 3);
        let dy = random(&g, &[BATCH, l.o, out, out], 4);
        let (s, p, op, k) = (l.s, l.p, l.op, (l.k, l.k));
        bench_op(c, &g, format!("{}/fwd", l.name), flops, || {
            ct::conv_transpose2d(&x, &w, Some(&b), s, p, op)
        });
        bench_op(c, &g, format!("{}/dgrad", l.name), flops, || {
            ct::conv_transpose2d_backward_input(&dy, &w, s, p)
        });
        bench_op(c, &g, format!("{}/wgrad", l.name), flops, || {
            ct::conv_transpose2d_backward_weight(&x, &dy, k, s, p)
        });
    }
}

criterion_group!(benches, convs);
criterion_main!(benches);
