//! Data-quality rules declared as data: a TOML file of `[[rule]]` tables (the default set
//! is `catalog/checks.toml`, compiled in like the catalog), read and checked against the
//! catalog before a run loads anything.
//!
//! ```toml
//! [[rule]]
//! name = "reservations_slip"
//! kind = "relationship"            # not_null, unique, relationship, accepted_values,
//!                                  # expression, freshness, balanced
//! table = "molo.reservations"
//! columns = ["SLIP_ID"]
//! references = "molo.slips"
//! ref_columns = ["ID"]
//! severity = "error"               # or "warn" (default "error")
//! warn_if = "> 0"                  # failing rows, or "> 1%" of the table's live rows
//! error_if = "> 0"
//! blocking = false                 # true: judged inside the publish transaction
//! ```

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::catalog::{Catalog, Column, ColumnType, System, Table};

/// The default rule set, as shipped beside the catalog.
pub const DEFAULT_RULES: &str = include_str!("../../catalog/checks.toml");
/// How the default rule set is named in messages.
pub const DEFAULT_RULES_FILE: &str = "catalog/checks.toml";

/// How bad a failed rule is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Recorded and reported; the run's status is unchanged.
    Warn,
    /// A failure makes the run end `checks_failed` (exit code 4), or, for a blocking
    /// rule, rolls its source back.
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warn => "warn",
            Severity::Error => "error",
        }
    }
}

/// What a rule checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleKind {
    NotNull,
    Unique,
    Relationship,
    AcceptedValues,
    Expression,
    Freshness,
    Balanced,
}

impl RuleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::NotNull => "not_null",
            RuleKind::Unique => "unique",
            RuleKind::Relationship => "relationship",
            RuleKind::AcceptedValues => "accepted_values",
            RuleKind::Expression => "expression",
            RuleKind::Freshness => "freshness",
            RuleKind::Balanced => "balanced",
        }
    }

    fn parse(s: &str) -> Option<RuleKind> {
        [
            RuleKind::NotNull,
            RuleKind::Unique,
            RuleKind::Relationship,
            RuleKind::AcceptedValues,
            RuleKind::Expression,
            RuleKind::Freshness,
            RuleKind::Balanced,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// What a `balanced` rule sums debits and credits by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Balance {
    /// Every transaction's primary-book accounting lines.
    Transaction,
    /// Every posting period and subsidiary.
    PeriodSubsidiary,
}

/// A comparison of the failing rows with a number, or with a share of the live rows
/// (`"> 1%"`), as dbt's `warn_if` / `error_if`.
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    op: Op,
    value: f64,
    share: bool,
    text: String,
}

/// Why a threshold of a rule file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ThresholdError {
    #[error("threshold '{0}' must start with >, >=, <, <=, = or != (e.g. \"> 0\" or \"> 1%\")")]
    NoOperator(String),
    #[error("threshold '{text}': '{number}' is not a number")]
    NotANumber { text: String, number: String },
    #[error("threshold '{0}': must be a row count of 0 or more, or a share between 0% and 100%")]
    OutOfRange(String),
}

/// A value of a rule file that does not fit its column.
#[derive(Debug, thiserror::Error)]
#[error("value {value} does not fit the column's type {ty}")]
pub struct ValueMismatch {
    value: String,
    ty: ColumnType,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
}

impl Threshold {
    /// `"> 0"`, `">= 10"`, `"> 0.5%"`, `"!= 0"`.
    pub fn parse(text: &str) -> Result<Threshold, ThresholdError> {
        let t = text.trim();
        let (op, rest) = [(">=", Op::Ge), ("<=", Op::Le), ("!=", Op::Ne), ("<>", Op::Ne), (">", Op::Gt), ("<", Op::Lt), ("=", Op::Eq)]
            .into_iter()
            .find_map(|(p, op)| t.strip_prefix(p).map(|r| (op, r.trim())))
            .ok_or_else(|| ThresholdError::NoOperator(text.to_string()))?;
        let (number, share) = match rest.strip_suffix('%') {
            Some(n) => (n.trim(), true),
            None => (rest, false),
        };
        let value: f64 =
            number.parse().map_err(|_| ThresholdError::NotANumber { text: text.to_string(), number: number.to_string() })?;
        if !value.is_finite() || value < 0.0 || (share && value > 100.0) {
            return Err(ThresholdError::OutOfRange(text.to_string()));
        }
        Ok(Threshold { op, value, share, text: t.to_string() })
    }

