use dvaan::kernels::margin::{margin_update, reference, MarginConfig};
use dvaan_tensor::Tensor;

use crate::common::*;

const EPS32: f64 = f32::EPSILON as f64;

const DEFAULTS: MarginConfig = MarginConfig {
    eta: 0.01,
    gamma: 1.0,
    mu_min: 0.1,
    mu_max: 10.0,
};

fn run(mu: f32, l_fea: f32, l_adv: f32, cfg: &MarginConfig) -> f32 {
    let t = Tensor::scalar(gpu(), mu);
    margin_update(
        &t,
        &Tensor::scalar(gpu(), l_fea),
        &Tensor::scalar(gpu(), l_adv),
        cfg,
    );
    t.item()
}

// One tanh (a few ulp of a value ≤ 1, times η), a product and a difference with μ: the result
// is within 4 ulp of max(|μ|, η) of the f64 reference; 8 ulp leaves room for the tanh.
fn bound(mu: f32, cfg: &MarginConfig) -> f64 {
    8.0 * EPS32 * (mu.abs() as f64).max(cfg.eta as f64)
}

#[test]
fn margin_update_matches_reference() {
    let mut r = rng(5);
    let other = MarginConfig {
        eta: 0.3,
        gamma: 2.5,
        mu_min: 0.0,
        mu_max: 4.0,
    };
    for cfg in [DEFAULTS, other] {
        let mus = uniform(&mut r, 24, cfg.mu_min, cfg.mu_max);
        let fea = uniform(&mut r, 24, 0.0, 3.0);
        let adv = uniform(&mut r, 24, 0.0, 3.0);
        for i in 0..24 {
            let got = run(mus[i], fea[i], adv[i], &cfg);
            let want = reference::margin_update(mus[i] as f64, fea[i] as f64, adv[i] as f64, &cfg);
            assert_close(
                &format!("mu case {i}"),
                &[got],
                &[want],
                0.0,
                bound(mus[i], &cfg),
            );
        }
    }
}

#[test]
fn margin_moves_the_right_way_and_clamps() {
    // γ·L_adv > L_fea: the discriminator struggles, μ grows by η·tanh(1).
    let up = run(1.0, 0.5, 1.5, &DEFAULTS);
    assert_close(
        "grow",
        &[up],
        &[1.0 + 0.01 * 1f64.tanh()],
        0.0,
        bound(1.0, &DEFAULTS),
    );
    // L_fea larger: μ shrinks.
    let down = run(1.0, 1.5, 0.5, &DEFAULTS);
    assert_close(
        "shrink",
        &[down],
        &[1.0 - 0.01 * 1f64.tanh()],
        0.0,
        bound(1.0, &DEFAULTS),
    );
    // Bounds are exact: clamp returns the bound itself.
    assert_eq!(run(0.1, 5.0, 0.0, &DEFAULTS), 0.1);
    assert_eq!(run(10.0, 0.0, 5.0, &DEFAULTS), 10.0);
    // A huge argument saturates tanh instead of producing NaN.
    assert_close(
        "saturate",
        &[run(2.0, 0.0, 1e30, &DEFAULTS)],
        &[2.01],
        0.0,
        bound(2.0, &DEFAULTS),
    );
    assert_close(
        "saturate-",
        &[run(2.0, 1e30, 0.0, &DEFAULTS)],
        &[1.99],
        0.0,
        bound(2.0, &DEFAULTS),
    );
}

#[test]
fn margin_update_is_deterministic_and_chains_on_the_gpu() {
    // Ten updates recorded back to back, read once: each must see the previous one's μ.
    let go = || {
        let mu = Tensor::scalar(gpu(), 1.0);
        let (fea, adv) = (Tensor::scalar(gpu(), 0.2), Tensor::scalar(gpu(), 0.9));
        for _ in 0..10 {
            margin_update(&mu, &fea, &adv, &DEFAULTS);
        }
        mu.item()
    };
    let a = go();
    let mut want = 1.0f64;
    for _ in 0..10 {
        want = reference::margin_update(want, 0.2, 0.9, &DEFAULTS);
    }
    assert_close(
        "10 chained updates",
        &[a],
        &[want],
        0.0,
        10.0 * bound(1.1, &DEFAULTS),
    );
    assert_eq!(a.to_bits(), go().to_bits());
}
