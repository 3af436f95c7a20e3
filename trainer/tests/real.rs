//! The real-photo benchmark on the committed photos: with nothing painted (the `null` preset) a
//! model stays at chance, and with the signs painted the same training learns them — so the null
//! result says the photos leak no label, not that the training is too short to learn anything.
//! Twenty subjects are made of two committed photos of the back of a hand, ten copies each: every
//! subject's photos are identical, and only the painting (or, for `null`, nothing) differs.
mod common;
use common::*;
use std::path::{Path, PathBuf};

/// The benchmark of `preset` (extra options after it) in `dir/data`.
fn benchmark(dir: &Path, preset: &[&str]) -> PathBuf {
    let photos = dir.join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    for i in 0..10 {
        for (name, tag) in [("11k_f_d.jpg", "f"), ("11k_m_d.jpg", "m")] {
            std::fs::copy(jointscope_test_support::real_hand(name), photos.join(format!("{tag}{i}.jpg"))).unwrap();
        }
    }
    let data: PathBuf = dir.join("data");
    let mut args = vec!["synth", "--base-photos", photos.to_str().unwrap(), "--out", data.to_str().unwrap(), "--preset"];
    args.extend_from_slice(preset);
    args.extend_from_slice(&["--visits", "3", "--test-subjects", "6", "--max-side", "400", "--prevalence", "0.2"]);
    ok(&jointscope(&args));
    data
}

/// The benchmark of `preset` (extra options after it) in `dir`, trained briefly, evaluated on its
/// test subjects: (PR-AUC, its 95 % CI, ROC-AUC's CI, prevalence).
fn train_and_test(dir: &Path, preset: &[&str]) -> (f64, [f64; 2], [f64; 2], f64) {
    let data = benchmark(dir, preset);
    let run = dir.join("run");
    let (m, r) = (data.join("manifest.csv"), run.to_str().unwrap());
    ok(&jointscope(&[
        "train",
        "--manifest",
        m.to_str().unwrap(),
        "--run",
        r,
        "--global-size",
        "32",
        "--local-size",
        "32",
        "--width",
        "8",
        "--epochs",
        "4",
        "--backend",
        "flex",
        "--arch",
        "local",
        "--lr",
        "0.003",
    ]));
    ok(&jointscope(&["evaluate", "--run", r, "--manifest", data.join("test.csv").to_str().unwrap()]));
    let j = read_json(&run.join("eval-manifest-test/metrics.json"));
    let rep = &j["report"];
    let ci = |k: &str| [rep[k]["ci"][0].as_f64().unwrap(), rep[k]["ci"][1].as_f64().unwrap()];
    let prevalence = rep["positives"].as_f64().unwrap() / rep["n"].as_f64().unwrap();
    let out = (rep["pr_auc"]["value"].as_f64().unwrap(), ci("pr_auc"), ci("roc_auc"), prevalence);
    eprintln!("{preset:?}: PR-AUC {:.3} {:.3?}, ROC-AUC CI {:.3?}, prevalence {:.3}", out.0, out.1, out.2, out.3);
    out
}

/// `jointscope ablate --quick` of the real plan on the benchmark `data`, into `out`, with `extra`.
fn real_ablate(data: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let plan = jointscope_test_support::repo().join("crates/lab/plans/real-ablation.json");
    let args =
        ["ablate", "--quick", "--backend", "flex", "--benchmark", data.to_str().unwrap(), "--plan", plan.to_str().unwrap(), "--out", out.to_str().unwrap()];
    jointscope(&[&args[..], extra].concat())
}

#[test]
fn the_null_preset_trains_to_chance() {
    let dir = tempfile::tempdir().unwrap();
    let (pr, pr_ci, _, prevalence) = train_and_test(dir.path(), &["null"]);
    // Measured: PR-AUC 0.253 [0.128, 0.422] at prevalence 0.210. The prevalence must lie inside
    // the interval. (The ROC-AUC may sit a little above 0.5 without any leak: the default cohort
    // inflames MCP2-3 and PIP2-3 more often than other joints, and a crop shows which joint it is;
    // here its interval is [0.487, 0.650].)
    assert!(pr_ci[0] <= prevalence && prevalence <= pr_ci[1], "PR-AUC {pr:.3} {pr_ci:?}, prevalence {prevalence:.3}");
}

