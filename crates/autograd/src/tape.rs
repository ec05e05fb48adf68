//! The tape: a list of the differentiable ops run so far, in order, each with the tensors
//! its backward needs. [`Tape::backward`] walks it in reverse.
//!
//! Values live in *slots*. A [`Var`] is a tensor plus (when it is tracked) the slot it fills
//! on one tape. A node reads input slots and fills output slots; a parameter used on the tape
//! is a leaf slot that no node fills. Backward gives every slot at most one gradient tensor,
//! adding contributions when a value feeds several ops.
//!
//! Two rules keep backward cheap:
//! - only values that *depend on a requested parameter* get a gradient, so a node computes
//!   no weight gradient for a parameter nobody asked for and no input gradient for an input
//!   that leads to none (the image fed to the first layer, a frozen network);
//! - a gradient is dropped as soon as the node that produced its value has used it, so its
//!   buffer goes back to the pool for the next op.
//!
//! Backward does not consume the tape: one forward pass can serve several losses, each sent
//! to its own parameter group, and one pass can start from several seeds at once, among them
//! the gradient of an intermediate value that an earlier pass read out
//! ([`Tape::backward_seeded`]). The saved tensors go back to the pool when the tape is dropped
//! (or node by node during [`Tape::backward_last`]).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use dvaan_tensor::ops::elementwise;
use dvaan_tensor::Tensor;

use crate::Param;

/// The backward half of a differentiable op: it holds what it saved in the forward pass.
///
/// `dy[k]` is the gradient of the loss with respect to output `k` (`None` when that output
/// does not reach the loss; single-output ops always get `Some`). `wants[i]` says whether
/// input `i` needs a gradient. Return one entry per input: `Some` for every wanted input,
/// `None` for the others (skipping their work is the point).
///
/// The trait and [`Tape::record`]/[`Tape::record1`] are public so that a crate above the
/// tape can add an op of its own kernels without this crate knowing it: run the forward
/// kernel, save what the gradient needs in a type implementing `Backward`, and record it
/// (typically behind an extension trait on [`Tape`], so it reads like the built-in ops).
pub trait Backward {
    fn name(&self) -> &'static str;
    fn backward(&self, dy: &[Option<Tensor>], wants: &[bool]) -> Vec<Option<Tensor>>;
}

/// The upstream gradient of a single-output op.
pub fn single(dy: &[Option<Tensor>]) -> &Tensor {
    dy[0]
        .as_ref()
        .expect("a single-output op is only run backward when its output has a gradient")
}

static NEXT_TAPE: AtomicU64 = AtomicU64::new(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Slot {
    tape: u64,
    index: usize,
}

/// A value in a computation: a tensor, and where it sits on a tape when gradients can flow
/// through it. Clones are cheap (the tensor's storage is shared).
#[derive(Clone)]
pub struct Var {
    value: Tensor,
    slot: Option<Slot>,
}

impl Var {
    /// A value no gradient flows into: input data, targets, noise.
    pub fn constant(value: Tensor) -> Var {
        Var { value, slot: None }
    }

    pub fn value(&self) -> &Tensor {
        &self.value
    }

    pub fn shape(&self) -> &[usize] {
        self.value.shape()
    }

    /// The same value, cut off from the tape: gradients stop here.
    pub fn detach(&self) -> Var {
        Var::constant(self.value.clone())
    }

    /// True when gradients can flow through this value.
    pub fn is_tracked(&self) -> bool {
        self.slot.is_some()
    }
}

impl From<Tensor> for Var {
    fn from(value: Tensor) -> Var {
        Var::constant(value)
    }
}

impl std::fmt::Debug for Var {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.slot {
            Some(s) => write!(f, "Var{:?}@{}", self.value.shape(), s.index),
            None => write!(f, "Var{:?}(constant)", self.value.shape()),
        }
    }
}

struct Node {
    inputs: Vec<Option<usize>>,
    outputs: Vec<usize>,
    /// `None` once released by [`Tape::backward_last`].
    op: Option<Box<dyn Backward>>,
}