    /// Whether `failing` of `total` rows meet the condition.
    pub fn met(&self, failing: u64, total: u64) -> bool {
        let x = if self.share {
            if total == 0 { 0.0 } else { failing as f64 * 100.0 / total as f64 }
        } else {
            failing as f64
        };
        match self.op {
            Op::Gt => x > self.value,
            Op::Ge => x >= self.value,
            Op::Lt => x < self.value,
            Op::Le => x <= self.value,
            Op::Eq => x == self.value,
            Op::Ne => x != self.value,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// One rule, checked against the catalog.
#[derive(Clone, Debug)]
pub struct Rule {
    pub name: String,
    pub kind: RuleKind,
    pub table: &'static Table,
    /// The columns it is about (the foreign key of a relationship, the column of
    /// `accepted_values` or `freshness`).
    pub columns: Vec<&'static Column>,
    /// A relationship's referenced table and columns.
    pub references: Option<(&'static Table, Vec<&'static Column>)>,
    /// `accepted_values`: the values as SQL literals.
    pub values: Vec<String>,
    /// `expression`: a boolean SQL expression over the table's columns; rows where it is
    /// false fail.
    pub expression: Option<String>,
    /// Only rows where this SQL condition holds are checked.
    pub filter: Option<String>,
    /// `freshness`: the newest value may be at most this many days older than the export.
    pub max_age_days: Option<i64>,
    pub balance: Option<Balance>,
    pub severity: Severity,
    pub warn_if: Threshold,
    pub error_if: Threshold,
    /// Judged inside the publish transaction: a failure rolls the source back.
    pub blocking: bool,
    /// Line of the rule in its file.
    pub line: usize,
}

/// Whether a check passed, and if not how bad it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckStatus {
    Pass,
    Warn,
    Fail,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Warn => "warn",
            CheckStatus::Fail => "fail",
        }
    }
}

impl Rule {
    /// The status of `failing` rows of `total`, as dbt judges: `error_if` for an `error`
    /// rule, then `warn_if`.
    pub fn judge(&self, failing: u64, total: u64) -> CheckStatus {
        if self.severity == Severity::Error && self.error_if.met(failing, total) {
            CheckStatus::Fail
        } else if self.warn_if.met(failing, total) {
            CheckStatus::Warn
        } else {
            CheckStatus::Pass
        }
    }

    /// The thresholds as recorded with a result.
    pub fn threshold_text(&self) -> String {
        match self.severity {
            Severity::Error => format!("warn_if {}, error_if {}", self.warn_if.as_str(), self.error_if.as_str()),
            Severity::Warn => format!("warn_if {}", self.warn_if.as_str()),
        }
    }

    pub fn system(&self) -> System {
        self.table.system
    }
}

/// The rules in force, from one file.
#[derive(Clone, Debug)]
pub struct RuleSet {
    /// The file they came from (for messages).
    pub file: String,
    pub rules: Vec<Rule>,
}

/// A rule file that cannot be used: the run does not start (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum RuleFileError {
    #[error("cannot read the rule file {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("rule file {file}, line {line}: {message}")]
    Invalid { file: String, line: usize, message: String },
}

