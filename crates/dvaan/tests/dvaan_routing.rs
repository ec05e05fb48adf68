//! Each network's optimiser receives exactly the gradient of its own loss combination
//! (docs/DESIGN.md §5.2 step 4), checked on a tiny fully connected model (batch norm everywhere
//! but the discriminator's first layer, so the rows of `[x; x̃; x_p]` are coupled): the
//! gradients a step applies (`Dvaan::gradients`, which shares the discriminator's backward
//! between the networks) must equal the per-loss gradients summed with the paper's weights.

use dvaan::methods::Dvaan;
use dvaan::train::TrainConfig;
use dvaan_autograd::{Adam, Gradients, Param, Tape, Var};
use dvaan_tensor::ops::random;
use dvaan_tensor::{Gpu, Tensor};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

const EPS32: f64 = f32::EPSILON as f64;

#[test]
fn each_network_gets_exactly_its_loss_combination() {
    let gpu = Gpu::new().unwrap();
    // Weights away from 1 so that a wrong or missing weight shows.
    let cfg = TrainConfig {
        latent: 2,
        lambda1: 0.7,
        lambda2: 0.3,
        ..TrainConfig::default()
    };
    let model = Dvaan::new(&gpu, &cfg, &[8]).unwrap();
    let mut r = Pcg64::seed_from_u64(3);
    let x: Vec<f32> = (0..8 * 8).map(|_| r.random_range(-1.0..1.0)).collect();
    let y: Vec<f32> = (0..8).map(|i| (i % 3 == 0) as u8 as f32).collect();
    let (x, y) = (
        Tensor::from_slice(&gpu, &[8, 8], &x),
        Tensor::from_slice(&gpu, &[8], &y),
    );

    let tape = Tape::new();
    let l = model.losses(&tape, &x, &y, 0);
    let all: Vec<Param> = [&model.opt_enc, &model.opt_dec, &model.opt_dis]
        .iter()
        .flat_map(|o| o.params().to_vec())
        .collect();
    let single = |v| tape.backward(v, &all);
    let (g_ele, g_kl, g_adv, g_fea) = (
        single(&l.l_ele),
        single(&l.l_kl),
        single(&l.l_adv),
        single(&l.l_fea),
    );
    // What a training step applies: the shared-discriminator passes of `Dvaan::gradients`.
    let routed = model.gradients(tape, &l);
    let (l1, l2) = (cfg.lambda1 as f64, cfg.lambda2 as f64);
    let want: [Vec<(f64, &Gradients)>; 3] = [
        vec![(1.0, &g_ele), (1.0, &g_kl), (l1, &g_fea)],
        vec![(1.0, &g_ele), (l1, &g_fea), (l2, &g_adv)],
        vec![(1.0, &g_adv)],
    ];
    let opts = [&model.opt_enc, &model.opt_dec, &model.opt_dis];
    // The tolerance each network's check used, in the order of `opts`.
    let mut tolerances = Vec::new();
    for (net, ((opt, got), terms)) in ["enc", "dec", "dis"]
        .iter()
        .zip(opts.iter().zip(&routed).zip(&want))
    {
        assert_eq!(
            got.len(),
            opt.params().len(),
            "{net}: a parameter got no gradient"
        );
        // (got, want, largest term) per parameter.
        let mut checks = Vec::new();
        for p in opt.params() {
            let g = got.get(p).unwrap().to_vec();
            let parts: Vec<(f64, Vec<f32>)> = terms
                .iter()
                .map(|(w, gs)| (*w, gs.get(p).map_or(vec![0.0; g.len()], Tensor::to_vec)))
                .collect();
            let sum: Vec<f64> = (0..g.len())
                .map(|i| parts.iter().map(|(w, v)| w * v[i] as f64).sum())
                .collect();
            let big = parts
                .iter()
                .flat_map(|(w, v)| v.iter().map(move |x| (w * *x as f64).abs()))
                .fold(0.0, f64::max);
            checks.push((format!("{p:?}"), g, sum, big));
        }
        // The routed pass accumulates the same terms in another order through a few layers,
        // and batch norm's backward subtracts batch means (cancellation; the bias of a layer
        // followed by batch norm has a true gradient of zero, pure rounding), so the error
        // scales with the network's largest gradient term, not with each element: 256ε of
        // it covers that and stays far below a missing or extra term (checked below to be
        // ~1e-3 of the scale or more).
        let scale = checks.iter().map(|c| c.3).fold(0.0, f64::max);
        let tol = 256.0 * EPS32 * scale;
        tolerances.push(tol);
        for (name, g, sum, _) in &checks {
            let worst = g
                .iter()
                .zip(sum)
                .map(|(&a, b)| (a as f64 - b).abs())
                .fold(0.0, f64::max);
            assert!(
                worst <= tol,
                "{net} {name}: routed gradient off by {worst:e} (scale {scale:e})"
            );
        }
    }
    // The routing matters: the losses a network must not see do reach it, and strongly
    // enough that the check above would catch them. A misrouted loss would arrive with one
    // of the paper's weights (the smallest is min(1, λ1, λ2)) and shift some element by
    // that weight times the loss's largest gradient element there; the check above fails
    // when the shift exceeds twice its tolerance (rounding may take back up to one
    // tolerance). So each forbidden gradient must exceed 2·tol / min weight.
    let weight_min = 1.0f64.min(l1).min(l2);
    let largest = |g: &Gradients, opt: &Adam| {
        opt.params()
            .iter()
            .filter_map(|p| g.get(p))
            .flat_map(|t| t.to_vec())
            .fold(0.0f64, |m, v| m.max(v.abs() as f64))
    };
    let controls = [
        (
            "L_adv",
            "encoder",
            largest(&g_adv, &model.opt_enc),
            tolerances[0],
        ),
        (
            "L_fea",
            "discriminator",
            largest(&g_fea, &model.opt_dis),
            tolerances[2],
        ),
    ];
    for (loss, net, forbidden, tol) in controls {
        let needed = 2.0 * tol / weight_min;
        assert!(
            forbidden > needed,
            "{loss} reaches the {net} with gradients of at most {forbidden:e}, not above \
             {needed:e} (twice the routing tolerance over the smallest weight): a misrouted \
             {loss} would pass unseen, the test proves nothing"
        );
    }
}

