//! Training end to end: a small CNN separates two synthetic image classes, two runs with
//! one seed agree to the bit, and a warmed-up training step creates no GPU buffers or
//! pipelines and reads nothing back.

use dvaan_autograd::{
    prefixed, Adam, AdamConfig, BatchNorm2d, Conv2d, Layer, Linear, Param, Tape, Var,
};
use dvaan_tensor::{Gpu, Tensor};
use rand::Rng;
use rand_pcg::Pcg64;

use crate::common::*;

const SIDE: usize = 8;

#[test]
fn mlp_fits_xor() {
    let g = gpu();
    let mut r = rng(20);
    let (l1, l2) = (Linear::new(g, 2, 8, &mut r), Linear::new(g, 8, 1, &mut r));
    let mut params = prefixed("l1", l1.params());
    params.extend(prefixed("l2", l2.params()));
    let mut opt = Adam::new(
        params,
        AdamConfig {
            lr: 0.05,
            ..AdamConfig::default()
        },
    );
    let x = Var::constant(upload(&[4, 2], &[0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0]));
    let y = upload(&[4], &[0.0, 1.0, 1.0, 0.0]);
    let forward =
        |tape: &Tape| tape.reshape(&l2.forward(tape, &tape.tanh(&l1.forward(tape, &x))), &[4]);
    let mut losses = Vec::new();
    for _ in 0..150 {
        let tape = Tape::new();
        let loss = tape.bce_with_logits(&forward(&tape), &y, None);
        let grads = tape.backward(&loss, opt.params());
        opt.step(&grads);
        losses.push(loss.value().clone());
    }
    let logits = forward(&Tape::eval()).value().to_vec();
    let last = losses.last().unwrap().item();
    assert!(last < 0.05, "XOR loss after 150 steps: {last}");
    let predicted: Vec<bool> = logits.iter().map(|&l| l > 0.0).collect();
    assert_eq!(predicted, [false, true, true, false], "logits {logits:?}");
}

/// conv 1→4 k3 s2 p1 (8→4) → BN → ReLU → conv 4→1 k4 (4→1): one logit per image.
pub struct SmallCnn {
    conv1: Conv2d,
    bn1: BatchNorm2d,
    head: Conv2d,
}

impl SmallCnn {
    pub fn new(gpu: &Gpu, rng: &mut Pcg64) -> SmallCnn {
        SmallCnn {
            conv1: Conv2d::new(gpu, 1, 4, 3, 2, 1, rng),
            bn1: BatchNorm2d::new(gpu, 4),
            head: Conv2d::new(gpu, 4, 1, 4, 1, 0, rng),
        }
    }

    pub fn forward(&self, tape: &Tape, x: &Var) -> Var {
        let h = tape.relu(&self.bn1.forward(tape, &self.conv1.forward(tape, x)));
        let logits = self.head.forward(tape, &h);
        tape.reshape(&logits, &[x.shape()[0]])
    }
}

impl Layer for SmallCnn {
    fn params(&self) -> Vec<(String, Param)> {
        let mut p = prefixed("conv1", self.conv1.params());
        p.extend(prefixed("bn1", self.bn1.params()));
        p.extend(prefixed("head", self.head.params()));
        p
    }
}

/// Class 0 has a bright horizontal bar, class 1 a vertical one, at a random position,
/// over uniform noise: `n` images and their labels (alternating classes).
pub fn bars(rng: &mut Pcg64, n: usize) -> (Vec<f32>, Vec<f32>) {
    let mut x = vec![0.0f32; n * SIDE * SIDE];
    let mut y = vec![0.0f32; n];
    for i in 0..n {
        let img = &mut x[i * SIDE * SIDE..][..SIDE * SIDE];
        img.iter_mut().for_each(|v| *v = rng.random_range(0.0..0.5));
        let at = rng.random_range(0..SIDE);
        let vertical = i % 2 == 1;
        for j in 0..SIDE {
            let (r, c) = if vertical { (j, at) } else { (at, j) };
            img[r * SIDE + c] += 1.0;
        }
        y[i] = vertical as u8 as f32;
    }
    (x, y)
}

/// The data on the GPU as batches, uploaded once.
pub struct Batches {
    pub x: Vec<Var>,
    pub y: Vec<Tensor>,
}

