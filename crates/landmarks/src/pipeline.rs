//! The photo pipeline, as MediaPipe's hand tracking graph runs it on a single image: palm detection on
//! the letterboxed photo → a rotated square ROI per palm → the landmark model on a 224×224 crop →
//! landmarks mapped back to photo pixels → a second landmark pass from the first landmarks' ROI.
//!
//! Every tensor read is `into_data_async`, so the same code runs on WebGPU in the browser.

use burn::tensor::{Device, Tensor, TensorData, Transaction};
use image::RgbImage;
use jointscope_data::preprocess::Sampling;
use jointscope_data::{Hand as Side, Joint, Point};
use serde::{Deserialize, Serialize};
use std::sync::RwLock;

use crate::LandmarkError;
use crate::graph::Graph;
use crate::palm::{self, PalmDetection};
use crate::roi::{self, Roi};
use crate::tflite::TfliteModel;

/// Side of the landmark model's square input.
pub const LANDMARK_INPUT: usize = 224;

/// Settings of the pipeline. The defaults are what Google's hand pipeline does with a still image
/// (`static_image_mode`): the landmark model runs once per palm, on the ROI the palm detection gives.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Options {
    /// At most this many hands: the best this many palm detections get the landmark model.
    pub max_hands: usize,
    /// Palm detections below this score are dropped.
    pub min_palm_score: f32,
    /// Hands whose landmark-model presence score is below this are dropped.
    pub min_presence: f32,
    /// Also run a second landmark pass on the ROI derived from the first pass's landmarks (what
    /// MediaPipe does for the *next* video frame, not for a still image).
    pub refine: bool,
    /// Drop a hand whose landmarks' box overlaps a more confident one's by IoU ≥ 0.5 (MediaPipe
    /// keeps both).
    pub dedupe: bool,
    /// The photo is mirrored (front camera preview). MediaPipe's handedness assumes mirrored input;
    /// for ordinary photos (rear camera, uploads) the label is swapped.
    pub mirrored: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self { max_hands: 2, min_palm_score: 0.5, min_presence: 0.5, refine: false, dedupe: false, mirrored: false }
    }
}

/// The most hands [`Options::max_hands`] may ask for: each is one more landmark-model input in a
/// photo's batch, and a photo of one patient's hands holds two.
pub const MAX_HANDS: usize = 8;

impl Options {
    /// Refuses settings the pipeline cannot honour: `max_hands` outside 1..=[`MAX_HANDS`], a score
    /// threshold outside 0..=1 (or not a number). The message names the setting.
    pub fn check(&self) -> Result<(), LandmarkError> {
        if !(1..=MAX_HANDS).contains(&self.max_hands) {
            return Err(LandmarkError::Options(format!("max_hands must be 1 to {MAX_HANDS}, got {}", self.max_hands)));
        }
        for (name, value) in [("min_palm_score", self.min_palm_score), ("min_presence", self.min_presence)] {
            if !(0.0..=1.0).contains(&value) {
                return Err(LandmarkError::Options(format!("{name} must be 0 to 1, got {value}")));
            }
        }
        Ok(())
    }
}

/// One hand found in a photo.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DetectedHand {
    /// Left or right hand of the person in the photo.
    pub handedness: Side,
    /// Confidence of `handedness` (0.5..1).
    pub handedness_score: f32,
    /// Landmark model's hand-presence score for the final ROI.
    pub presence: f32,
    /// Palm detector score of the detection this hand came from.
    pub palm_score: f32,
    /// The 21 MediaPipe landmarks in photo pixels: x, y, and relative depth z (pixels, wrist-relative).
    pub landmarks: Vec<[f32; 3]>,
    /// Metric 3-D landmarks (metres, origin at the hand's centre) as the model reports them.
    pub world_landmarks: Vec<[f32; 3]>,
    /// The ROI the final landmarks came from.
    pub roi: Roi,
    /// Whether the second (landmark-derived) pass produced the final landmarks.
    pub refined: bool,
}

impl DetectedHand {
    /// The classifier's joints (MCP1–5, PIP2–5, IP, wrist) at their landmark positions.
    pub fn joints(&self) -> Vec<(Joint, Point)> {
        Joint::ALL
            .iter()
            .map(|&j| {
                let p = self.landmarks[j.landmark()];
                (j, Point::new(p[0], p[1]))
            })
            .collect()
    }

