//! PCA as a saved model: the prepared features' principal components, with the same recorded
//! preprocessing as a K-Means model, so `pca_project('p', input)` repeats it exactly.

use super::train::{PreparedData, TrainOptions, empty_model};
use super::{ModelKind, SegmentModel};
use crate::pca::{Pca, PcaError};

/// A PCA model named `name` with `components` components of the prepared data.
pub fn train_pca(
    name: &str,
    prepared: &PreparedData,
    options: &TrainOptions,
    components: usize,
) -> Result<SegmentModel, PcaError> {
    let pca = Pca::fit(prepared.x.view(), components)?;
    let mut model = empty_model(name, prepared, options);
    model.options.k = components;
    model.kind = ModelKind::Pca;
    model.pca = Some(pca);
    Ok(model)
}

impl SegmentModel {
    /// A raw row's coordinates on a PCA model's components (`None` for other models).
    pub fn principal_coordinates(&self, raw: &[f64]) -> Option<Vec<f64>> {
        let pca = self.pca.as_ref()?;
        let prepared: Vec<f64> = self
            .features
            .iter()
            .zip(raw)
            .map(|(f, &x)| f.prepare(x))
            .collect();
        Some(pca.project(&prepared))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FeatureData, prepare};

    #[test]
    fn a_saved_pca_projects_raw_rows_as_it_was_fitted() {
        let data = FeatureData {
            names: vec!["a".into(), "b".into()],
            columns: vec![vec![1.0, 2.0, 3.0, 4.0], vec![2.0, 4.1, 5.9, 8.0]],
            skipped_rows: 0,
            nulls: Vec::new(),
        };
        let options = TrainOptions::new(1).without_preprocessing();
        let prepared = prepare(data, &options).unwrap();
        let model = train_pca("p", &prepared, &options, 2).unwrap();
        assert_eq!(model.kind, ModelKind::Pca);
        assert!(model.validate().is_ok(), "{:?}", model.validate());
        let pca = model.pca.as_ref().unwrap();
        let direct = pca.project(&[4.0, 8.0]);
        assert_eq!(model.principal_coordinates(&[4.0, 8.0]).unwrap(), direct);
        let text = serde_json::to_string(&model).unwrap();
        let back: SegmentModel = serde_json::from_str(&text).unwrap();
        assert_eq!(back, model);
    }
}
