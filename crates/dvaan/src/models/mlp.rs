//! The fully connected networks of docs/DESIGN.md §5.1 for tabular data with `D` standardised
//! features: encoder D→512→256→2d, decoder d→256→512→D (linear output), discriminator
//! D→512→256 (= Dis_l)→1. Hidden layers are FC → BN → ReLU, except the discriminator's first,
//! which has no batch norm (as its first convolution in the image networks).
//!
//! Next hop toward the kernels: each layer is a [`Block`] (`block.rs`) around
//! `dvaan_autograd::layers::Linear` (`crates/autograd/src/layers/linear.rs`).

use dvaan_autograd::{Activation, Layer, Param, Tape, Var};
use dvaan_tensor::{Gpu, Tensor};
use rand_pcg::Pcg64;

use super::block::{buffers_of, chain, params_of, Block};
use super::{Decoder, DisOut, Discriminator, Encoder};

const RELU: Option<Activation> = Some(Activation::Relu);

pub struct MlpEncoder {
    layers: Vec<Block>,
}

impl MlpEncoder {
    pub fn new(gpu: &Gpu, features: usize, latent: usize, rng: &mut Pcg64) -> MlpEncoder {
        let layers = vec![
            Block::dense(gpu, features, 512, true, RELU, rng),
            Block::dense(gpu, 512, 256, true, RELU, rng),
            Block::dense(gpu, 256, 2 * latent, false, None, rng),
        ];
        MlpEncoder { layers }
    }
}

impl Encoder for MlpEncoder {
    fn posterior(&self, tape: &Tape, x: &Var) -> Var {
        chain(&self.layers, tape, x)
    }
}

pub struct MlpDecoder {
    layers: Vec<Block>,
}

impl MlpDecoder {
    pub fn new(gpu: &Gpu, features: usize, latent: usize, rng: &mut Pcg64) -> MlpDecoder {
        let layers = vec![
            Block::dense(gpu, latent, 256, true, RELU, rng),
            Block::dense(gpu, 256, 512, true, RELU, rng),
            Block::dense(gpu, 512, features, false, None, rng),
        ];
        MlpDecoder { layers }
    }
}

impl Decoder for MlpDecoder {
    fn forward(&self, tape: &Tape, z: &Var) -> Var {
        chain(&self.layers, tape, z)
    }
}

pub struct MlpDiscriminator {
    features: Vec<Block>,
    head: Vec<Block>,
}

impl MlpDiscriminator {
    pub fn new(gpu: &Gpu, features: usize, rng: &mut Pcg64) -> MlpDiscriminator {
        MlpDiscriminator::with_outputs(gpu, features, 1, rng)
    }

    /// The same with `outputs` logits from the last layer (AC-GAN's real/fake and class).
    pub fn with_outputs(
        gpu: &Gpu,
        features: usize,
        outputs: usize,
        rng: &mut Pcg64,
    ) -> MlpDiscriminator {
        let layers = vec![
            Block::dense(gpu, features, 512, false, RELU, rng),
            Block::dense(gpu, 512, 256, true, RELU, rng),
        ];
        let head = vec![Block::dense(gpu, 256, outputs, false, None, rng)];
        MlpDiscriminator {
            features: layers,
            head,
        }
    }
}

impl Discriminator for MlpDiscriminator {
    fn forward(&self, tape: &Tape, x: &Var) -> DisOut {
        let features = chain(&self.features, tape, x);
        let logit = chain(&self.head, tape, &features);
        DisOut {
            logit: super::squeeze_single(tape, logit),
            features,
        }
    }
}

impl Layer for MlpEncoder {
    fn params(&self) -> Vec<(String, Param)> {
        params_of(&[("", &self.layers)])
    }
    fn buffers(&self) -> Vec<(String, Tensor)> {
        buffers_of(&[("", &self.layers)])
    }
}

impl Layer for MlpDecoder {
    fn params(&self) -> Vec<(String, Param)> {
        params_of(&[("", &self.layers)])
    }
    fn buffers(&self) -> Vec<(String, Tensor)> {
        buffers_of(&[("", &self.layers)])
    }
}

impl Layer for MlpDiscriminator {
    fn params(&self) -> Vec<(String, Param)> {
        params_of(&[("", &self.features), ("head", &self.head)])
    }
    fn buffers(&self) -> Vec<(String, Tensor)> {
        buffers_of(&[("", &self.features), ("head", &self.head)])
    }
}
