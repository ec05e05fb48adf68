//! The GPU context: adapter choice, device, queue, and the engine state shared by every
//! tensor (buffer pool, pipeline cache, the command recorder, …).
//!
//! Each piece of that state is its own type in its own module, below this one; a [`Gpu`]
//! owns one of each and lends it through a crate-internal accessor. The modules that work
//! with a `Gpu` (dispatch, tensors, texels, profiling) sit above it and reach the state only
//! through those accessors, so nothing here depends on them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::bind_groups::BindGroupCache;
use crate::error::GpuError;
use crate::kernel_times::KernelTimes;
use crate::pipeline::PipelineCache;
use crate::pool::BufferPool;
use crate::recorder::Recorder;
use crate::texel_pool::TexelPool;

/// How to choose an adapter. Empty fields fall back to wgpu's environment variables
/// (`WGPU_BACKEND`, `WGPU_ADAPTER_NAME`) and then to the high-performance default.
#[derive(Debug, Clone, Default)]
pub struct GpuOptions {
    /// `vulkan`, `metal`, `dx12` or `gl`.
    pub backend: Option<String>,
    /// Case-insensitive part of the adapter's name, e.g. `llvmpipe` or `nvidia`.
    pub adapter: Option<String>,
    /// Open the device without subgroup operations even where the adapter has them, so
    /// every kernel choice falls back to the variants that need none, as on adapters that
    /// lack them (GL, some mobile GPUs). By default subgroups are used when available.
    pub without_subgroups: bool,
    /// Choose kernels as on an adapter of this class instead of the adapter's own, e.g. run
    /// on lavapipe the kernels a discrete GPU gets, to test them end to end or count their
    /// dispatches. Unset: `DVAAN_ADAPTER_CLASS`, else the adapter's own class.
    pub class: Option<AdapterClass>,
}

/// The kind of device an adapter is, which decides the kernel variants that suit it: CPU
/// adapters (lavapipe, llvmpipe) make memory loads and barriers expensive and favour the
/// subgroup and texel kernels, GPUs the portable ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdapterClass {
    Cpu,
    DiscreteGpu,
    IntegratedGpu,
    VirtualGpu,
    Other,
}

impl AdapterClass {
    /// Every class with its name in `DVAAN_ADAPTER_CLASS`.
    pub const NAMES: [(&'static str, AdapterClass); 5] = [
        ("cpu", AdapterClass::Cpu),
        ("discrete-gpu", AdapterClass::DiscreteGpu),
        ("integrated-gpu", AdapterClass::IntegratedGpu),
        ("virtual-gpu", AdapterClass::VirtualGpu),
        ("other", AdapterClass::Other),
    ];

    pub fn parse(name: &str) -> Result<AdapterClass, GpuError> {
        AdapterClass::NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
            .map(|&(_, c)| c)
            .ok_or_else(|| GpuError::UnknownClass(name.to_string()))
    }

    pub fn name(self) -> &'static str {
        AdapterClass::NAMES
            .iter()
            .find(|(_, c)| *c == self)
            .map_or("other", |(n, _)| n)
    }
}

/// The class kernels are chosen for: the options', else `DVAAN_ADAPTER_CLASS`'s, else none
/// (the adapter's own).
fn class_override(options: &GpuOptions) -> Result<Option<AdapterClass>, GpuError> {
    if options.class.is_some() {
        return Ok(options.class);
    }
    match std::env::var("DVAAN_ADAPTER_CLASS") {
        Ok(name) if !name.trim().is_empty() => AdapterClass::parse(&name).map(Some),
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(name)) => {
            Err(GpuError::UnknownClass(name.to_string_lossy().into_owned()))
        }
    }
}

