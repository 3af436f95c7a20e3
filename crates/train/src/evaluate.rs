//! Evaluating a trained run: metrics with patient-clustered bootstrap 95 % intervals at the
//! threshold chosen on validation, a per-joint breakdown, calibration, predictions, and plots.
//! Each evaluation names its set (the run's test or validation patients, or another manifest) and
//! the weights it scored (their SHA-256), so nothing downstream mistakes one for another.
use crate::backend;
use crate::dataset::{Dataset, read_manifest};
use crate::plots;
use crate::predict::{Prediction, predict, scores_labels};
use crate::progress::Progress;
use crate::run::{self, RunDir};
use crate::train::{self, ModelMeta, RunConfig};
use anyhow::Context;
use jointscope_data::{Joint, Point, preprocess};
use jointscope_dataset::split::Part;
use jointscope_landmarks::{Complexity, HandLandmarker, Options};
use jointscope_metrics::{Confusion, Measure, Report, ece, report, roc_auc};
use jointscope_model::probability;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One photo's joints where MediaPipe put them.
type JointPositions = Vec<(Joint, Point)>;

/// Which photos an evaluation scores.
#[derive(Debug, Clone, PartialEq)]
pub enum Cohort {
    /// A part of the run's own patient-level split.
    Split(Part),
    /// Every photo of another manifest (another cohort).
    Manifest(PathBuf),
    /// Every photo of another manifest, under a name of the caller's choosing.
    Named(String, PathBuf),
}

impl Cohort {
    /// The set's name in files: `test`, `valid`, `manifest-<file stem>`, or the given name.
    pub fn name(&self) -> String {
        match self {
            Cohort::Split(Part::Test) => "test".into(),
            Cohort::Split(Part::Valid) => "valid".into(),
            Cohort::Split(Part::Train) => "train".into(),
            Cohort::Manifest(m) => format!("manifest-{}", m.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default()),
            Cohort::Named(name, _) => name.clone(),
        }
    }
}

/// Where the joints are cropped.
#[derive(Debug, Clone, PartialEq)]
pub enum Positions {
    /// At the manifest's positions (the truth, for the synthetic benchmark).
    Manifest,
    /// Where MediaPipe's hand landmarks put them, as `detect` and the page do (models from this
    /// folder, full complexity). A photo in which no hand is found keeps its joints, scored 0:
    /// its inflamed joints count as missed.
    Landmarks(PathBuf),
}

/// Landmark positions of the joints of every photo of a manifest (None: no hand found), cached in
/// `<manifest>.landmarks.csv` beside it (image, joint, x, y; a photo without a hand has one row
/// with empty joint and position).
fn landmark_positions(manifest: &Path, ds: &Dataset, models: &Path, progress: &dyn Progress) -> anyhow::Result<Vec<Option<JointPositions>>> {
    use std::collections::HashMap;
    let cache = manifest.with_extension("landmarks.csv");
    let mut found: HashMap<String, Option<Vec<(Joint, Point)>>> = HashMap::new();
    if let Ok(mut r) = csv::Reader::from_path(&cache) {
        for rec in r.records() {
            let rec = rec?;
            let entry = found.entry(rec[0].to_string()).or_insert_with(|| Some(Vec::new()));
            match (rec[1].parse::<Joint>(), rec[2].parse::<f32>(), rec[3].parse::<f32>()) {
                (Ok(j), Ok(x), Ok(y)) => entry.get_or_insert_with(Vec::new).push((j, Point::new(x, y))),
                _ => *entry = None,
            }
        }
    }
    let missing: Vec<usize> = (0..ds.photos.len()).filter(|&i| !found.contains_key(&ds.photos[i].entry.image)).collect();
    if !missing.is_empty() {
        let marker = HandLandmarker::from_dir(models, Complexity::Full, &burn::tensor::Device::flex(), Options::default())
            .context("loading the MediaPipe hand models (run scripts/fetch-models.sh, or pass --models)")?;
        progress.start("landmarks", missing.len() as u64);
        for &i in &missing {
            let p = &ds.photos[i];
            let hands = marker.detect_blocking(&p.image)?;
            found.insert(p.entry.image.clone(), crate::locate::pick_hand(&hands, p.entry.hand).map(|(h, _)| h.joints()));
            progress.step("");
        }
        progress.finish();
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["image", "joint", "x", "y"])?;
        let mut images: Vec<&String> = found.keys().collect();
        images.sort();
        for image in images {
            match &found[image] {
                Some(joints) => {
                    for (j, pt) in joints {
                        w.write_record([image.as_str(), j.name(), &format!("{:.3}", pt.x), &format!("{:.3}", pt.y)])?;
                    }
                }
                None => w.write_record([image.as_str(), "", "", ""])?,
            }
        }
        run::write_atomic(&cache, &w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?;
    }
    Ok(ds.photos.iter().map(|p| found.get(&p.entry.image).cloned().flatten()).collect())
}