struct Leaf {
    slot: usize,
    param: Param,
    version: u64,
}

#[derive(Default)]
struct Graph {
    slots: usize,
    nodes: Vec<Node>,
    leaves: HashMap<u64, Leaf>,
}

/// Records differentiable ops and runs them backward. Create one per training step and
/// drop it when the step's backward passes are done.
///
/// The tape also carries the pass's mode: in training mode batch norm normalises with batch
/// statistics and updates its running averages; in evaluation mode it uses the running
/// averages. With recording off, ops only run forward and keep nothing.
pub struct Tape {
    id: u64,
    recording: Cell<bool>,
    training: Cell<bool>,
    graph: RefCell<Graph>,
}

impl Default for Tape {
    fn default() -> Tape {
        Tape::new()
    }
}

/// Gradients of one backward pass, one per requested parameter (and requested tracked
/// value, see [`Tape::backward_seeded`]) that the loss depends on.
#[derive(Default)]
pub struct Gradients {
    grads: HashMap<u64, Tensor>,
    values: HashMap<Slot, Tensor>,
}

impl Gradients {
    /// The gradient of `param`, or `None` when it was not requested or the loss does not
    /// depend on it.
    pub fn get(&self, param: &Param) -> Option<&Tensor> {
        self.grads.get(&param.id())
    }

    /// The gradient of a tracked value requested from [`Tape::backward_seeded`], or `None`
    /// when it was not requested or the seeds do not depend on it.
    pub fn of_value(&self, v: &Var) -> Option<&Tensor> {
        self.values.get(&v.slot?)
    }

    pub fn len(&self) -> usize {
        self.grads.len()
    }

    pub fn is_empty(&self) -> bool {
        self.grads.is_empty()
    }
}

impl Tape {
    /// A recording tape in training mode.
    pub fn new() -> Tape {
        Tape {
            id: NEXT_TAPE.fetch_add(1, Ordering::Relaxed),
            recording: Cell::new(true),
            training: Cell::new(true),
            graph: RefCell::new(Graph::default()),
        }
    }

    /// A tape for inference: evaluation mode, nothing recorded.
    pub fn eval() -> Tape {
        let tape = Tape::new();
        tape.set_training(false);
        tape.set_recording(false);
        tape
    }

    pub fn set_training(&self, training: bool) {
        self.training.set(training);
    }

    pub fn is_training(&self) -> bool {
        self.training.get()
    }

    /// Turns recording on or off; ops run while it is off produce constants.
    pub fn set_recording(&self, recording: bool) {
        self.recording.set(recording);
    }

    pub fn is_recording(&self) -> bool {
        self.recording.get()
    }

