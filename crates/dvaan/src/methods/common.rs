//! Pieces the baseline methods share: optimisers from the run's configuration, named
//! parameters of several networks, the reconstruction loss, the noise streams of a step,
//! constant targets, and evaluation-mode passes.

use dvaan_autograd::{prefixed, Adam, AdamConfig, Layer, Param, Tape, Var};
use dvaan_tensor::ops::elementwise;
use dvaan_tensor::Tensor;

use crate::config::TrainConfig;
use crate::kernels::kl::ShiftedPriorKl;
use crate::models::{Decoder, Discriminator, Encoder};

/// One Adam per network, all with the run's learning rate and betas.
pub fn optimiser(name: &str, net: &dyn Layer, cfg: &TrainConfig) -> Adam {
    let config = AdamConfig {
        lr: cfg.lr,
        beta1: cfg.beta1,
        beta2: cfg.beta2,
        eps: 1e-8,
        weight_decay: 0.0,
    };
    Adam::new(prefixed(name, net.params()), config)
}

/// Parameters of named networks, `<name>.…`.
pub fn params_of(nets: &[(&str, &dyn Layer)]) -> Vec<(String, Param)> {
    nets.iter()
        .flat_map(|(n, l)| prefixed(n, l.params()))
        .collect()
}

pub fn buffers_of(nets: &[(&str, &dyn Layer)]) -> Vec<(String, Tensor)> {
    nets.iter()
        .flat_map(|(n, l)| prefixed(n, l.buffers()))
        .collect()
}

/// The noise of a step: the Philox offset of stream `s` at step `t` is `t·STREAMS + s`, so a
/// step's noise depends on the seed and the step alone.
pub struct Noise {
    pub seed: u64,
}

const STREAMS: u64 = 4;

impl Noise {
    pub fn offset(&self, step: u64, stream: u64) -> u64 {
        debug_assert!(stream < STREAMS);
        step * STREAMS + stream
    }
}

/// Reconstruction error as DVAAN measures it: mean BCE for images (pixels in [0, 1]), mean
/// squared error for standardised features.
pub fn reconstruction(tape: &Tape, images: bool, x_rec: &Var, x: &Tensor) -> Var {
    if images {
        tape.bce(x_rec, x)
    } else {
        tape.mse(x_rec, &Var::constant(x.clone()))
    }
}

/// KL to N(0, I), batch mean divided by the input size D (docs/DESIGN.md §5.2's scale).
pub fn kl_standard(tape: &Tape, m: &Var, logvar: &Var, sample_len: usize) -> Var {
    let zero = Tensor::zeros(m.value().gpu(), &[m.shape()[0]]);
    let kl = tape.kl_to_shifted_prior(m, logvar, &zero);
    tape.scale(&kl, 1.0 / sample_len as f32)
}

/// `[n]` targets of one value.
pub fn targets(gpu: &dvaan_tensor::Gpu, n: usize, value: f32) -> Tensor {
    elementwise::full(gpu, &[n], value)
}

/// Sum of `terms`, each with weight 1.
pub fn sum(tape: &Tape, terms: &[&Var]) -> Var {
    let w: Vec<(f32, &Var)> = terms.iter().map(|&t| (1.0, t)).collect();
    tape.weighted_sum(&w)
}

/// Splits a batch-concatenated value into `k` equal parts.
pub fn parts<const K: usize>(tape: &Tape, v: &Var) -> [Var; K] {
    let n = v.shape()[0] / K;
    tape.split(v, 0, &[n; K])
        .try_into()
        .unwrap_or_else(|_| unreachable!("split into {K}"))
}

/// The mean over the batch of `f [N, …]`, as `[1, F]`: a 1×1 convolution whose input
/// channels are the batch rows (weight 1/N each), so its backward is the convolution's.
pub fn batch_mean(tape: &Tape, f: &Var) -> Var {
    let n = f.shape()[0];
    let len: usize = f.shape()[1..].iter().product();
    let x = tape.reshape(f, &[1, n, len, 1]);
    let w = Var::constant(elementwise::full(
        f.value().gpu(),
        &[1, n, 1, 1],
        1.0 / n as f32,
    ));
    let mean = tape.conv2d(&x, &w, None, 1, 0);
    tape.reshape(&mean, &[1, len])
}

/// `logit` of a `[N, k]` multi-output discriminator, column `col`, as `[N]`.
pub fn column(tape: &Tape, logits: &Var, col: usize) -> Var {
    let (n, k) = (logits.shape()[0], logits.shape()[1]);
    let c = tape.split(logits, 1, &vec![1; k]).swap_remove(col);
    tape.reshape(&c, &[n])
}

/// Evaluation-mode passes (batch norm on running averages, nothing recorded).
pub fn eval_logits(dis: &dyn Discriminator, x: &Tensor) -> Tensor {
    dis.forward(&Tape::eval(), &Var::constant(x.clone()))
        .logit
        .value()
        .clone()
}

pub fn eval_mean(enc: &dyn Encoder, x: &Var) -> Tensor {
    enc.forward(&Tape::eval(), x).0.value().clone()
}

pub fn eval_decode(dec: &dyn Decoder, z: &Var) -> Tensor {
    dec.forward(&Tape::eval(), z).value().clone()
}

/// The logged value of a loss.
pub fn logged(v: &Var) -> Option<Tensor> {
    Some(v.value().clone())
}