/// Move every photo's joints to their landmark positions; returns the photos without a hand.
fn move_to_landmarks(ds: &mut Dataset, found: Vec<Option<Vec<(Joint, Point)>>>) -> Vec<usize> {
    let mut no_hand = Vec::new();
    for (i, (photo, joints)) in ds.photos.iter_mut().zip(found).enumerate() {
        let Some(joints) = joints else {
            no_hand.push(i);
            continue;
        };
        let at = |j: Joint| joints.iter().find(|(k, _)| *k == j).map(|(_, p)| *p);
        photo.labelled.iter_mut().for_each(|(j, pt, _)| *pt = at(*j).unwrap_or(*pt));
        photo.unlabelled.iter_mut().for_each(|(j, pt)| *pt = at(*j).unwrap_or(*pt));
        photo.scale = jointscope_data::geometry::hand_scale(&joints, photo.image.width(), photo.image.height());
        photo.located = joints;
    }
    no_hand
}

/// One joint's figures at the run's threshold (`None`: undefined on this joint's data).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JointRow {
    pub joint: String,
    pub n: usize,
    pub positives: usize,
    pub sensitivity: Option<f64>,
    pub specificity: Option<f64>,
    pub f1: Option<f64>,
    pub roc_auc: Option<f64>,
}

/// What `evaluate` writes to `metrics.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Evaluation {
    /// `test`, `valid` or `manifest-<stem>` ([`Cohort::name`]).
    pub set: String,
    /// The manifest the photos came from.
    pub manifest: String,
    /// Photos in which no hand was found (landmark positions only); their joints scored 0.
    #[serde(default)]
    pub photos_without_hand: usize,
    /// SHA-256 of the weights scored (`model.bpk` at the time).
    pub model_sha256: String,
    pub patients: usize,
    pub report: Report,
    /// Calibration error of the temperature-scaled probabilities.
    pub ece: f64,
    /// Calibration error before temperature scaling.
    pub ece_uncalibrated: f64,
    pub temperature: f32,
    pub per_joint: Vec<JointRow>,
    /// The verdict per hand under the run's hand rule (`None`: the run has none).
    #[serde(default)]
    pub hands: Option<HandEvaluation>,
}

/// The figures of the hand-level verdict: a hand is inflamed when any of its labelled joints is;
/// its score is the rule's form of its joints' probabilities; intervals resample patients.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HandEvaluation {
    pub rule: jointscope_data::HandRule,
    pub report: Report,
}

/// The hand-level figures of `preds` under `rule` with `resamples` patient-bootstrap draws.
fn hand_evaluation(ds: &Dataset, preds: &[Prediction], rule: jointscope_data::HandRule, resamples: usize) -> HandEvaluation {
    let hands = crate::calibrate::by_hand(preds);
    let scores: Vec<f32> = hands.iter().map(|h| rule.score.score(&h.probs).expect("a hand has a joint")).collect();
    let labels: Vec<bool> = hands.iter().map(|h| h.inflamed).collect();
    let clusters: Vec<String> = hands.iter().map(|h| ds.photos[h.photo].entry.patient_id.clone()).collect();
    HandEvaluation { rule, report: report(&scores, &labels, &clusters, rule.threshold, resamples, 1) }
}

