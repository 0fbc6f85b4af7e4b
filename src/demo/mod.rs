//! Built-in demo data: online-retail-shaped transactions, generated deterministically, so the
//! demo, the tests and the benchmarks need no download.
//!
//! ```sql
//! SELECT * FROM demo_transactions(rows => 100000, seed => 42) LIMIT 5;
//! SELECT * FROM rfm(demo_transactions(rows => 100000));
//! ```

pub mod blobs;
pub mod customers;
pub mod generator;

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{
    ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::common::Result;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

pub use blobs::lcg_blobs;
pub use customers::{CATEGORIES, Customers, PERSONA_NAMES, customers};
pub use generator::{DemoConfig, generate};

/// Rows of the demo `sales` table that `segql --demo` loads.
pub const DEMO_ROWS: usize = 200_000;

/// The schema of the demo transactions (that of the UCI Online Retail file).
pub fn schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        Arc::new(Schema::new(vec![
            Field::new("InvoiceNo", DataType::Utf8, false),
            Field::new("StockCode", DataType::Utf8, false),
            Field::new("Description", DataType::Utf8, false),
            Field::new("Quantity", DataType::Int64, false),
            Field::new(
                "InvoiceDate",
                DataType::Timestamp(TimeUnit::Microsecond, None),
                false,
            ),
            Field::new("UnitPrice", DataType::Float64, false),
            Field::new("CustomerID", DataType::Int64, true),
            Field::new("Country", DataType::Utf8, false),
        ]))
    });
    Arc::clone(&SCHEMA)
}

/// Generate the transactions as `partitions` lists of record batches of at most `batch_size`
/// rows, cut in row order.
pub fn transactions(
    config: &DemoConfig,
    partitions: usize,
    batch_size: usize,
) -> Result<Vec<Vec<RecordBatch>>> {
    let lines = generate(config);
    let rows = lines.invoice.len();
    let partitions = partitions.max(1);
    let batch_size = batch_size.max(1);
    let per_partition = rows.div_ceil(partitions).max(1);
    let mut out = vec![Vec::new(); partitions];
    let mut start = 0;
    while start < rows {
        let end = (start + batch_size)
            .min(rows)
            .min((start / per_partition + 1) * per_partition);
        out[start / per_partition].push(batch(&lines, start, end)?);
        start = end;
    }
    Ok(out)
}

fn batch(lines: &generator::Lines, start: usize, end: usize) -> Result<RecordBatch> {
    let range = start..end;
    let invoice: StringArray = range
        .clone()
        .map(|i| {
            let prefix = if lines.cancelled[i] { "C" } else { "" };
            Some(format!("{prefix}{}", lines.invoice[i]))
        })
        .collect();
    let products = &lines.products;
    let code: StringArray = range
        .clone()
        .map(|i| Some(products[lines.product[i] as usize].code.as_str()))
        .collect();
    let description: StringArray = range
        .clone()
        .map(|i| Some(products[lines.product[i] as usize].description.as_str()))
        .collect();
    let country: StringArray = range
        .clone()
        .map(|i| Some(generator::COUNTRIES[lines.country[i] as usize].0))
        .collect();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(invoice),
        Arc::new(code),
        Arc::new(description),
        Arc::new(Int64Array::from(lines.quantity[range.clone()].to_vec())),
        Arc::new(TimestampMicrosecondArray::from(
            lines.time_us[range.clone()].to_vec(),
        )),
        Arc::new(Float64Array::from(lines.unit_price[range.clone()].to_vec())),
        Arc::new(Int64Array::from(lines.customer[range].to_vec())),
        Arc::new(country),
    ];
    Ok(RecordBatch::try_new(schema(), columns)?)
}

/// The transactions as an in-memory table split into the session's target partitions.
pub fn mem_table(config: &DemoConfig, partitions: usize) -> Result<MemTable> {
    MemTable::try_new(schema(), transactions(config, partitions, 8192)?)
}

/// Register `rows` demo transactions as table `name` in `ctx`.
///
/// ```sql
/// -- after register_demo_table(&ctx, "sales", 200_000):
/// SELECT count(*) FROM sales;  -- 200000
/// ```
pub fn register_demo_table(ctx: &SessionContext, name: &str, rows: usize) -> Result<()> {
    let partitions = ctx.state().config().target_partitions();
    let table = mem_table(&DemoConfig::new(rows), partitions)?;
    ctx.register_table(name, Arc::new(table))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_cover_every_row_once_in_order_and_respect_partitions() {
        let config = DemoConfig::new(10_007);
        let parts = transactions(&config, 3, 1000).unwrap();
        assert_eq!(parts.len(), 3);
        let rows: usize = parts.iter().flatten().map(RecordBatch::num_rows).sum();
        assert_eq!(rows, 10_007);
        assert!(parts.iter().flatten().all(|b| b.num_rows() <= 1000));
        let sizes: Vec<usize> = parts
            .iter()
            .map(|p| p.iter().map(RecordBatch::num_rows).sum())
            .collect();
        assert_eq!(sizes, vec![3336, 3336, 3335]);
    }
}
