//! The encoder's posterior in one op: from its output `h = [m | logvar]` (`[N, 2D]`, m in
//! columns 0..D, logvar in D..2D), the sample `z = m + exp(½·logvar) ⊙ ε` and the weighted
//! KL to DVAAN's class prior, `w · (1/N) Σ_n KL(N(m_n, diag e^{logvar_n}) ‖ N(pm_n·1, I))`.
//! Kernels: `posterior_forward` and `posterior_backward` in `crates/dvaan/shaders/kl.wgsl`
//! (beside the KL alone, [`super::kl`], whose fixed-order sums they share).
//!
//! Written as a split, a reparameterisation, a KL and a scale, this costs a step eleven
//! dispatches: two copies out of `h`, the sample, the KL and its scale forward; the scale,
//! the KL's and the sample's backward, two sums where both send gradient to m and logvar,
//! and two copies back into `dh`. Fused it costs two: the forward reads m and logvar in
//! place and writes z beside the KL's partial sums (one workgroup's partial is the loss
//! itself at DVAAN's sizes), and the backward writes `dh` from both upstream gradients.
//!
//! CPU reference: [`reference`].

use dvaan_autograd::{Backward, Tape, Var};
use dvaan_tensor::{grid_1d, Dispatch, Tensor};

use super::kl::{finish, Params, ITEMS, SHADER, WG};

/// Checks the shapes and gives the parameters for `groups` partial sums.
fn params(
    name: &str,
    h: &Tensor,
    eps: &Tensor,
    prior_mean: &Tensor,
    kl_weight: f32,
    groups: usize,
) -> Params {
    let (n, cols) = match *h.shape() {
        [n, two_d] if two_d % 2 == 0 && two_d > 0 => (n, two_d / 2),
        _ => panic!(
            "{name}: h {:?} must be [N, 2D], m and logvar side by side",
            h.shape()
        ),
    };
    assert!(
        eps.shape() == [n, cols] && prior_mean.shape() == [n],
        "{name}: eps {:?} must be [{n}, {cols}] and prior_mean {:?} [{n}] for h {:?}",
        eps.shape(),
        prior_mean.shape(),
        h.shape()
    );
    assert!(n > 0, "{name}: an empty batch has no mean");
    Params {
        n: (n * cols) as u32,
        cols: cols as u32,
        groups: groups as u32,
        scale: (kl_weight as f64 / n as f64) as f32,
    }
}

/// `(z [N, D], weighted KL [1])` from `h [N, 2D]`, `eps [N, D]` and `prior_mean [N]`.
pub fn posterior_sample(
    h: &Tensor,
    eps: &Tensor,
    prior_mean: &Tensor,
    kl_weight: f32,
) -> (Tensor, Tensor) {
    let terms = h.numel() / 2;
    let groups = terms.div_ceil(WG as usize * ITEMS).max(1);
    let params = params("posterior_sample", h, eps, prior_mean, kl_weight, groups);
    let gpu = h.gpu();
    let z = Tensor::uninit(gpu, eps.shape());
    let partials = Tensor::uninit(gpu, &[groups]);
    Dispatch::new(&SHADER, "posterior_forward")
        .params(&params)
        .arg(h)
        .arg(eps)
        .arg(prior_mean)
        .arg(&z)
        .arg(&partials)
        .groups(grid_1d(groups, 1))
        .run(gpu);
    (z, finish(partials, &params))
}

/// `dh [N, 2D]` for the upstream gradients of z (`dz [N, D]`) and of the KL (`dkl [1]`);
/// an absent one contributes nothing.
pub fn posterior_sample_backward(
    h: &Tensor,
    eps: &Tensor,
    prior_mean: &Tensor,
    kl_weight: f32,
    (dz, dkl): (Option<&Tensor>, Option<&Tensor>),
) -> Tensor {
    let name = "posterior_sample_backward";
    let params = params(name, h, eps, prior_mean, kl_weight, 0);
    if let Some(dz) = dz {
        assert_eq!(dz.shape(), eps.shape(), "{name}: dz vs eps");
    }
    if let Some(dkl) = dkl {
        assert_eq!(
            dkl.numel(),
            1,
            "{name}: dkl {:?} must hold one value",
            dkl.shape()
        );
    }
    let gpu = h.gpu();
    let dh = Tensor::uninit(gpu, h.shape());
    Dispatch::new(&SHADER, "posterior_backward")
        .constant("HAS_DZ", dz.is_some() as u32 as f64)
        .constant("HAS_DKL", dkl.is_some() as u32 as f64)
        .params(&params)
        .arg(h)
        .arg(eps)
        .arg(prior_mean)
        // Stand-ins for absent gradients, never read (the constants leave their terms out).
        .arg(dz.unwrap_or(h))
        .arg(dkl.unwrap_or(h))
        .arg(&dh)
        .groups(grid_1d(params.n as usize, WG))
        .run(gpu);
    dh
}

