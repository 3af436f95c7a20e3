//! Data in: `synth` leaves what it did not write, and `validate`/`train` name every bad manifest row.
mod common;
use common::*;

#[test]
fn regenerating_a_benchmark_keeps_files_the_generator_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    ok(&jointscope(&["synth", "--out", d, "--patients", "3", "--healthy", "0", "--size", "128"]));
    std::fs::write(data.join("notes.txt"), "mine").unwrap();
    std::fs::write(data.join("images/mine.jpg"), "mine").unwrap();
    let t = ok(&jointscope(&["synth", "--out", d, "--patients", "4", "--healthy", "0", "--size", "128"]));
    assert!(t.contains("wrote 8 labelled photos"), "{t}");
    assert_eq!(std::fs::read_to_string(data.join("notes.txt")).unwrap(), "mine");
    assert_eq!(std::fs::read_to_string(data.join("images/mine.jpg")).unwrap(), "mine");
    // 8 photos of the new benchmark and the user's own.
    assert_eq!(std::fs::read_dir(data.join("images")).unwrap().count(), 9);
}

#[test]
fn bad_manifests_fail_cleanly_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    png(&d.join("ok.png"));
    let full = std::fs::read(d.join("ok.png")).unwrap();
    std::fs::write(d.join("cut.png"), &full[..full.len() / 2]).unwrap();
    std::fs::write(d.join("notes.png"), "plain text").unwrap();
    let header = "image,patient_id,hand,view,joint,label,x,y\n";
    let cases = [
        ("missing.csv", format!("{header}gone.png,p1,R,dorsal,MCP2,1,10,10\n"), "does not exist"),
        ("truncated.csv", format!("{header}cut.png,p1,R,dorsal,MCP2,1,10,10\n"), "not a readable image"),
        ("text.csv", format!("{header}notes.png,p1,R,dorsal,MCP2,1,10,10\n"), "not a readable image"),
        ("joint.csv", format!("{header}ok.png,p1,R,dorsal,KNEE,1,10,10\n"), "unknown joint name \"KNEE\""),
    ];
    for (name, body, needle) in cases {
        let m = d.join(name);
        std::fs::write(&m, body).unwrap();
        let ms = m.to_str().unwrap();
        let o = jointscope(&["validate", ms]);
        assert_clean_failure(&o, needle);
        assert!(text(&o).contains(":line 2:"), "{}", text(&o));
        let run = d.join(format!("run-{name}"));
        let o = jointscope(&["train", "--manifest", ms, "--run", run.to_str().unwrap(), "--backend", "flex"]);
        assert_clean_failure(&o, needle);
    }
    let empty = d.join("empty.csv");
    std::fs::write(&empty, header).unwrap();
    let o = jointscope(&["train", "--manifest", empty.to_str().unwrap(), "--run", d.join("r").to_str().unwrap(), "--backend", "flex"]);
    assert_clean_failure(&o, "dataset is empty");
    assert_clean_failure(&jointscope(&["validate", empty.to_str().unwrap()]), "no rows");
    let o = jointscope(&["train", "--manifest", d.join("absent.csv").to_str().unwrap(), "--run", d.join("r2").to_str().unwrap()]);
    assert_clean_failure(&o, "absent.csv");
    assert_clean_failure(&jointscope(&["evaluate", "--run", d.join("nothing").to_str().unwrap()]), "no trained model");
    assert_clean_failure(&jointscope(&["export", "--run", d.join("nothing").to_str().unwrap(), "--out", d.join("e").to_str().unwrap()]), "no trained model");
}

#[test]
fn real_photos_without_a_hand_or_showing_the_palm_are_listed_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("real");
    let photos = jointscope_test_support::real_hands_dir();
    let t = ok(&jointscope(&["synth", "--base-photos", photos.to_str().unwrap(), "--out", out.to_str().unwrap(), "--visits", "1", "--test-subjects", "0"]));
    assert!(t.contains("wrote"), "{t}");
    let excluded = std::fs::read_to_string(out.join("excluded.csv")).unwrap();
    let reason = |name: &str| excluded.lines().find(|l| l.contains(name)).unwrap_or_else(|| panic!("{name} not listed:\n{excluded}")).to_string();
    assert!(reason("mp_no_hand_pizza.jpg").contains("no hand found"), "{excluded}");
    assert!(reason("11k_f_p.jpg").contains("palm"), "{excluded}");
    // The back of a hand is painted and the manifest is one the trainer reads.
    assert!(!excluded.contains("11k_f_d.jpg"), "{excluded}");
    ok(&jointscope(&["validate", out.join("manifest.csv").to_str().unwrap()]));
    assert!(out.join("contact-sheet.png").is_file());
}
