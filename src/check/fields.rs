//! Field validation: rows picked by a seeded hash of their key are read again from the
//! archive member, converted by the decoder's own rules, and compared field by field
//! with their `DW_` row.

/// `--validate-fields [--sample N] [--seed S]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Rows per table; 0 = every row.
    pub rows: u64,
    /// The seed of the hash that picks the rows (printed and recorded, so a sample can
    /// be taken again).
    pub seed: u64,
}
