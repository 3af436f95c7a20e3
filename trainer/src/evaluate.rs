//! Evaluating a trained run: metrics with patient-clustered bootstrap 95 % intervals at the
//! threshold chosen on validation, a per-joint breakdown, calibration, predictions, and plots.
use crate::backend;
use crate::dataset::{Dataset, read_manifest};
use crate::run::{self, RunDir};
use crate::train::{self, ModelMeta, Prediction, RunConfig, scores_labels};
use anyhow::Context;
use crate::plots;
use jointscope_data::{Joint, preprocess};
use jointscope_data::split::Part;
use jointscope_metrics::{Confusion, Report, ece, report, roc_auc};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::Path;

/// One joint's figures at the run's threshold.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JointRow {
    pub joint: String,
    pub n: usize,
    pub positives: usize,
    pub sensitivity: f64,
    pub specificity: f64,
    pub f1: f64,
    pub roc_auc: Option<f64>,
}

/// What `evaluate` writes to `eval/metrics.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Evaluation {
    pub part: String,
    pub report: Report,
    /// Calibration error of the temperature-scaled probabilities.
    pub ece: f64,
    /// Calibration error before temperature scaling.
    pub ece_uncalibrated: f64,
    pub temperature: f32,
    pub per_joint: Vec<JointRow>,
    pub bootstrap_resamples: usize,
}

/// Evaluate the run on its test split, or on every photo of `manifest` when given.
pub fn evaluate(run_dir: &Path, manifest: Option<&Path>, part: Part, resamples: usize, quiet: bool) -> anyhow::Result<Evaluation> {
    let run = RunDir(run_dir.to_path_buf());
    run.require_trained()?;
    let config: RunConfig = run::read_json(&run.config())?;
    let meta: ModelMeta = run::read_json(&run.model_meta())?;
    let (ds, photos, part_name) = match manifest {
        Some(m) => {
            let manifest = read_manifest(m)?;
            let ds = Dataset::load(&manifest, &|| {})?;
            let all = (0..ds.photos.len()).collect();
            (ds, all, format!("all of {}", m.display()))
        }
        None => {
            let (ds, split) = train::load_data(&run, &config, quiet)?;
            let ids = ds.part(&split, part);
            (ds, ids, format!("{part:?}").to_lowercase())
        }
    };
    let selected = backend::select(config.backend)?;
    let model = run::load_model_file(&meta.model, &run.model(), &selected.device)?;
    let preds = train::predict(&model, &meta.model, &ds, &photos, &selected.device, 16, meta.temperature)?;
    if preds.is_empty() {
        anyhow::bail!("the {part_name} set has no labelled joints to evaluate");
    }
    let (s, l) = scores_labels(&preds);
    let clusters: Vec<String> = preds.iter().map(|p| ds.photos[p.photo].entry.patient_id.clone()).collect();
    let rep = report(&s, &l, &clusters, meta.threshold, resamples, 0);
    let per_joint = Joint::ALL
        .iter()
        .filter_map(|&j| {
            let (js, jl): (Vec<f32>, Vec<bool>) = preds.iter().filter(|p| p.joint == j).map(|p| (p.prob, p.target > 0.5)).unzip();
            if js.is_empty() {
                return None;
            }
            let c = Confusion::at(&js, &jl, meta.threshold);
            Some(JointRow {
                joint: j.name().into(),
                n: js.len(),
                positives: jl.iter().filter(|y| **y).count(),
                sensitivity: c.sensitivity(),
                specificity: c.specificity(),
                f1: c.f1(),
                roc_auc: roc_auc(&js, &jl),
            })
        })
        .collect();
    let raw: Vec<f32> = preds.iter().map(|p| 1.0 / (1.0 + (-p.logit).exp())).collect();
    let eval = Evaluation {
        part: part_name,
        report: rep,
        ece: ece(&s, &l, 10),
        ece_uncalibrated: ece(&raw, &l, 10),
        temperature: meta.temperature,
        per_joint,
        bootstrap_resamples: resamples,
    };
    write_outputs(&run, &ds, &preds, &eval, meta.threshold)?;
    crate::plots::roc_pr(&run.plots(), &s, &l)?;
    cam_examples(&run, &ds, &preds, meta.threshold)?;
    Ok(eval)
}

