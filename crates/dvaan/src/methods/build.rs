//! The method a configuration names, built for a training set.

use dvaan_tensor::Gpu;

use super::cnn::{Cnn, CnnLoss, FOCAL_ALPHA, FOCAL_GAMMA};
use super::{ac_gan::AcGan, cvae_gan::CvaeGan, vae_gan::VaeGan, Dvaan, Method, Sampling};
use crate::config::{MethodKind, TrainConfig};
use crate::data::Dataset;
use crate::Error;

/// Networks and optimisers of `cfg.method` for samples of `train`'s shape, initialised from
/// `cfg.seed` (`cnn-weighted` also takes its class weights from `train`).
pub fn build(gpu: &Gpu, cfg: &TrainConfig, train: &Dataset) -> Result<Box<dyn Method>, Error> {
    let s = &train.shape;
    let cnn = |loss, sampling| -> Result<Box<dyn Method>, Error> {
        Ok(Box::new(Cnn::new(gpu, cfg, s, loss, sampling)?))
    };
    Ok(match cfg.method {
        MethodKind::Dvaan | MethodKind::DvaanMu | MethodKind::DvaanA => {
            Box::new(Dvaan::new(gpu, cfg, s)?)
        }
        MethodKind::VaeGan => Box::new(VaeGan::new(gpu, cfg, s, false)?),
        MethodKind::VaeGanB => Box::new(VaeGan::new(gpu, cfg, s, true)?),
        MethodKind::AcGan => Box::new(AcGan::new(gpu, cfg, s)?),
        MethodKind::CvaeGan => Box::new(CvaeGan::new(gpu, cfg, s)?),
        MethodKind::Cnn => cnn(CnnLoss::Bce, Sampling::Shuffle)?,
        MethodKind::CnnWeighted => cnn(CnnLoss::class_weighted(train), Sampling::Shuffle)?,
        MethodKind::CnnRos => cnn(CnnLoss::Bce, Sampling::Oversample)?,
        MethodKind::CnnFocal => cnn(
            CnnLoss::Focal {
                gamma: FOCAL_GAMMA,
                alpha: FOCAL_ALPHA,
            },
            Sampling::Shuffle,
        )?,
    })
}
