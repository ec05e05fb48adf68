//! `dvaan predict` end to end: new data scored by a trained run gives the numbers `eval`
//! gives on the same samples (IDX, a folder of PNGs, CSV with and without labels, the
//! run's standardisation applied, and at the run's decision threshold, the validation one
//! included), and input that does not fit the model is a clean error.
//! The plain classifier trains for one epoch: scoring does not depend on the method.

mod cli_support;

use std::path::Path;

use cli_support::*;
use dvaan::cli::gpu_args::GpuArgs;
use dvaan::data::read_idx_images;
use dvaan::io::grid::encode_image;
use dvaan::run::dir::checkpoint_path;
use dvaan::run::restore::restore;

fn train_cnn(data: &Path, run: &Path, extra: &[&str]) {
    let mut args = tiny_train_args(data, run);
    set(&mut args, "--method", "cnn");
    set(&mut args, "--epochs", "1");
    for pair in extra.chunks(2) {
        set(&mut args, pair[0], pair[1]);
    }
    ok(&dvaan(&args));
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"))
}

const METRICS: [&str; 5] = ["roc_auc", "pr_auc", "g_mean", "f1", "balanced_accuracy"];

/// Every threshold and ranking metric of `predict --json` equals `eval --json`'s to 1e-6.
fn assert_same_metrics(eval: &serde_json::Value, predict: &serde_json::Value) {
    for name in METRICS {
        let (e, p) = (eval[name].as_f64(), predict["metrics"][name].as_f64());
        let (e, p) = (e.unwrap(), p.unwrap_or_else(|| panic!("{name}: {predict}")));
        assert!((e - p).abs() <= 1e-6, "{name}: eval {e}, predict {p}");
    }
}

/// The rows of a scores CSV as (header, rows of fields).
fn scores(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text
        .lines()
        .map(|l| l.split(',').map(String::from).collect());
    let header = lines.next().unwrap();
    (header, lines.collect())
}

fn column(header: &[String], rows: &[Vec<String>], name: &str) -> Vec<f64> {
    let k = header.iter().position(|h| h == name).unwrap();
    rows.iter().map(|r| r[k].parse().unwrap()).collect()
}

/// The logits `eval` scores the run's test split with, in this process.
fn eval_logits(run: &Path) -> Vec<f32> {
    let r = restore(&checkpoint_path(run), None, &GpuArgs::default().options()).unwrap();
    r.trainer.score(&r.task.test).unwrap().0
}

/// The logit column, read back as the f32 values written.
fn logits_f32(header: &[String], rows: &[Vec<String>]) -> Vec<f32> {
    let k = header.iter().position(|h| h == "logit").unwrap();
    rows.iter().map(|r| r[k].parse().unwrap()).collect()
}

fn arg(p: &Path) -> String {
    p.display().to_string()
}

/// `dvaan predict --json` on the tiny MNIST test images with their labels, scores to `out`.
fn predict_test_split(data: &Path, run: &Path, out: &Path) -> serde_json::Value {
    let images = data.join("mnist/t10k-images-idx3-ubyte");
    let labels = data.join("mnist/t10k-labels-idx1-ubyte");
    json(&ok(&dvaan(&[
        "predict",
        "--checkpoint",
        &arg(run),
        "--input",
        &arg(&images),
        "--labels",
        &arg(&labels),
        "--out",
        &arg(out),
        "--json",
    ])))
}

