//! A bounded CSV record reader (RFC 4180, any number of fields) on csv-core's state
//! machine, that knows the physical lines each record covers and keeps its raw bytes for
//! a reject.
//!
//! Memory stays within the [`DecodeLimits`]: only the record being read is buffered, and
//! a record that outgrows a limit is cut. A quoted field left open would otherwise
//! swallow every record up to the next quote, so a record is not trusted when it
//! - runs past the byte or line limit (only a quoted field can hold line breaks),
//! - reaches the end of the file inside quotes,
//! - spans several lines and has the wrong number of fields, or
//! - spans several lines of which a later one reads on its own as a full, cleanly quoted
//!   record of the right width (a swallowed record).
//!
//! Then only its first physical line is given back, as a rejected record, and reading
//! resumes on the next physical line with a fresh parser, over the bytes still buffered:
//! the swallowed lines are read as records again and nothing is lost. A single line
//! longer than the byte limit is rejected whole and skipped to its end without being
//! kept.

use std::io::{self, Read};

use csv_core::{ReadRecordResult, Reader as CoreReader};

use super::limits::DecodeLimits;
use super::lines::{self, LineCounter};
use super::shape::shape;

/// Bytes asked of the input at a time.
const CHUNK: usize = 64 * 1024;
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Why a record was not read as one: the reader gives back its first line only.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordProblem {
    #[error("record longer than {limit} bytes ({bytes} bytes)")]
    TooLong { limit: usize, bytes: u64 },
    #[error(
        "unterminated quoted field: the record runs past {limit} bytes; only this line is rejected, the lines after it are read as records"
    )]
    QuotedTooLong { limit: usize },
    #[error(
        "unterminated quoted field: the record runs over more than {limit} lines; only this line is rejected, the lines after it are read as records"
    )]
    TooManyLines { limit: u64 },
    #[error("unterminated quoted field (the file ends inside it)")]
    Unterminated,
    #[error(
        "unterminated quoted field: the file ends inside it, on line {last_line}; only this line is rejected, the lines after it are read as records"
    )]
    UnterminatedAcrossLines { last_line: u64 },
    #[error(
        "a quoted field runs on to line {last_line} and leaves the record with {found} fields, expected {expected}; only this line is rejected, the lines after it are read as records"
    )]
    FieldsAcrossLines { last_line: u64, found: usize, expected: usize },
    #[error(
        "a quoted field runs on over line {swallowed}, which is a record of its own; only this line is rejected, the lines after it are read as records"
    )]
    Swallowed { swallowed: u64 },
}

/// What made the reader cut a record at its first line.
enum Cut {
    Lines,
    Bytes,
    Problem(RecordProblem),
}

/// Where the raw bytes of the current record are kept.
#[derive(Clone, Copy, Debug)]
enum RawAt {
    Buffer { start: usize, end: usize },
    /// In `kept`: the start of a long line that was skipped.
    Kept,
}

#[derive(Clone, Debug)]
struct Current {
    line: u64,
    last_line: u64,
    raw: RawAt,
    raw_len: u64,
    fields: usize,
    complete: usize,
    problem: Option<RecordProblem>,
}

/// Reads CSV records from a byte stream; see the module documentation.
pub struct RecordReader<R> {
    input: R,
    limits: DecodeLimits,
    /// Fields of a full record, once the header has been read.
    width: Option<usize>,
    core: CoreReader,
    /// Bytes read and not yet dropped: `data[..end]`, of which `data[pos..end]` is unread.
    data: Vec<u8>,
    end: usize,
    pos: usize,
    eof: bool,
    started: bool,
    /// The line of `data[pos]`.
    counter: LineCounter,
    /// The fields of the current record (csv-core's output) and where each ends.
    out: Vec<u8>,
    ends: Vec<usize>,
    kept: Vec<u8>,
    current: Current,
}

/// One record, borrowed from its reader until the next is read.
#[derive(Debug)]
pub struct Record<'a> {
    /// The physical line the record starts on (the first line of the file is 1).
    pub line: u64,
    /// The physical line it ends on (the same as `line` unless a quoted field holds line
    /// breaks).
    pub last_line: u64,
    problem: Option<&'a RecordProblem>,
    raw: &'a [u8],
    raw_len: u64,
    out: &'a [u8],
    ends: &'a [usize],
    complete: usize,
}

