//! The classifier with its sidecar: weights are checked before use, bad ones refused with what
//! differs, and every verdict is consistent with the model's own outputs.
use burn::module::Module;
use burn::tensor::Device;
use image::{Rgb, RgbImage};
use jointscope_data::{DataSummary, Joint, Point};
use jointscope_detect::sidecar::{InputSpec, WeightsInfo, sha256};
use jointscope_detect::{Classifier, DetectError, FORMAT_VERSION, NOTICE, Sidecar, rgba_to_rgb};
use jointscope_model::{Arch, ModelConfig};
use rand::{Rng, SeedableRng};

fn summary() -> DataSummary {
    DataSummary { manifest: "m.csv".into(), images: 2, patients: 1, labelled_joints: 22, inflamed_joints: 3, prevalence: 3.0 / 22.0, images_with_all_joints: 2 }
}

/// Freshly initialised weights of `arch` (small sizes) and a sidecar that describes them.
fn export(arch: Arch) -> (Vec<u8>, Vec<u8>) {
    let model = ModelConfig { arch, global_size: 32, local_size: 32, width: 8, ..ModelConfig::default() };
    let device = Device::flex();
    // The backend's generator is shared by the tests running in parallel: seed and draw under a lock
    // so every test gets the same weights.
    static INIT: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let (net, weights) = {
        let _guard = INIT.lock().unwrap_or_else(|e| e.into_inner());
        device.seed(7);
        let net = model.init(&device).unwrap().with_initial_logit(-1.5);
        // Parameters are drawn lazily, on first use: here.
        let weights = net.clone().into_record().into_bytes().unwrap().to_vec();
        (net, weights)
    };
    let sidecar = Sidecar {
        format_version: FORMAT_VERSION,
        producer: "test".into(),
        architecture: model.clone(),
        parameters: net.num_params(),
        input: InputSpec::current(&model),
        joints: Joint::ALL.iter().map(|j| j.name().to_string()).collect(),
        temperature: 1.3,
        threshold: 0.2,
        threshold_objective: Default::default(),
        weights: WeightsInfo { file: "jointscope.bpk".into(), bytes: weights.len(), sha256: sha256(&weights) },
        training_data: summary(),
        validation_data: summary(),
        training_photos: Some(jointscope_data::TrainingPhotos::Drawn),
        hand_rule: None,
        test_metrics: None,
        familiarity: None,
        appearance: None,
        retake_difference: None,
        initialisation: None,
        notice: NOTICE.into(),
    };
    (serde_json::to_vec(&sidecar).unwrap(), weights)
}

fn photo() -> (RgbImage, Vec<(Joint, Point)>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let img = RgbImage::from_fn(160, 200, |_, _| Rgb([rng.random(), rng.random(), rng.random()]));
    let joints = Joint::ALL.iter().enumerate().map(|(k, &j)| (j, Point::new(30.0 + 9.0 * k as f32, 40.0 + 11.0 * k as f32))).collect();
    (img, joints)
}

fn err(sidecar: &[u8], weights: Vec<u8>) -> DetectError {
    match Classifier::from_bytes(sidecar, weights, &Device::flex()) {
        Ok(_) => panic!("accepted"),
        Err(e) => e,
    }
}

