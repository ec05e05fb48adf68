//! A self-deleting temporary folder and writers for small dataset files.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use flate2::write::GzEncoder;
use flate2::Compression;

use crate::data::{write_idx_images, write_idx_labels};

pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "dvaan-data-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        p
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Images whose every pixel is the sample's class times 20, so a test can tell samples apart
/// by class after filtering.
pub fn images_for(classes: &[u8], rows: usize, cols: usize) -> Vec<u8> {
    classes
        .iter()
        .flat_map(|&c| std::iter::repeat_n(c * 20, rows * cols))
        .collect()
}

/// Writes `<dir>/{train,t10k}-{images-idx3,labels-idx1}-ubyte` for the given class lists.
pub fn write_idx_dataset(dir: &Path, train: &[u8], test: &[u8]) {
    std::fs::create_dir_all(dir).unwrap();
    for (prefix, classes) in [("train", train), ("t10k", test)] {
        write_idx_images(
            &dir.join(format!("{prefix}-images-idx3-ubyte")),
            4,
            3,
            &images_for(classes, 4, 3),
        )
        .unwrap();
        write_idx_labels(&dir.join(format!("{prefix}-labels-idx1-ubyte")), classes).unwrap();
    }
}

/// `n` labels cycling through 0..10, with `extra` more of class `boost` appended.
pub fn cycling_labels(n: usize, boost: u8, extra: usize) -> Vec<u8> {
    (0..n)
        .map(|i| (i % 10) as u8)
        .chain(std::iter::repeat_n(boost, extra))
        .collect()
}
