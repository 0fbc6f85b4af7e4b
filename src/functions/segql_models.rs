//! `segql_models()`: the models in the model store, one row each, read when the query runs.
//! A model file that cannot be read is listed with the reason in `status`.
//!
//! ```sql
//! SELECT name, k, features, rows, skipped_rows, inertia FROM segql_models();
//! ```

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMillisecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{Result, TableReference};
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::{TableType, provider_as_source};
use datafusion::logical_expr::planner::RelationPlannerContext;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder};
use datafusion::physical_plan::ExecutionPlan;

use crate::error::data_err;
use crate::functions::common::store_function;
use crate::functions::kmeans_search::ks::KsText;
use crate::model::{ModelEntry, ModelStore};
use crate::planner::{Args, FunctionSpec, SegqlTableFunction};

const NAME: &str = "segql_models";

/// The declaration of `segql_models()`.
pub static SPEC: FunctionSpec = FunctionSpec {
    name: NAME,
    params: &[],
    description: "The saved models: name, k, features, transforms, standardize, rows, skipped_rows \
                  (NULL features), inertia, seed, n_init, init, fingerprint (of the training \
                  data), created_at, format_version, segql_version, kind, chosen_by ('given', or \
                  'search' for an 'auto' fit), searched_ks, scale (standard, robust, minmax or \
                  none), location and status ('ok' or why the \
                  file cannot be read).",
    example: "SELECT name, k, features, rows, inertia FROM segql_models()",
    columns: &[
        ("name", "TEXT: model name"),
        ("k", "INT: segments"),
        ("features", "TEXT: comma-separated feature names"),
        (
            "transforms",
            "TEXT: each feature's transform (none, log, boxcox(λ), with any shift)",
        ),
        ("standardize", "BOOLEAN: whether features were standardised"),
        ("rows", "BIGINT: training rows"),
        ("skipped_rows", "BIGINT: rows left out for a NULL feature"),
        (
            "inertia",
            "DOUBLE: sum of squared distances in the fitted space",
        ),
        ("seed, n_init, init", "the fit's options"),
        (
            "fingerprint",
            "TEXT: hash of the training data (names and values in canonical order)",
        ),
        ("created_at", "TIMESTAMP (UTC): when the model was saved"),
        (
            "format_version, segql_version",
            "the file format and the segql that wrote it",
        ),
        ("kind", "TEXT: 'kmeans'"),
        (
            "chosen_by",
            "TEXT: how k was chosen: 'given', or 'search' for kmeans_fit(input, 'auto'); model_search(name) shows the search",
        ),
        ("searched_ks", "TEXT: the ks an 'auto' fit searched"),
        (
            "scale",
            "TEXT: the scaler: standard, robust, minmax or none",
        ),
        ("location", "TEXT: the model's file (or 'memory')"),
        ("status", "TEXT: 'ok', or why the file cannot be read"),
    ],
};

store_function!(SegqlModelsFunction, "lists the models in the store");

impl SegqlTableFunction for SegqlModelsFunction {
    fn spec(&self) -> &'static FunctionSpec {
        &SPEC
    }

    fn plan(&self, _args: Args, _ctx: &mut dyn RelationPlannerContext) -> Result<LogicalPlan> {
        let provider = ModelsTable {
            store: Arc::clone(&self.store),
            schema: schema(),
        };
        LogicalPlanBuilder::scan(
            TableReference::bare(NAME),
            provider_as_source(Arc::new(provider)),
            None,
        )?
        .build()
    }
}

fn schema() -> SchemaRef {
    let text = |name| Field::new(name, DataType::Utf8, true);
    Arc::new(Schema::new(vec![
        Field::new("name", DataType::Utf8, false),
        Field::new("k", DataType::Int32, true),
        text("features"),
        text("transforms"),
        Field::new("standardize", DataType::Boolean, true),
        Field::new("rows", DataType::Int64, true),
        Field::new("skipped_rows", DataType::Int64, true),
        Field::new("inertia", DataType::Float64, true),
        Field::new("seed", DataType::Int64, true),
        Field::new("n_init", DataType::Int32, true),
        text("init"),
        text("fingerprint"),
        Field::new(
            "created_at",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            true,
        ),
        Field::new("format_version", DataType::Int32, true),
        text("segql_version"),
        text("kind"),
        text("chosen_by"),
        text("searched_ks"),
        text("scale"),
        Field::new("location", DataType::Utf8, false),
        Field::new("status", DataType::Utf8, false),
    ]))
}

