//! Options with a fixed set of names: what run files and the command line call them. The CLI
//! builds its value parsers from [`Choice::ALL`]; each name is the one the enum's serde attributes
//! give its variant, so files and the command line cannot disagree.

/// A library option chosen by name.
pub trait Choice: Copy + Send + Sync + serde::Serialize + 'static {
    /// Every value, the default first.
    const ALL: &'static [Self];
    /// The name in files and on the command line: the one serde gives the variant.
    fn name(self) -> &'static str {
        serde_variant::to_variant_name(&self).expect("a Choice is an enum of unit variants")
    }
    /// One line on what it does.
    fn help(self) -> &'static str {
        ""
    }
    /// The value with this name.
    fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.name() == name)
    }
}

impl Choice for jointscope_model::Arch {
    const ALL: &'static [Self] = &jointscope_model::Arch::ALL;
    fn help(self) -> &'static str {
        match self {
            Self::GlobalLocal => "the method: the joint crop modulated by the whole-hand view",
            Self::Local => "the baseline: the joint crop alone",
            Self::Global => "the whole-hand view alone, modulated by joint identity",
        }
    }
}

impl Choice for jointscope_model::EncoderKind {
    const ALL: &'static [Self] = &jointscope_model::EncoderKind::ALL;
    fn help(self) -> &'static str {
        match self {
            Self::Plain => "a small CNN of its own",
            Self::Mediapipe => "the first layers of MediaPipe's hand-landmark network (sides 64 or 128)",
        }
    }
}

impl Choice for jointscope_data::Objective {
    const ALL: &'static [Self] = &jointscope_data::Objective::ALL;
}

impl Choice for jointscope_dataset::synth::Preset {
    const ALL: &'static [Self] = &jointscope_dataset::synth::Preset::ALL;
    fn help(self) -> &'static str {
        use jointscope_dataset::synth::Preset;
        match self {
            Preset::Control => "independent joints, each joint's look its own, nothing occult: context cannot help",
            Preset::Default => "the benchmark as before: patient clustering, symmetry 0.6, patient-level look",
            Preset::RaLike => "burden-coupled, symmetric (0.8), 30 % of inflamed joints occult",
            Preset::Null => "the default cohort's labels with no sign drawn: must train to chance",
        }
    }
}
