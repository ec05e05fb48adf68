//! `cvae-gan` (Bao et al. 2017): an encoder `E(x, c)` and a generator `G(z, c)` conditioned
//! on the label (label planes / one-hot, see `condition`), the prior N(0, I), a real/fake
//! discriminator D that trains the generator through feature matching, and a classifier C
//! (the discriminator architecture) trained on the real samples; C is the classifier.
//!
//! Per step, with `z = m + σ ⊙ ε` from `E(x, y)`, `x̃ = G(z, y)`, `z_p ~ N(0, I)`,
//! `x_p = G(z_p, y)`, and D run once on `[x; x̃; x_p]` (features `f` = D's `Dis_l`):
//! - `L_ele` reconstruction of x by x̃ (BCE for images, MSE for tables, as DVAAN), `L_KL` to
//!   N(0, I) over D;
//! - `L_fea = mean (f(x̃) − f(x))² + mean (f̄(x_p) − f̄(x))²`: pairwise feature matching for
//!   reconstructions, matching of batch-mean features for prior samples (Bao's L_GD);
//! - `L_D = BCE(D(x), 1) + BCE(D(x̃), 0) + BCE(D(x_p), 0)`; `L_C = BCE(C(x), y)`.
//!
//! E ← L_ele + L_KL + λ₁·L_fea; G ← L_ele + λ₁·L_fea; D ← L_D; C ← L_C. Bao's class-feature
//! matching through C (L_GC) is left out: C learns from real samples only, so it could not
//! change what the classifier does. Logged: `l_adv` = L_C (the classifier's loss).

use dvaan_autograd::{Adam, Param, Tape, Var};
use dvaan_tensor::ops::random;
use dvaan_tensor::{Gpu, Tensor};
use rand::SeedableRng;
use rand_pcg::Pcg64;

use super::common::{self as c, Noise};
use super::condition::{
    draw_positives, grid_labels, with_label, with_one_hot, LABEL_CHANNELS, ONE_HOT,
};
use super::{Forward, Method, StepLosses};
use crate::config::TrainConfig;
use crate::models::{Arch, Decoder, Discriminator, Encoder};
use crate::Error;

const EPS: u64 = 0;
const PRIOR: u64 = 1;

pub struct CvaeGan {
    enc: Box<dyn Encoder>,
    gen: Box<dyn Decoder>,
    dis: Box<dyn Discriminator>,
    cls: Box<dyn Discriminator>,
    opts: [Adam; 4],
    images: bool,
    latent: usize,
    sample_len: usize,
    lambda1: f32,
    noise: Noise,
    gpu: Gpu,
}

const NAMES: [&str; 4] = ["enc", "gen", "dis", "cls"];

impl CvaeGan {
    pub fn new(gpu: &Gpu, cfg: &TrainConfig, sample_shape: &[usize]) -> Result<CvaeGan, Error> {
        let arch = Arch::of(sample_shape)?;
        let mut rng = Pcg64::seed_from_u64(cfg.seed);
        let enc = arch.encoder(gpu, LABEL_CHANNELS, cfg.latent, &mut rng);
        let gen = arch.decoder(gpu, cfg.latent + ONE_HOT, &mut rng);
        let dis = arch.discriminator(gpu, 1, &mut rng);
        let cls = arch.discriminator(gpu, 1, &mut rng);
        Ok(CvaeGan {
            opts: [
                c::optimiser("enc", enc.as_ref(), cfg),
                c::optimiser("gen", gen.as_ref(), cfg),
                c::optimiser("dis", dis.as_ref(), cfg),
                c::optimiser("cls", cls.as_ref(), cfg),
            ],
            enc,
            gen,
            dis,
            cls,
            images: arch.images(),
            latent: cfg.latent,
            sample_len: sample_shape.iter().product(),
            lambda1: cfg.lambda1,
            noise: Noise { seed: cfg.seed },
            gpu: gpu.clone(),
        })
    }

