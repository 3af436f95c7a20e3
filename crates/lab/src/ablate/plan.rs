//! The plan file: the protocol an ablation follows (metrics, seeds, training, pretraining, rows),
//! read strictly, and the rows it names.
use anyhow::{Context, bail};
use jointscope_model::EncoderKind;
use jointscope_train::augment::Mix;
use jointscope_train::losses::LossKind;
use jointscope_train::pretrain::{self};
use jointscope_train::run;
use jointscope_train::train::Select;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The committed plan, as the binary was built with it.
pub const PLAN: &str = include_str!("../../plans/ablation-plan.json");

/// The ablation protocol (see `crates/lab/plans/ablation-plan.json` for what each field means).
/// A field the runner does not know is refused, so a misspelt setting cannot silently fall back.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub primary_metric: Metric,
    /// The table's metrics; the first is the one intervals and the patients curve report.
    pub metrics: Vec<Metric>,
    pub seeds: Vec<u64>,
    pub test_cohort: TestCohort,
    pub bootstrap_resamples: usize,
    pub training: PlanTraining,
    pub imbalance_loss: LossKind,
    pub pretraining: PlanPretraining,
    pub pretrained_fine_tuning: PlanFineTuning,
    pub global_local_context_dropout: f32,
    pub presets: BTreeMap<String, PresetPlan>,
    pub landmark_position_rows: Vec<String>,
    /// Prose for the reader of the plan file (what it is, what each row means, how a run is
    /// selected, the oracle, the null check); kept as written, never read by the runner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oracle: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub null_check: Option<serde_json::Value>,
}

/// A figure of the ablation's tables (serde names as the plans and reports write them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Metric {
    #[serde(rename = "PR-AUC")]
    PrAuc,
    #[serde(rename = "ROC-AUC")]
    RocAuc,
    /// At the threshold chosen on validation.
    #[serde(rename = "F1")]
    F1,
    #[serde(rename = "G-mean")]
    GMean,
    /// At the test set's own F1-optimal threshold (how far the chosen threshold is from the best).
    #[serde(rename = "F1 @ F1-optimal")]
    F1AtOptimal,
    #[serde(rename = "G-mean @ F1-optimal")]
    GMeanAtOptimal,
    #[serde(rename = "sensitivity")]
    Sensitivity,
    #[serde(rename = "specificity")]
    Specificity,
}

