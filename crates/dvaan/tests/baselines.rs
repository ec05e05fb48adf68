//! The baselines of docs/DESIGN.md §5.4 on a tiny synthetic 28×28 task (the convolutional
//! networks), small enough for lavapipe: each method learns (test ROC-AUC well above chance)
//! through the shared trainer, and each of its networks descends its own objective when it
//! alone steps on a fixed batch (the others frozen) — a check that every loss has the right
//! sign and reaches the right network.

mod synthetic;

use dvaan::methods::{self, objective_values, train_step};
use dvaan::train::{MethodKind, TrainConfig, Trainer};
use dvaan_tensor::Tensor;
use synthetic::{gpu, strokes};

fn config(method: MethodKind) -> TrainConfig {
    TrainConfig {
        method,
        batch: 8,
        latent: 8,
        lr: 1e-3,
        log_every: 4,
        seed: 5,
        ..TrainConfig::default()
    }
}

/// Trains on 48 samples at 1:3 for `epochs`, evaluates on 24 balanced ones.
fn learns(method: MethodKind, epochs: usize) {
    let mut t = Trainer::new(gpu(), config(method), strokes(48, 4, 1)).unwrap();
    let (mut rows, mut steps) = (Vec::new(), 0);
    for _ in 0..epochs {
        steps += t
            .train_epoch(&mut |r| rows.extend_from_slice(r))
            .unwrap()
            .steps;
    }
    // Balanced and oversampled epochs see every negative once: 36 per epoch.
    let per_epoch = match method {
        MethodKind::VaeGanB | MethodKind::CnnRos => 36 / 4,
        _ => 48 / 8,
    };
    assert_eq!(
        (rows.len(), steps),
        (epochs * per_epoch, epochs * per_epoch),
        "{method}: steps"
    );
    let m = t.evaluate(&strokes(24, 2, 2)).unwrap();
    eprintln!(
        "{method}: ROC-AUC {:.3}, recon MSE {:.4}, last {:?}",
        m.roc_auc,
        m.recon_mse,
        rows.last()
    );
    assert!(
        m.roc_auc >= 0.8,
        "{method}: test ROC-AUC {} after {epochs} epochs",
        m.roc_auc
    );

    let has = method.loss_columns().map(|c| c != "-");
    for r in &rows {
        let cols = [r.l_ele, r.l_kl, r.l_adv, r.l_fea];
        for (k, (&v, &present)) in cols.iter().zip(&has).enumerate() {
            assert!(
                present || v == 0.0,
                "{method}: column {k} is {v}, expected 0"
            );
        }
        assert_eq!(r.mu, 0.0, "{method}: μ column");
    }
    assert_eq!(t.mu(), 0.0);

    let reconstructs = matches!(
        method,
        MethodKind::VaeGan | MethodKind::VaeGanB | MethodKind::CvaeGan
    );
    assert_eq!(
        m.recon_mse.is_finite(),
        reconstructs,
        "{method}: recon MSE {}",
        m.recon_mse
    );
    let codes = t.encode(&strokes(5, 2, 3)).unwrap();
    assert_eq!(
        codes.map(|c| c.len()),
        reconstructs.then_some(5 * 8),
        "{method}: latent codes"
    );
    match t.sample_grid(2, 9) {
        Ok((x, chw)) => {
            assert!(method.generates());
            assert_eq!((x.len(), chw), (8 * 784, [1, 28, 28]));
            assert!(x.iter().all(|v| (0.0..=1.0).contains(v)));
        }
        Err(e) => assert!(!method.generates(), "{method}: {e}"),
    }

    // A checkpoint of the method loads back into a fresh trainer.
    let state = t.state();
    let mut fresh = Trainer::new(gpu(), config(method), strokes(48, 4, 1)).unwrap();
    fresh.load_state(&state).unwrap();
    assert_eq!(fresh.state(), state, "{method}: state round trip");
}

/// For every network of `method`: on a fixed batch and fixed noise, three steps of that
/// network alone lower its objective.
fn descends(method: MethodKind) {
    let g = gpu();
    let data = strokes(8, 3, 4);
    let x = Tensor::from_slice(g, &[8, 1, 28, 28], &data.x);
    let y = Tensor::from_slice(g, &[8], &data.labels);
    let cfg = config(method);
    let nets: Vec<&str> = {
        let m = methods::build(g, &cfg, &data).unwrap();
        m.optimisers().into_iter().map(|(n, _)| n).collect()
    };
    for net in nets {
        let mut m = methods::build(g, &cfg, &data).unwrap();
        let value = |m: &dyn methods::Method| {
            objective_values(m, &x, &y, 0)
                .into_iter()
                .find(|(n, _)| *n == net)
                .unwrap()
                .1
        };
        let before = value(m.as_ref());
        for _ in 0..3 {
            train_step(m.as_mut(), &x, &y, 0, Some(net));
        }
        let after = value(m.as_ref());
        eprintln!("{method} {net}: {before:.5} -> {after:.5}");
        assert!(
            after.is_finite() && after < before,
            "{method}: {net}'s objective {before} -> {after}"
        );
    }
}

#[test]
fn vae_gan() {
    learns(MethodKind::VaeGan, 2);
    descends(MethodKind::VaeGan);
}

#[test]
fn vae_gan_b() {
    learns(MethodKind::VaeGanB, 2);
}

#[test]
fn ac_gan() {
    learns(MethodKind::AcGan, 2);
    descends(MethodKind::AcGan);
}

#[test]
fn cvae_gan() {
    learns(MethodKind::CvaeGan, 2);
    descends(MethodKind::CvaeGan);
}

#[test]
fn cnn_references() {
    for m in [
        MethodKind::Cnn,
        MethodKind::CnnWeighted,
        MethodKind::CnnRos,
        MethodKind::CnnFocal,
    ] {
        learns(m, 2);
        descends(m);
    }
}

#[test]
fn every_method_name_parses() {
    for m in MethodKind::ALL {
        assert_eq!(m.name().parse::<MethodKind>(), Ok(m));
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, format!("\"{}\"", m.name()));
    }
}
