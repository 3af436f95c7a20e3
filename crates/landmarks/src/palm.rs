//! Palm detection post-processing, as MediaPipe's palm detection graph configures it: SSD anchors,
//! box and keypoint decoding, sigmoid scores, weighted non-maximum suppression.

/// Number of anchors (and detector outputs) of the 192×192 palm models.
pub const NUM_ANCHORS: usize = 2016;
/// Values per anchor: box (4) + 7 keypoints × 2.
pub const NUM_COORDS: usize = 18;
/// Side of the palm detector's square input.
pub const INPUT_SIZE: usize = 192;

/// One palm candidate in the detector's normalised input frame (0..1 of the 192×192 letterboxed square).
#[derive(Debug, Clone, PartialEq)]
pub struct PalmDetection {
    pub score: f32,
    /// (xmin, ymin, xmax, ymax)
    pub bbox: (f32, f32, f32, f32),
    /// 7 keypoints: wrist centre, index MCP, middle MCP, ring MCP, pinky MCP, thumb CMC, thumb MCP
    /// (0 and 2 orient the hand).
    pub keypoints: [(f32, f32); 7],
}

/// Anchor centres of `SsdAnchorsCalculator` (4 layers, strides 8/16/16/16, fixed size, 2 anchors per
/// layer): 24×24×2 + 12×12×6 = 2016, in the detector's output order.
pub fn anchors() -> Vec<(f32, f32)> {
    let strides = [8usize, 16, 16, 16];
    let mut out = Vec::with_capacity(NUM_ANCHORS);
    let mut layer = 0;
    while layer < strides.len() {
        let stride = strides[layer];
        let mut same = 0;
        while layer + same < strides.len() && strides[layer + same] == stride {
            same += 1;
        }
        let per_cell = 2 * same; // one aspect ratio + the interpolated scale, per layer
        let fm = INPUT_SIZE.div_ceil(stride);
        for y in 0..fm {
            for x in 0..fm {
                for _ in 0..per_cell {
                    out.push(((x as f32 + 0.5) / fm as f32, (y as f32 + 0.5) / fm as f32));
                }
            }
        }
        layer += same;
    }
    out
}

/// Decodes raw detector outputs (`boxes`: 2016×18, `scores`: 2016 logits) into candidates above
/// `min_score`, then merges overlapping ones (weighted NMS, IoU > 0.3).
pub fn decode(boxes: &[f32], scores: &[f32], anchors: &[(f32, f32)], min_score: f32) -> Vec<PalmDetection> {
    let scale = INPUT_SIZE as f32;
    let mut found: Vec<PalmDetection> = Vec::new();
    for (i, &(ax, ay)) in anchors.iter().enumerate() {
        let (Some(&logit), Some(raw)) = (scores.get(i), boxes.get(i * NUM_COORDS..(i + 1) * NUM_COORDS)) else { break };
        let score = 1.0 / (1.0 + (-logit.clamp(-100.0, 100.0)).exp());
        if score.is_nan() || score < min_score || raw.iter().any(|v| !v.is_finite()) {
            continue;
        }
        let (cx, cy) = (raw[0] / scale + ax, raw[1] / scale + ay);
        let (w, h) = (raw[2] / scale, raw[3] / scale);
        let mut keypoints = [(0.0, 0.0); 7];
        for (k, kp) in keypoints.iter_mut().enumerate() {
            *kp = (raw[4 + 2 * k] / scale + ax, raw[5 + 2 * k] / scale + ay);
        }
        found.push(PalmDetection { score, bbox: (cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0), keypoints });
    }
    weighted_nms(found, 0.3)
}

/// MediaPipe's weighted non-maximum suppression: each cluster (IoU above `threshold` with its best
/// member) becomes one detection whose box and keypoints are the score-weighted mean, and whose score
/// is the best one.
pub fn weighted_nms(mut dets: Vec<PalmDetection>, threshold: f32) -> Vec<PalmDetection> {
    dets.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = Vec::new();
    while !dets.is_empty() {
        let best = dets[0].bbox;
        let (cluster, rest): (Vec<_>, Vec<_>) = dets.into_iter().partition(|d| crate::roi::iou(d.bbox, best) > threshold);
        let total: f32 = cluster.iter().map(|d| d.score).sum();
        let mut merged = cluster[0].clone();
        let mut bbox = (0.0, 0.0, 0.0, 0.0);
        let mut kps = [(0.0f32, 0.0f32); 7];
        for d in &cluster {
            let w = d.score / total;
            bbox.0 += d.bbox.0 * w;
            bbox.1 += d.bbox.1 * w;
            bbox.2 += d.bbox.2 * w;
            bbox.3 += d.bbox.3 * w;
            for (k, p) in kps.iter_mut().enumerate() {
                p.0 += d.keypoints[k].0 * w;
                p.1 += d.keypoints[k].1 * w;
            }
        }
        merged.bbox = bbox;
        merged.keypoints = kps;
        out.push(merged);
        dets = rest;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchor_grid_matches_the_detector_output() {
        let a = anchors();
        assert_eq!(a.len(), NUM_ANCHORS);
        // First layer: 24×24 cells, two anchors each.
        assert_eq!(a[0], (0.5 / 24.0, 0.5 / 24.0));
        assert_eq!(a[1], a[0]);
        assert_eq!(a[2], (1.5 / 24.0, 0.5 / 24.0));
        // The 12×12 layers start after 1152 anchors with six per cell.
        assert_eq!(a[1152], (0.5 / 12.0, 0.5 / 12.0));
        assert_eq!(a[1157], a[1152]);
        assert_eq!(a[1158], (1.5 / 12.0, 0.5 / 12.0));
        assert_eq!(a[2015], (11.5 / 12.0, 11.5 / 12.0));
    }

    #[test]
    fn decode_finds_one_box_and_merges_duplicates() {
        let a = anchors();
        let mut boxes = vec![0.0f32; NUM_ANCHORS * NUM_COORDS];
        let mut scores = vec![-10.0f32; NUM_ANCHORS];
        // Two neighbouring anchors predict the same 48-pixel palm with slightly different centres.
        for (i, dx) in [(1152 + 6 * (5 * 12 + 5), 0.0f32), (1152 + 6 * (5 * 12 + 5) + 1, 4.0)] {
            boxes[i * NUM_COORDS] = dx;
            boxes[i * NUM_COORDS + 2] = 48.0;
            boxes[i * NUM_COORDS + 3] = 48.0;
            scores[i] = 3.0;
        }
        let d = decode(&boxes, &scores, &a, 0.5);
        assert_eq!(d.len(), 1);
        let cx = (d[0].bbox.0 + d[0].bbox.2) / 2.0;
        assert!((cx - (5.5 / 12.0 + 2.0 / 192.0)).abs() < 1e-5, "{cx}");
        assert!((d[0].score - 1.0 / (1.0 + (-3.0f32).exp())).abs() < 1e-6);
        // Nothing above the threshold: nothing found.
        assert!(decode(&boxes, &vec![-10.0; NUM_ANCHORS], &a, 0.5).is_empty());
    }
}