#[test]
fn idx_and_png_inputs_reproduce_eval_and_bad_inputs_are_explained() {
    let tmp = TempDir::new("predict-img");
    let data = tiny_mnist(&tmp.0);
    let run = tmp.join("run");
    train_cnn(&data, &run, &[]);
    let eval = json(&ok(&dvaan(&["eval", "--checkpoint", &arg(&run), "--json"])));

    let out = tmp.join("scores.csv");
    let predicted = predict_test_split(&data, &run, &out);
    assert_same_metrics(&eval, &predicted);
    let images = data.join("mnist/t10k-images-idx3-ubyte");
    let labels = data.join("mnist/t10k-labels-idx1-ubyte");
    let (header, rows) = scores(&out);
    assert_eq!(
        header,
        [
            "index",
            "class",
            "label",
            "probability",
            "logit",
            "threshold",
            "predicted"
        ]
    );
    assert_eq!(rows.len(), 12);
    assert_eq!(logits_f32(&header, &rows), eval_logits(&run));
    let logits = column(&header, &rows, "logit");
    let probability = column(&header, &rows, "probability");
    let predicted_label = column(&header, &rows, "predicted");
    for i in 0..12 {
        let sigmoid = 1.0 / (1.0 + (-logits[i]).exp());
        assert!((probability[i] - sigmoid).abs() < 1e-6, "row {i}");
        assert_eq!(predicted_label[i] == 1.0, logits[i] > 0.0, "row {i}");
        assert_eq!(rows[i][1], if i % 2 == 0 { "5" } else { "6" });
        assert_eq!(rows[i][2], if i % 2 == 0 { "1" } else { "0" });
    }

    // The same images as a PNG folder (with the same labels), and as IDX without labels.
    let pngs = tmp.join("pngs");
    std::fs::create_dir_all(&pngs).unwrap();
    let idx = read_idx_images(&images).unwrap();
    for (i, px) in idx.pixels.chunks(28 * 28).enumerate() {
        let x: Vec<f32> = px.iter().map(|&b| b as f32 / 255.0).collect();
        let png = encode_image(&x, [1, 28, 28]).unwrap();
        std::fs::write(pngs.join(format!("img{i:02}.png")), png).unwrap();
    }
    let png_out = tmp.join("png.csv");
    let from_png = json(&ok(&dvaan(&[
        "predict",
        "--checkpoint",
        &arg(&run),
        "--input",
        &arg(&pngs),
        "--labels",
        &arg(&labels),
        "--out",
        &arg(&png_out),
        "--json",
    ])));
    assert_same_metrics(&eval, &from_png);
    let (png_header, png_rows) = scores(&png_out);
    assert_eq!(png_header[1], "file");
    assert_eq!(png_rows[3][1], "img03.png");
    assert_eq!(column(&png_header, &png_rows, "logit"), logits);

    let plain_out = tmp.join("plain.csv");
    let text = ok(&dvaan(&[
        "predict",
        "--checkpoint",
        &arg(&run),
        "--input",
        &arg(&images),
        "--out",
        &arg(&plain_out),
    ]));
    assert!(text.contains("scored 12 samples"), "{text}");
    assert!(!text.contains("ROC-AUC"), "metrics without labels: {text}");
    let (plain_header, plain_rows) = scores(&plain_out);
    assert_eq!(
        plain_header,
        ["index", "probability", "logit", "threshold", "predicted"]
    );
    assert_eq!(column(&plain_header, &plain_rows, "logit"), logits);

    // A class outside the task (digit 3) is scored but left out of the metrics.
    let mixed = tmp.join("mixed-labels");
    let classes: Vec<u8> = (0..12)
        .map(|i| {
            if i == 0 {
                3
            } else if i % 2 == 0 {
                5
            } else {
                6
            }
        })
        .collect();
    dvaan::data::write_idx_labels(&mixed, &classes).unwrap();
    let mixed_out = tmp.join("mixed.csv");
    let o = dvaan(&[
        "predict",
        "--checkpoint",
        &arg(&run),
        "--input",
        &arg(&images),
        "--labels",
        &arg(&mixed),
        "--out",
        &arg(&mixed_out),
    ]);
    let text = ok(&o);
    assert!(text.contains("(11 samples, 5 positive)"), "{text}");
    assert!(stderr(&o).contains("1 samples are of classes outside the task"));
    let (mixed_header, mixed_rows) = scores(&mixed_out);
    assert_eq!(mixed_rows[0][1..3], ["3", ""]);
    assert_eq!(column(&mixed_header, &mixed_rows, "logit"), logits);

    // Input that does not fit the model.
    let predict = |input: &Path, extra: &[&str]| {
        let mut args = vec![
            "predict".to_string(),
            "--checkpoint".into(),
            arg(&run),
            "--input".into(),
            arg(input),
            "--out".into(),
            arg(&tmp.join("never.csv")),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        dvaan(&args)
    };
    let small = tmp.join("small-idx");
    dvaan::data::write_idx_images(&small, 2, 2, &[0; 8]).unwrap();
    fails(&predict(&small, &[]), &["2×2 pixels", "28×28", "fix:"]);
    fails(&predict(&labels, &[]), &["label file", "--labels"]);
    let six = tmp.join("six-labels");
    dvaan::data::write_idx_labels(&six, &[5; 6]).unwrap();
    fails(
        &predict(&images, &["--labels", &arg(&six)]),
        &["6 labels for 12 samples", "fix:"],
    );
    let table = tmp.join("rows.csv");
    std::fs::write(&table, "1,2,3\n4,5,6\n").unwrap();
    fails(&predict(&table, &[]), &["not an IDX image file", "fix:"]);
    fails(&predict(&tmp.join("nowhere"), &[]), &["no such file"]);
    let rgb = tmp.join("rgb");
    std::fs::create_dir_all(&rgb).unwrap();
    let colour = encode_image(&vec![0.5; 3 * 28 * 28], [3, 28, 28]).unwrap();
    std::fs::write(rgb.join("a.png"), colour).unwrap();
    fails(&predict(&rgb, &[]), &["a.png", "RGB", "grayscale", "fix:"]);
    assert!(!tmp.join("never.csv").exists());
}

#[test]
fn a_validation_threshold_run_predicts_at_the_threshold_eval_uses() {
    let tmp = TempDir::new("predict-validation");
    let data = tiny_mnist(&tmp.0);
    let run = tmp.join("run");
    let rule = ["--threshold", "validation", "--validation-fraction", "0.25"];
    train_cnn(&data, &run, &rule);
    let eval = json(&ok(&dvaan(&["eval", "--checkpoint", &arg(&run), "--json"])));
    assert_eq!(eval["threshold_rule"], "validation G-mean", "{eval}");
    let threshold = eval["threshold"].as_f64().expect("a finite threshold") as f32;

    let out = tmp.join("scores.csv");
    let predicted = predict_test_split(&data, &run, &out);
    assert_same_metrics(&eval, &predicted);
    for key in ["threshold_rule", "threshold"] {
        assert_eq!(predicted[key], eval[key], "{key}: {predicted}");
        assert_eq!(predicted["metrics"][key], eval[key], "{key}: {predicted}");
    }
    let (header, rows) = scores(&out);
    let logits = logits_f32(&header, &rows);
    assert_eq!(logits, eval_logits(&run));
    let at = header.iter().position(|h| h == "threshold").unwrap();
    let predicted_label = column(&header, &rows, "predicted");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row[at].parse::<f32>().unwrap(), threshold, "row {i}");
        assert_eq!(predicted_label[i] == 1.0, logits[i] > threshold, "row {i}");
    }
    let positive = logits.iter().filter(|&&l| l > threshold).count();
    assert_eq!(predicted["predicted_positive"], positive, "{predicted}");

    let images = data.join("mnist/t10k-images-idx3-ubyte");
    let text = ok(&dvaan(&[
        "predict",
        "--checkpoint",
        &arg(&run),
        "--input",
        &arg(&images),
        "--out",
        &arg(&tmp.join("plain.csv")),
    ]));
    assert!(
        text.contains(&format!(
            "{positive} predicted positive (logit > {threshold}, threshold rule validation G-mean)"
        )),
        "{text}"
    );
}

