//! How many patients a clinic must photograph: the plan's primary metric of an ablation's rows
//! after training on the first N of a real benchmark's training subjects, for several N, read
//! from the results folder (or trained where missing), as a table and a plot.
use crate::ablate::{self, AblateConfig, RealBenchmark};
use anyhow::Context;
use jointscope_train::plots::{self, IntervalSeries};
use jointscope_train::progress::Progress;
use jointscope_train::run;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// One row at one training-set size.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    pub row: String,
    /// `--train-subjects` (None: all of the benchmark's training subjects).
    pub asked: Option<usize>,
    /// The subjects the runs were given (training, validation and their own test split), counted
    /// from the first seed's kept split.
    pub subjects: usize,
    /// Per seed, the mean over seeds and its 95 % interval (seeds and test patients resampled).
    pub figure: ablate::Difference,
    /// The test cohort's share of inflamed joints (the metric's chance level for PR-AUC).
    pub prevalence: f64,
}

/// The curve of `c`'s rows (the plan's or `c.only`) and seeds over `sizes` (None: all subjects).
pub fn curve(c: &AblateConfig, sizes: &[Option<usize>], progress: &dyn Progress) -> anyhow::Result<Vec<Point>> {
    let real = c.real.as_ref().context("the patients curve needs a real benchmark (--benchmark)")?;
    let (rows, seeds) = ablate::rows_and_seeds(c)?;
    let names = &c.plan.metrics;
    let mut points = Vec::new();
    for &asked in sizes {
        let c = AblateConfig { real: Some(RealBenchmark { train_subjects: asked, ..real.clone() }), ..c.clone() };
        let (runs, _) = ablate::gather(&c, &rows, &seeds, progress)?;
        let selected = ablate::select(&runs);
        let chosen = ablate::chosen_runs(&rows, &seeds, &selected)?;
        for row in &rows {
            let sel: Vec<&ablate::Selected> = chosen[&row.name].iter().collect();
            let figure = ablate::resampled(&sel, None, 0, names, c.plan.bootstrap_resamples, 29);
            let subjects = subjects_given(&selected[&(row.name.clone(), seeds[0])].dir)?;
            points.push(Point { row: row.name.clone(), asked, subjects, figure, prevalence: sel[0].prevalence() });
        }
    }
    Ok(points)
}

/// The patients of a run's split (training, validation and its own test).
fn subjects_given(dir: &Path) -> anyhow::Result<usize> {
    let path = run::RunDir(dir.to_path_buf()).split();
    let s: jointscope_dataset::split::Split = run::read_json(&path).with_context(|| format!("the split of {}", dir.display()))?;
    Ok(s.train.len() + s.valid.len() + s.test.len())
}

/// The curve as Markdown: one line per row, one column per size.
pub fn table(points: &[Point], metric: &str) -> String {
    let mut sizes: Vec<usize> = points.iter().map(|p| p.subjects).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let mut rows: Vec<&str> = Vec::new();
    for p in points {
        if !rows.contains(&p.row.as_str()) {
            rows.push(&p.row);
        }
    }
    let mut s = format!(
        "| row | {} |\n|---|{}\n",
        sizes.iter().map(|n| format!("{n} subjects: test {metric} [95 % CI] (per seed)")).collect::<Vec<_>>().join(" | "),
        "---|".repeat(sizes.len())
    );
    for row in rows {
        let cells: Vec<String> = sizes
            .iter()
            .map(|&n| match points.iter().find(|p| p.row == row && p.subjects == n) {
                Some(p) => {
                    let seeds: Vec<String> = p.figure.per_seed.iter().map(|v| format!("{v:.3}")).collect();
                    format!("{:.3} [{:.3}, {:.3}] ({})", p.figure.mean, p.figure.ci.0, p.figure.ci.1, seeds.join(", "))
                }
                None => String::new(),
            })
            .collect();
        let _ = writeln!(s, "| {row} | {} |", cells.join(" | "));
    }
    if let Some(p) = points.first() {
        let _ = writeln!(s, "\nTest prevalence (chance for PR-AUC): {:.3}; intervals resample seeds and test patients.", p.prevalence);
    }
    s
}

/// The curve as a PNG: per row, the mean over seeds against the subjects given, with its interval.
pub fn plot(points: &[Point], metric: &str, path: &Path) -> anyhow::Result<()> {
    let mut series: Vec<IntervalSeries> = Vec::new();
    for p in points {
        let at = (p.subjects as f64, p.figure.mean, p.figure.ci.0, p.figure.ci.1);
        match series.iter_mut().find(|s| s.name == p.row) {
            Some(s) => s.points.push(at),
            None => series.push(IntervalSeries { name: p.row.clone(), points: vec![at] }),
        }
    }
    let max_x = points.iter().map(|p| p.subjects).max().unwrap_or(1) as f64;
    let chance = points.first().map(|p| p.prevalence);
    plots::interval_chart(
        path,
        "How many patients: simulated signs on real hands",
        "subjects given",
        &format!("test {metric}"),
        (0.0, max_x * 1.1),
        &series,
        chance,
    )
}
