//! Physical lines: `\n`, `\r\n` and a lone `\r` (classic Mac) each end one line.
//!
//! Line numbers are what a reject points to and what the duplicate-key rule compares, so
//! every record must get the number of the physical line it starts on, whatever the line
//! endings and wherever the reads of the file happen to cut them.

use memchr::{memchr2, memchr2_iter};

/// Counts lines over bytes fed in order, in pieces cut anywhere (a `\r\n` may be split
/// between two pieces).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCounter {
    line: u64,
    after_cr: bool,
}

impl Default for LineCounter {
    fn default() -> Self {
        LineCounter { line: 1, after_cr: false }
    }
}

impl LineCounter {
    /// A counter at `line`, after a `\r` or not.
    pub fn at(line: u64, after_cr: bool) -> Self {
        LineCounter { line, after_cr }
    }

    /// The line of the next byte (the first line is 1).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Whether the last byte counted was a `\r` (a `\n` next is part of its line end).
    pub fn after_cr(&self) -> bool {
        self.after_cr
    }

    /// Counts one byte, which follows everything counted so far (the cheap way to step
    /// over a record's line end).
    #[inline]
    pub fn advance_byte(&mut self, b: u8) {
        self.line += u64::from(b == b'\r' || (b == b'\n' && !self.after_cr));
        self.after_cr = b == b'\r';
    }

    /// Counts the line ends in `bytes`, which follow everything counted so far.
    pub fn advance(&mut self, bytes: &[u8]) {
        if let Some(&last) = bytes.last() {
            self.line += line_ends(bytes, self.after_cr);
            self.after_cr = last == b'\r';
        }
    }
}

/// The number of line ends in `bytes`; `after_cr` says whether the byte before them was
/// a `\r`. A `\r` is counted where it stands and a `\n` only when no `\r` precedes it, so
/// that `\r\n` counts once even when cut in two.
pub fn line_ends(bytes: &[u8], after_cr: bool) -> u64 {
    // Most records hold no line end: one search says so, without setting up an iterator.
    let Some(first) = memchr2(b'\r', b'\n', bytes) else { return 0 };
    let bytes_from_first = &bytes[first..];
    let after_cr = if first == 0 { after_cr } else { bytes[first - 1] == b'\r' };
    count_line_ends(bytes_from_first, after_cr)
}

fn count_line_ends(bytes: &[u8], after_cr: bool) -> u64 {
    let mut n = 0;
    for i in memchr2_iter(b'\r', b'\n', bytes) {
        let counted_by_cr = bytes[i] == b'\n' && if i == 0 { after_cr } else { bytes[i - 1] == b'\r' };
        n += u64::from(!counted_by_cr);
    }
    n
}

/// Where the first line of `bytes` ends (the offset of its `\r` or `\n`), if it does.
pub fn first_line_end(bytes: &[u8]) -> Option<usize> {
    memchr2(b'\r', b'\n', bytes)
}

/// The lines of `bytes` without their line ends, each with its index (0 for the first).
pub fn lines(bytes: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    let mut rest = Some(bytes);
    let mut index = 0u64;
    std::iter::from_fn(move || {
        let b = rest?;
        let item = match first_line_end(b) {
            Some(end) => {
                let skip = if b[end] == b'\r' && b.get(end + 1) == Some(&b'\n') { 2 } else { 1 };
                rest = Some(&b[end + skip..]);
                (index, &b[..end])
            }
            None => {
                rest = None;
                (index, b)
            }
        };
        index += 1;
        Some(item)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line counts of every prefix, fed whole and fed cut at every pair of points.
    fn check(input: &[u8], expected_lines: u64) {
        let mut whole = LineCounter::default();
        whole.advance(input);
        assert_eq!(whole.line(), expected_lines, "{input:?}");
        for a in 0..=input.len() {
            for b in a..=input.len() {
                let mut c = LineCounter::default();
                c.advance(&input[..a]);
                c.advance(&input[a..b]);
                c.advance(&input[b..]);
                assert_eq!(c, whole, "{input:?} cut at {a} and {b}");
            }
        }
    }

    #[test]
    fn every_line_ending_counts_once_wherever_the_input_is_cut() {
        check(b"", 1);
        check(b"a", 1);
        check(b"a\nb", 2);
        check(b"a\r\nb\r\n", 3);
        check(b"a\rb\rc\r", 4);
        check(b"\r\n\r\n", 3);
        check(b"\n\r", 3);
        check(b"\r\r\n\n", 4);
        check(b"x\r\ny\rz\nw", 4);
    }

    #[test]
    fn a_crlf_cut_between_two_reads_is_one_line_end() {
        let mut c = LineCounter::default();
        for &b in b"a\rb\r\nc\n\n" {
            c.advance_byte(b);
        }
        assert_eq!((c.line(), c.after_cr()), (5, false));
        let mut c = LineCounter::default();
        c.advance(b"abc\r");
        assert_eq!((c.line(), c.after_cr()), (2, true));
        c.advance(b"\ndef");
        assert_eq!((c.line(), c.after_cr()), (2, false));
        c.advance(b"\r");
        c.advance(b"\r");
        c.advance(b"\n");
        assert_eq!(c.line(), 4);
    }

    #[test]
    fn lines_are_split_at_each_kind_of_line_end() {
        let got: Vec<(u64, &[u8])> = lines(b"a\r\nb\rc\n\nd").collect();
        assert_eq!(got, vec![(0, &b"a"[..]), (1, b"b"), (2, b"c"), (3, b""), (4, b"d")]);
        assert_eq!(lines(b"").count(), 1);
        assert_eq!(first_line_end(b"ab\r\n"), Some(2));
    }
}
