//! Runs a parsed TFLite graph with burn tensor operations, so the same weights execute on flex (CPU),
//! wgpu natively and WebGPU in the browser.
//!
//! Four-dimensional activations are kept channels-first (NCHW, burn's convolution layout) while the
//! TFLite graph is channels-last (NHWC): axes are translated per operator, and a reshape of a 4-D value
//! first restores NHWC order so flattened outputs match TFLite element for element. Constants are
//! converted (float16 → float32, OHWI → OIHW) once, when the graph is built. Nothing here reads a
//! tensor back to the host, so the graph is safe on WebGPU.

use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::module::{conv2d, interpolate, max_pool2d};
use burn::tensor::ops::{ConvOptions, InterpolateMode, InterpolateOptions, MaxPoolOptions, PadMode};
use burn::tensor::{Device, Tensor, TensorData};

use crate::LandmarkError;
use crate::tflite::{Activation, OpKind, Padding, TfliteModel};

fn bad(msg: impl Into<String>) -> LandmarkError {
    LandmarkError::Model(msg.into())
}

/// A value flowing through the graph. 4-D values are stored NCHW.
#[derive(Clone, Debug)]
pub enum Value {
    D2(Tensor<2>),
    D3(Tensor<3>),
    D4(Tensor<4>),
}

impl Value {
    /// TFLite-order (NHWC for 4-D) shape.
    fn tfl_shape(&self) -> Vec<usize> {
        match self {
            Value::D2(t) => t.dims().to_vec(),
            Value::D3(t) => t.dims().to_vec(),
            Value::D4(t) => {
                let [n, c, h, w] = t.dims();
                vec![n, h, w, c]
            }
        }
    }

    /// Flat tensor in TFLite element order.
    fn flat(self) -> Tensor<1> {
        match self {
            Value::D2(t) => t.flatten(0, 1),
            Value::D3(t) => t.flatten(0, 2),
            Value::D4(t) => t.permute([0, 2, 3, 1]).flatten(0, 3),
        }
    }

    /// Builds a value of TFLite shape `shape` from a flat tensor in TFLite order.
    fn from_flat(flat: Tensor<1>, shape: &[usize]) -> Result<Self, LandmarkError> {
        Ok(match *shape {
            [a, b] => Value::D2(flat.reshape([a, b])),
            [a, b, c] => Value::D3(flat.reshape([a, b, c])),
            [n, h, w, c] => Value::D4(flat.reshape([n, h, w, c]).permute([0, 3, 1, 2])),
            _ => return Err(bad(format!("unsupported tensor rank {}", shape.len()))),
        })
    }

    fn d4(self, what: &str) -> Result<Tensor<4>, LandmarkError> {
        match self {
            Value::D4(t) => Ok(t),
            other => Err(bad(format!("{what} expects a 4-D tensor, got shape {:?}", other.tfl_shape()))),
        }
    }

    /// The value as a 4-D NCHW tensor.
    pub fn into_d4(self) -> Option<Tensor<4>> {
        match self {
            Value::D4(t) => Some(t),
            _ => None,
        }
    }

    /// The value flattened per batch item: `[batch, elements]` in TFLite order.
    pub fn into_rows(self) -> Tensor<2> {
        match self {
            Value::D2(t) => t,
            Value::D3(t) => {
                let [n, a, b] = t.dims();
                t.reshape([n, a * b])
            }
            Value::D4(t) => {
                let [n, c, h, w] = t.dims();
                t.permute([0, 2, 3, 1]).reshape([n, h * w * c])
            }
        }
    }

    fn map(self, f4: impl FnOnce(Tensor<4>) -> Tensor<4>, f3: impl FnOnce(Tensor<3>) -> Tensor<3>, f2: impl FnOnce(Tensor<2>) -> Tensor<2>) -> Self {
        match self {
            Value::D2(t) => Value::D2(f2(t)),
            Value::D3(t) => Value::D3(f3(t)),
            Value::D4(t) => Value::D4(f4(t)),
        }
    }
}

fn activate(v: Value, act: Activation) -> Value {
    fn apply<const D: usize>(t: Tensor<D>, act: Activation) -> Tensor<D> {
        match act {
            Activation::None => t,
            Activation::Relu => relu(t),
            Activation::Relu6 => t.clamp(0.0, 6.0),
            Activation::ReluN1To1 => t.clamp(-1.0, 1.0),
            Activation::Tanh => t.tanh(),
        }
    }
    if act == Activation::None {
        return v;
    }
    v.map(|t| apply(t, act), |t| apply(t, act), |t| apply(t, act))
}

