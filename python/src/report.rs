//! `segql.report(...)`: the library's HTML report, handed to Python as a one-row table.

use std::sync::Arc;

use datafusion::arrow::array::StringArray;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::{Result, plan_datafusion_err};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use segql::model::ModelStore;
use segql::report::{ModelSource, ReportRequest, report_html};

/// The report's arguments as the Python wrapper passes them: six strings, empty when unset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportArgs {
    request: ReportRequest,
}

impl ReportArgs {
    /// Read `input, k, ks, model, seed, options`.
    pub fn from_texts(texts: &[String]) -> Result<Self> {
        let [input, k, ks, model, seed, options] = texts else {
            return Err(plan_datafusion_err!(
                "segql_report takes six strings (input, k, ks, model, seed, options), got {}",
                texts.len()
            ));
        };
        let seed = if seed.is_empty() {
            0
        } else {
            seed.parse::<u64>().map_err(|_| {
                plan_datafusion_err!("report: seed must be a whole number ≥ 0, got '{seed}'")
            })?
        };
        let k = if k.is_empty() { "auto" } else { k };
        let source = if model.is_empty() {
            ModelSource::Fit { k: k.to_string() }
        } else {
            ModelSource::Saved(model.clone())
        };
        let request = ReportRequest {
            model: source,
            ks: (!ks.is_empty()).then(|| ks.clone()),
            seed,
            options: options.clone(),
            ..ReportRequest::fit(input, k)
        };
        Ok(Self { request })
    }
}

/// The schema of the report's table: one column, `html`.
pub fn report_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![Field::new("html", DataType::Utf8, false)]))
}

/// The report as a table of one row and one column, `html`.
pub async fn report_table(
    ctx: &SessionContext,
    store: &Arc<dyn ModelStore>,
    args: &ReportArgs,
) -> Result<MemTable> {
    let html = report_html(ctx, store, &args.request).await?;
    let schema = report_schema();
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![Arc::new(StringArray::from(vec![html]))],
    )?;
    MemTable::try_new(schema, vec![vec![batch]])
}