/// Two features around 500 and 40 (far from 0, so scoring unstandardised rows would give
/// other numbers); the positives sit higher on both, with overlap.
fn write_table(path: &Path, n: usize, offset: usize, labelled: bool) {
    let mut text = String::from(if labelled { "a,b,label\n" } else { "a,b\n" });
    for i in 0..n {
        let k = i + offset;
        let positive = k.is_multiple_of(4);
        let noise = ((k * 7919) % 13) as f64 - 6.0;
        let a = 500.0 + noise * 3.0 + if positive { 12.0 } else { 0.0 };
        let b = 40.0 - noise * 0.5 + if positive { 2.0 } else { 0.0 };
        text.push_str(&format!("{a},{b}"));
        if labelled {
            text.push_str(&format!(",{}", u8::from(positive)));
        }
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn csv_inputs_are_standardised_as_in_training_with_or_without_labels() {
    let tmp = TempDir::new("predict-csv");
    let dir = tmp.join("tab");
    std::fs::create_dir_all(&dir).unwrap();
    write_table(&dir.join("train.csv"), 32, 0, true);
    write_table(&dir.join("test.csv"), 16, 100, true);
    let run = tmp.join("run");
    train_cnn(&tmp.0, &run, &["--dataset", "csv:tab"]);
    let eval = json(&ok(&dvaan(&["eval", "--checkpoint", &arg(&run), "--json"])));

    let out = tmp.join("scores.csv");
    let predicted = json(&ok(&dvaan(&[
        "predict",
        "--checkpoint",
        &arg(&run),
        "--input",
        &arg(&dir.join("test.csv")),
        "--out",
        &arg(&out),
        "--json",
    ])));
    assert_same_metrics(&eval, &predicted);
    let (header, rows) = scores(&out);
    let logits = column(&header, &rows, "logit");
    assert_eq!(rows.len(), 16);
    assert_eq!(logits_f32(&header, &rows), eval_logits(&run));

    let unlabelled = tmp.join("new.csv");
    write_table(&unlabelled, 16, 100, false);
    let plain_out = tmp.join("plain.csv");
    ok(&dvaan(&[
        "predict",
        "--checkpoint",
        &arg(&run),
        "--input",
        &arg(&unlabelled),
        "--out",
        &arg(&plain_out),
    ]));
    let (plain_header, plain_rows) = scores(&plain_out);
    assert_eq!(column(&plain_header, &plain_rows, "logit"), logits);

    // The transform is the one the run recorded: a training file changed afterwards (other
    // statistics) changes no score.
    let m = json(&std::fs::read_to_string(run.join("metrics.json")).unwrap());
    assert_eq!(
        m["task"]["standardiser"]["mean"].as_array().unwrap().len(),
        2
    );
    write_table(&dir.join("train.csv"), 40, 7, true);
    let later = tmp.join("later.csv");
    ok(&dvaan(&[
        "predict",
        "--checkpoint",
        &arg(&run),
        "--input",
        &arg(&unlabelled),
        "--out",
        &arg(&later),
    ]));
    let (later_header, later_rows) = scores(&later);
    assert_eq!(column(&later_header, &later_rows, "logit"), logits);

    let wide = tmp.join("wide.csv");
    std::fs::write(&wide, "1,2,3,4\n").unwrap();
    let o = dvaan(&[
        "predict",
        "--checkpoint",
        &arg(&run),
        "--input",
        &arg(&wide),
    ]);
    fails(&o, &["4 columns", "2 features", "fix:"]);
    let bad_label = tmp.join("bad-label.csv");
    std::fs::write(&bad_label, "a,b,label\n500,40,1\n501,41,3\n").unwrap();
    let o = dvaan(&[
        "predict",
        "--checkpoint",
        &arg(&run),
        "--input",
        &arg(&bad_label),
    ]);
    fails(&o, &["line 3", "3", "0 (negative) or 1 (positive)"]);
}
