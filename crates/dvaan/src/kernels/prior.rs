//! DVAAN's class-conditional prior: class y has prior `N(s_y μ 1, I)` with `s_y = 2y − 1`.
//! Kernel: `crates/dvaan/shaders/prior.wgsl`. CPU reference: [`reference`].
//!
//! [`class_prior_mean`] gives `s_y μ` per sample with μ read on the GPU, so a step that
//! samples from the prior or measures the KL to it never reads μ back. Adding it to standard
//! normal noise row by row (`dvaan_tensor::ops::reparam::shift_rows`) gives prior samples.

use dvaan_tensor::{grid_1d, Dispatch, Shader, Tensor};

const SHADER: Shader = dvaan_shader!("prior");
const WG: u32 = 256;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    _pad: [u32; 3],
}

/// `(2 y − 1) · mu` per sample, for 0/1 labels `[N]` and `mu` `[1]`.
pub fn class_prior_mean(labels: &Tensor, mu: &Tensor) -> Tensor {
    assert_eq!(
        labels.shape().len(),
        1,
        "class_prior_mean: labels {:?} must be [N]",
        labels.shape()
    );
    assert_eq!(
        mu.numel(),
        1,
        "class_prior_mean: mu {:?} must hold one value",
        mu.shape()
    );
    let out = Tensor::uninit(labels.gpu(), labels.shape());
    Dispatch::new(&SHADER, "class_prior_mean")
        .params(&Params {
            n: labels.numel() as u32,
            _pad: [0; 3],
        })
        .arg(labels)
        .arg(mu)
        .arg(&out)
        .groups(grid_1d(labels.numel(), WG))
        .run(labels.gpu());
    out
}

/// The f64 version of the kernel.
pub mod reference {
    pub fn class_prior_mean(labels: &[f64], mu: f64) -> Vec<f64> {
        labels.iter().map(|&y| (2.0 * y - 1.0) * mu).collect()
    }
}
