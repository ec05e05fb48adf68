//! One stage of a network: a convolution, transposed convolution or fully connected layer,
//! optionally followed by batch norm, then an optional activation. The models are lists of
//! these, so their parameter names read like the paper's layer lists
//! (`enc.2.conv.weight`, `enc.2.bn.running_mean`, …).
//!
//! Next hop toward the kernels: the layers of `dvaan_autograd` (`crates/autograd/src/layers/`:
//! `conv.rs`, `linear.rs`, `batch_norm.rs`), each calling one tape op.

use dvaan_autograd::{
    prefixed, Activation, BatchNorm, Conv2d, ConvTranspose2d, Layer, Param, Tape, Var,
};
use dvaan_tensor::{Gpu, Tensor};
use rand_pcg::Pcg64;

use dvaan_autograd::layers::Linear;

pub enum Op {
    Conv(Conv2d),
    Deconv(ConvTranspose2d),
    Dense(Linear),
}

pub struct Block {
    pub op: Op,
    pub bn: Option<BatchNorm>,
    pub act: Option<Activation>,
}

/// `(out channels, kernel, stride, padding, output padding)` of a (transposed) convolution.
pub type ConvSpec = (usize, usize, usize, usize, usize);

impl Block {
    pub fn conv(
        gpu: &Gpu,
        in_ch: usize,
        (o, k, s, p, _): ConvSpec,
        bn: bool,
        act: Option<Activation>,
        rng: &mut Pcg64,
    ) -> Block {
        let op = Op::Conv(Conv2d::new(gpu, in_ch, o, k, s, p, rng));
        Block::with(gpu, op, o, bn, act)
    }

    pub fn deconv(
        gpu: &Gpu,
        in_ch: usize,
        (o, k, s, p, op_): ConvSpec,
        bn: bool,
        act: Option<Activation>,
        rng: &mut Pcg64,
    ) -> Block {
        let op = Op::Deconv(ConvTranspose2d::new(gpu, in_ch, o, k, s, p, op_, rng));
        Block::with(gpu, op, o, bn, act)
    }

    pub fn dense(
        gpu: &Gpu,
        inp: usize,
        out: usize,
        bn: bool,
        act: Option<Activation>,
        rng: &mut Pcg64,
    ) -> Block {
        Block::with(
            gpu,
            Op::Dense(Linear::new(gpu, inp, out, rng)),
            out,
            bn,
            act,
        )
    }

    fn with(gpu: &Gpu, op: Op, channels: usize, bn: bool, act: Option<Activation>) -> Block {
        let bn = bn.then(|| BatchNorm::new(gpu, channels));
        Block { op, bn, act }
    }

    pub fn forward(&self, tape: &Tape, x: &Var) -> Var {
        if let (Op::Dense(l), None) = (&self.op, &self.bn) {
            // No batch norm between them: the product applies the activation as it stores.
            return l.forward_activated(tape, x, self.act);
        }
        let mut y = match &self.op {
            Op::Conv(c) => c.forward(tape, x),
            Op::Deconv(d) => d.forward(tape, x),
            Op::Dense(l) => l.forward(tape, x),
        };
        if let Some(bn) = &self.bn {
            // Batch norm and its ReLU run fused: the same values, fewer dispatches.
            if self.act == Some(Activation::Relu) {
                return bn.forward_relu(tape, &y);
            }
            y = bn.forward(tape, &y);
        }
        match self.act {
            Some(a) => tape.activation(&y, a),
            None => y,
        }
    }

    /// Output spatial size for an input of size `h` (1 for dense layers).
    pub fn out_size(&self, h: usize) -> usize {
        match &self.op {
            Op::Conv(c) => {
                let k = c.weight.shape()[2];
                (h + 2 * c.padding).saturating_sub(k) / c.stride + 1
            }
            Op::Deconv(d) => {
                let k = d.weight.shape()[2];
                ((h - 1) * d.stride + k + d.output_padding).saturating_sub(2 * d.padding)
            }
            Op::Dense(_) => 1,
        }
    }
}

impl Layer for Block {
    fn params(&self) -> Vec<(String, Param)> {
        let mut p = match &self.op {
            Op::Conv(c) => prefixed("conv", c.params()),
            Op::Deconv(d) => prefixed("deconv", d.params()),
            Op::Dense(l) => prefixed("fc", l.params()),
        };
        p.extend(self.bn.iter().flat_map(|b| prefixed("bn", b.params())));
        p
    }

    fn buffers(&self) -> Vec<(String, Tensor)> {
        self.bn
            .iter()
            .flat_map(|b| prefixed("bn", b.buffers()))
            .collect()
    }
}

/// Runs `blocks` in order.
pub fn chain(blocks: &[Block], tape: &Tape, x: &Var) -> Var {
    blocks.iter().fold(x.clone(), |h, b| b.forward(tape, &h))
}

/// The parameters of groups of blocks, named `group.index.…` (`index.…` for the group "").
pub fn params_of(groups: &[(&str, &[Block])]) -> Vec<(String, Param)> {
    named(groups, Block::params)
}

pub fn buffers_of(groups: &[(&str, &[Block])]) -> Vec<(String, Tensor)> {
    named(groups, Block::buffers)
}

fn named<T>(
    groups: &[(&str, &[Block])],
    list: impl Fn(&Block) -> Vec<(String, T)>,
) -> Vec<(String, T)> {
    let mut out = Vec::new();
    for (group, blocks) in groups {
        for (i, b) in blocks.iter().enumerate() {
            let prefix = if group.is_empty() {
                i.to_string()
            } else {
                format!("{group}.{i}")
            };
            out.extend(prefixed(&prefix, list(b)));
        }
    }
    out
}
