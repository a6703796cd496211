use super::*;

/// Gives its bytes `step` at a time, to cut records and line ends everywhere.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

/// (line, last_line, fields joined by '|', problem) of every record.
fn read_all(input: &[u8], step: usize, limits: DecodeLimits, width: Option<usize>) -> Vec<String> {
    let mut r = RecordReader::new(Trickle { bytes: input, step }, limits);
    if let Some(w) = width {
        r.set_width(w);
    }
    let mut got = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        let fields: Vec<String> = rec.fields().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
        let problem = rec.problem().map(|p| format!(" !{p:?}")).unwrap_or_default();
        got.push(format!("{}-{} {}{problem}", rec.line, rec.last_line, fields.join("|")));
    }
    got
}

fn same_at_every_step(input: &[u8], limits: DecodeLimits, width: Option<usize>) -> Vec<String> {
    let whole = read_all(input, usize::MAX, limits, width);
    for step in [1, 2, 3, 5, 7] {
        assert_eq!(read_all(input, step, limits, width), whole, "{input:?} read {step} bytes at a time");
    }
    whole
}

#[test]
fn records_get_their_physical_line_with_every_line_ending() {
    let l = DecodeLimits::default();
    assert_eq!(same_at_every_step(b"a,b\n1,2\n\n3,4", l, None), ["1-1 a|b", "2-2 1|2", "4-4 3|4"]);
    assert_eq!(same_at_every_step(b"a,b\r\n1,2\r\n\r\n3,4\r\n", l, None), ["1-1 a|b", "2-2 1|2", "4-4 3|4"]);
    assert_eq!(same_at_every_step(b"a,b\r1,2\r\r3,4\r", l, None), ["1-1 a|b", "2-2 1|2", "4-4 3|4"]);
    assert_eq!(same_at_every_step(b"\xef\xbb\xbfa,b\r\n1,\"x\r\ny\"\r\n3,4", l, None), ["1-1 a|b", "2-3 1|x\r\ny", "4-4 3|4"]);
}

#[test]
fn an_open_quote_gives_back_its_first_line_and_the_rest_is_read_again() {
    let l = DecodeLimits::default();
    // On the last line.
    let got = same_at_every_step(b"id,n,m\n1,A,1\n2,\"open,1\r\n\n", l, Some(3));
    assert_eq!(got[2], "3-3 2|open,1\r\n\n !Unterminated");
    // Open to the end of the file.
    let got = same_at_every_step(b"id,n,m\n1,A,1\n2,\"open,1\n3,C,1\n", l, Some(3));
    assert_eq!(got[..2], ["1-1 id|n|m", "2-2 1|A|1"]);
    assert!(got[2].starts_with("3-3 2|open,1 !UnterminatedAcrossLines"), "{got:?}");
    assert_eq!(got[3], "4-4 3|C|1");
    // Closed by a later quote into a record of the right width: swallowed lines found.
    let got = same_at_every_step(b"id,n,m\n2,\"open,1\n3,C,1\n4,\"D\",1\n", l, Some(3));
    assert!(got[1].starts_with("2-2 2|open,1 !Swallowed { swallowed: 3 }"), "{got:?}");
    assert_eq!(got[2..], ["3-3 3|C|1", "4-4 4|D|1"]);
    // A legitimate line break inside quotes stays one record.
    let got = same_at_every_step(b"id,n,m\n1,\"a \"\"b\"\"\nc\",1\n2,B,1\n", l, Some(3));
    assert_eq!(got[1..], ["2-3 1|a \"b\"\nc|1", "4-4 2|B|1"]);
    // The wrong number of fields across lines.
    let got = same_at_every_step(b"id,n,m\n2,\"open\n3\",C,1,x\n4,D,1\n", l, Some(3));
    assert!(got[1].contains("FieldsAcrossLines"), "{got:?}");
    assert_eq!(got[2..], ["3-3 3\"|C|1|x", "4-4 4|D|1"]);
}

#[test]
fn limits_cut_records_the_same_wherever_reads_end() {
    let l = DecodeLimits { max_record_bytes: 10, max_record_lines: 3, max_raw_bytes: 4 };
    let got = same_at_every_step(b"h\n1,\"a\nb\nc\nd\ne\"\n2,abcdefghijklmnop,1\n3\n", l, None);
    assert!(got[1].starts_with("2-2 1|a !TooManyLines"), "{got:?}");
    assert_eq!(got[2..6], ["3-3 b", "4-4 c", "5-5 d", "6-6 e\""]);
    assert_eq!(got[6], "7-7 2|ab !TooLong { limit: 10, bytes: 20 }");
    assert_eq!(got[7], "8-8 3");
    let got = same_at_every_step(b"h\n1,\"abcd\nefghijk\nl\"\n", l, None);
    assert!(got[1].starts_with("2-2 1|abcd !QuotedTooLong"), "{got:?}");
    assert_eq!(got[2..], ["3-3 efghijk", "4-4 l\""]);
    // Skipped to its end without a line end in the file.
    assert_eq!(same_at_every_step(b"h\nxxxxxxxxxxxxxxxxxxxxxxxxx", l, None)[1], "2-2 xxxx !TooLong { limit: 10, bytes: 25 }");
}

#[test]
fn two_invalid_fields_do_not_make_a_valid_record() {
    // Found by the fuzzer: "3\xd9" and "\xab0" are invalid, "3\xd9\xab0" is "3Ù0".
    let mut r = RecordReader::new(&b"3\xd9,\xab0\n\"\xc3\",\xa9\n\xc3\xa9,x\n"[..], DecodeLimits::default());
    assert!(!r.next().unwrap().unwrap().is_utf8());
    assert!(!r.next().unwrap().unwrap().is_utf8());
    assert!(r.next().unwrap().unwrap().is_utf8());
}

#[test]
fn nth_line_end_counts_crlf_once() {
    assert_eq!(nth_line_end(b"a\r\nb\rc\n", 2), Some(4));
    assert_eq!(nth_line_end(b"a\r\nb", 2), None);
}
