//! A small, bounds-checked reader for the TensorFlow Lite flatbuffer format: just the parts the
//! MediaPipe hand models use (one subgraph, float32/float16/int32 constants, builtin operators).
//!
//! Field numbers follow `tensorflow/lite/schema/schema.fbs`. Every read is checked, so a truncated or
//! altered file gives [`LandmarkError::Model`] instead of a panic.

use crate::LandmarkError;

/// A constant tensor's shape and values.
type ShapedValues = (Vec<usize>, Vec<f32>);

fn bad(msg: impl Into<String>) -> LandmarkError {
    LandmarkError::Model(msg.into())
}

/// A view of a flatbuffer table.
#[derive(Clone, Copy)]
struct Table<'a> {
    buf: &'a [u8],
    pos: usize,
    vtable: usize,
    vtable_len: usize,
}

fn read<const N: usize>(buf: &[u8], pos: usize) -> Result<[u8; N], LandmarkError> {
    pos.checked_add(N)
        .and_then(|end| buf.get(pos..end))
        .map(|s| s.try_into().expect("slice of length N"))
        .ok_or_else(|| bad(format!("offset {pos} is past the end of the file ({} bytes)", buf.len())))
}

fn u32_at(buf: &[u8], pos: usize) -> Result<u32, LandmarkError> {
    read::<4>(buf, pos).map(u32::from_le_bytes)
}

impl<'a> Table<'a> {
    fn at(buf: &'a [u8], pos: usize) -> Result<Self, LandmarkError> {
        let soff = i32::from_le_bytes(read::<4>(buf, pos)?) as i64;
        let vtable = pos as i64 - soff;
        if vtable < 0 {
            return Err(bad("vtable offset points before the file start"));
        }
        let vtable = vtable as usize;
        let vtable_len = u16::from_le_bytes(read::<2>(buf, vtable)?) as usize;
        Ok(Self { buf, pos, vtable, vtable_len })
    }

    /// Absolute position of field `id`, or None when the field is absent (default value).
    fn field(&self, id: usize) -> Result<Option<usize>, LandmarkError> {
        let slot = 4 + 2 * id;
        if slot + 2 > self.vtable_len {
            return Ok(None);
        }
        let off = u16::from_le_bytes(read::<2>(self.buf, self.vtable + slot)?) as usize;
        Ok(if off == 0 { None } else { Some(self.pos + off) })
    }

    fn u8(&self, id: usize, default: u8) -> Result<u8, LandmarkError> {
        Ok(match self.field(id)? {
            Some(p) => read::<1>(self.buf, p)?[0],
            None => default,
        })
    }

    fn i32(&self, id: usize, default: i32) -> Result<i32, LandmarkError> {
        Ok(match self.field(id)? {
            Some(p) => i32::from_le_bytes(read::<4>(self.buf, p)?),
            None => default,
        })
    }

    fn u64(&self, id: usize, default: u64) -> Result<u64, LandmarkError> {
        Ok(match self.field(id)? {
            Some(p) => u64::from_le_bytes(read::<8>(self.buf, p)?),
            None => default,
        })
    }

    fn indirect(&self, id: usize) -> Result<Option<usize>, LandmarkError> {
        match self.field(id)? {
            Some(p) => {
                let target = p.checked_add(u32_at(self.buf, p)? as usize).ok_or_else(|| bad("offset overflow"))?;
                Ok(Some(target))
            }
            None => Ok(None),
        }
    }

