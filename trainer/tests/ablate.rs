//! `jointscope ablate` on the quick plan: every row, comparison and diagnostic, resumed after an interruption, and the folders it will not touch.
mod common;
use common::*;

#[test]
fn ablate_refuses_an_out_folder_whose_data_it_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ablation");
    std::fs::create_dir_all(out.join("cohorts/control")).unwrap();
    std::fs::write(out.join("cohorts/control/precious.txt"), "a user's file").unwrap();
    let o = jointscope(&["ablate", "--quick", "--preset", "control", "--backend", "flex", "--out", out.to_str().unwrap()]);
    assert_clean_failure(&o, "holds no synth.json");
    assert_eq!(std::fs::read_to_string(out.join("cohorts/control/precious.txt")).unwrap(), "a user's file");
}

#[test]
fn the_quick_ablation_reports_every_row_comparison_and_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ablation");
    ok(&jointscope(&["ablate", "--quick", "--preset", "ra-like", "--backend", "flex", "--out", out.to_str().unwrap()]));
    let md = std::fs::read_to_string(out.join("ablation-ra-like.md")).unwrap();
    for needle in [
        "| baseline |",
        "| +imbalance |",
        "| +SSL |",
        "| +global-local |",
        "| imbalance+SSL |",
        "| imbalance+global-local |",
        "| SSL+global-local |",
        "| full |",
        "| full + cut-keep |",
        "| full, contrastive pretraining |",
        "| oracle: baseline + true count of other inflamed joints in the hand |",
        "| full − baseline | PR-AUC |",
        "| SSL initialisation (main effect over the cross) | PR-AUC |",
        "| oracle context − baseline | PR-AUC |",
        "At MediaPipe's joint positions",
        "| pretrained (masked) |",
        "| fine-tuned baseline (supervised) |",
    ] {
        assert!(md.contains(needle), "{needle} missing from:\n{md}");
    }
}

/// `--rows baseline,full` gives its runs and their paired difference: at each seed, the difference
/// of the two runs' PR-AUC as the runs table prints them.
#[test]
fn a_partial_ablation_reports_the_paired_difference_of_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ablation");
    let md = quick_rows("control", "baseline,full", &out);
    assert_paired_difference(&md, "full", "baseline");
    assert!(!md.contains("table: "), "a partial ablation writes no table file:\n{md}");
}

/// An ablation killed as soon as its first run is cached, then restarted, ends with the figures of
/// one that ran without interruption.
#[test]
fn an_interrupted_ablation_resumes_to_the_same_results() {
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let args = quick_control;
    let whole = dir.path().join("whole");
    ok(&command().args(args(&whole)).output().unwrap());
    let resumed = dir.path().join("resumed");
    let cached = || std::fs::read_dir(resumed.join("runs")).map(|d| d.flatten().any(|e| e.path().join("ablation-run.json").exists())).unwrap_or(false);
    kill_when(&args(&resumed), cached, Duration::from_millis(20), "a run was cached");
    assert!(!resumed.join("ablation-control.json").exists(), "killed after it had finished");
    ok(&command().args(args(&resumed)).output().unwrap());
    assert_same_figures(&whole, &resumed, "after resuming");
}

/// An ablation killed three times, each time the moment a new file or folder appears in its cache
/// of runs (a checkpoint, a run's cached result, an evaluation: mid-write), and restarted each
/// time, ends with the figures of one that ran without interruption.
#[test]
fn an_ablation_killed_while_writing_its_cache_resumes_to_the_same_results() {
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    ok(&command().args(quick_control(&whole)).output().unwrap());
    let resumed = dir.path().join("resumed");
    let entries = |d: &std::path::Path| walkdir(d).len();
    for round in 0..3 {
        let before = entries(&resumed.join("runs"));
        kill_when(
            &quick_control(&resumed),
            || entries(&resumed.join("runs")) != before,
            Duration::from_millis(1),
            &format!("something was written (kill {round})"),
        );
    }
    assert!(!resumed.join("ablation-control.json").exists(), "killed after it had finished");
    ok(&command().args(quick_control(&resumed)).output().unwrap());
    assert_same_figures(&whole, &resumed, "after three kills");
}