/// What the backward of the tape op keeps from its forward pass.
struct Saved {
    h: Tensor,
    eps: Tensor,
    prior_mean: Tensor,
    kl_weight: f32,
}

impl Backward for Saved {
    fn name(&self) -> &'static str {
        "posterior_sample"
    }
    fn backward(&self, dy: &[Option<Tensor>], _wants: &[bool]) -> Vec<Option<Tensor>> {
        let dh = posterior_sample_backward(
            &self.h,
            &self.eps,
            &self.prior_mean,
            self.kl_weight,
            (dy[0].as_ref(), dy[1].as_ref()),
        );
        vec![Some(dh)]
    }
}

/// The fused posterior as a differentiable op on the tape.
pub trait PosteriorSample {
    /// `(z, kl_weight · KL)` from the encoder's `h = [m | logvar]`: `eps` is the noise and
    /// `prior_mean [N]` each sample's prior mean, both constants.
    fn posterior_sample(
        &self,
        h: &Var,
        eps: &Tensor,
        prior_mean: &Tensor,
        kl_weight: f32,
    ) -> (Var, Var);
}

impl PosteriorSample for Tape {
    fn posterior_sample(
        &self,
        h: &Var,
        eps: &Tensor,
        prior_mean: &Tensor,
        kl_weight: f32,
    ) -> (Var, Var) {
        let (z, kl) = posterior_sample(h.value(), eps, prior_mean, kl_weight);
        let saved = Saved {
            h: h.value().clone(),
            eps: eps.clone(),
            prior_mean: prior_mean.clone(),
            kl_weight,
        };
        let mut out = self.record(saved, &[h], vec![z, kl]);
        let kl = out.pop().expect("two outputs");
        (out.pop().expect("two outputs"), kl)
    }
}

/// Plain f64 versions, `h` `[N, 2D]` and `eps` `[N, D]` row-major, `pm` `[N]`.
pub mod reference {
    /// (m, logvar) of term i = (n, j).
    fn parts(h: &[f64], d: usize, i: usize) -> (f64, f64) {
        let at = (i / d) * 2 * d + i % d;
        (h[at], h[at + d])
    }

    /// `(z, w · KL mean)`.
    pub fn posterior_sample(h: &[f64], eps: &[f64], pm: &[f64], w: f64) -> (Vec<f64>, f64) {
        let d = eps.len() / pm.len();
        let mut kl = 0.0;
        let z = (0..eps.len())
            .map(|i| {
                let (m, lv) = parts(h, d, i);
                kl += 0.5 * (lv.exp() + (m - pm[i / d]).powi(2) - 1.0 - lv);
                m + (0.5 * lv).exp() * eps[i]
            })
            .collect();
        (z, w * kl / pm.len() as f64)
    }

    /// `dh` for upstream `dz` and `dkl`.
    pub fn posterior_sample_backward(
        h: &[f64],
        eps: &[f64],
        pm: &[f64],
        w: f64,
        dz: &[f64],
        dkl: f64,
    ) -> Vec<f64> {
        let d = eps.len() / pm.len();
        let g = dkl * w / pm.len() as f64;
        let mut dh = vec![0.0; h.len()];
        for i in 0..eps.len() {
            let (m, lv) = parts(h, d, i);
            let at = (i / d) * 2 * d + i % d;
            dh[at] = dz[i] + g * (m - pm[i / d]);
            dh[at + d] = 0.5 * dz[i] * eps[i] * (0.5 * lv).exp() + g * 0.5 * (lv.exp() - 1.0);
        }
        dh
    }
}
