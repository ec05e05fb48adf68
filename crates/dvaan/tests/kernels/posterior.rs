//! The fused posterior (`kernels::posterior`: the sample z and the weighted KL from the
//! encoder's `h = [m | logvar]`) against its f64 reference, forward and backward with either
//! upstream gradient absent; the reference backward against central differences; the tape
//! op's gradient against central differences of the reference.
//!
//! Tolerances, with ε = f32's epsilon. WGSL's `exp(x)` is within 3 + 2|x| ulp, so ≤ 6 ulp
//! for |x| ≤ 1.5 (½·logvar here) and ≤ 9 ulp for |x| ≤ 3 (logvar); an ulp of v is at most
//! ε|v|. z = m + e·ε_n rounds the product and the sum once each: |error| ≤ 8ε (|m| + e|ε_n|).
//! The KL takes the KL-alone kernel's sum (see kl.rs): 64ε Σ mag / N, times the weight.
//! dm = dz + g (m − pm): four roundings (g = dkl · weight/N included): 8ε (|dz| + |g|(|m| +
//! |pm|)). dlogvar adds an exp of each kind: 16ε (|dz ε_n| e^{lv/2} / 2 + |g| (e^{lv} + 1) / 2).

use dvaan::kernels::posterior::{
    posterior_sample, posterior_sample_backward, reference, PosteriorSample,
};
use dvaan_autograd::{Param, Tape};

use crate::common::*;

const EPS32: f64 = f32::EPSILON as f64;
/// (N, D): a single term, ragged rows, DVAAN's batch and latent, the discriminator-sized
/// batch, and more terms (12,000) than one workgroup's 4096, so kl_finish runs.
const SHAPES: &[(usize, usize)] = &[(1, 1), (7, 3), (64, 32), (192, 32), (300, 40)];
const WEIGHT: f32 = 0.37;
const DKL: f32 = 0.75;

struct Case {
    d: usize,
    h: Vec<f32>,
    eps: Vec<f32>,
    pm: Vec<f32>,
}

impl Case {
    fn new(r: &mut rand_pcg::Pcg64, n: usize, d: usize) -> Case {
        // m in [-2, 2] and logvar in [-3, 1], side by side in each row.
        let m = uniform(r, n * d, -2.0, 2.0);
        let lv = uniform(r, n * d, -3.0, 1.0);
        let h = (0..n)
            .flat_map(|row| {
                let at = row * d..(row + 1) * d;
                m[at.clone()]
                    .iter()
                    .chain(&lv[at])
                    .copied()
                    .collect::<Vec<_>>()
            })
            .collect();
        let pm = binary_labels(r, n)
            .iter()
            .map(|y| (2.0 * y - 1.0) * 1.3)
            .collect();
        Case {
            d,
            h,
            eps: uniform(r, n * d, -2.5, 2.5),
            pm,
        }
    }

    /// (m, logvar) of term i.
    fn parts(&self, i: usize) -> (f64, f64) {
        let at = (i / self.d) * 2 * self.d + i % self.d;
        (self.h[at] as f64, self.h[at + self.d] as f64)
    }

    /// Where term i's m sits in h.
    fn m_at(&self, i: usize) -> usize {
        (i / self.d) * 2 * self.d + i % self.d
    }
}

#[test]
fn the_sample_and_the_weighted_kl_match_the_reference() {
    let mut r = rng(21);
    for &(n, d) in SHAPES {
        let c = Case::new(&mut r, n, d);
        let what = format!("posterior {n}x{d}");
        let (h, eps, pm) = (
            upload(&[n, 2 * d], &c.h),
            upload(&[n, d], &c.eps),
            upload(&[n], &c.pm),
        );
        let (z, kl) = posterior_sample(&h, &eps, &pm, WEIGHT);
        let (want_z, want_kl) =
            reference::posterior_sample(&f64s(&c.h), &f64s(&c.eps), &f64s(&c.pm), WEIGHT as f64);
        let bound: Vec<f64> = (0..n * d)
            .map(|i| {
                let (m, lv) = c.parts(i);
                8.0 * EPS32 * (m.abs() + (0.5 * lv).exp() * (c.eps[i] as f64).abs())
            })
            .collect();
        assert_within(&format!("{what} z"), &z.to_vec(), &want_z, &bound);
        let mags: f64 = (0..n * d)
            .map(|i| {
                let (m, lv) = c.parts(i);
                lv.exp() + (m.abs() + (c.pm[i / d] as f64).abs()).powi(2) + 1.0 + lv.abs()
            })
            .sum();
        let bound = 64.0 * EPS32 * mags / n as f64 * WEIGHT as f64;
        assert_within(&format!("{what} kl"), &kl.to_vec(), &[want_kl], &[bound]);
    }
}