/// Start `jointscope args` and kill it the moment `happened()` (checked every `poll`); fails if
/// the command ends first or it does not happen within 300 s.
fn kill_when(args: &[String], happened: impl Fn() -> bool, poll: std::time::Duration, what: &str) {
    use std::time::{Duration, Instant};
    let mut child = command().args(args).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    while !happened() {
        assert!(child.try_wait().unwrap().is_none(), "the ablation ended before {what}");
        assert!(Instant::now() < deadline, "not within 300 s: {what}");
        std::thread::sleep(poll);
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Every file and folder under `d` (none when it does not exist).
fn walkdir(d: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walkdir(&p));
        }
        out.push(p);
    }
    out
}

/// The quick `control` ablation into `out`, quietly.
fn quick_control(out: &std::path::Path) -> Vec<String> {
    ["ablate", "--quick", "--preset", "control", "--backend", "flex", "--quiet", "--out", out.to_str().unwrap()].map(String::from).to_vec()
}

/// The two ablations' reports (`ablation-control.json`) hold the same figures.
fn assert_same_figures(a: &std::path::Path, b: &std::path::Path, when: &str) {
    let (a, b) = (read_json(&a.join("ablation-control.json")), read_json(&b.join("ablation-control.json")));
    for key in ["rows", "differences", "oracle", "landmark_rows", "probes"] {
        assert_eq!(a[key], b[key], "{key} differs {when}");
    }
}

