//! `--shard K/N`: one of N machines' share of a grid. The grid's cells are listed in their
//! canonical order (`Grid::cells`: block, dataset, ratio, method, seed); cell `i` (counting
//! from 0) belongs to shard `i mod N + 1`. The assignment depends on the grid alone, so N
//! processes given the same preset and flags with K = 1..N run every cell exactly once, and
//! neighbouring cells (the seeds of one method) land on different machines.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::grid::Cell;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// K, from 1.
    pub index: usize,
    /// N.
    pub count: usize,
}

impl Shard {
    /// True when the cell at `position` of the canonical order is this shard's.
    pub fn owns(self, position: usize) -> bool {
        position % self.count == self.index - 1
    }

    /// This shard's cells, in the canonical order.
    pub fn select(self, cells: &[Cell]) -> Vec<Cell> {
        cells
            .iter()
            .enumerate()
            .filter(|(i, _)| self.owns(*i))
            .map(|(_, c)| c.clone())
            .collect()
    }
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let usage = || format!("--shard {s}: expected K/N with 1 ≤ K ≤ N, e.g. 2/4");
        let (k, n) = s.split_once('/').ok_or_else(usage)?;
        let (Ok(index), Ok(count)) = (k.trim().parse::<usize>(), n.trim().parse::<usize>()) else {
            return Err(usage());
        };
        if count == 0 || index == 0 || index > count {
            return Err(format!(
                "--shard {s}: shard {index} of {count} does not exist; K runs from 1 to N (N ≥ 1)"
            ));
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::Preset;

    #[test]
    fn every_cell_belongs_to_exactly_one_shard() {
        for preset in [Preset::Smoke, Preset::Cpu, Preset::Paper] {
            let cells = preset.plan().grid.cells();
            for n in 1..=7 {
                let mut seen = vec![0usize; cells.len()];
                for k in 1..=n {
                    let shard = Shard { index: k, count: n };
                    for c in shard.select(&cells) {
                        seen[cells.iter().position(|x| *x == c).unwrap()] += 1;
                    }
                }
                assert!(seen.iter().all(|&s| s == 1), "{preset:?} {n}: {seen:?}");
            }
        }
        // The documented rule: position i goes to shard i mod N + 1.
        let cells = Preset::Smoke.plan().grid.cells();
        let second = Shard { index: 2, count: 3 }.select(&cells);
        assert_eq!(second, [cells[1].clone()]);
    }

    #[test]
    fn shard_arguments_are_checked() {
        assert_eq!("2/4".parse(), Ok(Shard { index: 2, count: 4 }));
        assert_eq!("1/1".parse::<Shard>().unwrap().to_string(), "1/1");
        for bad in ["0/3", "4/3", "1/0", "3", "a/b", "-1/3", ""] {
            let err = bad.parse::<Shard>().unwrap_err();
            assert!(err.contains("--shard"), "{bad}: {err}");
        }
        assert!("4/3"
            .parse::<Shard>()
            .unwrap_err()
            .contains("K runs from 1 to N"));
    }
}