#[test]
fn verdicts_follow_the_sidecar_and_the_activation_map() {
    for arch in [Arch::Local, Arch::GlobalLocal, Arch::Global] {
        let (sidecar, weights) = export(arch);
        let c = Classifier::from_bytes(&sidecar, weights, &Device::flex()).unwrap();
        let (img, joints) = photo();
        let v = pollster::block_on(c.judge(&img, &joints)).unwrap();
        assert_eq!(v.len(), 11);
        for (verdict, (j, p)) in v.iter().zip(&joints) {
            assert_eq!((verdict.joint, verdict.position), (*j, *p));
            let expected = 1.0 / (1.0 + (-verdict.logit / 1.3).exp());
            assert!((verdict.probability - expected).abs() < 1e-6);
            assert_eq!(verdict.inflamed, verdict.probability >= 0.2);
            assert_eq!(verdict.heatmap.len(), 64);
            // A fresh model's context is off, so the logit is exactly the map's mean.
            let mean = verdict.heatmap.iter().sum::<f32>() / 64.0;
            assert!((mean - verdict.logit).abs() < 1e-4, "{arch}: {mean} vs {}", verdict.logit);
        }
        // Judging is deterministic.
        let again = pollster::block_on(c.judge(&img, &joints)).unwrap();
        assert_eq!(v, again);
    }
    let (sidecar, weights) = export(Arch::Local);
    let c = Classifier::from_bytes(&sidecar, weights, &Device::flex()).unwrap();
    let (img, _) = photo();
    assert!(pollster::block_on(c.judge(&img, &[])).unwrap().is_empty());
    let nan = [(Joint::Mcp2, Point::new(f32::NAN, 3.0))];
    assert!(matches!(pollster::block_on(c.judge(&img, &nan)), Err(DetectError::Input(_))));
}

#[test]
fn wrong_weights_and_sidecars_are_refused_with_what_differs() {
    let (sidecar, weights) = export(Arch::GlobalLocal);
    let msg = |e: DetectError| e.to_string();

    let mut altered = weights.clone();
    altered[weights.len() / 3] ^= 1;
    assert!(msg(err(&sidecar, altered)).contains("altered"));
    assert!(msg(err(&sidecar, weights[..weights.len() - 1].to_vec())).contains("truncated"));

    // Weights of another architecture, with a sidecar that claims this one: checksum fine, shapes not.
    let (other_sidecar, other_weights) = export(Arch::Local);
    let mut lying: serde_json::Value = serde_json::from_slice(&sidecar).unwrap();
    lying["weights"] = serde_json::from_slice::<serde_json::Value>(&other_sidecar).unwrap()["weights"].clone();
    let e = err(&serde_json::to_vec(&lying).unwrap(), other_weights);
    assert!(matches!(e, DetectError::Weights(_)) && msg(e.clone()).contains("global-local"), "{e}");

    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v: serde_json::Value = serde_json::from_slice(&sidecar).unwrap();
        f(&mut v);
        msg(err(&serde_json::to_vec(&v).unwrap(), weights.clone()))
    };
    assert!(edit(&|v| v["format_version"] = 9.into()).contains("format version 9"));
    assert!(edit(&|v| v["input"]["mean"] = serde_json::json!([0.4, 0.4, 0.4])).contains("preprocessing"));
    assert!(edit(&|v| v["joints"][0] = "THUMB".into()).contains("joints"));
    assert!(edit(&|v| v["threshold"] = 1.5.into()).contains("threshold"));
    assert!(edit(&|v| v["temperature"] = 0.into()).contains("temperature"));
    assert!(edit(&|v| v["architecture"]["local_size"] = 30.into()).contains("local_size"));
    // A checksum that is not hex (multi-byte characters) is reported, not sliced mid-character.
    assert!(edit(&|v| v["weights"]["sha256"] = "ééééééééééééééé".into()).contains("altered"));
    assert!(
        edit(&|v| {
            v.as_object_mut().unwrap().remove("format_version");
        })
        .contains("not a jointscope.json")
    );
    assert!(msg(err(b"\x89PNG....", weights.clone())).contains("not JSON"));
    assert!(msg(err(&sidecar, b"not burnpack".to_vec())).contains("bytes"));
}

#[test]
fn rgba_pixels_are_checked_before_use() {
    let rgba: Vec<u8> = (0..4 * 32 * 40).map(|i| (i % 251) as u8).collect();
    let img = rgba_to_rgb(&rgba, 32, 40).unwrap();
    assert_eq!(img.get_pixel(1, 0).0, [4, 5, 6]);
    assert!(rgba_to_rgb(&rgba, 33, 40).unwrap_err().to_string().contains("expected"));
    assert!(rgba_to_rgb(&rgba[..4 * 3 * 2], 3, 2).unwrap_err().to_string().contains("too small"));
    assert!(rgba_to_rgb(&[], 0, 0).is_err());
    assert!(rgba_to_rgb(&[0; 4], 100_000, 100_000).unwrap_err().to_string().contains("pixels"));
}

