//! Compiles each (shader, entry point, override constants) once and keeps it, with the bind
//! group layout its WGSL declares (`reflect.rs`: the parameters at a dynamic offset).
//!
//! A dispatch finds its pipeline by a hash of the borrowed names and constants, so the
//! lookup on the hot path allocates nothing; the owned key is kept only to confirm a hit.
//! The hash is Fx (`rustc_hash`), a multiply per word, not SipHash: every dispatch looks its
//! pipeline up, and the keys are the engine's own, so resistance to chosen keys buys nothing
//! (with the bind-group lookup and inline dispatch storage, recording a step took 9 % less).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHasher};

use crate::reflect::Reflected;
use crate::Shader;

/// (shader, entry point, override constants as bit patterns), owned.
type Key = (&'static str, String, Vec<(String, u64)>);

#[derive(Default)]
pub(crate) struct PipelineCache {
    /// Build shader modules without wgpu's bounds checks and loop bounding
    /// ([`crate::Gpu::without_shader_checks`]).
    pub unchecked: bool,
    modules: HashMap<&'static str, wgpu::ShaderModule>,
    reflected: HashMap<&'static str, Reflected>,
    pipelines: FxHashMap<u64, Vec<(Key, Arc<Compiled>)>>,
    /// Each shader of `modules`, once.
    shaders: Vec<Shader>,
    pub created: u64,
}

pub(crate) struct Compiled {
    pub pipeline: wgpu::ComputePipeline,
    /// Binding 0 (the parameters) takes a dynamic offset into the arena.
    pub layout: wgpu::BindGroupLayout,
    /// Distinct per pipeline of this cache: what a bind group's key names it by.
    pub id: u64,
    /// Bit b set when binding b is a storage buffer the entry may write.
    pub writes: u64,
}

fn hash_of(shader: &str, entry: &str, constants: &[(&str, f64)]) -> u64 {
    let mut h = FxHasher::default();
    shader.hash(&mut h);
    entry.hash(&mut h);
    for (name, value) in constants {
        name.hash(&mut h);
        value.to_bits().hash(&mut h);
    }
    h.finish()
}

fn matches(key: &Key, shader: &str, entry: &str, constants: &[(&str, f64)]) -> bool {
    key.0 == shader
        && key.1 == entry
        && key.2.len() == constants.len()
        && key
            .2
            .iter()
            .zip(constants)
            .all(|((k, bits), (name, value))| k == name && *bits == value.to_bits())
}

impl PipelineCache {
    /// The shaders compiled so far, in the order they were first used.
    pub fn shaders(&self) -> Vec<Shader> {
        self.shaders.clone()
    }

    pub fn get(
        &mut self,
        device: &wgpu::Device,
        shader: &Shader,
        entry: &str,
        constants: &[(&str, f64)],
    ) -> Arc<Compiled> {
        let hash = hash_of(shader.name, entry, constants);
        if let Some(found) = self.pipelines.get(&hash).and_then(|same_hash| {
            same_hash
                .iter()
                .find(|(key, _)| matches(key, shader.name, entry, constants))
        }) {
            return found.1.clone();
        }
        let unchecked = self.unchecked;
        let module = self.modules.entry(shader.name).or_insert_with(|| {
            self.shaders.push(*shader);
            let desc = wgpu::ShaderModuleDescriptor {
                label: Some(shader.name),
                source: wgpu::ShaderSource::Wgsl(shader.source.into()),
            };
            if unchecked {
                // SAFETY: the caller of `Gpu::without_shader_checks` vouched for every
                // kernel's indices staying in range.
                unsafe {
                    device
                        .create_shader_module_trusted(desc, wgpu::ShaderRuntimeChecks::unchecked())
                }
            } else {
                device.create_shader_module(desc)
            }
        });
        let reflected = self
            .reflected
            .entry(shader.name)
            .or_insert_with(|| Reflected::new(shader.name, shader.source));
        let entries = reflected.layout(shader.name, entry);
        let writes = entries
            .iter()
            .filter(|e| {
                matches!(
                    e.ty,
                    wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Storage { read_only: false },
                        ..
                    }
                )
            })
            .fold(0u64, |bits, e| bits | 1 << e.binding);
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some(entry),
            entries: &entries,
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some(entry),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(entry),
            layout: Some(&pipeline_layout),
            module,
            entry_point: Some(entry),
            compilation_options: wgpu::PipelineCompilationOptions {
                constants,
                zero_initialize_workgroup_memory: false,
            },
            cache: None,
        });
        self.created += 1;
        let compiled = Arc::new(Compiled {
            pipeline,
            layout,
            id: self.created,
            writes,
        });
        let key: Key = (
            shader.name,
            entry.to_string(),
            constants
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_bits()))
                .collect(),
        );
        self.pipelines
            .entry(hash)
            .or_default()
            .push((key, compiled.clone()));
        compiled
    }
}
