use dvaan_tensor::ops::adam::{adam_step, adam_step_range, reference, AdamConfig};
use dvaan_tensor::{with_texel_reads, Gpu, Tensor};

use crate::common::*;

const EPS32: f64 = f32::EPSILON as f64;
// Tails of 1-3 elements after the vec4 part, vec4 parts below and above a workgroup.
const SIZES: &[usize] = &[1, 7, 255, 256, 257, 92 * 5 * 5 + 3, 100_000, 100_003];

fn configs() -> [AdamConfig; 2] {
    [
        AdamConfig::default(),
        // The DVAAN settings, with L2 weight decay switched on.
        AdamConfig {
            lr: 2e-4,
            beta1: 0.5,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
        },
    ]
}

fn assert_within(what: &str, got: &[f32], want: &[f64], bound: &[f64]) {
    for i in 0..got.len() {
        let err = (got[i] as f64 - want[i]).abs();
        assert!(
            err <= bound[i],
            "{what}: element {i} is {} but the reference is {} (error {err:e}, bound {:e})",
            got[i],
            want[i],
            bound[i]
        );
    }
}

// Each step starts the f64 reference from the GPU's own f32 state, so the comparison
// measures the error of one update. Bounds, per element, from the roundings involved:
//   m: g = grad + wd·p (2), two products and a sum (3): 4ε (β1|m| + (1-β1)(|grad| + wd|p|)),
//      absolute because the two parts may cancel;
//   v: all parts positive, g² doubles g's error: 6ε (β2 v + (1-β2)(|grad| + wd|p|)²);
//   param: rounding of p - u (ε|p|), the update u's own roundings (sqrt, products, division,
//      the f32 step sizes: 16ε|u|) and m's error carried through lr/bc1/(√v̂ + eps).
#[test]
fn adam_step_matches_reference() {
    let mut r = rng(1);
    for cfg in configs() {
        for &n in SIZES {
            let p0 = uniform(&mut r, n, -1.0, 1.0);
            let (pt, mt, vt) = (
                upload(&[n], &p0),
                upload(&[n], &vec![0.0; n]),
                upload(&[n], &vec![0.0; n]),
            );
            for step in [1u32, 2, 3, 1000] {
                let grad = uniform(&mut r, n, -0.1, 0.1);
                let (p, m, v) = (f64s(&pt.to_vec()), f64s(&mt.to_vec()), f64s(&vt.to_vec()));
                let (mut pw, mut mw, mut vw) = (p.clone(), m.clone(), v.clone());
                reference::adam_step(&mut pw, &f64s(&grad), &mut mw, &mut vw, step, &cfg);
                adam_step(&pt, &upload(&[n], &grad), &mt, &vt, step, &cfg);

                let (b1, b2, wd) = (cfg.beta1 as f64, cfg.beta2 as f64, cfg.weight_decay as f64);
                let bc1 = 1.0 - b1.powi(step as i32);
                let bc2 = 1.0 - b2.powi(step as i32);
                let gabs: Vec<f64> = (0..n)
                    .map(|i| (grad[i] as f64).abs() + wd * p[i].abs())
                    .collect();
                let bm: Vec<f64> = (0..n)
                    .map(|i| 4.0 * EPS32 * (b1 * m[i].abs() + (1.0 - b1) * gabs[i]))
                    .collect();
                let bv: Vec<f64> = (0..n)
                    .map(|i| 6.0 * EPS32 * (b2 * v[i] + (1.0 - b2) * gabs[i].powi(2)))
                    .collect();
                let bp: Vec<f64> = (0..n)
                    .map(|i| {
                        let den = (vw[i] / bc2).sqrt() + cfg.eps as f64;
                        let u = (p[i] - pw[i]).abs();
                        EPS32 * pw[i].abs() + 16.0 * EPS32 * u + cfg.lr as f64 / bc1 * bm[i] / den
                    })
                    .collect();
                let what = format!("n={n} step={step} {cfg:?}");
                assert_within(&format!("m {what}"), &mt.to_vec(), &mw, &bm);
                assert_within(&format!("v {what}"), &vt.to_vec(), &vw, &bv);
                assert_within(&format!("param {what}"), &pt.to_vec(), &pw, &bp);
            }
        }
    }
}

