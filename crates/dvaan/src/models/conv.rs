//! The convolutional networks of docs/DESIGN.md §5.1 for 28×28×1 and 32×32×3 images. Spatial
//! sizes: encoder 28→14→7→4→2 (32→16→8→4→2), decoder back up, discriminator 28→14→7→4
//! (32→16→8→4). Each constructor walks its layers' output sizes and checks them.
//!
//! Next hop toward the kernels: each layer is a [`Block`] (`block.rs`) whose convolution is
//! `dvaan_autograd::Conv2d` or `ConvTranspose2d` (`crates/autograd/src/layers/conv.rs`).

use dvaan_autograd::{Activation, Layer, Param, Tape, Var};
use dvaan_tensor::{Gpu, Tensor};
use rand_pcg::Pcg64;

use super::block::{buffers_of, chain, params_of, Block};
use super::{Decoder, DisOut, Discriminator, Encoder};

const RELU: Option<Activation> = Some(Activation::Relu);

/// Checks that `blocks` take spatial size `h` through `sizes` (one entry per block).
fn check_sizes(net: &str, blocks: &[Block], mut h: usize, sizes: &[usize]) {
    let got: Vec<usize> = blocks[..sizes.len()]
        .iter()
        .map(|b| {
            h = b.out_size(h);
            h
        })
        .collect();
    assert_eq!(got, sizes, "{net}: spatial sizes through the layers");
}

pub struct ConvEncoder {
    convs: Vec<Block>,
    head: Vec<Block>,
}

impl ConvEncoder {
    /// conv 64 k5 s2 p2, 92 k5 s2 p2, 128 k3 s2 p1, 256 k3 s2 p1 (each BN, ReLU);
    /// FC 512 (BN, ReLU); FC 2d.
    pub fn new(gpu: &Gpu, [c, h, _]: [usize; 3], latent: usize, rng: &mut Pcg64) -> ConvEncoder {
        let specs = [
            (64, 5, 2, 2, 0),
            (92, 5, 2, 2, 0),
            (128, 3, 2, 1, 0),
            (256, 3, 2, 1, 0),
        ];
        let mut in_ch = c;
        let convs: Vec<Block> = specs
            .iter()
            .map(|&s| {
                let b = Block::conv(gpu, in_ch, s, true, RELU, rng);
                in_ch = s.0;
                b
            })
            .collect();
        check_sizes("encoder", &convs, h, &[h / 2, h.div_ceil(4), 4, 2]);
        let head = vec![
            Block::dense(gpu, 256 * 2 * 2, 512, true, RELU, rng),
            Block::dense(gpu, 512, 2 * latent, false, None, rng),
        ];
        ConvEncoder { convs, head }
    }
}

impl Encoder for ConvEncoder {
    fn posterior(&self, tape: &Tape, x: &Var) -> Var {
        let h = tape.flatten(&chain(&self.convs, tape, x));
        chain(&self.head, tape, &h)
    }
}

pub struct ConvDecoder {
    fcs: Vec<Block>,
    deconvs: Vec<Block>,
}

impl ConvDecoder {
    /// FC d→512, 512→256·2·2 (ReLU); deconv 128 k3, 92 k3, 64 k5 (each BN, ReLU), C k5
    /// (sigmoid), all stride 2. Output padding 1 everywhere except the 4→7 step of 28×28.
    pub fn new(gpu: &Gpu, [c, h, _]: [usize; 3], latent: usize, rng: &mut Pcg64) -> ConvDecoder {
        let fcs = vec![
            Block::dense(gpu, latent, 512, false, RELU, rng),
            Block::dense(gpu, 512, 256 * 2 * 2, false, RELU, rng),
        ];
        let op2 = usize::from(h == 32);
        let sig = Some(Activation::Sigmoid);
        let deconvs = vec![
            Block::deconv(gpu, 256, (128, 3, 2, 1, 1), true, RELU, rng),
            Block::deconv(gpu, 128, (92, 3, 2, 1, op2), true, RELU, rng),
            Block::deconv(gpu, 92, (64, 5, 2, 2, 1), true, RELU, rng),
            Block::deconv(gpu, 64, (c, 5, 2, 2, 1), false, sig, rng),
        ];
        check_sizes("decoder", &deconvs, 2, &[4, h.div_ceil(4), h / 2, h]);
        ConvDecoder { fcs, deconvs }
    }
}

impl Decoder for ConvDecoder {
    fn forward(&self, tape: &Tape, z: &Var) -> Var {
        let h = chain(&self.fcs, tape, z);
        let h = tape.reshape(&h, &[z.shape()[0], 256, 2, 2]);
        chain(&self.deconvs, tape, &h)
    }
}

pub struct ConvDiscriminator {
    convs: Vec<Block>,
    head: Vec<Block>,
}

impl ConvDiscriminator {
    /// conv 32 k5 s2 p2 (ReLU); conv 128, conv 256 k5 s2 p2 (BN, ReLU; the last is Dis_l);
    /// FC 512 (BN, ReLU); FC 1.
    pub fn new(gpu: &Gpu, shape: [usize; 3], rng: &mut Pcg64) -> ConvDiscriminator {
        ConvDiscriminator::with_outputs(gpu, shape, 1, rng)
    }

    /// The same with `outputs` logits from the last layer (AC-GAN's real/fake and class).
    pub fn with_outputs(
        gpu: &Gpu,
        [c, h, _]: [usize; 3],
        outputs: usize,
        rng: &mut Pcg64,
    ) -> ConvDiscriminator {
        let convs = vec![
            Block::conv(gpu, c, (32, 5, 2, 2, 0), false, RELU, rng),
            Block::conv(gpu, 32, (128, 5, 2, 2, 0), true, RELU, rng),
            Block::conv(gpu, 128, (256, 5, 2, 2, 0), true, RELU, rng),
        ];
        check_sizes("discriminator", &convs, h, &[h / 2, h.div_ceil(4), 4]);
        let head = vec![
            Block::dense(gpu, 256 * 4 * 4, 512, true, RELU, rng),
            Block::dense(gpu, 512, outputs, false, None, rng),
        ];
        ConvDiscriminator { convs, head }
    }
}

impl Discriminator for ConvDiscriminator {
    fn forward(&self, tape: &Tape, x: &Var) -> DisOut {
        let features = chain(&self.convs, tape, x);
        let logit = chain(&self.head, tape, &tape.flatten(&features));
        DisOut {
            logit: super::squeeze_single(tape, logit),
            features,
        }
    }
}

impl Layer for ConvEncoder {
    fn params(&self) -> Vec<(String, Param)> {
        params_of(&[("", &self.convs), ("head", &self.head)])
    }
    fn buffers(&self) -> Vec<(String, Tensor)> {
        buffers_of(&[("", &self.convs), ("head", &self.head)])
    }
}

impl Layer for ConvDecoder {
    fn params(&self) -> Vec<(String, Param)> {
        params_of(&[("", &self.fcs), ("up", &self.deconvs)])
    }
    fn buffers(&self) -> Vec<(String, Tensor)> {
        buffers_of(&[("", &self.fcs), ("up", &self.deconvs)])
    }
}

impl Layer for ConvDiscriminator {
    fn params(&self) -> Vec<(String, Param)> {
        params_of(&[("", &self.convs), ("head", &self.head)])
    }
    fn buffers(&self) -> Vec<(String, Tensor)> {
        buffers_of(&[("", &self.convs), ("head", &self.head)])
    }
}
