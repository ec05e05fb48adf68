//! The texel path's layout dispatches (`shaders/prelude/conv_layout_kernels.wgsl`): each
//! writes a product's operand into a staging texture in the channels-last layout the texel
//! GEMM reads, and a product that lays out both x (or dy) and the weight does so in one
//! dispatch.

use super::{TexelParams, TexelPlan};
use crate::ops::conv::Mode;
use crate::{grid_1d, Dispatch, Shader, Tensor, Texels, TEXELS_PER_ROW};

const LAYOUT: Shader = crate::composed_shader!("conv_layout");
const LAYOUT_TEXEL: Shader = crate::composed_shader!("conv_layout_texel");

impl TexelPlan {
    /// Writes `t` into a lent staging texture as `numel` floats with layout kernel `entry`,
    /// run on `invocations` invocations.
    fn lay_out(&self, entry: &str, t: &Tensor, (numel, invocations): (usize, usize)) -> Texels {
        let view = t.gpu().texel_target(numel);
        lay_out_into(entry, &[(t, &view)], &self.prm, (invocations, None));
        view
    }

    /// [`TexelPlan::lay_out`] with the `_summed` kernel `entry`, which also writes the sums
    /// of the laid-out rows (or channels) into `sums`, one workgroup each.
    fn lay_out_summed(
        &self,
        entry: &str,
        t: &Tensor,
        (numel, len): (usize, usize),
        sums: (&Tensor, usize),
    ) -> Texels {
        let view = t.gpu().texel_target(numel);
        lay_out_into(entry, &[(t, &view)], &self.prm, (len, Some(sums)));
        view
    }

    /// x laid out as `x_padded_nhwc` (or, given `sums`, `x_padded_nhwc_summed`) and the
    /// weight as `weight_khwc` do, in one dispatch: `x_pad` and `w_floats` are their sizes in
    /// floats, `pixels` x_pad's pixels.
    fn lay_out_both(
        &self,
        (x, w): (&Tensor, &Tensor),
        (x_pad, pixels): (usize, usize),
        w_floats: usize,
        sums: Option<&Tensor>,
    ) -> (Texels, Texels) {
        let gpu = x.gpu();
        let (x_view, w_view) = (gpu.texel_target(x_pad), gpu.texel_target(w_floats));
        let prm = TexelParams {
            w_len: khwc_rows(&self.prm) as u32,
            w_c: self.prm.c,
            w_c_src: self.prm.c_src,
            ..self.prm
        };
        let jobs = [(x, &*x_view), (w, &*w_view)];
        match sums {
            Some(db) => {
                let groups = summed_pair_groups(&self.prm);
                let entry = "x_padded_summed_and_weight_khwc";
                lay_out_into(entry, &jobs, &prm, (pixels, Some((db, groups))));
            }
            None => lay_out_into("x_padded_and_weight_khwc", &jobs, &prm, (pixels, None)),
        }
        (x_view, w_view)
    }

    /// The layouts this product makes itself, those not kept (`kept`: x's, the weight's):
    /// x (or dy) as zero-padded NHWC, summed where a forward is given the bias gradient's
    /// `sums`, and the weight (forward) or dy's rows, summed where given `sums` (weight
    /// gradient). A forward that lays out both does so in one dispatch.
    pub(super) fn lay_out_fresh(
        &self,
        (src, plain): (&Tensor, &Tensor),
        sums: Option<&Tensor>,
        (x_kept, w_kept): (bool, bool),
    ) -> (Option<Texels>, Option<Texels>) {
        let [n, hp, wp, c] = self.x_pad;
        let x_pad = (n * hp * wp * c, n * hp * wp);
        let other_len = self.other.iter().product::<usize>();
        if self.mode != Mode::Forward {
            let x = (!x_kept).then(|| self.lay_out("x_padded_nhwc", src, x_pad));
            let rows = (other_len, other_len / 4);
            let dy = match sums {
                Some(db) => {
                    self.lay_out_summed("dy_rows_summed", plain, rows, (db, self.prm.o as usize))
                }
                None => self.lay_out("dy_rows", plain, rows),
            };
            return (x, Some(dy));
        }
        // The summed pair runs a workgroup per channel quad and per 64 weight rows, which
        // must fit in one grid dimension.
        let limit = src.gpu().limits().max_compute_workgroups_per_dimension as usize;
        let pair_fits = sums.is_none() || summed_pair_groups(&self.prm) <= limit;
        if !w_kept && (sums.is_some() || !x_kept) && pair_fits {
            let (x, w) = self.lay_out_both((src, plain), x_pad, other_len, sums);
            return (Some(x), Some(w));
        }
        let x = match sums {
            Some(db) => {
                let quads = (db, c / 4);
                Some(self.lay_out_summed("x_padded_nhwc_summed", src, x_pad, quads))
            }
            None => (!x_kept).then(|| self.lay_out("x_padded_nhwc", src, x_pad)),
        };
        let rows = khwc_rows(&self.prm);
        let w = (!w_kept).then(|| self.lay_out("weight_khwc", plain, (other_len, rows)));
        (x, w)
    }
}

/// Workgroups of `x_padded_summed_and_weight_khwc`: one per channel quad of x, then one per 64
/// rows (o, kh, kw) of the weight.
fn summed_pair_groups(prm: &TexelParams) -> usize {
    prm.c as usize / 4 + khwc_rows(prm).div_ceil(64)
}

/// Rows (o, kh, kw) of a forward's weight laid out as [O, KH, KW, C]: one invocation each.
fn khwc_rows(prm: &TexelParams) -> usize {
    (prm.o * prm.kh * prm.kw) as usize
}

/// Runs layout kernel `entry` on `invocations` invocations, plus `prm.w_len` for a paired
/// layout: it reads each source tensor (from a staged copy, `conv_layout_texel.wgsl`, where
/// the adapter prefers texel reads) and writes its staging texture, bound in `jobs` order
/// (source, texture, next source, …). With `sums` (a tensor and a workgroup count) it runs
/// that many workgroups, one a row or channel quad, that also write the sums there (the
/// `_summed` kernels).
pub(in crate::ops::conv) fn lay_out_into(
    entry: &str,
    jobs: &[(&Tensor, &wgpu::TextureView)],
    prm: &TexelParams,
    (invocations, sums): (usize, Option<(&Tensor, usize)>),
) {
    let gpu = jobs[0].0.gpu();
    let sources: Vec<&Tensor> = jobs.iter().map(|&(t, _)| t).collect();
    let staged = gpu.texel_reads(&sources);
    let shader = if staged.is_some() {
        &LAYOUT_TEXEL
    } else {
        &LAYOUT
    };
    let fill = prm.c != prm.c_src || prm.w_c != prm.w_c_src;
    let mut dispatch = Dispatch::new(shader, entry)
        .constant("TEXELS_PER_ROW", TEXELS_PER_ROW as f64)
        .constant("FILL_CHANNELS", fill as u32 as f64)
        .params(&TexelParams {
            len: invocations as u32,
            ..*prm
        });
    for (i, &(t, view)) in jobs.iter().enumerate() {
        dispatch = match &staged {
            Some(copies) => dispatch.texels(&copies[i]),
            None => dispatch.arg(t),
        }
        .texels(view);
    }
    match sums {
        Some((sums, groups)) => dispatch.arg(sums).groups([groups as u32, 1, 1]),
        None => dispatch.groups(grid_1d(invocations + prm.w_len as usize, 64)),
    }
    .run(gpu);
}
