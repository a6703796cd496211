//! The catalog of tables: which tables each source system exports, in which archive
//! member, with which CSV headers, warehouse columns, types and natural keys.
//!
//! The catalog is data, not code: `catalog/<system>.tsv` in the repository, in the same
//! layout as the source contracts (`table, source_file, csv_header, column, type, key,
//! notes`). Adding a table or a column is an edit to those files.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

/// A source system that delivers snapshots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum System {
    Molo,
    Stellar,
    NetSuite,
}

impl System {
    pub const ALL: [System; 3] = [System::Molo, System::Stellar, System::NetSuite];

    /// The name used on the command line, in configuration and in the run ledger.
    pub fn name(self) -> &'static str {
        match self {
            System::Molo => "molo",
            System::Stellar => "stellar",
            System::NetSuite => "netsuite",
        }
    }

    /// The infix of warehouse table names: `DW_<PREFIX>_<TABLE>`.
    pub fn table_prefix(self) -> &'static str {
        match self {
            System::Molo => "MOLO",
            System::Stellar => "STELLAR",
            System::NetSuite => "NS",
        }
    }

    fn catalog_text(self) -> &'static str {
        match self {
            System::Molo => include_str!("../../../catalog/molo.tsv"),
            System::Stellar => include_str!("../../../catalog/stellar.tsv"),
            System::NetSuite => include_str!("../../../catalog/netsuite.tsv"),
        }
    }
}

impl fmt::Display for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for System {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "molo" => Ok(System::Molo),
            "stellar" => Ok(System::Stellar),
            "netsuite" | "ns" => Ok(System::NetSuite),
            other => Err(format!("unknown source '{other}' (expected molo, stellar or netsuite)")),
        }
    }
}

/// The type of a warehouse column, as the contract spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    Int,
    Decimal { precision: u8, scale: u8 },
    Float,
    Bool,
    Date,
    Timestamp,
    /// Text, with a maximum length in characters where the contract gives one.
    Text { max_chars: Option<u32> },
}

impl FromStr for ColumnType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("unknown column type '{s}'");
        let args = |inner: &str| -> Result<Vec<u32>, String> {
            inner.split(',').map(|n| n.trim().parse::<u32>().map_err(|_| bad())).collect()
        };
        Ok(match s {
            "int" => ColumnType::Int,
            "float" => ColumnType::Float,
            "bool" => ColumnType::Bool,
            "date" => ColumnType::Date,
            "timestamp" => ColumnType::Timestamp,
            "text" => ColumnType::Text { max_chars: None },
            _ => {
                if let Some(inner) = s.strip_prefix("text(").and_then(|r| r.strip_suffix(')')) {
                    match args(inner)?.as_slice() {
                        [n] => ColumnType::Text { max_chars: Some(*n) },
                        _ => return Err(bad()),
                    }
                } else if let Some(inner) = s.strip_prefix("decimal(").and_then(|r| r.strip_suffix(')')) {
                    match args(inner)?.as_slice() {
                        [p, sc] if *p <= 38 && sc <= p => {
                            ColumnType::Decimal { precision: *p as u8, scale: *sc as u8 }
                        }
                        _ => return Err(bad()),
                    }
                } else {
                    return Err(bad());
                }
            }
        })
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::Int => f.write_str("int"),
            ColumnType::Decimal { precision, scale } => write!(f, "decimal({precision},{scale})"),
            ColumnType::Float => f.write_str("float"),
            ColumnType::Bool => f.write_str("bool"),
            ColumnType::Date => f.write_str("date"),
            ColumnType::Timestamp => f.write_str("timestamp"),
            ColumnType::Text { max_chars: None } => f.write_str("text"),
            ColumnType::Text { max_chars: Some(n) } => write!(f, "text({n})"),
        }
    }
}

/// One warehouse column of a table.
#[derive(Clone, Debug)]
pub struct Column {
    /// Warehouse column name (upper snake case).
    pub name: String,
    /// CSV header in the export; `None` when the export does not carry the column
    /// (it exists in the warehouse and loads as NULL).
    pub header: Option<String>,
    pub ty: ColumnType,
    /// Part of the natural key.
    pub key: bool,
}

/// One table of a source system.
#[derive(Clone, Debug)]
pub struct Table {
    pub system: System,
    /// Logical name, lower snake case (`invoice_items`).
    pub name: String,
    /// Member path inside the snapshot archive (`InvoiceSet.csv`, `data/bookings.csv`).
    pub file: String,
    pub columns: Vec<Column>,
    /// Whether every version of its rows is kept in `HIST_<SYS>_<TABLE>` (`catalog/history.tsv`).
    pub history: bool,
}

impl Table {
    /// `STG_<SYS>_<TABLE>`.
    pub fn staging_name(&self) -> String {
        format!("STG_{}_{}", self.system.table_prefix(), self.name.to_ascii_uppercase())
    }

