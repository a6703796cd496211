//! What a SQL text reads, found by name: the catalog's `DW_` tables, the views (and what
//! those read in turn), and the two tables the run rebuilds beside them. The SQL is not
//! parsed; a name is a whole word of it. `query --as-of` wraps what a query reads, and
//! `export` rewrites a view only when something it reads changed.

use std::collections::HashMap;

use crate::catalog::{Catalog, Table};

use super::{View, CALENDAR_TABLE, LOCATION_SUBSIDIARY_TABLE};

/// What a SQL text reads.
#[derive(Debug, Default)]
pub struct Reads {
    /// Catalog tables, in the order first named.
    pub tables: Vec<&'static Table>,
    /// Indexes into the views searched, in the order first named.
    pub views: Vec<usize>,
    /// [`CALENDAR_TABLE`] and [`LOCATION_SUBSIDIARY_TABLE`], when read.
    pub rebuilt: Vec<&'static str>,
}

/// What `sql` reads among the catalog's tables and `all_views`, through the views it names.
pub fn reads(sql: &str, all_views: &[View]) -> Reads {
    // A word is looked up by name: a view's text has thousands of words, the catalog 93
    // tables, and comparing each word with each table's name took milliseconds a view.
    let tables: HashMap<String, &'static Table> = Catalog::get().tables().iter().map(|t| (t.dw_name(), t)).collect();
    let mut found = Reads::default();
    collect(sql, all_views, &tables, &mut found);
    found
}

/// The words of a SQL text that could be names (letters, digits, `_`), in upper case,
/// outside `--` comments (a view's comment names itself and its siblings).
fn words(sql: &str) -> impl Iterator<Item = String> + '_ {
    sql.lines()
        .map(code_of_line)
        .flat_map(|code| code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')))
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
}

/// A line up to its `--` comment, if any; a `--` within quotes starts none.
fn code_of_line(line: &str) -> &str {
    let mut quoted = false;
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\'' => quoted = !quoted,
            b'-' if !quoted && bytes.get(i + 1) == Some(&b'-') => return &line[..i],
            _ => {}
        }
    }
    line
}

fn collect(sql: &str, all_views: &[View], tables: &HashMap<String, &'static Table>, found: &mut Reads) {
    for word in words(sql) {
        if let Some(&t) = tables.get(&word) {
            if !found.tables.iter().any(|x| std::ptr::eq(*x, t)) {
                found.tables.push(t);
            }
        } else if let Some(i) = all_views.iter().position(|v| v.name == word) {
            if !found.views.contains(&i) {
                found.views.push(i);
                collect(&all_views[i].select, all_views, tables, found);
            }
        } else if let Some(&name) = [CALENDAR_TABLE, LOCATION_SUBSIDIARY_TABLE].iter().find(|n| **n == word)
            && !found.rebuilt.contains(&name)
        {
            found.rebuilt.push(name);
        }
    }
}

/// `sql` with `ctes` (`NAME AS (...)`, comma-separated) before it, so that the names they
/// define shadow the tables and views of the same name; a `WITH` of `sql` continues them.
pub fn with_ctes(ctes: &str, sql: &str) -> String {
    // A view's text starts with its comment lines, before its own WITH.
    let mut trimmed = sql.trim_start();
    while trimmed.starts_with("--") {
        trimmed = trimmed.split_once('\n').map_or("", |(_, rest)| rest).trim_start();
    }
    let head: String = trimmed.chars().take(15).collect::<String>().to_ascii_uppercase();
    if head.starts_with("WITH RECURSIVE ") {
        format!("WITH RECURSIVE {ctes},\n{}", &trimmed["WITH RECURSIVE ".len()..])
    } else if head.starts_with("WITH ") || head.starts_with("WITH\n") {
        format!("WITH {ctes},\n{}", &trimmed["WITH ".len()..])
    } else {
        format!("WITH {ctes}\n{trimmed}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::warehouse::sql::Dialect;

    #[test]
    fn names_in_comments_are_not_read_and_names_after_a_quoted_dash_dash_are() {
        let all = super::super::views(Dialect::DuckDb);
        let r = reads("-- DW_MOLO_BOATS\nSELECT * FROM DW_MOLO_SLIPS WHERE NAME <> 'a--b' AND ID IN (SELECT ID FROM DW_MOLO_PIERS) -- DW_NS_ACCOUNT", &all);
        let names: Vec<String> = r.tables.iter().map(|t| t.dw_name()).collect();
        assert_eq!(names, ["DW_MOLO_SLIPS", "DW_MOLO_PIERS"]);
        let aging = all.iter().position(|v| v.name == "DW_NS_AR_AGING_V").expect("the AR aging view");
        assert!(reads(&all[aging].select, &all).views.is_empty(), "the AR aging view reads no other view");
    }

    #[test]
    fn ctes_go_before_a_query_and_its_own_with_after_its_comments() {
        assert_eq!(with_ctes("a AS (SELECT 1)", "SELECT * FROM a"), "WITH a AS (SELECT 1)\nSELECT * FROM a");
        assert_eq!(
            with_ctes("a AS (SELECT 1)", "-- a view\n-- of a\nWITH b AS (SELECT * FROM a) SELECT * FROM b"),
            "WITH a AS (SELECT 1),\nb AS (SELECT * FROM a) SELECT * FROM b"
        );
        assert_eq!(with_ctes("a AS (SELECT 1)", "with recursive r AS (SELECT 1) SELECT 2"), "WITH RECURSIVE a AS (SELECT 1),\nr AS (SELECT 1) SELECT 2");
    }

    #[test]
    fn a_view_reads_the_tables_of_the_views_it_reads() {
        let all = super::super::views(Dialect::DuckDb);
        let names = |r: &Reads| r.tables.iter().map(|t| t.dw_name()).collect::<Vec<_>>();
        let rate = reads("SELECT * FROM dw_molo_daily_occupancy_rate_vw", &all);
        assert!(rate.views.iter().any(|&i| all[i].name == "DW_MOLO_DAILY_SLIP_OCCUPANCY_VW"), "through the occupancy view");
        assert!(names(&rate).contains(&"DW_MOLO_RESERVATIONS".to_string()));
        assert!(rate.rebuilt.contains(&CALENDAR_TABLE));
        let balance = reads("SELECT * FROM DW_NS_TRIAL_BALANCE_V", &all);
        assert!(names(&balance).iter().all(|n| n.starts_with("DW_NS_")), "{:?}", names(&balance));
        assert!(reads("SELECT 1 AS DW_MOLO_SLIPSX", &all).tables.is_empty(), "a name is a whole word");
    }
}
