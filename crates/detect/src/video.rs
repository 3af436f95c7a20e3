//! Video mode, for a live camera's capture check: each frame's hand followed from the previous
//! frame's landmarks (MediaPipe's `detectForVideo`), and only what the check needs — landmarks and
//! the capture check, no classifier and no familiarity.
use crate::{DetectError, Detector, Quality, quality};
use image::RgbImage;
use jointscope_data::Hand;
use jointscope_landmarks::DetectedHand;
use serde::{Deserialize, Serialize};

/// What one video frame leaves for the next: the hands to follow and the frame's timestamp.
/// Opaque; start with `None` and pass the same value to every frame of one stream.
#[derive(Debug, Clone)]
pub struct Tracking {
    hands: Vec<DetectedHand>,
    timestamp_ms: f64,
}

/// One hand in a video frame: where it is and whether a photo of it would pass the capture check.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
pub struct FrameHand {
    /// The person's left or right hand.
    pub handedness: Hand,
    /// Confidence of `handedness` (0.5..1).
    pub handedness_score: f32,
    /// The landmark model's hand-presence score.
    pub presence: f32,
    /// The 21 MediaPipe landmarks: x, y in frame pixels, z relative depth.
    pub landmarks: Vec<[f32; 3]>,
    /// The capture check a photo of this frame would get.
    pub quality: Quality,
}

/// The hands in one video frame.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
pub struct FrameCheck {
    /// Size of the frame the coordinates refer to.
    pub width: u32,
    pub height: u32,
    /// The timestamp the frame was given with (milliseconds).
    pub timestamp_ms: f64,
    /// The hands were followed from the previous frame (palm detection skipped); `false` on the
    /// first frame and whenever the hands were lost and looked for again.
    pub tracked: bool,
    pub hands: Vec<FrameHand>,
}

impl Detector {
    /// The capture check on one frame of a video stream at `timestamp_ms` (milliseconds, larger
    /// than the previous frame's): the hands of the previous frame (`tracking`) are followed
    /// ([`HandLandmarker::track`](jointscope_landmarks::HandLandmarker::track)), and palm detection
    /// runs only when there is none to follow. `tracking` is updated only when the frame succeeds.
    pub async fn check_frame(&self, img: &RgbImage, timestamp_ms: f64, tracking: &mut Option<Tracking>, mirrored: bool) -> Result<FrameCheck, DetectError> {
        if !timestamp_ms.is_finite() {
            return Err(DetectError::Input(format!("the frame's timestamp must be a number of milliseconds, not {timestamp_ms}")));
        }
        if let Some(t) = tracking.as_ref().filter(|t| timestamp_ms <= t.timestamp_ms) {
            return Err(DetectError::Input(format!("frame timestamps must increase: {timestamp_ms} ms after {} ms", t.timestamp_ms)));
        }
        let previous = tracking.as_ref().map_or(&[][..], |t| &t.hands[..]);
        let (found, tracked) = self.landmarker.track(img, previous, mirrored).await?;
        let local_size = self.classifier.sidecar().architecture.local_size;
        let hands = found
            .iter()
            .map(|h| FrameHand {
                handedness: h.handedness,
                handedness_score: h.handedness_score,
                presence: h.presence,
                landmarks: h.landmarks.clone(),
                quality: quality::assess(img, h, mirrored, local_size, &quality::LIMITS),
            })
            .collect();
        *tracking = Some(Tracking { hands: found, timestamp_ms });
        Ok(FrameCheck { width: img.width(), height: img.height(), timestamp_ms, tracked, hands })
    }
}
