//! Latent codes of test samples for the Figure 1 analogue: the trained model is rebuilt from a
//! cell's checkpoint, its encoder maps (at most `MAX_POINTS` of) the test samples to their
//! posterior means `m`, and `latent.csv` (`label,z0,…`) is written into the cell folder once.

use std::fmt::Write;
use std::path::Path;

use dvaan_tensor::GpuOptions;

use crate::data::Dataset;
use crate::io::atomic::write_atomic;
use crate::io::io_error;
use crate::run::dir::CHECKPOINT;
use crate::run::restore::restore;
use crate::{Error, Result};

pub const LATENT: &str = "latent.csv";
/// Points per scatter plot: enough to show the classes, few enough for a light SVG.
pub const MAX_POINTS: usize = 1000;

/// Writes `cell_dir/latent.csv` unless it exists.
pub fn write_latent(cell_dir: &Path, data_dir: &Path, gpu: &GpuOptions) -> Result<()> {
    let path = cell_dir.join(LATENT);
    if path.is_file() {
        return Ok(());
    }
    let r = restore(&cell_dir.join(CHECKPOINT), Some(data_dir), gpu)?;
    let test = every_kth(&r.task.test, MAX_POINTS);
    let codes = r
        .trainer
        .encode(&test)?
        .ok_or_else(|| Error::Usage(format!("method {} has no encoder", r.record.config.method)))?;
    let d = codes.len() / test.len().max(1);
    let mut out = String::from("label");
    for j in 0..d {
        let _ = write!(out, ",z{j}");
    }
    out.push('\n');
    for (label, row) in test.labels.iter().zip(codes.chunks(d.max(1))) {
        let _ = write!(out, "{}", *label as u8);
        for v in row {
            let _ = write!(out, ",{v}");
        }
        out.push('\n');
    }
    write_atomic(&path, out.as_bytes())?;
    Ok(())
}

/// Every k-th sample, so at most `max` remain, both classes in their proportion.
fn every_kth(data: &Dataset, max: usize) -> Dataset {
    let k = data.len().div_ceil(max.max(1)).max(1);
    let keep: Vec<usize> = (0..data.len()).step_by(k).collect();
    let (x, labels) = data.gather(&keep);
    Dataset::new(data.name.clone(), x, labels, data.shape.clone())
        .expect("a subset of a valid dataset is valid")
}

/// Reads `latent.csv`: labels and row-major codes with their width.
pub fn read_latent(path: &Path) -> Result<(Vec<f32>, Vec<f32>, usize)> {
    let text = std::fs::read_to_string(path).map_err(io_error(path, "read"))?;
    let mut lines = text.lines();
    let d = lines
        .next()
        .map_or(0, |h| h.split(',').count().saturating_sub(1));
    let (mut labels, mut codes) = (Vec::new(), Vec::new());
    for (i, line) in lines.enumerate() {
        let values: Vec<f32> = line
            .split(',')
            .map(str::parse)
            .collect::<std::result::Result<_, _>>()
            .ok()
            .filter(|v: &Vec<f32>| v.len() == d + 1)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "{} line {}: expected a label and {d} numbers; delete the file to recompute it",
                    path.display(),
                    i + 2
                ))
            })?;
        labels.push(values[0]);
        codes.extend_from_slice(&values[1..]);
    }
    Ok((labels, codes, d))
}