#[derive(Debug)]
struct ModelsTable {
    store: Arc<dyn ModelStore>,
    schema: SchemaRef,
}

fn listing(schema: &SchemaRef, entries: &[ModelEntry]) -> Result<RecordBatch> {
    let ok = |e: &ModelEntry| e.model.as_ref().ok().cloned();
    let models: Vec<_> = entries.iter().map(ok).collect();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            entries.iter().map(|e| e.name.as_str()),
        )),
        Arc::new(Int32Array::from_iter(models.iter().map(|m| {
            m.as_ref()
                .filter(|m| m.kind.has_segments())
                .map(|m| m.k() as i32)
        }))),
        Arc::new(StringArray::from_iter(
            models
                .iter()
                .map(|m| m.as_ref().map(|m| m.feature_names().join(", "))),
        )),
        Arc::new(StringArray::from_iter(models.iter().map(|m| {
            m.as_ref().map(|m| {
                m.features
                    .iter()
                    .map(|f| format!("{}: {}", f.name, f.transform.describe()))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
        }))),
        Arc::new(BooleanArray::from_iter(
            models
                .iter()
                .map(|m| m.as_ref().map(|m| m.options.standardize)),
        )),
        Arc::new(Int64Array::from_iter(
            models.iter().map(|m| m.as_ref().map(|m| m.rows as i64)),
        )),
        Arc::new(Int64Array::from_iter(
            models
                .iter()
                .map(|m| m.as_ref().map(|m| m.skipped_rows as i64)),
        )),
        Arc::new(Float64Array::from_iter(
            models.iter().map(|m| m.as_ref().map(|m| m.inertia)),
        )),
        Arc::new(Int64Array::from_iter(
            models
                .iter()
                .map(|m| m.as_ref().map(|m| m.options.seed as i64)),
        )),
        Arc::new(Int32Array::from_iter(
            models
                .iter()
                .map(|m| m.as_ref().map(|m| m.options.n_init as i32)),
        )),
        Arc::new(StringArray::from_iter(
            models
                .iter()
                .map(|m| m.as_ref().map(|m| m.options.init.clone())),
        )),
        Arc::new(StringArray::from_iter(
            models
                .iter()
                .map(|m| m.as_ref().map(|m| m.fingerprint.clone())),
        )),
        Arc::new(
            TimestampMillisecondArray::from_iter(
                models.iter().map(|m| m.as_ref().map(|m| m.created_at_ms)),
            )
            .with_timezone("UTC"),
        ),
        Arc::new(Int32Array::from_iter(
            models
                .iter()
                .map(|m| m.as_ref().map(|m| m.format_version as i32)),
        )),
        Arc::new(StringArray::from_iter(
            models
                .iter()
                .map(|m| m.as_ref().map(|m| m.segql_version.clone())),
        )),
        Arc::new(StringArray::from_iter(
            models.iter().map(|m| m.as_ref().map(|m| m.kind.name())),
        )),
        Arc::new(StringArray::from_iter(models.iter().map(|m| {
            m.as_ref().map(|m| {
                if m.search.is_some() {
                    "search"
                } else {
                    "given"
                }
            })
        }))),
        Arc::new(StringArray::from_iter(models.iter().map(|m| {
            let search = m.as_ref()?.search.as_ref()?;
            Some(KsText(&search.options.ks).to_string())
        }))),
        Arc::new(StringArray::from_iter(
            models
                .iter()
                .map(|m| m.as_ref().map(|m| m.options.scale_name())),
        )),
        Arc::new(StringArray::from_iter_values(
            entries.iter().map(|e| e.location.as_str()),
        )),
        Arc::new(StringArray::from_iter_values(entries.iter().map(
            |e| match &e.model {
                Ok(_) => "ok".to_string(),
                Err(reason) => reason.clone(),
            },
        ))),
    ];
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}

#[async_trait]
impl TableProvider for ModelsTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let entries = self
            .store
            .list()
            .map_err(|e| data_err(NAME, e.to_string()))?;
        let batch = listing(&self.schema, &entries)?;
        Ok(MemorySourceConfig::try_new_exec(
            &[vec![batch]],
            Arc::clone(&self.schema),
            projection.cloned(),
        )?)
    }
}
