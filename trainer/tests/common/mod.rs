//! Helpers for the CLI tests: run the binary, read its output, and one quick demo shared by every
//! test of every test binary (made once per build of the binary, read-only afterwards: tests that
//! change a run copy it first).
#![allow(dead_code)] // each test file uses a subset
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub use jointscope_test_support::models_dir as models;

/// The binary with the hand models' folder in its environment.
pub fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_jointscope"));
    c.env("JOINTSCOPE_MODELS", models());
    c
}

/// Run `jointscope ARGS --quiet`.
pub fn jointscope(args: &[&str]) -> Output {
    command().args(args).arg("--quiet").output().expect("the binary runs")
}

/// Standard output and error together.
pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Exit code 1, `needle` in the output, and no panic.
pub fn assert_clean_failure(o: &Output, needle: &str) {
    let t = text(o);
    assert_eq!(o.status.code(), Some(1), "expected exit code 1:\n{t}");
    assert!(t.contains(needle), "expected {needle:?} in:\n{t}");
    assert!(!t.contains("panicked"), "a panic reached the user:\n{t}");
}

pub fn ok(o: &Output) -> String {
    let t = text(o);
    assert!(o.status.success(), "{t}");
    t
}

/// The quick demo (seed 7, flex): its folder and its output.
pub struct Demo {
    pub out: PathBuf,
    pub output: String,
}

/// The quick demo, made by the first test that asks for it in cargo's folder for integration
/// tests and kept there for the other test binaries (cargo runs them one after another), keyed by
/// the binary's size and modification time so that a rebuilt binary makes its own.
pub fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let bin = std::fs::metadata(env!("CARGO_BIN_EXE_jointscope")).expect("the binary exists");
        let built = bin.modified().unwrap().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let key = format!("quick-demo-{}-{built}", bin.len());
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let root = tmp.join(&key);
        let (out, done) = (root.join("demo"), root.join("output.txt"));
        if let Ok(output) = std::fs::read_to_string(&done) {
            return Demo { out, output };
        }
        // Demos of earlier builds, and one a killed test run left unfinished, are made again.
        for e in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
            if e.file_name().to_string_lossy().starts_with("quick-demo-") {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
        std::fs::create_dir_all(&root).unwrap();
        let output = ok(&jointscope(&["demo", "--quick", "--backend", "flex", "--out", out.to_str().unwrap()]));
        std::fs::write(&done, &output).unwrap();
        Demo { out, output }
    })
}

/// Copy a folder tree (to change a run without touching the shared demo).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// A plain 64×64 PNG.
pub fn png(path: &Path) {
    image::RgbImage::from_pixel(64, 64, image::Rgb([200, 150, 120])).save(path).unwrap();
}

/// The quick demo's manifest rewritten into `dir/name` with absolute image paths, its label column
/// set by `label(patient, joint, old label)`, and only the patients `keep` accepts.
pub fn relabelled(dir: &std::path::Path, name: &str, keep: &dyn Fn(&str) -> bool, label: &dyn Fn(&str, &str, &str) -> String) -> std::path::PathBuf {
    let data = demo().out.join("data");
    let mut r = csv::Reader::from_path(data.join("manifest.csv")).unwrap();
    let path = dir.join(name);
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record(r.headers().unwrap()).unwrap();
    for rec in r.records() {
        let rec = rec.unwrap();
        if !keep(&rec[1]) {
            continue;
        }
        let image = data.join(&rec[0]);
        let l = label(&rec[1], &rec[4], &rec[5]);
        w.write_record([image.to_str().unwrap(), &rec[1], &rec[2], &rec[3], &rec[4], &l, &rec[6], &rec[7]]).unwrap();
    }
    w.flush().unwrap();
    path
}

pub fn train_tiny(manifest: &std::path::Path, run: &std::path::Path) -> std::process::Output {
    jointscope(&[&["train", "--manifest", manifest.to_str().unwrap(), "--run", run.to_str().unwrap()][..], &TINY].concat())
}

pub const TINY: [&str; 10] = ["--global-size", "32", "--local-size", "32", "--width", "8", "--epochs", "1", "--backend", "flex"];

/// Run `jointscope ARGS --quiet` with every file it writes limited to `kib` KiB (`ulimit -f`, with
/// SIGXFSZ ignored): a write past it fails with "File too large", as one on a full disk fails with
/// "No space left on device" — the same failed write, made without mounting a small disk.
#[cfg(target_os = "linux")]
pub fn jointscope_with_file_limit(kib: u64, args: &[&str]) -> Output {
    Command::new("bash")
        .args(["-c", r#"trap '' XFSZ; ulimit -f "$0" && exec "$@" --quiet"#, &kib.to_string(), env!("CARGO_BIN_EXE_jointscope")])
        .args(args)
        .env("JOINTSCOPE_MODELS", models())
        .output()
        .expect("bash runs")
}

/// Files a failed write may have left in `dir` (not descending): temporary files and folders.
pub fn debris(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(".jointscope-") || n.ends_with(".tmp"))
        .collect()
}