#[test]
fn painted_signs_are_learnt_by_the_same_training() {
    let dir = tempfile::tempdir().unwrap();
    let (pr, pr_ci, _, prevalence) = train_and_test(dir.path(), &["default", "--signal", "3"]);
    // Measured: PR-AUC 0.706 [0.465, 0.885] at prevalence 0.210.
    assert!(pr_ci[0] > prevalence, "PR-AUC {pr:.3} {pr_ci:?}, prevalence {prevalence:.3}");
}

#[test]
fn ablate_runs_the_real_rows_on_a_real_benchmark_pretraining_on_a_pool() {
    let dir = tempfile::tempdir().unwrap();
    let data = benchmark(dir.path(), &["default", "--signal", "3"]);
    let out = dir.path().join("ablation");
    let pool = jointscope_test_support::real_hands_dir();
    let args = ["--pool", pool.to_str().unwrap()];
    ok(&real_ablate(&data, &out, &args));
    let md = std::fs::read_to_string(out.join("ablation-real.md")).unwrap();
    for needle in [
        "| baseline |",
        "| +SSL |",
        "| SSL initialisation (main effect over the cross) | PR-AUC |",
        "| full |",
        "| full − baseline | PR-AUC |",
        "F1 @ F1-optimal",
        "At MediaPipe's joint positions",
        "| pretrained (masked) |",
    ] {
        assert!(md.contains(needle), "{needle} missing from:\n{md}");
    }
    // The pool: every one of the 11 committed photos tried once.
    let pools: Vec<_> = std::fs::read_dir(out.join("pools")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(pools.len(), 1);
    let located = std::fs::read_to_string(pools[0].join("located.csv")).unwrap();
    assert_eq!(located.lines().count(), 11);
    // Run again: everything is read from the cache, nothing trains or pretrains again.
    let written = || -> Vec<std::time::SystemTime> {
        let mut models: Vec<PathBuf> = std::fs::read_dir(out.join("runs")).unwrap().map(|e| e.unwrap().path().join("model.bpk")).collect();
        models.extend(std::fs::read_dir(out.join("pretrain")).unwrap().map(|e| e.unwrap().path().join("encoders.bpk")));
        models.sort();
        models.iter().map(|m| std::fs::metadata(m).unwrap().modified().unwrap()).collect()
    };
    let before = written();
    assert_eq!(before.len(), 9, "the cross's eight rows (MediaPipe's need larger crops than the quick model's) and one pretraining");
    ok(&real_ablate(&data, &out, &args));
    assert_eq!(written(), before);
    assert_eq!(std::fs::read_to_string(out.join("ablation-real.md")).unwrap(), md);
}

/// Weights trained on the painted benchmark of the committed photos say so in their export and in
/// what `detect` prints: simulated signs on healthy hands, not patients.
#[test]
fn weights_trained_on_painted_photos_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let data = benchmark(dir.path(), &["default"]);
    let (run, export) = (dir.path().join("run"), dir.path().join("export"));
    let r = run.to_str().unwrap();
    let m = data.join("manifest.csv");
    ok(&jointscope(&[&["train", "--manifest", m.to_str().unwrap(), "--run", r][..], &TINY, &["--arch", "local"]].concat()));
    ok(&jointscope(&["evaluate", "--run", r]));
    ok(&jointscope(&["export", "--run", r, "--out", export.to_str().unwrap()]));
    assert_eq!(read_json(&export.join("jointscope.json"))["training_photos"], "simulated-signs");
    let photo = jointscope_test_support::real_hand("11k_f_d.jpg");
    let t = ok(&jointscope(&["detect", "--weights", export.to_str().unwrap(), photo.to_str().unwrap()]));
    assert!(t.contains("; real healthy hands with simulated signs painted on, not patients)."), "{t}");
}

