//! The result tables of the fits that label every row: their schemas and batches (the rows
//! view, DBSCAN's segment table with its noise row, the merge tree, the k-distance curve).

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::{DFSchema, Result};

use crate::functions::common::result_columns::{bigints, doubles, ints, texts};
use crate::hclust::Merge;
use crate::model::{PreparedData, SegmentModel};

/// The input's columns (one named like an added column becomes `input_<name>`), then
/// `segment`, `is_core` (DBSCAN only), `distance`, `label`.
pub(crate) fn rows_schema(input: &DFSchema, dbscan: bool) -> SchemaRef {
    let mut added = vec![Field::new("segment", DataType::Int32, true)];
    if dbscan {
        added.push(Field::new("is_core", DataType::Boolean, true));
    }
    added.push(Field::new("distance", DataType::Float64, true));
    added.push(Field::new("label", DataType::Utf8, true));
    let mut fields: Vec<Field> = input
        .fields()
        .iter()
        .map(|f| {
            let clashes = added
                .iter()
                .any(|a| a.name().eq_ignore_ascii_case(f.name()));
            let name = if clashes {
                format!("input_{}", f.name())
            } else {
                f.name().clone()
            };
            f.as_ref().clone().with_name(name)
        })
        .collect();
    fields.extend(added);
    Arc::new(Schema::new(fields))
}

/// DBSCAN's segment table: `kmeans_fit`'s columns, nullable, for the noise row.
pub(crate) fn dbscan_segments_schema(features: &[String]) -> SchemaRef {
    let kmeans = crate::functions::kmeans_fit::output_schema(features);
    let fields: Vec<Field> = kmeans
        .fields()
        .iter()
        .map(|f| f.as_ref().clone().with_nullable(true))
        .collect();
    Arc::new(Schema::new(fields))
}

/// One row per segment, then for DBSCAN the noise row: segment −1, its size and share, no
/// centroid, the noise rows' means as avg_<feature>, label 'noise'.
pub(crate) fn segments_batch(
    schema: &SchemaRef,
    model: &SegmentModel,
    prepared: &PreparedData,
    labels: &[i32],
) -> Result<RecordBatch> {
    if model.dbscan.is_none() {
        return crate::functions::kmeans_fit::segment_table(schema, model);
    }
    let d = model.features.len();
    let noise: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] < 0).collect();
    let noise_means: Vec<Option<f64>> = (0..d)
        .map(|j| {
            (!noise.is_empty()).then(|| {
                noise.iter().map(|&i| prepared.columns[j][i]).sum::<f64>() / noise.len() as f64
            })
        })
        .collect();
    let rows = prepared.rows().max(1) as f64;
    // the segments, then None for the noise row
    let items: Vec<Option<usize>> = (0..model.k()).map(Some).chain([None]).collect();
    let segment = |c: &Option<usize>| c.map(|c| &model.segments[c]);
    let mut columns: Vec<ArrayRef> = vec![
        ints(&items, |c| Some(c.map_or(-1, |c| c as i32))),
        bigints(&items, |c| {
            Some(segment(c).map_or(noise.len() as i64, |s| s.size as i64))
        }),
        doubles(&items, |c| {
            Some(segment(c).map_or(noise.len() as f64 / rows, |s| s.share))
        }),
    ];
    for j in 0..d {
        columns.push(doubles(&items, |c| {
            segment(c).map(|s| s.centroid_original[j])
        }));
    }
    for (j, mean) in noise_means.iter().enumerate() {
        columns.push(doubles(&items, |c| {
            segment(c).map_or(*mean, |s| Some(s.mean_original[j]))
        }));
    }
    columns.push(doubles(&items, |c| segment(c).map(|s| s.sse)));
    columns.push(texts(&items, |c| {
        Some(segment(c).map_or("noise", |s| s.label.as_str()).to_string())
    }));
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}

