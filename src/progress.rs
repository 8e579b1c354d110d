//! Progress of a long job: a fraction done, a short stage text and a cancel flag.
//!
//! A `Progress` is cheap to clone and shared between the thread doing the work and the thread
//! showing it. Engine functions that can take longer than a frame take `&Progress`, report their
//! fraction and call [`Progress::check`] in their loops so a cancel stops them quickly.
//! [`Progress::sub`] hands a part of the range to a sub-step, so nested steps need not know
//! where they sit in the whole job.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};

#[derive(Debug, Default)]
struct Shared {
    /// Fraction done in [0, 1], stored as the bits of an `f64`.
    fraction_bits: AtomicU64,
    cancelled: AtomicBool,
    stage: Mutex<String>,
    /// Things the work wants said when it ends (a solver that stopped at its iteration cap).
    notes: Mutex<Vec<String>>,
}

/// Shared progress and cancel flag of one job.
#[derive(Debug, Clone)]
pub struct Progress {
    shared: Arc<Shared>,
    /// Start of the part of [0, 1] this handle reports into.
    offset: f64,
    /// Width of that part.
    span: f64,
    /// Reports nothing (only answers a cancel): for work that runs beside other reporting work.
    muted: bool,
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress {
    /// A fresh progress at 0 %, not cancelled.
    pub fn new() -> Self {
        Self { shared: Arc::default(), offset: 0.0, span: 1.0, muted: false }
    }

    /// Reports that `fraction` (0..=1) of this handle's part is done.
    pub fn set(&self, fraction: f64) {
        if self.muted {
            return;
        }
        let f = if fraction.is_finite() { fraction.clamp(0.0, 1.0) } else { 0.0 };
        let whole = self.offset + self.span * f;
        self.shared.fraction_bits.store(whole.to_bits(), Ordering::Relaxed);
    }

    /// Reports `done` of `total` items.
    pub fn set_count(&self, done: usize, total: usize) {
        if total > 0 {
            #[allow(clippy::cast_precision_loss)] // counts far below 2^52
            self.set(done as f64 / total as f64);
        }
    }

    /// Fraction of the whole job done, in [0, 1].
    pub fn fraction(&self) -> f64 {
        f64::from_bits(self.shared.fraction_bits.load(Ordering::Relaxed))
    }

    /// Sets the short text that says what the job is doing now.
    pub fn set_stage(&self, stage: impl Into<String>) {
        if self.muted {
            return;
        }
        if let Ok(mut s) = self.shared.stage.lock() {
            *s = stage.into();
        }
    }

    /// What the job is doing now.
    pub fn stage(&self) -> String {
        self.shared.stage.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Records something worth telling the user when the work ends; a muted handle drops it
    /// (its work runs beside the work that reports).
    pub fn note(&self, text: impl Into<String>) {
        if self.muted {
            return;
        }
        if let Ok(mut n) = self.shared.notes.lock() {
            n.push(text.into());
        }
    }

    /// The notes recorded so far, emptied.
    pub fn take_notes(&self) -> Vec<String> {
        self.shared.notes.lock().map(|mut n| std::mem::take(&mut *n)).unwrap_or_default()
    }

    /// Asks the job to stop.
    pub fn cancel(&self) {
        self.shared.cancelled.store(true, Ordering::Relaxed);
    }

    /// True once [`Progress::cancel`] was called on any clone.
    pub fn is_cancelled(&self) -> bool {
        self.shared.cancelled.load(Ordering::Relaxed)
    }

    /// `Err(Error::Cancelled)` once the job was cancelled; call it in loops.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() { Err(Error::Cancelled) } else { Ok(()) }
    }

    /// A handle that reports into the part `[from, to]` of this handle's range.
    #[must_use]
    pub fn sub(&self, from: f64, to: f64) -> Self {
        let from = from.clamp(0.0, 1.0);
        let to = to.clamp(from, 1.0);
        Self {
            shared: Arc::clone(&self.shared),
            offset: self.offset + self.span * from,
            span: self.span * (to - from),
            muted: self.muted,
        }
    }

    /// A handle that reports nothing but sees a cancel: for work that runs in parallel with
    /// work that reports (the folds of a cross-validation, say), so that a cancel stops it too.
    #[must_use]
    pub fn muted(&self) -> Self {
        Self { muted: true, ..self.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_muted_handle_reports_nothing_but_sees_a_cancel() {
        let p = Progress::new();
        p.set(0.25);
        let m = p.sub(0.5, 1.0).muted();
        m.set(1.0);
        m.set_stage("folds");
        m.note("dropped");
        p.sub(0.0, 0.5).note("kept");
        assert_eq!(p.take_notes(), ["kept"]);
        assert!(p.take_notes().is_empty());
        assert!((p.fraction() - 0.25).abs() < 1e-12 && p.stage().is_empty());
        assert!(m.check().is_ok());
        p.cancel();
        assert!(m.is_cancelled() && m.check().is_err());
    }

    #[test]
    fn sub_ranges_map_into_the_whole() {
        let p = Progress::new();
        let second_half = p.sub(0.5, 1.0);
        second_half.set(0.5);
        assert!((p.fraction() - 0.75).abs() < 1e-12);
        let quarter = second_half.sub(0.0, 0.5);
        quarter.set(1.0);
        assert!((p.fraction() - 0.75).abs() < 1e-12);
    }

    #[test]
    fn cancel_is_seen_by_every_clone() {
        let p = Progress::new();
        let q = p.sub(0.0, 0.3);
        assert!(q.check().is_ok());
        p.cancel();
        assert!(q.check().is_err_and(|e| e.is_cancelled()));
    }
}