impl From<wgpu::DeviceType> for AdapterClass {
    fn from(device_type: wgpu::DeviceType) -> AdapterClass {
        match device_type {
            wgpu::DeviceType::Cpu => AdapterClass::Cpu,
            wgpu::DeviceType::DiscreteGpu => AdapterClass::DiscreteGpu,
            wgpu::DeviceType::IntegratedGpu => AdapterClass::IntegratedGpu,
            wgpu::DeviceType::VirtualGpu => AdapterClass::VirtualGpu,
            wgpu::DeviceType::Other => AdapterClass::Other,
        }
    }
}

/// What the engine knows about the adapter it runs on.
#[derive(Debug, Clone)]
pub struct AdapterSummary {
    pub name: String,
    pub backend: String,
    /// What kernel choices go by: the device type's class, unless the options chose another.
    pub class: AdapterClass,
    /// Whether `class` was chosen by the options instead of read from the device type.
    pub class_overridden: bool,
    /// wgpu's name for the device type, for display.
    pub device_type: String,
    pub driver: String,
    pub subgroups: bool,
    pub subgroup_min_size: u32,
    pub subgroup_max_size: u32,
    pub max_storage_buffer_binding_size: u64,
    pub max_compute_workgroups_per_dimension: u32,
    pub max_compute_invocations_per_workgroup: u32,
}

impl std::fmt::Display for AdapterSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}, {}", self.name, self.backend, self.device_type)?;
        if self.subgroups {
            write!(
                f,
                ", subgroups {}..{}",
                self.subgroup_min_size, self.subgroup_max_size
            )?;
        }
        if self.class_overridden {
            write!(f, ", kernels of a {}", self.class.name())?;
        }
        write!(f, ")")
    }
}

/// A cheap, clonable handle to one device. Every tensor holds one.
#[derive(Clone)]
pub struct Gpu(Arc<Inner>);

struct Inner {
    device: wgpu::Device,
    queue: wgpu::Queue,
    summary: AdapterSummary,
    limits: wgpu::Limits,
    pool: Mutex<BufferPool>,
    pipelines: Mutex<PipelineCache>,
    bind_groups: Mutex<BindGroupCache>,
    recorder: Mutex<Recorder>,
    /// Shared with every lent texture, which goes back to it when dropped.
    texel_pool: Arc<Mutex<TexelPool>>,
    tally: Tally,
    /// `Some` while kernels are being profiled.
    kernel_times: Mutex<Option<KernelTimes>>,
}

/// Host transfers and nominal work, counted without a lock.
#[derive(Default)]
pub(crate) struct Tally {
    readbacks: AtomicU64,
    uploads: AtomicU64,
    flops: AtomicU64,
}

impl Tally {
    pub fn count_readback(&self) {
        self.readbacks.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count_upload(&self) {
        self.uploads.fetch_add(1, Ordering::Relaxed);
    }

    pub fn add_flops(&self, flops: u64) {
        self.flops.fetch_add(flops, Ordering::Relaxed);
    }

    pub fn readbacks(&self) -> u64 {
        self.readbacks.load(Ordering::Relaxed)
    }

    pub fn uploads(&self) -> u64 {
        self.uploads.load(Ordering::Relaxed)
    }

    pub fn flops(&self) -> u64 {
        self.flops.load(Ordering::Relaxed)
    }
}

fn parse_backends(name: &str) -> Result<wgpu::Backends, GpuError> {
    match name.to_ascii_lowercase().as_str() {
        "vulkan" | "vk" => Ok(wgpu::Backends::VULKAN),
        "metal" | "mtl" => Ok(wgpu::Backends::METAL),
        "dx12" | "d3d12" => Ok(wgpu::Backends::DX12),
        "gl" | "gles" | "opengl" => Ok(wgpu::Backends::GL),
        _ => Err(GpuError::UnknownBackend(name.to_string())),
    }
}

fn instance(backend: Option<&str>) -> Result<wgpu::Instance, GpuError> {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    if let Some(b) = backend {
        desc.backends = parse_backends(b)?;
    }
    Ok(wgpu::Instance::new(desc))
}

fn summarise(adapter: &wgpu::Adapter) -> AdapterSummary {
    let info = adapter.get_info();
    let limits = adapter.limits();
    AdapterSummary {
        name: info.name,
        backend: format!("{:?}", info.backend),
        class: info.device_type.into(),
        class_overridden: false,
        device_type: format!("{:?}", info.device_type),
        driver: format!("{} {}", info.driver, info.driver_info)
            .trim()
            .to_string(),
        subgroups: adapter.features().contains(wgpu::Features::SUBGROUP),
        subgroup_min_size: info.subgroup_min_size,
        subgroup_max_size: info.subgroup_max_size,
        max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
        max_compute_workgroups_per_dimension: limits.max_compute_workgroups_per_dimension,
        max_compute_invocations_per_workgroup: limits.max_compute_invocations_per_workgroup,
    }
}

impl Gpu {
    /// The default adapter, honouring `WGPU_BACKEND` and `WGPU_ADAPTER_NAME`.
    pub fn new() -> Result<Gpu, GpuError> {
        Gpu::with_options(&GpuOptions::default())
    }

