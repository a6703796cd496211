//! How far one record may go before the decoder stops trusting it.

/// Bounds on one CSV record. They keep the decoder's memory flat whatever the input, and
/// they end the damage of a quote left open: a quoted field that runs past them is taken
/// for unterminated, its first line is rejected and the lines after it are read as
/// records again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Longest record, in bytes of the file without its line end. A longer single line is
    /// rejected whole ("record longer than ..."); a quoted field running past this over
    /// several lines is taken for unterminated.
    pub max_record_bytes: usize,
    /// Most physical lines one record may span (only a quoted field holds line breaks).
    pub max_record_lines: u64,
    /// Longest raw line or raw value quoted in a reject; a longer one is cut, with a note
    /// of its full size.
    pub max_raw_bytes: usize,
}

impl DecodeLimits {
    /// 4 MiB per record: a hundred times the longest legal row of the contracts.
    pub const DEFAULT_MAX_RECORD_BYTES: usize = 4 << 20;
    /// A note or address with line breaks fits in far fewer lines.
    pub const DEFAULT_MAX_RECORD_LINES: u64 = 100;
    pub const DEFAULT_MAX_RAW_BYTES: usize = 4 << 10;

    /// These limits with every bound at least 1 (a zero bound would reject every record).
    pub fn sane(self) -> DecodeLimits {
        DecodeLimits {
            max_record_bytes: self.max_record_bytes.max(1),
            max_record_lines: self.max_record_lines.max(1),
            max_raw_bytes: self.max_raw_bytes.max(1),
        }
    }
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_record_bytes: Self::DEFAULT_MAX_RECORD_BYTES,
            max_record_lines: Self::DEFAULT_MAX_RECORD_LINES,
            max_raw_bytes: Self::DEFAULT_MAX_RAW_BYTES,
        }
    }
}