    fn nets(&self) -> [(&'static str, &dyn dvaan_autograd::Layer); 4] {
        [
            (NAMES[0], self.enc.as_ref()),
            (NAMES[1], self.gen.as_ref()),
            (NAMES[2], self.dis.as_ref()),
            (NAMES[3], self.cls.as_ref()),
        ]
    }
}

impl Method for CvaeGan {
    fn forward(&self, tape: &Tape, x: &Tensor, y: &Tensor, step: u64) -> Forward {
        let (gpu, b, seed) = (x.gpu(), x.dim(0), self.noise.seed);
        let xv = Var::constant(x.clone());
        let (m, logvar) = self.enc.forward(tape, &with_label(tape, &xv, y));
        let eps = random::normal(gpu, &[b, self.latent], seed, self.noise.offset(step, EPS));
        let z = tape.reparameterize(&m, &logvar, &eps);
        let z_p = Var::constant(random::normal(
            gpu,
            &[b, self.latent],
            seed,
            self.noise.offset(step, PRIOR),
        ));
        let codes = tape.concat(
            &[&with_one_hot(tape, &z, y), &with_one_hot(tape, &z_p, y)],
            0,
        );
        let [x_rec, x_p] = c::parts(tape, &self.gen.forward(tape, &codes));
        let d = self
            .dis
            .forward(tape, &tape.concat(&[&xv, &x_rec, &x_p], 0));
        let [d_x, d_rec, d_p] = c::parts(tape, &d.logit);
        let [f_x, f_rec, f_p] = c::parts(tape, &d.features);

        let l_ele = c::reconstruction(tape, self.images, &x_rec, x);
        let l_kl = c::kl_standard(tape, &m, &logvar, self.sample_len);
        let l_fea = c::sum(
            tape,
            &[
                &tape.mse(&f_rec, &f_x),
                &tape.mse(&c::batch_mean(tape, &f_p), &c::batch_mean(tape, &f_x)),
            ],
        );
        let (ones, zeros) = (c::targets(gpu, b, 1.0), c::targets(gpu, b, 0.0));
        let l_d = c::sum(
            tape,
            &[
                &tape.bce_with_logits(&d_x, &ones, None),
                &tape.bce_with_logits(&d_rec, &zeros, None),
                &tape.bce_with_logits(&d_p, &zeros, None),
            ],
        );
        let l_c = tape.bce_with_logits(&self.cls.forward(tape, &xv).logit, y, None);
        let enc = tape.weighted_sum(&[(1.0, &l_ele), (1.0, &l_kl), (self.lambda1, &l_fea)]);
        let gen = tape.weighted_sum(&[(1.0, &l_ele), (self.lambda1, &l_fea)]);
        Forward {
            logged: StepLosses {
                l_ele: c::logged(&l_ele),
                l_kl: c::logged(&l_kl),
                l_adv: c::logged(&l_c),
                l_fea: c::logged(&l_fea),
            },
            objectives: vec![enc, gen, l_d, l_c],
        }
    }

    fn optimisers(&self) -> Vec<(&'static str, &Adam)> {
        NAMES.into_iter().zip(self.opts.iter()).collect()
    }

    fn optimisers_mut(&mut self) -> Vec<(&'static str, &mut Adam)> {
        NAMES.into_iter().zip(self.opts.iter_mut()).collect()
    }

    fn params(&self) -> Vec<(String, Param)> {
        c::params_of(&self.nets())
    }

    fn buffers(&self) -> Vec<(String, Tensor)> {
        c::buffers_of(&self.nets())
    }

    fn scores(&self, x: &Tensor) -> Tensor {
        c::eval_logits(self.cls.as_ref(), x)
    }

    fn encode(&self, x: &Tensor, y: &Tensor) -> Option<Tensor> {
        let tape = Tape::eval();
        Some(c::eval_mean(
            self.enc.as_ref(),
            &with_label(&tape, &Var::constant(x.clone()), y),
        ))
    }

    /// `G(m, y)` with `m` the posterior mean of `E(x, y)`.
    fn reconstruct(&self, x: &Tensor, y: &Tensor) -> Option<Tensor> {
        let m = self.encode(x, y)?;
        let tape = Tape::eval();
        Some(c::eval_decode(
            self.gen.as_ref(),
            &with_one_hot(&tape, &Var::constant(m), y),
        ))
    }

    /// Positives from N(0, I) with the positive class's label.
    fn draw_positives(&self, n: usize, seed: u64, offset: u64) -> Option<Tensor> {
        let gen = self.gen.as_ref();
        Some(draw_positives(&self.gpu, gen, self.latent, n, seed, offset))
    }

    fn sample_rows(&self, per_row: usize, seed: u64) -> Option<Tensor> {
        let labels = grid_labels(&self.gpu, per_row);
        let z = random::normal(&self.gpu, &[4 * per_row, self.latent], seed, 0);
        let tape = Tape::eval();
        Some(c::eval_decode(
            self.gen.as_ref(),
            &with_one_hot(&tape, &Var::constant(z), &labels),
        ))
    }
}
