//! Generated positives from a trained model, for writing a rebalanced data set: either by
//! the support-sample rule of training (docs/DESIGN.md §5.3: latent points between the two
//! priors, kept when they fall on the positive side and the discriminator agrees) or
//! straight from the positive class's prior. Every network is in evaluation mode.

use super::Trainer;
use crate::Error;

/// Latent points decoded per dispatch chain.
const ROUND: usize = 512;
/// Support rounds tried before giving up: a model whose discriminator never agrees with
/// the positive side keeps none, and looping on would never end.
const MAX_SUPPORT_ROUNDS: usize = 200;

/// Where generated positives come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatentSource {
    /// The support-sample rule: z ~ N(0, I), kept when Σz > 0 and the classifier agrees.
    Support,
    /// The positive class's prior (DVAAN: N(+μ1, I)).
    Prior,
}

/// `n` generated positives, row-major in the training data's scale.
#[derive(Debug, Clone)]
pub struct Positives {
    pub x: Vec<f32>,
    pub n: usize,
    /// Latent points decoded to get them.
    pub drawn: usize,
}

impl Trainer {
    /// `n` generated positives from `source`, drawn from `seed`. An error for methods
    /// without a generator, or without the chosen rule.
    pub fn generate_positives(
        &self,
        n: usize,
        source: LatentSource,
        seed: u64,
    ) -> Result<Positives, Error> {
        let method = self.config.method;
        if !method.generates() {
            return Err(Error::Usage(format!(
                "{method} is a plain classifier and has no generator to draw positives from.\n\
                 fix: resample a run of a generative method (dvaan, vae-gan, ac-gan, cvae-gan)"
            )));
        }
        let d = self.train.sample_len();
        let mut out = Positives {
            x: Vec::with_capacity(n * d),
            n: 0,
            drawn: 0,
        };
        let mut round = 0u64;
        while out.n < n {
            let size = match source {
                // Only some of a round are kept.
                LatentSource::Support => ROUND,
                LatentSource::Prior => ROUND.min(n - out.n),
            };
            // Step numbers far past any training step, so these draws are not the support
            // rounds training used; `seed` picks a stream among them.
            let offset = (1u64 << 40) + seed.wrapping_mul(1 << 20) + round;
            match source {
                LatentSource::Prior => {
                    let x = self
                        .model
                        .draw_positives(size, seed, offset)
                        .ok_or_else(|| {
                            Error::Usage(format!(
                                "{method} has an unconditional generator: it cannot draw \
                                 samples of one class.\nfix: resample a run of dvaan, ac-gan \
                                 or cvae-gan"
                            ))
                        })?
                        .to_vec();
                    out.x.extend_from_slice(&x);
                    out.n += size;
                }
                LatentSource::Support => {
                    let g = self
                        .model
                        .generate_support(size, offset, false)
                        .ok_or_else(|| {
                            Error::Usage(format!(
                                "{method} has no support-sample rule (DVAAN's methods have \
                                 one).\nfix: pass --from prior"
                            ))
                        })?;
                    let keep = g.len().min(n - out.n);
                    out.x.extend_from_slice(&g.x[..keep * d]);
                    out.n += keep;
                }
            }
            out.drawn += size;
            round += 1;
            if source == LatentSource::Support && round as usize >= MAX_SUPPORT_ROUNDS && out.n < n
            {
                return Err(Error::Usage(format!(
                    "the support-sample rule kept {} positives out of {} latent points drawn, \
                     fewer than the {n} asked for: the classifier rarely agrees with the \
                     positive side of the latent space.\nfix: train the run longer, ask for \
                     fewer (--n), or pass --from prior",
                    out.n, out.drawn
                )));
            }
        }
        Ok(out)
    }
}
