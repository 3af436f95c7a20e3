//! Helpers for the CLI tests: run the binary, read its output, and one quick demo shared by every
//! test of a test binary (made once, read-only afterwards: tests that change a run copy it first).
#![allow(dead_code)] // each test file uses a subset
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The repository's `models/` (what scripts/fetch-models.sh fills), unless $JOINTSCOPE_MODELS says otherwise.
pub fn models() -> PathBuf {
    match std::env::var_os("JOINTSCOPE_MODELS") {
        Some(d) if !d.is_empty() => d.into(),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../models"),
    }
}

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

/// The quick demo (seed 7, flex), made once per test binary: its folder and its output.
pub struct Demo {
    pub out: PathBuf,
    pub output: String,
    _dir: tempfile::TempDir,
}

pub fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("demo");
        let output = ok(&jointscope(&["demo", "--quick", "--backend", "flex", "--out", out.to_str().unwrap()]));
        Demo { out, output, _dir: dir }
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
