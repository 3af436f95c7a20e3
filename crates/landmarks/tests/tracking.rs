//! Video mode against Google's own (mediapipe's legacy hand solution with `static_image_mode`
//! off, scripts/mediapipe_reference.py --video) on a short clip made from a committed real photo
//! (tests/data/real-hands/11k_f_d.jpg, the back of a hand), moved and turned a little more each
//! frame as a hand held before a camera is: after the first frame the hand is followed from its
//! previous landmarks (no palm detection), and its landmarks stay close to Google's, frame by frame.
use burn::tensor::Device;
use image::RgbImage;
use jointscope_landmarks::{Complexity, DetectedHand, HandLandmarker, Options};

mod common;
use common::{GoogleHand, google, models_dir};

fn marker() -> HandLandmarker {
    HandLandmarker::from_dir(&models_dir(), Complexity::Full, &Device::flex(), Options::default()).expect("MediaPipe models: run scripts/fetch-models.sh")
}

/// Frame `k` of the clip: the 1600×1200 photo at 0.4 scale (640×480), shifted by (4k, 3k) px and
/// turned by 1.5k degrees about the frame's centre (bilinear, edges repeated).
fn frame(photo: &RgbImage, k: usize) -> RgbImage {
    let (w, h) = (640u32, 480u32);
    let (angle, dx, dy) = ((1.5 * k as f32).to_radians(), 4.0 * k as f32, 3.0 * k as f32);
    let (s, c) = angle.sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    RgbImage::from_fn(w, h, |x, y| {
        // Undo the shift and the turn, then the scale.
        let (u, v) = (x as f32 - cx - dx, y as f32 - cy - dy);
        let (u, v) = (u * c + v * s + cx, -u * s + v * c + cy);
        sample(photo, u / 0.4, v / 0.4)
    })
}

fn sample(img: &RgbImage, x: f32, y: f32) -> image::Rgb<u8> {
    let (w, h) = (img.width() as f32 - 1.0, img.height() as f32 - 1.0);
    let (x, y) = (x.clamp(0.0, w), y.clamp(0.0, h));
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let at = |xx: f32, yy: f32| img.get_pixel(xx.min(w) as u32, yy.min(h) as u32).0.map(f32::from);
    let (a, b, c, d) = (at(x0, y0), at(x0 + 1.0, y0), at(x0, y0 + 1.0), at(x0 + 1.0, y0 + 1.0));
    image::Rgb(std::array::from_fn(|i| ((a[i] * (1.0 - fx) + b[i] * fx) * (1.0 - fy) + (c[i] * (1.0 - fx) + d[i] * fx) * fy).round() as u8))
}

/// Mean distance from our landmarks to Google's, in Google's hand sizes (wrist to middle-finger MCP).
fn from_google(ours: &DetectedHand, theirs: &GoogleHand) -> f32 {
    let g = &theirs.landmarks;
    let size = (g[0][0] - g[9][0]).hypot(g[0][1] - g[9][1]);
    (0..21).map(|i| (ours.landmarks[i][0] - g[i][0]).hypot(ours.landmarks[i][1] - g[i][1])).sum::<f32>() / 21.0 / size
}

/// Bounds on our followed landmarks' mean distance from Google's video mode, in hand sizes:
/// measured worst frame 0.0020 and mean 0.0012 over the clip (2026-12-06), with a 1.5× margin.
/// (Detecting each frame afresh is 0.016–0.022 from Google's video mode; a region bounded by all
/// 21 landmarks instead of MediaPipe's stable twelve was 0.155 worst, 0.075 mean.)
const FROM_GOOGLE_WORST: f32 = 0.003;
const FROM_GOOGLE_MEAN: f32 = 0.0018;

#[test]
fn a_moving_hand_is_followed_without_palm_detection_as_googles_video_mode_follows_it() {
    let m = marker();
    let photo = image::open(jointscope_test_support::real_hand("11k_f_d.jpg")).unwrap().to_rgb8();
    let dir = tempfile::tempdir().unwrap();
    let frames: Vec<RgbImage> = (0..12).map(|k| frame(&photo, k)).collect();
    let paths: Vec<std::path::PathBuf> = frames
        .iter()
        .enumerate()
        .map(|(k, f)| {
            let p = dir.path().join(format!("frame{k:02}.png"));
            f.save(&p).unwrap();
            p
        })
        .collect();
    let theirs = google(&paths, true);
    let mut previous: Vec<DetectedHand> = Vec::new();
    let (mut followed, mut still) = (Vec::new(), Vec::new());
    for (k, img) in frames.iter().enumerate() {
        let (hands, tracked) = pollster::block_on(m.track(img, &previous, false)).unwrap();
        let fresh = m.detect_blocking(img).unwrap();
        assert_eq!((hands.len(), fresh.len(), theirs[k].hands.len()), (1, 1, 1), "frame {k}");
        assert_eq!(tracked, k > 0, "frame {k}: palm detection only on the first frame");
        assert_eq!(format!("{:?}", hands[0].handedness).to_lowercase(), theirs[k].hands[0].handedness, "frame {k}");
        followed.push(from_google(&hands[0], &theirs[k].hands[0]));
        still.push(from_google(&fresh[0], &theirs[k].hands[0]));
        previous = hands;
    }
    eprintln!("from Google's video mode per frame (hand sizes): followed {followed:.4?}, detected afresh {still:.4?}");
    let worst = followed.iter().copied().fold(0.0, f32::max);
    let mean = followed.iter().sum::<f32>() / followed.len() as f32;
    assert!(worst <= FROM_GOOGLE_WORST && mean <= FROM_GOOGLE_MEAN, "followed: worst {worst:.4}, mean {mean:.4} hand sizes from Google's video mode");
}

#[test]
fn a_lost_hand_is_looked_for_again_with_palm_detection() {
    let m = marker();
    let photo = image::open(jointscope_test_support::real_hand("11k_f_d.jpg")).unwrap().to_rgb8();
    let (hands, _) = pollster::block_on(m.track(&frame(&photo, 0), &[], false)).unwrap();
    assert_eq!(hands.len(), 1);
    // The hand leaves the view: a plain wall where it was.
    let wall = RgbImage::from_pixel(640, 480, image::Rgb([150, 140, 120]));
    let (gone, tracked) = pollster::block_on(m.track(&wall, &hands, false)).unwrap();
    assert_eq!((gone.len(), tracked), (0, false));
    // And comes back: found again by palm detection, then followed.
    let (back, tracked) = pollster::block_on(m.track(&frame(&photo, 1), &gone, false)).unwrap();
    assert_eq!((back.len(), tracked), (1, false));
    let (next, tracked) = pollster::block_on(m.track(&frame(&photo, 2), &back, false)).unwrap();
    assert_eq!((next.len(), tracked), (1, true));
}