/// Evaluate the run on `cohort` with joints cropped at `positions` and `resamples` bootstrap draws;
/// writes `metrics.json`, `.csv`, `per_joint.csv`, `predictions.csv` and the plots into the set's
/// folder ([`RunDir::eval`]; `<set>-landmarks` at landmark positions).
pub fn evaluate(run_dir: &Path, cohort: &Cohort, positions: &Positions, resamples: usize, progress: &dyn Progress) -> anyhow::Result<Evaluation> {
    let run = RunDir(run_dir.to_path_buf());
    run.require_trained()?;
    let config: RunConfig = run::read_json(&run.config())?;
    let meta: ModelMeta = run::read_json(&run.model_meta())?;
    let (mut ds, photos, manifest) = load_cohort(&run, &config, cohort, progress)?;
    let (set, no_hand) = match positions {
        Positions::Manifest => (cohort.name(), Vec::new()),
        Positions::Landmarks(models) => {
            let found = landmark_positions(&manifest, &ds, models, progress)?;
            (format!("{}-landmarks", cohort.name()), move_to_landmarks(&mut ds, found))
        }
    };
    let (photos, missed): (Vec<usize>, Vec<usize>) = photos.into_iter().partition(|i| !no_hand.contains(i));
    let manifest = manifest.display().to_string();
    let selected = backend::select(config.backend, progress)?;
    let weights = std::fs::read(run.model()).with_context(|| format!("reading {}", run.model().display()))?;
    let model_sha256 = jointscope_detect::sidecar::sha256(&weights);
    let model = meta.model.load(weights, &selected.device).with_context(|| format!("loading {}", run.model().display()))?;
    let mut preds = predict(&model, &meta.model, &ds, &photos, &selected.device, meta.temperature)?;
    preds.extend(missed_predictions(&ds, &missed));
    if preds.is_empty() {
        anyhow::bail!("the {set} set has no labelled joints to evaluate");
    }
    let (s, l) = scores_labels(&preds);
    let clusters: Vec<String> = preds.iter().map(|p| ds.photos[p.photo].entry.patient_id.clone()).collect();
    let rep = report(&s, &l, &clusters, meta.threshold, resamples, 0);
    let per_joint = per_joint_rows(&preds, meta.threshold);
    let raw: Vec<f32> = preds.iter().map(|p| probability(p.logit, 1.0)).collect();
    let eval = Evaluation {
        set,
        manifest,
        photos_without_hand: missed.len(),
        model_sha256,
        patients: clusters.iter().collect::<std::collections::BTreeSet<_>>().len(),
        report: rep,
        ece: ece(&s, &l, 10),
        ece_uncalibrated: ece(&raw, &l, 10),
        temperature: meta.temperature,
        per_joint,
        hands: meta.hand_rule.map(|rule| hand_evaluation(&ds, &preds, rule, resamples)),
    };
    let dir = run.eval(&eval.set);
    write_outputs(&dir, &ds, &preds, &eval, meta.threshold)?;
    plots::roc_pr(&dir, &s, &l)?;
    cam_examples(&dir, &ds, &preds, meta.threshold)?;
    Ok(eval)
}

/// The cohort's dataset, the photos of it to score and the manifest it came from.
fn load_cohort(run: &RunDir, config: &RunConfig, cohort: &Cohort, progress: &dyn Progress) -> anyhow::Result<(Dataset, Vec<usize>, PathBuf)> {
    Ok(match cohort {
        Cohort::Manifest(m) | Cohort::Named(_, m) => {
            let manifest = read_manifest(m)?;
            let ds = Dataset::load(&manifest, progress)?;
            let all = (0..ds.photos.len()).collect();
            (ds, all, m.clone())
        }
        Cohort::Split(part) => {
            let (ds, split) = train::load_data(run, config, progress)?;
            let ids = ds.part(&split, *part);
            (ds, ids, config.manifest.clone())
        }
    })
}

