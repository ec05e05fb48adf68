//! The experiment grid: blocks of methods × datasets × imbalance ratios, each run with every
//! seed. A cell is one training run; its folder name `<dataset>-r<R>-<method>-s<seed>` is its
//! identity, so a re-run finds the cells already done.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::train::MethodKind;

/// Every row of the paper's Table 1 plus the reference baselines (docs/DESIGN.md §5.4), in the
/// order the tables list them. A name here that `MethodKind` does not parse yet is reported as
/// "not implemented" instead of being run.
pub const ALL_METHODS: [&str; 11] = [
    "dvaan",
    "dvaan-mu",
    "dvaan-a",
    "vae-gan",
    "vae-gan-b",
    "ac-gan",
    "cvae-gan",
    "cnn",
    "cnn-weighted",
    "cnn-ros",
    "cnn-focal",
];

/// A part of the grid: every method on every dataset at every ratio.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Block {
    pub methods: Vec<String>,
    pub datasets: Vec<String>,
    pub ratios: Vec<f64>,
    /// Epochs of this block's cells where they differ from the experiment's (a large dataset
    /// given fewer epochs than a small one to fit a time budget).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epochs: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    pub blocks: Vec<Block>,
    pub seeds: Vec<u64>,
}

/// One training run.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// As given: `mnist`, `fashion-mnist`, `cifar10`, `tis`, `csv:DIR`, or any of them with a
    /// one-vs-all suffix `-ovaK` (class K positive, every other class negative).
    pub dataset: String,
    pub ratio: f64,
    pub method: String,
    pub seed: u64,
    /// Its block's epochs, where they differ from the experiment's.
    pub epochs: Option<usize>,
}

impl Cell {
    pub fn name(&self) -> String {
        format!(
            "{}-r{}-{}-s{}",
            file_safe(&self.dataset),
            ratio_label(self.ratio),
            self.method,
            self.seed
        )
    }

    /// The dataset name `dvaan train --dataset` takes and the one-vs-all positive class.
    pub fn task(&self) -> (String, Option<u32>) {
        split_ova(&self.dataset)
    }

    /// The method, if this build implements it.
    pub fn method_kind(&self) -> Option<MethodKind> {
        MethodKind::from_str(&self.method).ok()
    }
}

impl Grid {
    /// Every cell in a stable order (block, dataset, ratio, method, seed), without repeats.
    /// A cell named by two blocks trains for the epochs a block sets for it ([`Grid::check`]
    /// refuses two different counts), else the experiment's.
    pub fn cells(&self) -> Vec<Cell> {
        let mut cells: Vec<Cell> = Vec::new();
        for b in &self.blocks {
            for d in &b.datasets {
                for &r in &b.ratios {
                    for m in &b.methods {
                        for &s in &self.seeds {
                            let c = Cell {
                                dataset: d.clone(),
                                ratio: r,
                                method: m.clone(),
                                seed: s,
                                epochs: b.epochs,
                            };
                            match cells.iter_mut().find(|x| x.name() == c.name()) {
                                Some(seen) => seen.epochs = seen.epochs.or(c.epochs),
                                None => cells.push(c),
                            }
                        }
                    }
                }
            }
        }
        cells
    }

    /// Checks names and values before anything runs: a typo in a method name is an error,
    /// a known method not implemented yet is not.
    pub fn check(&self) -> Result<(), String> {
        if self.seeds.is_empty() {
            return Err("--seeds needs at least one seed".into());
        }
        for b in &self.blocks {
            if b.methods.is_empty() || b.datasets.is_empty() || b.ratios.is_empty() {
                return Err("the grid is empty: give --methods, --datasets and --ratios".into());
            }
            for m in &b.methods {
                if MethodKind::from_str(m).is_err() && !ALL_METHODS.contains(&m.as_str()) {
                    return Err(format!(
                        "unknown method `{m}`; expected one of {} (or `all`)",
                        ALL_METHODS.join(", ")
                    ));
                }
            }
            if let Some(r) = b.ratios.iter().find(|r| !(r.is_finite() && **r >= 1.0)) {
                return Err(format!(
                    "imbalance ratio {r} is not a number ≥ 1 (1:R keeps 1/R of the positives)"
                ));
            }
            if b.epochs == Some(0) {
                return Err("a block of the grid sets 0 epochs; it needs at least 1".into());
            }
        }
        self.check_epochs_agree()
    }

    /// No cell is given two different epoch counts by two blocks.
    fn check_epochs_agree(&self) -> Result<(), String> {
        let mut set: Vec<(String, usize)> = Vec::new();
        for (i, b) in self.blocks.iter().enumerate() {
            let Some(e) = b.epochs else { continue };
            let one_block = Grid {
                blocks: vec![self.blocks[i].clone()],
                seeds: self.seeds.clone(),
            };
            for c in one_block.cells() {
                match set.iter().find(|(n, _)| *n == c.name()) {
                    Some((n, other)) if *other != e => {
                        return Err(format!(
                            "cell {n} is given {other} epochs by one block of the grid and {e} \
                             by another"
                        ))
                    }
                    Some(_) => {}
                    None => set.push((c.name(), e)),
                }
            }
        }
        Ok(())
    }

    /// Datasets in first-seen order.
    pub fn datasets(&self) -> Vec<String> {
        unique(self.blocks.iter().flat_map(|b| b.datasets.iter().cloned()))
    }

    /// Methods in table order: `ALL_METHODS` first, then any other name in first-seen order.
    pub fn methods(&self) -> Vec<String> {
        let given = unique(self.blocks.iter().flat_map(|b| b.methods.iter().cloned()));
        let mut out: Vec<String> = ALL_METHODS
            .iter()
            .filter(|m| given.iter().any(|g| g == *m))
            .map(|m| m.to_string())
            .collect();
        let others: Vec<String> = given.into_iter().filter(|g| !out.contains(g)).collect();
        out.extend(others);
        out
    }

    /// Ratios in increasing order.
    pub fn ratios(&self) -> Vec<f64> {
        let mut r: Vec<f64> = Vec::new();
        for b in &self.blocks {
            for &x in &b.ratios {
                if !r.contains(&x) {
                    r.push(x);
                }
            }
        }
        r.sort_by(f64::total_cmp);
        r
    }
}

/// `all` expands to every known method name.
pub fn expand_methods(names: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for n in names {
        if n == "all" {
            out.extend(ALL_METHODS.iter().map(|m| m.to_string()));
        } else {
            out.push(n.clone());
        }
    }
    unique(out.into_iter())
}

fn unique(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// `5` for 5.0, `2.5` for 2.5.
pub fn ratio_label(r: f64) -> String {
    if r.fract() == 0.0 && r.abs() < 1e15 {
        format!("{}", r as i64)
    } else {
        format!("{r}")
    }
}

/// `fashion-mnist-ova5` → (`fashion-mnist`, Some(5)).
pub fn split_ova(dataset: &str) -> (String, Option<u32>) {
    if let Some((base, k)) = dataset.rsplit_once("-ova") {
        if let Ok(k) = k.parse::<u32>() {
            return (base.to_string(), Some(k));
        }
    }
    (dataset.to_string(), None)
}

/// Keeps letters, digits, `.`, `-` and `_`; anything else (the `:` and `/` of `csv:DIR`)
/// becomes `_`.
pub fn file_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}
