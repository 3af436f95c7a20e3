//! Manifest validation reports every kind of bad row, with its line number.
use jointscope_data::{DataError, Joint};
use jointscope_dataset::manifest::{self, Label, Manifest};
use std::path::Path;

fn write_png(path: &Path, w: u32, h: u32) {
    image::RgbImage::from_pixel(w, h, image::Rgb([120, 90, 80])).save(path).unwrap();
}

#[test]
fn every_bad_row_is_reported_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_png(&d.join("good.png"), 100, 80);
    write_png(&d.join("other.png"), 100, 80);
    let full = std::fs::read(d.join("good.png")).unwrap();
    std::fs::write(d.join("truncated.png"), &full[..full.len() / 3]).unwrap();
    std::fs::write(d.join("text.png"), b"this is not an image").unwrap();
    let csv = "\
image,patient_id,hand,view,joint,label,x,y
good.png,p1,R,dorsal,MCP2,1,10,20
good.png,p1,R,dorsal,DIP2,0,,
good.png,p1,R,dorsal,MCP3,2,,
good.png,p1,R,dorsal,MCP2,0,,
missing.png,p2,L,dorsal,MCP2,0,,
truncated.png,p3,L,dorsal,MCP2,0,,
text.png,p4,L,dorsal,MCP2,0,,
good.png,p1,X,dorsal,PIP2,0,,
good.png,p1,R,sideways,PIP3,0,,
good.png,p1,R,dorsal,PIP4,0,500,20
good.png,p1,R,dorsal,PIP5,0,5,
good.png,p9,R,dorsal,WRIST,0,,
other.png,,R,dorsal,IP,unknown,abc,4
other.png,p5,R,palmar,WRIST,unknown,3,4
";
    let m = d.join("manifest.csv");
    std::fs::write(&m, csv).unwrap();
    let report = manifest::validate(&m).unwrap();
    let lines: Vec<usize> = report.problems.iter().map(|p| p.line).collect();
    let has = |line: usize, needle: &str| {
        assert!(
            report.problems.iter().any(|p| p.line == line && p.message.contains(needle)),
            "expected line {line} to mention {needle:?}; got {:#?}",
            report.problems
        )
    };
    has(3, "unknown joint name \"DIP2\"");
    has(4, "label \"2\" is out of range");
    has(5, "duplicate of line 2");
    has(6, "does not exist");
    has(7, "not a readable image");
    has(8, "not a readable image");
    has(9, "hand \"X\"");
    has(10, "view \"sideways\"");
    has(11, "outside the 100×80 image");
    has(12, "both x and y");
    has(13, "patient p1");
    has(14, "empty patient_id");
    has(14, "not numbers");
    assert!(!lines.contains(&2) && !lines.contains(&15), "{:#?}", report.problems);
    assert_eq!(report.rows.len(), 2);
    assert_eq!(report.rows[0].joint, Joint::Mcp2);
    assert_eq!(report.rows[1].label, Label::Unknown);
    assert!(!report.is_ok());
    // Reading the manifest strictly fails, counting the problems and naming the first.
    match Manifest::read(&m) {
        Err(DataError::Invalid { count, first, .. }) => {
            assert_eq!(count, report.problems.len());
            assert!(first.starts_with("line 3:"), "{first}");
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn missing_columns_and_empty_manifests_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m.csv");
    std::fs::write(&m, "image,patient,hand\nx.png,p1,R\n").unwrap();
    let e = manifest::validate(&m).unwrap_err().to_string();
    assert!(e.contains("missing column(s) patient_id, view, joint, label"), "{e}");
    std::fs::write(&m, "image,patient_id,hand,view,joint,label\n").unwrap();
    let e = Manifest::read(&m).unwrap_err();
    assert!(matches!(e, DataError::Empty(_)), "{e:?}");
    let e = manifest::validate(&dir.path().join("nope.csv")).unwrap_err().to_string();
    assert!(e.contains("nope.csv"), "{e}");
}

#[test]
fn a_written_manifest_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    write_png(&dir.path().join("a.png"), 64, 64);
    let m = dir.path().join("m.csv");
    std::fs::write(&m, "image,patient_id,hand,view,joint,label,x,y\na.png,p1,L,palmar,WRIST,1,3.5,4\na.png,p1,L,palmar,IP,,,\n").unwrap();
    let first = Manifest::read(&m).unwrap();
    let out = dir.path().join("copy.csv");
    manifest::write(&out, &first.rows).unwrap();
    let second = Manifest::read(&out).unwrap();
    assert_eq!(first.rows, second.rows);
    let images = second.images();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].located().len(), 1);
}

/// A file whose lines end in a lone carriage return (classic Mac OS) names each row's own line:
/// the CSV reader counts only `\n`, so every problem was reported on line 1 (found by fuzzing).
#[test]
fn rows_of_a_file_with_carriage_return_line_ends_keep_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_png(&d.join("good.png"), 100, 80);
    let m = d.join("manifest.csv");
    std::fs::write(&m, "image,patient_id,hand,view,joint,label\rgood.png,p1,R,dorsal,MCP2,1\rmissing.png,p2,L,dorsal,MCP2,0\rgood.png,p1,R,dorsal,MCP9,0\r")
        .unwrap();
    let report = manifest::validate(&m).unwrap();
    let lines: Vec<(usize, &str)> = report.problems.iter().map(|p| (p.line, p.message.as_str())).collect();
    assert_eq!(report.rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2], "{lines:?}");
    assert!(lines.len() == 2 && lines[0].0 == 3 && lines[0].1.contains("missing.png") && lines[1].0 == 4 && lines[1].1.contains("MCP9"), "{lines:?}");
}
