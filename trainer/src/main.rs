//! `jointscope`: the researcher's command line, a thin shell over `jointscope-train`.
mod bars;
mod cli;
mod commands;

fn main() {
    // `serve` never touches a GPU and runs until killed (no cleanup): leave it out.
    let runtime_dir = if std::env::args().nth(1).as_deref() == Some("serve") { None } else { quiet_gpu_probe() };
    let code = commands::main().unwrap_or_else(|e| {
        eprintln!("error: {e:#}");
        1
    });
    if let Some(dir) = runtime_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
    std::process::exit(code);
}

/// On a headless Linux machine the Vulkan loader's Wayland support prints "error: XDG_RUNTIME_DIR
/// is invalid or not set" whenever wgpu looks for a GPU — harmless, but it reads like a failure. A
/// private, empty runtime folder for this process (removed at exit) keeps it quiet.
fn quiet_gpu_probe() -> Option<std::path::PathBuf> {
    #[cfg(unix)]
    if std::env::var_os("XDG_RUNTIME_DIR").is_none_or(|d| !std::path::Path::new(&d).is_dir()) {
        use std::os::unix::fs::DirBuilderExt;
        let dir = std::env::temp_dir().join(format!("jointscope-runtime-{}", std::process::id()));
        if std::fs::DirBuilder::new().mode(0o700).create(&dir).is_ok() {
            // SAFETY: called first thing in main, before any other thread exists.
            unsafe { std::env::set_var("XDG_RUNTIME_DIR", &dir) };
            return Some(dir);
        }
    }
    None
}
