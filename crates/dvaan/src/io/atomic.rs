//! Writing a file whole or not at all: the bytes go to a temporary file beside the target,
//! are flushed to disk, and the temporary file is renamed over the target. A crash or a full
//! disk leaves either the old file or the new one, never a mix, so the last good checkpoint
//! survives an interrupted run.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::error::{io_error, OutputError};

/// The temporary name used while `path` is being written.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".tmp");
    path.with_file_name(name)
}

pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut file = File::create(&tmp).map_err(io_error(&tmp, "create"))?;
        file.write_all(bytes).map_err(io_error(&tmp, "write"))?;
        file.sync_all().map_err(io_error(&tmp, "flush"))?;
        fs::rename(&tmp, path).map_err(io_error(path, "replace"))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_file_and_leaves_no_temp() {
        let dir = std::env::temp_dir().join(format!("dvaan-atomic-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.bin");
        write_atomic(&p, b"first, longer content").unwrap();
        write_atomic(&p, b"second").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"second");
        assert!(!temp_path(&p).exists());
        let missing = dir.join("no-such-dir").join("b.bin");
        let err = write_atomic(&missing, b"x").unwrap_err();
        assert!(err.to_string().contains("no-such-dir"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