impl RuleSet {
    /// The rules of `path`, or the default set when `None`.
    pub fn load(path: Option<&Path>) -> Result<RuleSet, RuleFileError> {
        match path {
            None => RuleSet::parse(DEFAULT_RULES_FILE, DEFAULT_RULES),
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| RuleFileError::Read { path: p.to_path_buf(), source })?;
                RuleSet::parse(&p.display().to_string(), &text)
            }
        }
    }

    /// Parses and checks a rule file's text against the catalog.
    pub fn parse(file: &str, text: &str) -> Result<RuleSet, RuleFileError> {
        let at = |span: Range<usize>, message: String| RuleFileError::Invalid { file: file.to_string(), line: line_of(text, span.start), message };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            at(span, e.message().to_string())
        })?;
        let mut rules: Vec<Rule> = Vec::with_capacity(raw.rule.len());
        for spanned in raw.rule {
            let span = spanned.span();
            let mut rule = spanned.into_inner().check(&|s: Range<usize>, m| at(s, m), span.clone())?;
            rule.line = line_of(text, span.start);
            if rules.iter().any(|r| r.name == rule.name) {
                return Err(at(span, format!("a second rule named '{}'", rule.name)));
            }
            rules.push(rule);
        }
        Ok(RuleSet { file: file.to_string(), rules })
    }

    /// The rules about tables of `system`.
    pub fn of_system(&self, system: System) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(move |r| r.system() == system)
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).unwrap_or(text).matches('\n').count() + 1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Spanned<String>,
    kind: Spanned<String>,
    table: Spanned<String>,
    columns: Option<Spanned<Vec<String>>>,
    column: Option<Spanned<String>>,
    references: Option<Spanned<String>>,
    ref_columns: Option<Spanned<Vec<String>>>,
    values: Option<Spanned<Vec<toml::Value>>>,
    expression: Option<Spanned<String>>,
    #[serde(rename = "where")]
    filter: Option<Spanned<String>>,
    max_age_days: Option<Spanned<i64>>,
    by: Option<Spanned<String>>,
    severity: Option<Spanned<String>>,
    warn_if: Option<Spanned<String>>,
    error_if: Option<Spanned<String>>,
    #[serde(default)]
    blocking: bool,
}

type At<'a> = &'a dyn Fn(Range<usize>, String) -> RuleFileError;

/// `molo.reservations` (or `DW_MOLO_RESERVATIONS`) as a catalog table.
fn find_table(name: &Spanned<String>, at: At) -> Result<&'static Table, RuleFileError> {
    let text = name.get_ref().trim();
    let catalog = Catalog::get();
    let found = match text.split_once('.') {
        Some((system, table)) => system.parse::<System>().ok().and_then(|s| catalog.table(s, &table.to_ascii_lowercase())),
        None => catalog.tables().iter().find(|t| t.dw_name().eq_ignore_ascii_case(text)),
    };
    found.ok_or_else(|| at(name.span(), format!("unknown table '{text}' (write it as source.table, e.g. molo.reservations)")))
}

fn find_columns(table: &'static Table, names: &[String], span: Range<usize>, at: At) -> Result<Vec<&'static Column>, RuleFileError> {
    names
        .iter()
        .map(|n| {
            table
                .columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(n.trim()))
                .ok_or_else(|| at(span.clone(), format!("unknown column '{n}' of table {}.{}", table.system.name(), table.name)))
        })
        .collect()
}

impl RawRule {
    fn check(self, at: At, span: Range<usize>) -> Result<Rule, RuleFileError> {
        let kind = RuleKind::parse(self.kind.get_ref().trim()).ok_or_else(|| {
            at(
                self.kind.span(),
                format!("unknown kind '{}' (not_null, unique, relationship, accepted_values, expression, freshness, balanced)", self.kind.get_ref()),
            )
        })?;
        let name = self.name.get_ref().trim().to_string();
        if name.is_empty() {
            return Err(at(self.name.span(), "a rule needs a name".into()));
        }
        let table = find_table(&self.table, at)?;
        let (names, names_span) = match (&self.columns, &self.column) {
            (Some(c), _) => (c.get_ref().clone(), c.span()),
            (None, Some(c)) => (vec![c.get_ref().clone()], c.span()),
            (None, None) => (Vec::new(), span.clone()),
        };
        let columns = find_columns(table, &names, names_span.clone(), at)?;
        let mut rule = Rule {
            name,
            kind,
            table,
            columns: Vec::new(),
            references: None,
            values: Vec::new(),
            expression: None,
            filter: self.filter.as_ref().map(|f| f.get_ref().clone()),
            max_age_days: None,
            balance: None,
            severity: Severity::Error,
            warn_if: Threshold::parse("> 0").expect("valid"),
            error_if: Threshold::parse("> 0").expect("valid"),
            blocking: self.blocking,
            line: 0,
        };
        self.kind_fields(&mut rule, &columns, names_span.clone(), span.clone(), at)?;
        if let Some(f) = &rule.filter
            && f.contains(';')
        {
            return Err(at(span.clone(), "`where` must be one SQL condition, without ';'".into()));
        }
        rule.columns = columns;
        self.judging(at, &mut rule)?;
        Ok(rule)
    }

