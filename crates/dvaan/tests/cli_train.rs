//! End-to-end runs of `dvaan train`, `eval` and `sample` on a tiny generated task (16
//! training images, batch 8: two steps per epoch). One uninterrupted two-epoch run is shared
//! by the tests that only read its files.

mod cli_support;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cli_support::*;
use dvaan::cli::gpu_args::GpuArgs;
use dvaan::io::checkpoint;
use dvaan::run::record::RunRecord;
use dvaan::run::restore::restore;
use serde_json::Value;

struct Fixture {
    tmp: TempDir,
    data: PathBuf,
}

impl Fixture {
    fn run(&self) -> PathBuf {
        self.tmp.join("straight")
    }
}

/// Trains the uninterrupted two-epoch run once.
fn straight() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let tmp = TempDir::new("train");
        let data = tiny_mnist(&tmp.0);
        let mut args = tiny_train_args(&data, &tmp.join("straight"));
        args.extend(["--epochs".into(), "2".into()]);
        ok(&dvaan(&args));
        Fixture { tmp, data }
    })
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(
        &b[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    let be = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    (be(16), be(20))
}

/// The parts of metrics.json that must not depend on how the run was split into sessions
/// (timings and the run's status line excluded).
fn numbers(m: &Value) -> Value {
    let mut epochs = m["epochs"].as_array().unwrap().clone();
    for e in &mut epochs {
        let e = e.as_object_mut().unwrap();
        e.remove("wall_s");
        e.remove("samples_per_sec");
    }
    serde_json::json!({
        "final": m["final"], "config": m["config"], "task": m["task"],
        "epochs": epochs, "history_rows": m["history_rows"], "seed": m["seed"],
    })
}

/// The probability that a positive outscores a negative, ties counting half, over every
/// (positive, negative) pair.
fn pairwise_auc(scores: &[f32], labels: &[f32]) -> f64 {
    assert_eq!(scores.len(), labels.len());
    let class = |c: f32| scores.iter().zip(labels).filter(move |(_, &l)| l == c);
    let (mut wins, mut pairs) = (0.0, 0.0);
    for (p, _) in class(1.0) {
        for (n, _) in class(0.0) {
            pairs += 1.0;
            wins += match p.partial_cmp(n) {
                Some(std::cmp::Ordering::Greater) => 1.0,
                Some(std::cmp::Ordering::Equal) => 0.5,
                _ => 0.0,
            };
        }
    }
    wins / pairs
}

/// The series of a curves.svg by name, each with its number of points (markers), in order.
fn curve_points(path: &Path) -> Vec<(String, usize)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc =
        roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    doc.descendants()
        .filter(|n| n.attribute("class") == Some("series"))
        .map(|g| {
            let name = g.attribute("data-name").expect("a series has a name");
            let points = g.children().filter(|c| c.has_tag_name("circle")).count();
            (name.to_string(), points)
        })
        .collect()
}

fn per_epoch_curves(epochs: usize) -> Vec<(String, usize)> {
    ["L_ele", "L_KL", "L_adv", "L_fea", "mu", "ROC-AUC"]
        .map(|name| (name.to_string(), epochs))
        .to_vec()
}

fn tensors(path: &Path) -> Vec<checkpoint::NamedArray> {
    checkpoint::load::<RunRecord>(path).unwrap().tensors
}

