//! Compiles each (shader, entry point, override constants) once and keeps it.

use std::collections::HashMap;
use std::sync::Arc;

use crate::Shader;

type Key = (&'static str, String, Vec<(String, u64)>);

#[derive(Default)]
pub(crate) struct PipelineCache {
    modules: HashMap<&'static str, wgpu::ShaderModule>,
    pipelines: HashMap<Key, Arc<Compiled>>,
    /// Each shader of `modules`, once.
    shaders: Vec<Shader>,
    pub created: u64,
}

pub(crate) struct Compiled {
    pub pipeline: wgpu::ComputePipeline,
    pub layout: wgpu::BindGroupLayout,
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
        let key: Key = (
            shader.name,
            entry.to_string(),
            constants
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_bits()))
                .collect(),
        );
        if let Some(c) = self.pipelines.get(&key) {
            return c.clone();
        }
        let module = self.modules.entry(shader.name).or_insert_with(|| {
            self.shaders.push(*shader);
            device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(shader.name),
                source: wgpu::ShaderSource::Wgsl(shader.source.into()),
            })
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(entry),
            layout: None,
            module,
            entry_point: Some(entry),
            compilation_options: wgpu::PipelineCompilationOptions {
                constants,
                zero_initialize_workgroup_memory: false,
            },
            cache: None,
        });
        let layout = pipeline.get_bind_group_layout(0);
        self.created += 1;
        let compiled = Arc::new(Compiled { pipeline, layout });
        self.pipelines.insert(key, compiled.clone());
        compiled
    }
}
