//! The process itself: how the command ends when its reader goes away.
mod common;
use common::*;

#[test]
fn a_reader_that_stops_early_ends_the_command_quietly() {
    // `jointscope … | head -0`: the reader is gone before the first line is printed.
    let export = demo().out.join("export");
    let mut child = command()
        .args(["bench", "detect", "--weights", export.to_str().unwrap(), "--hands", "0", "--inputs", "1", "--repeats", "1", "--quiet"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(141), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
