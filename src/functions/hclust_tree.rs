//! `hclust_tree(input | 'model' [, linkage => 'ward', options])`: the merge tree of a
//! hierarchical clustering, for dendrograms: SciPy's linkage matrix as a table.
//!
//! ```sql
//! SELECT * FROM hclust_tree('h') ORDER BY step DESC LIMIT 10;   -- the top of the tree
//! SELECT * FROM hclust_tree((SELECT age, income FROM people), linkage => 'average');
//! ```

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::logical_expr::LogicalPlan;
use datafusion::logical_expr::planner::RelationPlannerContext;

use crate::error::arg_err;
use crate::functions::common::fit_options::{
    FEATURES, FitInput, NULLS, SCALE, SHIFT, STANDARDIZE, TRANSFORM, fit_input,
    preprocessing_options,
};
use crate::functions::common::labelled_fit::{Emit, LabelledPlan, Method, scan};
use crate::functions::common::labelled_tables::{tree_batch, tree_schema};
use crate::functions::common::model_table::{batch_plan, named_model};
use crate::functions::common::store_function;
use crate::functions::hclust_fit::{LINKAGE, linkage_argument};
use crate::model::ModelKind;
use crate::planner::{Args, FunctionSpec, Param, ParamKind, SegqlTableFunction};

const NAME: &str = "hclust_tree";

/// The declaration of `hclust_tree()`.
pub static SPEC: FunctionSpec = FunctionSpec {
    name: NAME,
    params: &[
        Param {
            name: "input",
            kind: ParamKind::RelationOrModel,
            positional: true,
            required: true,
            doc: "the rows to cluster (any relation form), or the quoted name of a model saved by hclust_fit",
        },
        LINKAGE,
        FEATURES,
        TRANSFORM,
        SHIFT,
        SCALE,
        STANDARDIZE,
        NULLS,
    ],
    description: "The merge tree of a hierarchical clustering, one row per merge: SciPy's linkage \
                  matrix. Leaves are the training rows numbered 0..n-1 in the order of their feature \
                  values (as ORDER BY <features> sorts them: ROW_NUMBER() OVER (ORDER BY <features>) \
                  - 1), and merge step i creates cluster n + i. For a saved model (a quoted name \
                  that does not end like a data file) the tree it was cut from; for an input, the \
                  tree under linkage and the preprocessing options, with hclust_fit's row limits.",
    example: "SELECT * FROM hclust_tree('h') ORDER BY step DESC LIMIT 5",
    columns: &[
        (
            "step",
            "BIGINT: 0.. in merge order (non-decreasing distance)",
        ),
        (
            "left_child",
            "BIGINT: the smaller id merged (leaves 0..n-1, step i's cluster n + i)",
        ),
        ("right_child", "BIGINT: the larger id merged"),
        ("distance", "DOUBLE: the linkage distance of the merge"),
        ("size", "BIGINT: leaves under the new cluster"),
    ],
};

store_function!(
    HclustTreeFunction,
    "gives the merge tree of a hierarchical clustering"
);

impl SegqlTableFunction for HclustTreeFunction {
    fn spec(&self) -> &'static FunctionSpec {
        &SPEC
    }

    fn plan(&self, mut args: Args, _ctx: &mut dyn RelationPlannerContext) -> Result<LogicalPlan> {
        if let Some(name) = args.text("input") {
            return saved_tree(self, &args, name);
        }
        let input = args.take_relation("input")?;
        let linkage = linkage_argument(&args)?;
        let options = preprocessing_options(&args)?;
        let FitInput { features, plan } = fit_input(&args, input, &options.transform)?;
        let fit = LabelledPlan {
            function: NAME,
            indices: (0..features.len()).collect(),
            features,
            options,
            method: Method::Hclust { k: 1, linkage },
            model: None,
            schema: tree_schema(),
            emit: Emit::Tree,
        };
        scan(Arc::new(fit), Arc::clone(&self.store), plan)
    }
}

/// The tree a saved hierarchical model keeps; options would not change it.
fn saved_tree(function: &HclustTreeFunction, args: &Args, name: String) -> Result<LogicalPlan> {
    let options = SPEC.params.iter().skip(1).find(|p| args.is_given(p.name));
    if let Some(option) = options {
        return Err(arg_err(
            NAME,
            format!(
                "{} => only applies to an input; model '{name}' keeps the tree it was fitted with: hclust_tree('{name}')",
                option.name
            ),
        ));
    }
    let model = named_model(NAME, function.store.as_ref(), Some(name.clone()))?;
    let Some(record) = model
        .hclust
        .as_ref()
        .filter(|_| model.kind == ModelKind::Hclust)
    else {
        return Err(arg_err(
            NAME,
            format!(
                "model '{name}' is a {} model, which has no merge tree; save one with hclust_fit(input, k, model => '{name}')",
                model.kind.title()
            ),
        ));
    };
    batch_plan(NAME, tree_batch(&tree_schema(), &record.tree.merges())?)
}
