//! The network constructors by sample shape, parameterised for the methods that condition on a
//! label or need more than one output (docs/DESIGN.md §5.4): an encoder may take extra input
//! channels (label planes; extra features for tables), a decoder extra latent inputs (a one-hot
//! label), a discriminator several output logits (AC-GAN's real/fake and class heads). With no
//! extras they are DVAAN's networks of §5.1.

use dvaan_tensor::Gpu;
use rand_pcg::Pcg64;

use super::{conv, mlp, Decoder, Discriminator, Encoder};
use crate::Error;

/// Which family of networks a sample shape gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    /// `[C, H, W]` images, 1×28×28 or 3×32×32.
    Conv([usize; 3]),
    /// `[D]` standardised features.
    Mlp(usize),
}

impl Arch {
    pub fn of(sample_shape: &[usize]) -> Result<Arch, Error> {
        match *sample_shape {
            [c, h, w] if (c, h, w) == (1, 28, 28) || (c, h, w) == (3, 32, 32) => {
                Ok(Arch::Conv([c, h, w]))
            }
            [d] if d > 0 => Ok(Arch::Mlp(d)),
            _ => Err(Error::Usage(format!(
                "no network for samples of shape {sample_shape:?}: the image networks take \
                 1x28x28 or 3x32x32 images, the tabular ones a flat feature vector"
            ))),
        }
    }

    /// Images (BCE reconstruction) rather than tabular features (MSE).
    pub fn images(self) -> bool {
        matches!(self, Arch::Conv(_))
    }

    /// Encoder to `(m, logvar)` of size `latent`, for samples with `extra` more input
    /// channels (features).
    pub fn encoder(
        self,
        gpu: &Gpu,
        extra: usize,
        latent: usize,
        rng: &mut Pcg64,
    ) -> Box<dyn Encoder> {
        match self {
            Arch::Conv([c, h, w]) => {
                Box::new(conv::ConvEncoder::new(gpu, [c + extra, h, w], latent, rng))
            }
            Arch::Mlp(d) => Box::new(mlp::MlpEncoder::new(gpu, d + extra, latent, rng)),
        }
    }

    /// Decoder (generator) from `inputs` latent values to a sample.
    pub fn decoder(self, gpu: &Gpu, inputs: usize, rng: &mut Pcg64) -> Box<dyn Decoder> {
        match self {
            Arch::Conv(s) => Box::new(conv::ConvDecoder::new(gpu, s, inputs, rng)),
            Arch::Mlp(d) => Box::new(mlp::MlpDecoder::new(gpu, d, inputs, rng)),
        }
    }

    /// Discriminator with `outputs` logits (`DisOut::logit` is `[N]` for one, `[N, k]` for k).
    pub fn discriminator(
        self,
        gpu: &Gpu,
        outputs: usize,
        rng: &mut Pcg64,
    ) -> Box<dyn Discriminator> {
        match self {
            Arch::Conv(s) => Box::new(conv::ConvDiscriminator::with_outputs(gpu, s, outputs, rng)),
            Arch::Mlp(d) => Box::new(mlp::MlpDiscriminator::with_outputs(gpu, d, outputs, rng)),
        }
    }
}
