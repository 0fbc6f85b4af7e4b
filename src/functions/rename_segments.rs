//! `rename_segments('m', '0: Champions, 1: Bargain hunters')`: the analyst's names for a saved
//! model's segments, stored in the model (the label segql made is kept beside them) so every
//! label column and listing shows them.
//!
//! ```sql
//! SELECT rename_segments('seg', '0: Champions, 1: At risk');
//! ```

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::error::{arg_err, data_err};
use crate::functions::common::by_address::ByAddress;
use crate::functions::common::{function_doc, udf_identity};
use crate::model::{ModelStore, SegmentModel};

function_doc!("rename_segments");

/// The longest name accepted.
const MAX_NAME: usize = 200;

/// The UDF, renaming segments of models in `store`.
pub fn udf(store: Arc<dyn ModelStore>) -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::from(RenameSegments {
        store: ByAddress(store),
        // Volatile: never evaluated while planning, only when the query runs.
        signature: Signature::exact(vec![DataType::Utf8, DataType::Utf8], Volatility::Volatile),
    }))
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct RenameSegments {
    store: ByAddress<dyn ModelStore>,
    signature: Signature,
}

impl ScalarUDFImpl for RenameSegments {
    udf_identity!(NAME, DOC);

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let text = |i: usize| match args.args.get(i) {
            Some(ColumnarValue::Scalar(ScalarValue::Utf8(Some(v)))) => Some(v.clone()),
            _ => None,
        };
        let (Some(name), Some(names)) = (text(0), text(1)) else {
            return Err(arg_err(
                NAME,
                "expects the model name and the names as string literals, e.g. rename_segments('seg', '0: Champions, 1: At risk')",
            ));
        };
        let pairs = parse_names(&names).map_err(|e| arg_err(NAME, e))?;
        let model = self
            .store
            .load(&name)
            .map_err(|e| data_err(NAME, e.to_string()))?;
        model.expect_segments(NAME).map_err(|e| arg_err(NAME, e))?;
        let mut model = SegmentModel::clone(&model);
        rename(&mut model, &pairs).map_err(|e| arg_err(NAME, e))?;
        self.store
            .save(&model)
            .map_err(|e| data_err(NAME, format!("saving the model: {e}")))?;
        Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(labels(
            &model,
        )))))
    }
}

/// The `(segment, name)` pairs of `'0: Champions, 1: At risk'`; an empty name is `None`.
fn parse_names(text: &str) -> std::result::Result<Vec<(usize, Option<String>)>, String> {
    let mut pairs: Vec<(usize, Option<String>)> = Vec::new();
    for entry in entries(text) {
        let Some((number, name)) = entry.split_once(':') else {
            return Err(format!(
                "'{}' is not 'segment: name'; write e.g. '0: Champions, 1: At risk'",
                entry.trim()
            ));
        };
        let segment: usize = number.trim().parse().map_err(|_| {
            format!(
                "'{}' is not a segment number (0, 1, ...); write e.g. '0: Champions'",
                number.trim()
            )
        })?;
        let name = name.trim();
        if name.chars().count() > MAX_NAME {
            return Err(format!(
                "the name of segment {segment} has {} characters; at most {MAX_NAME}",
                name.chars().count()
            ));
        }
        if pairs.iter().any(|(s, _)| *s == segment) {
            return Err(format!("segment {segment} is named twice"));
        }
        pairs.push((segment, (!name.is_empty()).then(|| name.to_string())));
    }
    if pairs.is_empty() {
        return Err("no names given; write e.g. '0: Champions, 1: At risk'".to_string());
    }
    Ok(pairs)
}

/// The entries of the list: split at each comma that a segment number and a colon follow.
fn entries(text: &str) -> Vec<&str> {
    let starts_entry = |rest: &str| {
        let rest = rest.trim_start();
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        digits > 0 && rest[digits..].trim_start().starts_with(':')
    };
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c == ',' && starts_entry(&text[i + 1..]) {
            out.push(&text[start..i]);
            start = i + 1;
        }
    }
    out.push(&text[start..]);
    out.into_iter().filter(|e| !e.trim().is_empty()).collect()
}

/// Apply the names; a segment number past the model's is an error.
fn rename(
    model: &mut SegmentModel,
    pairs: &[(usize, Option<String>)],
) -> std::result::Result<(), String> {
    let k = model.k();
    if let Some((segment, _)) = pairs.iter().find(|(s, _)| *s >= k) {
        return Err(match k {
            // a DBSCAN model whose every training row was noise
            0 => format!("model '{}' has no segments to name", model.name),
            _ => format!(
                "model '{}' has segments 0 to {}, not {segment}",
                model.name,
                k - 1
            ),
        });
    }
    for (segment, name) in pairs {
        let info = &mut model.segments[*segment];
        match name {
            Some(name) => {
                if info.generated_label.is_none() {
                    info.generated_label = Some(info.label.clone());
                }
                info.label = name.clone();
            }
            None => {
                if let Some(generated) = info.generated_label.take() {
                    info.label = generated;
                }
            }
        }
    }
    Ok(())
}

/// `'0: Champions, 1: At risk'` for the model's labels.
fn labels(model: &SegmentModel) -> String {
    model
        .segments
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{i}: {}", s.label))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_commas_inside_and_empty_names() {
        assert_eq!(
            parse_names("0: Champions, big ones, 1: At risk,2:").unwrap(),
            vec![
                (0, Some("Champions, big ones".to_string())),
                (1, Some("At risk".to_string())),
                (2, None)
            ]
        );
    }

    #[test]
    fn bad_lists_are_errors() {
        assert!(parse_names("").unwrap_err().contains("no names"));
        assert!(
            parse_names("Champions")
                .unwrap_err()
                .contains("segment: name")
        );
        assert!(
            parse_names("x: Champions")
                .unwrap_err()
                .contains("segment number")
        );
        assert!(parse_names("0: a, 0: b").unwrap_err().contains("twice"));
    }
}
