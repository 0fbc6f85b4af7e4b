//! How a planned operator's settings travel as data: serde adapters for the fields serde cannot
//! derive on its own (a function's static name, an Arrow schema, a captured model). A cluster
//! ships each operator to the machine that runs it this way; the operator is rebuilt there from
//! the same settings, so it computes what it would have computed in one process.

use std::sync::Arc;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The segql table function called `name`, as the `&'static str` plans hold.
pub(crate) fn function_name(name: &str) -> Result<&'static str> {
    crate::functions::table_function_name(name)
        .ok_or_else(|| exec_datafusion_err!("'{name}' is not a segql table function"))
}

/// An Arrow schema as the bytes of an empty Arrow IPC stream (names, types, nullability and
/// metadata, exactly).
pub(crate) mod schema {
    use datafusion::arrow::datatypes::{Schema, SchemaRef};
    use datafusion::arrow::ipc::reader::StreamReader;
    use datafusion::arrow::ipc::writer::StreamWriter;

    use super::*;

    pub(crate) fn serialize<S: Serializer>(schema: &SchemaRef, s: S) -> Result<S::Ok, S::Error> {
        let mut bytes = Vec::new();
        let written = StreamWriter::try_new(&mut bytes, schema.as_ref())
            .and_then(|mut writer| writer.finish());
        written.map_err(serde::ser::Error::custom)?;
        bytes.serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SchemaRef, D::Error> {
        let bytes = Vec::<u8>::deserialize(d)?;
        let reader = StreamReader::try_new(bytes.as_slice(), None).map_err(D::Error::custom)?;
        Ok(Arc::new(Schema::clone(reader.schema().as_ref())))
    }
}

/// A model captured at planning time, checked again when it arrives (as a model file is).
pub(crate) mod shared_model {
    use crate::model::SegmentModel;

    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        model: &Arc<SegmentModel>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        model.as_ref().serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Arc<SegmentModel>, D::Error> {
        let model = SegmentModel::deserialize(d)?;
        model.validate().map_err(D::Error::custom)?;
        Ok(Arc::new(model))
    }
}

/// A segql operator that can be rebuilt on another machine from its settings and its input:
/// everything but the input and the model store travels as [`Shipped::Settings`].
pub(crate) trait Shipped: ExecutionPlan + Sized + 'static {
    /// The operator's name on the wire.
    const WIRE_NAME: &'static str;
    /// What rebuilds it, besides its input and the store.
    type Settings: Serialize + DeserializeOwned;
    /// Its settings.
    fn settings(&self) -> Self::Settings;
    /// The operator again, over `input`, saving and reading models in `store`.
    fn rebuild(
        settings: Self::Settings,
        input: Arc<dyn ExecutionPlan>,
        store: Arc<dyn ModelStore>,
    ) -> Result<Self>;
}

/// [`Shipped`] for a fit operator built as `try_new(input, Arc<plan>, store, projection)`
/// whose plan type derives serde and holds its function's name in `function`: the plan travels
/// whole, the name beside it (a `&'static str` serde cannot borrow).
macro_rules! shipped_fit_operator {
    ($operator:ty, $wire:literal, $plan:ty) => {
        impl $crate::functions::common::wire::Shipped for $operator {
            const WIRE_NAME: &'static str = $wire;
            type Settings = (String, $plan, Option<Vec<usize>>);

            fn settings(&self) -> Self::Settings {
                (
                    self.plan.function.to_string(),
                    <$plan>::clone(&self.plan),
                    self.projection.clone(),
                )
            }

            fn rebuild(
                (function, mut plan, projection): Self::Settings,
                input: ::std::sync::Arc<dyn ::datafusion::physical_plan::ExecutionPlan>,
                store: ::std::sync::Arc<dyn $crate::model::ModelStore>,
            ) -> ::datafusion::common::Result<Self> {
                plan.function = $crate::functions::common::wire::function_name(&function)?;
                Self::try_new(input, ::std::sync::Arc::new(plan), store, projection)
            }
        }
    };
}
pub(crate) use shipped_fit_operator;

use datafusion::common::{Result, exec_datafusion_err, internal_datafusion_err};
use datafusion::physical_plan::ExecutionPlan;
use serde::de::DeserializeOwned;

use crate::functions::common::labelled_fit::LabelledFitExec;
use crate::functions::kmeans_fit::exec::KMeansFitExec;
use crate::functions::pca::exec::PcaExec;
use crate::functions::rfm::collapse_order_lines::CollapseOrderLinesExec;
use crate::functions::rfm::ranks::RfmRanksExec;
use crate::functions::rfm::totals::RfmTotalsExec;
use crate::model::ModelStore;

#[derive(Serialize)]
struct Outgoing<'a, T> {
    operator: &'a str,
    settings: T,
}

#[derive(Deserialize)]
struct Incoming {
    operator: String,
    settings: serde_json::Value,
}

/// Every operator segql plans, each with its wire name.
macro_rules! for_each_operator {
    ($apply:ident) => {
        $apply!(KMeansFitExec);
        $apply!(LabelledFitExec);
        $apply!(PcaExec);
        $apply!(RfmTotalsExec);
        $apply!(RfmRanksExec);
        $apply!(CollapseOrderLinesExec);
    };
}

/// `node` as bytes if it is one of segql's operators (its input travels separately), `None`
/// for any other node.
pub fn encode_operator(node: &dyn ExecutionPlan) -> Option<Result<Vec<u8>>> {
    macro_rules! try_encode {
        ($t:ty) => {
            if let Some(op) = node.downcast_ref::<$t>() {
                let outgoing = Outgoing {
                    operator: <$t as Shipped>::WIRE_NAME,
                    settings: op.settings(),
                };
                return Some(serde_json::to_vec(&outgoing).map_err(|e| {
                    internal_datafusion_err!("cannot encode {}: {e}", <$t as Shipped>::WIRE_NAME)
                }));
            }
        };
    }
    for_each_operator!(try_encode);
    None
}

/// The operator `bytes` (from [`encode_operator`]) describe, over `inputs`.
pub fn decode_operator(
    bytes: &[u8],
    inputs: &[Arc<dyn ExecutionPlan>],
    store: &Arc<dyn ModelStore>,
) -> Result<Arc<dyn ExecutionPlan>> {
    let incoming: Incoming = serde_json::from_slice(bytes)
        .map_err(|e| exec_datafusion_err!("a segql operator arrived damaged: {e}"))?;
    let [input] = inputs else {
        return Err(internal_datafusion_err!(
            "segql's {} takes one input, {} arrived",
            incoming.operator,
            inputs.len()
        ));
    };
    macro_rules! try_decode {
        ($t:ty) => {
            if incoming.operator == <$t as Shipped>::WIRE_NAME {
                let settings = serde_json::from_value(incoming.settings).map_err(|e| {
                    exec_datafusion_err!(
                        "segql's {} arrived with settings this build does not read \
                         (are the client, scheduler and executors the same segql version?): {e}",
                        incoming.operator
                    )
                })?;
                let op = <$t>::rebuild(settings, Arc::clone(input), Arc::clone(store))?;
                return Ok(Arc::new(op));
            }
        };
    }
    for_each_operator!(try_decode);
    Err(exec_datafusion_err!(
        "'{}' is not an operator this segql build knows (are the client, scheduler and \
         executors the same segql version?)",
        incoming.operator
    ))
}
