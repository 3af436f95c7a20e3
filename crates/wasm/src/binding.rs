//! The wasm-bindgen surface (wasm32 only): Rust values go to JavaScript as plain objects
//! (serde-wasm-bindgen), typed by the TypeScript declarations tsify derives from the same Rust types.
use burn::tensor::Device;
#[cfg(feature = "bench")]
use burn::tensor::{Tensor, TensorData};
use jointscope_data::{Joint, Point};
use jointscope_detect::{DetectError, Detector, Tracking};
#[cfg(feature = "bench")]
use jointscope_landmarks::{HandLandmarker, LANDMARK_INPUT};
use jointscope_landmarks::{LandmarkError, Options};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// A joint at a known position in photo pixels (what `judgeEncoded` takes).
#[derive(Debug, Clone, Serialize, Deserialize, tsify::Tsify)]
pub struct JointAt {
    pub joint: Joint,
    pub x: f32,
    pub y: f32,
}

/// The detection settings a page may change (`setOptions`), by MediaPipe's names for what they do;
/// a setting left out keeps its value. Whether a photo is mirrored is said with each photo.
#[derive(Debug, Clone, Default, Serialize, Deserialize, tsify::Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DetectionOptions {
    /// At most this many hands per photo (1 to 8; default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[tsify(optional)]
    pub max_hands: Option<usize>,
    /// Palm detections scoring below this (0 to 1; default 0.5) are not looked at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[tsify(optional)]
    pub min_palm_score: Option<f32>,
    /// Hands the landmark model is less sure than this are there (0 to 1; default 0.5) are dropped,
    /// and a followed hand below it is lost in video mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[tsify(optional)]
    pub min_presence: Option<f32>,
}

impl DetectionOptions {
    fn of(o: &Options) -> Self {
        DetectionOptions { max_hands: Some(o.max_hands), min_palm_score: Some(o.min_palm_score), min_presence: Some(o.min_presence) }
    }

    fn applied_to(&self, o: Options) -> Options {
        Options {
            max_hands: self.max_hands.unwrap_or(o.max_hands),
            min_palm_score: self.min_palm_score.unwrap_or(o.min_palm_score),
            min_presence: self.min_presence.unwrap_or(o.min_presence),
            ..o
        }
    }
}

/// A Rust value as a plain JavaScript object (`null` for `None`, arrays for tuples and vectors).
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| backend_error(e.to_string()))
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(message: &str);
    #[cfg(feature = "bench")]
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// A detection and where its time went (`profileEncoded`).
#[cfg(feature = "bench")]
#[derive(Debug, Clone, Serialize, tsify::Tsify)]
pub struct DetectionProfile {
    pub detection: jointscope_detect::Detection,
    /// `[stage, milliseconds]` for the stages of `jointscope_detect::STAGES` that ran, in the
    /// order they first ran, each summed over the photo's hands.
    pub stages: Vec<(String, f64)>,
}

/// Forwards the libraries' warnings and errors (`log`) to the console: the GPU runtime reports
/// shader compilation failures only there.
struct ConsoleLog;

impl log::Log for ConsoleLog {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::Level::Warn
    }
    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            console_error(&format!("jointscope [{}] {}: {}", record.level(), record.target(), record.args()));
        }
    }
    fn flush(&self) {}
}

/// A panic is a bug (bad input is an error, never a panic), and in wasm it aborts: say where it
/// happened on the console before the trap, so it can be reported.
fn report_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| console_error(&format!("jointscope: internal error: {info}"))));
        if log::set_logger(&ConsoleLog).is_ok() {
            log::set_max_level(log::LevelFilter::Warn);
        }
    });
}

/// A typed, readable JavaScript error.
fn js_error(e: &DetectError) -> JsValue {
    let name = match e {
        DetectError::Sidecar(_) => "SidecarError",
        DetectError::Weights(_) => "WeightsError",
        DetectError::Landmarks(LandmarkError::Input(_)) | DetectError::Image(_) => "ImageError",
        DetectError::Landmarks(LandmarkError::Backend(_)) | DetectError::Backend(_) => "BackendError",
        DetectError::Landmarks(LandmarkError::Options(_)) | DetectError::Input(_) => "InputError",
        DetectError::Landmarks(LandmarkError::Model(_) | LandmarkError::Missing(_)) => "ModelError",
    };
    let err = js_sys::Error::new(&e.to_string());
    err.set_name(name);
    err.into()
}

