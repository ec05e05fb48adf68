//! Checkpoints in the safetensors format: every tensor of the training state as a named f32
//! array, and in the header's metadata the run description as JSON (so `eval`, `sample` and
//! `--resume` rebuild the same model without any flag) and a CRC-32 of the tensor bytes (the
//! format checks lengths and offsets, not the bytes themselves).
//!
//! Metadata keys: `format` = `dvaan-checkpoint`, `version` = `1`, `run` = the JSON of the
//! caller's run description, `crc32` = the checksum of the tensors' bytes taken in name order.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use flate2::Crc;
use safetensors::tensor::{Dtype, SafeTensorError, View};
use safetensors::SafeTensors;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::atomic::write_atomic;
use super::error::{io_error, OutputError};

const FORMAT: &str = "dvaan-checkpoint";
const VERSION: &str = "1";

/// One named host array: (name, shape, values).
pub type NamedArray = (String, Vec<usize>, Vec<f32>);

struct F32Bytes<'a> {
    shape: &'a [usize],
    bytes: Vec<u8>,
}

impl View for &F32Bytes<'_> {
    fn dtype(&self) -> Dtype {
        Dtype::F32
    }
    fn shape(&self) -> &[usize] {
        self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.bytes)
    }
    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

fn le_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// CRC-32 over the byte arrays in name order.
fn checksum<'a>(mut arrays: Vec<(&'a str, &'a [u8])>) -> u32 {
    arrays.sort_by(|a, b| a.0.cmp(b.0));
    let mut crc = Crc::new();
    for (_, bytes) in arrays {
        crc.update(bytes);
    }
    crc.sum()
}

/// Writes `tensors` and `run` to `path` atomically.
pub fn save<M: Serialize>(path: &Path, run: &M, tensors: &[NamedArray]) -> Result<(), OutputError> {
    let corrupt = |problem: String| OutputError::Corrupt {
        path: path.to_path_buf(),
        problem,
    };
    for (name, shape, values) in tensors {
        if shape.iter().product::<usize>() != values.len() {
            return Err(corrupt(format!(
                "tensor {name}: {} values do not fill shape {shape:?}",
                values.len()
            )));
        }
    }
    let views: Vec<(&str, F32Bytes)> = tensors
        .iter()
        .map(|(name, shape, values)| {
            (
                name.as_str(),
                F32Bytes {
                    shape,
                    bytes: le_bytes(values),
                },
            )
        })
        .collect();
    let crc = checksum(
        views
            .iter()
            .map(|(n, v)| (*n, v.bytes.as_slice()))
            .collect(),
    );
    let run = serde_json::to_string(run).map_err(|e| corrupt(format!("run description: {e}")))?;
    let metadata = HashMap::from([
        ("format".to_string(), FORMAT.to_string()),
        ("version".to_string(), VERSION.to_string()),
        ("run".to_string(), run),
        ("crc32".to_string(), format!("{crc:08x}")),
    ]);
    let bytes = safetensors::serialize(views.iter().map(|(n, v)| (*n, v)), Some(metadata))
        .map_err(|e| corrupt(format!("cannot encode: {e}")))?;
    write_atomic(path, &bytes)
}

/// A checkpoint read back: the run description and every tensor, in name order.
pub struct Loaded<M> {
    pub run: M,
    pub tensors: Vec<NamedArray>,
}

fn describe(e: &SafeTensorError, len: usize) -> String {
    match e {
        SafeTensorError::HeaderTooSmall => {
            format!("the file is {len} bytes, too short for a safetensors header")
        }
        SafeTensorError::InvalidHeaderLength | SafeTensorError::MetadataIncompleteBuffer => {
            format!(
                "the file is {len} bytes, which does not match the sizes its header announces \
                 (truncated or padded)"
            )
        }
        _ => format!("the header is not valid safetensors ({e})"),
    }
}

