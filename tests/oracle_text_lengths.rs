//! A text longer than its column is a reject with its line, never cut, on every backend, so
//! DuckDB, PostgreSQL (`VARCHAR(n)`) and Oracle (`NVARCHAR2(n)`, from the script) hold the
//! same rows. Lengths are counted as NVARCHAR2 counts them: characters, not bytes, with a
//! character outside the Basic Multilingual Plane counting twice.

mod common;

use common::{Backend, Env};

fn a_text_longer_than_its_column_is_a_reject_with_its_line_and_the_other_rows_load(backend: Backend) {
    let mut env = Env::new(backend);
    env.config.load.max_reject_ratio = 0.9;
    // account.accttype is text(100): NVARCHAR2(100) on Oracle, VARCHAR(100) on PostgreSQL.
    let fits = "é".repeat(100); // 100 characters, 200 bytes
    let too_long = "a".repeat(101);
    let emoji = format!("{}🚤", "a".repeat(99)); // 100 characters, 101 UTF-16 code units
    let csv = format!("id,accttype,fullname\n1,{fits},First\n2,{too_long},Second\n3,{emoji},Third\n4,Income,Fourth\n");
    env.zip("netsuite", "netsuite_20250101.zip", 1, &[("account.csv", csv.as_str())]);
    let r = env.run(&["netsuite"]);
    assert_eq!(r.exit_code(), 0, "{:?}", r.sources[0].message);

    // The good rows loaded whole; the long ones are not there, cut or otherwise.
    assert_eq!(
        env.lines("SELECT ID, LENGTH(ACCOUNT_TYPE), FULL_NAME FROM DW_NS_ACCOUNT ORDER BY ID"),
        vec!["1|100|First", "4|6|Fourth"]
    );
    assert_eq!(env.lines("SELECT ACCOUNT_TYPE FROM DW_NS_ACCOUNT WHERE ID = 1"), vec![fits.clone()]);
    assert_eq!(env.table_counts(r.run_id, "account"), "published|4|2|2|2|0|0|0|0");

    // Each long value is a reject with its line, column, whole value and a reason that says why.
    let rejects = env.query(
        "SELECT LINE_NUMBER, COLUMN_NAME, RAW_VALUE, REASON, RAW_LINE FROM ETL_REJECTS \
          WHERE TABLE_NAME = 'account' ORDER BY LINE_NUMBER",
    );
    assert_eq!(rejects.len(), 2, "{rejects:?}");
    let text = |row: &Vec<Option<String>>, i: usize| row[i].clone().unwrap_or_default();
    assert_eq!((text(&rejects[0], 0).as_str(), text(&rejects[0], 1).as_str()), ("3", "ACCOUNT_TYPE"));
    assert_eq!(text(&rejects[0], 2), too_long);
    assert_eq!(text(&rejects[0], 3), "longer than 100 characters (101)");
    assert_eq!(text(&rejects[0], 4), format!("2,{too_long},Second"));
    assert_eq!((text(&rejects[1], 0).as_str(), text(&rejects[1], 1).as_str()), ("4", "ACCOUNT_TYPE"));
    assert_eq!(text(&rejects[1], 2), emoji);
    assert!(
        text(&rejects[1], 3).starts_with("longer than 100 characters (101: 100 characters, of which 1 outside the Basic Multilingual Plane count twice"),
        "{}",
        text(&rejects[1], 3)
    );
    assert_eq!(text(&rejects[1], 4), format!("3,{emoji},Third"));

    // PostgreSQL's column has the length too, so it could not hold a longer value anyway.
    if backend == Backend::Postgres {
        assert_eq!(
            env.lines(
                "SELECT data_type, character_maximum_length FROM information_schema.columns \
                  WHERE table_name = 'dw_ns_account' AND column_name = 'account_type'"
            ),
            vec!["character varying|100"]
        );
    }
}

backend_tests!(a_text_longer_than_its_column_is_a_reject_with_its_line_and_the_other_rows_load);