/// `--train-subjects N` trains on the first N of the benchmark's training subjects (images by
/// absolute path, the photos still told as simulated signs) and tests on the same test subjects.
#[test]
fn ablate_trains_on_the_first_n_training_subjects() {
    let dir = tempfile::tempdir().unwrap();
    let data = benchmark(dir.path(), &["default", "--signal", "3"]);
    let out = dir.path().join("ablation");
    ok(&real_ablate(&data, &out, &["--rows", "baseline", "--train-subjects", "8"]));
    let subjects =
        |m: &Path| -> std::collections::BTreeSet<String> { csv::Reader::from_path(m).unwrap().records().map(|r| r.unwrap()[1].to_string()).collect() };
    let cut: Vec<PathBuf> = std::fs::read_dir(out.join("cohorts")).unwrap().map(|e| e.unwrap().path().join("manifest.csv")).collect();
    assert_eq!(cut.len(), 1, "{cut:?}");
    let (kept, all) = (subjects(&cut[0]), subjects(&data.join("manifest.csv")));
    assert_eq!(kept.len(), 8);
    assert!(kept.is_subset(&all) && all.len() > 8, "{kept:?} of {all:?}");
    let first = csv::Reader::from_path(&cut[0]).unwrap().records().next().unwrap().unwrap()[0].to_string();
    assert!(Path::new(&first).is_absolute() && Path::new(&first).exists(), "{first}");
    let run = std::fs::read_dir(out.join("runs")).unwrap().next().unwrap().unwrap().path();
    assert_eq!(read_json(&run.join("model.json"))["training_photos"], "simulated-signs");
    assert_clean_failure(
        &real_ablate(&data, &out, &["--rows", "baseline", "--train-subjects", "99"]),
        "--train-subjects 99: the benchmark has 14 training subjects",
    );
}

/// `--versus-pool` pairs a pretrained row with the same row pretrained on another pool of the same
/// photos: per seed, the difference of the two runs' PR-AUC as each pool's own table prints it.
#[test]
fn ablate_pairs_a_pretrained_row_across_two_pools() {
    let dir = tempfile::tempdir().unwrap();
    let data = benchmark(dir.path(), &["default", "--signal", "3"]);
    let out = dir.path().join("ablation");
    let pool = jointscope_test_support::real_hands_dir();
    let table = |extra: &[&str]| -> String {
        let o = real_ablate(&data, &out, &[&["--rows", "+SSL", "--pool", pool.to_str().unwrap()], extra].concat());
        ok(&o);
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    let pr_auc = |md: &str| -> f64 {
        let line = md.lines().find(|l| l.starts_with("| +SSL | 0 |")).unwrap_or_else(|| panic!("no +SSL run in:\n{md}"));
        line.split('|').nth(5).unwrap().trim().parse().unwrap()
    };
    let (backs, every) = (table(&["--pool-view", "dorsal", "--versus-pool", "all"]), table(&[]));
    let line = backs.lines().find(|l| l.starts_with("| +SSL (real-pool-dorsal) − +SSL (real) | PR-AUC |")).unwrap_or_else(|| panic!("no pairing in:\n{backs}"));
    let per_seed: f64 = line.split('|').nth(5).unwrap().trim().parse().unwrap();
    assert!((per_seed - (pr_auc(&backs) - pr_auc(&every))).abs() <= 0.0015, "{line}\n{backs}\n{every}");
}

/// `--subjects-curve` gives, per size, the run each size's own table prints (its per-seed value is
/// that run's PR-AUC), the subjects the run was given, and a plot.
#[test]
fn the_subjects_curve_reads_the_runs_of_each_size() {
    let dir = tempfile::tempdir().unwrap();
    let data = benchmark(dir.path(), &["default", "--signal", "3"]);
    let out = dir.path().join("ablation");
    let printed = |extra: &[&str]| -> String {
        let o = real_ablate(&data, &out, &[&["--rows", "baseline", "--seeds", "0"], extra].concat());
        ok(&o);
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    let pr_auc = |md: &str| -> String {
        let line = md.lines().find(|l| l.starts_with("| baseline | 0 |")).unwrap_or_else(|| panic!("no baseline run in:\n{md}"));
        line.split('|').nth(5).unwrap().trim().to_string()
    };
    let (eight, all) = (pr_auc(&printed(&["--train-subjects", "8"])), pr_auc(&printed(&[])));
    let plot = dir.path().join("curve.png");
    let curve = printed(&["--subjects-curve", "8,all", "--plot", plot.to_str().unwrap()]);
    let line = curve.lines().find(|l| l.starts_with("| baseline |")).unwrap_or_else(|| panic!("no baseline line in:\n{curve}"));
    // 8 subjects given; all = the benchmark's 14 training subjects.
    assert!(curve.contains("| 8 subjects: test PR-AUC") && curve.contains("| 14 subjects: test PR-AUC"), "{curve}");
    let cells: Vec<&str> = line.split('|').map(str::trim).collect();
    assert!(cells[2].ends_with(&format!("({eight})")) && cells[3].ends_with(&format!("({all})")), "{line}: per seed {eight}, {all}");
    assert_eq!(image::image_dimensions(&plot).unwrap(), (640, 480));
}
