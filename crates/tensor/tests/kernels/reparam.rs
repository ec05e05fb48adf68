use dvaan_tensor::ops::reparam::{self, reference};

use crate::common::*;

// (N, D): single element, odd sizes, a 784-wide row, and a large batch.
const SHAPES: &[(usize, usize)] = &[(1, 1), (7, 32), (64, 784), (192, 32), (1000, 784)];
const EPS32: f64 = f32::EPSILON as f64;

struct Inputs {
    m: Vec<f32>,
    lv: Vec<f32>,
    eps: Vec<f32>,
    dz: Vec<f32>,
}

fn inputs(seed: u64, n: usize) -> Inputs {
    let mut r = rng(seed);
    Inputs {
        m: uniform(&mut r, n, -2.0, 2.0),
        lv: uniform(&mut r, n, -4.0, 2.0),
        eps: uniform(&mut r, n, -3.0, 3.0),
        dz: uniform(&mut r, n, -1.0, 1.0),
    }
}

#[test]
fn reparameterize_forward_and_backward_match_reference() {
    for (k, &(n, d)) in SHAPES.iter().enumerate() {
        let x = inputs(10 + k as u64, n * d);
        let shape = [n, d];
        let (m, lv, eps, dz) = (
            upload(&shape, &x.m),
            upload(&shape, &x.lv),
            upload(&shape, &x.eps),
            upload(&shape, &x.dz),
        );

        // exp (a few ulp), one product and one sum: z can cancel, so the bound is absolute in
        // the operands' size, |m| + e^{lv/2} |eps| ≤ 2 + e·3: 8 ulp of that.
        let z = reparam::reparameterize(&m, &lv, &eps).to_vec();
        let want = reference::reparameterize(&f64s(&x.m), &f64s(&x.lv), &f64s(&x.eps));
        assert_close(
            &format!("z {n}x{d}"),
            &z,
            &want,
            0.0,
            8.0 * EPS32 * (2.0 + 1f64.exp() * 3.0),
        );

        let (dm, dlv) = reparam::reparameterize_backward(&lv, &eps, &dz);
        assert_eq!(dm.to_vec(), x.dz, "dm must be dz itself");
        // A product of four factors (one from exp): no cancellation, so relative: ~8 ulp.
        let (_, want) =
            reference::reparameterize_backward(&f64s(&x.lv), &f64s(&x.eps), &f64s(&x.dz));
        assert_close(
            &format!("dlogvar {n}x{d}"),
            &dlv.to_vec(),
            &want,
            8.0 * EPS32,
            0.0,
        );
    }
}

#[test]
fn reference_backward_matches_finite_differences() {
    // L = Σ dz ⊙ z; central differences in f64 with h = 1e-6 have truncation error
    // ~h² |z'''| ~ 1e-12 and rounding ~1e-16 |L| / h ~ 1e-9: 1e-7 is far above both and far
    // below a wrong factor.
    let (n, d) = (3, 5);
    let x = inputs(99, n * d);
    let (m, lv, eps, dz) = (f64s(&x.m), f64s(&x.lv), f64s(&x.eps), f64s(&x.dz));
    let loss = |m: &[f64], lv: &[f64]| -> f64 {
        reference::reparameterize(m, lv, &eps)
            .iter()
            .zip(&dz)
            .map(|(z, g)| z * g)
            .sum()
    };
    let (dm, dlv) = reference::reparameterize_backward(&lv, &eps, &dz);
    let h = 1e-6;
    for i in 0..n * d {
        let (mut mp, mut mm) = (m.clone(), m.clone());
        mp[i] += h;
        mm[i] -= h;
        let fd = (loss(&mp, &lv) - loss(&mm, &lv)) / (2.0 * h);
        assert!(
            (fd - dm[i]).abs() < 1e-7,
            "dm[{i}]: {} vs finite difference {fd}",
            dm[i]
        );
        let (mut lp, mut lm) = (lv.clone(), lv.clone());
        lp[i] += h;
        lm[i] -= h;
        let fd = (loss(&m, &lp) - loss(&m, &lm)) / (2.0 * h);
        assert!(
            (fd - dlv[i]).abs() < 1e-7,
            "dlogvar[{i}]: {} vs finite difference {fd}",
            dlv[i]
        );
    }
}

#[test]
fn shift_rows_matches_reference() {
    let mut r = rng(5);
    for &(n, d) in &[(1, 1), (7, 32), (64, 784), (192, 1)] {
        let shift = uniform(&mut r, n, -2.0, 2.0);
        let eps = uniform(&mut r, n * d, -3.0, 3.0);
        let shifted = reparam::shift_rows(&upload(&[n, d], &eps), &upload(&[n], &shift)).to_vec();
        let want = reference::shift_rows(&f64s(&eps), &f64s(&shift));
        // One correctly rounded f32 addition: half an ulp of the result.
        assert_close(
            &format!("shift_rows {n}x{d}"),
            &shifted,
            &want,
            EPS32 / 2.0,
            0.0,
        );
    }
}

#[test]
fn reparameterize_is_deterministic() {
    let x = inputs(3, 64 * 32);
    let (m, lv, eps) = (
        upload(&[64, 32], &x.m),
        upload(&[64, 32], &x.lv),
        upload(&[64, 32], &x.eps),
    );
    let bits = || {
        reparam::reparameterize(&m, &lv, &eps)
            .to_vec()
            .iter()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(), bits());
}