/// TensorFlow "SAME" padding for one spatial axis: (before, after).
fn same_padding(input: usize, kernel: usize, stride: usize, dilation: usize) -> (usize, usize) {
    let out = input.div_ceil(stride);
    let effective = (kernel - 1) * dilation + 1;
    let total = ((out.saturating_sub(1)) * stride + effective).saturating_sub(input);
    (total / 2, total - total / 2)
}

/// A graph step with its constants already on the device.
#[derive(Debug)]
enum Step {
    Conv { x: usize, weight: Tensor<4>, bias: Option<Tensor<1>>, stride: [usize; 2], dilation: [usize; 2], groups: usize, same: bool, act: Activation },
    Add { a: usize, b: Operand, act: Activation },
    Concat { xs: Vec<usize>, axis: usize, act: Activation },
    FullyConnected { x: usize, weight_t: Tensor<2>, bias: Option<Tensor<1>>, act: Activation },
    Logistic { x: usize },
    MaxPool { x: usize, filter: [usize; 2], stride: [usize; 2], same: bool, act: Activation },
    MeanSpatial { x: usize, keep_dims: bool },
    Pad { x: usize, pads: [(usize, usize); 4] },
    PRelu { x: usize, alpha: Tensor<4> },
    Act { x: usize, act: Activation },
    Reshape { x: usize, shape: Vec<usize> },
    Resize { x: usize, size: [usize; 2], align_corners: bool },
}

#[derive(Debug)]
enum Operand {
    Value(usize),
    Const(Box<Tensor<4>>),
}

/// A TFLite graph ready to run on one burn device.
#[derive(Debug)]
pub struct Graph {
    steps: Vec<(Step, usize)>,
    /// For each step, the values whose last use it is (freed afterwards to keep memory low).
    frees: Vec<Vec<usize>>,
    input: usize,
    /// NHWC shape of the input, batch excluded.
    input_hwc: [usize; 3],
    outputs: Vec<usize>,
    tensor_count: usize,
}

/// What one operator becomes: a step to run, or a constant for later operators.
enum Lowered {
    Step(Box<Step>),
    Constant(Vec<f32>),
}

impl Graph {
    /// Converts a parsed model into device-resident steps.
    pub fn new(model: &TfliteModel, device: &Device) -> Result<Self, LandmarkError> {
        let n = model.tensors.len();
        let mut consts: Vec<Option<Vec<f32>>> = Vec::with_capacity(n);
        for t in &model.tensors {
            consts.push(match t.dtype {
                crate::tflite::DType::I32 => None,
                _ => t.values_f32()?,
            });
        }
        let [input] = model.inputs[..] else {
            return Err(bad(format!("expected one graph input, found {}", model.inputs.len())));
        };
        let input_hwc = match model.tensors[input].shape[..] {
            [_, h, w, c] => [h, w, c],
            ref s => return Err(bad(format!("graph input must be NHWC, has shape {s:?}"))),
        };
        let mut steps = Vec::new();
        for (k, op) in model.ops.iter().enumerate() {
            match Self::lower(model, k, &consts, device)? {
                Lowered::Step(step) => steps.push((*step, op.outputs[0])),
                Lowered::Constant(v) => consts[op.outputs[0]] = Some(v),
            }
        }
        // Every graph output must be produced by some step.
        for &o in &model.outputs {
            if !steps.iter().any(|(_, out)| *out == o) && o != input {
                return Err(bad(format!("graph output {} is never computed", model.tensors[o].name)));
            }
        }
        let frees = Self::frees(&steps, n, &model.outputs);
        Ok(Self { steps, frees, input, input_hwc, outputs: model.outputs.clone(), tensor_count: n })
    }