pub fn batches(gpu: &Gpu, rng: &mut Pcg64, count: usize, batch: usize) -> Batches {
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for _ in 0..count {
        let (x, y) = bars(rng, batch);
        xs.push(Var::constant(Tensor::from_slice(
            gpu,
            &[batch, 1, SIDE, SIDE],
            &x,
        )));
        ys.push(Tensor::from_slice(gpu, &[batch], &y));
    }
    Batches { x: xs, y: ys }
}

/// One step: forward, BCE-with-logits, backward, Adam. Returns the loss, still on the GPU.
pub fn train_step(net: &SmallCnn, opt: &mut Adam, x: &Var, y: &Tensor) -> Tensor {
    let tape = Tape::new();
    let loss = tape.bce_with_logits(&net.forward(&tape, x), y, None);
    let grads = tape.backward(&loss, opt.params());
    opt.step(&grads);
    loss.value().clone()
}

pub fn setup(gpu: &Gpu, seed: u64) -> (SmallCnn, Adam, Batches) {
    let mut r = rng(seed);
    let net = SmallCnn::new(gpu, &mut r);
    let opt = Adam::new(
        net.params(),
        AdamConfig {
            lr: 0.02,
            ..AdamConfig::default()
        },
    );
    let data = batches(gpu, &mut r, 4, 32);
    (net, opt, data)
}

#[test]
fn small_cnn_separates_two_image_classes() {
    let g = gpu();
    let (net, mut opt, data) = setup(g, 21);
    let steps = 60;
    let losses: Vec<Tensor> = (0..steps)
        .map(|s| train_step(&net, &mut opt, &data.x[s % 4], &data.y[s % 4]))
        .collect();
    let losses: Vec<f32> = losses.iter().map(Tensor::item).collect();
    let first = losses[..10].iter().sum::<f32>() / 10.0;
    let last = losses[steps - 10..].iter().sum::<f32>() / 10.0;
    assert!(
        last < 0.5 * first,
        "loss did not fall: first ten steps {first}, last ten {last} ({losses:?})"
    );

    // Fresh images, evaluation mode (running statistics).
    let test = batches(g, &mut rng(99), 1, 200);
    let logits = net.forward(&Tape::eval(), &test.x[0]).value().to_vec();
    let labels = test.y[0].to_vec();
    let correct = logits
        .iter()
        .zip(&labels)
        .filter(|(l, y)| (**l > 0.0) == (**y > 0.5))
        .count();
    let accuracy = correct as f64 / labels.len() as f64;
    assert!(
        accuracy >= 0.95,
        "test accuracy {accuracy} after {steps} steps (losses {losses:?})"
    );
}

fn param_bits(net: &SmallCnn) -> Vec<u32> {
    net.params()
        .iter()
        .flat_map(|(_, p)| p.value().to_vec())
        .map(f32::to_bits)
        .collect()
}

#[test]
fn two_runs_with_one_seed_agree_to_the_bit() {
    let run = || {
        let (net, mut opt, data) = setup(gpu(), 22);
        for s in 0..8 {
            train_step(&net, &mut opt, &data.x[s % 4], &data.y[s % 4]);
        }
        let bn: Vec<u32> = net
            .bn1
            .running_var
            .to_vec()
            .iter()
            .map(|v| v.to_bits())
            .collect();
        (param_bits(&net), bn)
    };
    let (a, b) = (run(), run());
    assert!(a == b, "two runs with the same seed differ");
}

#[test]
fn a_warm_training_step_creates_nothing_and_reads_nothing_back() {
    // A private device, so that other tests' work does not move its counters.
    let gpu = Gpu::new().unwrap_or_else(|e| panic!("{e}"));
    let (net, mut opt, data) = setup(&gpu, 23);
    // Like a trainer that logs: the last loss stays alive while the next step runs.
    let mut last = None;
    for s in 0..3 {
        last = Some(train_step(&net, &mut opt, &data.x[s % 4], &data.y[s % 4]));
    }
    gpu.sync();
    let before = gpu.counters();
    for s in 3..7 {
        last = Some(train_step(&net, &mut opt, &data.x[s % 4], &data.y[s % 4]));
    }
    drop(last);
    gpu.sync();
    let after = gpu.counters();
    assert_eq!(
        after.buffers_created, before.buffers_created,
        "new GPU buffers in steady state"
    );
    assert_eq!(
        after.pipelines_created, before.pipelines_created,
        "new pipelines in steady state"
    );
    assert_eq!(
        after.readbacks, before.readbacks,
        "a training step read back from the GPU"
    );
    assert_eq!(
        after.uploads, before.uploads,
        "a training step uploaded from the host"
    );
    assert!(after.dispatches > before.dispatches);
}
