//! Adam's bookkeeping (moments per parameter, step count, skipped parameters, checkpoint
//! state) against the engine's f64 reference update, and seeded initialisation.

use dvaan_autograd::{init, Adam, AdamConfig, Gradients, Init, Layer, Linear, Param, Tape, Var};
use dvaan_tensor::ops::adam;

use crate::common::*;

#[test]
fn adam_matches_the_reference_over_steps_and_skips_unreached_params() {
    let g = gpu();
    let mut r = rng(30);
    let layer = Linear::new(g, 3, 2, &mut r);
    let x = Var::constant(upload(&[4, 3], &uniform(&mut r, 12, -1.0, 1.0)));
    let target = Var::constant(upload(&[4, 2], &uniform(&mut r, 8, -1.0, 1.0)));
    let unused = Param::new(upload(&[5], &[1.0; 5]));
    let mut params = layer.params();
    params.push(("unused".into(), unused.clone()));
    let cfg = AdamConfig {
        lr: 0.01,
        beta1: 0.5,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.01,
    };
    let mut opt = Adam::new(params, cfg);

    let mut w = f64s(&layer.weight.value().to_vec());
    let (mut m, mut v) = (vec![0.0; w.len()], vec![0.0; w.len()]);
    for t in 1..=3u32 {
        let tape = Tape::new();
        let loss = tape.mse(&layer.forward(&tape, &x), &target);
        let grads: Gradients = tape.backward(&loss, opt.params());
        assert!(grads.get(&unused).is_none());
        let gw = f64s(&grads.get(&layer.weight).unwrap().to_vec());
        adam::reference::adam_step(&mut w, &gw, &mut m, &mut v, t, &cfg);
        opt.step(&grads);
    }
    assert_eq!(opt.steps(), 3);
    // Three fused f32 updates of size ~lr each: a few ulp of O(1) values.
    let got = layer.weight.value().to_vec();
    assert_eq!(got.len(), w.len(), "weight length");
    for (i, (&a, &b)) in got.iter().zip(&w).enumerate() {
        assert!(
            (a as f64 - b).abs() <= 1e-6,
            "weight[{i}]: {a} vs reference {b}"
        );
    }
    assert_eq!(
        unused.value().to_vec(),
        [1.0; 5],
        "a parameter without a gradient moved"
    );
    let state = opt.state();
    let names: Vec<&str> = state.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["weight.m", "weight.v", "bias.m", "bias.v", "unused.m", "unused.v"]
    );
    let m_gpu = state[0].1.to_vec();
    assert_eq!(m_gpu.len(), m.len(), "first moment length");
    for (i, (&a, &b)) in m_gpu.iter().zip(&m).enumerate() {
        assert!((a as f64 - b).abs() <= 1e-6, "m[{i}]: {a} vs reference {b}");
    }
}

