//! `segql_elbow(x, y)`: the kneedle elbow of a curve given as rows, the building block
//! `kmeans_search` marks its `elbow` column with, and a way to find the elbow of any curve in
//! SQL (and to check it on hand-made curves).
//!
//! ```sql
//! SELECT segql_elbow(k, inertia) FROM kmeans_search(rfm(sales), ks => '1..10');
//! ```

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, ListArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility,
};

use crate::error::arg_err;
use crate::functions::common::{function_doc, udf_identity};
use crate::quality::elbow;

function_doc!("segql_elbow");

/// The UDAF singleton.
pub fn udaf() -> Arc<AggregateUDF> {
    static UDAF: LazyLock<Arc<AggregateUDF>> =
        LazyLock::new(|| Arc::new(AggregateUDF::from(SegqlElbow::new())));
    Arc::clone(&UDAF)
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct SegqlElbow {
    signature: Signature,
}

impl SegqlElbow {
    fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for SegqlElbow {
    udf_identity!(NAME, DOC);

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let numbers = arg_types.len() == 2
            && arg_types
                .iter()
                .all(|t| t.is_numeric() || t == &DataType::Null);
        if !numbers {
            return Err(arg_err(
                NAME,
                format!(
                    "takes two numbers, x and y, got ({}); usage: segql_elbow(k, inertia)",
                    arg_types
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        Ok(vec![DataType::Float64, DataType::Float64])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        if args.is_distinct {
            return Err(arg_err(NAME, "DISTINCT is not supported"));
        }
        Ok(Box::<Curve>::default())
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let list = DataType::List(Arc::new(Field::new_list_field(DataType::Float64, true)));
        Ok(vec![
            Arc::new(Field::new(format!("{}[x]", args.name), list.clone(), true)),
            Arc::new(Field::new(format!("{}[y]", args.name), list, true)),
        ])
    }
}

/// The points seen so far.
#[derive(Debug, Default)]
struct Curve {
    points: Vec<(f64, f64)>,
}

impl Curve {
    fn add(&mut self, x: &ArrayRef, y: &ArrayRef) {
        let (x, y) = (
            x.as_primitive::<Float64Type>(),
            y.as_primitive::<Float64Type>(),
        );
        for i in 0..x.len() {
            if x.is_valid(i) && y.is_valid(i) {
                self.points.push((x.value(i), y.value(i)));
            }
        }
    }
}

/// A one-row list of `values`.
fn list(values: impl Iterator<Item = f64>) -> ScalarValue {
    let values: Float64Array = values.map(Some).collect();
    let n = values.len();
    ScalarValue::List(Arc::new(ListArray::new(
        Arc::new(Field::new_list_field(DataType::Float64, true)),
        OffsetBuffer::from_lengths([n]),
        Arc::new(values),
        None,
    )))
}

impl Accumulator for Curve {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.add(&values[0], &values[1]);
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let mut points = self.points.clone();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (x, y): (Vec<f64>, Vec<f64>) = points.into_iter().unzip();
        Ok(ScalarValue::Float64(elbow(&x, &y).map(|i| x[i])))
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.points.capacity() * size_of::<(f64, f64)>()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![
            list(self.points.iter().map(|p| p.0)),
            list(self.points.iter().map(|p| p.1)),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let (xs, ys) = (states[0].as_list::<i32>(), states[1].as_list::<i32>());
        for row in 0..xs.len() {
            if xs.is_valid(row) && ys.is_valid(row) {
                self.add(&xs.value(row), &ys.value(row));
            }
        }
        Ok(())
    }
}
