//! DVAAN (and `dvaan-mu`, `dvaan-a`) as a [`Method`]: the forward pass and objectives of
//! `dvaan.rs`, the margin update of Eq. 10 after the updates, and support samples
//! (docs/DESIGN.md §5.3).

use dvaan_autograd::{Adam, Gradients, Param, Tape, Var};
use dvaan_tensor::ops::random;
use dvaan_tensor::Tensor;

use super::common as c;
use super::dvaan::Losses;
use super::{Dvaan, Forward, Generated, Method, StepLosses};

fn logged(l: &Losses) -> StepLosses {
    StepLosses {
        l_ele: c::logged(&l.l_ele),
        l_kl: c::logged(&l.l_kl),
        l_adv: c::logged(&l.l_adv),
        l_fea: c::logged(&l.l_fea),
    }
}

impl Method for Dvaan {
    fn forward(&self, tape: &Tape, x: &Tensor, y: &Tensor, step: u64) -> Forward {
        let l = self.losses(tape, x, y, step);
        Forward {
            logged: logged(&l),
            objectives: self.objectives(tape, &l).to_vec(),
        }
    }

    /// Steps 1–4 of docs/DESIGN.md §5.2 (Algorithm 1 up to the margin update) on the batch
    /// `x [B, …]`, `y [B]` (0/1), at global step `step`: the forward pass of [`Dvaan::losses`],
    /// then each network's gradient of its objective with the discriminator's backward shared
    /// ([`Dvaan::gradients`]; all three, whatever `only` says). Records GPU work only: nothing
    /// is read back.
    fn step_gradients(
        &self,
        x: &Tensor,
        y: &Tensor,
        step: u64,
        _only: Option<&str>,
    ) -> (StepLosses, Vec<Gradients>) {
        let tape = Tape::new();
        let l = self.losses(&tape, x, y, step);
        (logged(&l), self.gradients(tape, &l).into())
    }

    fn optimisers(&self) -> Vec<(&'static str, &Adam)> {
        vec![
            ("enc", &self.opt_enc),
            ("dec", &self.opt_dec),
            ("dis", &self.opt_dis),
        ]
    }

    fn optimisers_mut(&mut self) -> Vec<(&'static str, &mut Adam)> {
        vec![
            ("enc", &mut self.opt_enc),
            ("dec", &mut self.opt_dec),
            ("dis", &mut self.opt_dis),
        ]
    }

    fn params(&self) -> Vec<(String, Param)> {
        self.nets.params()
    }

    fn buffers(&self) -> Vec<(String, Tensor)> {
        self.nets.buffers()
    }

    fn scores(&self, x: &Tensor) -> Tensor {
        c::eval_logits(self.nets.dis.as_ref(), x)
    }

    fn after_step(&mut self, logged: &StepLosses) {
        if let (Some(l_fea), Some(l_adv)) = (&logged.l_fea, &logged.l_adv) {
            self.update_margin(l_fea, l_adv);
        }
    }

    fn mu(&self) -> Option<&Tensor> {
        Some(&self.mu)
    }

    fn encode(&self, x: &Tensor, _y: &Tensor) -> Option<Tensor> {
        Some(c::eval_mean(
            self.nets.enc.as_ref(),
            &Var::constant(x.clone()),
        ))
    }

    fn reconstruct(&self, x: &Tensor, y: &Tensor) -> Option<Tensor> {
        let m = self.encode(x, y)?;
        Some(c::eval_decode(self.nets.dec.as_ref(), &Var::constant(m)))
    }

    /// Rows from N(+μ1, I), N(0, I), N(0, I), N(−μ1, I) (reads μ back: not for a step).
    fn sample_rows(&self, per_row: usize, seed: u64) -> Option<Tensor> {
        let gpu = self.mu.gpu();
        let mu = self.mu.item();
        let shifts: Vec<f32> = [mu, 0.0, 0.0, -mu]
            .iter()
            .flat_map(|&s| vec![s; per_row])
            .collect();
        let eps = random::normal(gpu, &[4 * per_row, self.latent()], seed, 0);
        let shift = Tensor::from_slice(gpu, &[4 * per_row], &shifts);
        let z = dvaan_tensor::ops::reparam::shift_rows(&eps, &shift);
        Some(c::eval_decode(self.nets.dec.as_ref(), &Var::constant(z)))
    }

    /// From N(+μ1, I) (reads μ back: not for a step).
    fn draw_positives(&self, n: usize, seed: u64, offset: u64) -> Option<Tensor> {
        let gpu = self.mu.gpu();
        let eps = random::normal(gpu, &[n, self.latent()], seed, offset);
        let shift = Tensor::from_slice(gpu, &[n], &vec![self.mu.item(); n]);
        let z = dvaan_tensor::ops::reparam::shift_rows(&eps, &shift);
        Some(c::eval_decode(self.nets.dec.as_ref(), &Var::constant(z)))
    }

    fn generate_support(&self, n: usize, step: u64, keep_negatives: bool) -> Option<Generated> {
        Some(Dvaan::generate_support(self, n, step, keep_negatives))
    }
}
