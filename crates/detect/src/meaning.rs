//! What "flagged" means, in words a patient can use: how often the weights found an inflamed joint
//! and how often they flagged a healthy one, at their own threshold, on their run's test photos
//! ([`TestMetrics`](crate::sidecar::TestMetrics)). One sentence, the same for the CLI, the page
//! and the npm package, so the probability is never shown alone next to a verdict.
use crate::sidecar::{Sidecar, TestMetrics};
use jointscope_data::TrainingPhotos;

/// The sentence for weights with this sidecar.
pub fn flag_meaning(sidecar: &Sidecar) -> String {
    meaning(sidecar.test_metrics.as_ref(), sidecar.training_photos)
}

/// The sentence from the test evaluation (`None`: the weights carry none) and what the training
/// photos were (`None`: not recorded).
pub fn meaning(test: Option<&TestMetrics>, photos: Option<TrainingPhotos>) -> String {
    let Some(test) = test else {
        return "These weights carry no measurement on test photos, so how often a flag is right is unknown.".into();
    };
    let found = value(test, "sensitivity").map_or("an unknown share of the inflamed joints".to_string(), found_share);
    let false_flags = value(test, "specificity").map_or("an unknown share of the healthy ones".to_string(), |s| flagged_share(1.0 - s));
    let photos = photos.map_or("photos of a kind its files do not record", TrainingPhotos::words);
    format!(
        "Flagged means: at this setting the model found {found} in its test photos and also flagged {false_flags} \
         ({} patients, {} inflamed joints of {}; {photos}).",
        test.patients, test.inflamed, test.joints
    )
}

fn value(test: &TestMetrics, name: &str) -> Option<f64> {
    test.metrics.iter().find(|m| m.name == name)?.value.filter(|v| v.is_finite())
}

/// Sensitivity in tenths: "about 7 in 10 of the inflamed joints".
fn found_share(sensitivity: f64) -> String {
    let s = sensitivity.clamp(0.0, 1.0);
    let tenths = (s * 10.0).round() as u32;
    let share = match tenths {
        _ if s == 1.0 => "all".to_string(),
        10 => "nearly all".to_string(),
        0 if s > 0.0 => "fewer than 1 in 10".to_string(),
        0 => "none".to_string(),
        n => format!("about {n} in 10"),
    };
    format!("{share} of the inflamed joints")
}

/// The false-positive rate in hundredths: "about 5 in 100 of the healthy ones".
fn flagged_share(rate: f64) -> String {
    let r = rate.clamp(0.0, 1.0);
    let hundredths = (r * 100.0).round() as u32;
    let share = match hundredths {
        _ if r == 0.0 => "none".to_string(),
        0 => "fewer than 1 in 100".to_string(),
        _ if r == 1.0 => "all".to_string(),
        100 => "nearly all".to_string(),
        n => format!("about {n} in 100"),
    };
    format!("{share} of the healthy ones")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sidecar::MetricValue;

    fn test_metrics(sensitivity: Option<f64>, specificity: Option<f64>) -> TestMetrics {
        let m = |name: &str, value| MetricValue { name: name.into(), value, ci: None };
        TestMetrics { patients: 12, joints: 528, inflamed: 60, metrics: vec![m("F1", Some(0.5)), m("sensitivity", sensitivity), m("specificity", specificity)] }
    }

    #[test]
    fn synthetic_test_metrics_read_as_shares_and_say_drawn() {
        let t = test_metrics(Some(0.71), Some(0.952));
        assert_eq!(
            meaning(Some(&t), Some(TrainingPhotos::Drawn)),
            "Flagged means: at this setting the model found about 7 in 10 of the inflamed joints in its test photos and also \
             flagged about 5 in 100 of the healthy ones (12 patients, 60 inflamed joints of 528; drawn synthetic hands, not real ones)."
        );
    }

    #[test]
    fn real_labels_say_patients_hands() {
        let s = meaning(Some(&test_metrics(Some(0.5), Some(0.9))), Some(TrainingPhotos::RealLabels));
        assert!(
            s.ends_with("about 10 in 100 of the healthy ones (12 patients, 60 inflamed joints of 528; photos of patients' hands labelled at an examination)."),
            "{s}"
        );
    }

    #[test]
    fn simulated_signs_say_not_patients() {
        let s = meaning(Some(&test_metrics(Some(0.5), Some(0.9))), Some(TrainingPhotos::SimulatedSigns));
        assert!(s.ends_with("(12 patients, 60 inflamed joints of 528; real healthy hands with simulated signs painted on, not patients)."), "{s}");
    }

    #[test]
    fn unrecorded_photos_say_so() {
        let s = meaning(Some(&test_metrics(Some(0.5), Some(0.9))), None);
        assert!(s.ends_with("; photos of a kind its files do not record)."), "{s}");
    }

    #[test]
    fn no_test_metrics_say_unknown() {
        assert_eq!(meaning(None, Some(TrainingPhotos::Drawn)), "These weights carry no measurement on test photos, so how often a flag is right is unknown.");
    }

    #[test]
    fn undefined_sensitivity_says_unknown() {
        let s = meaning(Some(&test_metrics(None, Some(1.0))), Some(TrainingPhotos::Drawn));
        assert!(s.contains("found an unknown share of the inflamed joints") && s.contains("flagged none of the healthy ones"), "{s}");
    }

    #[test]
    fn the_package_readme_quotes_the_sentence_of_the_demos_figures() {
        // The demo's test figures (runs/demo/export/jointscope.json, 2026-12-06): sensitivity
        // 32/41 = 0.780, specificity 465/487 = 0.955; the README quotes their sentence.
        let t = TestMetrics { patients: 24, joints: 528, inflamed: 41, metrics: vec![] };
        let t = TestMetrics { metrics: test_metrics(Some(32.0 / 41.0), Some(465.0 / 487.0)).metrics, ..t };
        let readme = include_str!("../../../pkg/README.md").split_whitespace().collect::<Vec<_>>().join(" ");
        let sentence = meaning(Some(&t), Some(TrainingPhotos::Drawn));
        assert!(readme.contains(&format!("\"{sentence}\"")), "pkg/README.md does not quote {sentence:?}");
    }

    #[test]
    fn sensitivity_edges() {
        assert_eq!(found_share(1.0), "all of the inflamed joints");
        assert_eq!(found_share(0.96), "nearly all of the inflamed joints");
        assert_eq!(found_share(0.94), "about 9 in 10 of the inflamed joints");
        assert_eq!(found_share(0.04), "fewer than 1 in 10 of the inflamed joints");
        assert_eq!(found_share(0.0), "none of the inflamed joints");
    }

    #[test]
    fn false_positive_edges() {
        assert_eq!(flagged_share(0.0), "none of the healthy ones");
        assert_eq!(flagged_share(0.004), "fewer than 1 in 100 of the healthy ones");
        assert_eq!(flagged_share(0.015), "about 2 in 100 of the healthy ones");
        assert_eq!(flagged_share(0.996), "nearly all of the healthy ones");
        assert_eq!(flagged_share(1.0), "all of the healthy ones");
    }
}
