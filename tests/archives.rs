//! Archives as real tools write them: concatenated gzip streams, a tar cut at a member
//! boundary, members under `./` or inside one top folder, two members for one table.

mod common;

use std::io::Write;

use common::{complete, Backend, Env};
use marina_etl::run::SourceStatus;

const HOLIDAYS: &str = "location_id,holiday_date\n1,2025-07-04\n2,2025-12-25\n";

/// A tar of `files` (with its end-of-archive blocks unless `cut`).
fn tar_bytes(files: &[(&str, &str)], cut: bool) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, content.as_bytes()).unwrap();
    }
    let mut bytes = tar.into_inner().unwrap();
    if cut {
        // Drop the end-of-archive blocks (and the record padding): the tar then stops at a
        // member boundary.
        while bytes.len() >= 512 && bytes[bytes.len() - 512..].iter().all(|b| *b == 0) {
            bytes.truncate(bytes.len() - 512);
        }
    }
    bytes
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn put_stellar(env: &Env, name: &str, day: u64, bytes: &[u8]) {
    let path = env.folder("stellar").join(name);
    std::fs::write(&path, bytes).unwrap();
    common::set_day(&path, day);
}

/// Every Stellar table, with two holidays.
fn stellar_files() -> Vec<(&'static str, &'static str)> {
    complete("stellar", &[("data/holidays.csv", HOLIDAYS)])
}

fn a_gzip_of_several_streams_is_read_to_its_end(backend: Backend) {
    let env = Env::new(backend);
    let tar = tar_bytes(&stellar_files(), false);
    // Streams of whole blocks, as bgzip writes (its blocks are 64 KiB; this tar is smaller).
    let mut bytes = Vec::new();
    for chunk in tar.chunks(8 * 1024) {
        bytes.extend(gzip(chunk));
    }
    assert!(tar.len() > 3 * 8 * 1024, "several streams: {} bytes of tar", tar.len());
    put_stellar(&env, "a-DATA.sql.gz", 1, &bytes);
    let r = env.run(&["stellar"]);
    assert_eq!(r.exit_code(), 0, "{:?}", r.sources[0].message);
    assert_eq!(r.sources[0].tables.len(), 29);
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_RUN_TABLES WHERE STATUS = 'published'"), 29);
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_STELLAR_HOLIDAYS"), 2);

    // Streams cut every 700 bytes: the holidays member itself spans streams.
    let mut bytes = Vec::new();
    for chunk in tar.chunks(700) {
        bytes.extend(gzip(chunk));
    }
    put_stellar(&env, "b-DATA.sql.gz", 2, &bytes);
    let r = env.run_with(&["stellar"], true, false);
    assert_eq!(r.exit_code(), 0, "{:?}", r.sources[0].message);
    assert_eq!(env.count(&format!("SELECT COUNT(*) FROM ETL_RUN_TABLES WHERE RUN_ID = {} AND STATUS = 'published'", r.run_id)), 29);
}

fn a_tar_cut_at_a_member_boundary_is_truncated(backend: Backend) {
    let env = Env::new(backend);
    // Every member but the last few is there, and no end-of-archive block.
    let files = stellar_files();
    put_stellar(&env, "a-DATA.sql.gz", 1, &gzip(&tar_bytes(&files[..20], true)));
    let r = env.run(&["stellar"]);
    assert_eq!(r.sources[0].status, SourceStatus::Failed);
    assert_eq!(r.exit_code(), 1);
    let message = r.sources[0].message.clone().unwrap();
    assert!(message.contains("corrupt or truncated archive") && message.contains("without its end-of-archive block"), "{message}");
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_SNAPSHOTS"), 0);
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_STELLAR_HOLIDAYS"), 0);
}

fn members_under_dot_slash_or_one_top_folder_are_found(backend: Backend) {
    let env = Env::new(backend);
    // A Stellar tar with ./data/ names.
    let dotted: Vec<(String, &str)> = stellar_files().into_iter().map(|(n, c)| (format!("./{n}"), c)).collect();
    let dotted: Vec<(&str, &str)> = dotted.iter().map(|(n, c)| (n.as_str(), *c)).collect();
    put_stellar(&env, "a-DATA.sql.gz", 1, &gzip(&tar_bytes(&dotted, false)));
    // A NetSuite zip made by zipping its folder.
    let folder: Vec<(String, &str)> = complete("netsuite", &[("subsidiary.csv", "id,name\n8,North LLC\n")])
        .into_iter()
        .map(|(n, c)| (format!("netsuite_20251221/{n}"), c))
        .collect();
    let folder: Vec<(&str, &[u8])> = folder.iter().map(|(n, c)| (n.as_str(), c.as_bytes())).collect();
    env.zip_raw("netsuite", "netsuite_20251221.zip", 1, &folder);
    let r = env.run(&["stellar", "netsuite"]);
    assert_eq!(r.exit_code(), 0, "{:?}", r.sources.iter().map(|s| &s.message).collect::<Vec<_>>());
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_STELLAR_HOLIDAYS"), 2);
    assert_eq!(env.lines("SELECT ID, NAME FROM DW_NS_SUBSIDIARY"), vec!["8|North LLC"]);
    assert!(r.sources.iter().all(|s| s.ignored_files.is_empty()));
}

