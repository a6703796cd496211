//! Standard output: a reader that stops reading ends a command normally, and result sets
//! in the formats `query` offers.


use super::{exit, Format};
use crate::report;
use crate::warehouse::Rows;
use super::CliError;

/// Standard output for a reader that may stop reading: a closed pipe ends the command
/// normally ([`CliError::OutputClosed`]) where `println!` would panic.
pub struct Out(std::io::StdoutLock<'static>);

impl Out {
    pub fn stdout() -> Self {
        Out(std::io::stdout().lock())
    }

    /// Writes `text` as it is.
    pub fn text(&mut self, text: &str) -> Result<(), CliError> {
        use std::io::Write;
        self.0.write_all(text.as_bytes()).map_err(output_error)
    }

    /// Writes `text` and a newline.
    pub fn line(&mut self, text: impl std::fmt::Display) -> Result<(), CliError> {
        self.text(&format!("{text}\n"))
    }

    pub fn flush(&mut self) -> Result<(), CliError> {
        use std::io::Write;
        self.0.flush().map_err(output_error)
    }
}

fn output_error(e: std::io::Error) -> CliError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        CliError::OutputClosed
    } else {
        CliError::new(exit::SOURCE_FAILED, format!("cannot write the output: {e}"))
    }
}

/// A result set in the chosen output format.
pub fn render(rows: &Rows, format: Format) -> String {
    match format {
        Format::Table => report::text_table(rows),
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let _ = w.write_record(&rows.columns);
            for r in &rows.rows {
                let _ = w.write_record(r.iter().map(|v| v.as_deref().unwrap_or("")));
            }
            String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
        }
        Format::Json => {
            let mut out = String::new();
            for r in &rows.rows {
                let fields: Vec<String> = rows
                    .columns
                    .iter()
                    .zip(r)
                    .map(|(c, v)| format!("{}:{}", json_string(c), v.as_deref().map_or("null".into(), json_string)))
                    .collect();
                out.push('{');
                out.push_str(&fields.join(","));
                out.push_str("}\n");
            }
            out
        }
    }
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}
