//! A step's dispatches, captured to be recorded again as they are: what wgpu and the
//! driver cost the host for exactly those dispatches. A replay records each one's pipeline,
//! bind group and grid into a single compute pass of its own encoder, with none of the
//! engine's work (no op, no tape, no lookup, no allocation) and none of the copies and pass
//! breaks between them: a floor under any recording of these dispatches through wgpu that
//! sets each one's pipeline and bind group. The step bench prints it beside the step.
//!
//! A measuring tool, not a way to compute. The replayed kernels really run, on whatever
//! the bound buffers and textures hold by then: the step's temporaries went back to the
//! pool and may belong to other tensors since, a replay writes them all the same, and it
//! counts no write, so a staged copy of a tensor it rewrote still passes for current.
//! Trust no tensor's contents after a replay. Each replayed dispatch reads its parameters
//! from the uniform arena (`recorder.rs`) at the offset it was captured with, and the arena
//! holds the captured step's parameters only until the engine next submits a dispatch: a
//! capture replays until then and no later.

use crate::recorder::CapturedDispatch;
use crate::Gpu;

/// The dispatches that [`Gpu::capture_dispatches`] saw, in recording order.
pub struct CapturedDispatches {
    /// The device they were recorded on, the only one their pipelines and bind groups fit.
    gpu: Gpu,
    dispatches: Vec<CapturedDispatch>,
    /// The arena's write count once the capture was submitted; a replay needs it unchanged.
    arena_writes: u64,
}

impl Gpu {
    /// Runs `f`, which records as usual, and keeps every dispatch it records for
    /// [`CapturedDispatches::replay`]. Work recorded before is submitted first, and `f`'s
    /// after it, so that the capture's parameters are the arena's whole content. None when
    /// `f` recorded no dispatch or its dispatches spanned more than one submit (`f` flushed,
    /// synced or read back between them, or their parameters overflowed the arena): a
    /// replay would then read some of their parameters overwritten.
    ///
    /// Panics when called inside `f` of another capture: captures do not nest.
    pub fn capture_dispatches<R>(&self, f: impl FnOnce() -> R) -> (R, Option<CapturedDispatches>) {
        // Submitting and starting under one lock, so no other thread's work falls between.
        let (started, writes_before) = {
            let mut rec = self.recorder();
            rec.submit(self.queue());
            (rec.start_capture(), rec.arena_writes())
        };
        assert!(
            started,
            "capture_dispatches: already capturing; captures do not nest"
        );
        // Stops the capture if `f` panics, so later dispatches are not kept forever.
        let guard = StopOnUnwind(self);
        let out = f();
        // `f` returned: the capture ends below, with the submit, under one lock.
        std::mem::forget(guard);
        let mut rec = self.recorder();
        rec.submit(self.queue());
        let dispatches = rec.finish_capture();
        let arena_writes = rec.arena_writes();
        let captured = (!dispatches.is_empty() && arena_writes == writes_before + 1).then_some(
            CapturedDispatches {
                gpu: self.clone(),
                dispatches,
                arena_writes,
            },
        );
        (out, captured)
    }
}

/// Ends a capture whose `f` unwound (a recorder poisoned by the panic is left as it is: the
/// device is unusable then anyway).
struct StopOnUnwind<'a>(&'a Gpu);

impl Drop for StopOnUnwind<'_> {
    fn drop(&mut self) {
        if let Some(mut rec) = self.0.try_recorder() {
            rec.finish_capture();
        }
    }
}

impl CapturedDispatches {
    /// How many dispatches were captured (at least one).
    pub fn dispatch_count(&self) -> usize {
        self.dispatches.len()
    }

    /// Records the captured dispatches again on their device, in order, in one compute pass
    /// of a command encoder of their own, and submits it; not counted in [`Gpu::counters`].
    ///
    /// Panics when work is pending in the engine's encoder (submit it with [`Gpu::flush`]
    /// first) or the engine has submitted dispatches since the capture (their parameters
    /// replaced the captured ones in the arena).
    pub fn replay(&self) {
        let gpu = &self.gpu;
        let rec = gpu.recorder();
        let (pending, rewritten) = (rec.has_pending(), rec.arena_writes() != self.arena_writes);
        if pending || rewritten {
            // Let go first: a panic while holding the recorder would poison it for the device.
            drop(rec);
            assert!(
                !pending,
                "replay: work is recorded but not submitted; call Gpu::flush before replaying"
            );
            panic!(
                "replay: the engine submitted dispatches since the capture, so the parameter \
                 arena no longer holds the captured ones; replay right after capturing"
            );
        }
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
        // Held until now, so that no submit of the engine's could rewrite the arena between
        // the check above and this submit.
        drop(rec);
    }
}
