//! Typed Arrow columns built from converted fields, finished into batches for staging.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::SchemaRef;

use super::{BATCH_ROWS, value};
use crate::catalog::{Column, ColumnType};

/// A converted field, borrowed from the record it came from.
pub(super) enum Cell<'a> {
    Null,
    Int(i64),
    Decimal(i128),
    Float(f64),
    Bool(bool),
    Date(i32),
    Timestamp(i64),
    Text(&'a str),
}

pub(super) fn convert(ty: ColumnType, s: &str) -> Result<Cell<'_>, String> {
    Ok(match ty {
        ColumnType::Int => Cell::Int(value::parse_int(s)?),
        ColumnType::Decimal { precision, scale } => Cell::Decimal(value::parse_decimal(s, precision, scale)?),
        ColumnType::Float => Cell::Float(value::parse_float(s)?),
        ColumnType::Bool => Cell::Bool(value::parse_bool(s)?),
        ColumnType::Date => Cell::Date(value::date_to_days(value::parse_date(s)?)),
        ColumnType::Timestamp => Cell::Timestamp(value::timestamp_to_micros(value::parse_timestamp(s)?)),
        ColumnType::Text { max_chars } => {
            value::check_text(s, max_chars)?;
            Cell::Text(s)
        }
    })
}

/// An Arrow builder for one column.
pub(super) enum Builder {
    Int(Int64Builder),
    Decimal(Decimal128Builder, u8, u8),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    Date(Date32Builder),
    Timestamp(TimestampMicrosecondBuilder),
    Text(StringBuilder),
}

impl Builder {
    pub(super) fn new(ty: ColumnType) -> Self {
        match ty {
            ColumnType::Int => Builder::Int(Int64Builder::with_capacity(BATCH_ROWS)),
            ColumnType::Decimal { precision, scale } => {
                Builder::Decimal(Decimal128Builder::with_capacity(BATCH_ROWS), precision, scale)
            }
            ColumnType::Float => Builder::Float(Float64Builder::with_capacity(BATCH_ROWS)),
            ColumnType::Bool => Builder::Bool(BooleanBuilder::with_capacity(BATCH_ROWS)),
            ColumnType::Date => Builder::Date(Date32Builder::with_capacity(BATCH_ROWS)),
            ColumnType::Timestamp => Builder::Timestamp(TimestampMicrosecondBuilder::with_capacity(BATCH_ROWS)),
            ColumnType::Text { .. } => Builder::Text(StringBuilder::new()),
        }
    }

    pub(super) fn push(&mut self, cell: &Cell) {
        match (self, cell) {
            (Builder::Int(b), Cell::Int(v)) => b.append_value(*v),
            (Builder::Decimal(b, ..), Cell::Decimal(v)) => b.append_value(*v),
            (Builder::Float(b), Cell::Float(v)) => b.append_value(*v),
            (Builder::Bool(b), Cell::Bool(v)) => b.append_value(*v),
            (Builder::Date(b), Cell::Date(v)) => b.append_value(*v),
            (Builder::Timestamp(b), Cell::Timestamp(v)) => b.append_value(*v),
            (Builder::Text(b), Cell::Text(v)) => b.append_value(v),
            (b, Cell::Null) => b.push_null(),
            _ => unreachable!("a cell is always converted to its column's type"),
        }
    }

    fn push_null(&mut self) {
        match self {
            Builder::Int(b) => b.append_null(),
            Builder::Decimal(b, ..) => b.append_null(),
            Builder::Float(b) => b.append_null(),
            Builder::Bool(b) => b.append_null(),
            Builder::Date(b) => b.append_null(),
            Builder::Timestamp(b) => b.append_null(),
            Builder::Text(b) => b.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Int(b) => Arc::new(b.finish()),
            Builder::Decimal(b, p, s) => Arc::new(
                b.finish().with_precision_and_scale(*p, *s as i8).expect("catalog precision is valid"),
            ),
            Builder::Float(b) => Arc::new(b.finish()),
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::Date(b) => Arc::new(b.finish()),
            Builder::Timestamp(b) => Arc::new(b.finish()),
            Builder::Text(b) => Arc::new(b.finish()),
        }
    }
}

/// Builders for a set of columns, finished into batches of a schema.
pub(super) struct Batch {
    pub(super) schema: SchemaRef,
    pub(super) builders: Vec<Builder>,
    pub(super) lines: Option<Int64Builder>,
    pub(super) rows: usize,
    /// Bytes of the records in the batch.
    pub(super) bytes: usize,
}

impl Batch {
    pub(super) fn new<'a>(schema: SchemaRef, columns: impl Iterator<Item = &'a Column>, with_lines: bool) -> Self {
        Batch {
            schema,
            builders: columns.map(|c| Builder::new(c.ty)).collect(),
            lines: with_lines.then(|| Int64Builder::with_capacity(BATCH_ROWS)),
            rows: 0,
            bytes: 0,
        }
    }

    pub(super) fn finish(&mut self) -> RecordBatch {
        let mut arrays: Vec<ArrayRef> = self.builders.iter_mut().map(Builder::finish).collect();
        if let Some(lines) = &mut self.lines {
            arrays.push(Arc::new(lines.finish()));
        }
        self.rows = 0;
        self.bytes = 0;
        RecordBatch::try_new(self.schema.clone(), arrays).expect("builders follow the schema")
    }
}

