//! Every hyper-parameter of a training run (docs/DESIGN.md §5.2, §5.3), with their defaults
//! (§5.5). Its own module, below both the methods that read it and the trainer that runs them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Which row of the paper's Table 1 (or reference classifier, docs/DESIGN.md §5.4) trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum MethodKind {
    /// The full method: adaptive margin μ and augmentation.
    Dvaan,
    /// μ fixed (at `fixed_mu`), no margin update.
    DvaanMu,
    /// No augmentation.
    DvaanA,
    /// VAE-GAN (Larsen et al.): prior N(0, I), the discriminator classifies reconstructions.
    VaeGan,
    /// VAE-GAN with class-balanced mini-batches.
    VaeGanB,
    /// AC-GAN (Odena et al.): the class head of the discriminator classifies.
    AcGan,
    /// CVAE-GAN (Bao et al.): label-conditioned VAE-GAN, a classifier trained on real data.
    CvaeGan,
    /// The discriminator architecture trained with BCE on real data.
    Cnn,
    /// Class-weighted BCE, weights n / (2·n_class).
    CnnWeighted,
    /// Random oversampling of the positives to balance.
    CnnRos,
    /// Focal loss, γ = 2, α = 0.25.
    CnnFocal,
}

impl MethodKind {
    pub const ALL: [MethodKind; 11] = [
        MethodKind::Dvaan,
        MethodKind::DvaanMu,
        MethodKind::DvaanA,
        MethodKind::VaeGan,
        MethodKind::VaeGanB,
        MethodKind::AcGan,
        MethodKind::CvaeGan,
        MethodKind::Cnn,
        MethodKind::CnnWeighted,
        MethodKind::CnnRos,
        MethodKind::CnnFocal,
    ];

    pub fn name(self) -> &'static str {
        match self {
            MethodKind::Dvaan => "dvaan",
            MethodKind::DvaanMu => "dvaan-mu",
            MethodKind::DvaanA => "dvaan-a",
            MethodKind::VaeGan => "vae-gan",
            MethodKind::VaeGanB => "vae-gan-b",
            MethodKind::AcGan => "ac-gan",
            MethodKind::CvaeGan => "cvae-gan",
            MethodKind::Cnn => "cnn",
            MethodKind::CnnWeighted => "cnn-weighted",
            MethodKind::CnnRos => "cnn-ros",
            MethodKind::CnnFocal => "cnn-focal",
        }
    }

    /// One of DVAAN's own variants (class margin μ, prior samples).
    pub fn is_dvaan(self) -> bool {
        matches!(
            self,
            MethodKind::Dvaan | MethodKind::DvaanMu | MethodKind::DvaanA
        )
    }

    /// True when μ follows Eq. 10.
    pub fn adapts_mu(self) -> bool {
        matches!(self, MethodKind::Dvaan | MethodKind::DvaanA)
    }

    /// True when support samples are generated (§5.3).
    pub fn augments(self) -> bool {
        matches!(self, MethodKind::Dvaan | MethodKind::DvaanMu)
    }

    /// True when the method has a generator to draw a sample grid from.
    pub fn generates(self) -> bool {
        !matches!(
            self,
            MethodKind::Cnn | MethodKind::CnnWeighted | MethodKind::CnnRos | MethodKind::CnnFocal
        )
    }

    /// The latent distribution each of the four rows of a sample grid is drawn from (see
    /// [`crate::train::Trainer::sample_grid`]).
    pub fn grid_row_labels(self) -> [&'static str; 4] {
        match self {
            m if m.is_dvaan() => ["N(+μ1, I)", "N(0, I)", "N(0, I)", "N(−μ1, I)"],
            MethodKind::AcGan | MethodKind::CvaeGan => [
                "N(0, I), positive",
                "N(0, I), positive",
                "N(0, I), negative",
                "N(0, I), negative",
            ],
            _ => ["N(0, I)"; 4],
        }
    }

    /// What the history's four loss columns `l_ele, l_kl, l_adv, l_fea` hold for this
    /// method ("-" where it has no such term and the column is 0). `l_adv` is always the
    /// loss of the network that classifies; `mu` is 0 for every method but DVAAN's.
    pub fn loss_columns(self) -> [&'static str; 4] {
        match self {
            m if m.is_dvaan() => ["L_ele", "L_KL", "L_adv", "L_fea"],
            MethodKind::VaeGan | MethodKind::VaeGanB => ["L_ele", "L_KL", "L_adv", "L_fea"],
            MethodKind::AcGan => [
                "-",
                "-",
                "L_D (real/fake + class)",
                "L_G (non-saturating + class)",
            ],
            MethodKind::CvaeGan => [
                "L_ele",
                "L_KL",
                "L_C (classifier)",
                "L_fea (pairwise + mean)",
            ],
            MethodKind::CnnFocal => ["-", "-", "focal loss", "-"],
            MethodKind::CnnWeighted => ["-", "-", "class-weighted BCE", "-"],
            _ => ["-", "-", "BCE", "-"],
        }
    }
}

impl fmt::Display for MethodKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for MethodKind {
    type Err = String;
    fn from_str(s: &str) -> Result<MethodKind, String> {
        MethodKind::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = MethodKind::ALL.iter().map(|m| m.name()).collect();
                format!("unknown method `{s}`; expected one of {}", names.join(", "))
            })
    }
}

