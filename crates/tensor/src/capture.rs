//! A step's dispatches, captured to be recorded again as they are: the floor of what wgpu
//! and the driver cost the host for exactly those dispatches. A replay records each one's
//! pipeline, bind group and grid into a single compute pass of its own encoder, with none
//! of the engine's work (no op, no tape, no lookup, no allocation) and none of the copies and
//! pass breaks between them, so a step recorded by any engine through wgpu cannot cost the
//! host less than its replay on the same adapter. The step bench prints it beside the step.
//!
//! The replayed kernels really run, on whatever the bound buffers and textures hold then
//! (the staged textures are not staged again), and each reads its parameters from the
//! uniform arena (`recorder.rs`) at the offset it was captured with: the arena still holds
//! the captured step's parameters only until the engine next submits a dispatch, so a
//! capture replays until then and no later. A replay writes the buffers the step wrote
//! (parameters included, where the step updates them): a measurement, not a computation.

use crate::Gpu;

/// One captured dispatch: what a compute pass needs to record it again.
pub(crate) struct CapturedDispatch {
    pub pipeline: wgpu::ComputePipeline,
    pub bind_group: wgpu::BindGroup,
    /// The parameters' dynamic offset in the arena.
    pub offset: u32,
    pub groups: [u32; 3],
}

/// The dispatches that [`Gpu::capture_dispatches`] saw, in recording order.
pub struct CapturedDispatches {
    dispatches: Vec<CapturedDispatch>,
    /// The arena's write count once the capture was submitted; a replay needs it unchanged.
    arena_writes: u64,
}

impl Gpu {
    /// Runs `f`, which records and submits as usual, and keeps every dispatch it records for
    /// [`CapturedDispatches::replay`]. Work recorded before is submitted first, and `f`'s
    /// work after it, so that the capture's parameters are the arena's whole content. None
    /// when `f` recorded no dispatch or its parameters overflowed the arena into a second
    /// submit (a replay would then read some of them overwritten).
    pub fn capture_dispatches<R>(&self, f: impl FnOnce() -> R) -> (R, Option<CapturedDispatches>) {
        self.flush();
        let writes_before = {
            let mut rec = self.recorder();
            rec.start_capture();
            rec.arena_writes()
        };
        let out = f();
        self.flush();
        let mut rec = self.recorder();
        let dispatches = rec.finish_capture();
        let arena_writes = rec.arena_writes();
        let captured = (!dispatches.is_empty() && arena_writes == writes_before + 1).then_some(
            CapturedDispatches {
                dispatches,
                arena_writes,
            },
        );
        (out, captured)
    }
}

impl CapturedDispatches {
    /// How many dispatches were captured.
    pub fn len(&self) -> usize {
        self.dispatches.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dispatches.is_empty()
    }

    /// Records the captured dispatches again, in order, in one compute pass of a command
    /// encoder of their own, and submits it; not counted in [`Gpu::counters`].
    ///
    /// Panics when work is pending in the engine's encoder (submit it with [`Gpu::flush`]
    /// first) or the engine has submitted dispatches since the capture (their parameters
    /// replaced the captured ones in the arena).
    pub fn replay(&self, gpu: &Gpu) {
        let rec = gpu.recorder();
        assert!(
            !rec.has_pending(),
            "replay: work is recorded but not submitted; call Gpu::flush before replaying"
        );
        assert_eq!(
            rec.arena_writes(),
            self.arena_writes,
            "replay: the engine submitted dispatches since the capture, so the parameter \
             arena no longer holds the captured ones; replay right after capturing"
        );
        let mut encoder = gpu
            .device()
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("replay"),
            });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("replay"),
                timestamp_writes: None,
            });
            for d in &self.dispatches {
                pass.set_pipeline(&d.pipeline);
                pass.set_bind_group(0, &d.bind_group, &[d.offset]);
                pass.dispatch_workgroups(d.groups[0], d.groups[1], d.groups[2]);
            }
        }
        gpu.queue().submit([encoder.finish()]);
        drop(rec);
    }
}