#[test]
fn the_gradient_of_h_matches_the_reference_with_either_upstream_gradient() {
    let mut r = rng(22);
    for &(n, d) in SHAPES {
        let c = Case::new(&mut r, n, d);
        let dz = uniform(&mut r, n * d, -1.0, 1.0);
        let (h, eps, pm) = (
            upload(&[n, 2 * d], &c.h),
            upload(&[n, d], &c.eps),
            upload(&[n], &c.pm),
        );
        let (dz_t, dkl_t) = (upload(&[n, d], &dz), upload(&[1], &[DKL]));
        let zeros = vec![0.0; n * d];
        // Both gradients, z's alone (dkl 0), the KL's alone (dz 0).
        let cases = [
            ("both", Some(&dz_t), Some(&dkl_t), &dz[..], DKL),
            ("dz only", Some(&dz_t), None, &dz[..], 0.0),
            ("dkl only", None, Some(&dkl_t), &zeros[..], DKL),
        ];
        for (which, dz_gpu, dkl_gpu, dz_ref, dkl_ref) in cases {
            let what = format!("posterior {n}x{d} backward, {which}");
            let got = posterior_sample_backward(&h, &eps, &pm, WEIGHT, (dz_gpu, dkl_gpu));
            let want = reference::posterior_sample_backward(
                &f64s(&c.h),
                &f64s(&c.eps),
                &f64s(&c.pm),
                WEIGHT as f64,
                &f64s(dz_ref),
                dkl_ref as f64,
            );
            let g = (dkl_ref * WEIGHT) as f64 / n as f64;
            let mut bound = vec![0.0; 2 * n * d];
            for (i, &dzi) in dz_ref.iter().enumerate() {
                let (m, lv) = c.parts(i);
                let (dzi, pmi) = (dzi as f64, c.pm[i / d] as f64);
                let at = c.m_at(i);
                bound[at] = 8.0 * EPS32 * (dzi.abs() + g.abs() * (m.abs() + pmi.abs()));
                bound[at + d] = 16.0
                    * EPS32
                    * ((dzi * c.eps[i] as f64).abs() * (0.5 * lv).exp() / 2.0
                        + g.abs() * (lv.exp() + 1.0) / 2.0);
            }
            assert_within(&what, &got.to_vec(), &want, &bound);
        }
    }
}

#[test]
fn reference_gradient_matches_finite_differences() {
    let mut r = rng(23);
    let (n, d) = (5, 3);
    let c = Case::new(&mut r, n, d);
    let (h, eps, pm) = (f64s(&c.h), f64s(&c.eps), f64s(&c.pm));
    let dz = f64s(&uniform(&mut r, n * d, -1.0, 1.0));
    let (w, dkl) = (WEIGHT as f64, DKL as f64);
    let dh = reference::posterior_sample_backward(&h, &eps, &pm, w, &dz, dkl);
    check_fd("posterior dh", &h, &dh, |x| {
        let (z, kl) = reference::posterior_sample(x, &eps, &pm, w);
        z.iter().zip(&dz).map(|(a, b)| a * b).sum::<f64>() + dkl * kl
    });
}

/// The op on the tape, seeded with `dz` on z and `DKL` on the KL: the gradient of h against
/// central differences (step 1e-4) of the f64 objective `⟨dz, z⟩ + DKL·kl`. The GPU side is
/// a few f32 operations and two exps per element, so rtol 1e-4 and atol 1e-5 (scaled by the
/// largest gradient) bound its error with room; a wrong term or factor is off by far more.
#[test]
fn tape_op_gradient_matches_finite_differences() {
    let mut r = rng(24);
    let (n, d) = (3, 4);
    let c = Case::new(&mut r, n, d);
    let dz = uniform(&mut r, n * d, -1.0, 1.0);
    let (eps, pm) = (upload(&[n, d], &c.eps), upload(&[n], &c.pm));
    let param = Param::new(upload(&[n, 2 * d], &c.h));
    let tape = Tape::new();
    let (z, kl) = tape.posterior_sample(&tape.param(&param), &eps, &pm, WEIGHT);
    let seeds = [(&z, upload(&[n, d], &dz)), (&kl, upload(&[1], &[DKL]))];
    let grads = tape.backward_seeded(&seeds, [&param], &[]);
    let got = grads.get(&param).expect("a gradient for h").to_vec();

    let (eps64, pm64, dz64) = (f64s(&c.eps), f64s(&c.pm), f64s(&dz));
    let objective = |x: &[f64]| {
        let (z, kl) = reference::posterior_sample(x, &eps64, &pm64, WEIGHT as f64);
        z.iter().zip(&dz64).map(|(a, b)| a * b).sum::<f64>() + DKL as f64 * kl
    };
    let step = 1e-4;
    let h64 = f64s(&c.h);
    let fd: Vec<f64> = (0..h64.len())
        .map(|j| {
            let (mut up, mut down) = (h64.clone(), h64.clone());
            up[j] += step;
            down[j] -= step;
            (objective(&up) - objective(&down)) / (2.0 * step)
        })
        .collect();
    let scale = fd.iter().fold(1.0f64, |s, v| s.max(v.abs()));
    let bound: Vec<f64> = fd.iter().map(|f| 1e-5 * scale + 1e-4 * f.abs()).collect();
    assert_within("tape posterior d/dh", &got, &fd, &bound);
}
