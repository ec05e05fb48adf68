//! The output folder of a run and the files in it. A new run refuses a folder that already
//! holds files unless `--force` is given; `--force` removes only the files a run writes, never
//! anything else a user put there. A folder locked by a live run (see `lock`) is refused
//! even with `--force`.

use std::path::{Path, PathBuf};

use super::lock::{check_free, LOCK};
use crate::io::atomic::leftover_temps;
use crate::io::{io_error, OutputError};

pub const CHECKPOINT: &str = "checkpoint.safetensors";
pub const METRICS: &str = "metrics.json";
pub const HISTORY: &str = "history.csv";
pub const SAMPLES: &str = "samples.png";
/// The sample grid with its rows labelled (written beside `SAMPLES`).
pub const SAMPLES_LABELLED: &str = "samples.svg";
pub const CURVES: &str = "curves.svg";
const RUN_FILES: [&str; 6] = [
    CHECKPOINT,
    METRICS,
    HISTORY,
    SAMPLES,
    SAMPLES_LABELLED,
    CURVES,
];

#[derive(Debug, Clone)]
pub struct RunDir(pub PathBuf);

impl RunDir {
    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Checks, without touching anything, that a new run may use `dir`.
    pub fn check_new(dir: &Path, force: bool) -> Result<(), OutputError> {
        if dir.is_dir() {
            check_free(dir)?;
        }
        RunDir::check_files(dir, force)
    }

    /// The folder is a folder, and holds no run files unless `force`; its lock is not
    /// looked at (the caller may hold it).
    fn check_files(dir: &Path, force: bool) -> Result<(), OutputError> {
        if dir.exists() && !dir.is_dir() {
            return Err(OutputError::NotFound {
                path: dir.to_path_buf(),
                what: "folder (it is a file)",
                fix: "choose another --out".into(),
            });
        }
        if !dir.is_dir() || force {
            return Ok(());
        }
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .map_err(io_error(dir, "list"))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name != LOCK)
            .collect();
        if files.is_empty() {
            return Ok(());
        }
        files.sort();
        Err(OutputError::RunExists {
            dir: dir.to_path_buf(),
            files,
        })
    }

    /// Prepares the folder of a new run, whose lock the caller holds; with `force`, removes
    /// the run files already there.
    pub fn create(dir: &Path, force: bool) -> Result<RunDir, OutputError> {
        RunDir::check_files(dir, force)?;
        let run = RunDir(dir.to_path_buf());
        for name in RUN_FILES {
            let file = run.file(name);
            for p in std::iter::once(file.clone()).chain(leftover_temps(&file)) {
                if p.exists() {
                    std::fs::remove_file(&p).map_err(io_error(&p, "remove"))?;
                }
            }
        }
        std::fs::create_dir_all(dir).map_err(io_error(dir, "create"))?;
        Ok(run)
    }

    /// A folder to resume: it must hold a checkpoint.
    pub fn existing(dir: &Path) -> Result<RunDir, OutputError> {
        let run = RunDir(dir.to_path_buf());
        if !run.file(CHECKPOINT).is_file() {
            return Err(OutputError::NotFound {
                path: run.file(CHECKPOINT),
                what: "checkpoint",
                fix: "--resume takes the --out folder of an earlier `dvaan train`, which \
                      holds checkpoint.safetensors once its first epoch has finished"
                    .into(),
            });
        }
        Ok(run)
    }
}

/// `--checkpoint` accepts a run folder or the file itself.
pub fn checkpoint_path(arg: &Path) -> PathBuf {
    if arg.is_dir() {
        arg.join(CHECKPOINT)
    } else {
        arg.to_path_buf()
    }
}
