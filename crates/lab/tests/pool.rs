//! The pretraining pool of real photos, on the committed photos.
use jointscope_data::View;
use jointscope_lab::pool::{self, Pool};
use jointscope_test_support::{models_dir, real_hand};
use jointscope_train::progress::Silent;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// A folder holding copies of committed photos under the given names.
fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, from) in files {
        let to = dir.path().join(name);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(real_hand(from), to).unwrap();
    }
    dir
}

fn names(paths: &[PathBuf]) -> HashSet<String> {
    paths.iter().map(|p| p.file_name().unwrap().to_string_lossy().to_string()).collect()
}

fn rows_per_image(manifest: &Path) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for rec in csv::Reader::from_path(manifest).unwrap().records() {
        let image = rec.unwrap()[0].to_string();
        match out.last_mut() {
            Some((last, n)) if *last == image => *n += 1,
            _ => out.push((image, 1)),
        }
    }
    out
}

#[test]
fn the_11k_name_is_found_inside_a_renamed_copy() {
    assert_eq!(pool::elevenk_name("lessDataset_bregy_Hand_0000002.jpg").as_deref(), Some("Hand_0000002.jpg"));
    assert_eq!(pool::elevenk_name("Hand_0011603.jpg").as_deref(), Some("Hand_0011603.jpg"));
    assert_eq!(pool::elevenk_name("Hand_001.jpg"), None);
    assert_eq!(pool::elevenk_name("images_1528664299.56_pic00000.jpg"), None);
}

#[test]
fn photos_of_test_subjects_are_left_out_of_the_pool() {
    let dir = folder(&[
        ("11k/Hand_0000001.jpg", "11k_f_d.jpg"),
        ("torioux/lessDataset_Hand_0000001.jpg", "11k_f_d.jpg"),
        ("11k/Hand_0000002.jpg", "11k_m_d.jpg"),
        ("other/webcam.jpg", "mp_thumbs_up.jpg"),
    ]);
    let subject_of: HashMap<String, String> = [("Hand_0000001.jpg", "7"), ("Hand_0000002.jpg", "8")].map(|(a, b)| (a.to_string(), b.to_string())).into();
    let (order, left_out) = pool::ordered_photos(dir.path(), &subject_of, &HashSet::from(["7".to_string()])).unwrap();
    assert_eq!(left_out, 2);
    assert_eq!(names(&order), HashSet::from(["Hand_0000002.jpg".to_string(), "webcam.jpg".to_string()]));
}

#[test]
fn the_pool_order_is_fixed() {
    let files: Vec<(String, &str)> = (0..12).map(|i| (format!("p{i:02}.jpg"), "mp_no_hand_pizza.jpg")).collect();
    let dir = folder(&files.iter().map(|(a, b)| (a.as_str(), *b)).collect::<Vec<_>>());
    let a = pool::ordered_photos(dir.path(), &HashMap::new(), &HashSet::new()).unwrap().0;
    let b = pool::ordered_photos(dir.path(), &HashMap::new(), &HashSet::new()).unwrap().0;
    assert_eq!(a, b);
    let mut sorted = a.clone();
    sorted.sort();
    assert_ne!(a, sorted, "the pool's order is shuffled, not the folder's");
}

/// Three photos with a hand and one without, in the pool's order.
fn located_pool(dir: &Path, size: Option<usize>) -> (Vec<PathBuf>, Pool) {
    pool_of(
        dir,
        &[("a.jpg", "11k_f_d.jpg"), ("b.jpg", "11k_m_d.jpg"), ("c.jpg", "mp_no_hand_pizza.jpg"), ("d.jpg", "mp_hand_landmarker_test.jpg")],
        (size, None),
    )
}

