//! A convolution operand kept laid out from one product to another. On the texel kernels a
//! forward lays x out as zero-padded channels-last texels (`x_padded_nhwc`), and the weight
//! gradient of the same convolution gathers exactly that layout of the same x again; the
//! input gradient of a transposed convolution and its weight gradient both lay out dy the
//! same way. A [`Staged`] carries the layout from the first product to the second, which
//! then skips its layout dispatch.
//!
//! It holds the lease on the texture (`crate::texels`) and a handle on the source tensor, so
//! neither is reused while it lives, and the second product takes it only for the same
//! tensor (same storage, offset and shape) in the same layout. Like every saved operand of a
//! backward pass, the source must not be written in between.

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

/// A laid-out operand from one convolution product, or nothing (the kernels that read
/// tensors as they are keep nothing).
#[derive(Default)]
pub struct Staged {
    kept: Option<Kept>,
}

struct Kept {
    source: Tensor,
    layout: PaddedLayout,
    texels: Texels,
}

impl Staged {
    /// Whether a layout was kept.
    pub fn is_kept(&self) -> bool {
        self.kept.is_some()
    }

    /// The kept layout, when it is `layout` of `source`.
    pub(super) fn find(&self, source: &Tensor, layout: &PaddedLayout) -> Option<&Texels> {
        self.kept
            .as_ref()
            .filter(|k| {
                k.layout == *layout
                    && k.source.same_storage(source)
                    && k.source.byte_offset() == source.byte_offset()
                    && k.source.shape() == source.shape()
            })
            .map(|k| &k.texels)
    }

    pub(super) fn keep(source: &Tensor, layout: PaddedLayout, texels: Texels) -> Staged {
        Staged {
            kept: Some(Kept {
                source: source.clone(),
                layout,
                texels,
            }),
        }
    }
}
