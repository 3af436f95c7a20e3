//! Choosing where tensors live: wgpu on a real GPU, flex on the CPU otherwise.
use crate::choice::Choice;
use crate::progress::Progress;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

/// The backend the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
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

impl Choice for BackendChoice {
    const ALL: &'static [Self] = &[Self::Auto, Self::Flex, Self::Wgpu];
    fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Flex => "flex",
            Self::Wgpu => "wgpu",
        }
    }
    fn help(self) -> &'static str {
        match self {
            Self::Auto => "wgpu on a hardware GPU adapter, else flex",
            Self::Flex => "burn's CPU backend",
            Self::Wgpu => "burn's wgpu backend on the default adapter, software ones included",
        }
    }
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

fn flex(why: &str) -> Selected {
    Selected { device: Device::flex(), name: format!("flex (CPU{why})") }
}

/// Resolve the choice into a device; a failed GPU start under `auto` falls back to flex with a warning.
pub fn select(choice: BackendChoice, progress: &dyn Progress) -> anyhow::Result<Selected> {
    match choice {
        BackendChoice::Flex => Ok(flex("")),
        BackendChoice::Wgpu => wgpu("wgpu"),
        BackendChoice::Auto => match hardware_gpu() {
            Some(gpu) => wgpu(&format!("wgpu on {gpu}")).or_else(|e| {
                progress.warn(&format!("{e}; falling back to flex (CPU)"));
                Ok(flex(""))
            }),
            None => Ok(flex("; no hardware GPU adapter found")),
        },
    }
}

fn wgpu(name: &str) -> anyhow::Result<Selected> {
    let device = Device::wgpu_options()
        .init()
        .map_err(|e| anyhow::anyhow!("cannot initialise wgpu: {e} (on Linux without a GPU, install mesa-vulkan-drivers)"))?;
    Ok(Selected { device, name: name.into() })
}