    fn table(&self, id: usize) -> Result<Option<Table<'a>>, LandmarkError> {
        self.indirect(id)?.map(|p| Table::at(self.buf, p)).transpose()
    }

    /// A vector field: (position of the first element, length).
    fn vector(&self, id: usize) -> Result<(usize, usize), LandmarkError> {
        match self.indirect(id)? {
            Some(p) => {
                let len = u32_at(self.buf, p)? as usize;
                Ok((p + 4, len))
            }
            None => Ok((0, 0)),
        }
    }

    fn bytes(&self, id: usize) -> Result<&'a [u8], LandmarkError> {
        let (start, len) = self.vector(id)?;
        if len == 0 {
            return Ok(&[]);
        }
        start.checked_add(len).and_then(|end| self.buf.get(start..end)).ok_or_else(|| bad("byte vector runs past the end of the file"))
    }

    fn i32s(&self, id: usize) -> Result<Vec<i32>, LandmarkError> {
        let (start, len) = self.vector(id)?;
        let bytes = start
            .checked_add(len.checked_mul(4).ok_or_else(|| bad("vector too long"))?)
            .and_then(|end| self.buf.get(start..end))
            .ok_or_else(|| bad("int vector runs past the end of the file"))?;
        Ok(bytes.chunks_exact(4).map(|c| i32::from_le_bytes(c.try_into().unwrap())).collect())
    }

    fn tables(&self, id: usize) -> Result<Vec<Table<'a>>, LandmarkError> {
        let (start, len) = self.vector(id)?;
        if len > self.buf.len() / 4 {
            return Err(bad("table vector longer than the file"));
        }
        (0..len)
            .map(|i| {
                let p = start + 4 * i;
                let target = p + u32_at(self.buf, p)? as usize;
                Table::at(self.buf, target)
            })
            .collect()
    }

    fn string(&self, id: usize) -> Result<String, LandmarkError> {
        Ok(String::from_utf8_lossy(self.bytes(id)?).into_owned())
    }
}

/// Element type of a tensor (the subset the hand models use; others are kept as `Other`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    F32,
    F16,
    I32,
    Other(u8),
}

/// One tensor of the graph: its shape, type and, for constants, its raw bytes.
#[derive(Debug, Clone)]
pub struct TensorInfo {
    pub name: String,
    pub shape: Vec<usize>,
    pub dtype: DType,
    pub data: Option<Vec<u8>>,
}

impl TensorInfo {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// True for a tensor with no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Constant values as f32 (float16 is widened); None for non-constants.
    pub fn values_f32(&self) -> Result<Option<Vec<f32>>, LandmarkError> {
        let Some(data) = &self.data else { return Ok(None) };
        let n = self.len();
        let v: Vec<f32> = match self.dtype {
            DType::F32 => data.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect(),
            DType::F16 => data.chunks_exact(2).map(|c| half::f16::from_le_bytes(c.try_into().unwrap()).to_f32()).collect(),
            DType::I32 => data.chunks_exact(4).map(|c| i32::from_le_bytes(c.try_into().unwrap()) as f32).collect(),
            DType::Other(t) => return Err(bad(format!("tensor {}: unsupported element type {t}", self.name))),
        };
        if v.len() != n {
            return Err(bad(format!("tensor {}: {} values stored, shape {:?} needs {n}", self.name, v.len(), self.shape)));
        }
        Ok(Some(v))
    }

    /// Constant values as i64 (for int32 shape/padding tensors).
    pub fn values_i64(&self) -> Result<Option<Vec<i64>>, LandmarkError> {
        let Some(data) = &self.data else { return Ok(None) };
        match self.dtype {
            DType::I32 => Ok(Some(data.chunks_exact(4).map(|c| i32::from_le_bytes(c.try_into().unwrap()) as i64).collect())),
            _ => Err(bad(format!("tensor {}: expected int32 constants", self.name))),
        }
    }
}

/// Fused activation applied after an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    None,
    Relu,
    ReluN1To1,
    Relu6,
    Tanh,
}

impl Activation {
    fn from_code(c: u8) -> Result<Self, LandmarkError> {
        Ok(match c {
            0 => Activation::None,
            1 => Activation::Relu,
            2 => Activation::ReluN1To1,
            3 => Activation::Relu6,
            4 => Activation::Tanh,
            other => return Err(bad(format!("unsupported fused activation {other}"))),
        })
    }
}

/// TFLite padding mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    Same,
    Valid,
}

/// The operators the hand models use, with their options.
#[derive(Debug, Clone, PartialEq)]
pub enum OpKind {
    Add { act: Activation },
    Concat { axis: i32, act: Activation },
    Conv2d { padding: Padding, stride: [usize; 2], dilation: [usize; 2], act: Activation },
    Depthwise { padding: Padding, stride: [usize; 2], dilation: [usize; 2], multiplier: usize, act: Activation },
    Dequantize,
    FullyConnected { act: Activation, keep_dims: bool },
    Logistic,
    MaxPool { padding: Padding, stride: [usize; 2], filter: [usize; 2], act: Activation },
    Mean { keep_dims: bool },
    Pad,
    PRelu,
    Relu,
    Relu6,
    Reshape,
    ResizeBilinear { align_corners: bool, half_pixel_centers: bool },
}

