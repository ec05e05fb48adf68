//! The training hyper-parameters as flags (docs/DESIGN.md §5.2, §5.3). Each is optional: an
//! absent flag keeps `TrainConfig::default()` for a new run and the checkpoint's value on
//! `--resume`, where changing one is refused rather than silently ignored. The help text shows
//! the defaults taken from `TrainConfig::default()` itself.

use std::fmt::Display;

use crate::config::ThresholdRule;
use crate::train::{MethodKind, TrainConfig};

fn dflt(text: &str, value: impl Display) -> String {
    format!("{text} [default: {value}]")
}

fn d() -> TrainConfig {
    TrainConfig::default()
}

#[derive(Debug, Clone, Default, clap::Args)]
pub struct HyperArgs {
    #[arg(long, help = dflt("dvaan (full), dvaan-mu (μ fixed), dvaan-a (no augmentation); baselines: vae-gan, vae-gan-b, ac-gan, cvae-gan, cnn, cnn-weighted, cnn-ros, cnn-focal", d().method))]
    pub method: Option<MethodKind>,
    #[arg(long, help = dflt("Total epochs (on --resume: train until this many are done)", d().epochs))]
    pub epochs: Option<usize>,
    #[arg(long, help = dflt("Mini-batch size", d().batch))]
    pub batch: Option<usize>,
    #[arg(long, help = dflt("Latent size d", d().latent))]
    pub latent: Option<usize>,
    #[arg(long, help = dflt("Seed for the imbalance subsample, initialisation, batches and noise", d().seed))]
    pub seed: Option<u64>,
    #[arg(long, help = dflt("Adam learning rate", d().lr))]
    pub lr: Option<f32>,
    #[arg(long, help = dflt("Adam β1", d().beta1))]
    pub beta1: Option<f32>,
    #[arg(long, help = dflt("Adam β2", d().beta2))]
    pub beta2: Option<f32>,
    #[arg(long, help = dflt("λ1: weight of L_fea for the encoder and decoder", d().lambda1))]
    pub lambda1: Option<f32>,
    #[arg(long, help = dflt("λ2: weight of L_adv for the decoder", d().lambda2))]
    pub lambda2: Option<f32>,
    #[arg(long, help = dflt("γ in the μ update tanh(L_fea − γ·L_adv)", d().gamma))]
    pub gamma: Option<f32>,
    #[arg(long, help = dflt("η_μ: step size of the μ update", d().eta_mu))]
    pub eta_mu: Option<f32>,
    #[arg(long, help = dflt("Initial class margin μ0", d().mu0))]
    pub mu0: Option<f32>,
    #[arg(long, help = dflt("Lower clamp of μ", d().mu_min))]
    pub mu_min: Option<f32>,
    #[arg(long, help = dflt("Upper clamp of μ", d().mu_max))]
    pub mu_max: Option<f32>,
    #[arg(long, help = dflt("μ for dvaan-mu", d().fixed_mu))]
    pub fixed_mu: Option<f32>,
    #[arg(long, help = dflt("Steps between augmentation rounds", d().aug_every))]
    pub aug_every: Option<usize>,
    #[arg(long, help = dflt("Latent points drawn per augmentation round", d().aug_n))]
    pub aug_n: Option<usize>,
    #[arg(long, help = dflt("Also keep agreeing negatives in the support pool", d().aug_both))]
    pub aug_both: bool,
    #[arg(long, help = dflt("Drop the real-sample term of L_adv (Algorithm 1 to the letter)", d().strict_adv))]
    pub strict_adv: bool,
    #[arg(long, help = dflt("Steps between loss read-backs (progress, history.csv, NaN check)", d().log_every))]
    pub log_every: Option<usize>,
    #[arg(long, value_enum, help = dflt("Decision threshold of G-mean, F1 and balanced accuracy: fixed (probability 0.5, logit 0) or validation (the G-mean maximiser on a stratified validation slice held out of the training data)", "fixed"))]
    pub threshold: Option<ThresholdRule>,
    #[arg(long, help = dflt("Share of each training class held out for --threshold validation", d().validation_fraction))]
    pub validation_fraction: Option<f64>,
}

impl HyperArgs {
    /// Sets every given flag in `c`.
    pub fn apply(&self, c: &mut TrainConfig) {
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = self.$f.clone() { c.$f = v; } )* };
        }
        set!(method, epochs, batch, latent, seed, lr, beta1, beta2, lambda1, lambda2, gamma);
        set!(eta_mu, mu0, mu_min, mu_max, fixed_mu, aug_every, aug_n, log_every);
        set!(threshold, validation_fraction);
        c.aug_both |= self.aug_both;
        c.strict_adv |= self.strict_adv;
    }

    /// Flags given on the command line other than `--epochs` (which a resumed run may raise).
    pub fn fixed_by_checkpoint(&self) -> Vec<String> {
        let mut given = Vec::new();
        macro_rules! check {
            ($($f:ident),*) => { $( if self.$f.is_some() { given.push(flag(stringify!($f))); } )* };
        }
        check!(method, batch, latent, seed, lr, beta1, beta2, lambda1, lambda2, gamma);
        check!(eta_mu, mu0, mu_min, mu_max, fixed_mu, aug_every, aug_n, log_every);
        check!(threshold, validation_fraction);
        if self.aug_both {
            given.push(flag("aug_both"));
        }
        if self.strict_adv {
            given.push(flag("strict_adv"));
        }
        given
    }
}

fn flag(field: &str) -> String {
    format!("--{}", field.replace('_', "-"))
}
