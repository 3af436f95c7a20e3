//! The whole detection: photo → hands (MediaPipe palm detection and landmarks) → every joint of
//! every hand judged by the classifier.
use crate::{Classifier, DetectError, Familiarity, JointVerdict, Quality, quality};
use burn::tensor::Device;
use image::RgbImage;
use jointscope_data::Hand;
use jointscope_landmarks::{HandLandmarker, Options};
use serde::{Deserialize, Serialize};

/// One hand and its joints.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
pub struct HandResult {
    /// The person's left or right hand.
    pub handedness: Hand,
    /// Confidence of `handedness` (0.5..1).
    pub handedness_score: f32,
    /// The landmark model's hand-presence score.
    pub presence: f32,
    /// The 21 MediaPipe landmarks: x, y in photo pixels, z relative depth.
    pub landmarks: Vec<[f32; 3]>,
    /// MCP1–5, PIP2–5, IP, wrist, at their landmarks.
    pub joints: Vec<JointVerdict>,
    /// Whether the photo of this hand is fit to be judged, check by check.
    pub quality: Quality,
    /// How familiar the hand looks next to the training photos (`None`: the weights carry no
    /// feature summary).
    pub familiarity: Option<Familiarity>,
    /// The verdicts may be shown: the photo passed every capture check (`quality.ok`) and looks
    /// like the training photos (`familiarity.familiar`, or the weights cannot tell). A page shows
    /// no verdict of a hand for which this is false.
    pub judgeable: bool,
    /// The verdict on the whole hand: its joints' probabilities in the form the weights' hand rule
    /// names, against its threshold (`None`: the weights carry no hand rule).
    pub verdict: Option<jointscope_data::HandVerdict>,
}

/// Whether verdicts on a hand with this capture check and familiarity may be shown
/// ([`HandResult::judgeable`]).
pub fn judgeable(quality: &Quality, familiarity: Option<&Familiarity>) -> bool {
    quality.ok && familiarity.is_none_or(|f| f.familiar)
}

/// Everything found in one photo. No hand gives an empty `hands`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
pub struct Detection {
    /// Size of the (EXIF-rotated) photo the coordinates refer to.
    pub width: u32,
    pub height: u32,
    /// The weights' decision threshold on `probability` (from their sidecar).
    pub threshold: f32,
    /// What a joint's `inflamed` (shown as "flagged") means for these weights, in words a patient
    /// can use: how many inflamed joints they found and how many healthy ones they flagged on
    /// their own test photos ([`flag_meaning`](crate::meaning::flag_meaning)).
    pub meaning: String,
    /// The weights' rule for a whole hand's verdict (each hand's `verdict`; `None`: they have none).
    pub hand_rule: Option<jointscope_data::HandRule>,
    pub hands: Vec<HandResult>,
}

/// Hand landmarks and the joint classifier on one device.
pub struct Detector {
    pub(crate) landmarker: HandLandmarker,
    pub(crate) classifier: Classifier,
}

impl Detector {
    /// Build from the model files' bytes: MediaPipe palm detection and hand landmark `.tflite`,
    /// the classifier's sidecar JSON and burnpack weights.
    pub fn from_bytes(
        palm_tflite: &[u8],
        landmark_tflite: &[u8],
        sidecar_json: &[u8],
        weights: Vec<u8>,
        device: &Device,
        options: Options,
    ) -> Result<Self, DetectError> {
        let landmarker = HandLandmarker::new(palm_tflite, landmark_tflite, device, options)?;
        let classifier = Classifier::from_bytes(sidecar_json, weights, device)?.with_appearance(landmark_tflite)?;
        Ok(Detector { landmarker, classifier })
    }

    /// Load an export folder (`jointscope export`) and the MediaPipe models of `complexity` from
    /// `models` on `device`.
    #[cfg(not(target_family = "wasm"))]
    pub fn from_dirs(
        export: &std::path::Path,
        models: &std::path::Path,
        complexity: jointscope_landmarks::Complexity,
        device: &Device,
        options: Options,
    ) -> Result<Self, DetectError> {
        let landmarker = HandLandmarker::from_dir(models, complexity, device, options)?;
        // The appearance features are always the full landmark model's, whichever complexity finds the hands.
        let full = models.join(jointscope_landmarks::Complexity::Full.files().1);
        let classifier = Classifier::from_dir(export, device)?;
        let classifier = match classifier.sidecar().appearance {
            Some(_) => {
                let bytes =
                    std::fs::read(&full).map_err(|e| DetectError::Weights(format!("cannot read {} ({e}): run scripts/fetch-models.sh", full.display())))?;
                classifier.with_appearance(&bytes)?
            }
            None => classifier,
        };
        Ok(Detector { landmarker, classifier })
    }

    /// Decode a photo file (limits checked first, EXIF orientation applied) and detect in it.
    #[cfg(not(target_family = "wasm"))]
    pub fn detect_file(&self, photo: &std::path::Path) -> Result<Detection, DetectError> {
        let img = jointscope_data::image_io::load_rgb(photo).map_err(|e| DetectError::Image(e.to_string()))?;
        self.detect_blocking(&img)
    }

