//! Hostile CSV input never costs a row: a quote left open, records swallowed into one of
//! the right width, CRLF and classic-Mac line ends, NUL bytes and records over the limit,
//! each loaded end to end on both backends.

mod common;

use common::{Backend, Env};

const HEADER: &str = "Id,Name,MarinaLocationId\n";

/// `n` piers, every seventh with a quoted name (a later quote for an open one to meet).
fn piers(n: u32, suffix: &str) -> Vec<String> {
    (1..=n)
        .map(|i| if i % 7 == 0 { format!("{i},\"Pier {i}, {suffix}\",1") } else { format!("{i},Pier {i} {suffix},1") })
        .collect()
}

fn file(rows: &[String], line_end: &str) -> String {
    let mut text = HEADER.replace('\n', line_end);
    for r in rows {
        text.push_str(r);
        text.push_str(line_end);
    }
    text
}

/// (line, column, raw value, reason, raw line) of every reject, in line order.
fn rejects(env: &Env) -> Vec<String> {
    env.lines("SELECT LINE_NUMBER, COLUMN_NAME, RAW_VALUE, REASON, RAW_LINE FROM ETL_REJECTS ORDER BY LINE_NUMBER")
}

fn an_unclosed_quote_rejects_its_line_only_and_every_other_row_loads(backend: Backend) {
    let mut env = Env::new(backend);
    env.config.load.max_reject_ratio = 0.05;
    env.zip("molo", "a.zip", 1, &[("Piers.csv", &file(&piers(50, "v1"), "\n"))]);
    assert_eq!(env.run(&["molo"]).exit_code(), 0);

    // 60% into the file, pier 30 opens a quote that the quoted name of pier 35 would close.
    let mut rows = piers(50, "v2");
    rows[29] = "30,\"Pier 30 v2,1".into();
    env.zip("molo", "b.zip", 2, &[("Piers.csv", &file(&rows, "\n"))]);
    let r = env.run(&["molo"]);
    assert_eq!(r.exit_code(), 0, "{:?}", r.sources[0].message);
    assert_eq!(env.table_counts(r.run_id, "piers"), "published|50|49|1|0|49|0|0|0");
    let got = rejects(&env);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("31|∅|∅|a quoted field runs on to line 36 and leaves the record with 4 fields, expected 3; only this line is rejected"),
        "{got:?}"
    );
    assert!(got[0].ends_with("|30,\"Pier 30 v2,1"), "{got:?}");
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_MOLO_PIERS WHERE DW_DELETED_AT IS NOT NULL"), 0, "nothing is soft-deleted");
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_MOLO_PIERS WHERE NAME LIKE '%v2%'"), 49);
    assert_eq!(env.lines("SELECT NAME FROM DW_MOLO_PIERS WHERE ID IN (30, 31, 35) ORDER BY ID"), ["Pier 30 v1", "Pier 31 v2", "Pier 35, v2"]);
}

fn an_unclosed_quote_to_the_end_of_the_file_rejects_its_line_only(backend: Backend) {
    let mut env = Env::new(backend);
    env.config.load.max_reject_ratio = 0.5;
    env.zip("molo", "a.zip", 1, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,A,1\n2,\"never closed,1\n3,C,1\n4,D,1\n")]);
    let r = env.run(&["molo"]);
    assert_eq!(r.exit_code(), 0, "{:?}", r.sources[0].message);
    assert_eq!(env.lines("SELECT ID, NAME FROM DW_MOLO_PIERS ORDER BY ID"), ["1|A", "3|C", "4|D"]);
    assert_eq!(
        rejects(&env),
        ["3|∅|∅|unterminated quoted field: the file ends inside it, on line 5; only this line is rejected, the lines after it are read as records|2,\"never closed,1"]
    );
}

