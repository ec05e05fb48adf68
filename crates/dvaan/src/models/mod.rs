//! The three networks of DVAAN (docs/DESIGN.md §5.1): an encoder to `(m, logvar)`, a decoder
//! back to sample space, and a discriminator that gives a positive-vs-negative logit and its
//! feature layer `Dis_l`. Convolutional for 28×28×1 and 32×32×3 images ([`conv`]), fully
//! connected for tabular data ([`mlp`]). Models are plain structs of [`Block`]s; the tape's
//! mode (training or evaluation) picks how their batch norms normalise.

mod block;
mod build;
pub mod conv;
pub mod mlp;

pub use block::Block;
pub use build::Arch;
pub use dvaan_autograd::layers::Linear;

use dvaan_autograd::{prefixed, Layer, Param, Tape, Var};
use dvaan_tensor::{Gpu, Tensor};
use rand_pcg::Pcg64;

use crate::Error;

pub trait Encoder: Layer {
    /// `x [N, …]` → the posterior's parameters side by side, `[N, 2d]`: `m` in columns
    /// 0..d, `logvar` in d..2d (what `kernels::posterior` reads in place).
    fn posterior(&self, tape: &Tape, x: &Var) -> Var;

    /// `x [N, …]` → `(m, logvar)`, each `[N, d]`: [`Encoder::posterior`] split.
    fn forward(&self, tape: &Tape, x: &Var) -> (Var, Var) {
        let h = self.posterior(tape, x);
        let d = h.shape()[1] / 2;
        let mut parts = tape.split(&h, 1, &[d, d]);
        let logvar = parts.pop().expect("two parts");
        (parts.pop().expect("two parts"), logvar)
    }
}

pub trait Decoder: Layer {
    /// `z [N, d]` → `[N, …]` in sample space (pixels in [0, 1], or standardised features).
    fn forward(&self, tape: &Tape, z: &Var) -> Var;
}

/// What the discriminator returns for a batch.
pub struct DisOut {
    /// `[N]`; P(positive | x) = sigmoid(logit). `[N, k]` for a discriminator built with
    /// k > 1 outputs (`Arch::discriminator`).
    pub logit: Var,
    /// `Dis_l`, the feature layer that `L_fea` compares.
    pub features: Var,
}

pub trait Discriminator: Layer {
    fn forward(&self, tape: &Tape, x: &Var) -> DisOut;
}

/// Encoder, decoder and discriminator for one sample shape and latent size.
pub struct Networks {
    pub enc: Box<dyn Encoder>,
    pub dec: Box<dyn Decoder>,
    pub dis: Box<dyn Discriminator>,
    /// Images (BCE reconstruction) or tabular features (MSE).
    pub images: bool,
}

impl Networks {
    /// Convolutional networks for `[1, 28, 28]` and `[3, 32, 32]`, fully connected ones for
    /// `[D]`; weights drawn from `rng` in the order encoder, decoder, discriminator.
    pub fn new(
        gpu: &Gpu,
        sample_shape: &[usize],
        latent: usize,
        rng: &mut Pcg64,
    ) -> Result<Networks, Error> {
        if latent == 0 {
            return Err(Error::Usage("the latent size must be at least 1".into()));
        }
        let arch = Arch::of(sample_shape)?;
        Ok(Networks {
            enc: arch.encoder(gpu, 0, latent, rng),
            dec: arch.decoder(gpu, latent, rng),
            dis: arch.discriminator(gpu, 1, rng),
            images: arch.images(),
        })
    }

    /// Every trainable parameter, named `enc.…`, `dec.…`, `dis.…`.
    pub fn params(&self) -> Vec<(String, Param)> {
        let mut p = prefixed("enc", self.enc.params());
        p.extend(prefixed("dec", self.dec.params()));
        p.extend(prefixed("dis", self.dis.params()));
        p
    }

    /// Batch-norm running statistics, named like [`Networks::params`].
    pub fn buffers(&self) -> Vec<(String, Tensor)> {
        let mut b = prefixed("enc", self.enc.buffers());
        b.extend(prefixed("dec", self.dec.buffers()));
        b.extend(prefixed("dis", self.dis.buffers()));
        b
    }
}

/// A one-column `[N, 1]` logit as `[N]`; several columns stay `[N, k]`.
fn squeeze_single(tape: &Tape, logit: Var) -> Var {
    match *logit.shape() {
        [n, 1] => tape.reshape(&logit, &[n]),
        _ => logit,
    }
}
