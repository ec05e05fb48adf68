//! Trains DVAAN on one of the paper's binary tasks and prints the test metrics.
//!
//! `cargo run --release -p dvaan --example train_task -- fashion-mnist 5 2 [method] [seed]`
//! (dataset, imbalance ratio R of 1:R, epochs). Data come from `data/` (`tools/fetch-data.sh`).

use std::time::Instant;

use dvaan::data::{load_task, DatasetKind, TaskSpec};
use dvaan::train::{TrainConfig, Trainer};
use dvaan_tensor::Gpu;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.to_string());
    let kind: DatasetKind = arg(0, "fashion-mnist").parse()?;
    let ratio: f64 = arg(1, "5").parse()?;
    let epochs: usize = arg(2, "2").parse()?;
    let seed: u64 = arg(4, "0").parse()?;
    let mut spec = TaskSpec::new(kind, "data");
    spec.ratio = ratio;
    spec.seed = seed;
    let task = load_task(&spec)?;
    let config = TrainConfig {
        method: arg(3, "dvaan").parse()?,
        epochs,
        seed,
        ..TrainConfig::default()
    };
    let gpu = Gpu::new()?;
    println!(
        "{} at 1:{ratio}: {} train ({} positive), {} test; {} on {}",
        task.name,
        task.train.len(),
        task.train.n_pos,
        task.test.len(),
        config.method,
        gpu.summary()
    );
    let start = Instant::now();
    let mut trainer = Trainer::new(&gpu, config, task.train)?;
    for _ in 0..epochs {
        let stats = trainer.train_epoch(&mut |rows| {
            let r = rows.last().unwrap();
            println!(
                "  step {:5}  L_ele {:.4}  L_KL {:.4}  L_adv {:.4}  L_fea {:.4}  mu {:.3}  ({:.0} s)",
                r.step,
                r.l_ele,
                r.l_kl,
                r.l_adv,
                r.l_fea,
                r.mu,
                start.elapsed().as_secs_f64()
            );
        })?;
        println!(
            "epoch {}: {} steps, {:.2} samples/s, D+ {} samples",
            stats.epoch + 1,
            stats.steps,
            stats.samples_per_sec,
            stats.pool_size
        );
    }
    let train_secs = start.elapsed().as_secs_f64();
    let m = trainer.evaluate(&task.test)?;
    println!(
        "test: ROC-AUC {:.4}  PR-AUC {:.4}  G-mean {:.4}  F1 {:.4}  bal.acc {:.4}  recon MSE {:.5}",
        m.roc_auc, m.pr_auc, m.g_mean, m.f1, m.balanced_accuracy, m.recon_mse
    );
    println!(
        "epochs {epochs}, training {train_secs:.0} s, total {:.0} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
