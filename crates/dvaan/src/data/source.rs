//! Reading a whole file into memory, decompressing it when it is gzip, and finding a dataset
//! file among the places it may live.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use super::error::DataError;

/// The bytes of a file, after decompression when it was gzip.
pub struct FileBytes {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    /// Offsets in error messages then refer to the decompressed stream.
    pub compressed: bool,
}

/// Reads `path`; a file starting with the gzip magic bytes is decompressed whatever its
/// name, so a `.gz` renamed without its suffix still works.
pub fn read_file(path: &Path) -> Result<FileBytes, DataError> {
    let io_err = |source: io::Error| DataError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut raw = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut raw))
        .map_err(io_err)?;
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(FileBytes {
            path: path.to_path_buf(),
            bytes: raw,
            compressed: false,
        });
    }
    let mut bytes = Vec::with_capacity(raw.len() * 2);
    // read_to_end keeps what it decoded before an error, which tells the user how far it got.
    if let Err(source) = MultiGzDecoder::new(&raw[..]).read_to_end(&mut bytes) {
        return Err(DataError::Gzip {
            path: path.to_path_buf(),
            decompressed: bytes.len() as u64,
            source,
        });
    }
    Ok(FileBytes {
        path: path.to_path_buf(),
        bytes,
        compressed: true,
    })
}

/// The first of `dir/name`, `dir/name.gz` that exists, over every candidate directory.
/// The error lists every path tried and says how to get the data (`fix`).
pub fn find_file(
    dirs: &[PathBuf],
    name: &str,
    what: &str,
    fix: &str,
) -> Result<PathBuf, DataError> {
    let mut looked = Vec::new();
    for dir in dirs {
        for candidate in [dir.join(name), dir.join(format!("{name}.gz"))] {
            if candidate.is_file() {
                return Ok(candidate);
            }
            looked.push(candidate);
        }
    }
    Err(DataError::Missing {
        what: format!("{what} ({name})"),
        looked,
        fix: fix.into(),
    })
}

/// Big-endian u32 at `offset`, or `None` when the bytes end first.
pub fn be_u32(bytes: &[u8], offset: usize) -> Option<u32> {
    let b = bytes.get(offset..offset + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Writes `bytes` to `path` through a temporary file and a rename, so that an interrupted
/// write never leaves a half file that a later run would take for a damaged download.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), DataError> {
    let io_err = |source: io::Error| DataError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).map_err(io_err)?;
    std::fs::rename(&tmp, path).map_err(io_err)
}