/// `plots/cam.png`: activation maps of the most confident hits, false alarms and misses.
fn cam_examples(run: &RunDir, ds: &Dataset, preds: &[Prediction], threshold: f32) -> anyhow::Result<()> {
    let mut order: Vec<&Prediction> = preds.iter().collect();
    order.sort_by(|a, b| b.prob.total_cmp(&a.prob));
    let hits = order.iter().filter(|p| p.target > 0.5 && p.prob >= threshold).take(6);
    let alarms = order.iter().filter(|p| p.target < 0.5 && p.prob >= threshold).take(6);
    let misses = order.iter().rev().filter(|p| p.target > 0.5 && p.prob < threshold).take(6);
    let side = 112;
    let tiles: Vec<plots::CamTile> = hits
        .chain(alarms)
        .chain(misses)
        .map(|p| {
            let photo = &ds.photos[p.photo];
            let pt = photo.labelled.iter().find(|l| l.0 == p.joint).map(|l| l.1).expect("predicted joints are labelled");
            let crop = preprocess::joint_view(&photo.image, pt, photo.scale, side, &preprocess::Jitter::NONE);
            plots::CamTile {
                rgb: preprocess::to_rgb8(&crop, side),
                side,
                cam: p.cam.clone(),
                caption: format!("{} {}\ntruth {} · p = {:.2}", photo.entry.patient_id, p.joint.name(), p.target as u8, p.prob),
            }
        })
        .collect();
    plots::cam_grid(
        &run.plots().join("cam.png"),
        "Class-activation maps: confident hits, false alarms, misses (red = evidence of inflammation)",
        &tiles,
    )
}

fn write_outputs(run: &RunDir, ds: &Dataset, preds: &[Prediction], eval: &Evaluation, threshold: f32) -> anyhow::Result<()> {
    let dir = run.eval();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    run::write_json(&dir.join("metrics.json"), eval)?;
    let mut csv = String::from("metric,value,ci_low,ci_high\n");
    for (name, e) in eval.report.rows() {
        writeln!(csv, "{name},{:.6},{:.6},{:.6}", e.value, e.lo, e.hi)?;
    }
    writeln!(csv, "ECE,{:.6},,", eval.ece)?;
    writeln!(csv, "ECE_uncalibrated,{:.6},,", eval.ece_uncalibrated)?;
    run::write_atomic(&dir.join("metrics.csv"), csv.as_bytes())?;
    let mut pj = String::from("joint,n,positives,sensitivity,specificity,f1,roc_auc\n");
    for r in &eval.per_joint {
        writeln!(
            pj,
            "{},{},{},{:.4},{:.4},{:.4},{}",
            r.joint,
            r.n,
            r.positives,
            r.sensitivity,
            r.specificity,
            r.f1,
            r.roc_auc.map(|a| format!("{a:.4}")).unwrap_or_default()
        )?;
    }
    run::write_atomic(&dir.join("per_joint.csv"), pj.as_bytes())?;
    let mut pr = String::from("image,patient_id,joint,x,y,label,probability,inflamed\n");
    for p in preds {
        let photo = &ds.photos[p.photo];
        let pt = photo.labelled.iter().find(|l| l.0 == p.joint).map(|l| l.1).expect("predicted joints are labelled");
        writeln!(
            pr,
            "{},{},{},{:.2},{:.2},{},{:.7},{}",
            photo.entry.image,
            photo.entry.patient_id,
            p.joint.name(),
            pt.x,
            pt.y,
            p.target as u8,
            p.prob,
            u8::from(p.prob >= threshold)
        )?;
    }
    run::write_atomic(&dir.join("predictions.csv"), pr.as_bytes())
}

/// The metrics as a text table.
pub fn table(eval: &Evaluation, threshold: f32) -> String {
    let r = &eval.report;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} set: {} joints, {} inflamed; threshold {:.3} (chosen on validation)",
        eval.part, r.n, r.positives, threshold
    );
    let _ = writeln!(s, "  {:<12} {:>7}   {:<17}", "metric", "value", "95% CI (bootstrap)");
    for (name, e) in r.rows() {
        let _ = writeln!(s, "  {:<12} {:>7.3}   [{:.3}, {:.3}]", name, e.value, e.lo, e.hi);
    }
    let _ = writeln!(s, "  {:<12} {:>7.3}   (before temperature scaling {:.3}; T = {:.2})", "ECE", eval.ece, eval.ece_uncalibrated, eval.temperature);
    let c = r.confusion;
    let _ = writeln!(s, "  confusion: TP {} FP {} TN {} FN {}", c.tp, c.fp, c.tn, c.fn_);
    s
}
