//! The scalar `assign_segment('model', f1, f2, ...)`: the segment id of each row under a saved
//! model, usable in any `SELECT` or `WHERE`. Also the scoring kernel shared with the table
//! function `assign_segment('model', input)`.
//!
//! ```sql
//! SELECT CustomerID, assign_segment('seg', recency_days, frequency, monetary) FROM rfm(sales);
//! SELECT count(*) FROM rfm(sales) WHERE assign_segment('seg', recency_days, frequency, monetary) = 0;
//! ```

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Float64Array, Int32Array, StructArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

use crate::error::{arg_err, data_err};
use crate::functions::common::by_address::ByAddress;
use crate::functions::common::feature_columns::as_f64;
use crate::functions::common::{function_doc, udf_identity};
use crate::model::placement::{place, prepare_columns, runner_up};
use crate::model::{ModelStore, SegmentModel};

function_doc!("assign_segment", "udf.md");

/// Segment ids and distances for rows of raw feature columns (in the model's feature order).
/// A row with a NULL feature gets NULLs; a NaN or infinite value is an error naming the feature.
pub fn score(
    model: &SegmentModel,
    features: &[ArrayRef],
    rows: usize,
) -> Result<(Int32Array, Float64Array)> {
    let (prepared, nulls) = prepared_rows(model, features, rows)?;
    let placed = place(model, &prepared);
    // a DBSCAN model without core points has no distance to give
    let valid = |i: usize| nulls.as_ref().is_none_or(|n| n.is_valid(i));
    let distance: Float64Array = placed
        .distance
        .iter()
        .enumerate()
        .map(|(i, d)| (valid(i) && !d.is_nan()).then_some(*d))
        .collect();
    Ok((Int32Array::new(placed.segment.into(), nulls), distance))
}

/// Each row's second-nearest segment and how firmly it sits in its own: `second_segment`,
/// `second_distance`, `margin` and `simple_silhouette` (NULL for k = 1 and NULL features).
pub fn explain(model: &SegmentModel, features: &[ArrayRef], rows: usize) -> Result<StructArray> {
    let (prepared, nulls) = prepared_rows(model, features, rows)?;
    let runner = runner_up(model, &prepared);
    let valid = |i: usize| nulls.as_ref().is_none_or(|n| n.is_valid(i));
    let doubles = |values: &[Option<f64>]| -> ArrayRef {
        Arc::new(
            values
                .iter()
                .enumerate()
                .map(|(i, v)| v.filter(|_| valid(i)))
                .collect::<Float64Array>(),
        )
    };
    let segments: Int32Array = runner
        .segment
        .iter()
        .enumerate()
        .map(|(i, v)| v.filter(|_| valid(i)))
        .collect();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(segments),
        doubles(&runner.distance),
        doubles(&runner.margin),
        doubles(&runner.simple_silhouette),
    ];
    Ok(StructArray::try_new(explanation_fields(), columns, None)?)
}

/// The explanation struct's fields.
pub fn explanation_fields() -> Fields {
    Fields::from(vec![
        Field::new("second_segment", DataType::Int32, true),
        Field::new("second_distance", DataType::Float64, true),
        Field::new("margin", DataType::Float64, true),
        Field::new("simple_silhouette", DataType::Float64, true),
    ])
}

/// The rows in the fitted space, column by column, and which rows have every feature.
fn prepared_rows(
    model: &SegmentModel,
    features: &[ArrayRef],
    rows: usize,
) -> Result<(Vec<Vec<f64>>, Option<NullBuffer>)> {
    let arrays = features
        .iter()
        .map(|a| as_f64(NAME, a))
        .collect::<Result<Vec<_>>>()?;
    let mut nulls: Option<NullBuffer> = None;
    for array in &arrays {
        nulls = NullBuffer::union(nulls.as_ref(), array.nulls());
    }
    for (j, array) in arrays.iter().enumerate() {
        let bad = array
            .values()
            .iter()
            .enumerate()
            .find(|(i, v)| !v.is_finite() && nulls.as_ref().is_none_or(|n| n.is_valid(*i)));
        if let Some((_, v)) = bad {
            return Err(data_err(
                NAME,
                format!(
                    "feature '{}' is {v}; only finite numbers can be scored",
                    model.features[j].name
                ),
            ));
        }
    }
    let raw: Vec<&[f64]> = arrays.iter().map(|a| &a.values()[..rows]).collect();
    Ok((prepare_columns(model, &raw), nulls))
}

