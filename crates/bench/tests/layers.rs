//! `bench layers`: each convolution and group norm of the training step alone, with the inputs
//! its PyTorch peer (bench/layers.py) reads.
use burn::tensor::Device;
use jointscope_model::ModelConfig;

#[test]
fn the_layer_benchmark_times_every_layer_and_writes_what_its_pytorch_peer_reads() {
    let config = ModelConfig { global_size: 32, local_size: 16, width: 4, context_dim: 8, ..ModelConfig::default() };
    let figures = jointscope_bench::layers(&Device::flex(), &config, 2, 0, 1).unwrap();
    // Local 16 px: 2 blocks, global 32 px: 3 blocks; a conv and a group norm twice in each.
    let encoders: Vec<&str> = figures.iter().map(|f| f.encoder.as_str()).collect();
    assert_eq!(encoders, [vec!["local"; 8], vec!["global"; 12]].concat());
    let json = serde_json::to_value(&figures).unwrap();
    // bench/layers.py reads these keys.
    assert_eq!(json[0]["layer"], serde_json::json!({"op": "conv", "input": [22, 3, 16, 16], "out_channels": 4, "kernel": 3, "stride": 2, "padding": 1}));
    assert_eq!(json[1]["layer"], serde_json::json!({"op": "group_norm", "input": [22, 4, 8, 8], "groups": 1}));
    assert!(figures.iter().all(|f| f.forward_ms > 0.0 && f.train_ms > 0.0 && f.burn_train_ms > 0.0), "{figures:?}");
}

#[test]
fn the_layer_benchmark_refuses_a_mediapipe_encoder() {
    let config = ModelConfig { encoder: jointscope_model::EncoderKind::Mediapipe, ..ModelConfig::default() };
    let err = jointscope_bench::layers(&Device::flex(), &config, 1, 0, 1).unwrap_err().to_string();
    assert!(err.contains("not a plain one"), "{err}");
}
