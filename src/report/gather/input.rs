//! The report's input: materialised once into a hidden in-memory table (every later query
//! reads it instead of recomputing `rfm(...)`), its overview and, for RFM tables, the R×F grid.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use datafusion::common::Result;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

use super::sql::{floats, ident, integers, query, scalar_count, texts};
use crate::error::SegqlError;
use crate::report::call_text::call_arguments;
use crate::report::charts::heatmap::Cell;
use crate::report::data::{Overview, RfMap};

/// The input as a table of the caller's context, dropped from it when this goes away.
pub struct InputTable {
    ctx: SessionContext,
    /// Its (hidden) table name.
    pub name: String,
    /// Its rows.
    pub rows: u64,
    /// Its column names.
    pub columns: Vec<String>,
}

impl Drop for InputTable {
    fn drop(&mut self) {
        let _ = self.ctx.deregister_table(self.name.as_str());
    }
}

impl InputTable {
    /// Run `SELECT * FROM input` once and keep the result in memory, split over the
    /// session's partitions.
    pub async fn materialise(ctx: &SessionContext, input: &str) -> Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let frame = ctx.sql(&format!("SELECT * FROM {input}")).await?;
        let schema = Arc::clone(frame.schema().inner());
        let batches = frame.collect().await?;
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        if rows == 0 {
            return Err(SegqlError::argument(
                "report",
                format!("the input {input} has no rows; a report needs customers to show"),
            )
            .into());
        }
        let parts = ctx.state().config().target_partitions().max(1);
        let mut partitions = vec![Vec::new(); parts];
        for (i, batch) in batches.into_iter().enumerate() {
            partitions[i % parts].push(batch);
        }
        partitions.retain(|p| !p.is_empty());
        let name = format!(
            "segql_report_input_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let columns = schema.fields().iter().map(|f| f.name().clone()).collect();
        ctx.register_table(
            name.as_str(),
            Arc::new(MemTable::try_new(schema, partitions)?),
        )?;
        Ok(Self {
            ctx: ctx.clone(),
            name,
            rows: rows as u64,
            columns,
        })
    }

    /// Whether the input has a column of this name.
    pub fn has(&self, column: &str) -> bool {
        self.columns.iter().any(|c| c == column)
    }

    /// Whether the input looks like `rfm()`'s output.
    pub fn is_rfm(&self) -> bool {
        [
            "recency_days",
            "frequency",
            "monetary",
            "r_score",
            "f_score",
            "segment",
        ]
        .iter()
        .all(|c| self.has(c))
    }
}

/// The data section: rows, scored rows, the transactions behind `rfm(table)`, the dates.
pub async fn overview(
    ctx: &SessionContext,
    table: &InputTable,
    input: &str,
    used_rows: u64,
) -> Result<Overview> {
    let transactions = match rfm_source(input) {
        Some(source) => {
            let rows = scalar_count(ctx, &format!("SELECT count(*) FROM {source}")).await?;
            Some((source, rows))
        }
        None => None,
    };
    let date_range = if table.has("first_purchase") && table.has("last_purchase") {
        let batches = query(
            ctx,
            &format!(
                "SELECT CAST(CAST(min(first_purchase) AS DATE) AS VARCHAR), \
                 CAST(CAST(max(last_purchase) AS DATE) AS VARCHAR) FROM {}",
                ident(&table.name)
            ),
        )
        .await?;
        let first = texts(&batches, 0)?.into_iter().next().flatten();
        let last = texts(&batches, 1)?.into_iter().next().flatten();
        first.zip(last)
    } else {
        None
    };
    Ok(Overview {
        input_rows: table.rows,
        used_rows,
        transactions,
        date_range,
        is_rfm: table.is_rfm(),
    })
}

/// The relation inside `rfm(relation, ...)`, when the input is a call of rfm().
pub fn rfm_source(input: &str) -> Option<String> {
    let args = call_arguments(input.trim(), "rfm")?;
    let first = args.into_iter().next()?;
    (!first.contains("=>")).then_some(first)
}

/// The R×F grid of an RFM input: customers per (r_score, f_score) cell and the R/F map's
/// segment of each cell (`segql_rfm_segment`, so empty cells are named too).
pub async fn rf_map(ctx: &SessionContext, table: &InputTable) -> Result<Option<RfMap>> {
    if !table.is_rfm() {
        return Ok(None);
    }
    let t = ident(&table.name);
    let bins = scalar_count(
        ctx,
        &format!("SELECT CAST(max(greatest(r_score, f_score)) AS BIGINT) FROM {t}"),
    )
    .await?;
    if !(2..=10).contains(&bins) {
        return Ok(None);
    }
    let counts = query(
        ctx,
        &format!(
            "WITH grid AS (SELECT CAST(r.value AS INT) AS r, CAST(f.value AS INT) AS f \
               FROM generate_series(1, {bins}) r CROSS JOIN generate_series(1, {bins}) f), \
             cells AS (SELECT r_score AS r, f_score AS f, count(*) AS customers FROM {t} \
               GROUP BY r_score, f_score) \
             SELECT grid.r, grid.f, coalesce(cells.customers, 0), \
               segql_rfm_segment(grid.r, grid.f, {bins}) \
             FROM grid LEFT JOIN cells ON grid.r = cells.r AND grid.f = cells.f \
             ORDER BY grid.r, grid.f"
        ),
    )
    .await?;
    let r = integers(&counts, 0)?;
    let f = integers(&counts, 1)?;
    let n = floats(&counts, 2)?;
    let names = texts(&counts, 3)?;
    let cells = r
        .into_iter()
        .zip(f)
        .zip(n)
        .zip(names)
        .map(|(((r, f), n), name)| Cell {
            r: r.unwrap_or(0).max(0) as usize,
            f: f.unwrap_or(0).max(0) as usize,
            customers: n.unwrap_or(0.0) as u64,
            segment: name.unwrap_or_default(),
        })
        .collect();
    Ok(Some(RfMap {
        bins: bins as usize,
        cells,
    }))
}