    /// Operator `k` of `model` as a step on `device` (its constants uploaded, their layout
    /// converted to NCHW), or, for a constant dequantisation, the constant it makes.
    fn lower(model: &TfliteModel, k: usize, consts: &[Option<Vec<f32>>], device: &Device) -> Result<Lowered, LandmarkError> {
        let o = Operands { model, k, consts, device };
        let op = &model.ops[k];
        let out_shape = o.shape(op.outputs[0]);
        let step = match &op.kind {
            OpKind::Dequantize => {
                let v = o.constant(0).map_err(|_| bad(format!("operator {k}: only constant dequantisation is supported")))?;
                return Ok(Lowered::Constant(v));
            }
            OpKind::Conv2d { padding, stride, dilation, act } => {
                let ws = o.shape(o.id(1)?);
                let [oc, kh, kw, i] = ws[..] else { return Err(bad(format!("conv weight shape {ws:?}"))) };
                let weight = o.upload(o.constant(1)?).reshape([oc, kh, kw, i]).permute([0, 3, 1, 2]);
                let bias = o.bias(oc)?;
                Step::Conv { x: o.id(0)?, weight, bias, stride: *stride, dilation: *dilation, groups: 1, same: *padding == Padding::Same, act: *act }
            }
            OpKind::Depthwise { padding, stride, dilation, multiplier, act } => {
                let ws = o.shape(o.id(1)?);
                let [1, kh, kw, oc] = ws[..] else { return Err(bad(format!("depthwise weight shape {ws:?}"))) };
                let weight = o.upload(o.constant(1)?).reshape([kh, kw, oc]).permute([2, 0, 1]).reshape([oc, 1, kh, kw]);
                let bias = o.bias(oc)?;
                let groups = oc / multiplier;
                Step::Conv { x: o.id(0)?, weight, bias, stride: *stride, dilation: *dilation, groups, same: *padding == Padding::Same, act: *act }
            }
            OpKind::Add { act } => Step::Add { a: o.id(0)?, b: o.addend()?, act: *act },
            OpKind::Concat { axis, act } => {
                let xs = (0..op.inputs.len()).map(|j| o.id(j)).collect::<Result<Vec<_>, _>>()?;
                Step::Concat { xs, axis: concat_axis(*axis, out_shape.len())?, act: *act }
            }
            OpKind::FullyConnected { act, keep_dims } => {
                if *keep_dims {
                    return Err(bad("FULLY_CONNECTED with keep_num_dims is not supported"));
                }
                let ws = o.shape(o.id(1)?);
                let [oc, i] = ws[..] else { return Err(bad(format!("fully-connected weight shape {ws:?}"))) };
                let weight_t = o.upload(o.constant(1)?).reshape([oc, i]).transpose();
                let bias = o.bias(oc)?;
                Step::FullyConnected { x: o.id(0)?, weight_t, bias, act: *act }
            }
            OpKind::Logistic => Step::Logistic { x: o.id(0)? },
            OpKind::Relu => Step::Act { x: o.id(0)?, act: Activation::Relu },
            OpKind::Relu6 => Step::Act { x: o.id(0)?, act: Activation::Relu6 },
            OpKind::MaxPool { padding, stride, filter, act } => {
                Step::MaxPool { x: o.id(0)?, filter: *filter, stride: *stride, same: *padding == Padding::Same, act: *act }
            }
            OpKind::Mean { keep_dims } => o.spatial_mean(*keep_dims)?,
            OpKind::Pad => o.pad()?,
            OpKind::PRelu => {
                let alpha = o.constant(1)?;
                let c = alpha.len();
                Step::PRelu { x: o.id(0)?, alpha: o.upload(alpha).reshape([1, c, 1, 1]) }
            }
            OpKind::Reshape => Step::Reshape { x: o.id(0)?, shape: out_shape },
            OpKind::ResizeBilinear { align_corners, half_pixel_centers } => {
                let [_, h, w, _] = out_shape[..] else { return Err(bad("RESIZE_BILINEAR output must be 4-D")) };
                if *align_corners == *half_pixel_centers {
                    return Err(bad("RESIZE_BILINEAR: only half-pixel-centre or align-corners modes are supported"));
                }
                Step::Resize { x: o.id(0)?, size: [h, w], align_corners: *align_corners }
            }
        };
        Ok(Lowered::Step(Box::new(step)))
    }

    /// For each step, the values whose last use it is (graph outputs are kept), so intermediate
    /// tensors are dropped as soon as possible.
    fn frees(steps: &[(Step, usize)], n: usize, outputs: &[usize]) -> Vec<Vec<usize>> {
        let mut last_use = vec![usize::MAX; n];
        for (k, (step, _)) in steps.iter().enumerate() {
            for v in step_inputs(step) {
                last_use[v] = k;
            }
        }
        let mut frees = vec![Vec::new(); steps.len()];
        for (v, &k) in last_use.iter().enumerate() {
            if k != usize::MAX && !outputs.contains(&v) {
                frees[k].push(v);
            }
        }
        frees
    }

    /// `[height, width, channels]` the graph expects.
    pub fn input_hwc(&self) -> [usize; 3] {
        self.input_hwc
    }

