//! `jointscope bench`: speed figures that peers are measured against in the same run
//! (scripts/bench.sh): the classifier's training step (vs PyTorch, bench/train_step.py) and the
//! hand-landmark model (vs onnxruntime and LiteRT, bench/landmarks_peers.py), on identical seeded inputs;
//! and the whole detection as the number of hands (joints) in a photo grows.
use anyhow::Context;
use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};
use image::RgbImage;
use jointscope_data::{Hand, View};
use jointscope_dataset::synth::{HandSpec, PatientTraits, render_hand, render_no_hand, sample_patient_severity};
use jointscope_landmarks::{Complexity, HandLandmarker, LANDMARK_INPUT, Options};
use jointscope_model::{BatchData, Layer, ModelConfig};
use jointscope_train::losses::weighted_bce;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// Reads a layer's parameter gradients out of a backward pass.
type ParamGrads = Box<dyn Fn(&burn::tensor::Gradients) -> anyhow::Result<Vec<Vec<f32>>>>;

/// One measured configuration.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    pub what: String,
    pub backend: String,
    pub config: String,
    /// Timed repetitions (after the warm-up ones).
    pub repetitions: usize,
    /// Median milliseconds per repetition.
    pub median_ms: f64,
    /// Items (photos or images) per second at the median.
    pub items_per_s: f64,
    /// Trainable parameters (training step only).
    pub parameters: Option<usize>,
    /// Training step only: SHA-256 of the weights after the last step (16 hex digits), so two
    /// machines (or thread counts, or backwards) can be compared bit for bit on the same steps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weights_sha256: Option<String>,
    /// Detection only: each stage's median milliseconds per photo ([`jointscope_detect::STAGES`],
    /// summed over the hands of a photo; stages that never ran left out).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<(String, f64)>,
}

