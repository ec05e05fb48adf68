//! The reparameterisation trick, and a per-row shift of noise.
//! Kernel: `shaders/reparam.wgsl`. CPU reference: [`reference`].
//!
//! - `z = m + σ ⊙ ε` with `σ = exp(logvar / 2)`, so sampling is differentiable in (m, logvar):
//!   `∂z/∂m = 1`, `∂z/∂logvar = ε σ / 2`.
//! - [`shift_rows`] adds one value per row to every element of that row: standard normal
//!   noise shifted this way is a sample of `N(c_n 1, I)` for a per-sample centre `c_n`.

use crate::{grid_1d, shader, Dispatch, Shader, Tensor};

const SHADER: Shader = shader!("reparam");
const WG: u32 = 256;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    cols: u32,
    _pad: [u32; 2],
}

fn params(n: usize, cols: usize) -> Params {
    Params {
        n: n as u32,
        cols: cols as u32,
        _pad: [0; 2],
    }
}

fn same_shape(op: &str, names: &[&str], ts: &[&Tensor]) {
    for (name, t) in names.iter().zip(ts).skip(1) {
        assert_eq!(
            t.shape(),
            ts[0].shape(),
            "{op}: {name} {:?} differs from {} {:?}",
            t.shape(),
            names[0],
            ts[0].shape()
        );
    }
}

/// `z = m + exp(logvar / 2) * eps`.
pub fn reparameterize(m: &Tensor, logvar: &Tensor, eps: &Tensor) -> Tensor {
    same_shape("reparameterize", &["m", "logvar", "eps"], &[m, logvar, eps]);
    let z = Tensor::uninit(m.gpu(), m.shape());
    Dispatch::new(&SHADER, "reparameterize")
        .params(&params(m.numel(), 0))
        .arg(m)
        .arg(logvar)
        .arg(eps)
        .arg(&z)
        .groups(grid_1d(m.numel(), WG))
        .run(m.gpu());
    z
}

/// `(dm, dlogvar)` from the upstream gradient `dz`.
pub fn reparameterize_backward(logvar: &Tensor, eps: &Tensor, dz: &Tensor) -> (Tensor, Tensor) {
    same_shape(
        "reparameterize_backward",
        &["logvar", "eps", "dz"],
        &[logvar, eps, dz],
    );
    let dm = Tensor::uninit(dz.gpu(), dz.shape());
    let dlogvar = Tensor::uninit(dz.gpu(), dz.shape());
    Dispatch::new(&SHADER, "reparameterize_backward")
        .params(&params(dz.numel(), 0))
        .arg(logvar)
        .arg(eps)
        .arg(dz)
        .arg(&dm)
        .arg(&dlogvar)
        .groups(grid_1d(dz.numel(), WG))
        .run(dz.gpu());
    (dm, dlogvar)
}

/// `eps [N, D] + row_shift [N]` broadcast along each row.
pub fn shift_rows(eps: &Tensor, row_shift: &Tensor) -> Tensor {
    assert!(
        eps.shape().len() == 2 && row_shift.shape() == [eps.dim(0)],
        "shift_rows: eps {:?} must be [N, D] and row_shift {:?} must be [N]",
        eps.shape(),
        row_shift.shape()
    );
    let out = Tensor::uninit(eps.gpu(), eps.shape());
    Dispatch::new(&SHADER, "shift_rows")
        .params(&params(eps.numel(), eps.dim(1)))
        .arg(eps)
        .arg(row_shift)
        .arg(&out)
        .groups(grid_1d(eps.numel(), WG))
        .run(eps.gpu());
    out
}

/// Plain f64 versions of the kernels above.
pub mod reference {
    pub fn reparameterize(m: &[f64], logvar: &[f64], eps: &[f64]) -> Vec<f64> {
        (0..m.len())
            .map(|i| m[i] + (0.5 * logvar[i]).exp() * eps[i])
            .collect()
    }

    pub fn reparameterize_backward(
        logvar: &[f64],
        eps: &[f64],
        dz: &[f64],
    ) -> (Vec<f64>, Vec<f64>) {
        let dlogvar = (0..dz.len())
            .map(|i| 0.5 * dz[i] * eps[i] * (0.5 * logvar[i]).exp())
            .collect();
        (dz.to_vec(), dlogvar)
    }

    pub fn shift_rows(eps: &[f64], row_shift: &[f64]) -> Vec<f64> {
        let cols = eps.len() / row_shift.len().max(1);
        eps.iter()
            .enumerate()
            .map(|(i, &e)| e + row_shift[i / cols])
            .collect()
    }
}
