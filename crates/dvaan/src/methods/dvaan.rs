//! One DVAAN training step (docs/DESIGN.md §5.2), all on the GPU and on one tape:
//!
//! 1. `(m, logvar) = Enc(x)`, `z = m + exp(½·logvar) ⊙ ε` (with the KL term, one fused op:
//!    `kernels::posterior`);
//! 2. prior samples `y_p ~ Bernoulli(½)`, `z_p ~ N(s_{y_p}·μ·1, I)`; `Dec([z; z_p])` gives the
//!    reconstructions `x̃` and the prior samples `x_p` in one pass, `Dis([x; x̃; x_p])` scores
//!    all three in one pass (batch norm sees the concatenated batch);
//! 3. the four losses, each a mean ([`Losses`]);
//! 4. each network's gradient of its own combination of the losses ([`Dvaan::objectives`]),
//!    with the discriminator's backward shared ([`Dvaan::gradients`]), then one Adam update
//!    per network;
//! 5. the margin update of Eq. 10 ([`Dvaan::update_margin`]), unless μ is fixed.
//!
//! Noise comes from the counter-based generator with an offset derived from the global step,
//! so a step's randomness does not depend on what ran before it (resuming reproduces a run).
//!
//! Toward the kernels, the next hop is the networks the step calls, `crate::models`
//! (`models/conv.rs` for images, `models/mlp.rs` for tables).

use dvaan_autograd::{prefixed, Adam, AdamConfig, Gradients, Layer, Tape, Var};
use dvaan_tensor::ops::concat::concat;
use dvaan_tensor::ops::{elementwise, random, reparam};
use dvaan_tensor::{Gpu, Tensor};
use rand::SeedableRng;
use rand_pcg::Pcg64;

use super::{train_step, StepLosses};
use crate::config::TrainConfig;
use crate::kernels::margin::{margin_update, MarginConfig};
use crate::kernels::posterior::PosteriorSample;
use crate::kernels::prior::class_prior_mean;
use crate::models::Networks;
use crate::Error;

/// The generator streams of one step: the Philox offset is `step · STREAMS + stream`.
const STREAMS: u64 = 4;
const EPS: u64 = 0;
const PRIOR_LABELS: u64 = 1;
const PRIOR_NOISE: u64 = 2;

/// The four losses of a step, as `[1]` values on the tape.
pub struct Losses {
    /// Reconstruction: BCE (images) or MSE (tables), mean over batch and elements.
    pub l_ele: Var,
    /// KL to the class prior `N(s_y·μ·1, I)`, batch mean divided by the input size D.
    pub l_kl: Var,
    /// Class BCE of the discriminator on `x̃`, `x_p` and (unless strict) `x`.
    pub l_adv: Var,
    /// Mean squared difference of `Dis_l(x̃)` and `Dis_l(x)`.
    pub l_fea: Var,
    /// What the discriminator scored: `[x; x̃; x_p]`, concatenated along the batch.
    pub critic_input: Var,
    /// The classes `L_adv` asks the discriminator to give them: `[y; y; y_p]`.
    pub critic_labels: Tensor,
}

pub struct Dvaan {
    pub nets: Networks,
    pub opt_enc: Adam,
    pub opt_dec: Adam,
    pub opt_dis: Adam,
    /// The class margin, `[1]`, never read inside a step.
    pub mu: Tensor,
    lambda1: f32,
    lambda2: f32,
    /// The backward seeds `1` and `λ₁`, `[1]` each, made once: every step reads them.
    seed_one: Tensor,
    seed_lambda1: Tensor,
    strict_adv: bool,
    /// `None` for a fixed margin (dvaan-mu).
    margin: Option<MarginConfig>,
    latent: usize,
    /// D, the number of values in one sample.
    sample_len: usize,
    pub(super) seed: u64,
}

