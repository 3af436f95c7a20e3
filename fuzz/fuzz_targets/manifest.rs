//! Manifest CSV bytes → validation (every row checked, problems collected) → reading.
#![no_main]
use jointscope_data::DataError;
use jointscope_dataset::manifest::{Manifest, validate};
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
    let Ok(report) = validate(p) else { return };
    // Every problem names a data line (the header is line 1).
    assert!(report.problems.iter().all(|q| q.line >= 2), "{:?}", report.problems);
    match Manifest::read(p) {
        Ok(m) => {
            assert!(report.is_ok());
            assert_eq!(m.rows, report.rows);
            assert_eq!(m.images().iter().map(|e| e.joints.len()).sum::<usize>(), m.rows.len());
        }
        // A readable file is refused for its rows only: problems, or none at all.
        Err(DataError::Invalid { count, .. }) => assert_eq!(count, report.problems.len()),
        Err(DataError::Empty(_)) => assert!(report.rows.is_empty() && report.problems.is_empty()),
        Err(e) => panic!("validate read the file but Manifest::read failed otherwise: {e}"),
    }
});
