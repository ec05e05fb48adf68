//! The grid, the statistics, the tables, PCA and the SVG charts on made-up outcomes (no GPU).

use super::figures::{auc_vs_ratio, latent_panel, read_mu};
use super::grid::{expand_methods, ratio_label, split_ova};
use super::outcome::summarise;
use super::pca::{principal_axes, project_2d};
use super::tables::{csv, entry, markdown};
use super::*;
use crate::io::svg::{nice_ticks, Chart, Series, Style};
use crate::run::record::MetricsRecord;

fn grid() -> Grid {
    Grid {
        blocks: vec![
            Block {
                methods: vec!["dvaan".into(), "cnn".into()],
                datasets: vec!["mnist".into()],
                ratios: vec![5.0],
                epochs: None,
            },
            Block {
                methods: vec!["dvaan".into()],
                datasets: vec!["mnist".into()],
                ratios: vec![10.0, 5.0],
                epochs: None,
            },
        ],
        seeds: vec![0, 1],
    }
}

fn metrics(auc: f64) -> MetricsRecord {
    MetricsRecord {
        roc_auc: auc,
        pr_auc: auc - 0.1,
        g_mean: 0.5,
        f1: 0.4,
        balanced_accuracy: 0.6,
        recon_mse: 0.02,
        threshold_rule: Default::default(),
        threshold: 0.0,
    }
}

fn outcome(dataset: &str, ratio: f64, method: &str, seed: u64, auc: Option<f64>) -> Outcome {
    let cell = Cell {
        dataset: dataset.into(),
        ratio,
        method: method.into(),
        seed,
        epochs: None,
    };
    match auc {
        Some(a) => Outcome {
            metrics: Some(metrics(a)),
            ..Outcome::new(cell, Status::Done)
        },
        // Made up: the stubs treat cnn as a method this build lacks.
        None if method == "cnn" => Outcome::new(cell, Status::NotImplemented),
        None => Outcome::new(cell, Status::Diverged("L_adv became NaN".into())),
    }
}

fn outcomes() -> Vec<Outcome> {
    vec![
        outcome("mnist", 5.0, "dvaan", 0, Some(0.90)),
        outcome("mnist", 5.0, "dvaan", 1, Some(0.94)),
        outcome("mnist", 5.0, "cnn", 0, None),
        outcome("mnist", 5.0, "cnn", 1, None),
        outcome("mnist", 10.0, "dvaan", 0, Some(0.80)),
        outcome("mnist", 10.0, "dvaan", 1, None),
    ]
}

#[test]
fn grid_cells_are_unique_ordered_and_named() {
    let cells = grid().cells();
    let names: Vec<String> = cells.iter().map(Cell::name).collect();
    assert_eq!(
        names,
        [
            "mnist-r5-dvaan-s0",
            "mnist-r5-dvaan-s1",
            "mnist-r5-cnn-s0",
            "mnist-r5-cnn-s1",
            "mnist-r10-dvaan-s0",
            "mnist-r10-dvaan-s1"
        ]
    );
    assert_eq!(grid().ratios(), [5.0, 10.0]);
    assert_eq!(grid().methods(), ["dvaan", "cnn"]);
    assert_eq!(ratio_label(2.5), "2.5");
    let c = Cell {
        dataset: "csv:/tmp/a b".into(),
        ratio: 1.0,
        method: "dvaan".into(),
        seed: 3,
        epochs: None,
    };
    assert_eq!(c.name(), "csv__tmp_a_b-r1-dvaan-s3");
}

#[test]
fn grid_check_rejects_typos_but_not_unimplemented_methods() {
    let mut g = grid();
    assert_eq!(g.check(), Ok(()));
    g.blocks[0].methods.push("dvan".into());
    assert!(g.check().unwrap_err().contains("unknown method `dvan`"));
    g.blocks[0].methods.pop();
    g.blocks[0].ratios.push(0.5);
    assert!(g.check().unwrap_err().contains("0.5"));
    assert_eq!(
        expand_methods(&["dvaan".into(), "all".into()]).len(),
        ALL_METHODS.len()
    );
    assert_eq!(
        split_ova("fashion-mnist-ova5"),
        ("fashion-mnist".into(), Some(5))
    );
    assert_eq!(split_ova("fashion-mnist"), ("fashion-mnist".into(), None));
}

