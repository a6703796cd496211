//! Property test of the decoder: random CSV bytes made of fields, quotes, commas, every
//! line ending, NUL, invalid UTF-8 and long runs, read in pieces of random size under
//! small limits. Nothing panics, every record is staged or rejected exactly once, every
//! line that is not blank lies in a record that was, and the outcome does not depend on
//! how the reads cut the input.

use std::io::Read;

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use proptest::prelude::*;

use marina_decode::catalog::{Catalog, System};
use marina_decode::decode::{DecodeError, DecodeLimits, ETL_LINE, Fate, Observed, decode_table_observed};

/// Gives its bytes at most `step` at a time.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => Just(b",".to_vec()),
        3 => Just(b"\"".to_vec()),
        1 => Just(b"\"\"".to_vec()),
        2 => Just(b"\n".to_vec()),
        2 => Just(b"\r\n".to_vec()),
        2 => Just(b"\r".to_vec()),
        1 => Just(b"\0".to_vec()),
        1 => Just(b"\xff\xfe".to_vec()),
        1 => Just("é".as_bytes().to_vec()),
        // The two halves of "é", to be split by a comma or a quote.
        1 => Just(b"\xc3".to_vec()),
        1 => Just(b"\xa9".to_vec()),
        1 => Just(b"\xef\xbb\xbf".to_vec()),
        4 => "[0-9]{1,4}".prop_map(String::into_bytes),
        3 => "[a-zA-Z ]{1,6}".prop_map(String::into_bytes),
        4 => (1u32..500, "[A-Za-z]{0,3}").prop_map(|(id, name)| format!("{id},{name},1\n").into_bytes()),
        1 => (1usize..300, prop_oneof![Just(b'x'), Just(b','), Just(b'"'), Just(b'\n')]).prop_map(|(n, b)| vec![b; n]),
    ]
}

fn input() -> impl Strategy<Value = Vec<u8>> {
    let header = prop_oneof![
        Just(b"Id,Name,MarinaLocationId\n".to_vec()),
        Just(b"Id,Name,MarinaLocationId\r\n".to_vec()),
        Just(b"Id,Name,MarinaLocationId\r".to_vec()),
        Just(b"\xef\xbb\xbfId,Name,MarinaLocationId\r\n".to_vec()),
        Just(b"Name,Id\n".to_vec()),
        Just(Vec::new()),
    ];
    (header, prop::collection::vec(piece(), 0..80)).prop_map(|(h, pieces)| {
        let mut bytes = h;
        pieces.into_iter().for_each(|p| bytes.extend(p));
        bytes
    })
}

fn limits() -> impl Strategy<Value = DecodeLimits> {
    (4usize..400, 1u64..6, 1usize..64).prop_map(|(max_record_bytes, max_record_lines, max_raw_bytes)| DecodeLimits {
        max_record_bytes,
        max_record_lines,
        max_raw_bytes,
    })
}

/// The physical lines of the input (a leading byte-order mark is not part of line 1).
fn physical_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    marina_decode::decode::lines::lines(bytes).map(|(_, l)| l).collect()
}

#[derive(Debug, PartialEq)]
struct Outcome {
    result: Result<(u64, u64, u64, Vec<String>), String>,
    observed: Vec<Observed>,
    staged_lines: Vec<i64>,
}

