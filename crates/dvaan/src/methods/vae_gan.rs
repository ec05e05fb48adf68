//! `vae-gan` and `vae-gan-b`: Larsen et al.'s VAE-GAN adapted to classification as in the
//! paper's Table 1. DVAAN's encoder, decoder and discriminator; one prior N(0, I) for every
//! sample (no class margin), no prior samples, no augmentation. The discriminator classifies
//! positive vs negative on the reconstructions and on the real samples (as DVAAN's default
//! `L_adv`), and is the classifier. `vae-gan-b` draws class-balanced mini-batches.
//!
//! Losses (each a mean, as docs/DESIGN.md §5.2): `L_ele` reconstruction, `L_KL` to N(0, I) over
//! D, `L_adv = BCE(ℓ(x̃), y) + BCE(ℓ(x), y)`, `L_fea = mean (Dis_l(x̃) − Dis_l(x))²`.
//! Enc ← L_ele + L_KL + λ₁·L_fea; Dec ← L_ele + λ₁·L_fea + λ₂·L_adv; Dis ← L_adv.

use dvaan_autograd::{Adam, Param, Tape, Var};
use dvaan_tensor::ops::random;
use dvaan_tensor::{Gpu, Tensor};
use rand::SeedableRng;
use rand_pcg::Pcg64;

use super::common::{self as c, Noise};
use super::{Forward, Method, Sampling, StepLosses};
use crate::config::TrainConfig;
use crate::models::{Arch, Decoder, Discriminator, Encoder};
use crate::Error;

const EPS: u64 = 0;

pub struct VaeGan {
    enc: Box<dyn Encoder>,
    dec: Box<dyn Decoder>,
    dis: Box<dyn Discriminator>,
    opt_enc: Adam,
    opt_dec: Adam,
    opt_dis: Adam,
    images: bool,
    latent: usize,
    sample_len: usize,
    lambda1: f32,
    lambda2: f32,
    noise: Noise,
    balanced: bool,
    gpu: Gpu,
}

impl VaeGan {
    /// Networks drawn from `cfg.seed` in DVAAN's order (encoder, decoder, discriminator).
    pub fn new(
        gpu: &Gpu,
        cfg: &TrainConfig,
        sample_shape: &[usize],
        balanced: bool,
    ) -> Result<VaeGan, Error> {
        let arch = Arch::of(sample_shape)?;
        let mut rng = Pcg64::seed_from_u64(cfg.seed);
        let enc = arch.encoder(gpu, 0, cfg.latent, &mut rng);
        let dec = arch.decoder(gpu, cfg.latent, &mut rng);
        let dis = arch.discriminator(gpu, 1, &mut rng);
        Ok(VaeGan {
            opt_enc: c::optimiser("enc", enc.as_ref(), cfg),
            opt_dec: c::optimiser("dec", dec.as_ref(), cfg),
            opt_dis: c::optimiser("dis", dis.as_ref(), cfg),
            enc,
            dec,
            dis,
            images: arch.images(),
            latent: cfg.latent,
            sample_len: sample_shape.iter().product(),
            lambda1: cfg.lambda1,
            lambda2: cfg.lambda2,
            noise: Noise { seed: cfg.seed },
            balanced,
            gpu: gpu.clone(),
        })
    }
}

impl Method for VaeGan {
    fn forward(&self, tape: &Tape, x: &Tensor, y: &Tensor, step: u64) -> Forward {
        let (gpu, b) = (x.gpu(), x.dim(0));
        let xv = Var::constant(x.clone());
        let (m, logvar) = self.enc.forward(tape, &xv);
        let eps = random::normal(
            gpu,
            &[b, self.latent],
            self.noise.seed,
            self.noise.offset(step, EPS),
        );
        let x_rec = self
            .dec
            .forward(tape, &tape.reparameterize(&m, &logvar, &eps));
        let dis = self.dis.forward(tape, &tape.concat(&[&xv, &x_rec], 0));
        let [ell_x, ell_rec] = c::parts(tape, &dis.logit);
        let [f_x, f_rec] = c::parts(tape, &dis.features);

        let l_ele = c::reconstruction(tape, self.images, &x_rec, x);
        let l_kl = c::kl_standard(tape, &m, &logvar, self.sample_len);
        let l_adv = c::sum(
            tape,
            &[
                &tape.bce_with_logits(&ell_rec, y, None),
                &tape.bce_with_logits(&ell_x, y, None),
            ],
        );
        let l_fea = tape.mse(&f_rec, &f_x);
        let enc = tape.weighted_sum(&[(1.0, &l_ele), (1.0, &l_kl), (self.lambda1, &l_fea)]);
        let dec = tape.weighted_sum(&[
            (1.0, &l_ele),
            (self.lambda1, &l_fea),
            (self.lambda2, &l_adv),
        ]);
        Forward {
            logged: StepLosses {
                l_ele: c::logged(&l_ele),
                l_kl: c::logged(&l_kl),
                l_adv: c::logged(&l_adv),
                l_fea: c::logged(&l_fea),
            },
            objectives: vec![enc, dec, l_adv],
        }
    }

    fn optimisers(&self) -> Vec<(&'static str, &Adam)> {
        vec![
            ("enc", &self.opt_enc),
            ("dec", &self.opt_dec),
            ("dis", &self.opt_dis),
        ]
    }

    fn optimisers_mut(&mut self) -> Vec<(&'static str, &mut Adam)> {
        vec![
            ("enc", &mut self.opt_enc),
            ("dec", &mut self.opt_dec),
            ("dis", &mut self.opt_dis),
        ]
    }

    fn params(&self) -> Vec<(String, Param)> {
        c::params_of(&[
            ("enc", self.enc.as_ref()),
            ("dec", self.dec.as_ref()),
            ("dis", self.dis.as_ref()),
        ])
    }

    fn buffers(&self) -> Vec<(String, Tensor)> {
        c::buffers_of(&[
            ("enc", self.enc.as_ref()),
            ("dec", self.dec.as_ref()),
            ("dis", self.dis.as_ref()),
        ])
    }

    fn scores(&self, x: &Tensor) -> Tensor {
        c::eval_logits(self.dis.as_ref(), x)
    }

    fn encode(&self, x: &Tensor, _y: &Tensor) -> Option<Tensor> {
        Some(c::eval_mean(self.enc.as_ref(), &Var::constant(x.clone())))
    }

    fn reconstruct(&self, x: &Tensor, y: &Tensor) -> Option<Tensor> {
        let m = self.encode(x, y)?;
        Some(c::eval_decode(self.dec.as_ref(), &Var::constant(m)))
    }

    /// Four rows from the one prior N(0, I).
    fn sample_rows(&self, per_row: usize, seed: u64) -> Option<Tensor> {
        let z = random::normal(&self.gpu, &[4 * per_row, self.latent], seed, 0);
        Some(c::eval_decode(self.dec.as_ref(), &Var::constant(z)))
    }

    fn sampling(&self) -> Sampling {
        if self.balanced {
            Sampling::BalancedBatches
        } else {
            Sampling::Shuffle
        }
    }
}