#[test]
fn a_cell_named_twice_takes_the_epochs_a_block_sets() {
    // Both blocks of grid() name mnist 1:5 dvaan; only the second sets its epochs.
    let mut g = grid();
    g.blocks[1].epochs = Some(3);
    let settings = CellSettings {
        epochs: 7,
        ..Default::default()
    };
    let epochs = |g: &Grid, ratio: f64, method: &str| {
        let cells = g.cells();
        let c = cells
            .iter()
            .find(|c| c.ratio == ratio && c.method == method)
            .unwrap();
        cell::epochs(c, &settings)
    };
    assert_eq!(g.check(), Ok(()));
    assert_eq!(g.cells().len(), 6, "no cell twice");
    assert_eq!(epochs(&g, 5.0, "dvaan"), 3);
    assert_eq!(epochs(&g, 5.0, "cnn"), 7);
    assert_eq!(epochs(&g, 10.0, "dvaan"), 3);
    g.blocks[0].epochs = Some(4);
    let err = g.check().unwrap_err();
    assert!(
        err.contains("mnist-r5-dvaan-s0") && err.contains('4') && err.contains('3'),
        "{err}"
    );
    g.blocks[0].epochs = Some(0);
    assert!(g.check().unwrap_err().contains("0 epochs"));
}

#[test]
fn the_index_sums_the_finished_cells_training_time() {
    let timed = |dataset: &str, seed: u64, auc: Option<f64>, wall_s: f64| Outcome {
        wall_s,
        ..outcome(dataset, 5.0, "dvaan", seed, auc)
    };
    let outcomes = [
        timed("mnist", 0, Some(0.9), 1800.0),
        timed("fashion-mnist", 0, Some(0.9), 5400.0),
        timed("mnist", 1, Some(0.9), 3600.0),
        // Not finished: its time is not counted.
        timed("mnist", 2, None, 900.0),
    ];
    assert_eq!(
        super::report::time_summary(&outcomes),
        "3 of 4 cells finished; their training took 3.00 h in all (the sum of the cells' wall \
         times, `wall_s` in runs.csv): mnist 2 cells, 1.50 h; fashion-mnist 1 cells, 1.50 h.\n"
    );
}

#[test]
fn summary_uses_the_sample_standard_deviation() {
    let s = summarise(&[1.0, 2.0, 3.0, f64::NAN]).unwrap();
    assert_eq!((s.n, s.mean), (3, 2.0));
    assert!((s.std.unwrap() - 1.0).abs() < 1e-12, "sqrt(2/2) = 1");
    assert_eq!(summarise(&[0.5]).unwrap().std, None);
    assert_eq!(summarise(&[]), None);
}

#[test]
fn entries_say_what_happened_to_each_group() {
    let o = outcomes();
    let e = entry(&o, Metric::RocAuc, "mnist", 5.0, "dvaan");
    assert_eq!(e.status, "ok");
    let s = e.summary.unwrap();
    assert!((s.mean - 0.92).abs() < 1e-12 && (s.std.unwrap() - 0.02f64.sqrt() * 0.2).abs() < 1e-9);
    assert_eq!(
        entry(&o, Metric::RocAuc, "mnist", 5.0, "cnn").status,
        "not implemented"
    );
    let partial = entry(&o, Metric::RocAuc, "mnist", 10.0, "dvaan");
    assert_eq!(
        (partial.status.as_str(), partial.note.as_str()),
        ("partial", "1 of 2 seeds, 1 diverged")
    );
    assert_eq!(
        entry(&o, Metric::RocAuc, "mnist", 10.0, "cnn").status,
        "not in grid"
    );
}