/// The sidecar of `export(arch)` with a feature summary fitted on the pooled features of `photo()`
/// itself, its limit `limit`.
fn with_familiarity(arch: Arch, limit: f32) -> (Vec<u8>, Vec<u8>, jointscope_detect::FeatureModel) {
    let (sidecar, weights) = export(arch);
    let mut v: serde_json::Value = serde_json::from_slice(&sidecar).unwrap();
    let model: ModelConfig = serde_json::from_value(v["architecture"].clone()).unwrap();
    let net = model.load(weights.clone(), &Device::flex()).unwrap();
    // Pooled features of many random photos, each with the same joints.
    let mut fitted = Vec::new();
    for seed in 0..12u64 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(100 + seed);
        let img = RgbImage::from_fn(160, 200, |_, _| Rgb([rng.random(), rng.random(), rng.random()]));
        let (_, joints) = photo();
        let (g, l) = jointscope_data::preprocess::photo_views(
            &img,
            &joints,
            jointscope_data::geometry::hand_scale(&joints, 160, 200),
            joints.iter().map(|j| j.1),
            (model.global_size, model.local_size),
            &jointscope_data::preprocess::Jitter::NONE,
            || jointscope_data::preprocess::Jitter::NONE,
        );
        let data = jointscope_model::BatchData { global: g, local: l, joint: (0..11).collect(), image: vec![0; 11] };
        let pooled: Vec<f32> = net.forward(data.to_batch(&model, &Device::flex()).unwrap()).pooled.into_data().try_to_vec().unwrap();
        let dim = model.feature_channels();
        fitted.extend((0..11).map(|k| (k, pooled[k * dim..(k + 1) * dim].to_vec())));
    }
    let summary = jointscope_detect::FeatureModel::fit(&fitted, 11).unwrap().with_limit(&[limit]);
    v["familiarity"] = serde_json::to_value(&summary).unwrap();
    (serde_json::to_vec(&v).unwrap(), weights, summary)
}

#[test]
fn a_photo_like_the_fitted_ones_is_familiar_and_a_flat_one_is_not() {
    let (sidecar, weights, summary) = with_familiarity(Arch::GlobalLocal, 1.8);
    let c = Classifier::from_bytes(&sidecar, weights, &Device::flex()).unwrap();
    let (noise, joints) = photo();
    let (verdicts, familiar) = pollster::block_on(c.judge_hand(&noise, &joints)).unwrap();
    let familiar = familiar.expect("the sidecar has a feature summary");
    assert_eq!(verdicts, pollster::block_on(c.judge(&noise, &joints)).unwrap());
    let flat = RgbImage::from_pixel(160, 200, Rgb([40, 200, 90]));
    let strange = pollster::block_on(c.judge_hand(&flat, &joints)).unwrap().1.unwrap();
    // Measured (seeded weights): a noise photo like the fitted ones 1.25, a flat green photo 2.57;
    // asserted with a 20 % margin on each side of the limit 1.8.
    assert!(familiar.familiar && familiar.distance < 1.5, "{familiar:?}");
    assert!(!strange.familiar && strange.distance > 2.1, "{strange:?}");
    assert_eq!(strange.limit, summary.limit);
}

#[test]
fn a_feature_summary_that_does_not_fit_the_model_is_refused() {
    let (sidecar, weights, _) = with_familiarity(Arch::Local, 3.0);
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v: serde_json::Value = serde_json::from_slice(&sidecar).unwrap();
        f(&mut v);
        err(&serde_json::to_vec(&v).unwrap(), weights.clone()).to_string()
    };
    assert!(
        edit(&|v| {
            v["familiarity"]["means"].as_array_mut().unwrap().pop();
        })
        .contains("means")
    );
    assert!(edit(&|v| v["familiarity"]["variances"][0] = (-1.0).into()).contains("positive"));
    assert!(
        edit(&|v| {
            v["familiarity"]["components"][0].as_array_mut().unwrap().pop();
        })
        .contains("components")
    );
    // Without a summary the classifier still judges, and says nothing about familiarity.
    let (plain, plain_weights) = export(Arch::Local);
    let c = Classifier::from_bytes(&plain, plain_weights, &Device::flex()).unwrap();
    let (img, joints) = photo();
    assert!(pollster::block_on(c.judge_hand(&img, &joints)).unwrap().1.is_none());
}

