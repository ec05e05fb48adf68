//! Across the crates: for every method the trainer offers, a training epoch after warm-up
//! creates no GPU buffer, compiles no pipeline, makes no bind group and reads back exactly
//! once (the end-of-epoch loss history). This is what "no CPU↔GPU synchronisation and no
//! allocation inside a training step" means, checked through the public API of all three
//! crates.

use dvaan::data::Dataset;
use dvaan::train::{MethodKind, TrainConfig, Trainer};
use dvaan_tensor::Gpu;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

/// Tabular data (the MLP networks keep the test quick): 12 features, positives shifted.
fn table(n: usize) -> Dataset {
    let mut r = Pcg64::seed_from_u64(3);
    let (mut x, mut labels) = (Vec::new(), Vec::new());
    for i in 0..n {
        let y = i % 4 == 0;
        for j in 0..12 {
            let shift = if y && j < 3 { 1.5 } else { 0.0 };
            x.push(r.random_range(-1.0f32..1.0) + shift);
        }
        labels.push(if y { 1.0 } else { 0.0 });
    }
    Dataset::new("table", x, labels, vec![12]).unwrap()
}

#[test]
fn every_method_trains_without_allocating_or_syncing_after_warm_up() {
    // A private device: no other test moves its counters.
    let gpu = Gpu::new().unwrap_or_else(|e| panic!("{e}"));
    for method in MethodKind::ALL {
        let cfg = TrainConfig {
            method,
            batch: 8,
            latent: 4,
            // Augmentation reads generated samples back by design; keep it out of the window.
            aug_every: 10_000,
            log_every: 10_000,
            ..TrainConfig::default()
        };
        let mut trainer = Trainer::new(&gpu, cfg, table(48)).unwrap();
        for _ in 0..2 {
            trainer.train_epoch(&mut |_| {}).unwrap();
        }
        let before = gpu.counters();
        let finished_before = trainer.finished_steps().get();
        let stats = trainer.train_epoch(&mut |_| {}).unwrap();
        let after = gpu.counters();
        let name = method.name();
        // The progress count moves by completion callbacks, with no readback of its own.
        assert_eq!(
            trainer.finished_steps().get() - finished_before,
            stats.steps,
            "{name}: steps counted finished"
        );
        assert!(stats.steps >= 5, "{name}: {} steps", stats.steps);
        assert_eq!(
            after.buffers_created, before.buffers_created,
            "{name}: buffers created after warm-up"
        );
        assert_eq!(
            after.pipelines_created, before.pipelines_created,
            "{name}: pipelines compiled after warm-up"
        );
        assert_eq!(
            after.textures_created, before.textures_created,
            "{name}: staging textures created after warm-up"
        );
        assert_eq!(
            after.bind_groups_created, before.bind_groups_created,
            "{name}: bind groups created after warm-up"
        );
        assert_eq!(
            after.readbacks - before.readbacks,
            1,
            "{name}: readbacks other than the epoch's history"
        );
        assert!(
            after.dispatches > before.dispatches,
            "{name}: the epoch dispatched nothing"
        );
        let last = stats
            .last
            .unwrap_or_else(|| panic!("{name}: no logged step"));
        assert!(last.l_adv.is_finite(), "{name}: non-finite classifier loss");
    }
}