    /// Runs the graph on an NCHW batch; returns the graph outputs in order.
    pub fn forward(&self, x: Tensor<4>) -> Result<Vec<Value>, LandmarkError> {
        let [_, c, h, w] = x.dims();
        if [h, w, c] != self.input_hwc {
            return Err(bad(format!("input is {h}×{w}×{c}, the model expects {:?}", self.input_hwc)));
        }
        let batch = x.dims()[0];
        let mut values: Vec<Option<Value>> = vec![None; self.tensor_count];
        values[self.input] = Some(Value::D4(x));
        for (k, (step, out)) in self.steps.iter().enumerate() {
            let get =
                |i: usize| -> Result<Value, LandmarkError> { values[i].clone().ok_or_else(|| bad(format!("step {k} reads tensor {i} before it is computed"))) };
            let result = apply(step, &get, batch)?;
            values[*out] = Some(result);
            for &v in &self.frees[k] {
                values[v] = None;
            }
        }
        self.outputs.iter().map(|&o| values[o].take().ok_or_else(|| bad(format!("output {o} was not computed")))).collect()
    }
}

/// The inputs of operator `k` of `model` while it is lowered: tensor ids, shapes and the constants
/// known so far, uploaded to `device` on request.
struct Operands<'a> {
    model: &'a TfliteModel,
    k: usize,
    consts: &'a [Option<Vec<f32>>],
    device: &'a Device,
}

impl Operands<'_> {
    /// The tensor id of input `j`.
    fn id(&self, j: usize) -> Result<usize, LandmarkError> {
        let op = &self.model.ops[self.k];
        op.inputs.get(j).and_then(|&i| usize::try_from(i).ok()).ok_or_else(|| bad(format!("operator {} ({:?}) lacks input {j}", self.k, op.kind)))
    }

    fn shape(&self, i: usize) -> Vec<usize> {
        self.model.tensors[i].shape.clone()
    }

    /// The values of input `j`, which must be a constant.
    fn constant(&self, j: usize) -> Result<Vec<f32>, LandmarkError> {
        let id = self.id(j)?;
        self.consts[id].clone().ok_or_else(|| bad(format!("operator {}: input {j} must be a constant", self.k)))
    }

    /// The values of input `j` when it is present and constant.
    fn optional(&self, j: usize) -> Option<Vec<f32>> {
        self.id(j).ok().and_then(|i| self.consts[i].clone())
    }

    /// The optional bias (input 2) of an operator with `channels` outputs, one value per channel.
    fn bias(&self, channels: usize) -> Result<Option<Tensor<1>>, LandmarkError> {
        match self.optional(2) {
            Some(b) if b.len() != channels => Err(bad(format!("operator {}: {} bias values for {channels} channels", self.k, b.len()))),
            b => Ok(b.map(|b| self.upload(b))),
        }
    }

    /// `data` as a flat tensor on the device.
    fn upload(&self, data: Vec<f32>) -> Tensor<1> {
        let n = data.len();
        Tensor::<1>::from_data(TensorData::new(data, [n]), self.device)
    }

    /// ADD's second input: a per-channel constant, broadcast over NCHW, or a computed value.
    fn addend(&self) -> Result<Operand, LandmarkError> {
        let b = self.id(1)?;
        let Some(v) = &self.consts[b] else { return Ok(Operand::Value(b)) };
        let c = *self.shape(b).last().unwrap_or(&1);
        if v.len() != c {
            return Err(bad("ADD with a non-per-channel constant is not supported"));
        }
        Ok(Operand::Const(Box::new(self.upload(v.clone()).reshape([1, c, 1, 1]))))
    }

    /// MEAN, supported over the two spatial axes of a 4-D input only.
    fn spatial_mean(&self, keep_dims: bool) -> Result<Step, LandmarkError> {
        let axes = self.model.tensors[self.id(1)?].values_i64()?.ok_or_else(|| bad("MEAN axes must be constant"))?;
        let mut axes: Vec<i64> = axes.iter().map(|&a| if a < 0 { a + 4 } else { a }).collect();
        axes.sort();
        if axes != [1, 2] || self.shape(self.id(0)?).len() != 4 {
            return Err(bad(format!("MEAN over axes {axes:?} is not supported (only spatial means)")));
        }
        Ok(Step::MeanSpatial { x: self.id(0)?, keep_dims })
    }

    /// PAD of a 4-D input by constant, non-negative paddings, in NCHW order.
    fn pad(&self) -> Result<Step, LandmarkError> {
        let p = self.model.tensors[self.id(1)?].values_i64()?.ok_or_else(|| bad("PAD paddings must be constant"))?;
        if p.len() != 8 || p.iter().any(|&v| !(0..=4096).contains(&v)) {
            return Err(bad(format!("PAD paddings {p:?} not supported (4-D, non-negative)")));
        }
        let pair = |a: usize| (p[2 * a] as usize, p[2 * a + 1] as usize);
        // NHWC axes → NCHW order.
        Ok(Step::Pad { x: self.id(0)?, pads: [pair(0), pair(3), pair(1), pair(2)] })
    }
}

