//! DVAAN's adaptive class margin (Eq. 10 of the paper), updated in place on the GPU.
//! Kernel: `crates/dvaan/shaders/margin.wgsl`. CPU reference: [`reference`].
//!
//! `μ ← clamp(μ − η·tanh(L_fea − γ·L_adv), μ_min, μ_max)`: when the discriminator struggles
//! (γ·L_adv large) μ grows and the class priors `N(±μ1, I)` move apart; when reconstruction
//! in feature space struggles (L_fea large) μ shrinks. μ and both losses are `[1]` tensors,
//! so the update costs one dispatch and no readback.

use dvaan_tensor::{Dispatch, Shader, Tensor};

const SHADER: Shader = dvaan_shader!("margin");

/// The constants of Eq. 10.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MarginConfig {
    /// Step size η_μ.
    pub eta: f32,
    /// Weight γ of the adversarial loss.
    pub gamma: f32,
    pub mu_min: f32,
    pub mu_max: f32,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    eta: f32,
    gamma: f32,
    mu_min: f32,
    mu_max: f32,
}

/// One Eq. 10 step on `mu` (in place) from the step's `l_fea` and `l_adv`.
pub fn margin_update(mu: &Tensor, l_fea: &Tensor, l_adv: &Tensor, cfg: &MarginConfig) {
    for (name, t) in [("mu", mu), ("l_fea", l_fea), ("l_adv", l_adv)] {
        assert_eq!(
            t.numel(),
            1,
            "margin_update: {name} {:?} must hold one value",
            t.shape()
        );
    }
    assert!(
        cfg.mu_min <= cfg.mu_max,
        "margin_update: mu_min {} exceeds mu_max {}",
        cfg.mu_min,
        cfg.mu_max
    );
    Dispatch::new(&SHADER, "margin_update")
        .params(&Params {
            eta: cfg.eta,
            gamma: cfg.gamma,
            mu_min: cfg.mu_min,
            mu_max: cfg.mu_max,
        })
        .arg(mu)
        .arg(l_fea)
        .arg(l_adv)
        .groups([1, 1, 1])
        .run(mu.gpu());
}

/// The f64 version of the kernel.
pub mod reference {
    use super::MarginConfig;

    pub fn margin_update(mu: f64, l_fea: f64, l_adv: f64, cfg: &MarginConfig) -> f64 {
        let d = (l_fea - cfg.gamma as f64 * l_adv).clamp(-20.0, 20.0);
        (mu - cfg.eta as f64 * d.tanh()).clamp(cfg.mu_min as f64, cfg.mu_max as f64)
    }
}
