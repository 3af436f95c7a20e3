//! `jointscope`: the researcher's command line, a thin shell over `jointscope-train`.
mod bars;
mod cli;
mod commands;
mod serve;

fn main() {
    // `serve` never touches a GPU and runs until killed (no cleanup): leave it out.
    let runtime_dir = if std::env::args().nth(1).as_deref() == Some("serve") { None } else { quiet_gpu_probe() };
    end_quietly_on_a_closed_pipe(runtime_dir.clone());
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

/// Output piped into a reader that stops early (`jointscope … | head`) makes `println!` panic
/// with "failed printing to stdout: Broken pipe": end quietly instead, as other command-line
/// tools do, with the status of a process ended by SIGPIPE (141). Other panics are left as they are.
fn end_quietly_on_a_closed_pipe(runtime_dir: Option<std::path::PathBuf>) {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info.payload().downcast_ref::<String>().map(String::as_str).unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            if let Some(dir) = &runtime_dir {
                let _ = std::fs::remove_dir_all(dir);
            }
            std::process::exit(141);
        }
        report(info);
    }));
}