fn backend_error(message: String) -> JsValue {
    let err = js_sys::Error::new(&message);
    err.set_name("BackendError");
    err.into()
}

/// The limits every photo is checked against (file size, pixels, sides).
#[wasm_bindgen(unchecked_return_type = "PhotoLimits")]
pub fn limits() -> Result<JsValue, JsValue> {
    to_js(&jointscope_data::image_io::LIMITS)
}

/// The joints judged on each hand, by their names in results (`MCP1` … `WRIST`), in the order of
/// a hand's `joints`.
#[wasm_bindgen(js_name = jointNames)]
pub fn joint_names() -> Vec<String> {
    Joint::ALL.iter().map(|j| j.name().to_string()).collect()
}

/// The bones between MediaPipe's 21 hand landmarks, as pairs of landmark indices (what
/// MediaPipe's own API calls `HAND_CONNECTIONS`).
#[wasm_bindgen(js_name = handConnections)]
pub fn hand_connections() -> Vec<js_sys::Array> {
    jointscope_landmarks::HAND_BONES.iter().map(|&(a, b)| js_sys::Array::of2(&(a as u32).into(), &(b as u32).into())).collect()
}

/// Which compute backends this bundle was built with: `["webgpu", "cpu"]` or `["cpu"]`.
#[wasm_bindgen(js_name = backends)]
pub fn backends() -> Vec<String> {
    let mut b = Vec::new();
    if cfg!(feature = "webgpu") {
        b.push("webgpu".to_string());
    }
    b.push("cpu".to_string());
    b
}

async fn device(backend: &str) -> Result<Device, JsValue> {
    match backend {
        "cpu" => Ok(Device::flex()),
        #[cfg(feature = "webgpu")]
        "webgpu" => Device::wgpu_options().init_async().await.map_err(|e| backend_error(format!("WebGPU could not be initialised: {e}"))),
        other => Err(backend_error(format!("backend {other:?} is not in this bundle (it has {:?})", backends()))),
    }
}

/// Hand landmarks and the joint classifier, loaded and warmed up on one backend.
#[wasm_bindgen]
pub struct JointDetector {
    inner: Rc<Detector>,
    backend: String,
    /// What the last video frame leaves for the next (`detectForVideo`).
    tracking: Rc<RefCell<Option<Tracking>>>,
}

#[wasm_bindgen]
impl JointDetector {
    /// Load the MediaPipe palm and landmark `.tflite` files and the exported classifier
    /// (`jointscope.json` + `jointscope.bpk`) on `backend` (`"webgpu"` or `"cpu"`), check the weights
    /// against their sidecar, and run every model once. Whether a photo is mirrored is said with
    /// each photo.
    pub async fn create(palm: Vec<u8>, landmark: Vec<u8>, sidecar: Vec<u8>, weights: Vec<u8>, backend: String) -> Result<JointDetector, JsValue> {
        report_panics();
        let device = device(&backend).await?;
        let detector = Detector::from_bytes(&palm, &landmark, &sidecar, weights, &device, Options::default()).map_err(|e| js_error(&e))?;
        detector.warm_up().await.map_err(|e| js_error(&e))?;
        Ok(JointDetector { inner: Rc::new(detector), backend, tracking: Rc::default() })
    }

