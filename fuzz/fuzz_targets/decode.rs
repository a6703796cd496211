//! Arbitrary bytes into the CSV decoder (for a small table, a wide real one and one with
//! every column type, under default and tiny limits) and into every value conversion.
//!
//! The first byte chooses: bits 0-1 the target (piers, NetSuite transaction, every type,
//! value conversion), bit 4 tiny limits, bit 5 the table's own header put first (so that
//! the fuzzer reaches the records without having to guess it).
//!
//! Checked: nothing panics; rows read = staged + rejected; the staged batches hold the
//! staged rows; every record and reject lies within the input's lines, in order, and no
//! reject carries a NUL; every converted value is within its type's bounds.

#![no_main]

use std::sync::OnceLock;

use arrow_array::Array;
use libfuzzer_sys::fuzz_target;
use marina_decode::catalog::{Catalog, System, Table, parse_tsv};
use marina_decode::decode::{DecodeLimits, Fate, Observed, decode_table_observed, lines, value};

fn every_type() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let tsv = "table\tsource_file\tcsv_header\tcolumn\ttype\tkey\tnotes\n\
                   all\tAll.csv\tId\tID\tint\tpk\t\n\
                   all\tAll.csv\tAmount\tAMOUNT\tdecimal(12,2)\t\t\n\
                   all\tAll.csv\tRatio\tRATIO\tfloat\t\t\n\
                   all\tAll.csv\tActive\tACTIVE\tbool\t\t\n\
                   all\tAll.csv\tDay\tDAY\tdate\t\t\n\
                   all\tAll.csv\tAt\tAT\ttimestamp\tpk\t\n\
                   all\tAll.csv\tNote\tNOTE\ttext\t\t\n\
                   all\tAll.csv\tCode\tCODE\ttext(5)\t\t\n\
                   all\tAll.csv\t\tUNSENT\tint\t\t\n";
        parse_tsv(System::Molo, tsv).expect("valid table").remove(0)
    })
}

fn decode(table: &Table, selector: u8, body: &[u8]) {
    let limits = if selector & 0x10 != 0 {
        DecodeLimits { max_record_bytes: 64, max_record_lines: 3, max_raw_bytes: 16 }
    } else {
        DecodeLimits::default()
    };
    let mut input = Vec::new();
    if selector & 0x20 != 0 {
        let headers: Vec<&str> = table.columns.iter().filter_map(|c| c.header.as_deref()).collect();
        input.extend_from_slice(headers.join(",").as_bytes());
        input.push(b'\n');
    }
    input.extend_from_slice(body);
    let line_count = lines::lines(input.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&input)).count() as u64;

    let mut staged_rows = 0u64;
    let mut observed: Vec<Observed> = Vec::new();
    let result = decode_table_observed(
        table,
        &input[..],
        &limits,
        &mut |batch| {
            assert!(batch.columns().iter().all(|c| c.len() == batch.num_rows()));
            staged_rows += batch.num_rows() as u64;
            Ok(())
        },
        &mut |_| {},
        &mut |o| observed.push(o),
    );
    let Ok(decoded) = result else { return };
    assert_eq!(decoded.rows_read, decoded.rows_staged + decoded.rows_rejected);
    assert_eq!(staged_rows, decoded.rows_staged);
    assert_eq!(observed.iter().filter(|o| o.fate != Fate::Header).count() as u64, decoded.rows_read);
    for pair in observed.windows(2) {
        assert!(pair[0].last_line < pair[1].line, "{pair:?}");
    }
    for o in &observed {
        assert!(1 <= o.line && o.line <= o.last_line && o.last_line <= line_count, "{o:?} of {line_count} lines");
    }
    let rejected: Vec<u64> = observed.iter().filter(|o| o.fate == Fate::Rejected).map(|o| o.line).collect();
    let mut reject_lines: Vec<u64> = decoded.rejects.iter().map(|r| r.line).collect();
    assert!(reject_lines.windows(2).all(|w| w[0] <= w[1]));
    reject_lines.dedup();
    assert_eq!(reject_lines, rejected);
    for r in &decoded.rejects {
        assert!(!r.raw_line.as_deref().unwrap_or("").contains('\0') && !r.raw_value.as_deref().unwrap_or("").contains('\0'));
    }
}

fn values(body: &[u8]) {
    let Some((&shape, rest)) = body.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let s = text.as_ref();
    let _ = value::parse_int(s);
    if let Ok(v) = value::parse_float(s) {
        assert!(v.is_finite());
    }
    let precision = shape % 38 + 1;
    let scale = (shape / 38) % (precision + 1);
    if let Ok(v) = value::parse_decimal(s, precision, scale) {
        assert!(v.unsigned_abs() < 10u128.pow(u32::from(precision)), "{s:?} gave {v} for decimal({precision},{scale})");
        // Read back from its own spelling, it is the same number.
        let digits = format!("{:0>width$}", v.unsigned_abs(), width = usize::from(scale) + 1);
        let (int, frac) = digits.split_at(digits.len() - usize::from(scale));
        let sign = if v < 0 { "-" } else { "" };
        let spelled = if scale == 0 { format!("{sign}{int}") } else { format!("{sign}{int}.{frac}") };
        assert_eq!(value::parse_decimal(&spelled, precision, scale), Ok(v), "{s:?} spelled {spelled:?}");
    }
    let _ = value::parse_bool(s);
    if let Ok(d) = value::parse_date(s) {
        let _ = value::date_to_days(d);
    }
    if let Ok(t) = value::parse_timestamp(s) {
        let _ = value::timestamp_to_micros(t);
    }
    let max = u32::from(shape);
    if value::check_text(s, Some(max)).is_ok() {
        assert!(!s.contains('\0') && s.chars().count() <= max as usize);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    match selector & 3 {
        0 => decode(Catalog::get().table(System::Molo, "piers").expect("piers"), selector, body),
        1 => decode(Catalog::get().table(System::NetSuite, "transaction").expect("transaction"), selector, body),
        2 => decode(every_type(), selector, body),
        _ => values(body),
    }
});