#[test]
fn a_run_writes_every_output() {
    let f = straight();
    let run = f.run();
    let m = json(&run.join("metrics.json"));
    assert_eq!(m["status"], "completed");
    assert_eq!(m["seed"], 7);
    assert_eq!(m["config"]["latent"], 4);
    assert_eq!(m["config"]["method"], "dvaan");
    assert!(!m["adapter"].as_str().unwrap().is_empty());
    assert!(m["wall_time_s"].as_f64().unwrap() > 0.0);
    assert_eq!(m["task"]["train"]["samples"], 16);
    let epochs = m["epochs"].as_array().unwrap();
    assert_eq!(epochs.len(), 2);
    assert_eq!(epochs[1]["test"], m["final"]);
    assert_eq!(epochs[1]["test_per_class"], m["final_per_class"]);
    let per_class = &m["final_per_class"];
    assert_eq!(
        per_class["positive"]["support"],
        m["task"]["test"]["positive"]
    );
    assert_eq!(
        per_class["negative"]["support"],
        m["task"]["test"]["negative"]
    );
    assert_eq!(
        per_class["weighted"]["support"],
        m["task"]["test"]["samples"]
    );
    // The per-class recalls are the two rates the G-mean multiplies.
    let rate = |class: &str| per_class[class]["recall"].as_f64().unwrap();
    let g = m["final"]["g_mean"].as_f64().unwrap();
    assert!(((rate("positive") * rate("negative")).sqrt() - g).abs() < 1e-12);
    // The reported ROC-AUC against one computed here from the checkpoint's own scores on
    // the test split, by another formula (pair counting, not the metric's rank sums).
    let auc = m["final"]["roc_auc"].as_f64().unwrap();
    let restored = restore(
        &run.join("checkpoint.safetensors"),
        None,
        &GpuArgs::default().options(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let test = &restored.task.test;
    let (scores, _) = restored.trainer.score(test).unwrap();
    let want = pairwise_auc(&scores, &test.labels);
    assert!(
        (auc - want).abs() <= 1e-12,
        "metrics.json has ROC-AUC {auc}, the scores give {want}"
    );

    let history = std::fs::read_to_string(run.join("history.csv")).unwrap();
    let lines: Vec<&str> = history.lines().collect();
    assert_eq!(lines[0], "epoch,step,l_ele,l_kl,l_adv,l_fea,mu");
    assert_eq!(lines.len(), 1 + 4, "two steps per epoch:\n{history}");
    assert!(lines[4].starts_with("1,3,"), "{history}");
    assert_eq!(m["history_rows"], 4);

    assert_eq!(curve_points(&run.join("curves.svg")), per_epoch_curves(2));

    // 4 rows of 8 tiles of 28 pixels, 2-pixel borders, scaled up 4 times.
    assert_eq!(
        png_size(&run.join("samples.png")),
        (4 * (8 * 30 + 2), 4 * (4 * 30 + 2))
    );
    let labelled = std::fs::read_to_string(run.join("samples.svg")).unwrap();
    for row in ["N(+μ1, I)", "N(0, I)", "N(−μ1, I)"] {
        assert!(labelled.contains(row), "{row} missing");
    }
    let names: Vec<String> = std::fs::read_dir(&run)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    assert!(!names.iter().any(|n| n == "run.lock"), "{names:?}");
    assert!(tensors(&run.join("checkpoint.safetensors"))
        .iter()
        .any(|(n, _, _)| n == "support.pos"));
}

/// Epoch 2 "diverges" (a test hook reports a NaN after it), so the run stops with the epoch-1
/// checkpoint; resuming then trains epoch 2 again and must end exactly where the
/// uninterrupted run ended, history included.
#[test]
fn a_stopped_run_resumes_to_the_uninterrupted_result() {
    let f = straight();
    let run = f.tmp.join("split");
    let mut args = tiny_train_args(&f.data, &run);
    args.extend(["--epochs", "2", "--inject-nan-at-epoch", "2"].map(String::from));
    let err = fails(&dvaan(&args), &["not finite", "epoch 1", "NaN"]);
    assert!(err.contains("checkpoint.safetensors"), "{err}");
    let m = json(&run.join("metrics.json"));
    assert!(m["status"].as_str().unwrap().starts_with("stopped"), "{m}");
    assert_eq!(m["epochs"].as_array().unwrap().len(), 1);
    assert_eq!(curve_points(&run.join("curves.svg")), per_epoch_curves(1));
    let saved = checkpoint::load::<RunRecord>(&run.join("checkpoint.safetensors")).unwrap();
    assert_eq!(
        saved.run.epochs.len(),
        1,
        "the checkpoint must hold the last good epoch"
    );

    let resumed = dvaan(&["train", "--resume", &run.display().to_string(), "--quiet"]);
    ok(&resumed);
    let (a, b) = (
        json(&f.run().join("metrics.json")),
        json(&run.join("metrics.json")),
    );
    assert_eq!(b["status"], "completed");
    assert_eq!(numbers(&a), numbers(&b));
    for file in ["history.csv", "curves.svg"] {
        assert_eq!(
            std::fs::read_to_string(f.run().join(file)).unwrap(),
            std::fs::read_to_string(run.join(file)).unwrap(),
            "{file}"
        );
    }
    assert!(
        tensors(&f.run().join("checkpoint.safetensors"))
            == tensors(&run.join("checkpoint.safetensors")),
        "final states differ"
    );
    // A finished run resumed again has nothing left to do.
    ok(&dvaan(&[
        "train",
        "--resume",
        &run.display().to_string(),
        "--quiet",
    ]));
}

#[test]
fn eval_and_sample_rebuild_the_model_from_the_checkpoint() {
    let f = straight();
    let run = f.run().display().to_string();
    let out = ok(&dvaan(&["eval", "--checkpoint", &run, "--json"]));
    let mut metrics: Value = serde_json::from_str(out.trim()).unwrap();
    let report = json(&f.run().join("metrics.json"));
    let per_class = metrics.as_object_mut().unwrap().remove("per_class");
    assert_eq!(per_class.as_ref(), Some(&report["final_per_class"]));
    assert_eq!(metrics, report["final"]);
    let table = ok(&dvaan(&["eval", "--checkpoint", &run]));
    assert!(
        table.contains("ROC-AUC") && table.contains("after 2 epochs"),
        "{table}"
    );
    for needle in ["specificity", "IBA", "positive (1)", "weighted average"] {
        assert!(table.contains(needle), "{needle:?} missing:\n{table}");
    }

    let png = f.tmp.join("grid.png");
    let said = ok(&dvaan(&[
        "sample",
        "--checkpoint",
        &run,
        "--out",
        &png.display().to_string(),
        "--per-row",
        "3",
    ]));
    assert!(
        said.contains("grid.png") && said.contains("grid.svg"),
        "{said}"
    );
    assert_eq!(png_size(&png), (4 * (3 * 30 + 2), 4 * (4 * 30 + 2)));
    assert!(f.tmp.join("grid.svg").is_file());
}

#[test]
fn damaged_or_mismatched_checkpoints_are_refused() {
    let f = straight();
    let good = std::fs::read(f.run().join("checkpoint.safetensors")).unwrap();
    let cut = f.tmp.join("cut.safetensors");
    std::fs::write(&cut, &good[..good.len() / 2]).unwrap();
    fails(
        &dvaan(&["eval", "--checkpoint", &cut.display().to_string()]),
        &["cut.safetensors", "truncated"],
    );

    // The metadata claims latent 6 while the tensors were trained with latent 4.
    let loaded = checkpoint::load::<RunRecord>(&f.run().join("checkpoint.safetensors")).unwrap();
    let mut record = loaded.run;
    record.config.latent = 6;
    let other = f.tmp.join("other.safetensors");
    checkpoint::save(&other, &record, &loaded.tensors).unwrap();
    fails(
        &dvaan(&["sample", "--checkpoint", &other.display().to_string()]),
        &["other.safetensors", "do not fit", "latent"],
    );
}

#[test]
fn a_diverging_run_stops_with_a_message_and_no_checkpoint() {
    let f = straight();
    let run = f.tmp.join("diverge");
    let mut args = tiny_train_args(&f.data, &run);
    args.extend(["--epochs", "1", "--lr", "1e30"].map(String::from));
    // Whether the first bad loss is NaN or inf depends on the device's arithmetic (lavapipe
    // gives NaN, an H200 inf), so the message is checked for "not finite".
    fails(
        &dvaan(&args),
        &["not finite", "no checkpoint was written", "--lr"],
    );
    assert!(!run.join("checkpoint.safetensors").exists());
    assert!(
        !run.join("run.lock").exists(),
        "a failed run keeps its lock"
    );
    let m = json(&run.join("metrics.json"));
    assert!(m["status"].as_str().unwrap().starts_with("stopped"), "{m}");
}
