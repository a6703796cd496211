//! The run's rejected rows as a CSV attachment, at most [`MAX_BYTES`]: beyond that, the
//! first rows and a note saying where the rest are.

use crate::warehouse::{Result, Session};

/// The attachment's size limit.
pub const MAX_BYTES: usize = 1 << 20;

/// Rows read from the ledger at most: enough to fill [`MAX_BYTES`] with short rejects,
/// while memory stays bounded however many a run has (values are cut in SQL too).
const MAX_ROWS: usize = 20_000;

/// Characters kept of a raw value or raw line (the ledger keeps them whole).
const MAX_VALUE_CHARS: usize = 500;

/// The CSV of a run's rejects.
#[derive(Clone, Debug)]
pub struct RejectsCsv {
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// Rejects in the file.
    pub rows: u64,
    /// Rejects of the run.
    pub total: u64,
}

impl RejectsCsv {
    /// Whether the file holds only the first rejects.
    pub fn is_cut(&self) -> bool {
        self.rows < self.total
    }

    /// A line for the message body about the attachment.
    pub fn note(&self, run_id: i64) -> String {
        if self.is_cut() {
            format!(
                "{} holds the first {} of the run's {} rejected rows (the attachment is limited to 1 MB, values to {MAX_VALUE_CHARS} characters); \
                 all are in ETL_REJECTS: marina-etl query \"SELECT * FROM ETL_REJECTS WHERE RUN_ID = {run_id}\"",
                self.file_name, self.rows, self.total
            )
        } else {
            format!("{} holds the run's {} rejected rows.", self.file_name, self.total)
        }
    }
}

/// The rejects of run `run_id` as CSV, `None` when it has none.
pub fn rejects_csv(s: &mut dyn Session, run_id: i64) -> Result<Option<RejectsCsv>> {
    let total = s.query_i64(&format!("SELECT COUNT(*) FROM ETL_REJECTS WHERE RUN_ID = {run_id}"))? as u64;
    if total == 0 {
        return Ok(None);
    }
    let rows = s.query_rows_at_most(
        &format!(
            "SELECT SOURCE, TABLE_NAME, FILE_NAME, LINE_NUMBER, COLUMN_NAME, SUBSTR(RAW_VALUE, 1, {MAX_VALUE_CHARS}) AS RAW_VALUE, \
                    SUBSTR(REASON, 1, {MAX_VALUE_CHARS}) AS REASON, SUBSTR(RAW_LINE, 1, {MAX_VALUE_CHARS}) AS RAW_LINE \
               FROM ETL_REJECTS WHERE RUN_ID = {run_id} ORDER BY SOURCE, TABLE_NAME, LINE_NUMBER"
        ),
        Some(MAX_ROWS),
    )?;
    let mut file = csv_line(&rows.columns.iter().map(|c| Some(c.as_str())).collect::<Vec<_>>());
    let mut included = 0u64;
    for row in &rows.rows {
        let line = csv_line(&row.iter().map(|v| v.as_deref()).collect::<Vec<_>>());
        if file.len() + line.len() > MAX_BYTES {
            break;
        }
        file.extend_from_slice(&line);
        included += 1;
    }
    Ok(Some(RejectsCsv { file_name: format!("rejects-run-{run_id}.csv"), bytes: file, rows: included, total }))
}

/// One CSV record (RFC 4180, CRLF as mail wants), NULL as an empty field.
fn csv_line(values: &[Option<&str>]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = w.write_record(values.iter().map(|v| v.unwrap_or("")));
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_with_quotes_commas_and_line_breaks_is_quoted() {
        assert_eq!(csv_line(&[Some("a"), None, Some("x,\"y\"\nz")]), b"a,,\"x,\"\"y\"\"\nz\"\r\n");
    }
}
