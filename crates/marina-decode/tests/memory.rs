//! Memory stays bounded whatever the input: a gigabyte-long line, and an open quote
//! followed by a gigabyte of lines, are decoded from a stream that is never held whole,
//! under an allocator that records the peak of live heap bytes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Read;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use marina_decode::catalog::{Catalog, System as Source};
use marina_decode::decode::{DecodeLimits, decode_table};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// One test at a time: the peak is global.
static SERIAL: Mutex<()> = Mutex::new(());

const GIB: u64 = 1 << 30;
const BOUND: usize = 64 << 20;

/// Appends the next piece of a generated input.
type Body = Box<dyn FnMut(&mut Vec<u8>)>;

/// A prefix, then what `body` gives, again and again until `total` bytes have been given
/// (the last piece of the body is given whole).
struct Generated {
    prefix: Vec<u8>,
    body: Body,
    pending: Vec<u8>,
    given: u64,
    total: u64,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pending.is_empty() {
            if self.given >= self.total {
                return Ok(0);
            }
            if self.prefix.is_empty() {
                (self.body)(&mut self.pending);
            } else {
                self.pending = std::mem::take(&mut self.prefix);
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        self.given += n as u64;
        Ok(n)
    }
}

fn piers() -> &'static marina_decode::catalog::Table {
    Catalog::get().table(Source::Molo, "piers").unwrap()
}

/// Decodes `input` into nothing and returns (rows read, staged, rejects, peak bytes).
fn decode_counting(input: Generated) -> (u64, u64, Vec<marina_decode::decode::Reject>, usize) {
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
    let before = LIVE.load(Ordering::Relaxed);
    let decoded = decode_table(piers(), input, &DecodeLimits::default(), &mut |_batch| Ok(()), &mut |_| {}).unwrap();
    let peak = PEAK.load(Ordering::Relaxed) - before;
    (decoded.rows_read, decoded.rows_staged, decoded.rejects, peak)
}

#[test]
fn a_gigabyte_line_without_line_end_is_one_reject_in_bounded_memory() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let input = Generated {
        prefix: b"Id,Name,MarinaLocationId\n7,".to_vec(),
        body: Box::new(|out| out.resize(1 << 20, b'x')),
        pending: Vec::new(),
        given: 0,
        total: GIB,
    };
    let (read, staged, rejects, peak) = decode_counting(input);
    assert_eq!((read, staged, rejects.len()), (1, 0, 1), "{rejects:?}");
    assert_eq!(rejects[0].line, 2);
    assert!(rejects[0].reason.starts_with("record longer than 4194304 bytes"), "{}", rejects[0].reason);
    let raw = rejects[0].raw_line.as_deref().unwrap();
    assert!(raw.starts_with("7,xxxx") && raw.ends_with("bytes shown]") && raw.len() < 5000, "{}", &raw[..100]);
    eprintln!("peak of live heap: {peak} bytes");
    assert!(peak < BOUND, "peak of {peak} bytes");
}

#[test]
fn an_open_quote_before_a_gigabyte_of_lines_costs_one_line_in_bounded_memory() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // The longest name piers.Name takes (text(255)): every line after the open quote loads.
    let pad = "p".repeat(255);
    let mut id = 2u64;
    let input = Generated {
        prefix: b"Id,Name,MarinaLocationId\n1,\"never closed,1\n".to_vec(),
        body: Box::new(move |out| {
            for _ in 0..64 {
                out.extend_from_slice(format!("{id},{pad},1\n").as_bytes());
                id += 1;
            }
        }),
        pending: Vec::new(),
        given: 0,
        total: GIB,
    };
    let (read, staged, rejects, peak) = decode_counting(input);
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    assert_eq!(rejects[0].line, 2);
    assert!(rejects[0].reason.starts_with("unterminated quoted field"), "{}", rejects[0].reason);
    assert_eq!(read, staged + 1);
    assert!(staged > GIB / 270, "{staged} rows staged");
    eprintln!("peak of live heap: {peak} bytes");
    assert!(peak < BOUND, "peak of {peak} bytes");
}
