//! The device's shared command encoder and the uniform arena that holds the parameters of
//! every dispatch recorded into it. Nothing reaches the GPU until [`Recorder::submit`], so a
//! chain of ops costs one submit; the arena is written once, just before it.
//!
//! Consecutive dispatches share one open compute pass: beginning and ending a pass costs
//! the host more than recording a dispatch into it, and wgpu still places the barriers
//! between dispatches that one's writes and the next one's reads need. A copy or clear
//! ends the open pass, since an encoder with an open pass accepts nothing else.

const ARENA_BYTES: u64 = 1 << 20;

/// A dispatch kept while a capture is on (`capture.rs`): what a compute pass needs to
/// record it again.
pub(crate) struct CapturedDispatch {
    pub pipeline: wgpu::ComputePipeline,
    pub bind_group: wgpu::BindGroup,
    /// The parameters' dynamic offset in the arena.
    pub offset: u32,
    pub groups: [u32; 3],
}

pub(crate) struct Recorder {
    encoder: Option<wgpu::CommandEncoder>,
    /// The open compute pass of `encoder`, if the last command recorded was a dispatch.
    pass: Option<wgpu::ComputePass<'static>>,
    params: Vec<u8>,
    arena: wgpu::Buffer,
    align: u64,
    dispatches: u64,
    submits: u64,
    /// Copies and clears recorded (each one ends the open compute pass).
    transfers: u64,
    /// Of `transfers`, the copies into staging textures.
    stagings: u64,
    passes: u64,
    /// Times the arena was written (once per submit that has dispatches).
    arena_writes: u64,
    /// The dispatches recorded since [`Recorder::start_capture`], while capturing.
    capture: Option<Vec<CapturedDispatch>>,
}

impl Recorder {
    pub fn new(device: &wgpu::Device, limits: &wgpu::Limits) -> Recorder {
        let arena = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("parameter arena"),
            size: ARENA_BYTES,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Recorder {
            encoder: None,
            pass: None,
            params: Vec::new(),
            arena,
            align: limits.min_uniform_buffer_offset_alignment as u64,
            dispatches: 0,
            submits: 0,
            transfers: 0,
            stagings: 0,
            passes: 0,
            arena_writes: 0,
            capture: None,
        }
    }

    /// The encoder, for a copy or a clear: ends the open compute pass first.
    pub fn encoder(&mut self, device: &wgpu::Device) -> &mut wgpu::CommandEncoder {
        self.pass = None;
        self.transfers += 1;
        self.open_encoder(device)
    }

    fn open_encoder(&mut self, device: &wgpu::Device) -> &mut wgpu::CommandEncoder {
        self.encoder.get_or_insert_with(|| {
            device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None })
        })
    }

    /// The open compute pass, begun now if the last command was not a dispatch.
    pub fn pass(&mut self, device: &wgpu::Device) -> &mut wgpu::ComputePass<'static> {
        if self.pass.is_none() {
            let pass = self
                .open_encoder(device)
                .begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: None,
                    timestamp_writes: None,
                });
            self.pass = Some(pass.forget_lifetime());
            self.passes += 1;
        }
        self.pass.as_mut().expect("a compute pass was just begun")
    }

    pub fn has_pending(&self) -> bool {
        self.encoder.is_some()
    }

    /// Submits everything recorded so far.
    pub fn submit(&mut self, queue: &wgpu::Queue) {
        self.pass = None;
        if let Some(encoder) = self.encoder.take() {
            if !self.params.is_empty() {
                queue.write_buffer(&self.arena, 0, &self.params);
                self.params.clear();
                self.arena_writes += 1;
            }
            queue.submit([encoder.finish()]);
            self.submits += 1;
        }
    }

    /// Reserves space for one dispatch's parameters and returns their range in the arena
    /// ([`Recorder::arena`]) as (byte offset, byte size). When the arena is full, the work
    /// recorded so far is submitted first.
    pub fn stage_params(&mut self, queue: &wgpu::Queue, bytes: &[u8]) -> (u64, u64) {
        let size = (bytes.len() as u64).div_ceil(16).max(1) * 16;
        let mut offset = (self.params.len() as u64).div_ceil(self.align) * self.align;
        if offset + size > ARENA_BYTES {
            self.submit(queue);
            offset = 0;
        }
        self.params.resize(offset as usize, 0);
        self.params.extend_from_slice(bytes);
        self.params.resize((offset + size) as usize, 0);
        (offset, size)
    }

    /// The uniform buffer that holds every dispatch's parameters.
    pub fn arena(&self) -> &wgpu::Buffer {
        &self.arena
    }

    /// How many times a submit has written the arena.
    pub fn arena_writes(&self) -> u64 {
        self.arena_writes
    }

    /// Keeps every dispatch recorded from now on, until [`Recorder::finish_capture`]; false
    /// (and nothing changed) when a capture is on already.
    pub fn start_capture(&mut self) -> bool {
        if self.capture.is_some() {
            return false;
        }
        self.capture = Some(Vec::new());
        true
    }

    /// Keeps the dispatch `made` describes, while capturing (`made` runs only then).
    pub fn capture(&mut self, made: impl FnOnce() -> CapturedDispatch) {
        if let Some(kept) = &mut self.capture {
            kept.push(made());
        }
    }

    /// The dispatches kept since [`Recorder::start_capture`]; capturing stops.
    pub fn finish_capture(&mut self) -> Vec<CapturedDispatch> {
        self.capture.take().unwrap_or_default()
    }

    /// Counts the last transfer as a copy into a staging texture.
    pub fn count_staging(&mut self) {
        self.stagings += 1;
    }

    /// Counts a dispatch recorded into [`Recorder::encoder`].
    pub fn count_dispatch(&mut self) {
        self.dispatches += 1;
    }

    /// (dispatches, compute passes, copies and clears, of those the stagings, submits)
    /// recorded so far.
    pub fn counts(&self) -> [u64; 5] {
        [
            self.dispatches,
            self.passes,
            self.transfers,
            self.stagings,
            self.submits,
        ]
    }
}
