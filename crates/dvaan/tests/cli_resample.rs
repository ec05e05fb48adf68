//! `dvaan resample` end to end: a DVAAN run's training set plus generated positives becomes a
//! data folder that `data-info` counts and `train` trains on, with a manifest of the
//! generated rows; a method without a generator is refused.

mod cli_support;

use std::path::Path;

use cli_support::*;
use dvaan::data::{read_csv, read_idx_images, read_idx_labels, CsvOptions};

fn arg(p: &Path) -> String {
    p.display().to_string()
}

fn train(data: &Path, run: &Path, method: &str) {
    train_on(data, run, method, "mnist");
}

fn train_on(data: &Path, run: &Path, method: &str, dataset: &str) {
    let mut args = tiny_train_args(data, run);
    set(&mut args, "--method", method);
    set(&mut args, "--epochs", "1");
    set(&mut args, "--dataset", dataset);
    ok(&dvaan(&args));
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

#[test]
fn resampled_data_adds_the_generated_positives_and_trains() {
    let tmp = TempDir::new("resample");
    let data = tiny_mnist(&tmp.0);
    let run = tmp.join("run");
    train(&data, &run, "dvaan");

    // Default: the support-sample rule, as many positives as balance 4 against 12.
    let out = tmp.join("balanced");
    let text = ok(&dvaan(&[
        "resample",
        "--checkpoint",
        &arg(&run),
        "--out",
        &arg(&out),
        "--png",
    ]));
    assert!(
        text.contains(&format!(
            "dvaan train --dataset mnist --data-dir {}",
            out.display()
        )),
        "{text}"
    );
    let m = manifest(&out);
    assert_eq!(m["generated"]["count"], 8, "{m}");
    assert_eq!(m["generated"]["latent"], "support");
    assert_eq!(m["train"]["first_generated"], 16);
    assert_eq!(m["train"]["rows"], 24);
    assert_eq!(m["test"]["rows"], 12);
    let pngs = std::fs::read_dir(out.join("generated")).unwrap().count();
    assert_eq!(pngs, 8);

    // The real rows are the run's training set, byte for byte; the generated ones follow
    // as positives (digit 5).
    let original = read_idx_images(&data.join("mnist/train-images-idx3-ubyte")).unwrap();
    let written = read_idx_images(&out.join("mnist/train-images-idx3-ubyte")).unwrap();
    assert_eq!(written.n, 24);
    assert_eq!(written.pixels[..16 * 784], original.pixels[..]);
    let labels = read_idx_labels(&out.join("mnist/train-labels-idx1-ubyte"), 10).unwrap();
    assert!(labels.labels[16..].iter().all(|&l| l == 5), "{labels:?}");

    let info = ok(&dvaan(&[
        "data-info",
        "--dataset",
        "mnist",
        "--data-dir",
        &arg(&out),
    ]));
    assert!(
        info.contains("train:   24 samples: 12 positive, 12 negative"),
        "{info}"
    );
    assert!(
        info.contains("test:    12 samples: 6 positive, 6 negative"),
        "{info}"
    );
    train(&out, &tmp.join("on-resampled"), "cnn");

    // The generated images are images the model takes: predict reads them back.
    let scored = ok(&dvaan(&[
        "predict",
        "--checkpoint",
        &arg(&run),
        "--input",
        &arg(&out.join("generated")),
        "--out",
        &arg(&tmp.join("generated.csv")),
    ]));
    assert!(scored.contains("scored 8 samples"), "{scored}");

    // From the positive prior, a chosen count.
    let prior = tmp.join("prior");
    ok(&dvaan(&[
        "resample",
        "--checkpoint",
        &arg(&run),
        "--out",
        &arg(&prior),
        "--from",
        "prior",
        "--n",
        "3",
    ]));
    let m = manifest(&prior);
    assert_eq!(m["generated"]["count"], 3);
    assert_eq!(m["generated"]["latent"], "prior");
    assert!(!prior.join("generated").exists());
    let info = ok(&dvaan(&[
        "data-info",
        "--dataset",
        "mnist",
        "--data-dir",
        &arg(&prior),
    ]));
    assert!(
        info.contains("train:   19 samples: 7 positive, 12 negative"),
        "{info}"
    );

    // A folder that holds files already is not written into.
    fails(
        &dvaan(&[
            "resample",
            "--checkpoint",
            &arg(&run),
            "--out",
            &arg(&prior),
        ]),
        &["not empty", "fix:"],
    );
}

#[test]
fn a_run_without_a_generator_cannot_resample() {
    let tmp = TempDir::new("resample-cnn");
    let data = tiny_mnist(&tmp.0);
    let run = tmp.join("run");
    train(&data, &run, "cnn");
    let out = tmp.join("out");
    fails(
        &dvaan(&["resample", "--checkpoint", &arg(&run), "--out", &arg(&out)]),
        &["cnn", "no generator", "fix:"],
    );
    assert!(!out.exists(), "a refused resample left {}", out.display());
}

/// Two features around 500 and 40, every fourth row positive and shifted up.
fn write_table(path: &Path, n: usize) {
    let mut text = String::from("a,b,label\n");
    for i in 0..n {
        let positive = i.is_multiple_of(4);
        let noise = ((i * 7919) % 13) as f64 - 6.0;
        let shift = if positive { 12.0 } else { 0.0 };
        text.push_str(&format!(
            "{},{},{}\n",
            500.0 + noise * 3.0 + shift,
            40.0 - noise * 0.5 + shift / 6.0,
            u8::from(positive)
        ));
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_tabular_run_resamples_to_csv_in_the_original_units() {
    let tmp = TempDir::new("resample-csv");
    let tab = tmp.join("tab");
    std::fs::create_dir_all(&tab).unwrap();
    write_table(&tab.join("train.csv"), 32);
    write_table(&tab.join("test.csv"), 16);
    let run = tmp.join("run");
    train_on(&tmp.0, &run, "dvaan", "csv:tab");

    let out = tmp.join("out");
    let resample = |extra: &[&str]| {
        let mut args = vec!["resample", "--checkpoint", run.to_str().unwrap()];
        args.extend(["--out", out.to_str().unwrap()]);
        args.extend(extra);
        dvaan(&args)
    };
    fails(&resample(&["--png"]), &["--png writes images"]);
    let text = ok(&resample(&["--from", "prior", "--n", "4"]));
    assert!(text.contains("--dataset csv:tab --data-dir"), "{text}");
    let info = ok(&dvaan(&[
        "data-info",
        "--dataset",
        "csv:tab",
        "--data-dir",
        &arg(&out),
    ]));
    assert!(
        info.contains("train:   36 samples: 12 positive, 24 negative"),
        "{info}"
    );

    // The real rows come back in the file's units (standardised and back: f32 rounding).
    let original = read_csv(&tab.join("train.csv"), &CsvOptions::default()).unwrap();
    let written = read_csv(&out.join("tab/train.csv"), &CsvOptions::default()).unwrap();
    assert_eq!(written.classes[..32], original.classes[..]);
    assert!(written.classes[32..].iter().all(|&c| c == 1));
    for (w, o) in written.features.iter().zip(&original.features) {
        assert!((w - o).abs() <= 1e-4 * o.abs(), "{w} vs {o}");
    }
}
