//! The catalog in the repository against the source contracts in ../shared/contract.

use std::path::Path;

use marina_etl::catalog::{parse_tsv, Catalog, System};

#[test]
fn catalog_has_every_table_of_every_system() {
    let catalog = Catalog::get();
    assert_eq!(catalog.tables_of(System::Molo).count(), 50);
    assert_eq!(catalog.tables_of(System::Stellar).count(), 29);
    assert_eq!(catalog.tables_of(System::NetSuite).count(), 14);
    let ba = catalog.table(System::Stellar, "booking_accessories").unwrap();
    let keys: Vec<&str> = ba.key_columns().map(|c| c.name.as_str()).collect();
    assert_eq!(keys, ["BOOKING_ID", "ACCESSORY_ID", "ACCESSORY_OPTION_ID"]);
    assert_eq!(ba.dw_name(), "DW_STELLAR_BOOKING_ACCESSORIES");
    assert_eq!(catalog.table(System::NetSuite, "transaction_line").unwrap().staging_name(), "STG_NS_TRANSACTION_LINE");
}

/// Fails on any difference in tables, files, headers, columns, types or keys.
#[test]
fn catalog_matches_the_source_contracts() {
    let contract = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/contract");
    if !contract.exists() {
        eprintln!("skipped: {} not present", contract.display());
        return;
    }
    for system in System::ALL {
        let text = std::fs::read_to_string(contract.join(format!("{}.tsv", system.name()))).unwrap();
        let expected = parse_tsv(system, &text).unwrap();
        let actual: Vec<_> = Catalog::get().tables_of(system).collect();
        assert_eq!(actual.len(), expected.len(), "{system}: table count");
        for (a, e) in actual.iter().zip(&expected) {
            assert_eq!((&a.name, &a.file), (&e.name, &e.file), "{system}: table order or file");
            let cols = |t: &marina_etl::catalog::Table| -> Vec<String> {
                t.columns.iter().map(|c| format!("{} {:?} {} {}", c.name, c.header, c.ty, c.key)).collect()
            };
            assert_eq!(cols(a), cols(e), "{system}.{}: columns", a.name);
        }
    }
}
