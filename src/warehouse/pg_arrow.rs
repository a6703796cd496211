//! PostgreSQL rows as Arrow record batches, for [`Session::query_batches`](super::Session):
//! DuckDB hands out Arrow itself; here each column's builder follows its PostgreSQL type.
//!
//! Types map as the warehouse's columns need: integers to `Int64`, floats to `Float64`,
//! `BOOLEAN`, `DATE` to `Date32`, `TIMESTAMP` to microseconds, `TIMESTAMPTZ` to
//! microseconds in UTC, `NUMERIC` to `Decimal128(38, 10)` (a result column carries no scale
//! of its own; a value with more than 10 decimals is rounded half away from zero, the
//! warehouse's own values have at most 10), anything else as text.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use duckdb::arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use duckdb::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use duckdb::arrow::record_batch::RecordBatch;
use futures::TryStreamExt;
use tokio_postgres::types::{FromSql, ToSql, Type};
use tokio_postgres::{Client, Row};

use super::postgres::sql_err;
use super::{BatchSink, Result, WarehouseError};

/// Rows per batch.
const BATCH_ROWS: usize = 8192;
/// Decimals kept of a `NUMERIC`.
const NUMERIC_SCALE: i8 = 10;

enum Builder {
    Int(Int64Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    Date(Date32Builder),
    Timestamp(TimestampMicrosecondBuilder),
    TimestampUtc(TimestampMicrosecondBuilder),
    Decimal(Decimal128Builder),
    Text(StringBuilder),
}

fn data_type(ty: &Type) -> DataType {
    match *ty {
        Type::INT2 | Type::INT4 | Type::INT8 | Type::OID => DataType::Int64,
        Type::FLOAT4 | Type::FLOAT8 => DataType::Float64,
        Type::BOOL => DataType::Boolean,
        Type::DATE => DataType::Date32,
        Type::TIMESTAMP => DataType::Timestamp(TimeUnit::Microsecond, None),
        Type::TIMESTAMPTZ => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        Type::NUMERIC => DataType::Decimal128(38, NUMERIC_SCALE),
        _ => DataType::Utf8,
    }
}

impl Builder {
    fn new(ty: &DataType) -> Builder {
        match ty {
            DataType::Int64 => Builder::Int(Int64Builder::new()),
            DataType::Float64 => Builder::Float(Float64Builder::new()),
            DataType::Boolean => Builder::Bool(BooleanBuilder::new()),
            DataType::Date32 => Builder::Date(Date32Builder::new()),
            DataType::Timestamp(_, None) => Builder::Timestamp(TimestampMicrosecondBuilder::new()),
            DataType::Timestamp(_, Some(_)) => Builder::TimestampUtc(TimestampMicrosecondBuilder::new().with_timezone("UTC")),
            DataType::Decimal128(p, s) => Builder::Decimal(Decimal128Builder::new().with_precision_and_scale(*p, *s).expect("valid decimal")),
            _ => Builder::Text(StringBuilder::new()),
        }
    }

    /// Appends the value of column `i` of `row` (of PostgreSQL type `ty`).
    fn push(&mut self, row: &Row, i: usize, ty: &Type) -> std::result::Result<(), String> {
        let err = |e: tokio_postgres::Error| e.to_string();
        match self {
            Builder::Int(b) => b.append_option(match *ty {
                Type::INT2 => row.try_get::<_, Option<i16>>(i).map_err(err)?.map(i64::from),
                Type::INT4 => row.try_get::<_, Option<i32>>(i).map_err(err)?.map(i64::from),
                Type::OID => row.try_get::<_, Option<u32>>(i).map_err(err)?.map(i64::from),
                _ => row.try_get::<_, Option<i64>>(i).map_err(err)?,
            }),
            Builder::Float(b) => b.append_option(match *ty {
                Type::FLOAT4 => row.try_get::<_, Option<f32>>(i).map_err(err)?.map(f64::from),
                _ => row.try_get::<_, Option<f64>>(i).map_err(err)?,
            }),
            Builder::Bool(b) => b.append_option(row.try_get::<_, Option<bool>>(i).map_err(err)?),
            Builder::Date(b) => {
                let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
                b.append_option(row.try_get::<_, Option<NaiveDate>>(i).map_err(err)?.map(|d| (d - epoch).num_days() as i32))
            }
            Builder::Timestamp(b) => {
                b.append_option(row.try_get::<_, Option<NaiveDateTime>>(i).map_err(err)?.map(|t| t.and_utc().timestamp_micros()))
            }
            Builder::TimestampUtc(b) => b.append_option(row.try_get::<_, Option<DateTime<Utc>>>(i).map_err(err)?.map(|t| t.timestamp_micros())),
            Builder::Decimal(b) => {
                let text = row.try_get::<_, Option<Numeric>>(i).map_err(err)?;
                b.append_option(text.map(|n| scaled(&n.0, NUMERIC_SCALE as u32)).transpose()?)
            }
            Builder::Text(b) => b.append_option(row.try_get::<_, Option<Text>>(i).map_err(err)?.map(|t| t.0)),
        }
        Ok(())
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Int(b) => Arc::new(b.finish()),
            Builder::Float(b) => Arc::new(b.finish()),
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::Date(b) => Arc::new(b.finish()),
            Builder::Timestamp(b) => Arc::new(b.finish()),
            Builder::TimestampUtc(b) => Arc::new(b.finish()),
            Builder::Decimal(b) => Arc::new(b.finish()),
            Builder::Text(b) => Arc::new(b.finish()),
        }
    }
}