/// How the decision threshold of G-mean, F1 and balanced accuracy is set (ROC-AUC and
/// PR-AUC use none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum ThresholdRule {
    /// Probability 0.5 (logit 0), fixed before any data is seen.
    #[default]
    #[serde(rename = "0.5")]
    #[value(name = "fixed", alias = "0.5")]
    Fixed,
    /// Chosen after training on a stratified validation slice held out of the training
    /// data: the threshold that maximises G-mean there.
    #[serde(rename = "validation G-mean")]
    #[value(name = "validation")]
    Validation,
}

impl ThresholdRule {
    /// As metrics.json and the tables write it.
    pub fn label(self) -> &'static str {
        match self {
            ThresholdRule::Fixed => "0.5",
            ThresholdRule::Validation => "validation G-mean",
        }
    }
}

impl fmt::Display for ThresholdRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainConfig {
    pub method: MethodKind,
    pub epochs: usize,
    pub batch: usize,
    /// Latent size d.
    pub latent: usize,
    pub seed: u64,
    /// Adam, one optimiser per network.
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    /// Weight of L_fea in the encoder's and decoder's losses.
    pub lambda1: f32,
    /// Weight of L_adv in the decoder's loss.
    pub lambda2: f32,
    /// Weight of L_adv in Eq. 10.
    pub gamma: f32,
    /// Step size of Eq. 10.
    pub eta_mu: f32,
    /// Initial margin (dvaan, dvaan-a).
    pub mu0: f32,
    pub mu_min: f32,
    pub mu_max: f32,
    /// The margin of dvaan-mu.
    pub fixed_mu: f32,
    /// Steps between augmentation rounds.
    pub aug_every: usize,
    /// Latent points drawn per round.
    pub aug_n: usize,
    /// Also keep generated negatives the discriminator agrees with.
    pub aug_both: bool,
    /// Drop the real-sample term of L_adv (Algorithm 1 to the letter).
    pub strict_adv: bool,
    /// Steps between host readbacks of the loss history.
    pub log_every: usize,
    /// The decision threshold of the thresholded metrics.
    pub threshold: ThresholdRule,
    /// Share of each training class held out as the validation slice of
    /// `ThresholdRule::Validation` (unused with the fixed rule).
    pub validation_fraction: f64,
}

impl Default for TrainConfig {
    fn default() -> TrainConfig {
        TrainConfig {
            method: MethodKind::Dvaan,
            epochs: 2,
            batch: 64,
            latent: 32,
            seed: 0,
            lr: 2e-4,
            beta1: 0.5,
            beta2: 0.999,
            lambda1: 1.0,
            lambda2: 0.1,
            gamma: 1.0,
            eta_mu: 0.01,
            mu0: 1.0,
            mu_min: 0.1,
            mu_max: 10.0,
            fixed_mu: 3.0,
            aug_every: 20,
            aug_n: 128,
            aug_both: false,
            strict_adv: false,
            log_every: 50,
            threshold: ThresholdRule::Fixed,
            validation_fraction: 0.2,
        }
    }
}

impl TrainConfig {
    /// The margin a run starts from.
    pub fn initial_mu(&self) -> f32 {
        if self.method.adapts_mu() {
            self.mu0
        } else {
            self.fixed_mu
        }
    }

    /// Rejects values that cannot train, naming the option.
    pub fn check(&self) -> Result<(), String> {
        let positive = [
            ("batch", self.batch),
            ("latent", self.latent),
            ("log-every", self.log_every),
            ("aug-every", self.aug_every),
            ("aug-n", self.aug_n),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(format!("--{name} must be at least 1"));
        }
        if self.batch < 2 {
            return Err("--batch must be at least 2: batch norm needs a batch variance".into());
        }
        let finite = [
            ("lr", self.lr),
            ("beta1", self.beta1),
            ("beta2", self.beta2),
            ("lambda1", self.lambda1),
            ("lambda2", self.lambda2),
            ("gamma", self.gamma),
            ("eta-mu", self.eta_mu),
            ("mu0", self.mu0),
            ("mu-min", self.mu_min),
            ("mu-max", self.mu_max),
            ("fixed-mu", self.fixed_mu),
        ];
        if let Some((name, v)) = finite.iter().find(|(_, v)| !v.is_finite() || *v < 0.0) {
            return Err(format!(
                "--{name} is {v}; it must be a finite non-negative number"
            ));
        }
        if !(self.lr > 0.0 && self.beta1 < 1.0 && self.beta2 < 1.0) {
            return Err("Adam needs --lr > 0 and --beta1, --beta2 in [0, 1)".into());
        }
        if self.threshold == ThresholdRule::Validation
            && !(self.validation_fraction > 0.0 && self.validation_fraction < 1.0)
        {
            return Err(format!(
                "--validation-fraction is {}; it must lie strictly between 0 and 1",
                self.validation_fraction
            ));
        }
        if self.mu_min > self.mu_max {
            return Err(format!(
                "--mu-min {} exceeds --mu-max {}",
                self.mu_min, self.mu_max
            ));
        }
        if self.method.adapts_mu() && !(self.mu_min..=self.mu_max).contains(&self.mu0) {
            return Err(format!(
                "--mu0 {} lies outside [--mu-min, --mu-max] = [{}, {}]",
                self.mu0, self.mu_min, self.mu_max
            ));
        }
        Ok(())
    }
}