/// The registered scalar UDF, reading models from `store`.
pub fn udf(store: Arc<dyn ModelStore>) -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::from(AssignSegment {
        store: ByAddress(store),
        signature: Signature::user_defined(Volatility::Stable),
    }))
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct AssignSegment {
    store: ByAddress<dyn ModelStore>,
    signature: Signature,
}

/// Text and numeric argument types: the model name, then features as `DOUBLE`.
fn coerce(
    function: &'static str,
    arg_types: &[DataType],
    with_name: bool,
) -> Result<Vec<DataType>> {
    let mut out = Vec::with_capacity(arg_types.len());
    let features = if with_name {
        match arg_types.first() {
            Some(DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) => {
                out.push(DataType::Utf8)
            }
            Some(other) => {
                return Err(arg_err(
                    function,
                    format!("the first argument is the model name (a string), got {other}"),
                ));
            }
            None => {
                return Err(arg_err(
                    function,
                    "expects ('model name', feature1, feature2, ...)",
                ));
            }
        }
        &arg_types[1..]
    } else {
        arg_types
    };
    for (i, t) in features.iter().enumerate() {
        if t.is_numeric() || t == &DataType::Null {
            out.push(DataType::Float64);
        } else {
            return Err(arg_err(
                function,
                format!(
                    "feature argument {} has type {t}; features must be numeric",
                    i + 1
                ),
            ));
        }
    }
    Ok(out)
}

impl AssignSegment {
    fn model(&self, name: &str) -> Result<Arc<SegmentModel>> {
        let model = self
            .store
            .load(name)
            .map_err(|e| arg_err(NAME, e.to_string()))?;
        model.expect_segments(NAME).map_err(|e| arg_err(NAME, e))?;
        Ok(model)
    }
}

/// Check that a call passes as many features as the model has.
fn check_arity(model: &SegmentModel, given: usize) -> Result<()> {
    if given == model.features.len() {
        return Ok(());
    }
    Err(arg_err(
        NAME,
        format!(
            "model '{}' has {} features ({}), but {given} were given",
            model.name,
            model.features.len(),
            model.feature_names().join(", ")
        ),
    ))
}

impl ScalarUDFImpl for AssignSegment {
    udf_identity!(NAME, DOC);

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce(NAME, arg_types, true)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int32)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        match args.scalar_arguments.first() {
            Some(Some(ScalarValue::Utf8(Some(name)))) => {
                let model = self.model(name)?;
                check_arity(&model, args.arg_fields.len() - 1)?;
            }
            _ => {
                return Err(arg_err(
                    NAME,
                    "the first argument must be the model name as a string literal, e.g. assign_segment('seg', recency_days, frequency, monetary)",
                ));
            }
        }
        Ok(Arc::new(Field::new(NAME, DataType::Int32, true)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = match args.args.first() {
            Some(ColumnarValue::Scalar(ScalarValue::Utf8(Some(name)))) => name.clone(),
            _ => return Err(arg_err(NAME, "the model name must be a string literal")),
        };
        let model = self.model(&name)?;
        check_arity(&model, args.args.len() - 1)?;
        let arrays = ColumnarValue::values_to_arrays(&args.args[1..])?;
        let rows = if args.args[1..]
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)))
        {
            1
        } else {
            args.number_rows
        };
        let (segments, _) = score(&model, &arrays, rows)?;
        let result: ArrayRef = Arc::new(segments);
        if rows == 1 && args.number_rows != 1 {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                &result, 0,
            )?));
        }
        Ok(ColumnarValue::Array(result))
    }
}

