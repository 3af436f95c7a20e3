//! Records the commit the `jointscope` binary is built from (`git describe --always --dirty`), so
//! the runs `ablate --results` keeps say which program made them; `unknown` outside a checkout.
use std::process::Command;

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let git_dir = Command::new("git").current_dir(&root).args(["rev-parse", "--git-dir"]).output().ok().filter(|o| o.status.success());
    if let Some(o) = git_dir {
        let dir = root.join(String::from_utf8_lossy(&o.stdout).trim());
        // A new commit moves HEAD or a ref; staging a change rewrites the index.
        for f in ["HEAD", "index", "refs/heads"] {
            println!("cargo:rerun-if-changed={}", dir.join(f).display());
        }
    }
    let commit = Command::new("git")
        .current_dir(&root)
        .args(["describe", "--always", "--dirty", "--abbrev=12"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=JOINTSCOPE_COMMIT={commit}");
}
