//! `dvaan experiment --preset smoke` end to end: run as three shards (`--shard K/3`), every
//! cell trains exactly once; the report gathered from the shards' folders (`--from`) equals,
//! byte for byte, the report of an unsharded run over the same cells; every output file
//! exists and parses, the tables hold the expected rows, the figures are SVG with the
//! expected elements, and a second run keeps the finished cells (resuming one marked as
//! interrupted). Bad shard arguments, missing cells and conflicting copies of a cell are
//! errors that name what is wrong.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

const CELLS: [&str; 4] = [
    "mnist-r2-dvaan-s0",
    "mnist-r2-dvaan-s1",
    "mnist-r2-dvaan-mu-s0",
    "mnist-r2-dvaan-mu-s1",
];
const METRICS: [&str; 4] = ["roc_auc", "pr_auc", "g_mean", "recon_mse"];

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `dvaan experiment --preset smoke --out OUT EXTRA…`, whatever its exit status.
fn try_experiment(out: &Path, extra: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dvaan"));
    cmd.args(["experiment", "--preset", "smoke", "--out"])
        .arg(out)
        .args(extra)
        .stdin(std::process::Stdio::null());
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        cmd.env("XDG_RUNTIME_DIR", std::env::temp_dir());
    }
    cmd.output().expect("the dvaan binary runs")
}

