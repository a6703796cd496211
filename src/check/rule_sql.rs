//! The SQL of a data-quality rule, the same on every backend: a query of the failing
//! rows (each described by its key, `FAILING_KEY`), and one of the rows checked.

use super::rules::{Balance, Rule, RuleKind};
use crate::catalog::{Column, Table};
use crate::warehouse::sql::{Dialect, DW_DELETED_AT};

/// The queries that judge one rule. `None` for a freshness rule, which reads the newest
/// value instead ([`freshness_query`]).
pub struct RuleQueries {
    /// `SELECT FAILING_KEY FROM ...`: one row per failing row (or group).
    pub failing: String,
    /// `SELECT COUNT(*) ...`: the rows (or groups) checked, for share thresholds.
    pub checked: String,
}

/// `'ID=' || ID` for `alias`'s columns, as text on every backend.
pub(super) fn key_text(d: Dialect, alias: &str, columns: &[&Column]) -> String {
    let parts: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let label = if i == 0 { format!("{}=", c.name) } else { format!(", {}=", c.name) };
            format!("'{label}', COALESCE(CAST({} AS VARCHAR), 'NULL')", d.qualified(alias, &c.name))
        })
        .collect();
    format!("CONCAT({})", parts.join(", "))
}

fn live(d: Dialect, alias: &str) -> String {
    format!("{} IS NULL", d.qualified(alias, DW_DELETED_AT))
}

fn from(d: Dialect, table: &Table, alias: &str) -> String {
    format!("{} {alias}", d.ident(&table.dw_name()))
}

/// The rule's own condition on `t`: live rows, and its `where`.
fn scope(d: Dialect, rule: &Rule) -> String {
    match &rule.filter {
        Some(f) => format!("{} AND ({f})", live(d, "t")),
        None => live(d, "t"),
    }
}

/// The queries of `rule` (not for freshness).
pub fn rule_queries(d: Dialect, rule: &Rule) -> Option<RuleQueries> {
    let t = rule.table;
    let keys: Vec<&Column> = t.key_columns().collect();
    let row_key = key_text(d, "t", &keys);
    let scope = scope(d, rule);
    let table = from(d, t, "t");
    let checked = format!("SELECT COUNT(*) FROM {table} WHERE {scope}");
    let failing = match rule.kind {
        RuleKind::NotNull => {
            let any_null: Vec<String> = rule.columns.iter().map(|c| format!("{} IS NULL", d.qualified("t", &c.name))).collect();
            format!("SELECT {row_key} AS FAILING_KEY FROM {table} WHERE {scope} AND ({})", any_null.join(" OR "))
        }
        RuleKind::Unique => {
            let cols: Vec<String> = rule.columns.iter().map(|c| d.qualified("t", &c.name)).collect();
            let not_null: Vec<String> = cols.iter().map(|c| format!("{c} IS NOT NULL")).collect();
            format!(
                "SELECT {} AS FAILING_KEY FROM {table} WHERE {scope} AND {} GROUP BY {} HAVING COUNT(*) > 1",
                key_text(d, "t", &rule.columns),
                not_null.join(" AND "),
                cols.join(", ")
            )
        }
        RuleKind::Relationship => {
            let (to, ref_cols) = rule.references.as_ref()?;
            let matches: Vec<String> = rule
                .columns
                .iter()
                .zip(ref_cols)
                .map(|(c, r)| {
                    let (l, rr) = (d.qualified("t", &c.name), d.qualified("r", &r.name));
                    // A text reference to a numeric key (Stellar's BOAT_ID): compare as text.
                    if c.ty == r.ty { format!("{rr} = {l}") } else { format!("CAST({rr} AS VARCHAR) = CAST({l} AS VARCHAR)") }
                })
                .collect();
            let present: Vec<String> = rule.columns.iter().map(|c| format!("{} IS NOT NULL", d.qualified("t", &c.name))).collect();
            format!(
                "SELECT {row_key} AS FAILING_KEY FROM {table} WHERE {scope} AND {} \
                   AND NOT EXISTS (SELECT 1 FROM {} WHERE {} AND {})",
                present.join(" AND "),
                from(d, to, "r"),
                live(d, "r"),
                matches.join(" AND ")
            )
        }
        RuleKind::AcceptedValues => {
            let c = d.qualified("t", &rule.columns[0].name);
            format!(
                "SELECT {row_key} AS FAILING_KEY FROM {table} WHERE {scope} AND {c} IS NOT NULL AND {c} NOT IN ({})",
                rule.values.join(", ")
            )
        }
        RuleKind::Expression => {
            let e = rule.expression.as_deref()?;
            format!("SELECT {row_key} AS FAILING_KEY FROM {table} WHERE {scope} AND NOT ({e})")
        }
        RuleKind::Freshness => return None,
        RuleKind::Balanced => return Some(balanced_queries(d, rule)),
    };
    Some(RuleQueries { failing, checked })
}