/// Two workers sharing one folder, each running every other command `--list-jobs` prints, at the
/// same time, leave the runs from which `ablate` prints the table of one worker alone (the cohorts
/// and pretrainings both need are prepared once, under a lock).
#[test]
fn two_workers_sharing_a_folder_give_the_table_of_one() {
    let dir = tempfile::tempdir().unwrap();
    let args = quick_control;
    let one = dir.path().join("one");
    ok(&command().args(args(&one)).output().unwrap());
    let shared = dir.path().join("shared");
    let listed = command().args(args(&shared)).arg("--list-jobs").output().unwrap();
    ok(&listed);
    let lines: Vec<String> = String::from_utf8_lossy(&listed.stdout).lines().map(String::from).collect();
    assert!(lines.len() >= 2 && lines.iter().enumerate().all(|(n, l)| l.contains(&format!(" --job {n}  # "))), "{lines:?}");
    assert!(!shared.join("runs").exists(), "--list-jobs trained something");
    let workers: Vec<_> = (0..2)
        .map(|w| {
            let mine: Vec<String> = lines.iter().skip(w).step_by(2).cloned().collect();
            std::thread::spawn(move || {
                for line in mine {
                    ok(&std::process::Command::new("sh").arg("-c").arg(&line).output().unwrap());
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    ok(&command().args(args(&shared)).output().unwrap());
    assert_same_figures(&one, &shared, "between one worker and two");
}

#[test]
fn a_job_beyond_the_list_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ablation");
    let o = jointscope(&["ablate", "--quick", "--preset", "control", "--backend", "flex", "--job", "9999", "--out", out.to_str().unwrap()]);
    assert_clean_failure(&o, "there is no job 9999");
}

/// The committed kept runs of the quick `control` ablation (trainer/tests/data/kept-ablation),
/// copied into `dir`: (the results folder, the table printed when they were trained).
fn kept_copy(dir: &std::path::Path) -> (std::path::PathBuf, String) {
    let src = jointscope_test_support::repo().join("trainer/tests/data/kept-ablation");
    let results = dir.join("kept");
    copy_tree(&src.join("control"), &results.join("control"));
    (results, std::fs::read_to_string(src.join("table.md")).unwrap())
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// The quick `control` ablation of baseline and full, keeping its runs in `results`.
fn quick_kept(results: &std::path::Path, out: &std::path::Path, rows: &str) -> std::process::Output {
    jointscope(&[
        "ablate",
        "--quick",
        "--preset",
        "control",
        "--backend",
        "flex",
        "--rows",
        rows,
        "--results",
        results.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
}

/// Where every run is kept, `ablate` prints the table the training printed, from the kept files
/// alone: no cohort is generated and nothing trains (OUT is never made).
#[test]
fn kept_runs_print_their_table_without_training() {
    let dir = tempfile::tempdir().unwrap();
    let (results, table) = kept_copy(dir.path());
    let out = dir.path().join("out");
    let o = quick_kept(&results, &out, "baseline,full");
    ok(&o);
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim_end(), table.trim_end());
    assert!(!out.exists(), "OUT was made: something was generated or trained");
}

/// A run trained with --results is kept there with its provenance and without weights.
#[test]
fn a_trained_run_is_kept_with_its_provenance_and_no_weights() {
    let dir = tempfile::tempdir().unwrap();
    let (results, out) = (dir.path().join("kept"), dir.path().join("out"));
    ok(&quick_kept(&results, &out, "baseline"));
    let slots: Vec<_> = std::fs::read_dir(results.join("control/baseline")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(slots.len(), 1, "{slots:?}");
    let slot = &slots[0];
    for f in ["ablation-run.json", "model.json", "history.csv", "split.json", "eval-cohort/predictions.csv", "eval-valid/predictions.csv"] {
        assert!(slot.join(f).exists(), "{f} not kept in {}", slot.display());
    }
    let provenance = read_json(&slot.join("provenance.json"));
    assert!(!provenance["commit"].as_str().unwrap().is_empty());
    assert_eq!(provenance["backend"], "flex");
    assert!(provenance["machine"]["vector_features"].is_array());
    let meta = read_json(&slot.join("model.json"));
    assert!(meta["threshold"].is_number() && meta.get("familiarity").is_none() && meta.get("appearance").is_none(), "model.json kept whole");
    let identity = read_json(&slot.join("ablation-run.json"))["identity"].as_str().unwrap().to_string();
    assert!(out.join("runs").join(&identity).join("model.bpk").exists(), "the weights stay in OUT under the run's identity");
    let mut files = Vec::new();
    collect(&results, &mut files);
    assert!(files.iter().all(|f| f.extension().is_none_or(|e| e != "bpk")), "weights kept: {files:?}");
}

fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { collect(&p, out) } else { out.push(p) }
    }
}

/// Where the data is present, a kept run made from other settings or data is refused, not mixed in.
#[test]
fn a_kept_run_of_another_identity_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (results, out) = (dir.path().join("kept"), dir.path().join("out"));
    ok(&quick_kept(&results, &out, "baseline"));
    let slot = std::fs::read_dir(results.join("control/baseline")).unwrap().next().unwrap().unwrap().path();
    let file = slot.join("ablation-run.json");
    let mut run = read_json(&file);
    run["identity"] = serde_json::json!("0123456789abcdef");
    std::fs::write(&file, serde_json::to_string(&run).unwrap()).unwrap();
    // `full` is not kept, so the cohorts are prepared and the kept baseline is checked against them.
    assert_clean_failure(&quick_kept(&results, &out, "baseline,full"), "holds a run of other settings or data");
}

/// `--rows baseline,+SSL` gives the single ingredient's paired difference against the baseline:
/// at each seed, the difference of the two runs' PR-AUC as the runs table prints them.
#[test]
fn a_single_ingredient_is_compared_with_the_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ablation");
    assert_paired_difference(&quick_rows("ra-like", "baseline,+SSL", &out), "+SSL", "baseline");
}

/// The quick ablation of `preset`'s `rows` into `out`: what it prints.
fn quick_rows(preset: &str, rows: &str, out: &std::path::Path) -> String {
    let o = jointscope(&["ablate", "--quick", "--preset", preset, "--backend", "flex", "--rows", rows, "--out", out.to_str().unwrap()]);
    ok(&o);
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// A partial table's `a − b` PR-AUC difference at seed 0 is the difference of the two runs' PR-AUC
/// as its runs table prints them (three values rounded to 0.001 each: they agree within 0.0015).
fn assert_paired_difference(md: &str, a: &str, b: &str) {
    let pr_auc = |row: &str| -> f64 {
        let line = md.lines().find(|l| l.starts_with(&format!("| {row} | 0 |"))).unwrap_or_else(|| panic!("no {row} run in:\n{md}"));
        line.split('|').nth(5).unwrap().trim().parse().unwrap()
    };
    let line = md.lines().find(|l| l.starts_with(&format!("| {a} − {b} | PR-AUC |"))).unwrap_or_else(|| panic!("no difference in:\n{md}"));
    let per_seed: f64 = line.split('|').nth(5).unwrap().trim().parse().unwrap();
    assert!((per_seed - (pr_auc(a) - pr_auc(b))).abs() <= 0.0015, "{line}\n{md}");
}