impl<'a> Record<'a> {
    /// Why the record was cut at its first line, if it was.
    #[inline]
    pub fn problem(&self) -> Option<&'a RecordProblem> {
        self.problem
    }

    /// The number of fields.
    #[inline]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The fields that were read to their end: all of them, except in a record cut
    /// inside a field. Only these may be trusted (to hold a rejected row's key).
    #[inline]
    pub fn complete_fields(&self) -> usize {
        self.complete
    }

    /// Field `i`, unquoted.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.out[start..end])
    }

    /// Every field, in order.
    pub fn fields(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).map(|i| self.get(i).expect("index in range"))
    }

    /// All fields' bytes one after the other.
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        &self.out[..self.ends.last().copied().unwrap_or(0)]
    }

    /// Whether every field is valid UTF-8, checked at once over all fields' bytes (much
    /// cheaper than field by field). The fields are written one after the other without
    /// their commas and quotes, so two invalid halves may join into a valid character:
    /// every field must also start on a character boundary.
    #[inline]
    pub fn is_utf8(&self) -> bool {
        let bytes = self.as_bytes();
        std::str::from_utf8(bytes).is_ok() && self.ends.iter().all(|&e| e >= bytes.len() || bytes[e] & 0xC0 != 0x80)
    }

    /// The record as it stands in the file, without line ends; for a cut record its first
    /// line (or the start of it).
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The length in bytes of what [`Record::raw`] stands for (more than `raw().len()`
    /// when the start of a long line was all that was kept).
    pub fn raw_len(&self) -> u64 {
        self.raw_len
    }
}

/// Copies `bytes` into `ends`/`out` as the fields of one record read on its own (the
/// bytes hold no line break outside quotes); returns the number of fields.
fn parse_alone(core: &mut CoreReader, bytes: &[u8], out: &mut Vec<u8>, ends: &mut Vec<usize>) -> usize {
    core.reset();
    let (mut fed, mut nout, mut nend) = (0, 0, 0);
    loop {
        let (res, nin, o, e) = core.read_record(&bytes[fed..], &mut out[nout..], &mut ends[nend..]);
        fed += nin;
        nout += o;
        nend += e;
        match res {
            ReadRecordResult::InputEmpty => {
                if fed == bytes.len() {
                    // Continues with the empty input that marks the end.
                    let (res, _, _, e) = core.read_record(&[], &mut out[nout..], &mut ends[nend..]);
                    match res {
                        ReadRecordResult::OutputEndsFull => grow(ends),
                        _ => return nend + e,
                    }
                }
            }
            ReadRecordResult::OutputFull => grow(out),
            ReadRecordResult::OutputEndsFull => grow(ends),
            ReadRecordResult::Record | ReadRecordResult::End => return nend,
        }
    }
}

fn grow<T: Default + Clone>(v: &mut Vec<T>) {
    let n = (v.len() * 2).max(64);
    v.resize(n, T::default());
}

/// The offset of the `n`-th line end of `bytes` (1-based).
fn nth_line_end(bytes: &[u8], n: u64) -> Option<usize> {
    let mut seen = 0;
    for i in memchr::memchr2_iter(b'\r', b'\n', bytes) {
        if bytes[i] == b'\n' && i > 0 && bytes[i - 1] == b'\r' {
            continue;
        }
        seen += 1;
        if seen == n {
            return Some(i);
        }
    }
    None
}

impl<R: Read> RecordReader<R> {
    pub fn new(input: R, limits: DecodeLimits) -> Self {
        RecordReader {
            input,
            limits: limits.sane(),
            width: None,
            core: CoreReader::new(),
            data: Vec::new(),
            end: 0,
            pos: 0,
            eof: false,
            started: false,
            counter: LineCounter::default(),
            out: vec![0; 4096],
            ends: vec![0; 64],
            kept: Vec::new(),
            current: Current {
                line: 0,
                last_line: 0,
                raw: RawAt::Kept,
                raw_len: 0,
                fields: 0,
                complete: 0,
                problem: None,
            },
        }
    }

    /// The number of fields of a full record (the header's): a record spanning lines is
    /// checked against it.
    pub fn set_width(&mut self, width: usize) {
        self.width = Some(width);
    }