    /// Axis-aligned bounds of the landmarks (x0, y0, x1, y1).
    pub fn bounds(&self) -> (f32, f32, f32, f32) {
        self.landmarks.iter().fold((f32::MAX, f32::MAX, f32::MIN, f32::MIN), |b, p| (b.0.min(p[0]), b.1.min(p[1]), b.2.max(p[0]), b.3.max(p[1])))
    }
}

/// Raw outputs of one landmark-model run, per batch item.
#[derive(Debug, Clone)]
pub struct LandmarkOutput {
    /// 21 × (x, y, z) in pixels of the 224×224 input.
    pub landmarks: Vec<f32>,
    pub presence: f32,
    /// The model's raw handedness score (probability of "left" for a mirrored image).
    pub handedness: f32,
    pub world: Vec<f32>,
}

/// Which MediaPipe model variant to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Complexity {
    Lite,
    #[default]
    Full,
}

impl Complexity {
    /// File names of the palm and landmark models of this variant.
    pub fn files(self) -> (&'static str, &'static str) {
        match self {
            Complexity::Lite => ("palm_detection_lite.tflite", "hand_landmark_lite.tflite"),
            Complexity::Full => ("palm_detection_full.tflite", "hand_landmark_full.tflite"),
        }
    }
}

/// Palm detector + landmark model on one burn device.
#[derive(Debug)]
pub struct HandLandmarker {
    palm: Graph,
    landmark: Graph,
    anchors: Vec<(f32, f32)>,
    device: Device,
    /// Pipeline settings: read once at the start of each photo or frame, so a change made while
    /// one is in flight applies from the next.
    options: RwLock<Options>,
}

fn to_input(planar: Vec<f32>, batch: usize, size: usize, device: &Device) -> Tensor<4> {
    Tensor::from_data(TensorData::new(planar, [batch, 3, size, size]), device)
}

impl HandLandmarker {
    /// Builds the pipeline from the two `.tflite` files' bytes.
    pub fn new(palm_tflite: &[u8], landmark_tflite: &[u8], device: &Device, options: Options) -> Result<Self, LandmarkError> {
        let palm = Graph::new(&TfliteModel::parse(palm_tflite).map_err(|e| e.context("palm detection model"))?, device)
            .map_err(|e| e.context("palm detection model"))?;
        let landmark = Graph::new(&TfliteModel::parse(landmark_tflite).map_err(|e| e.context("hand landmark model"))?, device)
            .map_err(|e| e.context("hand landmark model"))?;
        if palm.input_hwc() != [palm::INPUT_SIZE, palm::INPUT_SIZE, 3] {
            return Err(LandmarkError::Model(format!("palm detection model: input {:?}, expected 192×192×3", palm.input_hwc())));
        }
        if landmark.input_hwc() != [LANDMARK_INPUT, LANDMARK_INPUT, 3] {
            return Err(LandmarkError::Model(format!("hand landmark model: input {:?}, expected 224×224×3", landmark.input_hwc())));
        }
        options.check()?;
        Ok(Self { palm, landmark, anchors: palm::anchors(), device: device.clone(), options: RwLock::new(options) })
    }

