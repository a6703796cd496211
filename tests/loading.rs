//! The loading contract on the embedded DuckDB warehouse: lifecycle over snapshots,
//! bad input, header drift, missing files, the mass-delete guard and natural keys.

mod common;

use common::{Backend, Env};
use marina_etl::catalog::System;
use marina_etl::run::{RunOptions, SourceStatus};

const PIERS_V1: &str = "Id,Name,MarinaLocationId\n1,A,1\n2,B,1\n3,C,2\n";

fn lifecycle_insert_update_delete_undelete_and_reload(backend: Backend) {
    let env = Env::new(backend);
    env.zip("molo", "20250101050000.zip", 1, &[("Piers.csv", PIERS_V1)]);
    let r1 = env.run(&["molo"]);
    assert_eq!(r1.exit_code(), 0);
    assert_eq!(env.table_counts(r1.run_id, "piers"), "published|3|3|0|3|0|0|0|0");
    assert_eq!(env.table_counts(r1.run_id, "marina_locations"), "published|0|0|0|0|0|0|0|0");
    let p = r1.sources[0].phases;
    assert!(p.decompress > 0.0 && p.decode > 0.0 && p.load > 0.0 && p.merge > 0.0, "every phase is timed: {p:?}");
    let first = env.lines("SELECT ID, DW_LAST_INSERTED, DW_LAST_UPDATED FROM DW_MOLO_PIERS ORDER BY ID");
    std::thread::sleep(std::time::Duration::from_millis(20));

    // Row 2 changes, row 3 disappears, row 4 is new, row 1 stays as it was.
    env.zip("molo", "20250102050000.zip", 2, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,A,1\n2,B2,1\n4,D,2\n")]);
    let r2 = env.run(&["molo"]);
    assert_eq!(r2.exit_code(), 0);
    assert_eq!(env.table_counts(r2.run_id, "piers"), "published|3|3|0|1|1|1|1|0");
    let now = env.lines("SELECT ID, DW_LAST_INSERTED, DW_LAST_UPDATED FROM DW_MOLO_PIERS ORDER BY ID");
    assert_eq!(now[0], first[0], "an unchanged row is not touched");
    assert_eq!(now[2], first[2], "a deleted row keeps its audit timestamps");
    assert_eq!(
        env.lines(&format!(
            "SELECT ID, NAME, DW_LAST_UPDATED > DW_LAST_INSERTED, DW_DELETED_AT IS NOT NULL, DW_RUN_ID \
               FROM DW_MOLO_PIERS ORDER BY ID"
        )),
        vec![
            format!("1|A|false|false|{}", r1.run_id),
            format!("2|B2|true|false|{}", r2.run_id),
            format!("3|C|false|true|{}", r2.run_id),
            format!("4|D|false|false|{}", r2.run_id),
        ]
    );

    // Row 3 comes back unchanged: undeleted, its values and DW_LAST_UPDATED untouched.
    env.zip("molo", "20250103050000.zip", 3, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,A,1\n2,B2,1\n3,C,2\n4,D,2\n")]);
    let r3 = env.run(&["molo"]);
    assert_eq!(env.table_counts(r3.run_id, "piers"), "published|4|4|0|0|0|3|0|1");
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_MOLO_PIERS WHERE DW_DELETED_AT IS NOT NULL"), 0);
    assert_eq!(
        env.lines("SELECT DW_LAST_UPDATED = DW_LAST_INSERTED FROM DW_MOLO_PIERS WHERE ID = 3"),
        vec!["true"]
    );

    // The same snapshot again is skipped (exit 3). Forced, its members are the ones last
    // published, so they are not read again; with --full they are, and nothing changes.
    let r4 = env.run(&["molo"]);
    assert_eq!(r4.sources[0].status, SourceStatus::Skipped);
    assert_eq!(r4.exit_code(), 3);
    assert_eq!(env.lines(&format!("SELECT STATUS FROM ETL_RUNS WHERE RUN_ID = {}", r4.run_id)), vec!["skipped"]);
    let r5 = env.run_with(&["molo"], true, false);
    assert_eq!(r5.exit_code(), 0);
    assert_eq!(env.table_counts(r5.run_id, "piers"), "unchanged|4|4|0|0|0|4|0|0");
    let r6 = env.run_opts(RunOptions { sources: vec![System::Molo], force: true, full: true, ..RunOptions::default() });
    assert_eq!(r6.exit_code(), 0);
    assert_eq!(env.table_counts(r6.run_id, "piers"), "published|4|4|0|0|0|4|0|0");
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_SNAPSHOTS WHERE SOURCE = 'molo'"), 5);
    assert_eq!(
        env.lines("SELECT STATUS FROM ETL_RUNS ORDER BY RUN_ID"),
        vec!["succeeded", "succeeded", "succeeded", "skipped", "succeeded", "succeeded"]
    );
    assert_eq!(env.lines("SELECT COUNT(*), MAX(DW_RUN_ID) FROM DW_MOLO_PIERS"), vec![format!("4|{}", r3.run_id)]);
}

const SEASONAL_HEADER: &str = "Id,SeasonName,StartDate,PricePerFoot,Taxable,Tax\n";

fn bad_rows_are_quarantined_with_line_and_reason_and_good_rows_load(backend: Backend) {
    let mut env = Env::new(backend);
    env.config.load.max_reject_ratio = 0.9;
    let mut csv = Vec::new();
    csv.extend_from_slice(SEASONAL_HEADER.as_bytes());
    csv.extend_from_slice(
        b"1,Summer,05/01/2025 05:00:00,12.50,True,0.0825\n\
          2,\"Winter, long\",11/01/2025 06:00:00,9.00,0,0.07\r\n\
          3,\"Note \"\"quoted\"\"\nline two\",2025-05-01,1,Y,0\n\
          4,Bad date,13/45/2025,1,1,0\n\
          5,Bad decimal,2025-05-01,1.005,1,0\n\
          6,Bad bool,2025-05-01,1,maybe,0\n\
          7,Too many,2025-05-01,1,1,0,extra\n\
          8,Too few,2025-05-01\n\
          9,Bad \xff byte,2025-05-01,1,1,0\n\
          10,Dup first,2025-05-01,1,1,0\n\
          10,Dup last,2025-05-01,2,1,0\n",
    );
    env.zip_bytes("molo", "s.zip", 1, &[("SeasonalPrices.csv", &csv)]);
    let r = env.run(&["molo"]);
    assert_eq!(r.exit_code(), 0, "{:?}", r.sources[0].message);
    assert_eq!(env.table_counts(r.run_id, "seasonal_prices"), "published|11|4|7|4|0|0|0|0");
    assert_eq!(
        env.lines("SELECT ID, SEASON_NAME, START_DATE, PRICE_PER_FOOT, TAXABLE, TAX FROM DW_MOLO_SEASONAL_PRICES ORDER BY ID"),
        vec![
            "1|Summer|2025-05-01T05:00:00|12.50|true|0.082500",
            "2|Winter, long|2025-11-01T06:00:00|9.00|false|0.070000",
            "3|Note \"quoted\"\nline two|2025-05-01T00:00:00|1.00|true|0.000000",
            "10|Dup last|2025-05-01T00:00:00|2.00|true|0.000000",
        ]
    );
    let rejects = env.lines(
        "SELECT LINE_NUMBER, COLUMN_NAME, RAW_VALUE, SOURCE, TABLE_NAME, FILE_NAME, ARCHIVE_KEY FROM ETL_REJECTS ORDER BY LINE_NUMBER",
    );
    assert_eq!(
        rejects,
        vec![
            "6|START_DATE|13/45/2025|molo|seasonal_prices|SeasonalPrices.csv|s.zip",
            "7|PRICE_PER_FOOT|1.005|molo|seasonal_prices|SeasonalPrices.csv|s.zip",
            "8|TAXABLE|maybe|molo|seasonal_prices|SeasonalPrices.csv|s.zip",
            "9|∅|∅|molo|seasonal_prices|SeasonalPrices.csv|s.zip",
            "10|∅|∅|molo|seasonal_prices|SeasonalPrices.csv|s.zip",
            "11|SEASON_NAME|Bad \u{fffd} byte|molo|seasonal_prices|SeasonalPrices.csv|s.zip",
            "12|ID|10|molo|seasonal_prices|SeasonalPrices.csv|s.zip",
        ]
    );
    let reasons = env.lines("SELECT REASON FROM ETL_REJECTS ORDER BY LINE_NUMBER");
    for (reason, expected) in reasons.iter().zip([
        "not a timestamp",
        "more than 2 decimal places",
        "not a boolean",
        "expected 6 fields, found 7",
        "expected 6 fields, found 3",
        "invalid UTF-8",
        "duplicate natural key, superseded by line 13",
    ]) {
        assert!(reason.contains(expected), "{reason:?} should say {expected:?}");
    }
    assert_eq!(
        env.lines("SELECT RAW_LINE FROM ETL_REJECTS WHERE LINE_NUMBER IN (7, 9, 12) ORDER BY LINE_NUMBER"),
        vec!["5,Bad decimal,2025-05-01,1.005,1,0", "7,Too many,2025-05-01,1,1,0,extra", "10,Dup first,2025-05-01,1,1,0"]
    );
    assert_eq!(
        env.lines(&format!("SELECT MESSAGE FROM ETL_RUN_TABLES WHERE RUN_ID = {} AND TABLE_NAME = 'seasonal_prices'", r.run_id))[0],
        "missing column(s) loaded as NULL: EndDate, SeasonalChargeMethodId, FlatRate, MarinaLocationId, Active, RateDetails, RateShortName, OnlinePaymentPlaceholder, XeroItemCode, XeroId, FirstTrackingCategory, SecondTrackingCategory, SeasonalInvoicingMethod_Id, CreationDateTime, AspNetUser_Id, CheckInTerms, CheckOutTerms, OnlinePaymentCompletion, DueDateDays, DueDateSettings_Id, ChargeCategory, IntroText, RevenueGLCode, ARGLCode, SalesTaxGLCode; 7 row(s) rejected, see ETL_REJECTS"
    );
}

fn unterminated_quote_rejects_its_line_and_the_rows_after_it_load(backend: Backend) {
    let mut env = Env::new(backend);
    env.config.load.max_reject_ratio = 0.9;
    env.zip("molo", "s.zip", 1, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,A,1\n2,\"never closed,1\n3,C,1\n")]);
    let r = env.run(&["molo"]);
    assert_eq!(r.exit_code(), 0);
    assert_eq!(env.lines("SELECT ID, NAME FROM DW_MOLO_PIERS ORDER BY ID"), vec!["1|A", "3|C"]);
    let rejects = env.lines("SELECT LINE_NUMBER, REASON, RAW_LINE FROM ETL_REJECTS");
    assert_eq!(rejects.len(), 1);
    assert!(rejects[0].starts_with("3|unterminated quoted field"), "{rejects:?}");
    assert!(rejects[0].ends_with("|2,\"never closed,1"), "{rejects:?}");
}

