//! Everything a resume needs, as named host arrays: parameters (`<network>.…`: `enc.…`,
//! `dec.…`, `dis.…` for DVAAN), batch-norm running statistics, Adam moments
//! (`adam.<param>.m`, `.v`) and step counts (`adam.<network>.steps`), μ (methods with a
//! margin), the support pool (empty for methods without augmentation) (`support.pos`, `support.neg`, `[n, …sample]`),
//! and the counters `epochs_done` and `global_step`. Counts are stored as f32, exact up to
//! 2²⁴ (16.7 million steps).
//!
//! Loading checks every name and shape before it changes anything, so a checkpoint from
//! another architecture or latent size is refused with a message and leaves the trainer as
//! it was.

use std::collections::HashMap;

use dvaan_tensor::Tensor;

use super::Trainer;
use crate::Error;

/// `(name, shape, values)`.
pub type NamedArray = (String, Vec<usize>, Vec<f32>);

/// Where a fixed-shape entry goes when loaded.
enum Target<'a> {
    Tensor(Tensor, Option<dvaan_autograd::Param>),
    AdamSteps(&'a str),
    Count(&'a str),
}

impl Trainer {
    pub fn state(&self) -> Vec<NamedArray> {
        let mut out: Vec<NamedArray> = self
            .fixed_entries()
            .into_iter()
            .map(|(name, target)| match target {
                Target::Tensor(t, _) => (name, t.shape().to_vec(), t.to_vec()),
                Target::AdamSteps(net) => (name, vec![1], vec![self.optimiser(net).steps() as f32]),
                Target::Count("epochs_done") => (name, vec![1], vec![self.epochs_done as f32]),
                Target::Count(_) => (name, vec![1], vec![self.global_step as f32]),
            })
            .collect();
        let (pos, neg) = self.pool.export();
        let d = self.train.sample_len();
        for (name, values) in [("support.pos", pos), ("support.neg", neg)] {
            let mut shape = vec![values.len() / d];
            shape.extend(&self.train.shape);
            out.push((name.to_string(), shape, values));
        }
        out
    }

    pub fn load_state(&mut self, state: &[NamedArray]) -> Result<(), Error> {
        let mut by_name: HashMap<&str, (&[usize], &[f32])> = HashMap::new();
        for (name, shape, values) in state {
            if shape.iter().product::<usize>() != values.len() {
                return Err(bad(format!(
                    "entry `{name}` has shape {shape:?} but {} values",
                    values.len()
                )));
            }
            if by_name.insert(name, (shape, values)).is_some() {
                return Err(bad(format!("entry `{name}` appears twice")));
            }
        }
        let fixed = self.fixed_entries();
        let mut planned = Vec::new();
        for (name, target) in fixed {
            let (shape, values) = by_name.remove(name.as_str()).ok_or_else(|| {
                bad(format!(
                    "entry `{name}` is missing (a checkpoint of another model?)"
                ))
            })?;
            let want = match &target {
                Target::Tensor(t, _) => t.shape().to_vec(),
                _ => vec![1],
            };
            if shape != want {
                return Err(bad(format!(
                    "entry `{name}` has shape {shape:?} but this model needs {want:?} \
                     (another architecture or latent size?)"
                )));
            }
            if let Target::AdamSteps(_) | Target::Count(_) = target {
                let v = values[0];
                if !(v >= 0.0 && v.fract() == 0.0 && v < 16_777_216.0) {
                    return Err(bad(format!("entry `{name}` is {v}, not a count")));
                }
            }
            planned.push((target, values));
        }
        let mut support = Vec::new();
        for name in ["support.pos", "support.neg"] {
            let (shape, values) = by_name
                .remove(name)
                .ok_or_else(|| bad(format!("entry `{name}` is missing")))?;
            if shape.len() != self.train.shape.len() + 1 || shape[1..] != self.train.shape[..] {
                return Err(bad(format!(
                    "entry `{name}` has shape {shape:?}; samples of this model are {:?}",
                    self.train.shape
                )));
            }
            support.push(values);
        }
        if let Some(name) = by_name.keys().min() {
            return Err(bad(format!(
                "unexpected entry `{name}` (a checkpoint of another model?)"
            )));
        }

        for (target, values) in planned {
            match target {
                Target::Tensor(_, Some(param)) => param.load(values),
                Target::Tensor(t, None) => t.write(values),
                Target::AdamSteps(net) => self.optimiser_mut(net).set_steps(values[0] as u32),
                Target::Count("epochs_done") => self.epochs_done = values[0] as usize,
                Target::Count(_) => self.global_step = values[0] as usize,
            }
        }
        self.pool.import(support[0], support[1]);
        Ok(())
    }

    /// Every entry but the support pool, in a fixed order.
    fn fixed_entries(&self) -> Vec<(String, Target<'static>)> {
        let m = &self.model;
        let mut out: Vec<(String, Target)> = m
            .params()
            .into_iter()
            .map(|(n, p)| (n, Target::Tensor(p.value().clone(), Some(p))))
            .collect();
        out.extend(
            m.buffers()
                .into_iter()
                .map(|(n, t)| (n, Target::Tensor(t, None))),
        );
        for (net, opt) in m.optimisers() {
            out.extend(
                opt.state()
                    .into_iter()
                    .map(|(n, t)| (format!("adam.{n}"), Target::Tensor(t, None))),
            );
            out.push((format!("adam.{net}.steps"), Target::AdamSteps(net)));
        }
        if let Some(mu) = m.mu() {
            out.push(("mu".into(), Target::Tensor(mu.clone(), None)));
        }
        out.push(("epochs_done".into(), Target::Count("epochs_done")));
        out.push(("global_step".into(), Target::Count("global_step")));
        out
    }

    fn optimiser(&self, net: &str) -> &dvaan_autograd::Adam {
        let found = self.model.optimisers().into_iter().find(|(n, _)| *n == net);
        found.expect("an optimiser of this method").1
    }

    fn optimiser_mut(&mut self, net: &str) -> &mut dvaan_autograd::Adam {
        let found = self
            .model
            .optimisers_mut()
            .into_iter()
            .find(|(n, _)| *n == net);
        found.expect("an optimiser of this method").1
    }
}

fn bad(message: String) -> Error {
    Error::State(format!("training state: {message}"))
}
