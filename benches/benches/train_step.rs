//! One training step of a small CNN (forward, backward, Adam) on 28×28 images, batch 64:
//! the whole-step figure beside the per-kernel benches. Throughput is samples per second.
//!
//! `cargo bench -p dvaan-benches --bench train_step`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dvaan_autograd::{
    prefixed, Adam, AdamConfig, BatchNorm2d, Conv2d, Layer, Linear, Param, Tape, Var,
};
use dvaan_benches::{gpu, time_gpu};
use dvaan_tensor::{Gpu, Tensor};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

const BATCH: usize = 64;

/// conv 1→16 k5 s2 p2 (28→14) → BN → ReLU → conv 16→32 k5 s2 p2 (14→7) → BN → ReLU →
/// flatten → linear 32·7·7→1 (one logit per image).
struct Cnn {
    c1: Conv2d,
    bn1: BatchNorm2d,
    c2: Conv2d,
    bn2: BatchNorm2d,
    head: Linear,
}

impl Cnn {
    fn new(gpu: &Gpu, rng: &mut Pcg64) -> Cnn {
        Cnn {
            c1: Conv2d::new(gpu, 1, 16, 5, 2, 2, rng),
            bn1: BatchNorm2d::new(gpu, 16),
            c2: Conv2d::new(gpu, 16, 32, 5, 2, 2, rng),
            bn2: BatchNorm2d::new(gpu, 32),
            head: Linear::new(gpu, 32 * 7 * 7, 1, rng),
        }
    }

    fn forward(&self, tape: &Tape, x: &Var) -> Var {
        let h = tape.relu(&self.bn1.forward(tape, &self.c1.forward(tape, x)));
        let h = tape.relu(&self.bn2.forward(tape, &self.c2.forward(tape, &h)));
        let logits = self.head.forward(tape, &tape.flatten(&h));
        tape.reshape(&logits, &[x.shape()[0]])
    }
}

impl Layer for Cnn {
    fn params(&self) -> Vec<(String, Param)> {
        let mut p = prefixed("c1", self.c1.params());
        p.extend(prefixed("bn1", self.bn1.params()));
        p.extend(prefixed("c2", self.c2.params()));
        p.extend(prefixed("bn2", self.bn2.params()));
        p.extend(prefixed("head", self.head.params()));
        p
    }
}

fn step(net: &Cnn, opt: &mut Adam, x: &Var, y: &Tensor) {
    let tape = Tape::new();
    let loss = tape.bce_with_logits(&net.forward(&tape, x), y, None);
    let grads = tape.backward(&loss, opt.params());
    opt.step(&grads);
}

fn train_step(c: &mut Criterion) {
    let gpu = gpu();
    let mut rng = Pcg64::seed_from_u64(0);
    let net = Cnn::new(&gpu, &mut rng);
    let config = AdamConfig {
        lr: 2e-4,
        beta1: 0.5,
        ..AdamConfig::default()
    };
    let mut opt = Adam::new(net.params(), config);
    let pixels: Vec<f32> = (0..BATCH * 28 * 28)
        .map(|_| rng.random_range(0.0..1.0))
        .collect();
    let labels: Vec<f32> = (0..BATCH).map(|i| (i % 2) as f32).collect();
    let x = Var::constant(Tensor::from_slice(&gpu, &[BATCH, 1, 28, 28], &pixels));
    let y = Tensor::from_slice(&gpu, &[BATCH], &labels);
    // Compile every pipeline and fill the buffer pool before timing.
    for _ in 0..3 {
        step(&net, &mut opt, &x, &y);
    }
    gpu.sync();

    let mut group = c.benchmark_group("train_step");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(10);
    group.bench_function("small_cnn_28x28_b64", |b| {
        b.iter_custom(|iters| time_gpu(&gpu, iters, || step(&net, &mut opt, &x, &y)))
    });
    group.finish();
}

criterion_group!(benches, train_step);
criterion_main!(benches);
