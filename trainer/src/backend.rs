//! Choosing where tensors live: wgpu on a real GPU, flex on the CPU otherwise.
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

/// The backend the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum BackendChoice {
    /// wgpu when a hardware GPU adapter exists (Vulkan, Metal, DX12), else flex.
    #[default]
    Auto,
    /// burn's pure-Rust CPU backend.
    Flex,
    /// burn's wgpu backend on the default adapter (software adapters included).
    Wgpu,
}

/// A device and a readable name for it.
pub struct Selected {
    pub device: Device,
    pub name: String,
}

/// The first hardware (non-CPU) GPU adapter on Vulkan, Metal or DX12, if any. Probed once per
/// process: the adapters do not change between the steps of one command.
pub fn hardware_gpu() -> Option<String> {
    use burn::tensor::wgpu::wgpu;
    static PROBE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    PROBE
        .get_or_init(|| {
            let instance = wgpu::Instance::default();
            let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::PRIMARY));
            adapters
                .into_iter()
                .map(|a| a.get_info())
                .find(|i| i.device_type != wgpu::DeviceType::Cpu)
                .map(|i| format!("{} ({:?})", i.name, i.backend))
        })
        .clone()
}

/// Resolve the choice into a device.
pub fn select(choice: BackendChoice) -> anyhow::Result<Selected> {
    match choice {
        BackendChoice::Flex => Ok(Selected { device: Device::flex(), name: "flex (CPU)".into() }),
        BackendChoice::Wgpu => wgpu("wgpu"),
        BackendChoice::Auto => match hardware_gpu() {
            Some(gpu) => wgpu(&format!("wgpu on {gpu}")).or_else(|e| {
                eprintln!("warning: {e}; falling back to flex (CPU)");
                Ok(Selected { device: Device::flex(), name: "flex (CPU)".into() })
            }),
            None => Ok(Selected { device: Device::flex(), name: "flex (CPU; no hardware GPU adapter found)".into() }),
        },
    }
}

fn wgpu(name: &str) -> anyhow::Result<Selected> {
    let device = Device::wgpu_options()
        .init()
        .map_err(|e| anyhow::anyhow!("cannot initialise wgpu: {e} (on Linux without a GPU, install mesa-vulkan-drivers)"))?;
    Ok(Selected { device, name: name.into() })
}