    /// Checks and takes the fields of the rule's kind (references, values, expression,
    /// maximum age, balance).
    fn kind_fields(
        &self,
        rule: &mut Rule,
        columns: &[&'static Column],
        names_span: Range<usize>,
        span: Range<usize>,
        at: At,
    ) -> Result<(), RuleFileError> {
        let (kind, table) = (rule.kind, rule.table);
        let needs_columns = |n: Option<usize>| -> Result<(), RuleFileError> {
            match n {
                Some(n) if columns.len() != n => Err(at(names_span.clone(), format!("a {} rule names exactly {n} column", kind.as_str()))),
                None if columns.is_empty() => Err(at(names_span.clone(), format!("a {} rule needs columns", kind.as_str()))),
                _ => Ok(()),
            }
        };
        match kind {
            RuleKind::NotNull | RuleKind::Unique => needs_columns(None)?,
            RuleKind::Relationship => {
                needs_columns(None)?;
                let target = self.references.as_ref().ok_or_else(|| at(span.clone(), "a relationship rule needs `references`".into()))?;
                let to = find_table(target, at)?;
                let ref_names = self.ref_columns.as_ref().ok_or_else(|| at(span.clone(), "a relationship rule needs `ref_columns`".into()))?;
                let ref_cols = find_columns(to, ref_names.get_ref(), ref_names.span(), at)?;
                if ref_cols.len() != columns.len() {
                    return Err(at(ref_names.span(), format!("{} column(s) refer to {} referenced column(s)", columns.len(), ref_cols.len())));
                }
                rule.references = Some((to, ref_cols));
            }
            RuleKind::AcceptedValues => {
                needs_columns(Some(1))?;
                let values = self.values.as_ref().ok_or_else(|| at(span.clone(), "an accepted_values rule needs `values`".into()))?;
                rule.values = values
                    .get_ref()
                    .iter()
                    .map(|v| literal(columns[0].ty, v))
                    .collect::<Result<_, _>>()
                    .map_err(|m| at(values.span(), format!("column {}: {m}", columns[0].name)))?;
                if rule.values.is_empty() {
                    return Err(at(values.span(), "an accepted_values rule needs at least one value".into()));
                }
            }
            RuleKind::Expression => {
                let e = self.expression.as_ref().ok_or_else(|| at(span.clone(), "an expression rule needs `expression`".into()))?;
                if e.get_ref().trim().is_empty() || e.get_ref().contains(';') {
                    return Err(at(e.span(), "the expression must be one SQL condition, without ';'".into()));
                }
                rule.expression = Some(e.get_ref().clone());
            }
            RuleKind::Freshness => {
                needs_columns(Some(1))?;
                if !matches!(columns[0].ty, ColumnType::Date | ColumnType::Timestamp) {
                    return Err(at(names_span.clone(), format!("freshness needs a date or timestamp column; {} is {}", columns[0].name, columns[0].ty)));
                }
                let days = self.max_age_days.as_ref().ok_or_else(|| at(span.clone(), "a freshness rule needs `max_age_days`".into()))?;
                if *days.get_ref() < 0 {
                    return Err(at(days.span(), "max_age_days must be 0 or more".into()));
                }
                rule.max_age_days = Some(*days.get_ref());
            }
            RuleKind::Balanced => {
                if table.system != System::NetSuite || table.name != "transaction_accounting_line" {
                    return Err(at(self.table.span(), "a balanced rule is about netsuite.transaction_accounting_line".into()));
                }
                rule.balance = Some(match self.by.as_ref().map(|b| b.get_ref().as_str()) {
                    None | Some("transaction") => Balance::Transaction,
                    Some("period_subsidiary") => Balance::PeriodSubsidiary,
                    Some(other) => {
                        return Err(at(self.by.as_ref().expect("some").span(), format!("by = '{other}': write \"transaction\" or \"period_subsidiary\"")));
                    }
                });
            }
        }
        Ok(())
    }

    /// Takes the severity and thresholds.
    fn judging(&self, at: At, rule: &mut Rule) -> Result<(), RuleFileError> {
        if let Some(s) = &self.severity {
            rule.severity = match s.get_ref().as_str() {
                "warn" => Severity::Warn,
                "error" => Severity::Error,
                other => return Err(at(s.span(), format!("severity '{other}': write \"warn\" or \"error\""))),
            };
        }
        for (field, target) in [(&self.warn_if, &mut rule.warn_if), (&self.error_if, &mut rule.error_if)] {
            if let Some(t) = field {
                *target = Threshold::parse(t.get_ref()).map_err(|e| at(t.span(), e.to_string()))?;
            }
        }
        Ok(())
    }
}

/// A TOML value as an SQL literal of the column's type.
fn literal(ty: ColumnType, v: &toml::Value) -> Result<String, ValueMismatch> {
    match (ty, v) {
        (ColumnType::Text { .. }, toml::Value::String(s)) => Ok(crate::warehouse::quote(s)),
        (ColumnType::Int, toml::Value::Integer(i)) => Ok(i.to_string()),
        (ColumnType::Decimal { .. } | ColumnType::Float, toml::Value::Integer(i)) => Ok(i.to_string()),
        (ColumnType::Decimal { .. } | ColumnType::Float, toml::Value::Float(f)) if f.is_finite() => Ok(f.to_string()),
        (ColumnType::Bool, toml::Value::Boolean(b)) => Ok(if *b { "TRUE" } else { "FALSE" }.into()),
        (ty, v) => Err(ValueMismatch { value: v.to_string(), ty }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_compare_counts_and_shares() {
        let t = Threshold::parse("> 1%").unwrap();
        assert!(!t.met(1, 100) && t.met(2, 100) && !t.met(5, 0));
        assert!(Threshold::parse(">= 10").unwrap().met(10, 0));
        assert!(Threshold::parse("!=0").unwrap().met(1, 0));
        for bad in ["10", "> x", "> -1", "> 101%", ""] {
            assert!(Threshold::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_default_rule_set_is_valid() {
        let rules = RuleSet::load(None).unwrap();
        assert!(rules.rules.len() >= 20, "{}", rules.rules.len());
    }

    #[test]
    fn a_bad_rule_is_refused_with_its_line() {
        let text = "[[rule]]\nname = \"a\"\nkind = \"not_null\"\ntable = \"molo.reservations\"\ncolumns = [\"ID\"]\n\n\
                    [[rule]]\nname = \"b\"\nkind = \"not_null\"\ntable = \"molo.reservations\"\ncolumns = [\"NOPE\"]\n";
        let e = RuleSet::parse("r.toml", text).unwrap_err().to_string();
        assert!(e.contains("r.toml, line 11") && e.contains("NOPE"), "{e}");
        let e = RuleSet::parse("r.toml", &text.replace("NOPE", "ID").replace("name = \"b\"", "name = \"b\"\nerror_if = \"lots\"")).unwrap_err();
        assert!(e.to_string().contains("line 9") && e.to_string().contains("lots"), "{e}");
        let e = RuleSet::parse("r.toml", "[[rule]]\nname = \"a\"\nkind = \"not_null\"\ntable = \"molo.nothing\"\ncolumns = [\"ID\"]\n").unwrap_err();
        assert!(e.to_string().contains("line 4") && e.to_string().contains("molo.nothing"), "{e}");
    }
}