    /// The backend in use: `"webgpu"` or `"cpu"`.
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.backend.clone()
    }

    /// What a flagged joint (`inflamed`) means for these weights, in words a patient can use
    /// (the same sentence as every detection's `meaning`).
    #[wasm_bindgen(getter)]
    pub fn meaning(&self) -> String {
        jointscope_detect::flag_meaning(self.inner.classifier().sidecar())
    }

    /// The detection settings in force (every field given).
    #[wasm_bindgen(getter, unchecked_return_type = "DetectionOptions")]
    pub fn options(&self) -> Result<JsValue, JsValue> {
        to_js(&DetectionOptions::of(&self.inner.landmarker().options()))
    }

    /// Change detection settings from the next photo or frame on (MediaPipe's `setOptions`): the
    /// fields given replace the ones in force, the others keep theirs. An unknown field or a value
    /// out of range is an `InputError` and changes nothing.
    #[wasm_bindgen(js_name = setOptions)]
    pub fn set_options(&self, #[wasm_bindgen(unchecked_param_type = "DetectionOptions")] options: JsValue) -> Result<(), JsValue> {
        let refuse = |e: String| js_error(&DetectError::Input(format!("options: {e}")));
        // Through a JSON value: serde-wasm-bindgen reads only a struct's own fields, so an unknown
        // one would pass unseen.
        let value: serde_json::Value = serde_wasm_bindgen::from_value(options).map_err(|e| refuse(e.to_string()))?;
        let change: DetectionOptions = serde_json::from_value(value).map_err(|e| refuse(e.to_string()))?;
        let marker = self.inner.landmarker();
        marker.set_options(change.applied_to(marker.options())).map_err(|e| js_error(&e.into()))
    }

    /// The weights' sidecar (threshold, training data, notice).
    #[wasm_bindgen(getter, unchecked_return_type = "Sidecar")]
    pub fn sidecar(&self) -> Result<JsValue, JsValue> {
        to_js(self.inner.classifier().sidecar())
    }

    /// Detect in RGBA pixels (`ImageData.data`), `width × height × 4` bytes. `mirrored`: the
    /// photo is a mirror image (a front-camera selfie), so handedness is swapped back.
    #[wasm_bindgen(js_name = detectRgba, unchecked_return_type = "Promise<Detection>")]
    pub fn detect_rgba(&self, rgba: Vec<u8>, width: u32, height: u32, mirrored: bool) -> js_sys::Promise {
        let inner = Rc::clone(&self.inner);
        wasm_bindgen_futures::future_to_promise(async move { to_js(&inner.detect_rgba_as(&rgba, width, height, mirrored).await.map_err(|e| js_error(&e))?) })
    }

    /// Video mode, for a live camera's capture check: one frame's RGBA pixels at `timestampMs`
    /// (milliseconds, larger than the previous frame's). The hand of the previous frame is
    /// followed into this one (palm detection only when it is lost), and only the landmarks and
    /// the capture check run.
    #[wasm_bindgen(js_name = detectForVideo, unchecked_return_type = "Promise<FrameCheck>")]
    pub fn detect_for_video(&self, rgba: Vec<u8>, width: u32, height: u32, timestamp_ms: f64, mirrored: bool) -> js_sys::Promise {
        let inner = Rc::clone(&self.inner);
        let tracking = Rc::clone(&self.tracking);
        wasm_bindgen_futures::future_to_promise(async move {
            let img = jointscope_detect::rgba_to_rgb(&rgba, width, height).map_err(|e| js_error(&e))?;
            // Taken for the frame and put back after it: a frame started meanwhile looks for the hand afresh.
            let mut state = tracking.take();
            let frame = inner.check_frame(&img, timestamp_ms, &mut state, mirrored).await;
            tracking.replace(state);
            to_js(&frame.map_err(|e| js_error(&e))?)
        })
    }

    /// Judge joints at positions the caller already knows (no landmark step), in a PNG or JPEG
    /// file's bytes; resolves to one verdict per joint, in the given order. These are the
    /// probabilities `jointscope evaluate` gives for the same photo and positions.
    #[wasm_bindgen(js_name = judgeEncoded, unchecked_return_type = "Promise<JointVerdict[]>")]
    pub fn judge_encoded(&self, bytes: Vec<u8>, #[wasm_bindgen(unchecked_param_type = "JointAt[]")] joints: JsValue) -> js_sys::Promise {
        let inner = Rc::clone(&self.inner);
        wasm_bindgen_futures::future_to_promise(async move {
            let joints: Vec<JointAt> = serde_wasm_bindgen::from_value(joints).map_err(|e| js_error(&DetectError::Input(format!("joints: {e}"))))?;
            let located: Vec<(Joint, Point)> = joints.into_iter().map(|j| (j.joint, Point::new(j.x, j.y))).collect();
            let img = jointscope_data::image_io::decode_rgb(&bytes).map_err(|e| js_error(&DetectError::Image(e.to_string())))?;
            to_js(&inner.classifier().judge(&img, &located).await.map_err(|e| js_error(&e))?)
        })
    }

    /// Decode a PNG or JPEG file's bytes (size limits checked first, EXIF orientation applied) and
    /// detect in it; `mirrored` as for [`detectRgba`](Self::detect_rgba).
    #[wasm_bindgen(js_name = detectEncoded, unchecked_return_type = "Promise<Detection>")]
    pub fn detect_encoded(&self, bytes: Vec<u8>, mirrored: bool) -> js_sys::Promise {
        let inner = Rc::clone(&self.inner);
        wasm_bindgen_futures::future_to_promise(async move {
            to_js(&inner.detect_encoded_marked_as(&bytes, mirrored, &mut |_| {}).await.map_err(|e| js_error(&e))?)
        })
    }
}