fn two_lines_swallowed_into_a_record_of_the_right_width_are_both_recovered(backend: Backend) {
    let mut env = Env::new(backend);
    env.config.load.max_reject_ratio = 0.5;
    env.zip("molo", "a.zip", 1, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,A,1\n2,B,1\n3,C,1\n4,D,1\n5,E,1\n")]);
    assert_eq!(env.run(&["molo"]).exit_code(), 0);
    // Read as one record, lines 3 to 5 are three fields: 2 | never closed,1⏎3,C2,1⏎4,D2 | 1.
    let broken = "Id,Name,MarinaLocationId\n1,A,1\n2,\"never closed,1\n3,C2,1\n4,D2\",1\n5,E,1\n";
    env.zip("molo", "b.zip", 2, &[("Piers.csv", broken)]);
    let r = env.run(&["molo"]);
    assert_eq!(r.exit_code(), 0, "{:?}", r.sources[0].message);
    assert_eq!(env.table_counts(r.run_id, "piers"), "published|5|4|1|0|2|2|0|0");
    assert_eq!(
        env.lines("SELECT ID, NAME, DW_DELETED_AT IS NULL FROM DW_MOLO_PIERS ORDER BY ID"),
        ["1|A|true", "2|B|true", "3|C2|true", "4|D2\"|true", "5|E|true"]
    );
    let got = rejects(&env);
    assert_eq!(got.len(), 1);
    assert!(got[0].starts_with("3|∅|∅|a quoted field runs on over line 4, which is a record of its own"), "{got:?}");
}

fn crlf_rejects_point_at_their_line_with_the_raw_line_as_written(backend: Backend) {
    let mut env = Env::new(backend);
    env.config.load.max_reject_ratio = 0.5;
    env.zip("molo", "a.zip", 1, &[("Piers.csv", "Id,Name,MarinaLocationId\r\n1,A,1\r\n2,B,1\r\n3,C,1\r\n4,D,x\r\n5,E,1\r\n")]);
    let r = env.run(&["molo"]);
    assert_eq!(r.exit_code(), 0, "{:?}", r.sources[0].message);
    assert_eq!(rejects(&env), ["5|MARINA_LOCATION_ID|x|not an integer|4,D,x"]);
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_MOLO_PIERS"), 4);
}

fn lone_cr_lines_are_distinct_and_a_duplicate_key_is_superseded(backend: Backend) {
    let mut env = Env::new(backend);
    env.config.load.max_reject_ratio = 0.5;
    env.zip("molo", "a.zip", 1, &[("Piers.csv", "Id,Name,MarinaLocationId\r1,first,1\r2,B,1\r1,last,1\r")]);
    let r = env.run(&["molo"]);
    assert_eq!(r.exit_code(), 0, "{:?}", r.sources[0].message);
    assert_eq!(env.table_counts(r.run_id, "piers"), "published|3|2|1|2|0|0|0|0");
    assert_eq!(env.lines("SELECT ID, NAME FROM DW_MOLO_PIERS WHERE DW_DELETED_AT IS NULL ORDER BY ID"), ["1|last", "2|B"]);
    assert_eq!(
        rejects(&env),
        ["2|ID|1|duplicate natural key, superseded by line 4 (the last occurrence wins)|1,first,1"]
    );

    // The next day's file, with ordinary line ends, updates the one row of the key.
    env.zip("molo", "b.zip", 2, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,next day,1\n2,B,1\n")]);
    let r = env.run(&["molo"]);
    assert_eq!(env.table_counts(r.run_id, "piers"), "published|2|2|0|0|1|1|0|0");
    assert_eq!(env.lines("SELECT ID, NAME FROM DW_MOLO_PIERS ORDER BY ID"), ["1|next day", "2|B"]);
}

fn a_nul_byte_in_text_is_a_reject_and_the_other_rows_publish(backend: Backend) {
    let mut env = Env::new(backend);
    env.config.load.max_reject_ratio = 0.5;
    env.zip("molo", "a.zip", 1, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,A,1\n2,B\0x,1\n3,C,1\n")]);
    let r = env.run(&["molo"]);
    assert_eq!(r.exit_code(), 0, "{:?}", r.sources[0].message);
    assert_eq!(env.lines("SELECT ID, NAME FROM DW_MOLO_PIERS ORDER BY ID"), ["1|A", "3|C"]);
    assert_eq!(rejects(&env), ["3|NAME|B\u{2400}x|text contains a NUL byte|2,B\u{2400}x,1"]);
}

fn a_record_over_the_limit_is_rejected_with_a_cut_raw_line(backend: Backend) {
    let mut env = Env::new(backend);
    env.config.load.max_reject_ratio = 0.5;
    let long = format!("Id,Name,MarinaLocationId\n1,A,1\n2,{},1\n3,C,1\n", "x".repeat(5 << 20));
    env.zip("molo", "a.zip", 1, &[("Piers.csv", &long)]);
    let r = env.run(&["molo"]);
    assert_eq!(r.exit_code(), 0, "{:?}", r.sources[0].message);
    assert_eq!(env.lines("SELECT ID, NAME FROM DW_MOLO_PIERS ORDER BY ID"), ["1|A", "3|C"]);
    let got = rejects(&env);
    assert_eq!(got.len(), 1);
    let expected = format!(
        "3|∅|∅|record longer than 4194304 bytes (5242884 bytes)|2,{}… [cut: 4096 of 5242884 bytes shown]",
        "x".repeat(4094)
    );
    assert_eq!(got[0], expected);

    // A lower limit from the configuration.
    env.config.load.max_record_bytes = Some(30);
    let lower = format!("Id,Name,MarinaLocationId\n1,A,1\n2,{},1\n3,C,1\n", "B".repeat(35));
    env.zip("molo", "b.zip", 2, &[("Piers.csv", &lower)]);
    let r = env.run(&["molo"]);
    assert_eq!(r.exit_code(), 0, "{:?}", r.sources[0].message);
    assert_eq!(
        env.lines(&format!("SELECT LINE_NUMBER, REASON FROM ETL_REJECTS WHERE RUN_ID = {}", r.run_id)),
        ["3|record longer than 30 bytes (39 bytes)"]
    );
}

backend_tests!(
    an_unclosed_quote_rejects_its_line_only_and_every_other_row_loads,
    an_unclosed_quote_to_the_end_of_the_file_rejects_its_line_only,
    two_lines_swallowed_into_a_record_of_the_right_width_are_both_recovered,
    crlf_rejects_point_at_their_line_with_the_raw_line_as_written,
    lone_cr_lines_are_distinct_and_a_duplicate_key_is_superseded,
    a_nul_byte_in_text_is_a_reject_and_the_other_rows_publish,
    a_record_over_the_limit_is_rejected_with_a_cut_raw_line,
);
