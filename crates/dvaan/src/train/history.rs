//! The loss history: each step copies its losses and μ into a GPU slab (no readback), and the
//! slab is read back once every `log_every` steps — the trainer's only routine
//! synchronisation. A method without one of the four loss terms, or without a margin,
//! records 0 there (`MethodKind::loss_columns` says what each column holds per method).

use dvaan_tensor::{Gpu, Tensor};

use crate::methods::StepLosses;
use crate::Error;

/// One step's numbers, read back from the history.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StepLog {
    /// 0-based epoch the step belongs to.
    pub epoch: usize,
    /// Global step, 0-based.
    pub step: usize,
    pub l_ele: f32,
    pub l_kl: f32,
    pub l_adv: f32,
    pub l_fea: f32,
    /// μ after the step's update (the margin the next step uses).
    pub mu: f32,
}

const COLS: usize = 5;

pub struct History {
    slab: Tensor,
    capacity: usize,
    /// (epoch, global step) of the rows written since the last readback.
    pending: Vec<(usize, usize)>,
    /// Copied into the columns a method does not have.
    zero: Tensor,
}

impl History {
    pub fn new(gpu: &Gpu, capacity: usize) -> History {
        History {
            slab: Tensor::zeros(gpu, &[capacity, COLS]),
            capacity,
            pending: Vec::with_capacity(capacity),
            zero: Tensor::zeros(gpu, &[1]),
        }
    }

    /// Records copies of the step's losses and μ into the next row (GPU work only).
    pub fn push(&mut self, epoch: usize, step: usize, l: &StepLosses, mu: Option<&Tensor>) {
        assert!(
            self.pending.len() < self.capacity,
            "history: read it back before it overflows"
        );
        let row = self.pending.len() * COLS;
        let columns = [&l.l_ele, &l.l_kl, &l.l_adv, &l.l_fea].map(Option::as_ref);
        for (k, t) in columns.into_iter().chain([mu]).enumerate() {
            self.slab
                .copy_region(row + k, t.unwrap_or(&self.zero), 0, 1);
        }
        self.pending.push((epoch, step));
    }

    pub fn is_full(&self) -> bool {
        self.pending.len() == self.capacity
    }

    /// Reads the pending rows back (one synchronisation) and empties the history. A NaN or
    /// infinite value is an error naming the first step and quantity it appeared in.
    pub fn drain(&mut self) -> Result<Vec<StepLog>, Error> {
        if self.pending.is_empty() {
            return Ok(Vec::new());
        }
        let values = self.slab.to_vec();
        let rows: Vec<StepLog> = self
            .pending
            .drain(..)
            .zip(values.chunks(COLS))
            .map(|((epoch, step), v)| StepLog {
                epoch,
                step,
                l_ele: v[0],
                l_kl: v[1],
                l_adv: v[2],
                l_fea: v[3],
                mu: v[4],
            })
            .collect();
        for r in &rows {
            let named = [
                ("L_ele", r.l_ele),
                ("L_KL", r.l_kl),
                ("L_adv", r.l_adv),
                ("L_fea", r.l_fea),
                ("mu", r.mu),
            ];
            if let Some((what, value)) = named.into_iter().find(|(_, v)| !v.is_finite()) {
                return Err(Error::NonFinite {
                    step: r.step,
                    what: what.to_string(),
                    value,
                });
            }
        }
        Ok(rows)
    }
}
