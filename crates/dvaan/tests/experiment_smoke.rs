//! `dvaan experiment --preset smoke` end to end: every output file exists and parses, the
//! tables hold the expected rows, the figures are SVG with the expected elements, and a second
//! run keeps the finished cells (resuming one marked as interrupted).

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

fn experiment(out: &Path) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dvaan"));
    cmd.args(["experiment", "--preset", "smoke", "--out"])
        .arg(out)
        .stdin(std::process::Stdio::null());
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        cmd.env("XDG_RUNTIME_DIR", std::env::temp_dir());
    }
    let o = cmd.output().expect("the dvaan binary runs");
    assert!(
        o.status.success(),
        "dvaan experiment failed ({}):\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
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
fn smoke_preset_writes_every_output_and_keeps_finished_cells() {
    let out = TempDir(
        std::env::temp_dir().join(format!("dvaan-experiment-smoke-{}", std::process::id())),
    );
    let _ = std::fs::remove_dir_all(&out.0);
    let first = experiment(&out.0);
    let text = String::from_utf8_lossy(&first.stdout);
    assert_eq!(text.matches(": training").count(), CELLS.len(), "{text}");
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
    let second = experiment(&out.0);
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
