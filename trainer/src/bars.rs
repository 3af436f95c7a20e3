//! Progress for the terminal: a bar per phase (indicatif), notes and warnings on standard error.
use indicatif::{ProgressBar, ProgressStyle};
use jointscope_train::Progress;
use std::sync::Mutex;

/// Draws the library's progress; `quiet` hides bars and notes but never warnings.
pub struct Bars {
    quiet: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl Bars {
    pub fn new(quiet: bool) -> Self {
        Bars { quiet, bar: Mutex::new(None) }
    }

    fn print(&self, line: &str) {
        match self.bar.lock().expect("bar lock").as_ref() {
            Some(b) => b.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }
}

impl Progress for Bars {
    fn start(&self, what: &str, len: u64) {
        if self.quiet {
            return;
        }
        let b = ProgressBar::new(len);
        b.set_style(ProgressStyle::with_template("{prefix} {bar:30} {pos}/{len} {msg} {elapsed}").expect("valid template").progress_chars("=> "));
        b.set_prefix(what.to_string());
        if let Some(old) = self.bar.lock().expect("bar lock").replace(b) {
            old.finish_and_clear();
        }
    }

    fn step(&self, status: &str) {
        if let Some(b) = self.bar.lock().expect("bar lock").as_ref() {
            b.set_message(status.to_string());
            b.inc(1);
        }
    }

    fn finish(&self) {
        if let Some(b) = self.bar.lock().expect("bar lock").take() {
            b.finish_and_clear();
        }
    }

    fn note(&self, line: &str) {
        if !self.quiet {
            self.print(line);
        }
    }

    fn warn(&self, line: &str) {
        self.print(&format!("warning: {line}"));
    }
}