#[test]
fn markdown_and_csv_tables_have_a_row_per_method() {
    let (g, o) = (grid(), outcomes());
    let md = markdown(&g, &o, Metric::RocAuc);
    assert!(md.contains("## Imbalance 1:5\n"), "{md}");
    // The paper's Table 1 reports MNIST at 1:5 (DVAAN 98.71 %), not the plain CNN, and no
    // ratio 1:10: no paper column there.
    assert!(md.contains("| method | mnist | mnist (paper) |"), "{md}");
    assert!(md.contains("| dvaan | 0.9200 ± 0.0283 | 0.9871 |"), "{md}");
    assert!(md.contains("| cnn | not implemented | – |"), "{md}");
    assert!(
        md.contains("## Imbalance 1:10\n\n| method | mnist |\n|---|---|\n"),
        "{md}"
    );
    assert!(
        md.contains("| cnn | – |\n"),
        "cnn is not in the 1:10 grid: {md}"
    );
    let table = csv(&g, &o, Metric::RocAuc);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0],
        "metric,ratio,dataset,method,status,n,mean,std,paper,threshold_rule"
    );
    assert_eq!(
        lines.len(),
        4,
        "dvaan and cnn at 1:5, dvaan at 1:10: {table}"
    );
    let f: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(
        f[..6],
        ["roc_auc", "5", "mnist", "dvaan", "ok", "2"],
        "{table}"
    );
    assert!(
        (f[6].parse::<f64>().unwrap() - 0.92).abs() < 1e-12,
        "{table}"
    );
    assert_eq!(f[8], "0.9871", "{table}");
    assert_eq!(f[9], "0.5", "{table}");
    assert_eq!(lines[2], "roc_auc,5,mnist,cnn,not implemented,0,,,,");
    assert!(
        md.contains("\nThreshold rule: 0.5 (probability 0.5, i.e. logit 0"),
        "{md}"
    );
    // Table 3 keeps the encoder–decoder methods only.
    let recon = csv(&g, &o, Metric::ReconMse);
    assert!(
        recon.contains(",dvaan,") && !recon.contains(",cnn,"),
        "{recon}"
    );
}

#[test]
fn nice_ticks_are_round_and_inside_the_range() {
    let t = nice_ticks(0.47, 1.03, 6);
    let values: Vec<f64> = t.iter().map(|x| x.0).collect();
    assert_eq!(t.first().unwrap().1, "0.5");
    assert_eq!(t.last().unwrap().1, "1.0");
    assert!(
        values.windows(2).all(|w| (w[1] - w[0] - 0.1).abs() < 1e-9),
        "{t:?}"
    );
    assert_eq!(
        nice_ticks(0.0, 2000.0, 4)
            .iter()
            .map(|x| x.1.as_str())
            .collect::<Vec<_>>(),
        ["0", "500", "1000", "1500", "2000"]
    );
}

#[test]
fn charts_hold_their_series_error_bars_and_legend() {
    let mut c = Chart::new("t <&>", "x", "y");
    let mut s = Series::new("a", 0, Style::LineMarkers);
    s.points = vec![(5.0, 0.9), (10.0, 0.8)];
    s.errors = vec![0.01, 0.0];
    c.series.push(s);
    let svg = c.to_svg();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.contains("t &lt;&amp;&gt;"));
    assert_eq!(svg.matches("<polyline").count(), 1);
    assert_eq!(
        svg.matches("class=\"error-bar\"").count(),
        1,
        "no bar for a zero std"
    );
    assert_eq!(svg.matches("<circle").count(), 2);
    assert!(svg.contains("class=\"legend\""));
    let empty = Chart::new("e", "x", "y").to_svg();
    assert!(empty.contains(">no data</text>") && !empty.contains("<polyline"));
    let fig5 = auc_vs_ratio(&grid(), &outcomes(), "mnist");
    assert_eq!(fig5.series.len(), 1, "only dvaan has finished cells");
    let p = &fig5.series[0].points;
    assert_eq!((p.len(), p[0].0, p[1]), (2, 5.0, (10.0, 0.80)));
    assert!((p[0].1 - 0.92).abs() < 1e-12);
}

