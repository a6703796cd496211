//! What a SQL text reads, found by name: the catalog's `DW_` tables, the views (and what
//! those read in turn), and the two tables the run rebuilds beside them. The SQL is not
//! parsed; a name is a whole word of it. `query --as-of` wraps what a query reads, and
//! `export` rewrites a view only when something it reads changed.

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
    let mut found = Reads::default();
    collect(sql, all_views, &mut found);
    found
}

/// The words of a SQL text that could be names (letters, digits, `_`), in upper case.
fn words(sql: &str) -> impl Iterator<Item = String> + '_ {
    sql.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).map(str::to_ascii_uppercase)
}

fn collect(sql: &str, all_views: &[View], found: &mut Reads) {
    for word in words(sql) {
        if let Some(t) = Catalog::get().tables().iter().find(|t| t.dw_name() == word) {
            if !found.tables.iter().any(|x| std::ptr::eq(*x, t)) {
                found.tables.push(t);
            }
        } else if let Some(i) = all_views.iter().position(|v| v.name == word) {
            if !found.views.contains(&i) {
                found.views.push(i);
                collect(&all_views[i].select, all_views, found);
            }
        } else if let Some(&name) = [CALENDAR_TABLE, LOCATION_SUBSIDIARY_TABLE].iter().find(|n| **n == word)
            && !found.rebuilt.contains(&name)
        {
            found.rebuilt.push(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::warehouse::sql::Dialect;

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