fn two_members_for_one_table_fail_that_table(backend: Backend) {
    let env = Env::new(backend);
    let mut files = stellar_files();
    files.push(("data/holidays.csv", "location_id,holiday_date\n9,2025-01-01\n"));
    put_stellar(&env, "a-DATA.sql.gz", 1, &gzip(&tar_bytes(&files, false)));
    let r = env.run(&["stellar"]);
    assert_eq!(r.sources[0].status, SourceStatus::Failed);
    let message = r.sources[0].message.clone().unwrap();
    assert!(
        message.contains("holidays: the archive holds 2 members for this table (data/holidays.csv, data/holidays.csv)"),
        "{message}"
    );
    assert_eq!(env.lines(&format!("SELECT STATUS FROM ETL_RUN_TABLES WHERE RUN_ID = {} AND TABLE_NAME = 'holidays'", r.run_id)), vec!["failed"]);
    assert_eq!(env.count(&format!("SELECT COUNT(*) FROM ETL_RUN_TABLES WHERE RUN_ID = {}", r.run_id)), 29);
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_STELLAR_HOLIDAYS"), 0);
}

const PIERS: &str = "Id,Name,MarinaLocationId\n1,A,1\n2,B,1\n";

fn a_last_modified_time_in_the_future_does_not_freeze_the_choice(backend: Backend) {
    let env = Env::new(backend);
    let ahead = env.zip("molo", "20250101050000.zip", 1, &[("Piers.csv", PIERS)]);
    let year_2099 = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(4_070_908_800);
    std::fs::File::options().write(true).open(&ahead).unwrap().set_modified(year_2099).unwrap();
    assert_eq!(env.run(&["molo"]).exit_code(), 0);
    // A later export, with a true time, is loaded: the future time counted as then-now.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let next = env.zip("molo", "20250102050000.zip", 1, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,A2,1\n")]);
    std::fs::File::options().write(true).open(&next).unwrap().set_modified(std::time::SystemTime::now()).unwrap();
    let r = env.run(&["molo"]);
    assert_eq!(r.exit_code(), 0, "{:?}", r.sources[0].message);
    assert_eq!(env.lines("SELECT ID, NAME, DW_DELETED_AT IS NULL FROM DW_MOLO_PIERS ORDER BY ID"), vec!["1|A2|true", "2|B|false"]);
}

fn an_old_export_copied_in_again_is_stale_and_not_loaded(backend: Backend) {
    let env = Env::new(backend);
    let old = "Id,Name,MarinaLocationId\n1,A,1\n2,B,1\n";
    env.zip("molo", "20250101050000.zip", 1, &[("Piers.csv", old)]);
    env.zip("molo", "20250102050000.zip", 2, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,A2,1\n")]);
    assert_eq!(env.run(&["molo"]).exit_code(), 0);
    // The old export copied back without keeping its time: newest by time, oldest by name.
    std::fs::remove_file(env.folder("molo").join("20250101050000.zip")).unwrap();
    std::fs::create_dir(env.folder("molo").join("exports")).unwrap();
    env.zip("molo", "exports/20250101050000.zip", 3, &[("Piers.csv", old)]);
    let r = env.run(&["molo"]);
    assert_eq!(r.exit_code(), 3);
    assert_eq!(r.sources[0].status, SourceStatus::Skipped);
    let message = r.sources[0].message.clone().unwrap();
    assert!(
        message.starts_with("stale snapshot: ") && message.contains("exports/20250101050000.zip was exported 2025-01-01 05:00:00 UTC, before ")
            && message.contains("20250102050000.zip (2025-01-02 05:00:00 UTC)"),
        "{message}"
    );
    assert_eq!(env.lines("SELECT ID, NAME, DW_DELETED_AT IS NULL FROM DW_MOLO_PIERS ORDER BY ID"), vec!["1|A2|true"]);
    // Forced, it loads: the operator's word wins.
    let forced = env.run_with(&["molo"], true, false);
    assert_eq!(forced.exit_code(), 0, "{:?}", forced.sources[0].message);
    assert_eq!(env.lines("SELECT ID, NAME, DW_DELETED_AT IS NULL FROM DW_MOLO_PIERS ORDER BY ID"), vec!["1|A|true", "2|B|true"]);
}

backend_tests!(
    a_last_modified_time_in_the_future_does_not_freeze_the_choice,
    an_old_export_copied_in_again_is_stale_and_not_loaded,
    a_gzip_of_several_streams_is_read_to_its_end,
    a_tar_cut_at_a_member_boundary_is_truncated,
    members_under_dot_slash_or_one_top_folder_are_found,
    two_members_for_one_table_fail_that_table,
);