/// `hclust_tree`'s columns: SciPy's linkage matrix with its row number.
pub(crate) fn tree_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("step", DataType::Int64, false),
        Field::new("left_child", DataType::Int64, false),
        Field::new("right_child", DataType::Int64, false),
        Field::new("distance", DataType::Float64, false),
        Field::new("size", DataType::Int64, false),
    ]))
}

/// The merge tree as a table.
pub(crate) fn tree_batch(schema: &SchemaRef, merges: &[Merge]) -> Result<RecordBatch> {
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(0..merges.len() as i64)),
        Arc::new(Int64Array::from_iter_values(
            merges.iter().map(|m| m.left as i64),
        )),
        Arc::new(Int64Array::from_iter_values(
            merges.iter().map(|m| m.right as i64),
        )),
        Arc::new(Float64Array::from_iter_values(
            merges.iter().map(|m| m.distance),
        )),
        Arc::new(Int64Array::from_iter_values(
            merges.iter().map(|m| m.size as i64),
        )),
    ];
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}

/// `dbscan_eps`' columns.
pub(crate) fn curve_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("rank", DataType::Int64, false),
        Field::new("share", DataType::Float64, false),
        Field::new("k_distance", DataType::Float64, false),
        Field::new("knee", DataType::Boolean, false),
    ]))
}

/// Points of the curve shown: at most this many, evenly spaced by rank (the knee always).
const CURVE_POINTS: usize = 1000;

/// The sorted k-distance curve (at most [`CURVE_POINTS`] of its points, the first, the last
/// and the knee among them), the knee flagged.
pub(crate) fn curve_batch(schema: &SchemaRef, curve: &[f64]) -> Result<RecordBatch> {
    let n = curve.len();
    let knee = knee(curve);
    let mut ranks: Vec<usize> = if n <= CURVE_POINTS {
        (0..n).collect()
    } else {
        (0..CURVE_POINTS)
            .map(|i| i * (n - 1) / (CURVE_POINTS - 1))
            .collect()
    };
    if let Some(k) = knee
        && let Err(at) = ranks.binary_search(&k)
    {
        ranks.insert(at, k);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(
            ranks.iter().map(|&r| r as i64 + 1),
        )),
        Arc::new(Float64Array::from_iter_values(
            ranks.iter().map(|&r| (r + 1) as f64 / n as f64),
        )),
        Arc::new(Float64Array::from_iter_values(
            ranks.iter().map(|&r| curve[r]),
        )),
        Arc::new(BooleanArray::from_iter(
            ranks.iter().map(|&r| Some(Some(r) == knee)),
        )),
    ];
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}

/// The knee of an ascending curve: the point farthest below the chord from its first to its
/// last point once both axes are scaled to [0, 1] (the first such point on ties); none for
/// fewer than three points or a flat curve.
pub(crate) fn knee(curve: &[f64]) -> Option<usize> {
    let n = curve.len();
    let (low, high) = (*curve.first()?, *curve.last()?);
    if n < 3 || high <= low {
        return None;
    }
    let gap = |i: usize| i as f64 / (n - 1) as f64 - (curve[i] - low) / (high - low);
    let best = (0..n).fold(0, |best, i| if gap(i) > gap(best) { i } else { best });
    (gap(best) > 0.0).then_some(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_knee_of_a_hand_drawn_curve() {
        // flat then steep: the last flat point is farthest below the chord
        let curve = [1.0, 1.0, 1.1, 1.2, 1.3, 5.0, 9.0];
        // gaps: i/6 − (c − 1)/8: 0, 1/6, 0.3208, 0.475, 0.629, 0.333, 0
        assert_eq!(knee(&curve), Some(4));
        assert_eq!(knee(&[1.0, 2.0, 3.0]), None); // a straight line has no knee
        assert_eq!(knee(&[2.0, 2.0, 2.0]), None);
        assert_eq!(knee(&[1.0, 2.0]), None);
    }
}
