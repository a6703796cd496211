//! Snapshots and warehouses that are not what they claim (issue 18): values a backend could
//! only store by cutting them, a merge that would leave one key live twice, members in
//! UTF-16 or behind a password, and a `DW_` table another tool made. Each is refused with a
//! line that says what it is, and what is sound still loads.

mod common;

use common::{Backend, Env};

const SLIPS: &str = "Id,Name,CreationDateTime\n";

fn run_status(env: &Env, run_id: i64) -> String {
    env.lines(&format!("SELECT STATUS FROM ETL_RUNS WHERE RUN_ID = {run_id}")).join("")
}

fn timestamps_finer_than_microseconds_year_zero_and_impossible_offsets_are_rejects(backend: Backend) {
    let mut env = Env::new(backend);
    env.config.load.max_reject_ratio = 0.9;
    let file = format!(
        "{SLIPS}1,A,2025-07-11 20:17:43.123456789\n2,B,2025-07-11 20:17:43.9999999\n3,C,0000-01-01 00:00:00\n\
         4,D,2025-07-11 20:17:43+23:59\n5,E,2025-07-11 20:17:43.123456000\n6,F,2025-07-11 10:00:00+14:00\n7,G,\n"
    );
    env.zip("molo", "a.zip", 1, &[("Slips.csv", &file)]);
    let r = env.run(&["molo"]);
    assert_eq!(r.exit_code(), 0, "{:?}", r.sources[0].message);
    assert_eq!(env.table_counts(r.run_id, "slips"), "published|7|3|4|3|0|0|0|0");
    let rejects = env.lines("SELECT LINE_NUMBER, COLUMN_NAME, RAW_VALUE FROM ETL_REJECTS ORDER BY LINE_NUMBER");
    assert_eq!(
        rejects,
        [
            "2|CREATION_DATE_TIME|2025-07-11 20:17:43.123456789",
            "3|CREATION_DATE_TIME|2025-07-11 20:17:43.9999999",
            "4|CREATION_DATE_TIME|0000-01-01 00:00:00",
            "5|CREATION_DATE_TIME|2025-07-11 20:17:43+23:59",
        ]
    );
    let reason = env.lines("SELECT REASON FROM ETL_REJECTS WHERE LINE_NUMBER = 2").join("");
    assert!(reason.contains("at most microseconds"), "{reason}");
    // What fits is kept exactly: trailing zeros past the microsecond, the widest offset.
    assert_eq!(
        env.lines("SELECT ID, CAST(CREATION_DATE_TIME AS VARCHAR) FROM DW_MOLO_SLIPS ORDER BY ID"),
        ["5|2025-07-11 20:17:43.123456", "6|2025-07-10 20:00:00", "7|∅"]
    );
}

fn a_publish_that_would_leave_a_key_live_twice_is_rolled_back(backend: Backend) {
    let env = Env::new(backend);
    env.zip("molo", "a.zip", 1, &[("Slips.csv", &format!("{SLIPS}1,A,\n2,B,\n"))]);
    assert_eq!(env.run(&["molo"]).exit_code(), 0);
    // A soft-deleted copy of key 2, as a faulty earlier merge or a hand edit could leave:
    // the next snapshot holds key 2, so the undelete step brings the copy back to life.
    env.execute(
        "INSERT INTO DW_MOLO_SLIPS (ID, NAME, DW_LAST_INSERTED, DW_LAST_UPDATED, DW_DELETED_AT, DW_RUN_ID) \
         SELECT ID, NAME, DW_LAST_INSERTED, DW_LAST_UPDATED, DW_LAST_UPDATED, DW_RUN_ID FROM DW_MOLO_SLIPS WHERE ID = 2",
    );
    env.zip("molo", "b.zip", 2, &[("Slips.csv", &format!("{SLIPS}1,A2,\n2,B,\n3,C,\n"))]);
    let r = env.run(&["molo"]);
    assert_eq!(r.exit_code(), 1);
    let message = r.sources[0].message.clone().unwrap_or_default();
    assert!(
        message.contains("slips: 1 key(s) held by more than one live row: ID=2 (2 rows)") && message.contains("DW_MOLO_SLIPS"),
        "{message}"
    );
    assert_eq!(run_status(&env, r.run_id), "failed");
    // Rolled back: no new name, no new key, and the copy is still soft-deleted.
    assert_eq!(env.lines("SELECT ID, NAME FROM DW_MOLO_SLIPS WHERE DW_DELETED_AT IS NULL ORDER BY ID"), ["1|A", "2|B"]);
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_SNAPSHOTS WHERE ARCHIVE_KEY LIKE '%b.zip'"), 0);
}

fn utf16le(text: &str) -> Vec<u8> {
    [&[0xFF, 0xFE][..], &text.encode_utf16().flat_map(u16::to_le_bytes).collect::<Vec<u8>>()].concat()
}

fn a_utf16_member_fails_its_table_with_its_encoding_named(backend: Backend) {
    let env = Env::new(backend);
    let piers = utf16le("Id,Name,MarinaLocationId\n1,P,1\n");
    let slips = format!("{SLIPS}1,A,\n");
    env.zip_bytes("molo", "a.zip", 1, &[("Piers.csv", &piers), ("Slips.csv", slips.as_bytes())]);
    let r = env.run(&["molo"]);
    assert_eq!(r.exit_code(), 1);
    let reason = env.lines(&format!("SELECT MESSAGE FROM ETL_RUN_TABLES WHERE RUN_ID = {} AND TABLE_NAME = 'piers'", r.run_id)).join("");
    assert!(reason.contains("encoded as UTF-16LE, not UTF-8"), "{reason}");
    assert!(!reason.contains("key column"), "{reason}");
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_MOLO_SLIPS"), 0, "a source publishes all of its tables or none");
}