fn decode(bytes: &[u8], step: usize, limits: DecodeLimits) -> Outcome {
    let table = Catalog::get().table(System::Molo, "piers").unwrap();
    let mut observed = Vec::new();
    let mut staged_lines = Vec::new();
    let result = decode_table_observed(
        table,
        Trickle { bytes, step },
        &limits,
        &mut |batch| {
            let lines = batch.column_by_name(ETL_LINE).unwrap().as_primitive::<Int64Type>();
            assert_eq!(lines.null_count(), 0);
            staged_lines.extend(lines.values().iter().copied());
            let names = batch.column_by_name("NAME").unwrap().as_string::<i32>();
            for name in names.iter().flatten() {
                assert!(std::str::from_utf8(name.as_bytes()).is_ok(), "staged text is not UTF-8: {:?}", name.as_bytes());
            }
            Ok(())
        },
        &mut |_| {},
        &mut |o| observed.push(o),
    );
    let result = result
        .map(|d| {
            let rejects = d
                .rejects
                .iter()
                .map(|r| {
                    for text in [&r.raw_line, &r.raw_value].into_iter().flatten() {
                        assert!(!text.contains('\0'), "a reject carries a NUL: {r:?}");
                    }
                    format!("{}|{:?}|{}|{:?}", r.line, r.column, r.reason, r.raw_line)
                })
                .collect();
            assert_eq!(d.rows_read, d.rows_staged + d.rows_rejected);
            (d.rows_read, d.rows_staged, d.rows_rejected, rejects)
        })
        .map_err(|e| {
            assert!(
                matches!(
                    e,
                    DecodeError::NoHeader
                        | DecodeError::MissingKeyColumns(_)
                        | DecodeError::Header { .. }
                        | DecodeError::WideEncoding(_)
                ),
                "{e}"
            );
            e.to_string()
        });
    Outcome { result, observed, staged_lines }
}

proptest! {
    // PROPTEST_CASES=100000 for a longer search.
    #![proptest_config(if std::env::var_os("PROPTEST_CASES").is_some() { ProptestConfig::default() } else { ProptestConfig::with_cases(2000) })]

    #[test]
    fn every_line_is_staged_or_rejected_and_reads_do_not_matter(bytes in input(), limits in limits(), step in 1usize..40) {
        let whole = decode(&bytes, usize::MAX, limits);
        prop_assert_eq!(&decode(&bytes, step, limits), &whole, "read {} bytes at a time", step);
        let Ok((read, staged, rejected, rejects)) = &whole.result else { return Ok(()) };
        let lines = physical_lines(&bytes);
        let records: Vec<&Observed> = whole.observed.iter().filter(|o| o.fate != Fate::Header).collect();
        prop_assert_eq!(records.len() as u64, *read);
        prop_assert_eq!(records.iter().filter(|o| o.fate == Fate::Staged).count() as u64, *staged);
        prop_assert_eq!(records.iter().filter(|o| o.fate == Fate::Rejected).count() as u64, *rejected);

        // Records follow one another without overlap, within the file's lines.
        for pair in whole.observed.windows(2) {
            prop_assert!(pair[0].last_line < pair[1].line, "{:?}", pair);
        }
        for o in &whole.observed {
            prop_assert!(o.line <= o.last_line && o.last_line <= lines.len() as u64, "{:?} of {} lines", o, lines.len());
        }
        // Every line that is not blank lies in a record (the header's included).
        let mut covered = vec![false; lines.len() + 1];
        for o in &whole.observed {
            for l in o.line..=o.last_line {
                covered[l as usize] = true;
            }
        }
        for (i, l) in lines.iter().enumerate() {
            prop_assert!(l.is_empty() || covered[i + 1], "line {} {:?} is in no record", i + 1, String::from_utf8_lossy(l));
        }
        // Staged rows carry their record's line; rejects point at rejected records, in order.
        let staged_at: Vec<i64> = records.iter().filter(|o| o.fate == Fate::Staged).map(|o| o.line as i64).collect();
        prop_assert_eq!(&whole.staged_lines, &staged_at);
        let rejected_at: Vec<u64> = records.iter().filter(|o| o.fate == Fate::Rejected).map(|o| o.line).collect();
        prop_assert!(rejected_at.windows(2).all(|w| w[0] < w[1]));
        let mut reject_lines: Vec<u64> = rejects.iter().map(|r| r.split('|').next().unwrap().parse().unwrap()).collect();
        prop_assert!(reject_lines.windows(2).all(|w| w[0] <= w[1]), "{:?}", reject_lines);
        reject_lines.dedup();
        prop_assert_eq!(reject_lines, rejected_at);
    }
}