/// A TFLite concatenation axis (negative from the end) of a rank-`rank` output, in NCHW order.
fn concat_axis(axis: i32, rank: usize) -> Result<usize, LandmarkError> {
    let rank = rank as i32;
    let axis = if axis < 0 { axis + rank } else { axis };
    if !(0..rank).contains(&axis) {
        return Err(bad(format!("concat axis {axis} out of range")));
    }
    Ok(if rank == 4 { [0, 2, 3, 1][axis as usize] } else { axis as usize })
}

/// One step on the values computed so far (`get` reads one by index); `batch` is the real batch size.
fn apply(step: &Step, get: &dyn Fn(usize) -> Result<Value, LandmarkError>, batch: usize) -> Result<Value, LandmarkError> {
    Ok(match step {
        Step::Conv { x, weight, bias, stride, dilation, groups, same, act } => {
            let t = get(*x)?.d4("convolution")?;
            let [_, _, ih, iw] = t.dims();
            let [_, _, kh, kw] = weight.dims();
            let padding = if *same { [same_padding(ih, kh, stride[0], dilation[0]), same_padding(iw, kw, stride[1], dilation[1])] } else { [(0, 0), (0, 0)] };
            let opts = ConvOptions::new_with_padding(*stride, padding, *dilation, *groups);
            activate(Value::D4(conv2d(t, weight.clone(), bias.clone(), opts)), *act)
        }
        Step::Add { a, b, act } => activate(add(get(*a)?, b, get)?, *act),
        Step::Concat { xs, axis, act } => {
            let vs = xs.iter().map(|&i| get(i)).collect::<Result<Vec<_>, _>>()?;
            activate(concat(vs, *axis)?, *act)
        }
        Step::FullyConnected { x, weight_t, bias, act } => {
            let t = get(*x)?.into_rows();
            let mut y = t.matmul(weight_t.clone());
            if let Some(b) = bias {
                y = y + b.clone().unsqueeze::<2>();
            }
            activate(Value::D2(y), *act)
        }
        Step::Logistic { x } => get(*x)?.map(sigmoid, sigmoid, sigmoid),
        Step::Act { x, act } => activate(get(*x)?, *act),
        Step::MaxPool { x, filter, stride, same, act } => activate(max_pool(get(*x)?.d4("MAX_POOL_2D")?, *filter, *stride, *same), *act),
        Step::MeanSpatial { x, keep_dims } => {
            let t = get(*x)?.d4("MEAN")?;
            let [n, c, _, _] = t.dims();
            let m = t.mean_dim(3).mean_dim(2);
            if *keep_dims { Value::D4(m) } else { Value::D2(m.reshape([n, c])) }
        }
        Step::Pad { x, pads } => Value::D4(get(*x)?.d4("PAD")?.pad(*pads, PadMode::Constant(0.0))),
        Step::PRelu { x, alpha } => {
            let t = get(*x)?.d4("PRELU")?;
            // prelu(x) = max(x, 0) + alpha · min(x, 0)
            Value::D4(relu(t.clone()) + alpha.clone() * (t.clone() - relu(t)))
        }
        Step::Reshape { x, shape } => reshape(get(*x)?, shape, batch)?,
        Step::Resize { x, size, align_corners } => {
            let t = get(*x)?.d4("RESIZE_BILINEAR")?;
            let opts = InterpolateOptions::new(InterpolateMode::Bilinear).with_align_corners(*align_corners).with_output_size(*size);
            Value::D4(interpolate(t, opts))
        }
    })
}

