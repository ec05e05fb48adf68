//! What can go wrong with a run's files: the output folder, checkpoints, reports and images.
//! Each message names the file and says how to fix the problem.

use std::fmt;
use std::io;
use std::path::PathBuf;

use super::disk::human_bytes;

#[derive(Debug)]
pub enum OutputError {
    /// The operating system refused to read or write a file.
    Io {
        path: PathBuf,
        action: &'static str,
        source: io::Error,
    },
    /// A checkpoint that cannot be read back: truncated, corrupt, or not a checkpoint at all.
    Corrupt { path: PathBuf, problem: String },
    /// A readable checkpoint that does not fit what it is used for (another architecture,
    /// another sample shape).
    Incompatible { path: PathBuf, problem: String },
    /// `--out` already holds files of a run and neither `--resume` nor `--force` was given.
    RunExists { dir: PathBuf, files: Vec<String> },
    /// Another process holds the run folder's lock (`holder`: its PID and host, `None`
    /// when the lock file cannot be read).
    Locked {
        dir: PathBuf,
        lock: PathBuf,
        holder: Option<(u32, String)>,
    },
    /// A checkpoint could not be written; the previous one (if any) is untouched.
    /// `free_bytes`: space left to unprivileged users on the folder's filesystem, when known.
    CheckpointNotWritten {
        dir: PathBuf,
        epoch: usize,
        cause: Box<OutputError>,
        free_bytes: Option<u64>,
    },
    /// A file or folder that should hold a run's state does not exist.
    NotFound {
        path: PathBuf,
        what: &'static str,
        fix: String,
    },
}

impl fmt::Display for OutputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputError::Io {
                path,
                action,
                source,
            } => write!(f, "{}: cannot {action}: {source}", path.display()),
            OutputError::Corrupt { path, problem } => write!(
                f,
                "{}: not a usable checkpoint: {problem}.\nfix: the file is damaged or \
                 incomplete; use another checkpoint, or train again (checkpoints are written \
                 whole or not at all, so a partial one comes from a copy or a full disk)",
                path.display()
            ),
            OutputError::Incompatible { path, problem } => write!(
                f,
                "{}: {problem}.\nfix: use a checkpoint written by the same model configuration \
                 (dvaan eval and sample rebuild the model from the configuration stored in the \
                 checkpoint)",
                path.display()
            ),
            OutputError::RunExists { dir, files } => write!(
                f,
                "{} already holds a run ({}).\nfix: pass --resume {} to continue it, --force \
                 to replace it, or choose another --out",
                dir.display(),
                files.join(", "),
                dir.display()
            ),
            OutputError::Locked { dir, lock, holder } => {
                match holder {
                    Some((pid, host)) => write!(
                        f,
                        "{} is in use by another dvaan run (process {pid} on {host})",
                        dir.display()
                    )?,
                    None => write!(
                        f,
                        "{} is locked by {}, which names no process",
                        dir.display(),
                        lock.display()
                    )?,
                }
                write!(
                    f,
                    ".\nfix: wait for that run to finish, or choose another --out; if no \
                     run uses the folder any more, remove {}",
                    lock.display()
                )
            }
            OutputError::CheckpointNotWritten {
                dir,
                epoch,
                cause,
                free_bytes,
            } => {
                write!(
                    f,
                    "training stopped: the checkpoint of epoch {epoch} could not be written \
                     into {}: {cause}",
                    dir.display()
                )?;
                if let Some(free) = free_bytes {
                    write!(f, " ({} free on that filesystem)", human_bytes(*free))?;
                }
                if *epoch > 1 {
                    write!(
                        f,
                        ".\nThe checkpoint of epoch {} is kept.\nfix: free space or fix the \
                         folder's permissions, then `dvaan train --resume {}` continues from it",
                        epoch - 1,
                        dir.display()
                    )
                } else {
                    write!(
                        f,
                        ".\nNo checkpoint was written.\nfix: free space or fix the folder's \
                         permissions, then train again"
                    )
                }
            }
            OutputError::NotFound { path, what, fix } => {
                write!(f, "{}: no {what} there.\nfix: {fix}", path.display())
            }
        }
    }
}

impl std::error::Error for OutputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OutputError::Io { source, .. } => Some(source),
            OutputError::CheckpointNotWritten { cause, .. } => Some(cause.as_ref()),
            _ => None,
        }
    }
}

/// Wraps an `io::Error` with the file and what was being done to it.
pub fn io_error(
    path: impl Into<PathBuf>,
    action: &'static str,
) -> impl FnOnce(io::Error) -> OutputError {
    let path = path.into();
    move |source| OutputError::Io {
        path,
        action,
        source,
    }
}