/// `L_adv` is one class-BCE mean per part of the discriminator's batch `[x; x̃; x_p]`, summed:
/// x̃ against y, x_p against y_p, and x against y unless `strict_adv` (docs/DESIGN.md §5.2).
#[test]
fn l_adv_sums_one_class_bce_mean_per_part() {
    let gpu = Gpu::new().unwrap();
    let (b, dim) = (8, 8);
    let mut r = Pcg64::seed_from_u64(5);
    let x: Vec<f32> = (0..b * dim).map(|_| r.random_range(-1.0..1.0)).collect();
    let y: Vec<f32> = (0..b).map(|i| (i % 3 == 0) as u8 as f32).collect();
    let (x, y) = (
        Tensor::from_slice(&gpu, &[b, dim], &x),
        Tensor::from_slice(&gpu, &[b], &y),
    );
    for strict_adv in [false, true] {
        let cfg = TrainConfig {
            latent: 2,
            strict_adv,
            ..TrainConfig::default()
        };
        let model = Dvaan::new(&gpu, &cfg, &[dim]).unwrap();
        let tape = Tape::new();
        let l = model.losses(&tape, &x, &y, 0);
        let got = l.l_adv.value().to_vec()[0] as f64;
        // The discriminator's logits again: batch norm normalises by this same batch, so a
        // second forward gives the values the loss saw.
        let input = Var::constant(l.critic_input.value().clone());
        let logits = model.nets.dis.forward(&Tape::new(), &input);
        let logits = logits.logit.value().to_vec();
        let labels = l.critic_labels.to_vec();
        // The prior samples' classes: step 0's Bernoulli(½) draw, stream 1 of the step's
        // generator streams (methods/dvaan.rs).
        let y_p = random::bernoulli(&gpu, &[b], 0.5, cfg.seed, 1).to_vec();
        assert_eq!(labels, [y.to_vec(), y.to_vec(), y_p.clone()].concat());
        assert!(
            y_p.contains(&0.0) && y_p.contains(&1.0),
            "both classes among x_p"
        );
        let first = if strict_adv { 1 } else { 0 };
        let (mut want, mut mags) = (0.0, 0.0);
        for part in first..3 {
            let rows = part * b..(part + 1) * b;
            let (l, t): (Vec<f64>, Vec<f64>) =
                rows.map(|i| (logits[i] as f64, labels[i] as f64)).unzip();
            want += dvaan_tensor::ops::loss::reference::bce_with_logits(&l, &t, None);
            mags += l
                .iter()
                .zip(&t)
                .map(|(l, t)| l.abs() * (1.0 + t) + 2f64.ln())
                .sum::<f64>()
                / b as f64;
        }
        // As in the loss kernel tests: each mean within 64ε of its mean term magnitude, and
        // the scaling by the part count two roundings more.
        let tol = 66.0 * EPS32 * mags;
        assert!(
            (got - want).abs() <= tol,
            "strict_adv {strict_adv}: L_adv {got}, the sum of the part means {want} (tolerance {tol:e})"
        );
    }
}