/// Debits and credits of primary-book accounting lines, per transaction or per period
/// and subsidiary.
fn balanced_queries(d: Dialect, rule: &Rule) -> RuleQueries {
    let q = |alias: &str, c: &str| d.qualified(alias, c);
    let lines = format!(
        "{} JOIN {} b ON {} = {} AND {} = TRUE AND {}",
        from(d, rule.table, "t"),
        d.ident("DW_NS_ACCOUNTING_BOOK"),
        q("b", "ID"),
        q("t", "ACCOUNTING_BOOK_ID"),
        q("b", "IS_PRIMARY"),
        live(d, "b"),
    );
    let (joins, group, label) = match rule.balance.unwrap_or(Balance::Transaction) {
        Balance::Transaction => (String::new(), q("t", "TRANSACTION_ID"), format!("CONCAT('TRANSACTION_ID=', CAST({} AS VARCHAR))", q("t", "TRANSACTION_ID"))),
        Balance::PeriodSubsidiary => (
            format!(
                " JOIN {} x ON {} = {} AND {} LEFT JOIN {} l ON {} = {} AND {} = {} AND {}",
                d.ident("DW_NS_TRANSACTION"),
                q("x", "ID"),
                q("t", "TRANSACTION_ID"),
                live(d, "x"),
                d.ident("DW_NS_TRANSACTION_LINE"),
                q("l", "TRANSACTION_ID"),
                q("t", "TRANSACTION_ID"),
                q("l", "LINE_ID"),
                q("t", "LINE_ID"),
                live(d, "l"),
            ),
            format!("{}, {}", q("x", "POSTING_PERIOD_ID"), q("l", "SUBSIDIARY_ID")),
            format!(
                "CONCAT('POSTING_PERIOD_ID=', COALESCE(CAST({} AS VARCHAR), 'NULL'), ', SUBSIDIARY_ID=', COALESCE(CAST({} AS VARCHAR), 'NULL'))",
                q("x", "POSTING_PERIOD_ID"),
                q("l", "SUBSIDIARY_ID")
            ),
        ),
    };
    let scope = scope(d, rule);
    let from_all = format!("{lines}{joins} WHERE {scope}");
    RuleQueries {
        failing: format!(
            "SELECT {label} AS FAILING_KEY FROM {from_all} GROUP BY {group} \
             HAVING SUM(COALESCE({}, 0)) <> SUM(COALESCE({}, 0))",
            q("t", "DEBIT"),
            q("t", "CREDIT")
        ),
        checked: format!("SELECT COUNT(*) FROM (SELECT 1 AS ONE FROM {from_all} GROUP BY {group}) g"),
    }
}

/// The newest value of a freshness rule's column among live rows, as text.
pub fn freshness_query(d: Dialect, rule: &Rule) -> String {
    format!(
        "SELECT CAST(MAX({}) AS VARCHAR) FROM {} WHERE {}",
        d.qualified("t", &rule.columns[0].name),
        from(d, rule.table, "t"),
        scope(d, rule)
    )
}