/// With a constant gradient the bias-corrected moments are exactly g and g², so each step
/// moves the parameter by lr · g / (|g| + eps): a check independent of the reference.
#[test]
fn constant_gradient_moves_by_lr_per_step() {
    let cfg = AdamConfig {
        lr: 0.01,
        ..AdamConfig::default()
    };
    let g = [0.5f32, -0.25, 1e-3, -2.0];
    let n = g.len();
    let (p, m, v) = (
        upload(&[n], &[0.0; 4]),
        upload(&[n], &[0.0; 4]),
        upload(&[n], &[0.0; 4]),
    );
    let gt = upload(&[n], &g);
    let steps = 5;
    for t in 1..=steps {
        adam_step(&p, &gt, &m, &v, t, &cfg);
    }
    let want: Vec<f64> = g
        .iter()
        .map(|&x| -(steps as f64) * 0.01 * x as f64 / ((x as f64).abs() + 1e-8))
        .collect();
    // Five updates of magnitude 0.01, each within ~32 ulp.
    assert_close("param after 5 steps", &p.to_vec(), &want, 1e-5, 0.0);
}

#[test]
fn adam_is_deterministic() {
    let mut r = rng(3);
    let n = 4099;
    let (p0, g) = (uniform(&mut r, n, -1.0, 1.0), uniform(&mut r, n, -1.0, 1.0));
    let run = || {
        let (p, m, v) = (
            upload(&[n], &p0),
            upload(&[n], &vec![0.0; n]),
            upload(&[n], &vec![0.0; n]),
        );
        for t in 1..=3 {
            adam_step(&p, &upload(&[n], &g), &m, &v, t, &AdamConfig::default());
        }
        p.to_vec().iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}

/// A range of flat buffers steps exactly as the same elements would in tensors of their own
/// (bit for bit), and nothing outside the range moves: ranges that start and end inside a
/// quad, within one quad, empty, and whole.
#[test]
fn a_range_steps_like_its_own_tensor_and_leaves_the_rest() {
    let n = 2100;
    let mut r = rng(4);
    let ranges = [3..1030, 5..6, 1..7, 4..8, 9..9, 0..n, 256..2100, 2047..2100];
    for (k, range) in ranges.into_iter().enumerate() {
        let (p0, m0, v0, g) = (
            uniform(&mut r, n, -1.0, 1.0),
            uniform(&mut r, n, -0.1, 0.1),
            uniform(&mut r, n, 0.0, 0.01),
            uniform(&mut r, n, -0.1, 0.1),
        );
        let cfg = configs()[k % 2];
        let whole = [&p0, &g, &m0, &v0].map(|d| upload(&[n], d));
        let [p, gt, m, v] = &whole;
        adam_step_range(p, gt, m, v, range.clone(), 3, &cfg);
        let len = range.len();
        let own = [&p0, &g, &m0, &v0].map(|d| upload(&[len], &d[range.clone()]));
        adam_step(&own[0], &own[1], &own[2], &own[3], 3, &cfg);
        let what = format!("range {range:?}");
        for (name, (got, before), alone) in [
            ("param", (p, &p0), &own[0]),
            ("m", (m, &m0), &own[2]),
            ("v", (v, &v0), &own[3]),
        ] {
            let got = bits(&got.to_vec());
            let mut want = bits(before);
            want[range.clone()].copy_from_slice(&bits(&alone.to_vec()));
            assert!(
                got == want,
                "{name}, {what}: differs from its own tensor's step"
            );
        }
    }
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Adam reads its buffers even where the other memory-bound kernels read staged textures:
/// every input changes between two updates, so staging them would copy whole networks each
/// step (docs/PERFORMANCE.md). One dispatch, no staging.
#[test]
fn adam_stages_nothing_even_where_texel_reads_are_preferred() {
    // A private device, so that other tests do not move its counters.
    let gpu = Gpu::new().unwrap_or_else(|e| panic!("{e}"));
    with_texel_reads(Some(true), || {
        let n = 4096;
        let filled = |v: f32| Tensor::from_slice(&gpu, &[n], &vec![v; n]);
        let (p, g, m, v) = (filled(0.5), filled(0.1), filled(0.0), filled(0.0));
        let before = gpu.counters();
        adam_step(&p, &g, &m, &v, 1, &AdamConfig::default());
        let after = gpu.counters();
        assert_eq!(
            after.stagings - before.stagings,
            0,
            "Adam staged its inputs"
        );
        assert_eq!(after.dispatches - before.dispatches, 1);
    });
}