/// The pool of copies of committed photos (`name`, `from`) in `dir`, of `size` hands showing `view`.
fn pool_of(dir: &Path, files: &[(&str, &str)], (size, view): (Option<usize>, Option<View>)) -> (Vec<PathBuf>, Pool) {
    let photos = dir.join("photos");
    for &(name, from) in files {
        std::fs::create_dir_all(&photos).unwrap();
        std::fs::copy(real_hand(from), photos.join(name)).unwrap();
    }
    let order = pool::ordered_photos(&photos, &HashMap::new(), &HashSet::new()).unwrap().0;
    let device = burn::tensor::Device::flex();
    let pool = pool::prepare(&dir.join("pool"), &order, (size, view), &models_dir(), &device, &Silent).unwrap();
    (order, pool)
}

#[test]
fn a_smaller_pool_is_the_start_of_a_larger_one() {
    let dir = tempfile::tempdir().unwrap();
    let (order, two) = located_pool(dir.path(), Some(2));
    let (_, all) = located_pool(dir.path(), None);
    assert_eq!((two.used, all.used, all.hands, all.tried), (2, 3, 3, 4));
    let (small, large) = (rows_per_image(&two.manifest), rows_per_image(&all.manifest));
    assert_eq!(small[..], large[..2]);
    assert!(small.iter().all(|(_, n)| *n == 11), "11 joints per hand: {small:?}");
    let pizza = order.iter().find(|p| p.ends_with("c.jpg")).unwrap().display().to_string();
    assert!(!large.iter().any(|(image, _)| *image == pizza), "the photo without a hand is not in the pool");
}

#[test]
fn an_interrupted_location_resumes_and_retries_a_cut_line() {
    let dir = tempfile::tempdir().unwrap();
    let (_, first) = located_pool(dir.path(), None);
    let cache = dir.path().join("pool/located.csv");
    let text = std::fs::read_to_string(&cache).unwrap();
    // Cut the last line in half, as an interruption mid-write would.
    let keep = text.trim_end().rfind('\n').unwrap() + 1;
    let cut = &text[..keep + (text.len() - keep) / 2];
    std::fs::write(&cache, cut).unwrap();
    let (_, again) = located_pool(dir.path(), None);
    assert_eq!(again, first);
    assert_eq!(std::fs::read_to_string(&cache).unwrap().lines().count(), 5, "4 photos plus the cut line");
}

#[test]
fn a_backs_only_pool_keeps_the_hands_shown_from_the_back() {
    let dir = tempfile::tempdir().unwrap();
    // Two backs and two palms of 11K Hands (the palms' capture check fails `back_of_hand`).
    let files = [("a.jpg", "11k_f_d.jpg"), ("b.jpg", "11k_m_d.jpg"), ("c.jpg", "11k_f_p.jpg"), ("d.jpg", "11k_m_p.jpg")];
    let (_, backs) = pool_of(dir.path(), &files, (None, Some(View::Dorsal)));
    let (_, mixed) = pool_of(dir.path(), &files, (None, None));
    assert_eq!((backs.used, backs.hands, mixed.used), (2, 4, 4));
    let images: HashSet<String> = rows_per_image(&backs.manifest).into_iter().map(|(i, _)| i).collect();
    assert_eq!(names(&images.iter().map(PathBuf::from).collect::<Vec<_>>()), HashSet::from(["a.jpg".to_string(), "b.jpg".to_string()]));
    let views: HashSet<String> = csv::Reader::from_path(&backs.manifest).unwrap().records().map(|r| r.unwrap()[3].to_string()).collect();
    assert_eq!(views, HashSet::from(["dorsal".to_string()]));
    assert!(backs.manifest.ends_with("pool-dorsal-all.csv"), "{}", backs.manifest.display());
    // A backs pool of one is the first back in the pool's order.
    let (order, one) = pool_of(dir.path(), &files, (Some(1), Some(View::Dorsal)));
    let first_back = order.iter().find(|p| p.ends_with("a.jpg") || p.ends_with("b.jpg")).unwrap().display().to_string();
    assert_eq!(rows_per_image(&one.manifest), vec![(first_back, 11)]);
}