/// One dispatch for a whole group gives, bit for bit, what a step of each parameter's own
/// tensors gives: sizes that are not whole quads, one of 92·5·5 (the convolutions'), and a
/// parameter that has a gradient in the first step only, between two that always have one:
/// its moments, no longer zero, must then stay as they are.
#[test]
fn the_group_update_matches_each_parameters_own_step_bit_for_bit() {
    let mut r = rng(32);
    let sizes = [7, 1, 92 * 5 * 5, 3, 64, 93];
    let params: Vec<Param> = sizes
        .iter()
        .map(|&n| Param::new(upload(&[n], &uniform(&mut r, n, -1.0, 1.0))))
        .collect();
    let skipped = 3;
    let cfg = AdamConfig {
        lr: 2e-4,
        beta1: 0.5,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.01,
    };
    let named = params
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("p{i}"), p.clone()))
        .collect();
    let mut opt = Adam::new(named, cfg);
    // Each parameter's own tensors, stepped one at a time.
    let own: Vec<[dvaan_tensor::Tensor; 3]> = params
        .iter()
        .map(|p| {
            let n = p.value().numel();
            [
                p.value().duplicate(),
                upload(&[n], &vec![0.0; n]),
                upload(&[n], &vec![0.0; n]),
            ]
        })
        .collect();
    for t in 1..=3u32 {
        let tape = Tape::new();
        let terms: Vec<Var> = params
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != skipped || t == 1)
            .map(|(_, p)| {
                let x = tape.param(p);
                let target = Var::constant(upload(
                    p.shape(),
                    &uniform(&mut r, p.value().numel(), -1.0, 1.0),
                ));
                tape.mse(&tape.mul(&x, &x), &target)
            })
            .collect();
        let refs: Vec<(f32, &Var)> = terms.iter().map(|v| (1.0, v)).collect();
        let loss = tape.weighted_sum(&refs);
        let grads = tape.backward(&loss, opt.params());
        for (p, [w, m, v]) in params.iter().zip(&own) {
            if let Some(gp) = grads.get(p) {
                adam::adam_step(w, gp, m, v, t, &cfg);
            }
        }
        opt.step(&grads);
    }
    let state = opt.state();
    for (i, (p, [w, m, v])) in params.iter().zip(&own).enumerate() {
        let b =
            |t: &dvaan_tensor::Tensor| t.to_vec().iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert!(
            b(p.value()) == b(w),
            "parameter {i} of {}: values differ",
            sizes[i]
        );
        assert!(b(&state[2 * i].1) == b(m), "parameter {i}: m differs");
        assert!(b(&state[2 * i + 1].1) == b(v), "parameter {i}: v differs");
    }
}

/// An optimiser moves its parameters into its flat buffer when it is made, so a step copies
/// only the gradients in (one copy per parameter that has one) and updates in place with
/// one dispatch. A parameter that another optimiser moved first stays where it is and is
/// copied in and back around the update: both optimisers' updates reach it, bit for bit
/// what the update kernel gives on the parameter's own tensors. (Storage-buffer reads, so
/// that every copy counted is the optimiser's, not a staging texture's.)
#[test]
fn a_step_copies_gradients_only_and_a_shared_parameter_gets_both_updates() {
    dvaan_tensor::with_texel_reads(Some(false), shared_parameter_case);
}

fn shared_parameter_case() {
    let gpu = dvaan_tensor::Gpu::new().unwrap_or_else(|e| panic!("{e}"));
    let mut r = rng(34);
    let p: Vec<Param> = [5, 92, 8]
        .iter()
        .map(|&n| {
            Param::new(dvaan_tensor::Tensor::from_slice(
                &gpu,
                &[n],
                &uniform(&mut r, n, -1.0, 1.0),
            ))
        })
        .collect();
    let cfg = AdamConfig::default();
    let named = |ps: &[&Param]| {
        ps.iter()
            .enumerate()
            .map(|(i, p)| (format!("p{i}"), (*p).clone()))
            .collect::<Vec<_>>()
    };
    let mut first = Adam::new(named(&[&p[0], &p[1]]), cfg);
    let mut second = Adam::new(named(&[&p[1], &p[2]]), cfg);
    let own: Vec<dvaan_tensor::Tensor> = p.iter().map(|p| p.value().duplicate()).collect();
    let zeros = |n: usize| dvaan_tensor::Tensor::zeros(&gpu, &[n]);
    let moments = |ps: &[usize]| -> Vec<[dvaan_tensor::Tensor; 2]> {
        ps.iter()
            .map(|&i| [zeros(p[i].value().numel()), zeros(p[i].value().numel())])
            .collect()
    };
    let (own_first, own_second) = (moments(&[0, 1]), moments(&[1, 2]));
    for t in 1..=2u32 {
        let tape = Tape::new();
        let terms: Vec<Var> = p
            .iter()
            .map(|p| {
                let x = tape.param(p);
                tape.mse(&tape.mul(&x, &x), &Var::constant(zeros(p.value().numel())))
            })
            .collect();
        let refs: Vec<(f32, &Var)> = terms.iter().map(|v| (1.0, v)).collect();
        let loss = tape.weighted_sum(&refs);
        let all: Vec<Param> = p.clone();
        let grads = tape.backward(&loss, &all);
        for (group, own_m) in [(&[0, 1], &own_first), (&[1, 2], &own_second)] {
            for (&i, [m, v]) in group.iter().zip(own_m.iter()) {
                adam::adam_step(&own[i], grads.get(&p[i]).unwrap(), m, v, t, &cfg);
            }
        }
        let before = gpu.counters();
        first.step(&grads);
        let between = gpu.counters();
        second.step(&grads);
        let after = gpu.counters();
        assert_eq!(
            between.transfers - before.transfers,
            2,
            "resident: gradients only"
        );
        assert_eq!(between.dispatches - before.dispatches, 1);
        assert_eq!(
            after.transfers - between.transfers,
            4,
            "two gradients, and the shared parameter in and back"
        );
        assert_eq!(after.dispatches - between.dispatches, 1);
    }
    let bits =
        |t: &dvaan_tensor::Tensor| t.to_vec().iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    for (i, (p, w)) in p.iter().zip(&own).enumerate() {
        assert!(bits(p.value()) == bits(w), "parameter {i}: values differ");
    }
}

