//! The `dvaan` binary end to end on small generated files: output on success, and on bad
//! input `error: <message>` on stderr with exit status 2, never a panic.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dvaan::data::{write_idx_images, write_idx_labels};

fn dvaan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dvaan"))
        .args(args)
        .output()
        .expect("the dvaan binary runs")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dvaan-cli-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// 2x2 MNIST-like files: training classes 0..9 twice plus three more fives, test 0..9 once.
fn write_mnist(root: &Path) {
    let dir = root.join("mnist");
    std::fs::create_dir_all(&dir).unwrap();
    let train: Vec<u8> = (0..20).map(|i| (i % 10) as u8).chain([5, 5, 5]).collect();
    let test: Vec<u8> = (0..10).collect();
    for (prefix, labels) in [("train", &train), ("t10k", &test)] {
        let pixels: Vec<u8> = labels.iter().flat_map(|&l| [l; 4]).collect();
        write_idx_images(
            &dir.join(format!("{prefix}-images-idx3-ubyte")),
            2,
            2,
            &pixels,
        )
        .unwrap();
        write_idx_labels(&dir.join(format!("{prefix}-labels-idx1-ubyte")), labels).unwrap();
    }
}

#[test]
fn data_info_prints_the_task_counts() {
    let root = temp_dir("info");
    write_mnist(&root);
    let out = dvaan(&[
        "data-info",
        "--dataset",
        "mnist",
        "--data-dir",
        root.to_str().unwrap(),
        "--ratio",
        "2",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(text.contains("mnist digit 5 vs digit 6"), "{text}");
    assert!(
        text.contains("kept 3 of 5 training positives"),
        "round(5 / 2) = 3: {text}"
    );
    assert!(
        text.contains("train:   5 samples: 3 positive, 2 negative"),
        "{text}"
    );
    assert!(
        text.contains("test:    2 samples: 1 positive, 1 negative"),
        "{text}"
    );
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn missing_data_is_an_error_with_exit_status_2() {
    let root = temp_dir("missing");
    let out = dvaan(&[
        "data-info",
        "--dataset",
        "mnist",
        "--data-dir",
        root.to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("error: mnist data (train-images-idx3-ubyte) not found"),
        "{err}"
    );
    assert!(
        err.contains("tools/fetch-data.sh") && !err.contains("panicked"),
        "{err}"
    );
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn bad_values_are_errors_with_exit_status_2() {
    let root = temp_dir("bad");
    write_mnist(&root);
    let dir = root.to_str().unwrap();
    for (args, needle) in [
        (
            vec![
                "data-info",
                "--dataset",
                "mnist",
                "--data-dir",
                dir,
                "--ratio",
                "0.5",
            ],
            "ratio 1:0.5 is invalid",
        ),
        (
            vec![
                "data-info",
                "--dataset",
                "mnist",
                "--data-dir",
                dir,
                "--positive-class",
                "12",
            ],
            "class 12 does not exist",
        ),
        (
            vec!["data-info", "--dataset", "imagenet"],
            "unknown dataset \"imagenet\"",
        ),
        (
            vec!["import-mnist-json", "--from", dir, "--out", dir],
            "MNIST digit files",
        ),
    ] {
        let out = dvaan(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(needle) && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
    std::fs::remove_dir_all(root).unwrap();
}
