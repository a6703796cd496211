//! The quoting shape of a piece of a record, read the way the CSV parser would read it
//! from a fresh start (RFC 4180: `,` between fields, `"` opens a field and `""` inside it
//! is a quote).
//!
//! The record reader uses it on the rare records that span lines or end the file, to tell
//! a quoted field legitimately holding line breaks from one left open that swallows the
//! records after it.

/// How a piece of CSV reads on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// The number of fields.
    pub fields: usize,
    /// The piece ends inside a quoted field.
    pub open: bool,
    /// Every quote is where RFC 4180 puts one: none inside an unquoted field, nothing
    /// between a closing quote and the next comma.
    pub clean: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    StartField,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: a closing quote, or the first of `""`.
    QuoteInQuoted,
}

/// Reads `bytes` as CSV fields from a fresh start; line ends are ordinary bytes here
/// (callers pass one line, or a record's content whose line ends are inside quotes).
pub fn shape(bytes: &[u8]) -> Shape {
    let mut state = State::StartField;
    let mut fields = 1;
    let mut clean = true;
    for &b in bytes {
        state = match (state, b) {
            (State::StartField, b'"') => State::Quoted,
            (State::StartField | State::Unquoted | State::QuoteInQuoted, b',') => {
                fields += 1;
                State::StartField
            }
            (State::Unquoted, b'"') => {
                clean = false;
                State::Unquoted
            }
            (State::StartField | State::Unquoted, _) => State::Unquoted,
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, _) => State::Quoted,
            (State::QuoteInQuoted, b'"') => State::Quoted,
            (State::QuoteInQuoted, _) => {
                clean = false;
                State::Unquoted
            }
        };
    }
    Shape { fields, open: state == State::Quoted, clean }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(fields: usize, open: bool, clean: bool) -> Shape {
        Shape { fields, open, clean }
    }

    #[test]
    fn shapes_of_fields_and_quotes() {
        assert_eq!(shape(b""), s(1, false, true));
        assert_eq!(shape(b"1,A,1"), s(3, false, true));
        assert_eq!(shape(b"1,\"A, b\",\"\"\"q\"\"\""), s(3, false, true));
        assert_eq!(shape(b"2,\"never closed,1"), s(2, true, true));
        assert_eq!(shape(b"line two\",2025-05-01,1"), s(3, false, false));
        assert_eq!(shape(b"4,\"D\"x,1"), s(3, false, false));
        assert_eq!(shape(b"\",x,y"), s(1, true, true));
        assert_eq!(shape(b"a,\"b\nc\",d"), s(3, false, true));
    }
}