    /// Number of ops recorded.
    pub fn len(&self) -> usize {
        self.graph.borrow().nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The parameter as a value on this tape. Using one parameter several times (a network
    /// applied to two batches) gives one leaf, so its gradients add up.
    pub fn param(&self, param: &Param) -> Var {
        if !self.is_recording() {
            return Var::constant(param.value().clone());
        }
        let mut graph = self.graph.borrow_mut();
        let next = graph.slots;
        let slot = graph
            .leaves
            .entry(param.id())
            .or_insert_with(|| Leaf {
                slot: next,
                param: param.clone(),
                version: param.version(),
            })
            .slot;
        if slot == next {
            graph.slots += 1;
        }
        Var {
            value: param.value().clone(),
            slot: Some(Slot {
                tape: self.id,
                index: slot,
            }),
        }
    }

    /// Records an op that produced `outputs` from `inputs`. When no input is tracked (or
    /// recording is off) nothing is recorded and `op`, with what it saved, is dropped.
    pub fn record(
        &self,
        op: impl Backward + 'static,
        inputs: &[&Var],
        outputs: Vec<Tensor>,
    ) -> Vec<Var> {
        let inputs: Vec<Option<usize>> = inputs.iter().map(|v| self.slot_of(v)).collect();
        if !self.is_recording() || inputs.iter().all(Option::is_none) {
            return outputs.into_iter().map(Var::constant).collect();
        }
        let mut graph = self.graph.borrow_mut();
        let first = graph.slots;
        graph.slots += outputs.len();
        let slots: Vec<usize> = (first..graph.slots).collect();
        graph.nodes.push(Node {
            inputs,
            outputs: slots.clone(),
            op: Some(Box::new(op)),
        });
        outputs
            .into_iter()
            .zip(slots)
            .map(|(value, index)| Var {
                value,
                slot: Some(Slot {
                    tape: self.id,
                    index,
                }),
            })
            .collect()
    }

    /// [`Tape::record`] for the usual single-output op.
    pub fn record1(&self, op: impl Backward + 'static, inputs: &[&Var], output: Tensor) -> Var {
        self.record(op, inputs, vec![output]).pop().unwrap()
    }

    fn slot_of(&self, v: &Var) -> Option<usize> {
        v.slot.map(|s| {
            assert_eq!(
                s.tape, self.id,
                "a value recorded on another tape was used on this one"
            );
            s.index
        })
    }

    /// Gradients of the scalar `loss` (a `[1]` tensor) for `params`. The tape is kept, so
    /// another loss can be sent to another parameter group afterwards.
    pub fn backward<'a>(
        &self,
        loss: &Var,
        params: impl IntoIterator<Item = &'a Param>,
    ) -> Gradients {
        self.seeded(&[(loss, unit_seed(loss))], params, &[], false)
    }

    /// Gradients of `⟨dy, output⟩` for `params`: backward seeded with the upstream gradient
    /// `dy` (a vector-Jacobian product), for outputs that are not scalars.
    pub fn backward_with<'a>(
        &self,
        output: &Var,
        dy: Tensor,
        params: impl IntoIterator<Item = &'a Param>,
    ) -> Gradients {
        self.seeded(&[(output, dy)], params, &[], false)
    }

    /// Gradients of `Σᵢ ⟨dyᵢ, outputᵢ⟩` in one reverse sweep, for `params` and for the
    /// tracked values `values` (intermediates: what a later part of the graph sends back into
    /// an earlier one). Seeding several outputs at once is how one pass serves a sum of terms
    /// whose gradients were partly computed elsewhere: a loss seeded with 1 beside an
    /// intermediate seeded with the gradient it received. Seeds that lead to nothing
    /// requested are ignored.
    pub fn backward_seeded<'a>(
        &self,
        seeds: &[(&Var, Tensor)],
        params: impl IntoIterator<Item = &'a Param>,
        values: &[&Var],
    ) -> Gradients {
        self.seeded(seeds, params, values, false)
    }

    /// The last backward on this tape: like [`Tape::backward`], but each node's saved tensors
    /// are released as soon as it has run, which lowers the peak memory of the pass.
    pub fn backward_last<'a>(
        self,
        loss: &Var,
        params: impl IntoIterator<Item = &'a Param>,
    ) -> Gradients {
        self.seeded(&[(loss, unit_seed(loss))], params, &[], true)
    }

    /// [`Tape::backward_seeded`] as the tape's last pass (see [`Tape::backward_last`]).
    pub fn backward_seeded_last<'a>(
        self,
        seeds: &[(&Var, Tensor)],
        params: impl IntoIterator<Item = &'a Param>,
        values: &[&Var],
    ) -> Gradients {
        self.seeded(seeds, params, values, true)
    }

    /// Every backward above: the seeds and values as slots of this tape, then one sweep
    /// (`release`: drop each node's saved tensors once it has run).
    fn seeded<'a>(
        &self,
        seeds: &[(&Var, Tensor)],
        params: impl IntoIterator<Item = &'a Param>,
        values: &[&Var],
        release: bool,
    ) -> Gradients {
        let seeds = seeds
            .iter()
            .filter_map(|(v, dy)| {
                assert_eq!(
                    dy.shape(),
                    v.shape(),
                    "backward: a seed {:?} for a value {:?}",
                    dy.shape(),
                    v.shape()
                );
                self.slot_of(v).map(|s| (s, dy.clone()))
            })
            .collect();
        let values = values
            .iter()
            .filter_map(|v| self.slot_of(v).and(v.slot))
            .collect();
        run(&mut self.graph.borrow_mut(), seeds, params, values, release)
    }
}

