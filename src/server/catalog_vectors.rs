//! The catalog's vector columns as arrays. Postgres keeps index keys (`pg_index.indkey`,
//! `indoption`, ...) as `int2vector` and constraint keys (`pg_constraint.conkey`, `confkey`) as
//! `int2[]`; datafusion-postgres's catalog keeps both as text ("1 2", "[2, 20, 3]"). Drivers
//! index into them, test membership with `ANY` and expand them with
//! `information_schema._pg_expandarray`; `sql_compat` routes those uses through these
//! functions.
//!
//! ```sql
//! SELECT pg_vector_elements('1 2');        -- [1, 2]
//! SELECT pg_vector_elements('[2, 20, 3]'); -- [2, 20, 3]
//! SELECT unnest(_pg_expandarray('5 7'));   -- {x: 5, n: 1}, {x: 7, n: 2}
//! ```

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, Int64Builder, ListArray, ListBuilder, StructArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};

/// The functions, ready to register.
pub fn vector_functions() -> Vec<ScalarUDF> {
    vec![pg_vector_elements(), pg_expandarray()]
}

/// The element numbers of one vector's text, or `None` when it holds something else.
pub fn parse_vector(text: &str) -> Option<Vec<i64>> {
    text.trim()
        .trim_start_matches(['[', '{'])
        .trim_end_matches([']', '}'])
        .split([' ', ','])
        .filter(|part| !part.is_empty())
        .map(|part| part.parse::<i64>().ok())
        .collect()
}

/// `pg_vector_elements(text)`: a vector column's elements, in order.
fn pg_vector_elements() -> ScalarUDF {
    create_udf(
        "pg_vector_elements",
        vec![DataType::Utf8],
        DataType::new_list(DataType::Int64, true),
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let scalar = matches!(args[0], ColumnarValue::Scalar(_));
            let lists = elements(&args[0].to_array(1)?)?;
            finish(Arc::new(lists), scalar)
        }),
    )
}

/// `_pg_expandarray(vector)`: Postgres's `information_schema._pg_expandarray`, as a list of
/// `(x, n)` records (element, position from 1); `sql_compat` unnests it where the driver
/// expects one row per element.
fn pg_expandarray() -> ScalarUDF {
    create_udf(
        "_pg_expandarray",
        vec![DataType::Utf8],
        DataType::new_list(DataType::Struct(expand_fields()), true),
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let scalar = matches!(args[0], ColumnarValue::Scalar(_));
            let lists = elements(&args[0].to_array(1)?)?;
            let offsets = lists.offsets().clone();
            let mut positions = vec![0i64; lists.values().len()];
            for window in offsets.windows(2) {
                let (start, end) = (window[0] as usize, window[1] as usize);
                for (n, slot) in positions[start..end].iter_mut().enumerate() {
                    *slot = n as i64 + 1;
                }
            }
            let records = StructArray::try_new(
                expand_fields(),
                vec![
                    Arc::clone(lists.values()),
                    Arc::new(Int64Array::from(positions)),
                ],
                None,
            )?;
            let field = Arc::new(Field::new_list_field(
                DataType::Struct(expand_fields()),
                true,
            ));
            let expanded =
                ListArray::try_new(field, offsets, Arc::new(records), lists.nulls().cloned())?;
            finish(Arc::new(expanded), scalar)
        }),
    )
}

fn expand_fields() -> Fields {
    Fields::from(vec![
        Field::new("x", DataType::Int64, true),
        Field::new("n", DataType::Int64, true),
    ])
}

/// Each row's vector text parsed into a list of integers (NULL stays NULL).
fn elements(texts: &ArrayRef) -> Result<ListArray> {
    let texts = cast(texts, &DataType::Utf8)?;
    let mut lists = ListBuilder::new(Int64Builder::new());
    for text in texts.as_string::<i32>().iter() {
        match text.map(|t| (t, parse_vector(t))) {
            None => lists.append(false),
            Some((_, Some(elements))) => {
                lists.values().append_slice(&elements);
                lists.append(true);
            }
            Some((text, None)) => {
                return exec_err!("not a catalog vector of integers: '{text}'");
            }
        }
    }
    Ok(lists.finish())
}

fn finish(array: ArrayRef, scalar: bool) -> Result<ColumnarValue> {
    Ok(if scalar && array.len() == 1 {
        ColumnarValue::Scalar(ScalarValue::try_from_array(&array, 0)?)
    } else {
        ColumnarValue::Array(array)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_text_forms_parse() {
        assert_eq!(parse_vector("1 2"), Some(vec![1, 2]));
        assert_eq!(parse_vector("[2, 20, 3]"), Some(vec![2, 20, 3]));
        assert_eq!(parse_vector("{4,5}"), Some(vec![4, 5]));
        assert_eq!(parse_vector(""), Some(vec![]));
        assert_eq!(parse_vector("1 x"), None);
    }

    #[tokio::test]
    async fn expandarray_numbers_elements_from_one() {
        let ctx = datafusion::prelude::SessionContext::new();
        for function in vector_functions() {
            ctx.register_udf(function);
        }
        let batches = ctx
            .sql(
                "SELECT v, get_field(unnest(_pg_expandarray(v)), 'x') AS x, \
                 get_field(unnest(_pg_expandarray(v)), 'n') AS n, pg_vector_elements(v)[2] AS second \
                 FROM (VALUES ('5 7'), ('[9]')) AS t(v) ORDER BY v, n",
            )
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
            .unwrap()
            .to_string();
        let rows: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("| "))
            .skip(1)
            .collect();
        assert_eq!(
            rows,
            [
                "| 5 7 | 5 | 1 | 7      |",
                "| 5 7 | 7 | 2 | 7      |",
                "| [9] | 9 | 1 |        |",
            ],
            "{text}"
        );
    }
}
