//! The KL divergence from the encoder's `N(m, diag e^{lv})` to DVAAN's class prior
//! `N(pm_n 1, I)`, summed over the latent dimensions and averaged over the N samples, its
//! gradient, and the differentiable op on the tape.
//! Kernel: `crates/dvaan/shaders/kl.wgsl`. CPU reference: [`reference`].
//!
//! Per element `t = (e^{lv} + (m − pm_n)² − 1 − lv) / 2`, `dt/dm = m − pm_n`,
//! `dt/dlv = (e^{lv} − 1) / 2`. With `pm = 0` this is the usual VAE KL to `N(0, I)`.
//!
//! The forward sum is reduced in a fixed order (no atomics), so it is bit-reproducible; the
//! backward reads the upstream `dloss` `[1]` on the GPU.

use dvaan_autograd::{single, Backward, Tape, Var};
use dvaan_tensor::{grid_1d, Dispatch, Shader, Tensor};

pub(crate) const SHADER: Shader = dvaan_shader!("kl");
pub(crate) const WG: u32 = 256;
/// Terms per invocation in the forward pass (`ITEMS` in the shader).
pub(crate) const ITEMS: usize = 16;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct Params {
    pub n: u32,
    pub cols: u32,
    pub groups: u32,
    pub scale: f32,
}

/// Checks the shapes and gives the parameters for `groups` partial sums.
fn params(name: &str, m: &Tensor, logvar: &Tensor, prior_mean: &Tensor, groups: usize) -> Params {
    assert_eq!(
        m.shape(),
        logvar.shape(),
        "{name}: m {:?} vs logvar {:?}",
        m.shape(),
        logvar.shape()
    );
    assert!(
        m.shape().len() == 2 && prior_mean.shape() == [m.dim(0)],
        "{name}: m {:?} must be [N, D] and prior_mean {:?} must be [N]",
        m.shape(),
        prior_mean.shape()
    );
    Params {
        n: m.numel() as u32,
        cols: m.dim(1) as u32,
        groups: groups as u32,
        scale: (1.0 / m.dim(0) as f64) as f32,
    }
}

/// `(1/N) Σ_n KL(N(m_n, diag e^{logvar_n}) ‖ N(prior_mean_n · 1, I))` as a `[1]` tensor.
pub fn kl_to_shifted_prior(m: &Tensor, logvar: &Tensor, prior_mean: &Tensor) -> Tensor {
    assert!(
        m.numel() > 0,
        "kl_to_shifted_prior: empty input {:?}",
        m.shape()
    );
    let groups = m.numel().div_ceil(WG as usize * ITEMS);
    let params = params("kl_to_shifted_prior", m, logvar, prior_mean, groups);
    let gpu = m.gpu();
    let partials = Tensor::uninit(gpu, &[groups]);
    Dispatch::new(&SHADER, "kl_forward")
        .params(&params)
        .arg(m)
        .arg(logvar)
        .arg(prior_mean)
        .arg(&partials)
        .groups(grid_1d(groups, 1))
        .run(gpu);
    finish(partials, &params)
}

/// The scaled sum of the partial sums a forward pass wrote: the partial itself when one
/// workgroup wrote it (already scaled), else `kl_finish`'s fixed-order sum.
pub(crate) fn finish(partials: Tensor, params: &Params) -> Tensor {
    if params.groups == 1 {
        return partials;
    }
    let gpu = partials.gpu();
    let mean = Tensor::uninit(gpu, &[1]);
    Dispatch::new(&SHADER, "kl_finish")
        .params(params)
        .arg(&partials)
        .arg(&mean)
        .groups([1, 1, 1])
        .run(gpu);
    mean
}

/// `(dm, dlogvar)` for the upstream gradient `dloss` `[1]`.
pub fn kl_to_shifted_prior_backward(
    m: &Tensor,
    logvar: &Tensor,
    prior_mean: &Tensor,
    dloss: &Tensor,
) -> (Tensor, Tensor) {
    let name = "kl_to_shifted_prior_backward";
    let params = params(name, m, logvar, prior_mean, 0);
    assert_eq!(
        dloss.numel(),
        1,
        "{name}: dloss {:?} must hold one value",
        dloss.shape()
    );
    let gpu = m.gpu();
    let dm = Tensor::uninit(gpu, m.shape());
    let dlogvar = Tensor::uninit(gpu, m.shape());
    Dispatch::new(&SHADER, "kl_backward")
        .params(&params)
        .arg(m)
        .arg(logvar)
        .arg(prior_mean)
        .arg(dloss)
        .arg(&dm)
        .arg(&dlogvar)
        .groups(grid_1d(m.numel(), WG))
        .run(gpu);
    (dm, dlogvar)
}

/// What the backward of the tape op keeps from its forward pass.
struct Saved {
    m: Tensor,
    logvar: Tensor,
    prior_mean: Tensor,
}

impl Backward for Saved {
    fn name(&self) -> &'static str {
        "kl_to_shifted_prior"
    }
    fn backward(&self, dy: &[Option<Tensor>], wants: &[bool]) -> Vec<Option<Tensor>> {
        let (dm, dlogvar) =
            kl_to_shifted_prior_backward(&self.m, &self.logvar, &self.prior_mean, single(dy));
        vec![wants[0].then_some(dm), wants[1].then_some(dlogvar)]
    }
}

/// The KL as a differentiable op: a method on the tape, added from this crate through the
/// tape's public [`Backward`] and [`Tape::record1`].
pub trait ShiftedPriorKl {
    /// `(1/N) Σ_n ½ Σ_j (exp(lv) + (m − pm_n)² − 1 − lv)`: KL from `N(m, exp(lv))` to
    /// `N(pm_n·1, I)` per sample, with a per-sample prior mean `prior_mean [N]` (a constant).
    fn kl_to_shifted_prior(&self, m: &Var, logvar: &Var, prior_mean: &Tensor) -> Var;
}

impl ShiftedPriorKl for Tape {
    fn kl_to_shifted_prior(&self, m: &Var, logvar: &Var, prior_mean: &Tensor) -> Var {
        let loss = kl_to_shifted_prior(m.value(), logvar.value(), prior_mean);
        let saved = Saved {
            m: m.value().clone(),
            logvar: logvar.value().clone(),
            prior_mean: prior_mean.clone(),
        };
        self.record1(saved, &[m, logvar], loss)
    }
}

/// Plain f64 versions: the forward returns the mean, the backward the gradients for a given
/// upstream `dloss`.
pub mod reference {
    /// `m` and `lv` are `[N, D]` row-major, `pm` is `[N]`.
    pub fn kl_to_shifted_prior(m: &[f64], lv: &[f64], pm: &[f64]) -> f64 {
        let d = m.len() / pm.len();
        let sum: f64 = (0..m.len())
            .map(|i| 0.5 * (lv[i].exp() + (m[i] - pm[i / d]).powi(2) - 1.0 - lv[i]))
            .sum();
        sum / pm.len() as f64
    }

    pub fn kl_to_shifted_prior_backward(
        m: &[f64],
        lv: &[f64],
        pm: &[f64],
        dloss: f64,
    ) -> (Vec<f64>, Vec<f64>) {
        let d = m.len() / pm.len();
        let g = dloss / pm.len() as f64;
        let dm = (0..m.len()).map(|i| g * (m[i] - pm[i / d])).collect();
        let dlv = (0..m.len())
            .map(|i| g * 0.5 * (lv[i].exp() - 1.0))
            .collect();
        (dm, dlv)
    }
}