fn too_many_rejects_fail_the_table_and_nothing_of_the_source_is_published(backend: Backend) {
    let env = Env::new(backend);
    env.zip("molo", "a.zip", 1, &[("Piers.csv", PIERS_V1), ("MarinaLocations.csv", "Id,Name\n1,North\n")]);
    assert_eq!(env.run(&["molo"]).exit_code(), 0);
    env.zip(
        "molo",
        "b.zip",
        2,
        &[("Piers.csv", "Id,Name,MarinaLocationId\n1,A,x\n2,B,1\n3,C,2\n"), ("MarinaLocations.csv", "Id,Name\n1,South\n")],
    );
    let r = env.run(&["molo"]);
    assert_eq!(r.exit_code(), 1);
    assert_eq!(r.sources[0].status, SourceStatus::Failed);
    assert!(r.sources[0].message.as_deref().unwrap().contains("piers: 1 of 3 rows rejected, more than the 1% allowed"));
    assert_eq!(env.table_counts(r.run_id, "piers"), "failed|3|2|1|0|0|0|0|0");
    assert_eq!(env.table_counts(r.run_id, "marina_locations"), "not_published|1|1|0|0|0|0|0|0");
    assert_eq!(env.lines("SELECT NAME FROM DW_MOLO_MARINA_LOCATIONS"), vec!["North"]);
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_REJECTS WHERE RAW_VALUE = 'x'"), 1, "the reject is kept");
    assert_eq!(env.lines(&format!("SELECT STATUS FROM ETL_RUNS WHERE RUN_ID = {}", r.run_id)), vec!["failed"]);
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_SNAPSHOTS"), 1);
}

