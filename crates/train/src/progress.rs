//! What long-running library functions tell their caller: the CLI draws progress bars and prints
//! lines; tests and other callers pass [`Silent`].

/// Receives a library function's progress. Every method has a do-nothing default.
pub trait Progress: Sync {
    /// A phase of `len` steps begins (`what`: "epoch 3/16", "decoding").
    fn start(&self, _what: &str, _len: u64) {}
    /// One step of the current phase is done; `status` is a short figure ("loss 0.4123") or empty.
    fn step(&self, _status: &str) {}
    /// The current phase is over.
    fn finish(&self) {}
    /// A line of information (an epoch's figures, what was loaded).
    fn note(&self, _line: &str) {}
    /// Something the user should know even when they asked for quiet (a fallback, a weak split).
    fn warn(&self, _line: &str) {}
}

/// Reports nothing.
pub struct Silent;

impl Progress for Silent {}

/// Collects notes and warnings (for tests and for callers that print them later).
#[derive(Default)]
pub struct Lines(pub std::sync::Mutex<Vec<String>>);

impl Progress for Lines {
    fn note(&self, line: &str) {
        self.0.lock().expect("lines lock").push(line.to_string());
    }
    fn warn(&self, line: &str) {
        self.0.lock().expect("lines lock").push(format!("warning: {line}"));
    }
}

impl Lines {
    /// Everything collected so far.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().expect("lines lock"))
    }
}
