//! `segql_rfm_measures(time, amount [, order_id])`: the per-customer core of `rfm()` in one
//! aggregate — first and last purchase, frequency, summed amount and distinct purchase days.
//!
//! `rfm()` groups the transactions by customer once and calls this; before, it needed two
//! aggregates joined on the key (two different DISTINCT counts) and read its input twice.
//! The work is done by [`RfmMeasuresGroups`](super::measures_groups::RfmMeasuresGroups), a
//! vectorised groups accumulator whose partial states merge across partitions and spill.
//!
//! ```sql
//! SELECT "CustomerID", segql_rfm_measures("InvoiceDate", "Quantity" * "UnitPrice", "InvoiceNo")
//! FROM sales GROUP BY "CustomerID";
//! ```
//!
//! Rows with a NULL time are left out; NULL amounts count as nothing; frequency counts distinct
//! non-NULL order ids (rows when no order id is given); purchase days are distinct UTC dates.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion::common::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, GroupsAccumulator, Signature, Volatility,
};

use super::measures_groups::{OrderKind, RfmMeasuresGroups};
use super::segql_timestamp::TIMESTAMP_US;
use crate::error::arg_err;
use crate::functions::common::{function_doc, udf_identity};

function_doc!("segql_rfm_measures");

/// The UDAF singleton.
pub fn udaf() -> Arc<AggregateUDF> {
    static UDAF: LazyLock<Arc<AggregateUDF>> =
        LazyLock::new(|| Arc::new(AggregateUDF::from(SegqlRfmMeasures::new())));
    Arc::clone(&UDAF)
}

/// The fields of the struct it returns.
pub fn result_fields() -> Fields {
    Fields::from(vec![
        Field::new("first_purchase", TIMESTAMP_US, true),
        Field::new("last_purchase", TIMESTAMP_US, true),
        Field::new("frequency", DataType::Int64, false),
        Field::new("monetary", DataType::Float64, false),
        Field::new("purchase_days", DataType::Int64, false),
    ])
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct SegqlRfmMeasures {
    signature: Signature,
}

impl SegqlRfmMeasures {
    fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

const USAGE: &str = "usage: segql_rfm_measures(time, amount [, order_id])";

/// The order id type the accumulator works on: integers as `BIGINT`, text as it is,
/// anything else as text.
pub(super) fn order_type(given: &DataType) -> DataType {
    match given {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32 => DataType::Int64,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => given.clone(),
        DataType::Dictionary(_, value) => order_type(value),
        _ => DataType::Utf8,
    }
}

impl AggregateUDFImpl for SegqlRfmMeasures {
    udf_identity!(NAME, DOC);

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if !(2..=3).contains(&arg_types.len()) {
            return Err(arg_err(
                NAME,
                format!("takes 2 or 3 arguments, got {}; {USAGE}", arg_types.len()),
            ));
        }
        let (time, amount) = (&arg_types[0], &arg_types[1]);
        if !matches!(
            time,
            DataType::Timestamp(_, _) | DataType::Date32 | DataType::Null
        ) {
            return Err(arg_err(
                NAME,
                format!("time must be a timestamp, got {time}; {USAGE}"),
            ));
        }
        if !(amount.is_numeric() || amount == &DataType::Null) {
            return Err(arg_err(
                NAME,
                format!("amount must be a number, got {amount}; {USAGE}"),
            ));
        }
        let mut out = vec![TIMESTAMP_US, DataType::Float64];
        if let Some(order) = arg_types.get(2) {
            out.push(order_type(order));
        }
        Ok(out)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(result_fields()))
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        // Every caller can take the groups accumulator (it is used for GROUP BY and, through
        // DataFusion's adapter, without one); an ungrouped call still needs an Accumulator.
        Err(arg_err(
            NAME,
            "is only available with GROUP BY; use the rfm aggregate for a single group",
        ))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let kind = OrderKind::of(args.input_fields.get(2).map(|f| f.data_type()));
        Ok(RfmMeasuresGroups::state_fields(args.name, kind))
    }

    fn groups_accumulator_supported(&self, args: AccumulatorArgs) -> bool {
        !args.is_distinct
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        if args.is_distinct {
            return Err(arg_err(NAME, "DISTINCT is not supported"));
        }
        let kind = match args.expr_fields.get(2) {
            Some(field) => OrderKind::of(Some(field.data_type())),
            None => OrderKind::None,
        };
        Ok(Box::new(RfmMeasuresGroups::new(kind)))
    }
}