    /// Every adapter wgpu can see on the chosen backend (or all backends).
    pub fn list_adapters(backend: Option<&str>) -> Result<Vec<AdapterSummary>, GpuError> {
        let inst = instance(backend)?;
        let adapters = pollster::block_on(inst.enumerate_adapters(wgpu::Backends::all()));
        Ok(adapters.iter().map(summarise).collect())
    }

    pub fn with_options(options: &GpuOptions) -> Result<Gpu, GpuError> {
        let inst = instance(options.backend.as_deref())?;
        let wanted = options
            .adapter
            .clone()
            .or_else(|| std::env::var("WGPU_ADAPTER_NAME").ok())
            .filter(|s| !s.is_empty());
        let adapter = match wanted {
            Some(wanted) => {
                let adapters = pollster::block_on(inst.enumerate_adapters(wgpu::Backends::all()));
                let needle = wanted.to_lowercase();
                let names: Vec<String> = adapters.iter().map(|a| a.get_info().name).collect();
                adapters
                    .into_iter()
                    .find(|a| a.get_info().name.to_lowercase().contains(&needle))
                    .ok_or(GpuError::AdapterNotFound {
                        wanted,
                        available: names,
                    })?
            }
            None => pollster::block_on(inst.request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            }))
            .map_err(|_| GpuError::NoAdapter {
                backends: options.backend.clone().unwrap_or_else(|| "all".into()),
            })?,
        };
        Gpu::from_adapter(adapter, options.without_subgroups, class_override(options)?)
    }

    /// [`Gpu::with_options`], with every shader built without wgpu's runtime checks: no
    /// clamping of out-of-range indices and no bounding of loops. It exists to measure what
    /// those checks cost (`DVAAN_SHADER_CHECKS=off` in the benches).
    ///
    /// # Safety
    /// A kernel that indexes out of range then reads or writes memory it does not own, and
    /// a loop that does not end hangs the device. The engine's kernels are tested in range
    /// on awkward shapes, which is evidence, not proof; the caller accepts the difference.
    pub unsafe fn without_shader_checks(options: &GpuOptions) -> Result<Gpu, GpuError> {
        let gpu = Gpu::with_options(options)?;
        gpu.pipelines().unchecked = true;
        Ok(gpu)
    }

    /// False for a device made by [`Gpu::without_shader_checks`].
    pub fn shader_checks(&self) -> bool {
        !self.pipelines().unchecked
    }

    fn from_adapter(
        adapter: wgpu::Adapter,
        without_subgroups: bool,
        class: Option<AdapterClass>,
    ) -> Result<Gpu, GpuError> {
        let mut summary = summarise(&adapter);
        if let Some(class) = class {
            summary.class_overridden = class != summary.class;
            summary.class = class;
        }
        let features = if without_subgroups {
            wgpu::Features::empty()
        } else {
            adapter.features() & wgpu::Features::SUBGROUP
        };
        // The summary describes the device as opened, so it never offers subgroups the
        // device was not given.
        summary.subgroups &= features.contains(wgpu::Features::SUBGROUP);
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("dvaan"),
            required_features: features,
            required_limits: limits.clone(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        }))
        .map_err(|e| GpuError::Device(e.to_string()))?;
        let recorder = Recorder::new(&device, &limits);
        Ok(Gpu(Arc::new(Inner {
            device,
            queue,
            summary,
            limits,
            pool: Mutex::new(BufferPool::default()),
            pipelines: Mutex::new(PipelineCache::default()),
            bind_groups: Mutex::new(BindGroupCache::default()),
            recorder: Mutex::new(recorder),
            texel_pool: Arc::default(),
            tally: Tally::default(),
            kernel_times: Mutex::new(None),
        })))
    }

    pub fn summary(&self) -> &AdapterSummary {
        &self.0.summary
    }

    pub fn limits(&self) -> &wgpu::Limits {
        &self.0.limits
    }

    /// True when the device was opened with subgroup operations, so subgroup kernel
    /// variants may be chosen.
    pub fn has_subgroups(&self) -> bool {
        self.0.device.features().contains(wgpu::Features::SUBGROUP)
    }

    /// The shaders compiled on this device so far, in the order they were first used: what
    /// a caller checks to know which kernels ran (e.g. that none needs subgroups).
    pub fn compiled_shaders(&self) -> Vec<crate::Shader> {
        self.pipelines().shaders()
    }

    pub fn device(&self) -> &wgpu::Device {
        &self.0.device
    }

    pub fn queue(&self) -> &wgpu::Queue {
        &self.0.queue
    }

    /// True when both handles point at the same device.
    pub fn same(&self, other: &Gpu) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    pub(crate) fn pool(&self) -> MutexGuard<'_, BufferPool> {
        self.0.pool.lock().unwrap()
    }

    pub(crate) fn pipelines(&self) -> MutexGuard<'_, PipelineCache> {
        self.0.pipelines.lock().unwrap()
    }

    pub(crate) fn bind_groups(&self) -> MutexGuard<'_, BindGroupCache> {
        self.0.bind_groups.lock().unwrap()
    }

    pub(crate) fn recorder(&self) -> MutexGuard<'_, Recorder> {
        self.0.recorder.lock().unwrap()
    }

    /// The recorder, or None when a panic while it was held poisoned it.
    pub(crate) fn try_recorder(&self) -> Option<MutexGuard<'_, Recorder>> {
        self.0.recorder.lock().ok()
    }

    pub(crate) fn texel_pool(&self) -> MutexGuard<'_, TexelPool> {
        self.0.texel_pool.lock().unwrap()
    }

    /// The texture pool itself, for a lease to return its texture to.
    pub(crate) fn texel_pool_handle(&self) -> &Arc<Mutex<TexelPool>> {
        &self.0.texel_pool
    }

    pub(crate) fn tally(&self) -> &Tally {
        &self.0.tally
    }

    pub(crate) fn kernel_times(&self) -> MutexGuard<'_, Option<KernelTimes>> {
        self.0.kernel_times.lock().unwrap()
    }
}

impl std::fmt::Debug for Gpu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Gpu({})", self.0.summary)
    }
}

#[cfg(test)]
mod tests {
    use super::AdapterClass;

    #[test]
    fn adapter_class_names_read_back() {
        for (name, class) in AdapterClass::NAMES {
            assert_eq!(class.name(), name);
            assert_eq!(AdapterClass::parse(name).unwrap(), class);
            assert_eq!(AdapterClass::parse(&name.to_uppercase()).unwrap(), class);
        }
        let err = AdapterClass::parse("gpu").unwrap_err().to_string();
        assert!(
            err.contains("\"gpu\"") && err.contains("discrete-gpu"),
            "{err}"
        );
    }
}