impl Metric {
    /// The name the tables print (the serde name).
    pub fn name(self) -> &'static str {
        match self {
            Metric::PrAuc => "PR-AUC",
            Metric::RocAuc => "ROC-AUC",
            Metric::F1 => "F1",
            Metric::GMean => "G-mean",
            Metric::F1AtOptimal => "F1 @ F1-optimal",
            Metric::GMeanAtOptimal => "G-mean @ F1-optimal",
            Metric::Sensitivity => "sensitivity",
            Metric::Specificity => "specificity",
        }
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestCohort {
    pub patients: usize,
    pub seed: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanTraining {
    pub epochs: usize,
    pub batch_images: usize,
    pub lr_grid: Vec<f64>,
    pub select: Select,
    pub patience: Option<usize>,
    pub warmup_steps: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanPretraining {
    pub objective: pretrain::Objective,
    pub epochs: usize,
    pub seeds: Vec<u64>,
    pub colour: f32,
    pub mask_ratio: f32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFineTuning {
    pub frozen_epochs: usize,
    pub encoder_lr_scale: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresetPlan {
    /// The 2×2×2 cross; otherwise baseline and full method only.
    pub cross: bool,
    pub extra_rows: Vec<String>,
}

impl Plan {
    /// The committed plan.
    pub fn committed() -> anyhow::Result<Plan> {
        serde_json::from_str(PLAN).context("crates/lab/plans/ablation-plan.json")
    }

    /// A plan file.
    pub fn read(path: &Path) -> anyhow::Result<Plan> {
        run::read_json(path)
    }

    /// A tiny version for tests: one seed, one learning rate, two epochs, small cohorts.
    pub fn quick(mut self) -> Plan {
        self.seeds.truncate(1);
        self.training.lr_grid.truncate(1);
        self.training.epochs = 2;
        self.training.warmup_steps = 2;
        self.pretraining.epochs = 1;
        self.pretraining.seeds.truncate(1);
        self.test_cohort.patients = 12;
        self.bootstrap_resamples = 50;
        // MediaPipe's encoder needs 64-pixel crops; the quick model's are smaller.
        for p in self.presets.values_mut() {
            p.extra_rows.retain(|r| !r.starts_with("MediaPipe"));
        }
        self
    }
}

/// One row of the table: what the model, loss, initialisation and mixing are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub name: String,
    pub imbalance: bool,
    /// Encoders pretrained with this objective (None: random initialisation).
    pub ssl: Option<pretrain::Objective>,
    pub global_local: bool,
    pub mix: Mix,
    /// How the encoders are built.
    #[serde(default)]
    pub encoder: EncoderKind,
    /// The encoders start from MediaPipe's hand network (with [`EncoderKind::Mediapipe`]).
    #[serde(default)]
    pub mediapipe_weights: bool,
    /// The row its paired difference is taken against.
    #[serde(default)]
    pub against: String,
}

/// The rows the plan lists for the benchmark `name` (a preset's, or `real`), in table order.
pub fn rows(plan: &Plan, name: &str) -> anyhow::Result<Vec<Row>> {
    let p = plan.presets.get(name).with_context(|| format!("the plan has no rows for the benchmark {name}"))?;
    let ssl = plan.pretraining.objective;
    let row = |name: &str, imbalance, with_ssl: bool, global_local, mix| Row {
        name: name.into(),
        imbalance,
        ssl: with_ssl.then_some(ssl),
        global_local,
        mix,
        encoder: EncoderKind::Plain,
        mediapipe_weights: false,
        against: "full".into(),
    };
    let mut out = vec![row("baseline", false, false, false, Mix::None)];
    if p.cross {
        out.extend([
            row("+imbalance", true, false, false, Mix::None),
            row("+SSL", false, true, false, Mix::None),
            row("+global-local", false, false, true, Mix::None),
            row("imbalance+SSL", true, true, false, Mix::None),
            row("imbalance+global-local", true, false, true, Mix::None),
            row("SSL+global-local", false, true, true, Mix::None),
        ]);
    }
    out.push(row("full", true, true, true, Mix::None));
    for extra in &p.extra_rows {
        out.push(match extra.as_str() {
            "full + cut-keep" => row(extra, true, true, true, Mix::CutKeep),
            "full, contrastive pretraining" => Row { ssl: Some(pretrain::Objective::Contrastive), ..row(extra, true, true, true, Mix::None) },
            // The baseline with MediaPipe's encoder: from Google's weights, and from random ones
            // (which separates what the weights bring from what the architecture brings).
            "MediaPipe init" => {
                Row { encoder: EncoderKind::Mediapipe, mediapipe_weights: true, against: "baseline".into(), ..row(extra, false, false, false, Mix::None) }
            }
            "MediaPipe init + imbalance + global-local" => {
                Row { encoder: EncoderKind::Mediapipe, mediapipe_weights: true, against: "MediaPipe init".into(), ..row(extra, true, false, true, Mix::None) }
            }
            // MediaPipe's encoder continued with the plan's self-supervised objective on the pool,
            // then fine-tuned as `MediaPipe init` is: the paper's ingredient on the one start that helps.
            "MediaPipe init + SSL" => Row { encoder: EncoderKind::Mediapipe, against: "MediaPipe init".into(), ..row(extra, false, true, false, Mix::None) },
            "MediaPipe architecture (random init)" => {
                Row { encoder: EncoderKind::Mediapipe, against: "baseline".into(), ..row(extra, false, false, false, Mix::None) }
            }
            other => bail!("the plan names an unknown row {other:?}"),
        });
    }
    Ok(out)
}
