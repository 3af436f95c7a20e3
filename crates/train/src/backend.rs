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
    /// burn's ndarray CPU backend (deprecated in burn 0.22): only in a build with `--features ndarray`.
    Ndarray,
    /// burn's LibTorch backend on the CPU (deprecated in burn 0.22): only in a build with `--features libtorch`.
    Libtorch,
}

impl Choice for BackendChoice {
    const ALL: &'static [Self] = &[Self::Auto, Self::Flex, Self::Wgpu, Self::Ndarray, Self::Libtorch];
    fn help(self) -> &'static str {
        match self {
            Self::Auto => "wgpu on a hardware GPU adapter, else flex",
            Self::Flex => "burn's CPU backend",
            Self::Wgpu => "burn's wgpu backend on the default adapter, software ones included",
            Self::Ndarray => "burn's deprecated ndarray CPU backend, for comparison (a build with --features ndarray)",
            Self::Libtorch => "burn's deprecated LibTorch backend on the CPU, for comparison (a build with --features libtorch)",
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
            adapters.into_iter().map(|a| a.get_info()).find(|i| i.device_type != wgpu::DeviceType::Cpu).map(|i| format!("{} ({:?})", i.name, i.backend))
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
        BackendChoice::Ndarray => ndarray(),
        BackendChoice::Libtorch => libtorch(),
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
    let device =
        Device::wgpu_options().init().map_err(|e| anyhow::anyhow!("cannot initialise wgpu: {e} (on Linux without a GPU, install mesa-vulkan-drivers)"))?;
    Ok(Selected { device, name: name.into() })
}

/// burn 0.22's other CPU backends, both deprecated upstream: compiled in only on request, because
/// each one rebuilds burn (docs/benchmarks.md compares them with flex on the training step).
#[cfg(feature = "ndarray")]
#[allow(deprecated)]
fn ndarray() -> anyhow::Result<Selected> {
    Ok(Selected { device: Device::ndarray(), name: "ndarray (CPU)".into() })
}

#[cfg(not(feature = "ndarray"))]
fn ndarray() -> anyhow::Result<Selected> {
    anyhow::bail!(
        "this jointscope is built without burn's ndarray backend: build it with `cargo build --release --features ndarray` (for comparisons; burn 0.22 deprecates it)"
    )
}

#[cfg(feature = "libtorch")]
#[allow(deprecated)]
fn libtorch() -> anyhow::Result<Selected> {
    Ok(Selected { device: Device::libtorch(), name: "libtorch (CPU)".into() })
}

#[cfg(not(feature = "libtorch"))]
fn libtorch() -> anyhow::Result<Selected> {
    anyhow::bail!(
        "this jointscope is built without burn's LibTorch backend: build it with `LIBTORCH_USE_PYTORCH=1 cargo build --release --features libtorch` in a Python environment with PyTorch (for comparisons; burn 0.22 deprecates it)"
    )
}