/// One operator: what it does, and the tensor ids it reads and writes (-1 = optional input absent).
#[derive(Debug, Clone)]
pub struct Op {
    pub kind: OpKind,
    pub inputs: Vec<i32>,
    pub outputs: Vec<usize>,
}

/// A parsed single-subgraph TFLite model.
#[derive(Debug, Clone)]
pub struct TfliteModel {
    pub tensors: Vec<TensorInfo>,
    pub ops: Vec<Op>,
    pub inputs: Vec<usize>,
    pub outputs: Vec<usize>,
}

const ADD: i32 = 0;
const CONCATENATION: i32 = 2;
const CONV_2D: i32 = 3;
const DEPTHWISE_CONV_2D: i32 = 4;
const DEQUANTIZE: i32 = 6;
const FULLY_CONNECTED: i32 = 9;
const LOGISTIC: i32 = 14;
const MAX_POOL_2D: i32 = 17;
const RELU: i32 = 19;
const RELU6: i32 = 21;
const RESHAPE: i32 = 22;
const RESIZE_BILINEAR: i32 = 23;
const PAD: i32 = 34;
const MEAN: i32 = 40;
const PRELU: i32 = 54;

fn padding(c: u8) -> Result<Padding, LandmarkError> {
    match c {
        0 => Ok(Padding::Same),
        1 => Ok(Padding::Valid),
        other => Err(bad(format!("unknown padding mode {other}"))),
    }
}

fn positive(v: i32, what: &str) -> Result<usize, LandmarkError> {
    if (1..=64).contains(&v) { Ok(v as usize) } else { Err(bad(format!("{what} {v} out of range"))) }
}

/// One tensor of the graph: its shape (refused when too large), type and constant data, if any.
fn tensor(t: &Table, buffers: &[Table], buf: &[u8]) -> Result<TensorInfo, LandmarkError> {
    let shape = t.i32s(0)?.into_iter().map(|d| usize::try_from(d).map_err(|_| bad(format!("negative dimension {d}")))).collect::<Result<Vec<_>, _>>()?;
    if shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).is_none_or(|n| n > 1 << 28) {
        return Err(bad(format!("tensor shape {shape:?} is too large")));
    }
    let dtype = match t.u8(1, 0)? {
        0 => DType::F32,
        1 => DType::F16,
        2 => DType::I32,
        other => DType::Other(other),
    };
    let buffer = t.i32(2, 0)? as u32 as usize;
    let data = match buffers.get(buffer) {
        Some(b) if buffer != 0 => buffer_data(b, buf)?,
        Some(_) => None,
        None => return Err(bad(format!("tensor refers to buffer {buffer}, file has {}", buffers.len()))),
    };
    Ok(TensorInfo { name: t.string(3)?, shape, dtype, data })
}

/// A buffer's bytes: inline, or at an offset of the file (`None` when empty).
fn buffer_data(b: &Table, buf: &[u8]) -> Result<Option<Vec<u8>>, LandmarkError> {
    let inline = b.bytes(0)?;
    if !inline.is_empty() {
        return Ok(Some(inline.to_vec()));
    }
    let (off, size) = (b.u64(1, 0)? as usize, b.u64(2, 0)? as usize);
    if size == 0 {
        return Ok(None);
    }
    let end = off.checked_add(size).ok_or_else(|| bad("buffer offset overflow"))?;
    Ok(Some(buf.get(off..end).ok_or_else(|| bad("buffer runs past the end of the file"))?.to_vec()))
}

