//! One training process per run folder. `dvaan train` (new or resumed) holds `run.lock` in
//! the folder while it runs: the file is created atomically with its holder in it, so of two
//! processes only one gets it, and it names the holder's PID and host. Dropping the lock
//! removes the file, which happens however the run ends short of the process being killed; a
//! lock left by a killed process is recognised as stale (its PID is not alive on this host)
//! and taken over.
//!
//! A lock from another host cannot be checked and counts as live; so does one whose PID has
//! since been reused by an unrelated process. The message then says to remove the file.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use crate::io::{io_error, OutputError};

pub const LOCK: &str = "run.lock";

/// Who holds a lock, as written in the file: `pid <PID>` and `host <HOST>` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    pub host: String,
}

impl Holder {
    fn me() -> Holder {
        Holder {
            pid: std::process::id(),
            host: host_name(),
        }
    }

    fn parse(text: &str) -> Option<Holder> {
        let mut pid = None;
        let mut host = None;
        for line in text.lines() {
            match line.split_once(' ') {
                Some(("pid", v)) => pid = v.trim().parse().ok(),
                Some(("host", v)) => host = Some(v.trim().to_string()),
                _ => {}
            }
        }
        Some(Holder {
            pid: pid?,
            host: host?,
        })
    }

    fn render(&self) -> String {
        format!("pid {}\nhost {}\n", self.pid, self.host)
    }

    /// True unless the holder is known to be gone: same host, and no process has its PID.
    fn may_be_alive(&self) -> bool {
        self.host != host_name() || pid_alive(self.pid)
    }
}

#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
}

impl RunLock {
    /// Takes the lock of `dir` (which must exist), taking over a stale one with a note on
    /// stderr; an error naming the holder when a live process has it.
    pub fn acquire(dir: &Path) -> Result<RunLock, OutputError> {
        let path = dir.join(LOCK);
        let me = Holder::me();
        // A second round only after removing a stale lock; losing that round to another
        // process that took over at the same moment is an ordinary "locked" error.
        for _ in 0..2 {
            match create_with(&path, &me.render()) {
                Ok(()) => return Ok(RunLock { path: path.clone() }),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    let holder = live_holder(dir)?;
                    if let Some(stale) = holder {
                        eprintln!(
                            "note: {} was left by process {} on {}, which is no longer \
                             running; taking it over",
                            path.display(),
                            stale.pid,
                            stale.host
                        );
                        match fs::remove_file(&path) {
                            Ok(()) => {}
                            Err(e) if e.kind() == ErrorKind::NotFound => {}
                            Err(e) => return Err(io_error(&path, "remove")(e)),
                        }
                    }
                }
                Err(e) => return Err(io_error(&path, "create")(e)),
            }
        }
        Err(locked(dir, read_holder(&path)))
    }
}

/// Creates `path` holding `text`, or fails with `AlreadyExists` when it exists. The text is
/// written to a file of this process's own first and linked into place, so another process
/// never reads the lock before its holder is in it (an empty lock would name no process);
/// where the file system has no hard links, the lock is created empty and then written.
fn create_with(path: &Path, text: &str) -> std::io::Result<()> {
    let mut staged = path.as_os_str().to_owned();
    staged.push(format!(".{}", std::process::id()));
    let staged = PathBuf::from(staged);
    write_synced(
        OpenOptions::new().write(true).create(true).truncate(true),
        &staged,
        text,
    )?;
    let linked = fs::hard_link(&staged, path);
    let _ = fs::remove_file(&staged);
    match linked {
        Err(e) if e.kind() != ErrorKind::AlreadyExists => {
            write_synced(OpenOptions::new().write(true).create_new(true), path, text)
        }
        other => other,
    }
}

fn write_synced(options: &mut OpenOptions, path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Only our own lock is removed: a stale-lock takeover by another process must not
        // be undone by this one.
        let mine = fs::read_to_string(&self.path)
            .ok()
            .and_then(|t| Holder::parse(&t))
            .is_some_and(|h| h == Holder::me());
        if mine {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Checks, without taking it, that no live process holds the lock of `dir`.
pub fn check_free(dir: &Path) -> Result<(), OutputError> {
    live_holder(dir).map(|_| ())
}

/// `Ok(None)` when there is no lock, `Ok(Some(holder))` when the lock is stale, an error
/// when the lock is (or may be) held.
fn live_holder(dir: &Path) -> Result<Option<Holder>, OutputError> {
    let path = dir.join(LOCK);
    if !path.exists() {
        return Ok(None);
    }
    match read_holder(&path) {
        Some(h) if !h.may_be_alive() => Ok(Some(h)),
        holder => Err(locked(dir, holder)),
    }
}

fn read_holder(path: &Path) -> Option<Holder> {
    Holder::parse(&fs::read_to_string(path).ok()?)
}

fn locked(dir: &Path, holder: Option<Holder>) -> OutputError {
    OutputError::Locked {
        dir: dir.to_path_buf(),
        lock: dir.join(LOCK),
        holder: holder.map(|h| (h.pid, h.host)),
    }
}

#[cfg(unix)]
fn pid_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // Signal 0 checks for existence without sending anything; EPERM means the process
    // exists but belongs to someone else.
    // SAFETY: kill with signal 0 has no effect beyond the permission and existence check.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn pid_alive(_pid: u32) -> bool {
    // No portable check: treat every lock as live rather than risk two runs in one folder.
    true
}

pub fn host_name() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; the result is NUL-terminated or
        // truncated, and only the bytes before the first NUL are read.
        if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            if end > 0 {
                return String::from_utf8_lossy(&buf[..end]).into_owned();
            }
        }
    }
    std::env::var("HOSTNAME").unwrap_or_else(|_| "unknown-host".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("dvaan-lock-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_held_lock_refuses_a_second_taker_and_goes_with_its_holder() {
        let dir = temp_dir("held");
        let lock = RunLock::acquire(&dir).unwrap();
        let text = fs::read_to_string(dir.join(LOCK)).unwrap();
        assert_eq!(Holder::parse(&text), Some(Holder::me()));
        let err = RunLock::acquire(&dir).unwrap_err().to_string();
        assert!(err.contains(&std::process::id().to_string()), "{err}");
        assert!(check_free(&dir).is_err());
        drop(lock);
        assert!(!dir.join(LOCK).exists());
        check_free(&dir).unwrap();
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_dead_holder_is_stale_and_a_foreign_host_is_not() {
        assert!(pid_alive(std::process::id()));
        // PIDs are below 2^22 on Linux; this one cannot exist.
        let dead = Holder {
            pid: 999_999_999,
            host: host_name(),
        };
        assert!(!dead.may_be_alive());
        let elsewhere = Holder {
            host: format!("{}-elsewhere", host_name()),
            ..dead.clone()
        };
        assert!(elsewhere.may_be_alive());
        let dir = temp_dir("stale");
        fs::write(dir.join(LOCK), dead.render()).unwrap();
        let lock = RunLock::acquire(&dir).unwrap();
        assert_eq!(read_holder(&dir.join(LOCK)), Some(Holder::me()));
        drop(lock);
        // Unreadable content is not taken over: it may be a lock being written.
        fs::write(dir.join(LOCK), "").unwrap();
        assert!(RunLock::acquire(&dir).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