fn experiment(out: &Path, extra: &[&str]) -> Output {
    let o = try_experiment(out, extra);
    assert!(
        o.status.success(),
        "dvaan experiment failed ({}):\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn failing(out: &Path, extra: &[&str]) -> String {
    let o = try_experiment(out, extra);
    assert!(!o.status.success(), "{extra:?} should fail");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Every file of the report (runs.csv, README.md, tables/, figures/) is byte-identical.
fn same_report(a: &Path, b: &Path) {
    let mut files = vec![PathBuf::from("runs.csv"), PathBuf::from("README.md")];
    for sub in ["tables", "figures"] {
        let names = |root: &Path| {
            let mut v: Vec<PathBuf> = std::fs::read_dir(root.join(sub))
                .unwrap()
                .map(|e| Path::new(sub).join(e.unwrap().file_name()))
                .collect();
            v.sort();
            v
        };
        let (na, nb) = (names(a), names(b));
        assert_eq!(na, nb, "the same {sub} files");
        assert!(!na.is_empty());
        files.extend(na);
    }
    for f in files {
        let (x, y) = (
            std::fs::read(a.join(&f)).unwrap(),
            std::fs::read(b.join(&f)).unwrap(),
        );
        assert!(
            x == y,
            "{} differs between {} and {}",
            f.display(),
            a.display(),
            b.display()
        );
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn mtime(path: &Path) -> SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

/// Parses an SVG file and counts the elements with the given tag name.
fn svg_count(path: &Path, tag: &str) -> usize {
    let text = read(path);
    let doc =
        roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        doc.root_element().tag_name().name(),
        "svg",
        "{}",
        path.display()
    );
    doc.descendants()
        .filter(|n| n.tag_name().name() == tag)
        .count()
}

fn check_cells(out: &Path) {
    for cell in CELLS {
        let dir = out.join("cells").join(cell);
        let m = json(&dir.join("metrics.json"));
        assert_eq!(m["status"], "completed", "{cell}: {m}");
        let history = read(&dir.join("history.csv"));
        assert!(
            history.starts_with("epoch,step,l_ele,l_kl,l_adv,l_fea,mu\n"),
            "{history}"
        );
        assert_eq!(
            history.lines().count(),
            3,
            "two steps of 8 from 20 samples: {history}"
        );
        let png = std::fs::read(dir.join("samples.png")).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{cell}");
        assert!(dir.join("checkpoint.safetensors").is_file());
    }
}

fn check_tables(out: &Path) {
    for key in METRICS {
        let md = read(&out.join("tables").join(format!("{key}.md")));
        assert!(md.contains("## Imbalance 1:2\n"), "{md}");
        // The paper reports no ratio 1:2, so no paper column.
        assert!(md.contains("| method | mnist |\n|---|---|\n"), "{md}");
        for method in ["dvaan", "dvaan-mu"] {
            let row = md
                .lines()
                .find(|l| l.starts_with(&format!("| {method} | ")))
                .unwrap_or_else(|| panic!("{key}.md has no row for {method}:\n{md}"));
            assert!(
                row.contains(" ± ") && row.matches('|').count() == 3,
                "{row}"
            );
        }
        let csv = read(&out.join("tables").join(format!("{key}.csv")));
        let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
        assert_eq!(
            rows[0].join(","),
            "metric,ratio,dataset,method,status,n,mean,std,paper,threshold_rule"
        );
        assert_eq!(rows.len(), 3, "{csv}");
        for (row, method) in rows[1..].iter().zip(["dvaan", "dvaan-mu"]) {
            assert_eq!(row[..6], [key, "2", "mnist", method, "ok", "2"], "{csv}");
            // Mean and sample standard deviation of the two seeds' final values, computed
            // here from the cells' metrics.json.
            let values: Vec<f64> = (0..2)
                .map(|seed| {
                    let cell = out.join("cells").join(format!("mnist-r2-{method}-s{seed}"));
                    let m = json(&cell.join("metrics.json"));
                    m["final"][key].as_f64().expect("a final value")
                })
                .collect();
            let mean = (values[0] + values[1]) / 2.0;
            let std = (values[0] - values[1]).abs() / 2f64.sqrt();
            let (got_mean, got_std) = (
                row[6].parse::<f64>().unwrap(),
                row[7].parse::<f64>().unwrap(),
            );
            let tol = 1e-12 * values[0].abs().max(values[1].abs());
            assert!(
                (got_mean - mean).abs() <= tol && (got_std - std).abs() <= tol,
                "{key} {method}: table mean {got_mean}, std {got_std}; cells {values:?} give \
                 {mean}, {std}"
            );
        }
    }
    // dvaan against dvaan-mu, seed by seed, from the cells' own final ROC-AUC.
    let auc = |cell: String| {
        json(&out.join("cells").join(cell).join("metrics.json"))["final"]["roc_auc"]
            .as_f64()
            .unwrap()
    };
    let diffs: Vec<f64> = (0..2)
        .map(|s| auc(format!("mnist-r2-dvaan-s{s}")) - auc(format!("mnist-r2-dvaan-mu-s{s}")))
        .collect();
    let ablation = read(&out.join("tables/ablation.csv"));
    let row: Vec<&str> = ablation
        .lines()
        .find(|l| l.contains("dvaan - dvaan-mu"))
        .unwrap_or_else(|| panic!("{ablation}"))
        .split(',')
        .collect();
    assert_eq!(
        row[..4],
        ["mnist", "2", "dvaan - dvaan-mu", "2"],
        "{ablation}"
    );
    let (mean, std) = (
        (diffs[0] + diffs[1]) / 2.0,
        (diffs[0] - diffs[1]).abs() / 2f64.sqrt(),
    );
    let got: Vec<f64> = row[4..].iter().map(|v| v.parse().unwrap()).collect();
    assert!(
        (got[0] - mean).abs() < 1e-12 && (got[1] - std).abs() < 1e-12,
        "{ablation}: cells give {diffs:?}"
    );
    assert!(read(&out.join("tables/ablation.md")).contains("| mnist | 1:2 |"));
    let runs = read(&out.join("runs.csv"));
    assert_eq!(runs.lines().count(), 1 + CELLS.len(), "{runs}");
    assert_eq!(
        runs.lines().filter(|l| l.contains(",done,")).count(),
        CELLS.len(),
        "{runs}"
    );
    let index = read(&out.join("README.md"));
    assert!(
        index.contains("## Cells that did not finish\n\nnone\n"),
        "{index}"
    );
    json(&out.join("experiment.json"));
}

fn check_figures(out: &Path) {
    let f = out.join("figures");
    // Figure 5: one point with an error bar per method (a single ratio).
    let fig5 = f.join("fig5_auc_vs_ratio_mnist.svg");
    assert!(svg_count(&fig5, "circle") >= 2 && svg_count(&fig5, "text") > 5);
    // Figure 4: a μ curve per dvaan seed.
    assert_eq!(svg_count(&f.join("fig4_mu_mnist.svg"), "polyline"), 2);
    // Figure 1: two panels; the dvaan one holds a point per test sample (+ 2 legend dots).
    let fig1 = f.join("fig1_latent_mnist.svg");
    assert!(svg_count(&fig1, "g") >= 2);
    assert_eq!(svg_count(&fig1, "circle"), 12 + 2);
    assert!(read(&fig1).contains("no finished cvae-gan cell"));
    let png = std::fs::read(f.join("fig6_samples_mnist.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let latent = read(&out.join("cells").join(CELLS[0]).join("latent.csv"));
    assert!(
        latent.starts_with("label,z0,z1,z2,z3\n") && latent.lines().count() == 13,
        "{latent}"
    );
}

#[test]
fn smoke_preset_sharded_gathered_checked_and_resumed() {
    let root = TempDir(
        std::env::temp_dir().join(format!("dvaan-experiment-smoke-{}", std::process::id())),
    );
    let _ = std::fs::remove_dir_all(&root.0);
    // Three shards: cell i of the canonical order runs in shard i mod 3 + 1, and only there.
    let shards: Vec<PathBuf> = (1..=3).map(|k| root.0.join(format!("shard{k}"))).collect();
    let mut trained = Vec::new();
    for (k, dir) in shards.iter().enumerate() {
        let o = experiment(dir, &["--shard", &format!("{}/3", k + 1)]);
        let text = String::from_utf8_lossy(&o.stdout);
        for (i, c) in CELLS.iter().enumerate() {
            let here = dir.join("cells").join(c).join("metrics.json").is_file();
            assert_eq!(here, i % 3 == k, "{c} in shard {}: {text}", k + 1);
            if text.contains(&format!("{c}: training")) {
                trained.push(*c);
            }
        }
        assert_eq!(
            text.matches(": training").count(),
            (0..4).filter(|i| i % 3 == k).count()
        );
    }
    trained.sort_unstable();
    let mut all = CELLS.to_vec();
    all.sort_unstable();
    assert_eq!(
        trained, all,
        "every cell trained exactly once over the shards"
    );
    for bad in ["0/3", "4/3", "2"] {
        let err = failing(&root.0.join("bad"), &["--shard", bad]);
        assert!(err.contains("--shard"), "{bad}: {err}");
    }

    // The report gathered from the shards equals that of one unsharded run over the same
    // cells (copied into one folder: nothing is left to train there).
    let gathered = root.0.join("gathered");
    let from: Vec<String> = shards.iter().map(|d| d.display().to_string()).collect();
    let from_args = |dirs: &[String]| -> Vec<String> {
        dirs.iter()
            .flat_map(|d| ["--from".to_string(), d.clone()])
            .collect()
    };
    let args = from_args(&from);
    experiment(
        &gathered,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let out = TempDir(root.0.join("whole"));
    for d in &shards {
        copy_dir(&d.join("cells"), &out.0.join("cells"));
    }
    let whole = experiment(&out.0, &[]);
    let text = String::from_utf8_lossy(&whole.stdout);
    assert_eq!(
        text.matches("done already, kept").count(),
        CELLS.len(),
        "{text}"
    );
    same_report(&gathered, &out.0);

    // A shard's folder left out: the report says which cell is missing.
    let two = from_args(&from[..2]);
    let err = failing(
        &root.0.join("partial"),
        &two.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert!(
        err.contains("1 cell(s)") && err.contains(CELLS[2]),
        "shard 3 held {}: {err}",
        CELLS[2]
    );
    assert!(
        read(&root.0.join("partial/README.md")).contains(&format!("- {}: not run yet", CELLS[2]))
    );
    // The same cell in two folders: fine when identical, an error when the results differ.
    let dup = shards[1].join("cells").join(CELLS[0]);
    copy_dir(&shards[0].join("cells").join(CELLS[0]), &dup);
    experiment(
        &root.0.join("dup"),
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let metrics = dup.join("metrics.json");
    let mut m = json(&metrics);
    let auc = m["final"]["roc_auc"].as_f64().unwrap();
    m["final"]["roc_auc"] = serde_json::json!(auc / 2.0);
    std::fs::write(&metrics, m.to_string()).unwrap();
    let err = failing(
        &root.0.join("dup"),
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert!(
        err.contains(CELLS[0]) && err.contains("different results") && err.contains("shard2"),
        "{err}"
    );

    check_cells(&out.0);
    check_tables(&out.0);
    check_figures(&out.0);

    // Second run: three cells are kept as they are; one marked as interrupted resumes from
    // its checkpoint (already at the wanted epoch, so nothing is trained again).
    let interrupted = out.0.join("cells").join(CELLS[1]).join("metrics.json");
    let marked = read(&interrupted).replacen("\"completed\"", "\"running\"", 1);
    std::fs::write(&interrupted, marked).unwrap();
    let kept: Vec<SystemTime> = CELLS
        .iter()
        .map(|c| mtime(&out.0.join("cells").join(c).join("checkpoint.safetensors")))
        .collect();
    let table = read(&out.0.join("tables/roc_auc.csv"));
    let second = experiment(&out.0, &[]);
    let text = String::from_utf8_lossy(&second.stdout);
    assert_eq!(
        text.matches("done already, kept").count(),
        CELLS.len() - 1,
        "{text}"
    );
    assert!(text.contains(&format!("{}: resuming", CELLS[1])), "{text}");
    assert!(!text.contains(": training"), "{text}");
    for (c, t) in CELLS.iter().zip(&kept) {
        let p = out.0.join("cells").join(c).join("checkpoint.safetensors");
        assert_eq!(mtime(&p), *t, "{c} was trained again");
    }
    check_cells(&out.0);
    assert_eq!(
        read(&out.0.join("tables/roc_auc.csv")),
        table,
        "same cells, same table"
    );
}
