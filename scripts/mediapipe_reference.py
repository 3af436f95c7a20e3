"""Google's own MediaPipe hand pipeline (the legacy `mediapipe.solutions.hands` of mediapipe==0.10.21,
static image mode, up to two hands, the full models) on photos, as the reference jointscope's burn
pipeline is compared with (crates/landmarks/tests/real_hands.rs, `jointscope locate-bench --real`).

Usage: python mediapipe_reference.py [--video] OUT.json PHOTO [PHOTO ...]
With --video the photos are the frames of one clip, in order, and MediaPipe runs in its video mode
(`static_image_mode=False`): a hand found in one frame is followed into the next from its landmarks,
palm detection only when it is lost.
Photos are read with Pillow with their EXIF orientation applied (as jointscope reads them) and
given to MediaPipe as RGB. For each photo OUT.json lists the hands found: handedness as the
person's hand (the legacy solution labels hands as if the photo were mirrored; these photos are
not, so its label is swapped), its score, and the 21 landmarks in photo pixels (x, y) with z as
MediaPipe reports it (relative depth, scaled like x).
"""
import json
import sys

import mediapipe as mp
import numpy as np
from PIL import Image, ImageOps


def main() -> None:
    args = sys.argv[1:]
    video = args[:1] == ["--video"]
    out, photos = (args[1], args[2:]) if video else (args[0], args[1:])
    results = []
    with mp.solutions.hands.Hands(static_image_mode=not video, max_num_hands=2, model_complexity=1, min_detection_confidence=0.5) as hands:
        for path in photos:
            img = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
            w, h = img.size
            found = hands.process(np.asarray(img))
            entry = {"photo": path, "width": w, "height": h, "hands": []}
            for lms, cls in zip(found.multi_hand_landmarks or [], found.multi_handedness or []):
                label = cls.classification[0]
                person = {"Left": "right", "Right": "left"}[label.label]
                entry["hands"].append({
                    "handedness": person,
                    "score": label.score,
                    "landmarks": [[p.x * w, p.y * h, p.z * w] for p in lms.landmark],
                })
            results.append(entry)
    with open(out, "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