/// A `NUMERIC` as its exact text.
struct Numeric(String);

impl<'a> FromSql<'a> for Numeric {
    fn from_sql(_: &Type, raw: &'a [u8]) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Numeric(super::pg_text::numeric_text(raw).ok_or("malformed NUMERIC value")?))
    }
    fn accepts(ty: &Type) -> bool {
        *ty == Type::NUMERIC
    }
}

/// Any other value as text (its text form for types without a Rust reading).
struct Text(String);

impl<'a> FromSql<'a> for Text {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Text(String::from_sql(ty, raw).unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned())))
    }
    fn accepts(_: &Type) -> bool {
        true
    }
}

/// A decimal text (`-12.345`) as an integer of `scale` decimals, rounded half away from zero.
fn scaled(text: &str, scale: u32) -> std::result::Result<i128, String> {
    let bad = || format!("NUMERIC value {text} does not fit Decimal128(38, {scale})");
    if text == "NaN" {
        return Err(bad());
    }
    let (negative, digits) = text.strip_prefix('-').map_or((false, text), |d| (true, d));
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let kept: String = frac.chars().chain(std::iter::repeat('0')).take(scale as usize).collect();
    let mut value: i128 = format!("{int}{kept}").parse().map_err(|_| bad())?;
    if frac.as_bytes().get(scale as usize).is_some_and(|d| *d >= b'5') {
        value = value.checked_add(1).ok_or_else(bad)?;
    }
    Ok(if negative { -value } else { value })
}

/// Streams the rows of `sql` into `sink`, [`BATCH_ROWS`] at a time.
pub(super) async fn query_batches(c: &Client, sql: &str, sink: &mut dyn BatchSink) -> Result<()> {
    let stmt = c.prepare(sql).await.map_err(|e| sql_err(sql, e))?;
    let types: Vec<Type> = stmt.columns().iter().map(|col| col.type_().clone()).collect();
    let fields: Vec<Field> = stmt.columns().iter().zip(&types).map(|(col, ty)| Field::new(col.name().to_uppercase(), data_type(ty), true)).collect();
    let schema = Arc::new(Schema::new(fields));
    if !sink.schema(schema.clone()) {
        return Ok(());
    }
    let stream = c.query_raw(&stmt, std::iter::empty::<&dyn ToSql>()).await.map_err(|e| sql_err(sql, e))?;
    futures::pin_mut!(stream);
    let new_builders = || schema.fields().iter().map(|f| Builder::new(f.data_type())).collect::<Vec<_>>();
    let mut builders = new_builders();
    let mut rows = 0;
    let convert = |reason: String| WarehouseError::Sql { context: sql.lines().next().unwrap_or("").into(), reason };
    let flush = |builders: &mut Vec<Builder>| -> Result<RecordBatch> {
        let arrays: Vec<ArrayRef> = builders.iter_mut().map(Builder::finish).collect();
        RecordBatch::try_new(schema.clone(), arrays).map_err(|e| convert(e.to_string()))
    };
    while let Some(row) = stream.try_next().await.map_err(|e| sql_err(sql, e))? {
        for (i, (b, ty)) in builders.iter_mut().zip(&types).enumerate() {
            b.push(&row, i, ty).map_err(convert)?;
        }
        rows += 1;
        if rows == BATCH_ROWS {
            rows = 0;
            if !sink.batch(flush(&mut builders)?) {
                return Ok(());
            }
        }
    }
    if rows > 0 {
        sink.batch(flush(&mut builders)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::scaled;

    #[test]
    fn numerics_scale_exactly_and_round_half_away_from_zero() {
        assert_eq!(scaled("12.5", 2), Ok(1250));
        assert_eq!(scaled("-0.125", 2), Ok(-13));
        assert_eq!(scaled("7", 0), Ok(7));
        assert!(scaled("NaN", 2).is_err());
    }
}