    /// From parts already loaded (on the same device).
    pub fn new(landmarker: HandLandmarker, classifier: Classifier) -> Self {
        Detector { landmarker, classifier }
    }

    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// The hand landmarker, whose [`options`](HandLandmarker::options) can be changed between photos.
    pub fn landmarker(&self) -> &HandLandmarker {
        &self.landmarker
    }

    /// Find the hands in `img` and judge each one's joints.
    pub async fn detect(&self, img: &RgbImage) -> Result<Detection, DetectError> {
        self.detect_marked(img, &mut |_| {}).await
    }

    /// [`detect`](Self::detect), calling `mark` with each stage's name as it ends, so a caller
    /// can time them: [`STAGES`] in that order, the last four once per hand found.
    pub async fn detect_marked(&self, img: &RgbImage, mark: &mut dyn FnMut(&'static str)) -> Result<Detection, DetectError> {
        self.detect_marked_as(img, self.landmarker.options().mirrored, mark).await
    }

    /// [`detect_marked`](Self::detect_marked) with `mirrored` ([`Options::mirrored`]) for this
    /// photo alone.
    pub async fn detect_marked_as(&self, img: &RgbImage, mirrored: bool, mark: &mut dyn FnMut(&'static str)) -> Result<Detection, DetectError> {
        refuse_colourless(img)?;
        let found = self.landmarker.detect_marked_as(img, mirrored, mark).await?;
        let mut hands = Vec::with_capacity(found.len());
        let local_size = self.classifier.sidecar().architecture.local_size;
        for hand in found {
            let (joints, familiarity) = self.classifier.judge_hand_marked(img, &hand.joints(), mark).await?;
            let quality = quality::assess(img, &hand, mirrored, local_size, &quality::LIMITS);
            mark("quality");
            let probs: Vec<f32> = joints.iter().map(|j| j.probability).collect();
            let verdict = self.classifier.sidecar().hand_rule.and_then(|rule| rule.judge(&probs));
            hands.push(HandResult {
                verdict,
                handedness: hand.handedness,
                handedness_score: hand.handedness_score,
                presence: hand.presence,
                landmarks: hand.landmarks,
                joints,
                judgeable: judgeable(&quality, familiarity.as_ref()),
                quality,
                familiarity,
            });
        }
        let sidecar = self.classifier.sidecar();
        Ok(Detection {
            width: img.width(),
            height: img.height(),
            threshold: sidecar.threshold,
            meaning: crate::meaning::flag_meaning(sidecar),
            hand_rule: sidecar.hand_rule,
            hands,
        })
    }

    /// Run every model once on blank inputs, so shader compilation and autotuning (WebGPU: up to
    /// a second or two) happen before the first real photo.
    pub async fn warm_up(&self) -> Result<(), DetectError> {
        use burn::tensor::Tensor;
        use jointscope_landmarks::{LANDMARK_INPUT, palm};
        let device = self.landmarker.device();
        self.landmarker.run_palm(Tensor::zeros([1, 3, palm::INPUT_SIZE, palm::INPUT_SIZE], device)).await?;
        self.landmarker.run_landmarks(Tensor::zeros([1, 3, LANDMARK_INPUT, LANDMARK_INPUT], device)).await?;
        let img = RgbImage::from_pixel(96, 96, image::Rgb([128, 128, 128]));
        let joints: Vec<_> = jointscope_data::Joint::ALL
            .iter()
            .enumerate()
            .map(|(k, &j)| (j, jointscope_data::Point::new(20.0 + 5.0 * k as f32, 70.0 - 4.0 * k as f32)))
            .collect();
        self.classifier.judge(&img, &joints).await?;
        Ok(())
    }

    /// Decode an encoded photo (PNG or JPEG, size limits checked before decoding, EXIF orientation
    /// applied) and [`detect`](Self::detect) in it.
    pub async fn detect_encoded(&self, bytes: &[u8]) -> Result<Detection, DetectError> {
        self.detect_encoded_marked(bytes, &mut |_| {}).await
    }

    /// [`detect_encoded`](Self::detect_encoded), marking `"decode"` once the photo is decoded and
    /// then the stages of [`detect_marked`](Self::detect_marked).
    pub async fn detect_encoded_marked(&self, bytes: &[u8], mark: &mut dyn FnMut(&'static str)) -> Result<Detection, DetectError> {
        self.detect_encoded_marked_as(bytes, self.landmarker.options().mirrored, mark).await
    }

    /// [`detect_encoded_marked`](Self::detect_encoded_marked) with `mirrored` for this photo alone.
    pub async fn detect_encoded_marked_as(&self, bytes: &[u8], mirrored: bool, mark: &mut dyn FnMut(&'static str)) -> Result<Detection, DetectError> {
        let img = jointscope_data::image_io::decode_rgb(bytes).map_err(|e| DetectError::Image(e.to_string()))?;
        mark("decode");
        self.detect_marked_as(&img, mirrored, mark).await
    }

    /// Detect in raw RGBA pixels (a canvas's `ImageData`), `width × height × 4` bytes.
    pub async fn detect_rgba(&self, rgba: &[u8], width: u32, height: u32) -> Result<Detection, DetectError> {
        self.detect_rgba_as(rgba, width, height, self.landmarker.options().mirrored).await
    }

    /// [`detect_rgba`](Self::detect_rgba) with `mirrored` for this photo alone.
    pub async fn detect_rgba_as(&self, rgba: &[u8], width: u32, height: u32, mirrored: bool) -> Result<Detection, DetectError> {
        let img = rgba_to_rgb(rgba, width, height)?;
        self.detect_marked_as(&img, mirrored, &mut |_| {}).await
    }

    /// [`detect`](Self::detect) for native callers.
    #[cfg(not(target_family = "wasm"))]
    pub fn detect_blocking(&self, img: &RgbImage) -> Result<Detection, DetectError> {
        pollster::block_on(self.detect(img))
    }
}

/// The stages [`Detector::detect_encoded_marked`] and [`Detector::detect_marked`] mark, in order
/// ([`HandLandmarker::detect_marked`] and [`Classifier::judge_hand_marked`] say what each covers;
/// `"decode"` only for an encoded photo, `"refine"` only with [`Options::refine`], `"appearance"`
/// only when the sidecar has that summary; `"quality"` is the capture check).
pub const STAGES: [&str; 8] = ["decode", "palm", "landmarks", "refine", "crops", "appearance", "classifier", "quality"];

/// The message for a photo without colour.
pub const COLOURLESS: &str = "no colour (greyscale or black and white): take a colour photo, since redness is part of what is judged";

/// Refuse a photo without colour ([`colourless`]): MediaPipe may find no hand in it, and the
/// classifier was never shown one, so it gets a message saying what to do instead of "no hand".
fn refuse_colourless(img: &RgbImage) -> Result<(), DetectError> {
    if colourless(img) { Err(DetectError::Image(COLOURLESS.into())) } else { Ok(()) }
}

/// Whether a photo is greyscale: fewer than 1 in 1 000 of its pixels (up to 2¹⁶ of them on an even
/// grid) has channels more than 12 levels apart. A JPEG of a grey photo decodes with equal
/// channels (a spread of 0–2 from chroma rounding); skin under any light spreads far more.
pub fn colourless(img: &RgbImage) -> bool {
    let (w, h) = img.dimensions();
    let step = ((w as u64 * h as u64) as f64 / 65_536.0).sqrt().ceil().max(1.0) as u32;
    let (mut seen, mut coloured) = (0u64, 0u64);
    for y in (0..h).step_by(step as usize) {
        for x in (0..w).step_by(step as usize) {
            let [r, g, b] = img.get_pixel(x, y).0;
            seen += 1;
            coloured += u64::from(r.max(g).max(b) - r.min(g).min(b) > 12);
        }
    }
    coloured * 1000 < seen
}

/// RGBA pixels (alpha ignored) into an RGB image, with the same size limits as decoding.
pub fn rgba_to_rgb(rgba: &[u8], width: u32, height: u32) -> Result<RgbImage, DetectError> {
    jointscope_data::image_io::check_dimensions(width, height).map_err(|e| DetectError::Image(e.to_string()))?;
    let n = width as usize * height as usize;
    if rgba.len() != n * 4 {
        return Err(DetectError::Image(format!("{} bytes of pixels for a {width}×{height} RGBA image (expected {})", rgba.len(), n * 4)));
    }
    let rgb: Vec<u8> = rgba.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
    RgbImage::from_raw(width, height, rgb).ok_or_else(|| DetectError::Image("pixel buffer does not fit the size".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(ok: bool) -> Quality {
        Quality { ok, checks: Vec::new() }
    }

    fn looks(familiar: bool) -> Familiarity {
        Familiarity { distance: 1.0, limit: 2.0, appearance_distance: None, appearance_limit: None, familiar }
    }

    #[test]
    fn a_grey_photo_is_colourless_and_a_faintly_tinted_one_is_not() {
        let grey = RgbImage::from_fn(300, 200, |x, y| {
            let v = ((x * 7 + y * 3) % 256) as u8;
            image::Rgb([v, v.saturating_add(1), v])
        });
        assert!(colourless(&grey));
        // 1 pixel in 100 with colour (a sepia patch, a red sticker) is a colour photo.
        let mut tinted = grey.clone();
        for y in (0..200).step_by(10) {
            for x in (0..300).step_by(10) {
                tinted.put_pixel(x, y, image::Rgb([180, 120, 100]));
            }
        }
        assert!(!colourless(&tinted));
    }

    #[test]
    fn a_hand_is_judgeable_only_when_it_passes_the_capture_check_and_looks_familiar() {
        assert!(judgeable(&checked(true), Some(&looks(true))));
        // Weights without a feature summary cannot tell: the capture check decides alone.
        assert!(judgeable(&checked(true), None));
        assert!(!judgeable(&checked(false), Some(&looks(true))));
        assert!(!judgeable(&checked(true), Some(&looks(false))));
        assert!(!judgeable(&checked(false), None));
    }
}