    /// The pipeline settings now in force.
    pub fn options(&self) -> Options {
        *self.options.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Replaces the pipeline settings from the next photo or frame on; settings that fail
    /// [`Options::check`] are refused and the old ones kept.
    pub fn set_options(&self, options: Options) -> Result<(), LandmarkError> {
        options.check()?;
        *self.options.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = options;
        Ok(())
    }

    /// Loads the models of `complexity` from a folder made by `scripts/fetch-models.sh`.
    #[cfg(not(target_family = "wasm"))]
    pub fn from_dir(dir: &std::path::Path, complexity: Complexity, device: &Device, options: Options) -> Result<Self, LandmarkError> {
        let (p, l) = complexity.files();
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|e| LandmarkError::Missing(format!("{}: {e}", path.display())))
        };
        Self::new(&read(p)?, &read(l)?, device, options)
    }

    /// The device the models run on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Runs the palm detector on a planar 192×192 batch (values 0..1); returns (boxes, score logits)
    /// per item.
    pub async fn run_palm(&self, input: Tensor<4>) -> Result<Vec<(Vec<f32>, Vec<f32>)>, LandmarkError> {
        let batch = input.dims()[0];
        let out = self.palm.forward(input)?;
        let [boxes, scores] = <[_; 2]>::try_from(out).map_err(|_| LandmarkError::Model("palm detection model must have 2 outputs".into()))?;
        let data = Transaction::default()
            .register(boxes.into_rows())
            .register(scores.into_rows())
            .execute_async()
            .await
            .map_err(|e| LandmarkError::Backend(format!("{e:?}")))?;
        let boxes = f32s(&data[0])?;
        let scores = f32s(&data[1])?;
        let (bn, sn) = (boxes.len() / batch.max(1), scores.len() / batch.max(1));
        if bn != palm::NUM_ANCHORS * palm::NUM_COORDS || sn != palm::NUM_ANCHORS {
            return Err(LandmarkError::Model(format!("palm detection outputs {bn} box and {sn} score values per image")));
        }
        Ok((0..batch).map(|b| (boxes[b * bn..(b + 1) * bn].to_vec(), scores[b * sn..(b + 1) * sn].to_vec())).collect())
    }

    /// Runs the landmark model on a planar 224×224 batch (values 0..1).
    pub async fn run_landmarks(&self, input: Tensor<4>) -> Result<Vec<LandmarkOutput>, LandmarkError> {
        let batch = input.dims()[0];
        let out = self.landmark.forward(input)?;
        if out.len() != 4 {
            return Err(LandmarkError::Model(format!("hand landmark model has {} outputs, expected 4", out.len())));
        }
        let mut tx = Transaction::default();
        for v in out {
            tx = tx.register(v.into_rows());
        }
        let data = tx.execute_async().await.map_err(|e| LandmarkError::Backend(format!("{e:?}")))?;
        let cols = data.iter().map(f32s).collect::<Result<Vec<_>, _>>()?;
        let per = |k: usize| cols[k].len() / batch.max(1);
        if per(0) != 63 || per(1) != 1 || per(2) != 1 || per(3) != 63 {
            return Err(LandmarkError::Model("hand landmark outputs are not 63/1/1/63 values".into()));
        }
        Ok((0..batch)
            .map(|b| LandmarkOutput {
                landmarks: cols[0][b * 63..(b + 1) * 63].to_vec(),
                presence: cols[1][b],
                handedness: cols[2][b],
                world: cols[3][b * 63..(b + 1) * 63].to_vec(),
            })
            .collect())
    }

    /// Palm detections in photo pixels (bbox and keypoints), best first.
    pub async fn detect_palms(&self, img: &RgbImage) -> Result<Vec<PalmDetection>, LandmarkError> {
        self.palms_above(img, self.options().min_palm_score).await
    }

    async fn palms_above(&self, img: &RgbImage, min_score: f32) -> Result<Vec<PalmDetection>, LandmarkError> {
        let frame = roi::letterbox(img.width(), img.height());
        let input = to_input(roi::sample(img, &frame, palm::INPUT_SIZE), 1, palm::INPUT_SIZE, &self.device);
        let (boxes, scores) = self.run_palm(input).await?.remove(0);
        let to_px = |(u, v): (f32, f32)| frame.to_photo(u, v);
        Ok(palm::decode(&boxes, &scores, &self.anchors, min_score)
            .into_iter()
            .map(|d| {
                let (x0, y0) = to_px((d.bbox.0, d.bbox.1));
                let (x1, y1) = to_px((d.bbox.2, d.bbox.3));
                PalmDetection { score: d.score, bbox: (x0, y0, x1, y1), keypoints: d.keypoints.map(to_px) }
            })
            .collect())
    }

    /// The landmark ROI MediaPipe derives from a palm detection (photo pixels).
    pub fn palm_roi(d: &PalmDetection) -> Roi {
        let rotation = roi::upright_rotation(d.keypoints[0], d.keypoints[2]);
        let raw = Roi { cx: (d.bbox.0 + d.bbox.2) / 2.0, cy: (d.bbox.1 + d.bbox.3) / 2.0, width: d.bbox.2 - d.bbox.0, height: d.bbox.3 - d.bbox.1, rotation };
        raw.transform(2.6, 0.0, -0.5)
    }

    /// Runs the landmark model on several ROIs of one photo in one batch.
    pub async fn landmarks_in(&self, img: &RgbImage, rois: &[Roi]) -> Result<Vec<LandmarkOutput>, LandmarkError> {
        if rois.is_empty() {
            return Ok(Vec::new());
        }
        let mut planar = Vec::with_capacity(rois.len() * 3 * LANDMARK_INPUT * LANDMARK_INPUT);
        for r in rois {
            planar.extend(roi::sample_with(img, r, LANDMARK_INPUT, &Sampling::UNIT_REPLICATE));
        }
        self.run_landmarks(to_input(planar, rois.len(), LANDMARK_INPUT, &self.device)).await
    }

    fn to_hand(out: &LandmarkOutput, roi: Roi, palm_score: f32, refined: bool, mirrored: bool) -> DetectedHand {
        let n = LANDMARK_INPUT as f32;
        let landmarks = out
            .landmarks
            .chunks_exact(3)
            .map(|p| {
                let (x, y) = roi.to_photo(p[0] / n, p[1] / n);
                [x, y, p[2] / n * roi.width]
            })
            .collect();
        let world = out.world.chunks_exact(3).map(|p| {
            let (s, c) = roi.rotation.sin_cos();
            [p[0] * c - p[1] * s, p[0] * s + p[1] * c, p[2]]
        });
        // Raw score = P(left) for a mirrored photo; an unmirrored photo swaps the label.
        let p_left = if mirrored { out.handedness } else { 1.0 - out.handedness };
        let (handedness, handedness_score) = if p_left >= 0.5 { (Side::Left, p_left) } else { (Side::Right, 1.0 - p_left) };
        DetectedHand { handedness, handedness_score, presence: out.presence, palm_score, landmarks, world_landmarks: world.collect(), roi, refined }
    }

    /// Finds every hand (up to `max_hands`) in a photo. A photo with no hand gives an empty list.
    pub async fn detect(&self, img: &RgbImage) -> Result<Vec<DetectedHand>, LandmarkError> {
        self.detect_marked(img, &mut |_| {}).await
    }

    /// [`detect`](Self::detect), calling `mark` with each stage's name as it ends — `"palm"`,
    /// `"landmarks"`, then `"refine"` when the second landmark pass ran — so a caller can time them.
    pub async fn detect_marked(&self, img: &RgbImage, mark: &mut dyn FnMut(&'static str)) -> Result<Vec<DetectedHand>, LandmarkError> {
        self.detect_marked_as(img, self.options().mirrored, mark).await
    }

    /// [`detect_marked`](Self::detect_marked) with [`Options::mirrored`] given for this photo
    /// alone (a page whose user ticks "mirrored" after the landmarker was made).
    pub async fn detect_marked_as(&self, img: &RgbImage, mirrored: bool, mark: &mut dyn FnMut(&'static str)) -> Result<Vec<DetectedHand>, LandmarkError> {
        self.detect_with(img, Options { mirrored, ..self.options() }, mark).await
    }

    /// One photo under one snapshot of the settings.
    async fn detect_with(&self, img: &RgbImage, options: Options, mark: &mut dyn FnMut(&'static str)) -> Result<Vec<DetectedHand>, LandmarkError> {
        if img.width() == 0 || img.height() == 0 {
            return Err(LandmarkError::Input("the image is empty".into()));
        }
        let palms = self.palms_above(img, options.min_palm_score).await?;
        mark("palm");
        // MediaPipe's ClipDetectionVectorSizeCalculator: the best `max_hands` palms (more when
        // duplicates are to be removed after the landmarks); `max_hands` is at least 1 (Options::check).
        let keep = options.max_hands * if options.dedupe { 2 } else { 1 };
        let palms: Vec<_> = palms.into_iter().take(keep).collect();
        let rois: Vec<Roi> = palms.iter().map(Self::palm_roi).collect();
        let first = self.landmarks_in(img, &rois).await?;
        mark("landmarks");
        let mut hands: Vec<DetectedHand> = first
            .iter()
            .zip(&rois)
            .zip(&palms)
            .filter(|((out, _), _)| out.presence >= options.min_presence)
            .map(|((out, roi), palm)| Self::to_hand(out, *roi, palm.score, false, options.mirrored))
            .collect();
        if options.refine && !hands.is_empty() {
            let second = self.follow(img, &hands, options.mirrored).await?;
            for (hand, again) in hands.iter_mut().zip(second) {
                // The landmark-derived ROI is tighter and upright; keep it when the model is at least
                // as sure a hand is there.
                if let Some(again) = again.filter(|a| a.presence >= options.min_presence && a.presence >= hand.presence - 0.05) {
                    *hand = again;
                }
            }
            mark("refine");
        }
        if !options.dedupe {
            return Ok(hands);
        }
        // One hand per region: overlapping results (two palms on one hand) keep the most confident.
        hands.sort_by(|a, b| (b.presence * b.palm_score).total_cmp(&(a.presence * a.palm_score)));
        let mut kept: Vec<DetectedHand> = Vec::new();
        for h in hands {
            if kept.iter().all(|k| roi::iou(k.bounds(), h.bounds()) < 0.5) {
                kept.push(h);
            }
        }
        kept.truncate(options.max_hands);
        Ok(kept)
    }

    /// Video mode (MediaPipe's `detectForVideo`): the hands of the previous frame followed into
    /// this one. The landmark model runs on the region each previous hand's landmarks give
    /// ([`Roi::from_landmarks`], as MediaPipe derives the next frame's region); a hand whose
    /// presence falls below `min_presence` is lost. Palm detection runs only when no hand is left
    /// to follow — the first frame, or every hand lost — so a second hand coming into view is
    /// found once the first is gone (a capture check wants one hand per photo). Returns the hands
    /// and whether they were followed (`true`: palm detection skipped).
    pub async fn track(&self, img: &RgbImage, previous: &[DetectedHand], mirrored: bool) -> Result<(Vec<DetectedHand>, bool), LandmarkError> {
        if img.width() == 0 || img.height() == 0 {
            return Err(LandmarkError::Input("the image is empty".into()));
        }
        let options = Options { mirrored, ..self.options() };
        let followed = self.follow(img, previous, mirrored).await?;
        let hands: Vec<DetectedHand> = followed.into_iter().flatten().filter(|h| h.presence >= options.min_presence).collect();
        if !hands.is_empty() {
            return Ok((hands, true));
        }
        Ok((self.detect_with(img, options, &mut |_| {}).await?, false))
    }

    /// One batched landmark pass on the region each of `hands`' landmarks give ([`Roi::from_landmarks`],
    /// MediaPipe's region for the next frame): per hand, the hand found there (`refined`, its palm
    /// score kept), or `None` when its landmarks give no region. What `refine` does within a photo
    /// and [`track`](Self::track) across frames.
    async fn follow(&self, img: &RgbImage, hands: &[DetectedHand], mirrored: bool) -> Result<Vec<Option<DetectedHand>>, LandmarkError> {
        let rois: Vec<Option<Roi>> = hands.iter().map(|h| Roi::from_landmarks(&h.landmarks.iter().map(|p| (p[0], p[1])).collect::<Vec<_>>())).collect();
        let batch: Vec<Roi> = rois.iter().flatten().copied().collect();
        let mut outs = self.landmarks_in(img, &batch).await?.into_iter().zip(batch);
        Ok(rois
            .iter()
            .zip(hands)
            .map(|(roi, h)| roi.and_then(|_| outs.next()).map(|(out, roi)| Self::to_hand(&out, roi, h.palm_score, true, mirrored)))
            .collect())
    }

    /// Decodes an encoded photo (PNG or JPEG; any bit depth or channel count; EXIF orientation applied;
    /// size limits checked before decoding, see `jointscope_data::image_io`) and finds its hands.
    pub async fn detect_encoded(&self, bytes: &[u8]) -> Result<Vec<DetectedHand>, LandmarkError> {
        let img = jointscope_data::image_io::decode_rgb(bytes).map_err(|e| LandmarkError::Input(e.to_string()))?;
        self.detect(&img).await
    }

    /// [`detect`](Self::detect) for native callers.
    #[cfg(not(target_family = "wasm"))]
    pub fn detect_blocking(&self, img: &RgbImage) -> Result<Vec<DetectedHand>, LandmarkError> {
        pollster::block_on(self.detect(img))
    }
}

fn f32s(d: &TensorData) -> Result<Vec<f32>, LandmarkError> {
    d.try_to_vec::<f32>().map_err(|e| LandmarkError::Backend(format!("{e:?}")))
}
