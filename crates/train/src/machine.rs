//! What a trained result depends on besides its configuration: the CPU (its kernels are chosen
//! by the vector features found at run time, and each kernel sums in its own order), the number
//! of threads, and which backward the convolutions and group norms used. Recorded in `model.json`
//! so a figure can be compared with one from another machine only where these agree.
use serde::{Deserialize, Serialize};

/// [`gradients`] when the convolutions and group norms use burn's own backward.
pub const BURN_GRADIENTS: &str = "burn 0.22.1";

/// Which backward the training step's convolutions and group norms used: ours
/// (`jointscope_ops`, version 1) or burn's own ([`BURN_GRADIENTS`]).
pub fn gradients() -> &'static str {
    if jointscope_ops::own_backward() { "jointscope-ops 1" } else { BURN_GRADIENTS }
}

/// The machine a run trained on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    /// The CPU's brand string (`cpuid`), empty where it cannot be read.
    pub cpu: String,
    /// The vector extensions found at run time that burn's CPU kernels choose between.
    pub vector_features: Vec<String>,
    /// Worker threads of the pool the CPU kernels run on.
    pub threads: usize,
    /// [`gradients`] at the time of training.
    pub gradients: String,
}

impl Machine {
    /// This machine, now.
    pub fn current() -> Self {
        Self { cpu: cpu_brand(), vector_features: vector_features(), threads: rayon::current_num_threads(), gradients: gradients().into() }
    }
}

#[cfg(target_arch = "x86_64")]
fn cpu_brand() -> String {
    use std::arch::x86_64::__cpuid;
    // cpuid exists on every x86_64 CPU; the brand leaves are read only where the CPU has them.
    let max = __cpuid(0x8000_0000).eax;
    if max < 0x8000_0004 {
        return String::new();
    }
    let mut bytes = Vec::with_capacity(48);
    for leaf in 0x8000_0002u32..=0x8000_0004 {
        let r = __cpuid(leaf);
        for v in [r.eax, r.ebx, r.ecx, r.edx] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
    String::from_utf8_lossy(&bytes).trim_matches(char::from(0)).trim().to_string()
}

#[cfg(not(target_arch = "x86_64"))]
fn cpu_brand() -> String {
    String::new()
}

#[cfg(target_arch = "x86_64")]
fn vector_features() -> Vec<String> {
    let mut f = Vec::new();
    macro_rules! probe {
        ($($name:tt),*) => {$(
            if std::arch::is_x86_feature_detected!($name) {
                f.push($name.to_string());
            }
        )*};
    }
    probe!("sse4.2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512vnni", "avx512bf16");
    f
}

#[cfg(target_arch = "aarch64")]
fn vector_features() -> Vec<String> {
    let mut f = vec!["neon".to_string()];
    if std::arch::is_aarch64_feature_detected!("fp16") {
        f.push("fp16".into());
    }
    f
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn vector_features() -> Vec<String> {
    Vec::new()
}