/// The joints of photos where no hand was found, scored 0, so an inflamed one counts as missed.
fn missed_predictions(ds: &Dataset, missed: &[usize]) -> Vec<Prediction> {
    let side = jointscope_model::FEATURE_SIDE * jointscope_model::FEATURE_SIDE;
    missed
        .iter()
        .flat_map(|&i| ds.photos[i].labelled.iter().map(move |&(joint, _, target)| (i, joint, target)))
        .map(|(photo, joint, target)| Prediction { photo, joint, target, prob: 0.0, logit: f32::NEG_INFINITY, cam: vec![0.0; side], pooled: Vec::new() })
        .collect()
}

/// Sensitivity, specificity, F1 and ROC-AUC of each joint that has predictions, at `threshold`.
fn per_joint_rows(preds: &[Prediction], threshold: f32) -> Vec<JointRow> {
    Joint::ALL
        .iter()
        .filter_map(|&j| {
            let (js, jl): (Vec<f32>, Vec<bool>) = preds.iter().filter(|p| p.joint == j).map(|p| (p.prob, p.target > 0.5)).unzip();
            if js.is_empty() {
                return None;
            }
            let c = Confusion::at(&js, &jl, threshold);
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
        .collect()
}

/// `cam.png`: activation maps of the most confident hits, false alarms and misses.
fn cam_examples(dir: &Path, ds: &Dataset, preds: &[Prediction], threshold: f32) -> anyhow::Result<()> {
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
    plots::cam_grid(&dir.join("cam.png"), "Class-activation maps: confident hits, false alarms, misses (red = evidence of inflammation)", &tiles)
}

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map(|x| format!("{x:.decimals$}")).unwrap_or_default()
}

fn write_outputs(dir: &Path, ds: &Dataset, preds: &[Prediction], eval: &Evaluation, threshold: f32) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    run::write_json(&dir.join("metrics.json"), eval)?;
    // Undefined values and intervals are empty cells.
    let mut csv = String::from("metric,value,ci_low,ci_high\n");
    for (name, e) in eval.report.rows() {
        writeln!(csv, "{name},{},{},{}", opt(e.value, 6), opt(e.ci.map(|c| c.0), 6), opt(e.ci.map(|c| c.1), 6))?;
    }
    writeln!(csv, "ECE,{:.6},,", eval.ece)?;
    writeln!(csv, "ECE_uncalibrated,{:.6},,", eval.ece_uncalibrated)?;
    run::write_atomic(&dir.join("metrics.csv"), csv.as_bytes())?;
    let mut pj = String::from("joint,n,positives,sensitivity,specificity,f1,roc_auc\n");
    for r in &eval.per_joint {
        writeln!(pj, "{},{},{},{},{},{},{}", r.joint, r.n, r.positives, opt(r.sensitivity, 4), opt(r.specificity, 4), opt(r.f1, 4), opt(r.roc_auc, 4))?;
    }
    run::write_atomic(&dir.join("per_joint.csv"), pj.as_bytes())?;
    let mut pr = csv::Writer::from_writer(Vec::new());
    for p in preds {
        let photo = &ds.photos[p.photo];
        let pt = photo.labelled.iter().find(|l| l.0 == p.joint).map(|l| l.1).expect("predicted joints are labelled");
        pr.serialize(PredictionRow {
            image: photo.entry.image.clone(),
            patient_id: photo.entry.patient_id.clone(),
            joint: p.joint.name().to_string(),
            x: pt.x,
            y: pt.y,
            label: p.target as u8,
            probability: p.prob,
            inflamed: u8::from(p.prob >= threshold),
        })?;
    }
    let bytes = pr.into_inner().map_err(|e| anyhow::anyhow!("writing predictions.csv: {e}"))?;
    Ok(run::write_atomic(&dir.join("predictions.csv"), &bytes)?)
}