    /// The next record; None at the end of the input.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> io::Result<Option<Record<'_>>> {
        if !self.read_next()? {
            return Ok(None);
        }
        let c = &self.current;
        let raw = match c.raw {
            RawAt::Buffer { start, end } => &self.data[start..end],
            RawAt::Kept => &self.kept[..],
        };
        Ok(Some(Record {
            line: c.line,
            last_line: c.last_line,
            problem: c.problem.as_ref(),
            raw,
            raw_len: c.raw_len,
            out: &self.out,
            ends: &self.ends[..c.fields],
            complete: c.complete,
        }))
    }

    /// Reads more input after `data[keep..end]`, which moves to the front (the bytes
    /// before `keep` are dropped); returns `keep`, the shift of every offset.
    fn fill(&mut self, keep: usize) -> io::Result<usize> {
        if keep > 0 {
            self.data.copy_within(keep..self.end, 0);
            self.end -= keep;
            self.pos -= keep;
        }
        if self.data.len() < self.end + CHUNK {
            self.data.resize(self.end + CHUNK, 0);
        }
        let n = loop {
            match self.input.read(&mut self.data[self.end..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        self.end += n;
        self.eof = n == 0;
        Ok(keep)
    }

    /// A parser in its initial state that will not take a byte-order mark for one (only
    /// the file's first bytes may be one, and they are dropped before parsing).
    fn restart_core(&mut self) {
        self.core.reset();
        let _ = self.core.read_record(b"\n", &mut [0u8; 1], &mut [0usize; 1]);
    }

    fn start(&mut self) -> io::Result<()> {
        self.started = true;
        while self.end - self.pos < BOM.len() && !self.eof {
            self.fill(self.pos)?;
        }
        if self.data[self.pos..self.end].starts_with(BOM) {
            self.pos += BOM.len();
        }
        self.restart_core();
        Ok(())
    }

    /// Moves past line ends (blank lines are no records); false at the end of the input.
    fn skip_blank_lines(&mut self) -> io::Result<bool> {
        loop {
            if self.pos == self.end {
                if self.eof {
                    return Ok(false);
                }
                self.fill(self.pos)?;
                continue;
            }
            while self.pos < self.end {
                match self.data[self.pos] {
                    b @ (b'\r' | b'\n') => self.counter.advance_byte(b),
                    _ => return Ok(true),
                }
                self.pos += 1;
            }
        }
    }

    /// Which limit a record's content crossed first, if any (the same answer whether the
    /// record is seen whole or in part, so that reads cut anywhere decide alike).
    fn crossed(&self, content: &[u8], line_ends: u64) -> Option<Cut> {
        let too_many = line_ends >= self.limits.max_record_lines;
        let too_long = content.len() > self.limits.max_record_bytes;
        match (too_many, too_long) {
            (false, false) => None,
            (true, false) => Some(Cut::Lines),
            (false, true) => Some(Cut::Bytes),
            (true, true) => match nth_line_end(content, self.limits.max_record_lines) {
                Some(at) if at < self.limits.max_record_bytes => Some(Cut::Lines),
                _ => Some(Cut::Bytes),
            },
        }
    }

    /// Reads the next record into `current`; false at the end of the input.
    fn read_next(&mut self) -> io::Result<bool> {
        if !self.started {
            self.start()?;
        }
        if !self.skip_blank_lines()? {
            return Ok(false);
        }
        let line = self.counter.line();
        let mut start = self.pos;
        let mut fed = start;
        // Line ends counted in data[start..counted].
        let mut counted = start;
        let mut line_ends = 0;
        let (mut nout, mut nend) = (0, 0);
        let at_eof = loop {
            if fed == self.end && !self.eof {
                let after_cr = counted > start && self.data[counted - 1] == b'\r';
                line_ends += lines::line_ends(&self.data[counted..fed], after_cr);
                counted = fed;
                match self.crossed(&self.data[start..fed], line_ends) {
                    None => {}
                    Some(Cut::Bytes) if lines::first_line_end(&self.data[start..fed]).is_none() => {
                        self.skip_long_line(start, line)?;
                        return Ok(true);
                    }
                    Some(cut) => {
                        self.cut_at_first_line(start, line, cut);
                        return Ok(true);
                    }
                }
                let shift = self.fill(start)?;
                start -= shift;
                fed -= shift;
                counted -= shift;
                continue;
            }
            let at_eof = fed == self.end;
            let (res, nin, o, e) =
                self.core.read_record(&self.data[fed..self.end], &mut self.out[nout..], &mut self.ends[nend..]);
            fed += nin;
            nout += o;
            nend += e;
            match res {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => grow(&mut self.out),
                ReadRecordResult::OutputEndsFull => grow(&mut self.ends),
                ReadRecordResult::Record => break at_eof,
                ReadRecordResult::End => {
                    self.pos = fed;
                    return Ok(false);
                }
            }
        };
        // A record read before the end of the file ends with the first byte of its line end.
        let content_end = if at_eof { fed } else { fed - 1 };
        let after_cr = counted > start && self.data[counted - 1] == b'\r';
        line_ends += lines::line_ends(&self.data[counted..content_end], after_cr);
        let content = &self.data[start..content_end];

        let cut = if let Some(cut) = self.crossed(content, line_ends) {
            Some(cut)
        } else if at_eof && shape(content).open {
            // The line of its last byte (line ends the open quotes took at the end of the
            // file open no line of their own).
            let last = content.len() - content.iter().rev().take_while(|&&b| b == b'\r' || b == b'\n').count();
            let spanned = lines::line_ends(&content[..last], false);
            if spanned == 0 {
                // The last line of the file alone: rejected whole, its complete fields kept.
                self.counter.advance(content);
                self.pos = fed;
                self.current = Current {
                    line,
                    last_line: line,
                    raw: RawAt::Buffer { start, end: start + last },
                    raw_len: last as u64,
                    fields: nend,
                    complete: nend.saturating_sub(1),
                    problem: Some(RecordProblem::Unterminated),
                };
                return Ok(true);
            }
            Some(Cut::Problem(RecordProblem::UnterminatedAcrossLines { last_line: line + spanned }))
        } else if line_ends > 0
            && let Some(width) = self.width
        {
            if nend != width {
                Some(Cut::Problem(RecordProblem::FieldsAcrossLines {
                    last_line: line + line_ends,
                    found: nend,
                    expected: width,
                }))
            } else {
                lines::lines(content)
                    .skip(1)
                    .find(|(_, l)| {
                        let s = shape(l);
                        !l.is_empty() && s.clean && !s.open && s.fields == width
                    })
                    .map(|(i, _)| Cut::Problem(RecordProblem::Swallowed { swallowed: line + i }))
            }
        } else {
            None
        };
        if let Some(cut) = cut {
            self.cut_at_first_line(start, line, cut);
            return Ok(true);
        }
        // The content's line ends are counted already: only its line end is left.
        self.counter = LineCounter::at(line + line_ends, content.last() == Some(&b'\r'));
        if !at_eof {
            self.counter.advance_byte(self.data[content_end]);
        }
        self.pos = fed;
        self.current = Current {
            line,
            last_line: line + line_ends,
            raw: RawAt::Buffer { start, end: content_end },
            raw_len: (content_end - start) as u64,
            fields: nend,
            complete: nend,
            problem: None,
        };
        Ok(true)
    }

    /// Gives back the first line of the record at `data[start..]` as a rejected record and
    /// resumes reading after it.
    fn cut_at_first_line(&mut self, start: usize, line: u64, cut: Cut) {
        let first_len = lines::first_line_end(&self.data[start..self.end]).expect("a cut record spans lines");
        let first = &self.data[start..start + first_len];
        let (problem, fields, complete) = match cut {
            Cut::Bytes if first_len > self.limits.max_record_bytes => {
                // One line too long: only its start is read, for the key.
                let kept = &first[..self.limits.max_raw_bytes.min(first_len)];
                let fields = parse_alone(&mut self.core, kept, &mut self.out, &mut self.ends);
                let problem = RecordProblem::TooLong { limit: self.limits.max_record_bytes, bytes: first_len as u64 };
                (problem, fields, fields.saturating_sub(1))
            }
            cut => {
                let problem = match cut {
                    Cut::Bytes => RecordProblem::QuotedTooLong { limit: self.limits.max_record_bytes },
                    Cut::Lines => RecordProblem::TooManyLines { limit: self.limits.max_record_lines },
                    Cut::Problem(p) => p,
                };
                let fields = parse_alone(&mut self.core, first, &mut self.out, &mut self.ends);
                (problem, fields, fields - usize::from(shape(first).open))
            }
        };
        self.counter.advance(&self.data[start..start + first_len]);
        self.pos = start + first_len;
        self.restart_core();
        self.current = Current {
            line,
            last_line: line,
            raw: RawAt::Buffer { start, end: start + first_len },
            raw_len: first_len as u64,
            fields,
            complete,
            problem: Some(problem),
        };
    }

    /// Rejects the line at `data[start..end]`, longer than the byte limit and not ended
    /// yet: keeps its start and reads on to its end without keeping the rest.
    fn skip_long_line(&mut self, start: usize, line: u64) -> io::Result<()> {
        self.kept.clear();
        let mut total = 0u64;
        self.pos = start;
        loop {
            if self.pos == self.end {
                if self.eof {
                    break;
                }
                self.fill(self.pos)?;
                continue;
            }
            let rest = &self.data[self.pos..self.end];
            let len = lines::first_line_end(rest).unwrap_or(rest.len());
            let more = (self.limits.max_raw_bytes - self.kept.len()).min(len);
            self.kept.extend_from_slice(&rest[..more]);
            self.counter.advance(&rest[..len]);
            total += len as u64;
            self.pos += len;
            if self.pos < self.end {
                break;
            }
        }
        let fields = parse_alone(&mut self.core, &self.kept, &mut self.out, &mut self.ends);
        self.restart_core();
        self.current = Current {
            line,
            last_line: line,
            raw: RawAt::Kept,
            raw_len: total,
            fields,
            complete: fields.saturating_sub(1),
            problem: Some(RecordProblem::TooLong { limit: self.limits.max_record_bytes, bytes: total }),
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests;
