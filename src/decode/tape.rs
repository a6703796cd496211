//! Keeps the bytes a CSV reader has consumed so that a rejected record can be quoted
//! exactly as it stood in the file (its raw line), without holding the file in memory.

use std::cell::RefCell;
use std::io::{self, Read};
use std::rc::Rc;

/// Consumed bytes from `base` on; trimmed as records are taken.
#[derive(Default)]
struct Recorded {
    base: u64,
    bytes: Vec<u8>,
}

/// A reader that records what passes through it.
pub struct Tape<R> {
    inner: R,
    recorded: Rc<RefCell<Recorded>>,
}

/// The handle that reads records back out of a [`Tape`].
#[derive(Clone)]
pub struct TapeHandle {
    recorded: Rc<RefCell<Recorded>>,
}

/// Trimming copies what is kept; doing it only past this size keeps the cost linear.
const TRIM_AFTER: usize = 1 << 20;

pub fn tape<R: Read>(inner: R) -> (Tape<R>, TapeHandle) {
    let recorded = Rc::new(RefCell::new(Recorded::default()));
    (Tape { inner, recorded: recorded.clone() }, TapeHandle { recorded })
}

impl<R: Read> Read for Tape<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.recorded.borrow_mut().bytes.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl TapeHandle {
    /// The bytes between two stream offsets; everything before `end` may then be dropped.
    pub fn take(&self, start: u64, end: u64) -> Vec<u8> {
        let mut r = self.recorded.borrow_mut();
        let from = start.saturating_sub(r.base) as usize;
        let to = (end.saturating_sub(r.base) as usize).min(r.bytes.len());
        let out = r.bytes.get(from..to).map(<[u8]>::to_vec).unwrap_or_default();
        r.release(end);
        out
    }

    /// Drops everything before `end` without copying it out.
    pub fn release(&self, end: u64) {
        self.recorded.borrow_mut().release(end);
    }
}

impl Recorded {
    fn release(&mut self, end: u64) {
        let consumed = end.saturating_sub(self.base) as usize;
        if consumed >= TRIM_AFTER && consumed <= self.bytes.len() {
            self.bytes.drain(..consumed);
            self.base = end;
        }
    }
}

impl TapeHandle {
    /// How often `byte` occurs between two stream offsets (still recorded).
    pub fn count(&self, start: u64, end: u64, byte: u8) -> usize {
        let r = self.recorded.borrow();
        let from = start.saturating_sub(r.base) as usize;
        let to = (end.saturating_sub(r.base) as usize).min(r.bytes.len());
        r.bytes.get(from..to).map_or(0, |s| memchr::memchr_iter(byte, s).count())
    }
}