/// One row of an evaluation's `predictions.csv`: a labelled joint, where it is (2 decimals), its
/// truth (1 = inflamed), the calibrated probability and the verdict at the run's threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionRow {
    pub image: String,
    pub patient_id: String,
    pub joint: String,
    #[serde(serialize_with = "run::fixed::<2, _, _>")]
    pub x: f32,
    #[serde(serialize_with = "run::fixed::<2, _, _>")]
    pub y: f32,
    pub label: u8,
    /// Written with 7 decimals: within 5e-8 of the computed value.
    #[serde(serialize_with = "run::fixed::<7, _, _>")]
    pub probability: f32,
    pub inflamed: u8,
}

/// The rows of a `predictions.csv`, read by their column names.
pub fn read_predictions(path: &Path) -> anyhow::Result<Vec<PredictionRow>> {
    let mut r = csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    r.deserialize().collect::<Result<_, _>>().with_context(|| format!("reading {}", path.display()))
}

/// The metrics as a text table.
pub fn table(eval: &Evaluation, threshold: f32) -> String {
    let r = &eval.report;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} set: {} joints ({} inflamed) of {} patients; threshold {:.3} (chosen on validation)",
        eval.set, r.n, r.positives, eval.patients, threshold
    );
    let ci_head = if r.resamples > 0 { format!("95% CI ({} patient-bootstrap resamples)", r.resamples) } else { "no intervals (0 resamples)".into() };
    let _ = writeln!(s, "  {:<12} {:>9}   {ci_head}", "metric", "value");
    for (name, e) in r.rows() {
        let value = e.value.map(|v| format!("{v:.3}")).unwrap_or("undefined".into());
        let ci = match (e.value, e.ci) {
            (None, _) => format!("({})", why_undefined(name, r)),
            (Some(_), Some((lo, hi))) => format!("[{lo:.3}, {hi:.3}]"),
            (Some(_), None) if r.resamples > 0 => "(undefined in every resample)".into(),
            (Some(_), None) => String::new(),
        };
        let _ = writeln!(s, "  {name:<12} {value:>9}   {ci}");
    }
    let _ = writeln!(s, "  {:<12} {:>9.3}   (before temperature scaling {:.3}; T = {:.2})", "ECE", eval.ece, eval.ece_uncalibrated, eval.temperature);
    let c = r.confusion;
    let _ = writeln!(s, "  confusion: TP {} FP {} TN {} FN {}", c.tp, c.fp, c.tn, c.fn_);
    if let Some(h) = &eval.hands {
        let _ = writeln!(
            s,
            "hands: {} ({} with an inflamed joint); a hand is flagged when its {} of joint probabilities is at least {:.3} (chosen on validation)",
            h.report.n,
            h.report.positives,
            match h.rule.score {
                jointscope_data::HandScore::Max => "largest",
                jointscope_data::HandScore::NoisyOr => "noisy-OR",
            },
            h.rule.threshold
        );
        for m in [Measure::RocAuc, Measure::PrAuc, Measure::Sensitivity, Measure::Specificity] {
            let e = h.report.get(m);
            let value = e.value.map_or("undefined".to_string(), |v| format!("{v:.3}"));
            let ci = e.ci.map_or(String::new(), |(lo, hi)| format!("[{lo:.3}, {hi:.3}]"));
            let _ = writeln!(s, "  {:<12} {value:>9}   {ci}", m.name());
        }
    }
    s
}

/// Why a metric has no value on this set.
fn why_undefined(name: &str, r: &Report) -> &'static str {
    let (pos, neg) = (r.positives, r.n - r.positives);
    match name {
        "precision" => "nothing predicted inflamed",
        _ if pos == 0 => "no inflamed joints in this set",
        _ if neg == 0 => "no healthy joints in this set",
        _ => "not defined on this set",
    }
}
