//! Writing a file whole or not at all: the bytes go to a temporary file beside the target,
//! are flushed to disk, and the temporary file is renamed over the target. A crash or a full
//! disk leaves either the old file or the new one, never a mix, so the last good checkpoint
//! survives an interrupted run.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::error::{io_error, OutputError};

/// The temporary name used while `path` is being written. It names this process, so that
/// processes writing the same file (experiment runners sharing one output folder) never
/// rename each other's half-written bytes.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(format!(".{}.tmp", std::process::id()));
    path.with_file_name(name)
}

/// Temporary files of `path` left by any process (an interrupted write).
pub fn leftover_temps(path: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Vec::new();
    };
    let prefix = format!("{}.", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            let n = p.file_name().unwrap_or_default().to_string_lossy();
            n.starts_with(&prefix) && n.ends_with(".tmp")
        })
        .collect()
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
    fn processes_get_their_own_temp_and_leftovers_are_found() {
        let dir = std::env::temp_dir().join(format!("dvaan-atomic-tmp-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("experiment.json");
        let mine = temp_path(&p);
        assert!(mine
            .to_string_lossy()
            .ends_with(&format!("experiment.json.{}.tmp", std::process::id())));
        // Another process's interrupted write, and an unrelated file.
        fs::write(dir.join("experiment.json.1.tmp"), b"half").unwrap();
        fs::write(dir.join("experiment.jsonl"), b"other").unwrap();
        let found = leftover_temps(&p);
        assert_eq!(found, vec![dir.join("experiment.json.1.tmp")]);
        fs::remove_dir_all(&dir).unwrap();
    }

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