/// Sets the "encrypted" flag of member `name` in the local and central headers of a ZIP.
fn mark_encrypted(zip: &mut [u8], name: &str) {
    let mut marked = 0;
    for i in 0..zip.len().saturating_sub(46) {
        let (flags_at, name_len_at, name_at) = match &zip[i..i + 4] {
            b"PK\x03\x04" => (i + 6, i + 26, i + 30),
            b"PK\x01\x02" => (i + 8, i + 28, i + 46),
            _ => continue,
        };
        let len = u16::from_le_bytes([zip[name_len_at], zip[name_len_at + 1]]) as usize;
        if zip.get(name_at..name_at + len) == Some(name.as_bytes()) {
            zip[flags_at] |= 1;
            marked += 1;
        }
    }
    assert_eq!(marked, 2, "both headers of {name} found");
}

fn an_encrypted_member_is_named_as_encrypted_not_corrupt(backend: Backend) {
    let env = Env::new(backend);
    let path = env.zip("molo", "a.zip", 1, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,P,1\n")]);
    let mut bytes = std::fs::read(&path).unwrap();
    mark_encrypted(&mut bytes, "Piers.csv");
    std::fs::write(&path, bytes).unwrap();
    common::set_day(&path, 1);
    let r = env.run(&["molo"]);
    assert_eq!(r.exit_code(), 1);
    let said = format!(
        "{:?} {}",
        r.sources[0].message,
        env.lines(&format!("SELECT MESSAGE FROM ETL_RUN_TABLES WHERE RUN_ID = {} AND MESSAGE IS NOT NULL", r.run_id)).join(" ")
    );
    assert!(said.contains("Piers.csv is encrypted (password-protected)"), "{said}");
    assert!(!said.contains("corrupt"), "{said}");
    assert_eq!(run_status(&env, r.run_id), "failed");
}

fn a_foreign_dw_table_is_refused_before_anything_loads(backend: Backend) {
    let env = Env::new(backend);
    env.zip("molo", "a.zip", 1, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,P,1\n")]);
    assert_eq!(env.run(&["molo"]).exit_code(), 0);
    // Another tool's table under a name the catalog uses.
    env.execute(if backend == Backend::Postgres { "DROP TABLE DW_MOLO_SLIPS CASCADE" } else { "DROP TABLE DW_MOLO_SLIPS" });
    env.execute("CREATE TABLE DW_MOLO_SLIPS (SLIP_CODE VARCHAR(20), OWNER VARCHAR(40))");
    env.execute("INSERT INTO DW_MOLO_SLIPS VALUES ('A-1', 'someone')");
    env.zip("molo", "b.zip", 2, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,P,1\n2,Q,1\n")]);
    let err = marina_etl::run::run(&env.config, &Default::default()).expect_err("refused");
    let line = err.to_string();
    assert_eq!(
        line,
        "DW_MOLO_SLIPS in the warehouse is not a table marina-etl keeps: it has no column ID, DW_LAST_INSERTED, \
         DW_LAST_UPDATED, DW_DELETED_AT, DW_RUN_ID; nothing was loaded (rename or drop that table, or point \
         [warehouse] url at another warehouse)"
    );
    assert!(err.is_usage(), "exit 2: the configuration points at someone else's table");
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_MOLO_PIERS"), 1, "nothing loaded");
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_RUNS"), 1, "no run began");
    assert_eq!(env.lines("SELECT SLIP_CODE, OWNER FROM DW_MOLO_SLIPS"), ["A-1|someone"], "the foreign table is untouched");
}

fn a_column_the_catalog_gained_is_added_to_an_existing_table(backend: Backend) {
    let env = Env::new(backend);
    env.zip("molo", "a.zip", 1, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,P,1\n")]);
    assert_eq!(env.run(&["molo"]).exit_code(), 0);
    // A warehouse made before the column existed.
    env.execute("ALTER TABLE DW_MOLO_PIERS DROP COLUMN MARINA_LOCATION_ID");
    env.zip("molo", "b.zip", 2, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,P,7\n2,Q,8\n")]);
    let r = env.run(&["molo"]);
    assert_eq!(r.exit_code(), 0, "{:?}", r.sources[0].message);
    assert_eq!(env.lines("SELECT ID, NAME, MARINA_LOCATION_ID FROM DW_MOLO_PIERS ORDER BY ID"), ["1|P|7", "2|Q|8"]);
}

backend_tests!(
    timestamps_finer_than_microseconds_year_zero_and_impossible_offsets_are_rejects,
    a_publish_that_would_leave_a_key_live_twice_is_rolled_back,
    a_utf16_member_fails_its_table_with_its_encoding_named,
    an_encrypted_member_is_named_as_encrypted_not_corrupt,
    a_foreign_dw_table_is_refused_before_anything_loads,
    a_column_the_catalog_gained_is_added_to_an_existing_table,
);