#[test]
fn a_sidecar_whose_appearance_summary_has_the_wrong_dimension_is_refused() {
    // The classifier's 32-feature summary where MediaPipe's 40 features are expected.
    let (sidecar, _, summary) = with_familiarity(Arch::Local, 3.0);
    let mut v: serde_json::Value = serde_json::from_slice(&sidecar).unwrap();
    v["appearance"] = serde_json::to_value(&summary).unwrap();
    let err = Sidecar::parse(&serde_json::to_vec(&v).unwrap()).unwrap_err();
    assert!(err.to_string().contains("appearance: familiarity:") && err.to_string().contains("of 40 features"), "{err}");
}

#[test]
fn a_sidecar_with_a_misspelt_field_is_refused_by_name() {
    // A misspelt field in the input block: before, ignored without a word.
    let (sidecar, _) = export(Arch::Local);
    let mut v: serde_json::Value = serde_json::from_slice(&sidecar).unwrap();
    v["input"]["threshhold"] = serde_json::json!(0.5);
    let err = Sidecar::parse(&serde_json::to_vec(&v).unwrap()).unwrap_err();
    assert!(err.to_string().contains("unknown field `threshhold`"), "{err}");
}

#[test]
fn a_detection_marks_its_stages_in_order_and_finds_what_detect_finds() {
    // A sidecar with both feature summaries, so every stage runs; the appearance summary is fitted
    // on random 40-feature vectors (only its dimension matters here).
    let (sidecar, weights, _) = with_familiarity(Arch::GlobalLocal, 3.0);
    let mut v: serde_json::Value = serde_json::from_slice(&sidecar).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let looks: Vec<(usize, Vec<f32>)> = (0..11 * 60).map(|k| (k % 11, (0..40).map(|_| rng.random::<f32>()).collect())).collect();
    v["appearance"] = serde_json::to_value(jointscope_detect::FeatureModel::fit(&looks, 11).unwrap().with_limit(&[1.0])).unwrap();
    let models = jointscope_test_support::models_dir();
    let dir = std::env::temp_dir().join(format!("jointscope-stages-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(jointscope_detect::SIDECAR_FILE), serde_json::to_vec(&v).unwrap()).unwrap();
    std::fs::write(dir.join(jointscope_detect::WEIGHTS_FILE), &weights).unwrap();
    let complexity = jointscope_landmarks::Complexity::Full;
    let detector = jointscope_detect::Detector::from_dirs(&dir, &models, complexity, &Device::flex(), Default::default());
    std::fs::remove_dir_all(&dir).unwrap();
    let detector = detector.expect("MediaPipe models: run scripts/fetch-models.sh");
    let path = jointscope_test_support::real_hand("11k_f_d.jpg");
    let img = jointscope_data::image_io::load_rgb(&path).unwrap();
    let mut marks = Vec::new();
    let marked = pollster::block_on(detector.detect_marked(&img, &mut |s| marks.push(s))).unwrap();
    // One hand in the photo: each stage once, in the order of STAGES; no second landmark pass
    // ("refine") with the default options.
    assert_eq!(marks, ["palm", "landmarks", "crops", "appearance", "classifier", "quality"]);
    let order: Vec<usize> = marks.iter().map(|m| jointscope_detect::STAGES.iter().position(|s| s == m).unwrap()).collect();
    assert!(order.is_sorted(), "{order:?}");
    assert!(marked.hands[0].familiarity.as_ref().unwrap().appearance_distance.is_some());
    let plain = detector.detect_blocking(&img).unwrap();
    assert_eq!(serde_json::to_value(&marked).unwrap(), serde_json::to_value(&plain).unwrap());
}
