//! The catalog in the repository against the source contracts in ../shared/contract.

use std::path::Path;

use marina_etl::catalog::{parse_tsv, Catalog, ColumnType, System};

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

/// A column's type as the contract states it. The contract gives a text a length only where
/// its source bounds it (`text(n)`); the catalog gives most of the others one too, so that
/// Oracle can compare them (`NVARCHAR2(n)`, not `NCLOB`; see the README, "Oracle"). So a
/// contract `text` matches a catalog `text` or `text(n)`; every other type, and a contract
/// `text(n)`, must be the same.
fn as_in_contract(catalog: ColumnType, contract: ColumnType) -> ColumnType {
    match (catalog, contract) {
        (ColumnType::Text { .. }, ColumnType::Text { max_chars: None }) => contract,
        _ => catalog,
    }
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
            let col = |c: &marina_etl::catalog::Column, ty: ColumnType| format!("{} {:?} {} {}", c.name, c.header, ty, c.key);
            let actual: Vec<String> = a
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| col(c, e.columns.get(i).map_or(c.ty, |ec| as_in_contract(c.ty, ec.ty))))
                .collect();
            let expected: Vec<String> = e.columns.iter().map(|c| col(c, c.ty)).collect();
            assert_eq!(actual, expected, "{system}.{}: columns", a.name);
        }
    }
}

#[test]
fn a_catalog_text_of_the_contract_may_gain_a_length_but_nothing_else_may_change() {
    let text = |n| ColumnType::Text { max_chars: n };
    assert_eq!(as_in_contract(text(Some(255)), text(None)), text(None));
    assert_eq!(as_in_contract(text(None), text(None)), text(None));
    // A length the contract gives is kept; another type never passes for text.
    assert_eq!(as_in_contract(text(Some(255)), text(Some(191))), text(Some(255)));
    assert_eq!(as_in_contract(ColumnType::Int, text(None)), ColumnType::Int);
}

/// Every catalog text has a length an Oracle `NVARCHAR2` can hold, and every key is
/// comparable there (no `NCLOB`).
#[test]
fn catalog_text_lengths_fit_oracle() {
    for t in Catalog::get().tables() {
        for c in &t.columns {
            match c.ty {
                ColumnType::Text { max_chars: Some(n) } => assert!((1..=2000).contains(&n), "{}.{}: text({n})", t.name, c.name),
                ColumnType::Text { max_chars: None } => assert!(!c.key, "{}.{} is a key without a length", t.name, c.name),
                _ => {}
            }
        }
    }
}