/// The operator of builtin `code` with its options (each option's default when `opts` is absent).
fn op_kind(code: i32, opts: Option<Table>) -> Result<OpKind, LandmarkError> {
    let opt_u8 = |f: usize, d: u8| opts.map_or(Ok(d), |t| t.u8(f, d));
    let opt_i32 = |f: usize, d: i32| opts.map_or(Ok(d), |t| t.i32(f, d));
    Ok(match code {
        ADD => OpKind::Add { act: Activation::from_code(opt_u8(0, 0)?)? },
        CONCATENATION => OpKind::Concat { axis: opt_i32(0, 0)?, act: Activation::from_code(opt_u8(1, 0)?)? },
        CONV_2D => OpKind::Conv2d {
            padding: padding(opt_u8(0, 0)?)?,
            stride: [positive(opt_i32(2, 1)?, "stride")?, positive(opt_i32(1, 1)?, "stride")?],
            act: Activation::from_code(opt_u8(3, 0)?)?,
            dilation: [positive(opt_i32(5, 1)?, "dilation")?, positive(opt_i32(4, 1)?, "dilation")?],
        },
        DEPTHWISE_CONV_2D => OpKind::Depthwise {
            padding: padding(opt_u8(0, 0)?)?,
            stride: [positive(opt_i32(2, 1)?, "stride")?, positive(opt_i32(1, 1)?, "stride")?],
            multiplier: positive(opt_i32(3, 1)?, "depth multiplier")?,
            act: Activation::from_code(opt_u8(4, 0)?)?,
            dilation: [positive(opt_i32(6, 1)?, "dilation")?, positive(opt_i32(5, 1)?, "dilation")?],
        },
        DEQUANTIZE => OpKind::Dequantize,
        FULLY_CONNECTED => {
            if opt_u8(1, 0)? != 0 {
                return Err(bad("shuffled fully-connected weights are not supported"));
            }
            OpKind::FullyConnected { act: Activation::from_code(opt_u8(0, 0)?)?, keep_dims: opt_u8(2, 0)? != 0 }
        }
        LOGISTIC => OpKind::Logistic,
        MAX_POOL_2D => OpKind::MaxPool {
            padding: padding(opt_u8(0, 0)?)?,
            stride: [positive(opt_i32(2, 1)?, "stride")?, positive(opt_i32(1, 1)?, "stride")?],
            filter: [positive(opt_i32(4, 1)?, "filter")?, positive(opt_i32(3, 1)?, "filter")?],
            act: Activation::from_code(opt_u8(5, 0)?)?,
        },
        MEAN => OpKind::Mean { keep_dims: opt_u8(0, 0)? != 0 },
        PAD => OpKind::Pad,
        PRELU => OpKind::PRelu,
        RELU => OpKind::Relu,
        RELU6 => OpKind::Relu6,
        RESHAPE => OpKind::Reshape,
        RESIZE_BILINEAR => OpKind::ResizeBilinear { align_corners: opt_u8(2, 0)? != 0, half_pixel_centers: opt_u8(3, 0)? != 0 },
        other => return Err(bad(format!("unsupported TFLite operator (builtin code {other})"))),
    })
}

impl TfliteModel {
    /// Parses a `.tflite` file held in memory.
    pub fn parse(buf: &[u8]) -> Result<Self, LandmarkError> {
        if buf.len() < 8 {
            return Err(bad(format!("{} bytes is too short for a TFLite model", buf.len())));
        }
        if &buf[4..8] != b"TFL3" {
            return Err(bad("not a TFLite model (file identifier TFL3 missing)"));
        }
        let root = Table::at(buf, u32_at(buf, 0)? as usize)?;
        let codes: Vec<i32> = root.tables(1)?.iter().map(|t| Ok(t.i32(3, 0)?.max(t.u8(0, 0)? as i8 as i32))).collect::<Result<_, LandmarkError>>()?;
        let buffers = root.tables(4)?;
        let subgraphs = root.tables(2)?;
        let graph = subgraphs.first().ok_or_else(|| bad("model has no subgraph"))?;
        if subgraphs.len() > 1 {
            return Err(bad(format!("{} subgraphs; only single-graph models are supported", subgraphs.len())));
        }

        let tensors = graph.tables(0)?.iter().map(|t| tensor(t, &buffers, buf)).collect::<Result<Vec<_>, _>>()?;
        let n = tensors.len();
        let id = |v: i32| -> Result<usize, LandmarkError> {
            usize::try_from(v).ok().filter(|&i| i < n).ok_or_else(|| bad(format!("tensor index {v} out of range")))
        };

        let mut ops = Vec::new();
        for o in graph.tables(3)? {
            let opcode = o.i32(0, 0)? as u32 as usize;
            let code = *codes.get(opcode).ok_or_else(|| bad(format!("operator code {opcode} out of range")))?;
            let kind = op_kind(code, o.table(4)?)?;
            let inputs = o.i32s(1)?;
            for &i in &inputs {
                if i != -1 {
                    id(i)?;
                }
            }
            let outputs = o.i32s(2)?.into_iter().map(id).collect::<Result<Vec<_>, _>>()?;
            if outputs.is_empty() {
                return Err(bad("operator without outputs"));
            }
            ops.push(Op { kind, inputs, outputs });
        }
        let inputs = graph.i32s(1)?.into_iter().map(id).collect::<Result<Vec<_>, _>>()?;
        let outputs = graph.i32s(2)?.into_iter().map(id).collect::<Result<Vec<_>, _>>()?;
        Ok(Self { tensors, ops, inputs, outputs })
    }
}