/// The internal scorer of the table function: the model captured at planning time, returning
/// `{segment, distance}` per row.
pub fn snapshot_udf(model: Arc<SegmentModel>) -> ScalarUDF {
    ScalarUDF::from(Snapshot {
        model: ByAddress(model),
        explain: false,
        signature: Signature::user_defined(Volatility::Immutable),
    })
}

/// The internal explainer of the table function: `{second_segment, second_distance, margin,
/// simple_silhouette}` per row. A separate expression, so a query that does not select its
/// columns does not compute it (DataFusion drops unused projections).
pub fn explain_udf(model: Arc<SegmentModel>) -> ScalarUDF {
    ScalarUDF::from(Snapshot {
        model: ByAddress(model),
        explain: true,
        signature: Signature::user_defined(Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Snapshot {
    model: ByAddress<SegmentModel>,
    /// The explanation rather than the score.
    explain: bool,
    signature: Signature,
}

fn snapshot_fields() -> Fields {
    Fields::from(vec![
        Field::new("segment", DataType::Int32, true),
        Field::new("distance", DataType::Float64, true),
    ])
}

impl Snapshot {
    fn label(&self, args: Vec<String>) -> String {
        let name = if self.explain {
            "segql_explain"
        } else {
            "segql_score"
        };
        format!("{name}[{}]({})", self.model.name, args.join(", "))
    }
}

impl ScalarUDFImpl for Snapshot {
    fn name(&self) -> &str {
        if self.explain {
            "segql_explain"
        } else {
            "segql_score"
        }
    }

    fn display_name(&self, args: &[Expr]) -> Result<String> {
        Ok(self.label(args.iter().map(|a| a.to_string()).collect()))
    }

    fn schema_name(&self, args: &[Expr]) -> Result<String> {
        Ok(self.label(args.iter().map(|a| a.schema_name().to_string()).collect()))
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce("assign_segment", arg_types, false)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(if self.explain {
            explanation_fields()
        } else {
            snapshot_fields()
        }))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        if self.explain {
            let explained = explain(&self.model, &arrays, args.number_rows)?;
            return Ok(ColumnarValue::Array(Arc::new(explained)));
        }
        let (segments, distances) = score(&self.model, &arrays, args.number_rows)?;
        let columns: Vec<ArrayRef> = vec![Arc::new(segments), Arc::new(distances)];
        Ok(ColumnarValue::Array(Arc::new(StructArray::try_new(
            snapshot_fields(),
            columns,
            None,
        )?)))
    }
}

#[cfg_attr(not(feature = "ballista"), allow(dead_code))]
/// A scorer or explainer made by [`snapshot_udf`] or [`explain_udf`] as bytes (the model it
/// captured, and which of the two it is), so it can run on another machine; `None` for any
/// other function, which travels by name.
pub fn encode_snapshot(udf: &ScalarUDF) -> Option<Result<Vec<u8>>> {
    let snapshot = udf.inner().downcast_ref::<Snapshot>()?;
    let wire = SnapshotWire {
        explain: snapshot.explain,
        model: Arc::clone(&snapshot.model.0),
    };
    Some(serde_json::to_vec(&wire).map_err(|e| {
        datafusion::common::internal_datafusion_err!("cannot encode {}: {e}", snapshot.name())
    }))
}

#[cfg_attr(not(feature = "ballista"), allow(dead_code))]
/// The scorer or explainer `bytes` (from [`encode_snapshot`]) describe.
pub fn decode_snapshot(bytes: &[u8]) -> Result<ScalarUDF> {
    let wire: SnapshotWire = serde_json::from_slice(bytes).map_err(|e| {
        datafusion::common::exec_datafusion_err!(
            "assign_segment's model arrived damaged or from another segql version: {e}"
        )
    })?;
    Ok(if wire.explain {
        explain_udf(wire.model)
    } else {
        snapshot_udf(wire.model)
    })
}

#[cfg_attr(not(feature = "ballista"), allow(dead_code))]
#[derive(serde::Serialize, serde::Deserialize)]
struct SnapshotWire {
    explain: bool,
    #[serde(with = "crate::functions::common::wire::shared_model")]
    model: Arc<SegmentModel>,
}