impl Dvaan {
    /// Networks drawn from `cfg.seed`, three Adam optimisers, μ at its initial value.
    pub fn new(gpu: &Gpu, cfg: &TrainConfig, sample_shape: &[usize]) -> Result<Dvaan, Error> {
        let mut rng = Pcg64::seed_from_u64(cfg.seed);
        let nets = Networks::new(gpu, sample_shape, cfg.latent, &mut rng)?;
        let adam = AdamConfig {
            lr: cfg.lr,
            beta1: cfg.beta1,
            beta2: cfg.beta2,
            eps: 1e-8,
            weight_decay: 0.0,
        };
        let opt = |name: &str, net: &dyn Layer| Adam::new(prefixed(name, net.params()), adam);
        let margin = cfg.method.adapts_mu().then_some(MarginConfig {
            eta: cfg.eta_mu,
            gamma: cfg.gamma,
            mu_min: cfg.mu_min,
            mu_max: cfg.mu_max,
        });
        Ok(Dvaan {
            opt_enc: opt("enc", nets.enc.as_ref()),
            opt_dec: opt("dec", nets.dec.as_ref()),
            opt_dis: opt("dis", nets.dis.as_ref()),
            nets,
            mu: Tensor::scalar(gpu, cfg.initial_mu()),
            lambda1: cfg.lambda1,
            lambda2: cfg.lambda2,
            seed_one: Tensor::scalar(gpu, 1.0),
            seed_lambda1: Tensor::scalar(gpu, cfg.lambda1),
            strict_adv: cfg.strict_adv,
            margin,
            latent: cfg.latent,
            sample_len: sample_shape.iter().product(),
            seed: cfg.seed,
        })
    }

    pub fn latent(&self) -> usize {
        self.latent
    }

    /// One step of Algorithm 1 on the batch `x [B, …]`, `y [B]` (0/1), at global step `step`
    /// ([`train_step`]: the gradients of [`Method::step_gradients`], one Adam update per
    /// network, then the margin update).
    ///
    /// [`Method::step_gradients`]: super::Method::step_gradients
    pub fn step(&mut self, x: &Tensor, y: &Tensor, step: u64) -> StepLosses {
        train_step(self, x, y, step, None)
    }

    /// Eq. 10 on the GPU from the step's `L_fea` and `L_adv`, unless μ is fixed.
    pub fn update_margin(&self, l_fea: &Tensor, l_adv: &Tensor) {
        if let Some(cfg) = &self.margin {
            margin_update(&self.mu, l_fea, l_adv, cfg);
        }
    }

    /// What each network minimises (docs/DESIGN.md §5.2, step 4):
    /// `[Enc: L_ele + L_KL + λ₁·L_fea, Dec: L_ele + λ₁·L_fea + λ₂·L_adv, Dis: L_adv]`.
    pub fn objectives(&self, tape: &Tape, l: &Losses) -> [Var; 3] {
        let enc = tape.weighted_sum(&[(1.0, &l.l_ele), (1.0, &l.l_kl), (self.lambda1, &l.l_fea)]);
        let dec = tape.weighted_sum(&[
            (1.0, &l.l_ele),
            (self.lambda1, &l.l_fea),
            (self.lambda2, &l.l_adv),
        ]);
        [enc, dec, l.l_adv.clone()]
    }

