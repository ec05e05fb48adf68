//! Shared by the CLI tests: a self-deleting folder, a tiny generated MNIST-format task, and
//! running the `dvaan` binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use dvaan::data::{write_idx_images, write_idx_labels};

pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "dvaan-cli-{tag}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// 28×28 images the classes can be told apart by: digit 5 has a bright vertical bar, digit 6
/// a bright horizontal one, both over seeded noise.
fn image(class: u8, index: usize) -> Vec<u8> {
    let mut state = (index as u32).wrapping_mul(2_654_435_761) ^ 0x9e37_79b9;
    let mut px = Vec::with_capacity(28 * 28);
    for y in 0..28 {
        for x in 0..28 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let bar = match class {
                5 => (8..13).contains(&x),
                _ => (14..19).contains(&y),
            };
            px.push(if bar { 200 } else { (state % 60) as u8 });
        }
    }
    px
}

fn write_split(dir: &Path, prefix: &str, classes: &[u8], offset: usize) {
    let pixels: Vec<u8> = classes
        .iter()
        .enumerate()
        .flat_map(|(i, &c)| image(c, offset + i))
        .collect();
    write_idx_images(
        &dir.join(format!("{prefix}-images-idx3-ubyte")),
        28,
        28,
        &pixels,
    )
    .unwrap();
    write_idx_labels(&dir.join(format!("{prefix}-labels-idx1-ubyte")), classes).unwrap();
}

/// Writes `<root>/mnist/` with a 5-vs-6 task: 4 positives and 12 negatives to train on,
/// 6 and 6 to test; returns `root` for `--data-dir`.
pub fn tiny_mnist(root: &Path) -> PathBuf {
    let dir = root.join("mnist");
    std::fs::create_dir_all(&dir).unwrap();
    let train: Vec<u8> = (0..16).map(|i| if i % 4 == 0 { 5 } else { 6 }).collect();
    let test: Vec<u8> = (0..12).map(|i| if i % 2 == 0 { 5 } else { 6 }).collect();
    write_split(&dir, "train", &train, 0);
    write_split(&dir, "t10k", &test, 1000);
    root.to_path_buf()
}

/// Flags for a fast run on `tiny_mnist`: 3 steps per epoch, an augmentation round every
/// 2 steps, history read back every 2 steps.
pub fn tiny_train_args(data: &Path, out: &Path) -> Vec<String> {
    let mut v: Vec<String> = [
        "train",
        "--dataset",
        "mnist",
        "--batch",
        "8",
        "--latent",
        "4",
        "--aug-every",
        "2",
        "--aug-n",
        "8",
        "--log-every",
        "2",
        "--seed",
        "7",
        "--quiet",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.extend(["--data-dir".into(), data.display().to_string()]);
    v.extend(["--out".into(), out.display().to_string()]);
    v
}

/// Sets `flag` to `value` in `args`, replacing a value already there.
pub fn set(args: &mut Vec<String>, flag: &str, value: &str) {
    match args.iter().position(|a| a == flag) {
        Some(i) => args[i + 1] = value.to_string(),
        None => args.extend([flag.to_string(), value.to_string()]),
    }
}

/// Runs the binary; stdin closed, so it never waits for input.
pub fn dvaan<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dvaan"));
    cmd.args(args).stdin(std::process::Stdio::null());
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        cmd.env("XDG_RUNTIME_DIR", std::env::temp_dir());
    }
    cmd.output().expect("the dvaan binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts success and returns stdout.
pub fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "dvaan failed ({}):\nstdout:\n{}\nstderr:\n{}",
        o.status,
        stdout(o),
        stderr(o)
    );
    stdout(o)
}

/// Asserts a clean failure: non-zero exit, no panic, stderr containing every `needle`.
pub fn fails(o: &Output, needles: &[&str]) -> String {
    let err = stderr(o);
    assert!(
        !o.status.success(),
        "expected failure, got success:\n{}",
        stdout(o)
    );
    assert_eq!(o.status.code(), Some(2), "exit status {}: {err}", o.status);
    assert!(!err.contains("panicked"), "panic: {err}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}:\n{err}");
    }
    err
}