#[test]
fn pca_finds_the_axis_of_largest_variance() {
    // Points spread widely along (1, 1, 0)/√2 and narrowly along (1, −1, 0)/√2, the two
    // uncorrelated (each a comes with both signs of b).
    let mut x = Vec::new();
    for i in 0..25 {
        for b in [0.3f32, -0.3] {
            let a = (i as f32 - 12.0) * 0.4;
            x.extend([a + b + 5.0, a - b - 2.0, 0.0]);
        }
    }
    let axes = principal_axes(&x, 3, 2);
    let s = std::f64::consts::FRAC_1_SQRT_2;
    for (got, want) in axes[0].0.iter().zip([s, s, 0.0]) {
        assert!((got - want).abs() < 1e-5, "{:?}", axes[0]);
    }
    // The second axis is ±(1, −1, 0)/√2: its sign is arbitrary when both coordinates tie.
    let v = &axes[1].0;
    assert!(
        (v[0].abs() - s).abs() < 1e-5 && (v[0] + v[1]).abs() < 1e-5,
        "{:?}",
        axes[1]
    );
    assert!(axes[0].1 > 50.0 * axes[1].1);
    let p = project_2d(&x, 3);
    let mean0 = p.iter().map(|q| q.0).sum::<f64>() / p.len() as f64;
    assert!(mean0.abs() < 1e-5, "projections are centred");
    let panel = latent_panel("l", &[0.0, 1.0, 1.0], &x[..9], 3);
    assert_eq!(
        panel
            .series
            .iter()
            .map(|s| s.points.len())
            .collect::<Vec<_>>(),
        [1, 2]
    );
}

