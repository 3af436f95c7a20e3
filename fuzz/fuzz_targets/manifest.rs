//! Manifest CSV bytes → validation (every row checked, problems collected) → reading.
#![no_main]
use jointscope_data::manifest::{validate, Manifest};
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

fn path() -> &'static PathBuf {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("jointscope-fuzz-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary folder");
        // One real photo the rows may name.
        image::RgbImage::from_pixel(64, 48, image::Rgb([200, 150, 120])).save(dir.join("a.png")).expect("photo");
        dir.join("manifest.csv")
    })
}

fuzz_target!(|data: &[u8]| {
    let p = path();
    std::fs::write(p, data).expect("writing the manifest");
    if let Ok(report) = validate(p) {
        let ok = report.is_ok();
        match Manifest::read(p) {
            Ok(m) => {
                assert!(ok);
                assert!(!m.images().is_empty());
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
});
