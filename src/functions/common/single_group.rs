//! A groups accumulator used as a plain [`Accumulator`], for the query without `GROUP BY`: every
//! row belongs to group 0. The aggregate then has one implementation for both cases, instead of
//! a row-at-a-time copy for the ungrouped one.

use std::fmt::Debug;

use datafusion::arrow::array::{ArrayRef, new_empty_array};
use datafusion::arrow::datatypes::FieldRef;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{Accumulator, EmitTo, GroupsAccumulator};

/// `G` over one group.
#[derive(Debug)]
pub(crate) struct SingleGroup<G>(G);

impl<G: GroupsAccumulator> SingleGroup<G> {
    /// `groups` over one group, which exists from the start: an aggregate over no rows still
    /// has a state and a value (`inputs` are the coerced argument fields, to make it).
    pub(crate) fn new(mut groups: G, inputs: &[FieldRef]) -> Result<Self> {
        let empty: Vec<ArrayRef> = inputs
            .iter()
            .map(|f| new_empty_array(f.data_type()))
            .collect();
        groups.update_batch(&empty, &[], None, 1)?;
        Ok(Self(groups))
    }
}

impl<G: GroupsAccumulator + Debug + Sync> Accumulator for SingleGroup<G> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let rows = values.first().map_or(0, |v| v.len());
        self.0.update_batch(values, &vec![0; rows], None, 1)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        ScalarValue::try_from_array(&self.0.evaluate(EmitTo::All)?, 0)
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.0.size()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.0
            .state(EmitTo::All)?
            .iter()
            .map(|column| ScalarValue::try_from_array(column, 0))
            .collect()
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let rows = states.first().map_or(0, |s| s.len());
        self.0.merge_batch(states, &vec![0; rows], 1)
    }
}
