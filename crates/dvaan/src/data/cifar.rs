//! CIFAR-10's binary format: files of 3073-byte records, each a label byte (0..=9) followed by
//! 32x32 pixels of red, then green, then blue, rows top to bottom — already channel-major, so
//! the records become NCHW tensors without reordering.

use std::path::{Path, PathBuf};

use super::error::DataError;
use super::source::read_file;

pub const RECORD: usize = 1 + PIXELS;
pub const PIXELS: usize = 3 * 32 * 32;
pub const N_CLASSES: u32 = 10;
pub const TRAIN_FILES: [&str; 5] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
];
pub const TEST_FILES: [&str; 1] = ["test_batch.bin"];

/// Records from one or more files, in file order.
#[derive(Debug, Clone, Default)]
pub struct CifarRecords {
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
    pub paths: Vec<PathBuf>,
}

/// Appends the records of `path` to `into`.
pub fn read_cifar_file(path: &Path, into: &mut CifarRecords) -> Result<(), DataError> {
    let file = read_file(path)?;
    let len = file.bytes.len();
    if len == 0 || !len.is_multiple_of(RECORD) {
        return Err(DataError::RecordSize {
            path: file.path,
            len: len as u64,
            record: RECORD,
        });
    }
    for (i, record) in file.bytes.chunks_exact(RECORD).enumerate() {
        if record[0] as u32 >= N_CLASSES {
            return Err(DataError::UnknownLabels {
                path: file.path,
                at: format!("byte {} (record {i})", i * RECORD),
                values: vec![record[0].to_string()],
                expected: "a label byte 0..=9 at the start of every 3073-byte record; the file \
                           is damaged or not CIFAR-10 binary"
                    .into(),
            });
        }
        into.labels.push(record[0]);
        into.pixels.extend_from_slice(&record[1..]);
    }
    into.paths.push(file.path);
    Ok(())
}
