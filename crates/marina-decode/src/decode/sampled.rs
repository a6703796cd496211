//! The records that start on given lines of a file, found without parsing the records
//! between them: for field validation, which reads a hundred staged records again from a
//! member of millions of lines.
//!
//! Lines are counted as the decoder counts them ([`LineCounter`]); from the start of a
//! wanted line the record runs to the first line end outside quotes. For a record the
//! parser read cleanly, that is where the parser ends it, unless a quote stands inside an
//! unquoted field (`ab"c`), which the parser keeps as data. So each record found is read
//! again by the decoder's own [`RecordReader`], and when one does not come out whole and
//! alone, the caller is told to read the file the slow way ([`super::raw_records`]).

use std::collections::{BTreeSet, HashMap};
use std::io::Read;

use memchr::memchr2;

use super::lines::{line_ends, LineCounter};
use super::records::RecordReader;
use super::{DecodeError, DecodeLimits};

/// Bytes read at a time.
const CHUNK: usize = 256 * 1024;

/// The bytes of the records that start on `lines` (without their line end), or `None` when
/// one of them cannot be told apart by its quotes alone (see the module's text) or runs past
/// `limits.max_record_bytes`. Memory holds the records found and one chunk of the input.
pub fn records_on_lines(mut input: impl Read, lines: &BTreeSet<u64>, limits: &DecodeLimits) -> Result<Option<HashMap<u64, Vec<u8>>>, DecodeError> {
    let limits = limits.sane();
    let mut found = HashMap::with_capacity(lines.len());
    let Some(&last) = lines.iter().next_back() else { return Ok(Some(found)) };
    let mut counter = LineCounter::default();
    let mut buf = vec![0u8; CHUNK];
    // The record being read: its line, its bytes so far, and whether within quotes.
    let mut current: Option<(u64, Vec<u8>, bool)> = lines.contains(&1).then(|| (1, Vec::new(), false));
    'input: loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let mut rest = &buf[..n];
        while !rest.is_empty() {
            let Some((_, bytes, quoted)) = current.as_mut() else {
                // Between wanted records: on to the next line end.
                let Some(end) = memchr2(b'\r', b'\n', rest) else {
                    counter.advance(rest);
                    break;
                };
                counter.advance(&rest[..=end]);
                rest = &rest[end + 1..];
                // The `\n` of a `\r\n` (perhaps in the next chunk) is not a line start.
                if counter.after_cr() && rest.first() == Some(&b'\n') {
                    counter.advance(&rest[..1]);
                    rest = &rest[1..];
                }
                if lines.contains(&counter.line()) {
                    current = Some((counter.line(), Vec::new(), false));
                }
                continue;
            };
            if bytes.is_empty() && !*quoted && counter.after_cr() && rest[0] == b'\n' {
                // A `\r\n` cut by the chunk: its `\n` ends the line before this record.
                counter.advance(&rest[..1]);
                rest = &rest[1..];
                continue;
            }
            let mut end = None;
            for (i, &b) in rest.iter().enumerate() {
                if b == b'"' {
                    *quoted = !*quoted;
                } else if (b == b'\n' || b == b'\r') && !*quoted {
                    end = Some(i);
                    break;
                }
            }
            let take = end.unwrap_or(rest.len());
            if bytes.len() + take > limits.max_record_bytes {
                return Ok(None);
            }
            bytes.extend_from_slice(&rest[..take]);
            counter.advance(&rest[..take]);
            rest = &rest[take..];
            if end.is_some() {
                let (line, bytes, _) = current.take().expect("a record was being read");
                found.insert(line, bytes);
                if line >= last {
                    break 'input;
                }
            }
        }
    }
    if let Some((line, bytes, _)) = current {
        found.insert(line, bytes);
    }
    for bytes in found.values() {
        if !whole_and_alone(bytes, &limits)? {
            return Ok(None);
        }
    }
    Ok(Some(found))
}

/// Whether the decoder reads `bytes` as exactly one record, with no problem.
fn whole_and_alone(bytes: &[u8], limits: &DecodeLimits) -> Result<bool, DecodeError> {
    let mut text = bytes.to_vec();
    text.push(b'\n');
    let mut reader = RecordReader::new(text.as_slice(), *limits);
    let whole = match reader.next()? {
        Some(record) => record.problem().is_none() && record.last_line == 1 + line_ends(bytes, false),
        None => false,
    };
    Ok(whole && reader.next()?.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(text: &str, lines: &[u64]) -> Option<Vec<(u64, String)>> {
        let lines: BTreeSet<u64> = lines.iter().copied().collect();
        let found = records_on_lines(text.as_bytes(), &lines, &DecodeLimits::default()).unwrap()?;
        let mut v: Vec<(u64, String)> = found.into_iter().map(|(l, b)| (l, String::from_utf8(b).unwrap())).collect();
        v.sort();
        Some(v)
    }

    #[test]
    fn records_are_found_by_their_first_line_whatever_the_line_ends() {
        let text = "Id,Name\n1,a\r\n2,\"b\nc\"\r3,\"d\"\"e\"\n4,f";
        assert_eq!(
            find(text, &[2, 3, 5, 6]),
            Some(vec![(2, "1,a".into()), (3, "2,\"b\nc\"".into()), (5, "3,\"d\"\"e\"".into()), (6, "4,f".into())])
        );
        assert_eq!(find(text, &[1]), Some(vec![(1, "Id,Name".into())]));
    }

    #[test]
    fn a_line_end_cut_by_the_chunk_is_one_line_end() {
        // `\r` as the chunk's last byte, its `\n` the next chunk's first.
        let mut text = "x".repeat(CHUNK - 1);
        text.push_str("\r\n1,a\n2,b\n");
        assert_eq!(find(&text, &[2, 3]), Some(vec![(2, "1,a".into()), (3, "2,b".into())]));
    }

    #[test]
    fn a_quote_inside_an_unquoted_field_sends_the_caller_the_slow_way() {
        assert_eq!(find("Id,Name\n1,a\"b,\"c\nd\"\n2,x\n", &[2]), None);
    }
}