pub fn load<M: DeserializeOwned>(path: &Path) -> Result<Loaded<M>, OutputError> {
    if !path.is_file() {
        return Err(OutputError::NotFound {
            path: path.to_path_buf(),
            what: "checkpoint file",
            fix: "pass a run folder written by `dvaan train` or its checkpoint.safetensors".into(),
        });
    }
    let bytes = std::fs::read(path).map_err(io_error(path, "read"))?;
    let corrupt = |problem: String| OutputError::Corrupt {
        path: path.to_path_buf(),
        problem,
    };
    let file = SafeTensors::deserialize(&bytes).map_err(|e| corrupt(describe(&e, bytes.len())))?;
    let (_, header) =
        SafeTensors::read_metadata(&bytes).map_err(|e| corrupt(describe(&e, bytes.len())))?;
    let meta = header.metadata().clone().unwrap_or_default();
    if meta.get("format").map(String::as_str) != Some(FORMAT) {
        return Err(corrupt(
            "a safetensors file, but not a dvaan checkpoint (no `format: dvaan-checkpoint` \
             in its metadata)"
                .into(),
        ));
    }
    if meta.get("version").map(String::as_str) != Some(VERSION) {
        return Err(corrupt(format!(
            "checkpoint format version {:?}; this program reads version {VERSION}",
            meta.get("version")
        )));
    }
    let mut views = file.tensors();
    views.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some((name, v)) = views.iter().find(|(_, v)| v.dtype() != Dtype::F32) {
        return Err(corrupt(format!(
            "tensor {name} is {:?}, expected F32",
            v.dtype()
        )));
    }
    let crc = checksum(views.iter().map(|(n, v)| (n.as_str(), v.data())).collect());
    let stored = meta.get("crc32").cloned().unwrap_or_default();
    if stored != format!("{crc:08x}") {
        return Err(corrupt(format!(
            "the tensor data does not match its checksum (stored {stored:?}, computed \
             {crc:08x}): bytes were changed after writing"
        )));
    }
    let run_json = meta.get("run").map(String::as_str).unwrap_or("");
    let run = serde_json::from_str(run_json).map_err(|e| {
        corrupt(format!(
            "the run description in its metadata is unreadable ({e})"
        ))
    })?;
    let tensors = views
        .into_iter()
        .map(|(name, v)| {
            let values = v
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            (name, v.shape().to_vec(), values)
        })
        .collect();
    Ok(Loaded { run, tensors })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Run {
        latent: usize,
        name: String,
    }

    fn sample() -> (Run, Vec<NamedArray>) {
        let run = Run {
            latent: 3,
            name: "t".into(),
        };
        let tensors = vec![
            (
                "b.weight".to_string(),
                vec![2, 3],
                (0..6).map(|i| i as f32 * 0.5).collect(),
            ),
            ("a.mu".to_string(), vec![1], vec![f32::MIN_POSITIVE]),
        ];
        (run, tensors)
    }

    fn temp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("dvaan-ckpt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    #[test]
    fn round_trip_is_exact_and_name_ordered() {
        let (run, tensors) = sample();
        let p = temp("ok.safetensors");
        save(&p, &run, &tensors).unwrap();
        let back: Loaded<Run> = load(&p).unwrap();
        assert_eq!(back.run, run);
        assert_eq!(back.tensors, vec![tensors[1].clone(), tensors[0].clone()]);
    }

    #[test]
    fn truncated_flipped_and_foreign_files_are_reported() {
        let (run, tensors) = sample();
        let p = temp("bad.safetensors");
        save(&p, &run, &tensors).unwrap();
        let good = std::fs::read(&p).unwrap();

        std::fs::write(&p, &good[..good.len() - 3]).unwrap();
        let e = load::<Run>(&p).err().unwrap().to_string();
        assert!(
            e.contains("truncated") && e.contains("bad.safetensors"),
            "{e}"
        );

        std::fs::write(&p, &good[..5]).unwrap();
        let e = load::<Run>(&p).err().unwrap().to_string();
        assert!(e.contains("too short"), "{e}");

        let mut flipped = good.clone();
        *flipped.last_mut().unwrap() ^= 0x40;
        std::fs::write(&p, &flipped).unwrap();
        let e = load::<Run>(&p).err().unwrap().to_string();
        assert!(e.contains("checksum"), "{e}");

        let foreign = safetensors::serialize(
            [(
                "x",
                &F32Bytes {
                    shape: &[1],
                    bytes: vec![0; 4],
                },
            )],
            None,
        )
        .unwrap();
        std::fs::write(&p, foreign).unwrap();
        let e = load::<Run>(&p).err().unwrap().to_string();
        assert!(e.contains("not a dvaan checkpoint"), "{e}");

        let e = load::<Run>(&temp("missing.safetensors"))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("no checkpoint file"), "{e}");
    }

    #[test]
    fn wrong_value_count_is_refused_before_writing() {
        let p = temp("never.safetensors");
        let e = save(&p, &1u32, &[("w".into(), vec![2, 2], vec![0.0; 3])]).unwrap_err();
        assert!(e.to_string().contains("shape [2, 2]"), "{e}");
        assert!(!p.exists());
    }
}
