//! `ac-gan` (Odena et al. 2017): a generator `G(z, onehot(c))` (DVAAN's decoder with two
//! more latent inputs) and a discriminator (DVAAN's, with two output logits) that has a
//! real/fake head and a class head. The class head is the classifier.
//!
//! Per step, with `c ~ Bernoulli(½)`, `z ~ N(0, I)`, `x_f = G(z, c)`, and the discriminator
//! run once on `[x; x_f]`:
//! - D ← `L_D = BCE(rf(x), 1) + BCE(rf(x_f), 0) + BCE(cls(x), y) + BCE(cls(x_f), c)`;
//! - G ← `L_G = BCE(rf(x_f), 1) + BCE(cls(x_f), c)` (the non-saturating generator loss).
//!
//! Logged: `l_adv` = L_D, `l_fea` = L_G (no reconstruction or KL).

use dvaan_autograd::{Adam, Param, Tape, Var};
use dvaan_tensor::ops::random;
use dvaan_tensor::{Gpu, Tensor};
use rand::SeedableRng;
use rand_pcg::Pcg64;

use super::common::{self as c, Noise};
use super::condition::{draw_positives, grid_labels, random_labels, with_one_hot, ONE_HOT};
use super::{Forward, Method, StepLosses};
use crate::config::TrainConfig;
use crate::models::{Arch, Decoder, Discriminator};
use crate::Error;

const LABELS: u64 = 0;
const Z: u64 = 1;
/// Columns of the discriminator's output.
const REAL: usize = 0;
const CLASS: usize = 1;

pub struct AcGan {
    gen: Box<dyn Decoder>,
    dis: Box<dyn Discriminator>,
    opt_gen: Adam,
    opt_dis: Adam,
    latent: usize,
    noise: Noise,
    gpu: Gpu,
}

impl AcGan {
    pub fn new(gpu: &Gpu, cfg: &TrainConfig, sample_shape: &[usize]) -> Result<AcGan, Error> {
        let arch = Arch::of(sample_shape)?;
        let mut rng = Pcg64::seed_from_u64(cfg.seed);
        let gen = arch.decoder(gpu, cfg.latent + ONE_HOT, &mut rng);
        let dis = arch.discriminator(gpu, 2, &mut rng);
        Ok(AcGan {
            opt_gen: c::optimiser("gen", gen.as_ref(), cfg),
            opt_dis: c::optimiser("dis", dis.as_ref(), cfg),
            gen,
            dis,
            latent: cfg.latent,
            noise: Noise { seed: cfg.seed },
            gpu: gpu.clone(),
        })
    }
}

impl Method for AcGan {
    fn forward(&self, tape: &Tape, x: &Tensor, y: &Tensor, step: u64) -> Forward {
        let (gpu, b, seed) = (x.gpu(), x.dim(0), self.noise.seed);
        let labels = random_labels(gpu, b, seed, self.noise.offset(step, LABELS));
        let z = random::normal(gpu, &[b, self.latent], seed, self.noise.offset(step, Z));
        let x_f = self
            .gen
            .forward(tape, &with_one_hot(tape, &Var::constant(z), &labels));
        let out = self
            .dis
            .forward(tape, &tape.concat(&[&Var::constant(x.clone()), &x_f], 0));
        let [rf_x, rf_f] = c::parts(tape, &c::column(tape, &out.logit, REAL));
        let [cls_x, cls_f] = c::parts(tape, &c::column(tape, &out.logit, CLASS));
        let (ones, zeros) = (c::targets(gpu, b, 1.0), c::targets(gpu, b, 0.0));

        let class_fake = tape.bce_with_logits(&cls_f, &labels, None);
        let l_d = c::sum(
            tape,
            &[
                &tape.bce_with_logits(&rf_x, &ones, None),
                &tape.bce_with_logits(&rf_f, &zeros, None),
                &tape.bce_with_logits(&cls_x, y, None),
                &class_fake,
            ],
        );
        let l_g = c::sum(
            tape,
            &[&tape.bce_with_logits(&rf_f, &ones, None), &class_fake],
        );
        Forward {
            logged: StepLosses {
                l_adv: c::logged(&l_d),
                l_fea: c::logged(&l_g),
                ..StepLosses::default()
            },
            objectives: vec![l_g, l_d],
        }
    }

    fn optimisers(&self) -> Vec<(&'static str, &Adam)> {
        vec![("gen", &self.opt_gen), ("dis", &self.opt_dis)]
    }

    fn optimisers_mut(&mut self) -> Vec<(&'static str, &mut Adam)> {
        vec![("gen", &mut self.opt_gen), ("dis", &mut self.opt_dis)]
    }

    fn params(&self) -> Vec<(String, Param)> {
        c::params_of(&[("gen", self.gen.as_ref()), ("dis", self.dis.as_ref())])
    }

    fn buffers(&self) -> Vec<(String, Tensor)> {
        c::buffers_of(&[("gen", self.gen.as_ref()), ("dis", self.dis.as_ref())])
    }

    /// The class head's logit.
    fn scores(&self, x: &Tensor) -> Tensor {
        let logits = c::eval_logits(self.dis.as_ref(), x);
        let tape = Tape::eval();
        c::column(&tape, &Var::constant(logits), CLASS)
            .value()
            .clone()
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
        let zc = with_one_hot(&tape, &Var::constant(z), &labels);
        Some(c::eval_decode(self.gen.as_ref(), &zc))
    }
}
