//! How segql's parts of a plan travel between the client, the scheduler and the executors:
//! Ballista's own codec for Ballista's nodes, segql's operators by their settings
//! ([`encode_operator`]), the scorer `assign_segment` plans with the model it captured, and
//! segql's other functions by name (resolved here when a machine's registry lacks them).

use std::collections::HashMap;
use std::sync::Arc;

use ballista_core::serde::BallistaPhysicalExtensionCodec;
use datafusion::common::{Result, exec_datafusion_err, not_impl_err};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF};
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};

use crate::functions::assign_segment::udf::{decode_snapshot, encode_snapshot};
use crate::functions::common::wire::{decode_operator, encode_operator};
use crate::model::ModelStore;

/// The first byte of every node this codec writes: what follows.
const BALLISTA_NODE: u8 = 0;
const SEGQL_OPERATOR: u8 = 1;

/// The codec every part of a segql cluster uses (client, scheduler and executors must agree).
#[derive(Debug)]
pub struct SegqlCodec {
    ballista: BallistaPhysicalExtensionCodec,
    store: Arc<dyn ModelStore>,
    scalars: HashMap<String, Arc<ScalarUDF>>,
    aggregates: HashMap<String, Arc<AggregateUDF>>,
}

impl SegqlCodec {
    /// A codec whose operators save and read models in `store` (on a cluster, a directory
    /// every machine sees under the same path).
    pub fn new(store: Arc<dyn ModelStore>) -> Self {
        let scalars = crate::scalar_functions(&store)
            .into_iter()
            .map(|f| (f.name().to_string(), f))
            .collect();
        let aggregates = crate::aggregate_functions()
            .into_iter()
            .map(|f| (f.name().to_string(), f))
            .collect();
        Self {
            ballista: BallistaPhysicalExtensionCodec::default(),
            store,
            scalars,
            aggregates,
        }
    }
}

impl PhysicalExtensionCodec for SegqlCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match buf.split_first() {
            Some((&SEGQL_OPERATOR, operator)) => decode_operator(operator, inputs, &self.store),
            Some((&BALLISTA_NODE, node)) => self.ballista.try_decode(node, inputs, ctx, converter),
            _ => Err(exec_datafusion_err!(
                "a plan node arrived that segql's cluster codec did not write (are the \
                 client, scheduler and executors all segql of the same version?)"
            )),
        }
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        if let Some(operator) = encode_operator(node.as_ref()) {
            buf.push(SEGQL_OPERATOR);
            buf.extend_from_slice(&operator?);
            return Ok(());
        }
        buf.push(BALLISTA_NODE);
        self.ballista
            .try_encode(Arc::clone(&node), buf, converter)
            .map_err(|e| {
                exec_datafusion_err!(
                    "the query cannot run on the cluster: its plan has a {} node, which neither \
                     segql nor Ballista can send to an executor ({e})",
                    node.name()
                )
            })
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        if !buf.is_empty() {
            return Ok(Arc::new(decode_snapshot(buf)?));
        }
        match self.scalars.get(name) {
            Some(udf) => Ok(Arc::clone(udf)),
            None => not_impl_err!(
                "scalar function {name} is neither DataFusion's nor segql's, so the cluster \
                 cannot run it"
            ),
        }
    }

    fn try_encode_udf(&self, udf: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        if let Some(bytes) = encode_snapshot(udf) {
            buf.extend_from_slice(&bytes?);
        }
        Ok(())
    }

    fn try_decode_udaf(&self, name: &str, _buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        match self.aggregates.get(name) {
            Some(udaf) => Ok(Arc::clone(udaf)),
            None => not_impl_err!(
                "aggregate function {name} is neither DataFusion's nor segql's, so the cluster \
                 cannot run it"
            ),
        }
    }
}
