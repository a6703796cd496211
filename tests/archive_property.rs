//! Property test of the gzip tar reader: whatever the members and however the gzip file is
//! cut into concatenated streams (at any byte, inside a member's header or data, as bgzip
//! and parallel compressors cut), every member is read whole and in order; and a tar that
//! stops short anywhere is reported as an error, never read as a shorter archive.

use std::io::Write;

use marina_etl::source::archive::{Archive, ArchiveKind};
use proptest::prelude::*;

fn tar_of(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, name, data.as_slice()).unwrap();
    }
    builder.into_inner().unwrap()
}

/// `bytes` as concatenated gzip streams, a new one starting at each cut.
fn gzip_streams(bytes: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    bounds.push(0);
    bounds.push(bytes.len());
    bounds.sort_unstable();
    bounds.dedup();
    let mut out = Vec::new();
    for pair in bounds.windows(2) {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&bytes[pair[0]..pair[1]]).unwrap();
        out.extend(gz.finish().unwrap());
    }
    out
}

fn read_back(gz: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sql.gz");
    std::fs::write(&path, gz).unwrap();
    let archive = Archive::open(&path, ArchiveKind::TarGz, u64::MAX).map_err(|e| e.to_string())?;
    archive.members().map_err(|e| e.to_string())?;
    let mut read = Vec::new();
    archive
        .for_each_member(|name, r| {
            let mut data = Vec::new();
            r.read_to_end(&mut data).unwrap();
            read.push((name.to_string(), data));
        })
        .map_err(|e| e.to_string())?;
    Ok(read)
}

fn members() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    prop::collection::vec(
        ("[a-z]{1,12}", prop::collection::vec(any::<u8>(), 0..3000)),
        1..6,
    )
    .prop_map(|ms| ms.into_iter().enumerate().map(|(i, (n, d))| (format!("data/{i}_{n}.csv"), d)).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_member_is_read_whatever_the_gzip_streams(members in members(), cuts in prop::collection::vec(any::<usize>(), 0..8)) {
        let tar = tar_of(&members);
        prop_assert_eq!(read_back(&gzip_streams(&tar, &cuts)), Ok(members));
    }

    #[test]
    fn a_tar_stopping_short_is_an_error(members in members(), keep in any::<usize>(), cuts in prop::collection::vec(any::<usize>(), 0..4)) {
        let tar = tar_of(&members);
        // Keep less than the whole tar with its end-of-archive blocks: the last member's
        // data, or the end blocks, are then missing.
        let end_of_data = tar.len() - 1024;
        let short = &tar[..keep % end_of_data.max(1)];
        let got = read_back(&gzip_streams(short, &cuts));
        prop_assert!(got.is_err(), "{} of {} bytes read as {:?}", short.len(), tar.len(), got.map(|m| m.len()));
    }
}