/// A parameter listed twice in one group is updated once, as when it is listed once.
#[test]
fn a_parameter_listed_twice_is_updated_once() {
    let mut r = rng(35);
    let start = uniform(&mut r, 92, -1.0, 1.0);
    let make = || Param::new(upload(&[92], &start));
    let (once, twice) = (make(), make());
    let mut one = Adam::new(vec![("p".into(), once.clone())], AdamConfig::default());
    let mut two = Adam::new(
        vec![("p".into(), twice.clone()), ("again".into(), twice.clone())],
        AdamConfig::default(),
    );
    for _ in 0..2 {
        for (p, opt) in [(&once, &mut one), (&twice, &mut two)] {
            let tape = Tape::new();
            let x = tape.param(p);
            let loss = tape.mse(&tape.mul(&x, &x), &Var::constant(upload(&[92], &[0.5; 92])));
            let params = opt.params().to_vec();
            opt.step(&tape.backward(&loss, &params));
        }
    }
    let bits = |p: &Param| {
        p.value()
            .to_vec()
            .iter()
            .map(|x| x.to_bits())
            .collect::<Vec<_>>()
    };
    assert!(
        bits(&once) == bits(&twice),
        "listed twice, updated other than once"
    );
    assert!(bits(&once) != start.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
}

#[test]
fn initialisation_is_seeded_and_bounded() {
    let g = gpu();
    let a = Linear::new(g, 50, 20, &mut rng(31)).weight.value().to_vec();
    let b = Linear::new(g, 50, 20, &mut rng(31)).weight.value().to_vec();
    assert_eq!(a, b, "one seed gave two initialisations");
    // PyTorch's default: U(−1/√fan_in, 1/√fan_in), and it should nearly fill that range.
    let bound = 1.0 / 50f32.sqrt();
    let max = a.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(
        max <= bound && max > 0.9 * bound,
        "max |w| {max} for bound {bound}"
    );

    assert_eq!(init::fans(&[8, 3, 5, 5]), (75, 200));
    let xavier = init::weight(
        &mut rng(32),
        &[8, 3, 5, 5],
        Init::XavierUniform { gain: 1.0 },
    );
    let xb = (6.0f32 / 275.0).sqrt();
    assert!(xavier.iter().all(|v| v.abs() <= xb));
    let normal = init::weight(&mut rng(33), &[100, 100], Init::Normal { std: 0.02 });
    let var = normal.iter().map(|v| (v * v) as f64).sum::<f64>() / 1e4;
    // 10⁴ samples: the sample variance is within a few percent of 0.02².
    assert!(
        (var.sqrt() - 0.02).abs() < 0.001,
        "normal init std {}",
        var.sqrt()
    );
}