/// `f` run `warmup` times untimed, then `repeats` times timed: the timed runs' milliseconds.
fn time_runs(warmup: usize, repeats: usize, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<Vec<f64>> {
    let mut times = Vec::with_capacity(repeats);
    for k in 0..warmup + repeats {
        let start = Instant::now();
        f()?;
        if k >= warmup {
            times.push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    Ok(times)
}

/// The median of timed repetitions; the callers check there is at least one.
fn median(v: Vec<f64>) -> anyhow::Result<f64> {
    jointscope_metrics::stats::median(&v).context("nothing was timed")
}

/// A seeded batch: `images` whole-hand views and 11 joint crops each, every tenth joint positive.
pub fn train_batch(config: &ModelConfig, images: usize, seed: u64) -> (BatchData, Vec<f32>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let joints = images * config.joints;
    let mut values = |n: usize| (0..n).map(|_| rng.random_range(-2.0f32..2.0)).collect::<Vec<_>>();
    let data = BatchData {
        global: values(images * 3 * config.global_size * config.global_size),
        local: values(joints * 3 * config.local_size * config.local_size),
        joint: (0..joints).map(|k| (k % config.joints) as i64).collect(),
        image: (0..joints).map(|k| (k / config.joints) as i64).collect(),
    };
    let targets = (0..joints).map(|k| f32::from(u8::from(k % 10 == 0))).collect();
    (data, targets)
}

/// Forward, cross-entropy, backward and an AdamW step on one batch, `warmup + steps` times, with
/// our backward for the convolutions and group norms (`own`, as training runs) or burn's.
pub fn train_step(device: &Device, backend: &str, config: &ModelConfig, images: usize, warmup: usize, steps: usize, own: bool) -> anyhow::Result<Figures> {
    anyhow::ensure!(images >= 1 && steps >= 1, "the training step needs at least 1 photo (--images) and 1 timed step (--steps), got {images} and {steps}");
    let mut figures = jointscope_ops::with_own_backward(own, || train_step_timed(device, backend, config, images, warmup, steps))?;
    if !own {
        figures.backend += " (burn's backward)";
    }
    Ok(figures)
}

fn train_step_timed(device: &Device, backend: &str, config: &ModelConfig, images: usize, warmup: usize, steps: usize) -> anyhow::Result<Figures> {
    let ad = device.clone().autodiff();
    // Seeded, so the weights after the steps (their hash) are comparable across runs and machines.
    ad.seed(17);
    let mut model = config.init(&ad)?;
    let mut optim = AdamWConfig::new().init();
    let (data, targets) = train_batch(config, images, 17);
    let n = targets.len();
    let mut times = Vec::new();
    for k in 0..warmup + steps {
        let start = Instant::now();
        let batch = data.to_batch(config, &ad)?;
        let t = Tensor::<1>::from_data(TensorData::new(targets.clone(), [n]), &ad);
        let loss = weighted_bce(model.forward(batch).logits, t, 1.0, 1.0);
        let value: f32 = loss.clone().into_scalar();
        anyhow::ensure!(value.is_finite(), "the loss became {value}");
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(1e-3, model, grads);
        // Reading the next step's loss waits for this step's update, so in the steady state the
        // median covers all of a step's work (PyTorch's side reads its loss the same way).
        if k >= warmup {
            times.push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    let ms = median(times)?;
    Ok(Figures {
        what: "training step".into(),
        backend: backend.into(),
        config: format!("{} {}/{} width {}, {images} photos × {} joints", config.arch, config.global_size, config.local_size, config.width, config.joints),
        repetitions: steps,
        median_ms: ms,
        items_per_s: images as f64 * 1e3 / ms,
        parameters: Some(model.num_params()),
        weights_sha256: Some(weights_sha256(&model)),
        stages: Vec::new(),
    })
}

/// SHA-256 (16 hex digits) of every float parameter's values in the module's visiting order.
pub fn weights_sha256<M: Module>(model: &M) -> String {
    struct Bytes(Vec<u8>);
    impl burn::module::ModuleVisitor for Bytes {
        fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<D>>) {
            let values = param.val().into_data().try_to_vec::<f32>().unwrap_or_default();
            self.0.extend(values.iter().flat_map(|v| v.to_le_bytes()));
        }
    }
    let mut b = Bytes(Vec::new());
    model.visit(&mut b);
    jointscope_detect::sidecar::sha256(&b.0)[..16].to_string()
}

/// Where a training step's time goes, median milliseconds per part.
#[derive(Debug, Clone, Serialize)]
pub struct StepProfile {
    pub backend: String,
    pub config: String,
    pub steps: usize,
    /// Building the batch's inputs from photos (crops and views, the augmentation's jitter) on the host.
    pub data_ms: f64,
    /// Host data to tensors on the device.
    pub upload_ms: f64,
    /// Forward pass with the autodiff graph, up to reading the loss.
    pub forward_ms: f64,
    pub backward_ms: f64,
    /// AdamW update of every parameter.
    pub optimizer_ms: f64,
    /// The same forward pass without autodiff (what evaluation and the browser do).
    pub inference_ms: f64,
    /// Of the forward: burn's convolution kernels and our group norm forward, as called through
    /// [`jointscope_ops`] (the rest is burn's other operations and its autodiff bookkeeping).
    pub conv_forward_ms: f64,
    pub norm_forward_ms: f64,
    /// Of the backward: our convolution and group norm backward.
    pub conv_backward_ms: f64,
    pub norm_backward_ms: f64,
}

/// A drawn photo and its joints' positions.
type ProfilePhoto = (RgbImage, Vec<(jointscope_data::Joint, jointscope_data::Point)>);

/// `images` healthy right hands drawn from `rng`, with their joints where the drawing put them.
fn profile_photos(images: usize, rng: &mut ChaCha8Rng) -> Vec<ProfilePhoto> {
    (0..images)
        .map(|_| {
            let traits = PatientTraits::sample(rng);
            let r = render_hand(&HandSpec::healthy(Hand::Right, View::Dorsal, traits), 320, 1.0, rng);
            let joints = jointscope_data::Joint::ALL.iter().map(|&j| (j, r.landmarks[j.landmark()])).collect();
            (r.image, joints)
        })
        .collect()
}

/// One training batch of `photos`, cropped as training crops (the whole-hand view jittered from
/// `rng`, each photo's joint crops from a stream seeded by its index).
fn profile_batch(photos: &[ProfilePhoto], config: &ModelConfig, rng: &mut ChaCha8Rng) -> BatchData {
    let mut data = BatchData::default();
    for (i, (img, joints)) in photos.iter().enumerate() {
        let scale = jointscope_data::geometry::hand_scale(joints, img.width(), img.height());
        let g = jointscope_train::dataset::jitter(rng, jointscope_train::dataset::TRAIN_GLOBAL_JITTER);
        let (global, local) =
            jointscope_data::preprocess::photo_views(img, joints, scale, joints.iter().map(|j| j.1), (config.global_size, config.local_size), &g, || {
                jointscope_train::dataset::jitter(&mut ChaCha8Rng::seed_from_u64(i as u64), jointscope_train::dataset::TRAIN_LOCAL_JITTER)
            });
        data.global.extend(global);
        data.local.extend(local);
        data.joint.extend(joints.iter().map(|(j, _)| j.index() as i64));
        data.image.extend(std::iter::repeat_n(i as i64, joints.len()));
    }
    data
}

/// A training step taken apart (each part timed on its own; flex runs every op eagerly, so a part
/// is done when the next one starts), after `warmup` untimed steps.
pub fn train_profile(device: &Device, backend: &str, config: &ModelConfig, images: usize, warmup: usize, steps: usize) -> anyhow::Result<StepProfile> {
    anyhow::ensure!(images >= 1 && steps >= 1, "the profile needs at least 1 photo (--images) and 1 timed step (--steps), got {images} and {steps}");
    let ad = device.clone().autodiff();
    let mut model = config.init(&ad)?;
    let mut optim = AdamWConfig::new().init();
    // Real drawn photos, cropped the way training crops them (with the augmentation's jitter).
    let mut rng = ChaCha8Rng::seed_from_u64(29);
    let photos = profile_photos(images, &mut rng);
    let mut parts: [Vec<f64>; 10] = Default::default();
    let time = |parts: &mut [Vec<f64>; 10], k: usize, timed: bool, start: Instant| {
        if timed {
            parts[k].push(start.elapsed().as_secs_f64() * 1e3);
        }
    };
    for step in 0..warmup + steps {
        let timed = step >= warmup;
        let t = Instant::now();
        let data = profile_batch(&photos, config, &mut rng);
        let n = data.joints();
        let targets: Vec<f32> = (0..n).map(|k| f32::from(u8::from(k % 10 == 0))).collect();
        time(&mut parts, 0, timed, t);
        let t = Instant::now();
        let batch = data.to_batch(config, &ad)?;
        let target = Tensor::<1>::from_data(TensorData::new(targets, [n]), &ad);
        time(&mut parts, 1, timed, t);
        jointscope_ops::take_spent();
        let t = Instant::now();
        let loss = weighted_bce(model.forward(batch).logits, target, 1.0, 1.0);
        let value: f32 = loss.clone().into_scalar();
        anyhow::ensure!(value.is_finite(), "the loss became {value}");
        time(&mut parts, 2, timed, t);
        let ours = jointscope_ops::take_spent();
        let t = Instant::now();
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        time(&mut parts, 3, timed, t);
        let back = jointscope_ops::take_spent();
        if timed {
            for (k, ms) in [(6, ours.conv_forward_ms), (7, ours.norm_forward_ms), (8, back.conv_backward_ms), (9, back.norm_backward_ms)] {
                parts[k].push(ms);
            }
        }
        let t = Instant::now();
        model = optim.step(1e-3, model, grads);
        // Reading one parameter waits for the update.
        let _ = model.clone().valid().num_params();
        time(&mut parts, 4, timed, t);
        let t = Instant::now();
        let inference = model.clone().valid();
        let logits: Vec<f32> = inference.forward(data.to_batch(config, device)?).logits.into_data().try_to_vec().map_err(|e| anyhow::anyhow!("{e:?}"))?;
        anyhow::ensure!(logits.len() == n, "one logit per joint");
        time(&mut parts, 5, timed, t);
    }
    let [data, upload, forward, backward, optimizer, inference, conv_forward, norm_forward, conv_backward, norm_backward] =
        parts.map(|v| median(v).unwrap_or(f64::NAN));
    Ok(StepProfile {
        backend: backend.into(),
        config: format!("{} {}/{} width {}, {images} photos × {} joints", config.arch, config.global_size, config.local_size, config.width, config.joints),
        steps,
        data_ms: data,
        upload_ms: upload,
        forward_ms: forward,
        backward_ms: backward,
        optimizer_ms: optimizer,
        inference_ms: inference,
        conv_forward_ms: conv_forward,
        norm_forward_ms: norm_forward,
        conv_backward_ms: conv_backward,
        norm_backward_ms: norm_backward,
    })
}

/// One layer of the training step's encoders timed alone.
#[derive(Debug, Clone, Serialize)]
pub struct LayerFigures {
    /// Which encoder it belongs to: "local" (the joint crops) or "global" (the whole-hand views).
    pub encoder: String,
    pub layer: Layer,
    /// Median ms of the forward pass without autodiff.
    pub forward_ms: f64,
    /// Median ms of forward and backward with autodiff, as training runs them
    /// ([`jointscope_ops`]: our backward where it applies): the parameters' gradients, and the
    /// input's unless the layer reads the photo (as in training).
    pub train_ms: f64,
    /// The same with burn's own backward ([`jointscope_ops::with_own_backward`] off), in the same run.
    pub burn_train_ms: f64,
}

/// The layers of `config`'s plain encoders on the batch of `images` photos, each timed alone:
/// `warmup` untimed then `repeats` timed repetitions of the forward, of forward + backward as
/// training runs it and of forward + burn's own backward. Each repetition ends by reading the sum
/// of the output (and of a gradient).
pub fn layers(device: &Device, config: &ModelConfig, images: usize, warmup: usize, repeats: usize) -> anyhow::Result<Vec<LayerFigures>> {
    anyhow::ensure!(images >= 1 && repeats >= 1, "the layer benchmark needs at least 1 photo (--images) and 1 timed run (--steps), got {images} and {repeats}");
    let model = config.init(device)?;
    let ad = device.clone().autodiff();
    let mut encoders = Vec::new();
    if let Some(e) = &model.local {
        encoders.push(("local", e.layers(images * config.joints, config.local_size)));
    }
    if let Some(e) = &model.global {
        encoders.push(("global", e.layers(images, config.global_size)));
    }
    let mut out = Vec::new();
    for (encoder, layers) in encoders {
        anyhow::ensure!(!layers.is_empty(), "the {encoder} encoder is not a plain one: only plain encoders are timed layer by layer");
        for layer in layers {
            let timed = |train: bool, own: bool| -> anyhow::Result<f64> {
                jointscope_ops::with_own_backward(own, || {
                    let run = layer_runner(&layer, if train { &ad } else { device }, train);
                    median(time_runs(warmup, repeats, || {
                        let value = run()?;
                        anyhow::ensure!(value.is_finite(), "the layer's output sum became {value}");
                        Ok(())
                    })?)
                })
            };
            out.push(LayerFigures {
                encoder: encoder.into(),
                layer,
                forward_ms: timed(false, true)?,
                train_ms: timed(true, true)?,
                burn_train_ms: timed(true, false)?,
            });
        }
    }
    Ok(out)
}

/// What a layer is, in a table's words: "conv 3×3 /2, 3→16" or "group norm, 4 groups".
pub fn layer_name(layer: &Layer) -> String {
    match *layer {
        Layer::Conv { input, out_channels, kernel, stride, .. } => {
            let s = if stride == 1 { String::new() } else { format!(" /{stride}") };
            format!("conv {kernel}×{kernel}{s}, {}→{out_channels}", input[1])
        }
        Layer::GroupNorm { groups, .. } => format!("group norm, {groups} groups"),
    }
}

/// [`layers`]' figures as a Markdown table, with their sum.
pub fn layers_table(figures: &[LayerFigures]) -> String {
    let mut t = String::from(
        "| encoder | layer | input | forward ms | fwd+bwd ms, burn's backward | fwd+bwd ms, ours | burn ÷ ours |\n|---|---|---|---|---|---|---|\n",
    );
    for f in figures {
        let input = f.layer.input().map(|d| d.to_string()).join("×");
        t += &format!(
            "| {} | {} | {input} | {:.2} | {:.2} | {:.2} | {:.1} |\n",
            f.encoder,
            layer_name(&f.layer),
            f.forward_ms,
            f.burn_train_ms,
            f.train_ms,
            f.burn_train_ms / f.train_ms
        );
    }
    let (fwd, burn, ours) = figures.iter().fold((0.0, 0.0, 0.0), |(a, b, c), f| (a + f.forward_ms, b + f.burn_train_ms, c + f.train_ms));
    t += &format!("| all | | | {fwd:.2} | {burn:.2} | {ours:.2} | {:.1} |", burn / ours);
    t
}

/// `layer` on seeded random inputs made once (their values do not change the time); each call
/// runs its forward (and, with `train`, backward) through [`jointscope_ops`] as the model does,
/// and returns the output's sum (plus a gradient's), so the work is done when it returns.
fn layer_runner(layer: &Layer, device: &Device, train: bool) -> Box<dyn Fn() -> anyhow::Result<f32>> {
    use burn::tensor::Distribution;
    let normal = Distribution::Normal(0.0, 1.0);
    let grad = |t: Tensor<4>, wanted: bool| if train && wanted { t.require_grad() } else { t };
    match *layer {
        Layer::Conv { input, out_channels, kernel, stride, padding } => {
            let x = grad(Tensor::<4>::random(input, normal, device), input[1] != 3);
            let mut conv = conv_with_weight(Tensor::<4>::random([out_channels, input[1], kernel, kernel], normal, device), stride, padding, device);
            if !train {
                conv = conv.no_grad();
            }
            Box::new(move || {
                let y = jointscope_ops::conv2d(&conv, x.clone()).sum();
                read_out(y, train.then(|| (conv.weight.val(), "the convolution's weight")))
            })
        }
        Layer::GroupNorm { input, groups } => {
            let norm = burn::nn::GroupNormConfig::new(groups, input[1]).init(device);
            let x = grad(Tensor::<4>::random(input, normal, device), true);
            Box::new(move || {
                let y = jointscope_ops::group_norm(&norm, x.clone()).sum();
                read_out(y, train.then(|| (x.clone(), "the group norm's input")))
            })
        }
    }
}

/// A convolution module of `weight`'s shape (`[out, in, k, k]`, with a bias) with `stride` and
/// `padding` on every side, holding `weight`: the layers' convolutions as the model builds them.
fn conv_with_weight(weight: Tensor<4>, stride: usize, padding: usize, device: &Device) -> burn::nn::conv::Conv2d {
    let [cout, cin, kernel, _] = weight.dims();
    let mut conv = burn::nn::conv::Conv2dConfig::new([cin, cout], [kernel, kernel])
        .with_stride([stride, stride])
        .with_padding(burn::nn::PaddingConfig2d::Explicit(padding, padding, padding, padding))
        .init(device);
    conv.weight = burn::module::Param::from_tensor(weight);
    conv
}

/// A layer's summed output `y` read back; with `grad_of` (a tensor and its name), after the
/// backward pass, plus the sum of that tensor's gradient, so the backward has to run.
fn read_out(y: Tensor<1>, grad_of: Option<(Tensor<4>, &str)>) -> anyhow::Result<f32> {
    let Some((t, name)) = grad_of else { return Ok(y.into_scalar()) };
    let grads = y.clone().backward();
    let g = t.grad(&grads).ok_or_else(|| anyhow::anyhow!("no gradient for {name}"))?;
    Ok(y.inner().into_scalar::<f32>() + g.sum().into_scalar::<f32>())
}

/// One layer's gradients from our backward on seeded values, for its PyTorch peer to recompute
/// (`bench/layers.py --gradients`).
#[derive(Debug, Clone, Serialize)]
pub struct GradientCase {
    pub layer: Layer,
    pub x: Vec<f32>,
    /// Convolution: weight and bias; group norm: γ and β.
    pub params: Vec<Vec<f32>>,
    /// The loss is `Σ y · dy`, so `dy` is the output's gradient.
    pub dy: Vec<f32>,
    /// The input's gradient, then the parameters' in `params`' order.
    pub grads: Vec<Vec<f32>>,
}

/// [`GradientCase`]s for every layer of `config`'s plain local encoder on `crops` joint crops,
/// computed as training computes them (flex with autodiff, [`jointscope_ops`]).
pub fn gradient_cases(config: &ModelConfig, crops: usize) -> anyhow::Result<Vec<GradientCase>> {
    let device = Device::flex();
    let model = config.init(&device)?;
    let encoder = model.local.as_ref().context("the configuration has no local encoder")?;
    let ad = device.autodiff();
    let mut rng = ChaCha8Rng::seed_from_u64(31);
    let mut values = |n: usize, scale: f32| (0..n).map(|_| rng.random_range(-1.0f32..1.0) * scale).collect::<Vec<f32>>();
    let vector = |v: &[f32]| Tensor::<1>::from_data(TensorData::new(v.to_vec(), [v.len()]), &ad);
    let tensor = |v: &[f32], shape: [usize; 4]| Tensor::<4>::from_data(TensorData::new(v.to_vec(), shape), &ad);
    let read = |t: Option<Tensor<4>>| -> anyhow::Result<Vec<f32>> {
        t.context("a gradient is missing")?.into_data().try_to_vec::<f32>().map_err(|e| anyhow::anyhow!("{e:?}"))
    };
    let read1 = |t: Option<Tensor<1>>| -> anyhow::Result<Vec<f32>> {
        t.context("a gradient is missing")?.into_data().try_to_vec::<f32>().map_err(|e| anyhow::anyhow!("{e:?}"))
    };
    let mut out = Vec::new();
    for layer in encoder.layers(crops, config.local_size) {
        let input = layer.input();
        let x = values(input.iter().product(), 2.0);
        let xt = tensor(&x, input).require_grad();
        let (y, params, pgrads): (Tensor<4>, Vec<Vec<f32>>, ParamGrads) = match layer {
            Layer::Conv { input, out_channels, kernel, stride, padding } => {
                let (w, b) = (values(out_channels * input[1] * kernel * kernel, 0.3), values(out_channels, 0.3));
                let mut conv = conv_with_weight(tensor(&w, [out_channels, input[1], kernel, kernel]), stride, padding, &ad);
                conv.bias = Some(burn::module::Param::from_tensor(vector(&b)));
                let (wt, bt) = (conv.weight.val(), conv.bias.as_ref().map(|b| b.val()).context("bias")?);
                let y = jointscope_ops::conv2d(&conv, xt.clone());
                (y, vec![w, b], Box::new(move |g| Ok(vec![read(wt.grad(g))?, read1(bt.grad(g))?])))
            }
            Layer::GroupNorm { input, groups } => {
                let (gamma, beta) = (values(input[1], 0.5).iter().map(|v| v + 1.0).collect::<Vec<_>>(), values(input[1], 0.5));
                let mut norm = burn::nn::GroupNormConfig::new(groups, input[1]).init(&ad);
                norm.gamma = Some(burn::module::Param::from_tensor(vector(&gamma)));
                norm.beta = Some(burn::module::Param::from_tensor(vector(&beta)));
                let (gt, bt) = (norm.gamma.as_ref().map(|p| p.val()).context("gamma")?, norm.beta.as_ref().map(|p| p.val()).context("beta")?);
                let y = jointscope_ops::group_norm(&norm, xt.clone());
                (y, vec![gamma, beta], Box::new(move |g| Ok(vec![read1(gt.grad(g))?, read1(bt.grad(g))?])))
            }
        };
        let dy = values(y.dims().iter().product(), 1.0);
        let grads = (y.clone() * tensor(&dy, y.dims())).sum().backward();
        let mut all = vec![read(xt.grad(&grads))?];
        all.extend(pgrads(&grads)?);
        out.push(GradientCase { layer, x, params, dy, grads: all });
    }
    Ok(out)
}

/// The hand-landmark model alone on `count` seeded 224×224 inputs (batch 1), each run `repeats`
/// times after one warm-up; writes the inputs as raw little-endian f32, NHWC, to `inputs` so the
/// onnxruntime side reads the same ones.
pub fn landmarks(device: &Device, backend: &str, models: &Path, count: usize, repeats: usize, inputs: &Path) -> anyhow::Result<Figures> {
    anyhow::ensure!(
        count >= 1 && repeats >= 1,
        "the landmark benchmark needs at least 1 input (--inputs) and 1 timed run (--repeats), got {count} and {repeats}"
    );
    let marker = HandLandmarker::from_dir(models, Complexity::Full, device, Options::default())?;
    let (side, plane) = (LANDMARK_INPUT, LANDMARK_INPUT * LANDMARK_INPUT);
    let mut rng = ChaCha8Rng::seed_from_u64(23);
    // Planar (channel-major) inputs for burn; the peers read them channels-last.
    let planar: Vec<Vec<f32>> = (0..count).map(|_| (0..3 * plane).map(|_| rng.random_range(0.0f32..1.0)).collect()).collect();
    let nhwc = planar.iter().flat_map(|x| (0..plane).flat_map(move |p| (0..3).map(move |c| x[c * plane + p])));
    jointscope_train::run::write_atomic(inputs, &nhwc.flat_map(f32::to_le_bytes).collect::<Vec<u8>>())?;
    let mut times = Vec::new();
    for x in &planar {
        times.extend(time_runs(1, repeats, || {
            let input = Tensor::<4>::from_data(TensorData::new(x.clone(), [1, 3, side, side]), device);
            let out = pollster::block_on(marker.run_landmarks(input))?;
            anyhow::ensure!(out.len() == 1, "one output per input");
            Ok(())
        })?);
    }
    let ms = median(times)?;
    Ok(Figures {
        what: "hand landmarks (hand_landmark_full, 224×224, batch 1)".into(),
        backend: backend.into(),
        config: format!("{count} inputs × {repeats} runs"),
        repetitions: count * repeats,
        median_ms: ms,
        items_per_s: 1e3 / ms,
        parameters: None,
        weights_sha256: None,
        stages: Vec::new(),
    })
}

/// A seeded synthetic photo holding `hands` hands side by side, each on a `size`-pixel square
/// (no hand: a background with skin-coloured blobs).
fn photo_with_hands(hands: usize, size: u32, rng: &mut ChaCha8Rng) -> RgbImage {
    if hands == 0 {
        return render_no_hand(size, 2, rng);
    }
    let traits = PatientTraits::sample(rng);
    let severity = sample_patient_severity(rng, 0.3);
    let mut img = RgbImage::new(size * hands as u32, size);
    for h in 0..hands {
        let hand = if h % 2 == 0 { Hand::Right } else { Hand::Left };
        let spec = HandSpec::new(hand, View::Dorsal, severity[h % 2], traits);
        let drawn = render_hand(&spec, size, 1.0, rng);
        image::imageops::replace(&mut img, &drawn.image, i64::from(h as u32 * size), 0);
    }
    img
}

/// The photos [`detect`] times.
pub enum DetectPhotos<'a> {
    /// `count` seeded synthetic photos with `hands` hands each (0, 1 or 2; `size` px per hand).
    Synthetic { hands: usize, size: u32, count: usize },
    /// Photo files, decoded on every run (decoding is timed as the `"decode"` stage).
    Files(&'a [std::path::PathBuf]),
}

/// The whole detection (palm detection → landmarks → every joint's verdict) on `photos`, each run
/// `repeats` times after a warm-up: how its cost grows with the joints in a photo, and (`stages`)
/// where it goes.
pub fn detect(export: &Path, models: &Path, device: &Device, backend: &str, photos: DetectPhotos, repeats: usize) -> anyhow::Result<Figures> {
    anyhow::ensure!(repeats > 0, "need at least one timed run");
    let (images, files, described): (Vec<RgbImage>, Vec<Vec<u8>>, String) = match photos {
        DetectPhotos::Synthetic { hands, size, count } => {
            anyhow::ensure!(hands <= 2, "the detector returns at most 2 hands per photo; asked for {hands}");
            anyhow::ensure!(count > 0, "need at least one photo");
            anyhow::ensure!(size >= 64, "hands are drawn on squares of at least 64 pixels; asked for {size}");
            jointscope_data::image_io::check_dimensions(size.saturating_mul(hands.max(1) as u32), size).map_err(|e| anyhow::anyhow!("{e}"))?;
            let mut rng = ChaCha8Rng::seed_from_u64(29);
            let images = (0..count).map(|_| photo_with_hands(hands, size, &mut rng)).collect();
            (images, Vec::new(), format!("{hands} hand(s) drawn per {}×{size} photo", size * hands.max(1) as u32))
        }
        DetectPhotos::Files(paths) => {
            anyhow::ensure!(!paths.is_empty(), "need at least one photo");
            let files = paths.iter().map(|p| std::fs::read(p).with_context(|| format!("reading {}", p.display()))).collect::<anyhow::Result<_>>()?;
            (Vec::new(), files, format!("{} photo file(s), decoding included", paths.len()))
        }
    };
    let detector = jointscope_detect::Detector::from_dirs(export, models, jointscope_landmarks::Complexity::Full, device, Options::default())?;
    let names = jointscope_detect::STAGES;
    let count = images.len() + files.len();
    let (mut found, mut judged) = (0, 0);
    let mut times = Vec::new();
    let mut stage_times: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    for k in 0..count {
        for r in 0..=repeats {
            let start = Instant::now();
            let (mut last, mut spent) = (start, [0.0; jointscope_detect::STAGES.len()]);
            let mut mark = |stage: &str| {
                let now = Instant::now();
                if let Some(k) = names.iter().position(|&s| s == stage) {
                    spent[k] += (now - last).as_secs_f64() * 1e3;
                }
                last = now;
            };
            let d = match images.get(k) {
                Some(img) => pollster::block_on(detector.detect_marked(img, &mut mark)),
                None => pollster::block_on(detector.detect_encoded_marked(&files[k - images.len()], &mut mark)),
            }
            .with_context(|| format!("photo {}", k + 1))?;
            if r == 0 {
                found += d.hands.len();
                judged += d.hands.iter().map(|h| h.joints.len()).sum::<usize>();
            } else {
                times.push(start.elapsed().as_secs_f64() * 1e3);
                stage_times.iter_mut().zip(spent).for_each(|(t, ms)| t.push(ms));
            }
        }
    }
    let ms = median(times)?;
    let mut stages = Vec::new();
    for (name, t) in names.iter().zip(stage_times) {
        if t.iter().any(|&v| v > 0.0) {
            stages.push((name.to_string(), median(t)?));
        }
    }
    Ok(Figures {
        what: "detection (palm → landmarks → joint verdicts)".into(),
        backend: backend.into(),
        config: format!(
            "{described}; found {:.1} hands and judged {:.1} joints per photo; {count} photos × {repeats} runs",
            found as f64 / count as f64,
            judged as f64 / count as f64
        ),
        repetitions: count * repeats,
        median_ms: ms,
        items_per_s: 1e3 / ms,
        parameters: None,
        weights_sha256: None,
        stages,
    })
}
