//! The bind group layout of one entry point, read from its WGSL: what wgpu would derive,
//! except that binding 0, the parameter struct, takes a dynamic offset. That lets one bind
//! group serve a dispatch wherever its parameters land in the arena, so a bind group is
//! reused whenever the same tensors are bound again, however the work is split into submits.

use naga::valid::{Capabilities, ModuleInfo, ValidationFlags, Validator};

/// A shader parsed and validated once, for the layouts of its entry points.
pub(crate) struct Reflected {
    module: naga::Module,
    info: ModuleInfo,
}

impl Reflected {
    /// Panics with naga's message if the WGSL does not parse or validate; the build script
    /// already validated every shader of the engine, so this means a shader from outside.
    pub fn new(name: &str, source: &str) -> Reflected {
        let module = naga::front::wgsl::parse_str(source)
            .unwrap_or_else(|e| panic!("shader {name}: {}", e.emit_to_string(source)));
        let info = Validator::new(ValidationFlags::all(), Capabilities::all())
            .validate(&module)
            .unwrap_or_else(|e| panic!("shader {name}: {}", e.emit_to_string(source)));
        Reflected { module, info }
    }

    /// The layout entries of the bindings `entry` uses, in binding order.
    pub fn layout(&self, name: &str, entry: &str) -> Vec<wgpu::BindGroupLayoutEntry> {
        let index = self
            .module
            .entry_points
            .iter()
            .position(|ep| ep.name == entry)
            .unwrap_or_else(|| panic!("shader {name} has no entry point {entry}"));
        let uses = self.info.get_entry_point(index);
        let mut entries: Vec<wgpu::BindGroupLayoutEntry> = self
            .module
            .global_variables
            .iter()
            .filter(|(handle, _)| !uses[*handle].is_empty())
            .filter_map(|(_, var)| {
                let binding = var.binding.as_ref()?;
                assert_eq!(binding.group, 0, "{name}::{entry}: only group 0 is bound");
                Some(wgpu::BindGroupLayoutEntry {
                    binding: binding.binding,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: self.binding_type(name, entry, binding.binding, var),
                    count: None,
                })
            })
            .collect();
        entries.sort_by_key(|e| e.binding);
        assert!(
            matches!(
                entries.first(),
                Some(wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        ..
                    },
                    ..
                })
            ),
            "{name}::{entry}: binding 0 must be the entry's uniform parameter struct, and used"
        );
        entries
    }

    fn binding_type(
        &self,
        name: &str,
        entry: &str,
        binding: u32,
        var: &naga::GlobalVariable,
    ) -> wgpu::BindingType {
        let buffer = |ty| wgpu::BindingType::Buffer {
            ty,
            has_dynamic_offset: binding == 0,
            min_binding_size: None,
        };
        match (var.space, &self.module.types[var.ty].inner) {
            (naga::AddressSpace::Uniform, _) => buffer(wgpu::BufferBindingType::Uniform),
            (naga::AddressSpace::Storage { access }, _) => {
                buffer(wgpu::BufferBindingType::Storage {
                    read_only: !access.contains(naga::StorageAccess::STORE),
                })
            }
            (
                naga::AddressSpace::Handle,
                naga::TypeInner::Image {
                    dim: naga::ImageDimension::D2,
                    arrayed: false,
                    class:
                        naga::ImageClass::Storage {
                            format: naga::StorageFormat::Rgba32Float,
                            access,
                        },
                },
            ) => wgpu::BindingType::StorageTexture {
                access: match (
                    access.contains(naga::StorageAccess::LOAD),
                    access.contains(naga::StorageAccess::STORE),
                ) {
                    (true, false) => wgpu::StorageTextureAccess::ReadOnly,
                    (false, true) => wgpu::StorageTextureAccess::WriteOnly,
                    _ => wgpu::StorageTextureAccess::ReadWrite,
                },
                format: wgpu::TextureFormat::Rgba32Float,
                view_dimension: wgpu::TextureViewDimension::D2,
            },
            (space, ty) => panic!(
                "{name}::{entry}: binding {binding} ({space:?}, {ty:?}) is a kind the engine \
                 does not bind (uniform, storage buffer or 2-d rgba32float storage texture)"
            ),
        }
    }
}
