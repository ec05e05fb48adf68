//! `history.csv`: one row per training step with the four losses and the class margin μ,
//! appended as the rows are read back from the GPU. Values are written with Rust's shortest
//! round-trip formatting, so the file holds the exact f32 numbers.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::atomic::write_atomic;
use super::error::{io_error, OutputError};

pub const HEADER: &str = "epoch,step,l_ele,l_kl,l_adv,l_fea,mu";

/// One step of training as logged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoryRow {
    pub epoch: usize,
    pub step: usize,
    pub l_ele: f32,
    pub l_kl: f32,
    pub l_adv: f32,
    pub l_fea: f32,
    pub mu: f32,
}

pub struct History {
    path: PathBuf,
    file: BufWriter<File>,
    rows: usize,
}

impl History {
    /// A new file holding only the header (an existing one is replaced).
    pub fn create(path: &Path) -> Result<History, OutputError> {
        write_atomic(path, format!("{HEADER}\n").as_bytes())?;
        History::open(path, 0)
    }

    /// Continues an existing file after its first `keep` rows; rows beyond them (logged after
    /// the checkpoint being resumed was written) are dropped, so the resumed run's file equals
    /// an uninterrupted run's. Returns the writer and how many rows were kept (fewer than
    /// `keep` when the file was shorter).
    pub fn resume(path: &Path, keep: usize) -> Result<(History, usize), OutputError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(io_error(path, "read")(e)),
        };
        let kept: Vec<&str> = text.lines().skip(1).take(keep).collect();
        let mut out = format!("{HEADER}\n");
        for line in &kept {
            out.push_str(line);
            out.push('\n');
        }
        write_atomic(path, out.as_bytes())?;
        Ok((History::open(path, kept.len())?, kept.len()))
    }

    fn open(path: &Path, rows: usize) -> Result<History, OutputError> {
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(io_error(path, "open"))?;
        Ok(History {
            path: path.to_path_buf(),
            file: BufWriter::new(file),
            rows,
        })
    }

    pub fn append(&mut self, rows: &[HistoryRow]) -> Result<(), OutputError> {
        for r in rows {
            writeln!(
                self.file,
                "{},{},{},{},{},{},{}",
                r.epoch, r.step, r.l_ele, r.l_kl, r.l_adv, r.l_fea, r.mu
            )
            .map_err(io_error(&self.path, "write"))?;
        }
        self.rows += rows.len();
        // Rows arrive every `log_every` steps: flushing each batch keeps the file live for
        // `tail -f` at no measurable cost.
        self.flush()
    }

    /// Pushes buffered rows to the file.
    pub fn flush(&mut self) -> Result<(), OutputError> {
        self.file.flush().map_err(io_error(&self.path, "write"))
    }

    /// Rows in the file (after a flush).
    pub fn rows(&self) -> usize {
        self.rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(step: usize) -> HistoryRow {
        HistoryRow {
            epoch: step / 2,
            step,
            l_ele: 0.1 + step as f32,
            l_kl: 1e-7,
            l_adv: f32::NAN,
            l_fea: 3.0,
            mu: 1.0,
        }
    }

    #[test]
    fn append_then_resume_drops_rows_after_the_checkpoint() {
        let dir = std::env::temp_dir().join(format!("dvaan-history-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("history.csv");
        let mut h = History::create(&p).unwrap();
        h.append(&[row(0), row(1), row(2)]).unwrap();
        h.flush().unwrap();
        assert_eq!(h.rows(), 3);
        drop(h);
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(text.lines().next(), Some(HEADER));
        assert_eq!(text.lines().nth(1), Some("0,0,0.1,0.0000001,NaN,3,1"));

        let (mut h, kept) = History::resume(&p, 2).unwrap();
        assert_eq!(kept, 2);
        h.append(&[row(2)]).unwrap();
        h.flush().unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), text);

        let (_, kept) = History::resume(&p, 10).unwrap();
        assert_eq!(kept, 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