fn a_reject_in_a_key_column_fails_the_table_whatever_the_threshold(backend: Backend) {
    let mut env = Env::new(backend);
    env.config.load.max_reject_ratio = 0.9;
    env.zip("molo", "a.zip", 1, &[("Piers.csv", "Id,Name,MarinaLocationId\nabc,A,1\n2,B,1\n")]);
    let r = env.run(&["molo"]);
    assert_eq!(r.exit_code(), 1);
    assert_eq!(env.table_counts(r.run_id, "piers"), "failed|2|1|1|0|0|0|0|0");
    assert!(r.sources[0].message.as_deref().unwrap().contains("unreadable natural key"));
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_MOLO_PIERS"), 0);
}

fn a_rejected_row_is_not_taken_for_a_delete(backend: Backend) {
    let mut env = Env::new(backend);
    env.config.load.max_reject_ratio = 0.9;
    env.zip("molo", "a.zip", 1, &[("Piers.csv", PIERS_V1)]);
    env.run(&["molo"]);
    env.zip("molo", "b.zip", 2, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,A,1\n2,B,not-a-number\n3,C,2\n")]);
    let r = env.run(&["molo"]);
    assert_eq!(env.table_counts(r.run_id, "piers"), "published|3|2|1|0|0|2|0|0");
    assert_eq!(
        env.lines("SELECT ID, NAME, MARINA_LOCATION_ID, DW_DELETED_AT IS NULL FROM DW_MOLO_PIERS ORDER BY ID"),
        vec!["1|A|1|true", "2|B|1|true", "3|C|2|true"]
    );
}

fn header_drift_matches_by_name_and_reports_extra_and_missing_columns(backend: Backend) {
    let env = Env::new(backend);
    // BOM, reordered, case and space variants, an extra column, a missing non-key column, CRLF.
    env.zip("molo", "a.zip", 1, &[("Piers.csv", "\u{feff} name ,ID, Extra \r\nA,1,x\r\nB,2,y\r\n")]);
    let r = env.run(&["molo"]);
    assert_eq!(r.exit_code(), 0);
    assert_eq!(env.lines("SELECT ID, NAME, MARINA_LOCATION_ID FROM DW_MOLO_PIERS ORDER BY ID"), vec!["1|A|∅", "2|B|∅"]);
    assert_eq!(
        env.lines(&format!("SELECT MESSAGE FROM ETL_RUN_TABLES WHERE RUN_ID = {} AND TABLE_NAME = 'piers'", r.run_id)),
        vec!["missing column(s) loaded as NULL: MarinaLocationId; extra column(s) ignored: Extra"]
    );
}

fn a_missing_key_column_fails_the_table(backend: Backend) {
    let env = Env::new(backend);
    env.zip("molo", "a.zip", 1, &[("Piers.csv", "Name,MarinaLocationId\nA,1\n")]);
    let r = env.run(&["molo"]);
    assert_eq!(r.exit_code(), 1);
    let message = r.sources[0].message.clone().unwrap();
    assert!(message.contains("piers: Piers.csv: key column(s) missing from the header: Id"), "{message}");
    assert_eq!(env.table_counts(r.run_id, "piers"), "failed|0|0|0|0|0|0|0|0");
}

fn a_missing_table_file_changes_nothing_and_unknown_files_are_listed(backend: Backend) {
    let env = Env::new(backend);
    env.zip("molo", "a.zip", 1, &[("Piers.csv", PIERS_V1), ("MarinaLocations.csv", "Id,Name\n1,North\n")]);
    env.run(&["molo"]);
    env.partial_zip("molo", "b.zip", 2, &[("MarinaLocations.csv", "Id,Name\n1,North\n2,South\n"), ("SV_JobSet.csv", "Id\n1\n")]);
    let r = env.run(&["molo"]);
    assert_eq!(env.table_counts(r.run_id, "piers"), "missing|0|0|0|0|0|0|0|0");
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_MOLO_PIERS WHERE DW_DELETED_AT IS NULL"), 3);
    assert_eq!(r.sources[0].ignored_files, vec!["SV_JobSet.csv"]);
    // The tables that are there are published; the snapshot is incomplete, which the
    // outcome, the exit code and the ledger say, and it is not recorded as loaded.
    assert_eq!(env.table_counts(r.run_id, "marina_locations"), "published|2|2|0|1|0|1|0|0");
    assert_eq!(r.sources[0].status, SourceStatus::Partial);
    assert_eq!(r.exit_code(), 1);
    let message = r.sources[0].message.clone().unwrap();
    assert!(message.starts_with("snapshot incomplete: 49 of 50 tables missing (piers, "), "{message}");
    assert_eq!(env.lines(&format!("SELECT STATUS FROM ETL_RUNS WHERE RUN_ID = {}", r.run_id)), vec!["partial"]);
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_SNAPSHOTS WHERE ARCHIVE_KEY = 'b.zip'"), 0);
    // So the next run reads it again rather than calling it loaded.
    let again = env.run(&["molo"]);
    assert_eq!(again.sources[0].status, SourceStatus::Partial);
    assert_eq!(again.exit_code(), 1);
}

fn a_snapshot_with_no_table_of_the_catalog_fails(backend: Backend) {
    let env = Env::new(backend);
    env.zip("molo", "a.zip", 1, &[("Piers.csv", PIERS_V1)]);
    env.run(&["molo"]);
    // A zip holding only another zip.
    let inner = env.dir.path().join("inner.zip");
    common::write_snapshot_zip(&inner, "molo", &[("Piers.csv", PIERS_V1)]);
    let inner_bytes = std::fs::read(&inner).unwrap();
    env.zip_raw("molo", "b.zip", 2, &[("20250102050000.zip", &inner_bytes)]);
    let r = env.run(&["molo"]);
    assert_eq!(r.sources[0].status, SourceStatus::Failed);
    assert_eq!(r.exit_code(), 1);
    let message = r.sources[0].message.clone().unwrap();
    assert!(message.contains("no member of the archive is a table of the catalog (members: 20250102050000.zip)"), "{message}");
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_SNAPSHOTS WHERE ARCHIVE_KEY = 'b.zip'"), 0);
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_MOLO_PIERS WHERE DW_DELETED_AT IS NULL"), 3);
}

fn the_mass_delete_guard_holds_back_a_table_until_overridden(backend: Backend) {
    let env = Env::new(backend);
    env.zip("molo", "a.zip", 1, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,A,1\n2,B,1\n3,C,2\n4,D,2\n")]);
    env.run(&["molo"]);
    env.zip("molo", "b.zip", 2, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,A,1\n")]);
    let r = env.run(&["molo"]);
    assert_eq!(r.exit_code(), 1);
    let message = r.sources[0].message.clone().unwrap();
    assert!(message.contains("piers: would delete 3 of 4 live rows, more than the 50% guard (use --allow-mass-delete)"), "{message}");
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_MOLO_PIERS WHERE DW_DELETED_AT IS NULL"), 4);
    assert_eq!(env.table_counts(r.run_id, "piers"), "failed|1|1|0|0|0|0|0|0");

    let r = env.run_with(&["molo"], false, true);
    assert_eq!(r.exit_code(), 0);
    assert_eq!(env.table_counts(r.run_id, "piers"), "published|1|1|0|0|0|1|3|0");
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_MOLO_PIERS WHERE DW_DELETED_AT IS NULL"), 1);
}

fn composite_and_null_able_keys_match_between_snapshots(backend: Backend) {
    let env = Env::new(backend);
    let v1 = "booking_id,accessory_id,accessory_option_id,qty\n1,1,,2\n1,2,5,1\n1,2,6,1\n";
    env.tar_gz("a-DATA.sql.gz", 1, &[("data/booking_accessories.csv", v1), ("data/holidays.csv", "location_id,holiday_date\n1,2025-07-04\n2,2025-07-04\n")]);
    let r1 = env.run(&["stellar"]);
    assert_eq!(r1.exit_code(), 0, "{:?}", r1.sources[0].message);
    assert_eq!(env.table_counts(r1.run_id, "booking_accessories"), "published|3|3|0|3|0|0|0|0");
    assert_eq!(env.table_counts(r1.run_id, "holidays"), "published|2|2|0|2|0|0|0|0");

    let v2 = "booking_id,accessory_id,accessory_option_id,qty\n1,1,,3\n1,2,5,1\n1,2,6,1\n";
    env.tar_gz("b-DATA.sql.gz", 2, &[("data/booking_accessories.csv", v2), ("data/holidays.csv", "location_id,holiday_date\n1,2025-07-04\n1,2025-12-25\n")]);
    let r2 = env.run(&["stellar"]);
    assert_eq!(env.table_counts(r2.run_id, "booking_accessories"), "published|3|3|0|0|1|2|0|0");
    assert_eq!(env.table_counts(r2.run_id, "holidays"), "published|2|2|0|1|0|1|1|0");
    assert_eq!(
        env.lines("SELECT LOCATION_ID, HOLIDAY_DATE, DW_DELETED_AT IS NULL FROM DW_STELLAR_HOLIDAYS ORDER BY 1, 2"),
        vec!["1|2025-07-04|true", "1|2025-12-25|true", "2|2025-07-04|false"]
    );
    assert_eq!(
        env.lines("SELECT BOOKING_ID, ACCESSORY_ID, ACCESSORY_OPTION_ID, QTY FROM DW_STELLAR_BOOKING_ACCESSORIES ORDER BY 1, 2, 3 NULLS FIRST"),
        vec!["1|1|∅|3", "1|2|5|1", "1|2|6|1"]
    );
}

fn text_longer_than_its_column_is_rejected_not_truncated(backend: Backend) {
    let mut env = Env::new(backend);
    env.config.load.max_reject_ratio = 0.9;
    env.tar_gz("a-DATA.sql.gz", 1, &[("data/customers.csv", "user_id,billing_country\n1,USA\n2,United States\n")]);
    let r = env.run(&["stellar"]);
    assert_eq!(r.exit_code(), 0);
    assert_eq!(env.lines("SELECT USER_ID, BILLING_COUNTRY FROM DW_STELLAR_CUSTOMERS"), vec!["1|USA"]);
    assert_eq!(
        env.lines("SELECT LINE_NUMBER, COLUMN_NAME, RAW_VALUE, REASON FROM ETL_REJECTS"),
        vec!["3|BILLING_COUNTRY|United States|longer than 3 characters (13)"]
    );
}

fn sources_fail_independently_with_a_clear_message(backend: Backend) {
    let env = Env::new(backend);
    env.zip("molo", "a.zip", 1, &[("Piers.csv", PIERS_V1)]);
    std::fs::write(env.folder("netsuite").join("netsuite_20250101.zip"), b"this is not a zip").unwrap();
    let r = env.run(&[]);
    assert_eq!(r.exit_code(), 1);
    let by = |name: &str| r.sources.iter().find(|s| s.system.name() == name).unwrap();
    assert_eq!(by("molo").status, SourceStatus::Published);
    assert_eq!(by("stellar").status, SourceStatus::Failed);
    assert!(by("stellar").message.as_deref().unwrap().starts_with("no snapshot under "), "{:?}", by("stellar").message);
    let ns = by("netsuite").message.clone().unwrap();
    assert!(ns.contains("netsuite_20250101.zip") && ns.contains("corrupt or truncated archive"), "{ns}");
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_MOLO_PIERS"), 3);
    let status = env.lines(&format!("SELECT STATUS, ERROR_TEXT FROM ETL_RUNS WHERE RUN_ID = {}", r.run_id));
    assert!(status[0].starts_with("partial|stellar: no snapshot under"), "{status:?}");
}

fn a_member_unchanged_since_its_last_publish_is_not_read_again(backend: Backend) {
    let env = Env::new(backend);
    let marinas = "Id,Name\n1,North\n";
    env.zip("molo", "a.zip", 1, &[("Piers.csv", PIERS_V1), ("MarinaLocations.csv", marinas)]);
    let r1 = env.run(&["molo"]);
    env.zip("molo", "b.zip", 2, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,A2,1\n2,B,1\n3,C,2\n"), ("MarinaLocations.csv", marinas)]);
    let r2 = env.run(&["molo"]);
    assert_eq!(env.table_counts(r2.run_id, "piers"), "published|3|3|0|0|1|2|0|0");
    assert_eq!(env.table_counts(r2.run_id, "marina_locations"), "unchanged|1|1|0|0|0|1|0|0");
    assert_eq!(
        env.lines(&format!("SELECT MESSAGE FROM ETL_RUN_TABLES WHERE RUN_ID = {} AND TABLE_NAME = 'marina_locations'", r2.run_id)),
        vec![format!("MarinaLocations.csv is the same as when run {} published it; not read again", r1.run_id)]
    );
    // A snapshot that fails does not count as the last publish of its members.
    env.zip("molo", "c.zip", 3, &[("Piers.csv", "Id,Name,MarinaLocationId\nx,A,1\n"), ("MarinaLocations.csv", "Id,Name\n1,South\n")]);
    assert_eq!(env.run(&["molo"]).exit_code(), 1);
    env.zip("molo", "d.zip", 4, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,A2,1\n2,B,1\n3,C,2\n"), ("MarinaLocations.csv", "Id,Name\n1,South\n")]);
    let r4 = env.run(&["molo"]);
    assert_eq!(env.table_counts(r4.run_id, "piers"), "unchanged|3|3|0|0|0|3|0|0");
    assert_eq!(env.table_counts(r4.run_id, "marina_locations"), "published|1|1|0|0|1|0|0|0");
    assert_eq!(env.lines("SELECT NAME FROM DW_MOLO_MARINA_LOCATIONS"), vec!["South"]);
}

/// A member skipped as unchanged is described as it was published: its counts, and its
/// rejects, which are still outstanding, carried into the run.
fn an_unchanged_member_carries_its_counts_and_rejects_forward(backend: Backend) {
    let mut env = Env::new(backend);
    env.config.load.max_reject_ratio = 0.5;
    env.zip("molo", "a.zip", 1, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,A,1\n2,B,x\n3,C,2\n")]);
    let r1 = env.run(&["molo"]);
    assert_eq!(env.table_counts(r1.run_id, "piers"), "published|3|2|1|2|0|0|0|0");
    let r2 = env.run_with(&["molo"], true, false);
    assert_eq!(r2.exit_code(), 0);
    assert_eq!(env.table_counts(r2.run_id, "piers"), "unchanged|3|2|1|0|0|2|0|0");
    let rejects = |run: i64| {
        env.lines(&format!(
            "SELECT LINE_NUMBER, COLUMN_NAME, RAW_VALUE, FILE_NAME, ARCHIVE_KEY FROM ETL_REJECTS WHERE RUN_ID = {run} AND TABLE_NAME = 'piers'"
        ))
    };
    assert_eq!(rejects(r2.run_id), vec!["3|MARINA_LOCATION_ID|x|Piers.csv|a.zip"]);
    assert_eq!(rejects(r2.run_id), rejects(r1.run_id));
    // Carried again by the next forced run, from the run that carried it last.
    let r3 = env.run_with(&["molo"], true, false);
    assert_eq!(rejects(r3.run_id), rejects(r1.run_id));
    assert_eq!(env.table_counts(r3.run_id, "piers"), "unchanged|3|2|1|0|0|2|0|0");
}

/// A non-key column missing from the file loads as NULL; when it held values in the
/// published table (a renamed column, say), the run says so: a warning, exit code 4.
fn a_missing_column_that_held_values_is_a_warning(backend: Backend) {
    let env = Env::new(backend);
    env.zip("molo", "a.zip", 1, &[("Piers.csv", PIERS_V1)]);
    assert_eq!(env.run(&["molo"]).exit_code(), 0);
    env.zip("molo", "b.zip", 2, &[("Piers.csv", "Id,Name,MarinaLocation\n1,A,1\n2,B,1\n3,C,2\n")]);
    let r = env.run(&["molo"]);
    assert_eq!(r.exit_code(), 4);
    assert_eq!(r.status.as_str(), "warning");
    assert_eq!(r.sources[0].status, SourceStatus::Published);
    let warnings: Vec<String> = r.warnings().collect();
    assert_eq!(
        warnings,
        vec!["molo: piers: column MARINA_LOCATION_ID (MarinaLocationId) is missing from Piers.csv but holds values in 3 live row(s); they become NULL"]
    );
    assert_eq!(env.count("SELECT COUNT(MARINA_LOCATION_ID) FROM DW_MOLO_PIERS"), 0);
    let run = env.lines(&format!("SELECT STATUS, ERROR_TEXT FROM ETL_RUNS WHERE RUN_ID = {}", r.run_id));
    assert_eq!(run, vec![format!("warning|{}", warnings[0])]);
    assert!(marina_etl::report::run_summary(&r).contains("WARNING piers: column MARINA_LOCATION_ID"), "{}", marina_etl::report::run_summary(&r));
    // Once the column is empty, its absence is no longer news.
    env.zip("molo", "c.zip", 3, &[("Piers.csv", "Id,Name,MarinaLocation\n1,A,1\n2,B,1\n")]);
    assert_eq!(env.run(&["molo"]).exit_code(), 0);
}

/// A killed run cannot remove its working folder; the next run clears it, and keeps
/// the folders that other runs still hold.
fn working_folders_left_by_killed_runs_are_removed(backend: Backend) {
    let mut env = Env::new(backend);
    let temp = env.dir.path().join("temp");
    let abandoned = temp.join("marina-etl-run-killed");
    std::fs::create_dir_all(&abandoned).unwrap();
    std::fs::write(abandoned.join(".in-use"), b"").unwrap();
    std::fs::write(abandoned.join("snapshot-x"), b"half a download").unwrap();
    let unrelated = temp.join("other-program");
    std::fs::create_dir_all(&unrelated).unwrap();
    env.config.load.temp_dir = Some(temp.clone());
    env.zip("molo", "a.zip", 1, &[("Piers.csv", PIERS_V1)]);
    assert_eq!(env.run(&["molo"]).exit_code(), 0);
    assert!(!abandoned.exists(), "the abandoned working folder is removed");
    assert!(unrelated.exists(), "other folders are left alone");
    let left: Vec<_> = std::fs::read_dir(&temp).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, vec!["other-program"], "the run removed its own working folder too");
}

/// The merge skips steps that cannot change anything (a first load only inserts; no
/// undeletes without soft-deleted rows). A table whose every row is soft-deleted has no
/// live rows but must still undelete the keys that come back.
fn a_table_emptied_by_a_snapshot_comes_back_with_the_next(backend: Backend) {
    let env = Env::new(backend);
    env.zip("molo", "20250101050000.zip", 1, &[("Piers.csv", PIERS_V1)]);
    env.run(&["molo"]);
    env.zip("molo", "20250102050000.zip", 2, &[("Piers.csv", "Id,Name,MarinaLocationId\n")]);
    let emptied = env.run_with(&["molo"], false, true);
    assert_eq!(emptied.exit_code(), 0);
    assert_eq!(env.table_counts(emptied.run_id, "piers"), "published|0|0|0|0|0|0|3|0");
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_MOLO_PIERS WHERE DW_DELETED_AT IS NULL"), 0);

    // Row 1 comes back as it was, row 2 changed, row 5 is new; row 3 stays deleted.
    env.zip("molo", "20250103050000.zip", 3, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,A,1\n2,B2,1\n5,E,2\n")]);
    let back = env.run(&["molo"]);
    assert_eq!(back.exit_code(), 0);
    assert_eq!(env.table_counts(back.run_id, "piers"), "published|3|3|0|1|1|0|0|2");
    assert_eq!(
        env.lines("SELECT ID, NAME, DW_DELETED_AT IS NULL, DW_LAST_UPDATED > DW_LAST_INSERTED, DW_RUN_ID FROM DW_MOLO_PIERS ORDER BY ID"),
        vec![
            format!("1|A|true|false|{}", back.run_id),
            format!("2|B2|true|true|{}", back.run_id),
            format!("3|C|false|false|{}", emptied.run_id),
            format!("5|E|true|false|{}", back.run_id),
        ]
    );
}

fn the_newest_snapshot_wins_with_ties_broken_by_name(backend: Backend) {
    let env = Env::new(backend);
    env.zip("molo", "b.zip", 5, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,from b,1\n")]);
    env.zip("molo", "a.zip", 5, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,from a,1\n")]);
    std::fs::create_dir_all(env.folder("molo").join("older")).unwrap();
    env.zip("molo", "older/z.zip", 4, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,from z,1\n")]);
    env.run(&["molo"]);
    assert_eq!(env.lines("SELECT NAME FROM DW_MOLO_PIERS"), vec!["from b"]);
    env.zip("molo", "older/newest.zip", 6, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,nested,1\n")]);
    env.run(&["molo"]);
    assert_eq!(env.lines("SELECT NAME FROM DW_MOLO_PIERS"), vec!["nested"]);
}

backend_tests!(
    lifecycle_insert_update_delete_undelete_and_reload,
    bad_rows_are_quarantined_with_line_and_reason_and_good_rows_load,
    unterminated_quote_rejects_its_line_and_the_rows_after_it_load,
    too_many_rejects_fail_the_table_and_nothing_of_the_source_is_published,
    a_reject_in_a_key_column_fails_the_table_whatever_the_threshold,
    a_rejected_row_is_not_taken_for_a_delete,
    header_drift_matches_by_name_and_reports_extra_and_missing_columns,
    a_missing_key_column_fails_the_table,
    a_missing_table_file_changes_nothing_and_unknown_files_are_listed,
    a_snapshot_with_no_table_of_the_catalog_fails,
    the_mass_delete_guard_holds_back_a_table_until_overridden,
    composite_and_null_able_keys_match_between_snapshots,
    text_longer_than_its_column_is_rejected_not_truncated,
    sources_fail_independently_with_a_clear_message,
    a_member_unchanged_since_its_last_publish_is_not_read_again,
    the_newest_snapshot_wins_with_ties_broken_by_name,
    a_table_emptied_by_a_snapshot_comes_back_with_the_next,
    an_unchanged_member_carries_its_counts_and_rejects_forward,
    a_missing_column_that_held_values_is_a_warning,
    working_folders_left_by_killed_runs_are_removed,
);
