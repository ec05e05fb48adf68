//! Convolution operands kept laid out from one product to another. On the texel kernels a
//! forward lays x out as zero-padded channels-last texels (`x_padded_nhwc`), and the weight
//! gradient of the same convolution gathers exactly that layout of the same x again; the
//! input gradient of a transposed convolution and its weight gradient both lay out dy the
//! same way. The weight is laid out too (`weight_khwc`, the phase blocks), and a network
//! that is run backward twice in one step (a discriminator whose input gradient two losses
//! want, a decoder that two networks' objectives pass through) lays out the same weight the
//! same way in both passes. A [`Staged`] carries such layouts from the first product to the
//! next, which then skips their layout work: a kept x or dy its layout dispatch, a kept
//! weight its part of the dispatch that lays out both (and the staging copy it reads).
//!
//! It holds the leases on the textures (`crate::texels`) and handles on the source tensors,
//! so none is reused while it lives, and a product takes a layout only for the same tensor
//! (same storage, offset and shape) in the same layout. Like every saved operand of a
//! backward pass, a source must not be written in between.

use crate::{Tensor, Texels};

/// What fixes a zero-padded channels-last layout: the padded shape [N, H+2P, W+2P, C'] (C'
/// the channels rounded up to whole texels), and the source's channels, height, width and
/// padding P.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PaddedLayout {
    pub x_pad: [usize; 4],
    pub c_src: usize,
    pub h: usize,
    pub w: usize,
    pub pad: usize,
}

/// What fixes a weight's layout: which layout (`weight_khwc`, or `weight_phases` for the
/// input gradient's phase blocks), the weight's [O, C, KH, KW] as it is read, the channels it writes (C rounded up to whole texels, or C), and for the
/// input gradient's phases the convolution's stride and padding (0 where they do not matter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct WeightLayout {
    pub entry: &'static str,
    pub shape: [usize; 4],
    pub channels: usize,
    pub stride: usize,
    pub pad: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Layout {
    Padded(PaddedLayout),
    Weight(WeightLayout),
}

/// Laid-out operands from one convolution product: the gathered operand (x or dy) and the
/// weight, each where the product laid it out (the kernels that read tensors as they are
/// keep nothing).
#[derive(Default)]
pub struct Staged {
    operand: Option<Kept>,
    weight: Option<Kept>,
}

struct Kept {
    source: Tensor,
    layout: Layout,
    texels: Texels,
}

impl Kept {
    fn holds(&self, source: &Tensor, layout: &Layout) -> bool {
        self.layout == *layout
            && self.source.same_storage(source)
            && self.source.byte_offset() == source.byte_offset()
            && self.source.shape() == source.shape()
    }
}

impl Staged {
    /// Whether a layout of the gathered operand (x or dy) was kept.
    pub fn is_kept(&self) -> bool {
        self.operand.is_some()
    }

    /// Whether a layout of the weight was kept.
    pub fn keeps_weight(&self) -> bool {
        self.weight.is_some()
    }

    /// The gathered operand's layout and the weight's, apart: a backward pass keeps the
    /// weight's for the next pass and lets the operand's go with this one.
    pub fn split(self) -> (Staged, Staged) {
        let operand = Staged {
            operand: self.operand,
            weight: None,
        };
        let weight = Staged {
            operand: None,
            weight: self.weight,
        };
        (operand, weight)
    }

    /// The kept layout, when it is `layout` of `source`.
    pub(super) fn find(&self, source: &Tensor, layout: &Layout) -> Option<&Texels> {
        [&self.operand, &self.weight]
            .into_iter()
            .flatten()
            .find(|k| k.holds(source, layout))
            .map(|k| &k.texels)
    }

    /// Keeps `texels`, the layout of the gathered operand `source` (`Layout::Padded`) or of
    /// the weight (`Layout::Weight`), replacing what was kept of that kind.
    pub(super) fn keep(&mut self, source: &Tensor, layout: Layout, texels: Texels) {
        let kept = Some(Kept {
            source: source.clone(),
            layout,
            texels,
        });
        match layout {
            Layout::Padded(_) => self.operand = kept,
            Layout::Weight(_) => self.weight = kept,
        }
    }
}
