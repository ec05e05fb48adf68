//! `--threshold validation` through the command line: a cell of the smoke data holds out a
//! stratified validation slice (recorded in metrics.json), its test metrics carry the rule and
//! the chosen logit threshold, and `dvaan eval` rebuilds the same slice and threshold from the
//! checkpoint alone.

use std::path::{Path, PathBuf};
use std::process::Command;

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn dvaan(args: &[&str]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dvaan"));
    cmd.args(args).stdin(std::process::Stdio::null());
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        cmd.env("XDG_RUNTIME_DIR", std::env::temp_dir());
    }
    let o = cmd.output().expect("the dvaan binary runs");
    assert!(
        o.status.success(),
        "dvaan {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn validation_threshold_is_recorded_and_rebuilt_by_eval() {
    let out =
        TempDir(std::env::temp_dir().join(format!("dvaan-cli-threshold-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&out.0);
    let o = out.0.display().to_string();
    dvaan(&[
        "experiment",
        "--preset",
        "smoke",
        "--methods",
        "cnn",
        "--seeds",
        "0",
        "--threshold",
        "validation",
        "--validation-fraction",
        "0.25",
        "--out",
        &o,
    ]);
    let cell = out.0.join("cells/mnist-r2-cnn-s0");
    let m = json(&cell.join("metrics.json"));
    // The smoke data at 1:2 trains on 4 positives and 16 negatives; a quarter of each class
    // (1 and 4) is held out.
    assert_eq!(m["task"]["validation"]["positive"], 1, "{m}");
    assert_eq!(m["task"]["validation"]["negative"], 4, "{m}");
    assert_eq!(m["task"]["train"]["samples"], 15, "{m}");
    assert_eq!(m["config"]["threshold"], "validation G-mean", "{m}");
    let last = &m["final"];
    assert_eq!(last["threshold_rule"], "validation G-mean", "{m}");
    let threshold = last["threshold"].as_f64().expect("a finite threshold");
    let eval: serde_json::Value = serde_json::from_str(
        dvaan(&[
            "eval",
            "--checkpoint",
            &cell.display().to_string(),
            "--json",
        ])
        .trim(),
    )
    .unwrap();
    assert_eq!(eval["threshold"].as_f64(), Some(threshold), "{eval}");
    for k in [
        "g_mean",
        "f1",
        "balanced_accuracy",
        "roc_auc",
        "threshold_rule",
    ] {
        assert_eq!(eval[k], last[k], "{k}: {eval} vs {m}");
    }
    let runs = std::fs::read_to_string(out.0.join("runs.csv")).unwrap();
    assert!(runs.contains(",validation G-mean,"), "{runs}");
    let table = std::fs::read_to_string(out.0.join("tables/g_mean.md")).unwrap();
    assert!(
        table.contains("Threshold rule: validation G-mean"),
        "{table}"
    );
}
