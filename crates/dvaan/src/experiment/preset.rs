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
    /// The paper's grid, for a GPU: every method on MNIST, Fashion-MNIST, CIFAR-10 and TIS at
    /// 1:5, 1:10, 1:20 and 1:50; 5 seeds, 10 epochs.
    Paper,
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
                        },
                        Block {
                            methods: strings(&["dvaan", "vae-gan", "cnn"]),
                            datasets: strings(&["fashion-mnist"]),
                            ratios: vec![10.0, 20.0, 50.0],
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
            Preset::Paper => PresetPlan {
                grid: Grid {
                    blocks: vec![Block {
                        methods: strings(&ALL_METHODS),
                        datasets: strings(&["mnist", "fashion-mnist", "cifar10", "tis"]),
                        ratios: vec![5.0, 10.0, 20.0, 50.0],
                    }],
                    seeds: vec![0, 1, 2, 3, 4],
                },
                settings: CellSettings {
                    epochs: 10,
                    ..Default::default()
                },
                synthetic_data: false,
            },
        }
    }
}