/// Entries for the benchmarks (`bench/web`) and their tests only, left out of the bundles the
/// page and the npm package ship (feature `bench`).
#[cfg(feature = "bench")]
#[wasm_bindgen]
impl JointDetector {
    /// [`detectEncoded`](Self::detect_encoded), timing each stage with `performance.now()`: for
    /// profiling a photo in the browser (`bench/web`), not for the page.
    #[wasm_bindgen(js_name = profileEncoded, unchecked_return_type = "Promise<DetectionProfile>")]
    pub fn profile_encoded(&self, bytes: Vec<u8>) -> js_sys::Promise {
        let inner = Rc::clone(&self.inner);
        wasm_bindgen_futures::future_to_promise(async move {
            let mut last = performance_now();
            let mut stages: Vec<(String, f64)> = Vec::new();
            let mut mark = |stage: &'static str| {
                let now = performance_now();
                match stages.iter_mut().find(|(s, _)| s == stage) {
                    Some((_, ms)) => *ms += now - last,
                    None => stages.push((stage.to_string(), now - last)),
                }
                last = now;
            };
            let detection = inner.detect_encoded_marked(&bytes, &mut mark).await.map_err(|e| js_error(&e))?;
            to_js(&DetectionProfile { detection, stages })
        })
    }
}

/// MediaPipe's hand-landmark model alone (no palm detection, no classifier), so that it can be
/// timed against other runtimes on identical inputs in the same browser (`bench/web`; feature
/// `bench`).
#[cfg(feature = "bench")]
#[wasm_bindgen]
pub struct LandmarkModel {
    inner: Rc<HandLandmarker>,
}

#[cfg(feature = "bench")]
#[wasm_bindgen]
impl LandmarkModel {
    /// Load the palm and landmark `.tflite` files on `backend` (`"webgpu"` or `"cpu"`).
    pub async fn create(palm: Vec<u8>, landmark: Vec<u8>, backend: String) -> Result<LandmarkModel, JsValue> {
        report_panics();
        let device = device(&backend).await?;
        let marker = HandLandmarker::new(&palm, &landmark, &device, Options::default()).map_err(|e| js_error(&e.into()))?;
        Ok(LandmarkModel { inner: Rc::new(marker) })
    }

    /// Run the landmark model on one planar 3×224×224 input (values 0..1, the layout of the ONNX
    /// conversion's `input_1`). Resolves to a `Float32Array` of 65 values: 21 × (x, y, z) in input
    /// pixels, the presence score and the handedness score.
    pub fn run(&self, planar: Vec<f32>) -> js_sys::Promise {
        let inner = Rc::clone(&self.inner);
        wasm_bindgen_futures::future_to_promise(async move {
            let side = LANDMARK_INPUT;
            if planar.len() != 3 * side * side {
                return Err(js_error(&DetectError::Input(format!("the landmark model takes 3 × {side} × {side} values, got {}", planar.len()))));
            }
            let input = Tensor::<4>::from_data(TensorData::new(planar, [1, 3, side, side]), inner.device());
            let out = inner.run_landmarks(input).await.map_err(|e| js_error(&e.into()))?;
            let o = out.into_iter().next().ok_or_else(|| backend_error("the landmark model returned nothing".into()))?;
            let mut values = o.landmarks;
            values.extend([o.presence, o.handedness]);
            Ok(js_sys::Float32Array::from(&values[..]).into())
        })
    }
}
