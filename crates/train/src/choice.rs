//! Options with a fixed set of names: what run files and the command line call them. The CLI
//! builds its value parsers from [`Choice::ALL`], so the names live here only.

/// A library option chosen by name.
pub trait Choice: Copy + Send + Sync + 'static {
    /// Every value, the default first.
    const ALL: &'static [Self];
    /// The name in files and on the command line.
    fn name(self) -> &'static str;
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
    fn name(self) -> &'static str {
        match self {
            Self::GlobalLocal => "global-local",
            Self::Local => "local",
            Self::Global => "global",
        }
    }
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
    fn name(self) -> &'static str {
        match self {
            Self::Plain => "plain",
            Self::Mediapipe => "mediapipe",
        }
    }
    fn help(self) -> &'static str {
        match self {
            Self::Plain => "a small CNN of its own",
            Self::Mediapipe => "the first layers of MediaPipe's hand-landmark network (sides 64 or 128)",
        }
    }
}

impl Choice for jointscope_data::Objective {
    const ALL: &'static [Self] = &jointscope_data::Objective::ALL;
    fn name(self) -> &'static str {
        jointscope_data::Objective::name(self)
    }
}

impl Choice for jointscope_dataset::synth::Preset {
    const ALL: &'static [Self] = &jointscope_dataset::synth::Preset::ALL;
    fn name(self) -> &'static str {
        jointscope_dataset::synth::Preset::name(self)
    }
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
