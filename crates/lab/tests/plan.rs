//! Plan files fail loudly: a misspelt setting or an unknown metric is refused with its name, where
//! it used to be ignored (early stopping silently off) or printed as NaN.
use jointscope_lab::ablate::{Metric, Plan};

/// The committed plan's text with `from` replaced by `to` (which must occur once).
fn edited(from: &str, to: &str) -> String {
    let plan = include_str!("../plans/pretraining-test.json");
    assert_eq!(plan.matches(from).count(), 1, "{from} once in the plan");
    plan.replace(from, to)
}

/// Parse `text` as a plan file (through the runner's own reader), returning the error's chain.
fn read(text: &str) -> Result<Plan, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    std::fs::write(&path, text).unwrap();
    Plan::read(&path).map_err(|e| format!("{e:#}"))
}

#[test]
fn every_committed_plan_is_read() {
    for (name, text) in [
        ("ablation-plan", include_str!("../plans/ablation-plan.json")),
        ("real-ablation", include_str!("../plans/real-ablation.json")),
        ("pretraining-test", include_str!("../plans/pretraining-test.json")),
    ] {
        let plan = read(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(plan.metrics[0], Metric::PrAuc, "{name}");
    }
}

#[test]
fn a_misspelt_training_setting_is_refused_by_name() {
    let e = read(&edited("\"patience\"", "\"patinece\"")).unwrap_err();
    assert!(e.contains("unknown field `patinece`"), "{e}");
}

#[test]
fn an_unknown_top_level_field_is_refused_by_name() {
    let e = read(&edited("\"bootstrap_resamples\"", "\"bootstrap_resample\"")).unwrap_err();
    assert!(e.contains("unknown field `bootstrap_resample`"), "{e}");
}

#[test]
fn an_unknown_metric_is_refused_by_name() {
    let e = read(&edited("\"G-mean @ F1-optimal\"", "\"G-mean @ F1 optimal\"")).unwrap_err();
    assert!(e.contains("unknown variant `G-mean @ F1 optimal`"), "{e}");
}

#[test]
fn metrics_keep_the_names_the_plans_and_reports_write() {
    let all = [
        (Metric::PrAuc, "PR-AUC"),
        (Metric::RocAuc, "ROC-AUC"),
        (Metric::F1, "F1"),
        (Metric::GMean, "G-mean"),
        (Metric::F1AtOptimal, "F1 @ F1-optimal"),
        (Metric::GMeanAtOptimal, "G-mean @ F1-optimal"),
        (Metric::Sensitivity, "sensitivity"),
        (Metric::Specificity, "specificity"),
    ];
    for (m, name) in all {
        assert_eq!(serde_json::to_string(&m).unwrap(), format!("\"{name}\""));
        assert_eq!(m.name(), name);
    }
}