    /// `DW_<SYS>_<TABLE>`.
    pub fn dw_name(&self) -> String {
        format!("DW_{}_{}", self.system.table_prefix(), self.name.to_ascii_uppercase())
    }

    /// `HIST_<SYS>_<TABLE>`: every version of its rows, when it keeps history.
    pub fn history_name(&self) -> String {
        format!("HIST_{}_{}", self.system.table_prefix(), self.name.to_ascii_uppercase())
    }

    /// The natural-key columns, in catalog order.
    pub fn key_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(|c| c.key)
    }

    /// The columns that are not part of the natural key.
    pub fn value_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(|c| !c.key)
    }
}

/// Every table of every source system.
#[derive(Debug)]
pub struct Catalog {
    tables: Vec<Table>,
}

impl Catalog {
    /// The catalog compiled into this binary.
    pub fn get() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            let mut tables = Vec::new();
            for system in System::ALL {
                tables.extend(
                    parse_tsv(system, system.catalog_text())
                        .unwrap_or_else(|e| panic!("built-in catalog of {system} is invalid: {e}")),
                );
            }
            apply_history(&mut tables, HISTORY_TSV).unwrap_or_else(|e| panic!("built-in catalog/history.tsv is invalid: {e}"));
            Catalog { tables }
        })
    }

    pub fn tables(&self) -> &[Table] {
        &self.tables
    }

    pub fn tables_of(&self, system: System) -> impl Iterator<Item = &Table> {
        self.tables.iter().filter(move |t| t.system == system)
    }

    pub fn table(&self, system: System, name: &str) -> Option<&Table> {
        self.tables_of(system).find(|t| t.name == name)
    }
}

/// Parses a catalog (or contract) TSV: one row per column, tables in first-seen order.
pub fn parse_tsv(system: System, text: &str) -> Result<Vec<Table>, String> {
    let mut lines = text.lines().enumerate();
    let (_, header) = lines.next().ok_or("empty file")?;
    let expected = ["table", "source_file", "csv_header", "column", "type", "key", "notes"];
    if header.split('\t').collect::<Vec<_>>() != expected {
        return Err(format!("line 1: expected header {}", expected.join("\t")));
    }
    let mut tables: Vec<Table> = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != expected.len() {
            return Err(format!("line {}: {} fields, expected {}", i + 1, f.len(), expected.len()));
        }
        let ty = f[4].parse::<ColumnType>().map_err(|e| format!("line {}: {e}", i + 1))?;
        let key = match f[5] {
            "pk" => true,
            "" => false,
            other => return Err(format!("line {}: key must be 'pk' or empty, found '{other}'", i + 1)),
        };
        let column = Column {
            name: f[3].to_string(),
            header: (!f[2].is_empty()).then(|| f[2].to_string()),
            ty,
            key,
        };
        match tables.iter_mut().find(|t| t.name == f[0]) {
            Some(t) if t.file == f[1] => t.columns.push(column),
            Some(t) => {
                return Err(format!("line {}: table {} has two files, {} and {}", i + 1, t.name, t.file, f[1]))
            }
            None => tables.push(Table {
                system,
                name: f[0].to_string(),
                file: f[1].to_string(),
                columns: vec![column],
                history: false,
            }),
        }
    }
    for t in &tables {
        if !t.columns.iter().any(|c| c.key) {
            return Err(format!("table {} has no natural key", t.name));
        }
        if t.key_columns().any(|c| c.header.is_none()) {
            return Err(format!("table {} has a key column without a CSV header", t.name));
        }
    }
    Ok(tables)
}

/// Which tables keep history: `catalog/history.tsv` (`system, table, history`).
const HISTORY_TSV: &str = include_str!("../../../catalog/history.tsv");

/// Sets [`Table::history`] from a history TSV (`system`, `table`, `true`/`false`); a table not
/// listed keeps none. A line naming an unknown table or flag is an error, so that a typo
/// cannot silently turn history off.
pub fn apply_history(tables: &mut [Table], text: &str) -> Result<(), String> {
    let mut lines = text.lines().enumerate();
    let (_, header) = lines.next().ok_or("empty file")?;
    if header.split('\t').collect::<Vec<_>>() != ["system", "table", "history"] {
        return Err("line 1: expected header system\ttable\thistory".into());
    }
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let [system, name, flag] = line.split('\t').collect::<Vec<_>>()[..] else {
            return Err(format!("line {}: expected 3 fields", i + 1));
        };
        let system: System = system.parse().map_err(|e| format!("line {}: {e}", i + 1))?;
        let history = match flag {
            "true" => true,
            "false" => false,
            other => return Err(format!("line {}: history must be true or false, found '{other}'", i + 1)),
        };
        let table = tables
            .iter_mut()
            .find(|t| t.system == system && t.name == name)
            .ok_or_else(|| format!("line {}: no table {name} in the catalog of {system}", i + 1))?;
        table.history = history;
    }
    Ok(())
}