/// One convolution of a model with its constants, in burn's `[out, in / groups, k, k]` order.
#[derive(Debug, Clone)]
pub struct ConvWeights {
    pub depthwise: bool,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub act: Activation,
    /// `[out, in / groups, kh, kw]`.
    pub shape: [usize; 4],
    pub weight: Vec<f32>,
    /// Per output channel (zeros when the file has none).
    pub bias: Vec<f32>,
}

impl TfliteModel {
    /// Every convolution (full and depthwise) in file order, constants widened to f32 and
    /// dequantised, so a network's weights can start a trainable copy of it.
    pub fn convolutions(&self) -> Result<Vec<ConvWeights>, LandmarkError> {
        // DEQUANTIZE outputs read as their (constant) inputs.
        let mut source: Vec<usize> = (0..self.tensors.len()).collect();
        for op in &self.ops {
            if let (OpKind::Dequantize, Some(&i), Some(&o)) = (&op.kind, op.inputs.first(), op.outputs.first())
                && let Ok(i) = usize::try_from(i)
            {
                source[o] = i;
            }
        }
        let constant = |op: &Op, j: usize| -> Result<Option<ShapedValues>, LandmarkError> {
            let Some(id) = op.inputs.get(j).and_then(|&i| usize::try_from(i).ok()) else { return Ok(None) };
            let t = &self.tensors[source[id]];
            Ok(t.values_f32()?.map(|v| (t.shape.clone(), v)))
        };
        let mut out = Vec::new();
        for (k, op) in self.ops.iter().enumerate() {
            let (depthwise, stride, act) = match &op.kind {
                OpKind::Conv2d { stride, act, .. } => (false, *stride, *act),
                OpKind::Depthwise { stride, act, multiplier: 1, .. } => (true, *stride, *act),
                OpKind::Depthwise { multiplier, .. } => return Err(bad(format!("operator {k}: depth multiplier {multiplier} is not supported"))),
                _ => continue,
            };
            let (ws, w) = constant(op, 1)?.ok_or_else(|| bad(format!("operator {k}: convolution weights must be constant")))?;
            let [a, kh, kw, b] = ws[..] else { return Err(bad(format!("operator {k}: weight shape {ws:?}"))) };
            // Conv: OHWI → OIHW. Depthwise: 1HWC → C1HW.
            let (o, i) = if depthwise { (b, 1) } else { (a, b) };
            let mut weight = vec![0.0; o * i * kh * kw];
            for oo in 0..o {
                for ii in 0..i {
                    for y in 0..kh {
                        for x in 0..kw {
                            let src = if depthwise { (y * kw + x) * b + oo } else { ((oo * kh + y) * kw + x) * b + ii };
                            weight[((oo * i + ii) * kh + y) * kw + x] = w[src];
                        }
                    }
                }
            }
            let bias = match constant(op, 2)? {
                Some((_, v)) if v.len() == o => v,
                Some((s, _)) => return Err(bad(format!("operator {k}: bias shape {s:?} for {o} outputs"))),
                None => vec![0.0; o],
            };
            out.push(ConvWeights { depthwise, kernel: [kh, kw], stride, act, shape: [o, i, kh, kw], weight, bias });
        }
        Ok(out)
    }
}