    /// The forward half of a step: steps 1–3 of docs/DESIGN.md §5.2, recorded on `tape`.
    pub fn losses(&self, tape: &Tape, x: &Tensor, y: &Tensor, step: u64) -> Losses {
        let (gpu, b, d) = (x.gpu(), x.dim(0), self.latent);
        let noise = |stream: u64| step * STREAMS + stream;
        let xv = Var::constant(x.clone());

        // 1. Posterior sample, and L_KL (the KL to the class prior, divided by the sample
        // size as in docs/DESIGN.md §5.2) from the same reading of m and logvar.
        let h = self.nets.enc.posterior(tape, &xv);
        let eps = random::normal(gpu, &[b, d], self.seed, noise(EPS));
        let kl_weight = 1.0 / self.sample_len as f32;
        let (z, l_kl) = tape.posterior_sample(&h, &eps, &class_prior_mean(y, &self.mu), kl_weight);

        // 2. Prior sample from the class mixture, decoded with the reconstructions.
        let y_p = random::bernoulli(gpu, &[b], 0.5, self.seed, noise(PRIOR_LABELS));
        let prior_shift = class_prior_mean(&y_p, &self.mu);
        let eps_p = random::normal(gpu, &[b, d], self.seed, noise(PRIOR_NOISE));
        let z_p = Var::constant(reparam::shift_rows(&eps_p, &prior_shift));
        let decoded = self.nets.dec.forward(tape, &tape.concat(&[&z, &z_p], 0));
        let [x_rec, x_p] = pair(tape.split(&decoded, 0, &[b, b]));
        let critic_input = tape.concat(&[&xv, &x_rec, &x_p], 0);
        let dis = self.nets.dis.forward(tape, &critic_input);
        let [f_x, f_rec, _] = triple(tape.split(&dis.features, 0, &[b, b, b]));

        // 3. The losses, each a mean.
        let l_ele = if self.nets.images {
            tape.bce(&x_rec, x)
        } else {
            tape.mse(&x_rec, &xv)
        };
        // L_adv is the sum of one class-BCE mean per part (x̃ against y, x_p against y_p and,
        // unless strict, x against y). The parts hold b samples each, so the sum is the part
        // count times the mean over their concatenation: one loss over the logits as they are.
        let critic_labels = concat(&[y, y, &y_p], 0);
        let (logits, targets) = if self.strict_adv {
            (tape.narrow(&dis.logit, 0, b, 2 * b), concat(&[y, &y_p], 0))
        } else {
            (dis.logit.clone(), critic_labels.clone())
        };
        let parts = (logits.shape()[0] / b) as f32;
        let l_adv = tape.bce_with_logits_scaled(&logits, &targets, None, parts);
        let l_fea = tape.mse(&f_rec, &f_x);
        Losses {
            l_ele,
            l_kl,
            l_adv,
            l_fea,
            critic_input,
            critic_labels,
        }
    }

    /// The gradients of the three objectives of [`Dvaan::objectives`], `[enc, dec, dis]`,
    /// with the discriminator's backward shared. Enc and Dec see `L_adv` and `L_fea` only
    /// through the discriminator's input `c = [x; x̃; x_p]`, and backward is linear in its
    /// seed, so with `A = ∂L_adv/∂c` and `F = λ₁·∂L_fea/∂c`:
    ///
    /// - Dis: `L_adv` backward to its parameters, and on to `c` for `A` (one pass);
    /// - `F` from a second pass through the discriminator, to `c` only;
    /// - Enc: `L_ele + L_KL` seeded with 1 beside `c` seeded with `F`;
    /// - Dec: `L_ele` seeded with 1 beside `c` seeded with `F + λ₂·A`.
    ///
    /// The same gradients as one full backward per objective ([`per_objective_gradients`]),
    /// up to float rounding, without a third pass through the discriminator: two of its
    /// backward passes instead of three, the costliest part of a step.
    ///
    /// [`per_objective_gradients`]: super::per_objective_gradients
    pub fn gradients(&self, tape: Tape, l: &Losses) -> [Gradients; 3] {
        // Seeds are only read, so one tensor of 1 serves every pass.
        let one = &self.seed_one;
        let c = &l.critic_input;
        let dis = tape.backward_seeded(&[(&l.l_adv, one.clone())], self.opt_dis.params(), &[c]);
        let adv_c = dis.of_value(c).expect("L_adv depends on x̃").clone();
        let lambda1 = self.seed_lambda1.clone();
        let fea = tape.backward_seeded(&[(&l.l_fea, lambda1)], [], &[c]);
        let fea_c = fea.of_value(c).expect("L_fea depends on x̃").clone();
        let enc = tape.backward_seeded(
            &[
                (&l.l_ele, one.clone()),
                (&l.l_kl, one.clone()),
                (c, fea_c.clone()),
            ],
            self.opt_enc.params(),
            &[],
        );
        let dec_c = elementwise::axpby(1.0, &fea_c, self.lambda2, &adv_c);
        let dec = tape.backward_seeded_last(
            &[(&l.l_ele, one.clone()), (c, dec_c)],
            self.opt_dec.params(),
            &[],
        );
        [enc, dec, dis]
    }
}

fn pair(v: Vec<Var>) -> [Var; 2] {
    v.try_into()
        .unwrap_or_else(|_| unreachable!("split into two"))
}

fn triple(v: Vec<Var>) -> [Var; 3] {
    v.try_into()
        .unwrap_or_else(|_| unreachable!("split into three"))
}