/// The seed of a scalar loss: 1.
fn unit_seed(loss: &Var) -> Tensor {
    assert_eq!(
        loss.value.numel(),
        1,
        "backward: the loss must be a scalar, got {:?}",
        loss.shape()
    );
    elementwise::full(loss.value.gpu(), loss.shape(), 1.0)
}

fn run<'a>(
    graph: &mut Graph,
    seeds: Vec<(usize, Tensor)>,
    params: impl IntoIterator<Item = &'a Param>,
    values: Vec<Slot>,
    release: bool,
) -> Gradients {
    for leaf in graph.leaves.values() {
        assert_eq!(
            leaf.param.version(),
            leaf.version,
            "backward: a parameter of shape {:?} was updated after this tape used it; \
             run every backward of a step before stepping the optimisers",
            leaf.param.shape()
        );
    }
    let requested: Vec<(u64, usize)> = params
        .into_iter()
        .filter_map(|p| graph.leaves.get(&p.id()).map(|l| (p.id(), l.slot)))
        .collect();

    // Forward sweep: which slots depend on a requested parameter or value.
    let mut reaches = vec![false; graph.slots];
    for slot in requested
        .iter()
        .map(|r| r.1)
        .chain(values.iter().map(|v| v.index))
    {
        reaches[slot] = true;
    }
    for node in &graph.nodes {
        if node.inputs.iter().flatten().any(|&s| reaches[s]) {
            for &o in &node.outputs {
                reaches[o] = true;
            }
        }
    }
    let mut grads: Vec<Option<Tensor>> = (0..graph.slots).map(|_| None).collect();
    for (s, dy) in seeds.into_iter().filter(|(s, _)| reaches[*s]) {
        add_into(&mut grads[s], dy);
    }
    // A requested value keeps its gradient when the node that produced it reads it.
    let mut is_value = vec![false; graph.slots];
    for v in &values {
        is_value[v.index] = true;
    }

    // Reverse sweep.
    for node in graph.nodes.iter_mut().rev() {
        if node.outputs.iter().any(|&o| grads[o].is_some()) {
            let wants: Vec<bool> = node
                .inputs
                .iter()
                .map(|i| i.is_some_and(|s| reaches[s]))
                .collect();
            // A requested value's own inputs may lead to nothing requested.
            if wants.iter().any(|&w| w) {
                let dys: Vec<Option<Tensor>> = node
                    .outputs
                    .iter()
                    .map(|&o| match is_value[o] {
                        true => grads[o].clone(),
                        false => grads[o].take(),
                    })
                    .collect();
                let op = node
                    .op
                    .as_ref()
                    .expect("backward on a tape whose saved tensors were released");
                let dxs = op.backward(&dys, &wants);
                assert_eq!(
                    dxs.len(),
                    node.inputs.len(),
                    "{}: one gradient entry per input",
                    op.name()
                );
                for ((input, &want), dx) in node.inputs.iter().zip(&wants).zip(dxs) {
                    if want {
                        let dx = dx.unwrap_or_else(|| {
                            panic!("{}: no gradient for a wanted input", op.name())
                        });
                        add_into(&mut grads[input.unwrap()], dx);
                    }
                }
            }
        }
        if release {
            node.op = None;
        }
    }

    let mut out = Gradients::default();
    for v in values {
        if let Some(g) = grads[v.index].take() {
            out.values.insert(v, g);
        }
    }
    for (id, slot) in requested {
        if let Some(g) = grads[slot].take() {
            out.grads.insert(id, g);
        }
    }
    out
}

/// Adds a gradient contribution to a slot.
fn add_into(slot: &mut Option<Tensor>, dx: Tensor) {
    *slot = Some(match slot.take() {
        None => dx,
        Some(g) => elementwise::add(&g, &dx),
    });
}