#[test]
fn mu_history_is_read_by_column_name() {
    let dir = std::env::temp_dir().join(format!("dvaan-exp-mu-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("history.csv");
    std::fs::write(
        &p,
        "epoch,step,l_ele,l_kl,l_adv,l_fea,mu\n0,0,1,1,1,1,1\n0,1,1,1,1,1,1.25\n",
    )
    .unwrap();
    assert_eq!(read_mu(&p).unwrap(), [(0.0, 1.0), (1.0, 1.25)]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn reports_are_read_with_null_metrics_as_nan() {
    let json = r#"{"status": "completed", "adapter": "x", "seed": 0,
        "final": {"roc_auc": 0.75, "pr_auc": 0.5, "g_mean": 0.0, "f1": 0.0,
                  "balanced_accuracy": 0.5, "recon_mse": null},
        "config": {"method": "cnn", "seed": 4}, "task": {}, "history_rows": 2,
        "epochs": [{"epoch": 1, "mu": null}, {"epoch": 2, "mu": 1.5}], "wall_time_s": 3.0}"#;
    let report: CellReport = serde_json::from_str(json).unwrap();
    let cell = Cell {
        dataset: "mnist".into(),
        ratio: 5.0,
        method: "cnn".into(),
        seed: 4,
        epochs: None,
    };
    let o = done(&cell, &report);
    let m = o.metrics.unwrap();
    assert_eq!(
        (m.roc_auc, o.epochs, o.mu, o.wall_s),
        (0.75, 2, Some(1.5), 3.0)
    );
    assert!(m.recon_mse.is_nan());
    assert_eq!(report.config.seed, 4);
}

#[test]
fn depth_presets_hold_the_cells_and_settings_they_promise() {
    use crate::config::ThresholdRule;
    let deep = Preset::Deep.plan();
    let cells = deep.grid.cells();
    assert_eq!(cells.len(), 45);
    // Each task with the epochs its cells train for, which the trainer is configured with.
    let mut tasks: Vec<(String, f64, usize)> = cells
        .iter()
        .map(|c| {
            let kind = c.method_kind().unwrap();
            let epochs = cell::config(c, kind, &deep.settings).epochs;
            (c.dataset.clone(), c.ratio, epochs)
        })
        .collect();
    tasks.dedup();
    assert_eq!(
        tasks,
        [
            ("mnist".to_string(), 20.0, 10),
            ("mnist".to_string(), 50.0, 10),
            ("fashion-mnist".to_string(), 50.0, 4)
        ]
    );
    assert_eq!(
        deep.grid.methods(),
        ["dvaan", "dvaan-mu", "dvaan-a", "vae-gan", "cnn"]
    );
    assert_eq!(deep.grid.seeds, [0, 1, 2]);
    for p in [Preset::Deep, Preset::Ova, Preset::Paper] {
        let plan = p.plan();
        assert_eq!(plan.grid.check(), Ok(()), "{p:?}");
        assert_eq!(plan.settings.epochs, 10, "{p:?}");
        assert_eq!(
            plan.settings.threshold,
            Some(ThresholdRule::Validation),
            "{p:?}"
        );
        assert_eq!(plan.settings.validation_fraction, Some(0.2), "{p:?}");
        assert!(!plan.synthetic_data);
        assert!(
            plan.grid.cells().iter().all(|c| c.method_kind().is_some()),
            "{p:?}: every method is implemented"
        );
    }
    let ova_plan = Preset::Ova.plan();
    let ova = ova_plan.grid.cells();
    assert_eq!(ova.len(), 7);
    assert!(ova
        .iter()
        .all(|c| c.dataset == "mnist-ova5" && c.ratio == 1.0 && c.seed == 0));
    assert!(ova.iter().all(|c| {
        let kind = c.method_kind().unwrap();
        cell::config(c, kind, &ova_plan.settings).epochs == preset::OVA_EPOCHS
    }));
    // Every cell of Tables 1 and 2 finds the paper's number beside it.
    let paper = Preset::Paper.plan().grid.cells();
    assert_eq!(paper.len(), 11 * 2 * 3 + 7 * 20 * 3);
    let table_rows = paper
        .iter()
        .filter(|c| preset::TABLE1_METHODS.contains(&c.method.as_str()))
        .filter(|c| {
            super::paper::published(Metric::RocAuc, &c.dataset, c.ratio, &c.method).is_some()
        })
        .count();
    assert_eq!(table_rows, 7 * 2 * 3 + 7 * 20 * 3);
    for d in ["mnist", "fashion-mnist"] {
        for k in 0..10 {
            let name = format!("{d}-ova{k}");
            assert!(
                paper.iter().any(|c| c.dataset == name && c.ratio == 1.0),
                "{name}"
            );
        }
    }
}

#[test]
fn ablation_differences_are_paired_by_seed() {
    let o = vec![
        outcome("mnist", 20.0, "dvaan", 0, Some(0.90)),
        outcome("mnist", 20.0, "dvaan", 1, Some(0.94)),
        outcome("mnist", 20.0, "dvaan", 2, Some(0.92)),
        outcome("mnist", 20.0, "dvaan-a", 0, Some(0.80)),
        outcome("mnist", 20.0, "dvaan-a", 1, None),
        outcome("mnist", 20.0, "dvaan-a", 2, Some(0.88)),
    ];
    let g = Grid {
        blocks: vec![Block {
            methods: vec!["dvaan".into(), "dvaan-a".into(), "dvaan-mu".into()],
            datasets: vec!["mnist".into()],
            ratios: vec![20.0],
            epochs: None,
        }],
        seeds: vec![0, 1, 2],
    };
    assert!(ablation::applies(&g));
    // Seeds 0 and 2 finished both: 0.10 and 0.04, mean 0.07, sample std 0.03·√2.
    let d =
        ablation::paired_differences(&[(0, 0.90), (1, 0.94), (2, 0.92)], &[(2, 0.88), (0, 0.80)]);
    assert_eq!(d.len(), 2);
    assert!(
        (d[0] - 0.10).abs() < 1e-12 && (d[1] - 0.04).abs() < 1e-12,
        "{d:?}"
    );
    let md = ablation::markdown(&g, &o);
    assert!(
        md.contains(
            "| mnist | 1:20 | 0.9200 ± 0.0200 | 0.8400 ± 0.0566 | – | +0.0700 ± 0.0424 (n=2) | – |"
        ),
        "{md}"
    );
    let csv = ablation::csv(&g, &o);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "dataset,ratio,comparison,n,mean,std");
    assert!(
        lines[1].starts_with("mnist,20,dvaan - dvaan-a,2,0.07"),
        "{csv}"
    );
    assert_eq!(lines[2], "mnist,20,dvaan - dvaan-mu,0,,");
    let without = Grid {
        blocks: vec![Block {
            methods: vec!["dvaan".into(), "cnn".into()],
            ..g.blocks[0].clone()
        }],
        seeds: vec![0],
    };
    assert!(!ablation::applies(&without));
}