/// `a + b` for a constant or a computed `b` of the same rank.
fn add(a: Value, b: &Operand, get: &dyn Fn(usize) -> Result<Value, LandmarkError>) -> Result<Value, LandmarkError> {
    Ok(match (a, b) {
        (Value::D4(a), Operand::Const(c)) => Value::D4(a + c.as_ref().clone()),
        (a, Operand::Const(_)) => return Err(bad(format!("ADD of a constant to shape {:?}", a.tfl_shape()))),
        (Value::D2(a), Operand::Value(b)) => match get(*b)? {
            Value::D2(b) => Value::D2(a + b),
            _ => return Err(bad("ADD of tensors with different ranks")),
        },
        (Value::D3(a), Operand::Value(b)) => match get(*b)? {
            Value::D3(b) => Value::D3(a + b),
            _ => return Err(bad("ADD of tensors with different ranks")),
        },
        (Value::D4(a), Operand::Value(b)) => match get(*b)? {
            Value::D4(b) => Value::D4(a + b),
            _ => return Err(bad("ADD of tensors with different ranks")),
        },
    })
}

/// The values joined along `axis`; all must have the first one's rank.
fn concat(vs: Vec<Value>, axis: usize) -> Result<Value, LandmarkError> {
    Ok(match &vs[0] {
        Value::D2(_) => Value::D2(Tensor::cat(
            vs.into_iter()
                .map(|v| match v {
                    Value::D2(t) => Ok(t),
                    _ => Err(bad("CONCATENATION of mixed ranks")),
                })
                .collect::<Result<_, _>>()?,
            axis,
        )),
        Value::D3(_) => Value::D3(Tensor::cat(
            vs.into_iter()
                .map(|v| match v {
                    Value::D3(t) => Ok(t),
                    _ => Err(bad("CONCATENATION of mixed ranks")),
                })
                .collect::<Result<_, _>>()?,
            axis,
        )),
        Value::D4(_) => Value::D4(Tensor::cat(vs.into_iter().map(|v| v.d4("CONCATENATION")).collect::<Result<_, _>>()?, axis)),
    })
}

/// Max pooling, padded with the lowest float to TFLite's `SAME` output size when `same`.
fn max_pool(mut t: Tensor<4>, filter: [usize; 2], stride: [usize; 2], same: bool) -> Value {
    if same {
        let [_, _, ih, iw] = t.dims();
        let (ph, pw) = (same_padding(ih, filter[0], stride[0], 1), same_padding(iw, filter[1], stride[1], 1));
        if ph != (0, 0) || pw != (0, 0) {
            t = t.pad([ph, pw], PadMode::Constant(f32::MIN));
        }
    }
    Value::D4(max_pool2d(t, MaxPoolOptions::new(filter).with_stride(stride)))
}

/// `v` in `shape`, whose stored batch of 1 is scaled to the real `batch`.
fn reshape(v: Value, shape: &[usize], batch: usize) -> Result<Value, LandmarkError> {
    let mut shape = shape.to_vec();
    if let Some(first) = shape.first_mut() {
        *first *= batch;
    }
    let from = v.tfl_shape();
    if from.iter().product::<usize>() != shape.iter().product::<usize>() {
        return Err(bad(format!("RESHAPE from {from:?} to {shape:?}")));
    }
    Value::from_flat(v.flat(), &shape)
}

fn step_inputs(step: &Step) -> Vec<usize> {
    match step {
        Step::Conv { x, .. }
        | Step::FullyConnected { x, .. }
        | Step::Logistic { x }
        | Step::MaxPool { x, .. }
        | Step::MeanSpatial { x, .. }
        | Step::Pad { x, .. }
        | Step::PRelu { x, .. }
        | Step::Act { x, .. }
        | Step::Reshape { x, .. }
        | Step::Resize { x, .. } => vec![*x],
        Step::Add { a, b, .. } => match b {
            Operand::Value(b) => vec![*a, *b],
            Operand::Const(_) => vec![*a],
        },
        Step::Concat { xs, .. } => xs.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::same_padding;

    #[test]
    fn same_padding_matches_tensorflow() {
        // 224 → 112 with a 3×3 stride-2 kernel: TensorFlow pads 0 before, 1 after.
        assert_eq!(same_padding(224, 3, 2, 1), (0, 1));
        // stride 1, 5×5: symmetric 2.
        assert_eq!(same_padding(96, 5, 1, 1), (2, 2));
        // 192 → 96 with 5×5 stride 2: total 3 → (1, 2).
        assert_eq!(same_padding(192, 5, 2, 1), (1, 2));
        // 1×1 kernels never pad.
        assert_eq!(same_padding(7, 1, 1, 1), (0, 0));
    }
}
