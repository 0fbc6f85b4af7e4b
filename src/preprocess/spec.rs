//! `transform => 'log'` or `transform => 'recency_days: boxcox, monetary: cbrt'`: one transform
//! for every feature, or a transform per feature with an optional default for the rest.

use super::transform::TransformKind;

/// The transforms a fit asks for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TransformSpec {
    /// For features the map does not name.
    pub default: TransformKind,
    /// `feature: transform` entries, in the order given.
    pub by_feature: Vec<(String, TransformKind)>,
}

/// Why a transform text does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// A word that is not a transform.
    #[error("'{word}' is not a transform{}; use one of {}", for_feature(.feature), TransformKind::CHOICES.join(", "))]
    Unknown {
        /// The word.
        word: String,
        /// The feature it was given for, if any.
        feature: Option<String>,
    },
    /// An entry without a feature name before its colon.
    #[error("'{0}' has no feature name before the colon; write it as 'monetary: cbrt'")]
    NoName(String),
    /// A feature named twice.
    #[error("feature '{0}' is given a transform twice")]
    Twice(String),
    /// More than one entry without a feature name.
    #[error(
        "only one transform may go without a feature name (the default for the rest), got '{0}' and '{1}'"
    )]
    TwoDefaults(String, String),
}

fn for_feature(feature: &Option<String>) -> String {
    feature
        .as_ref()
        .map_or_else(String::new, |f| format!(" (for {f})"))
}

impl TransformSpec {
    /// The same transform for every feature.
    pub fn all(kind: TransformKind) -> Self {
        Self {
            default: kind,
            by_feature: Vec::new(),
        }
    }

    /// Parse `'log'`, `'a: boxcox, b: cbrt'` or `'log, b: cbrt'` (a default and exceptions).
    pub fn parse(text: &str) -> Result<Self, SpecError> {
        let mut default: Option<(String, TransformKind)> = None;
        let mut by_feature: Vec<(String, TransformKind)> = Vec::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (feature, word) = match entry.split_once(':') {
                Some((name, word)) => (Some(name.trim()), word.trim()),
                None => (None, entry),
            };
            let kind = TransformKind::parse(word).ok_or_else(|| SpecError::Unknown {
                word: word.to_string(),
                feature: feature.map(str::to_string),
            })?;
            match feature {
                Some("") => return Err(SpecError::NoName(entry.to_string())),
                Some(name) => {
                    if by_feature.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
                        return Err(SpecError::Twice(name.to_string()));
                    }
                    by_feature.push((name.to_string(), kind));
                }
                None => {
                    if let Some((first, _)) = &default {
                        return Err(SpecError::TwoDefaults(first.clone(), entry.to_string()));
                    }
                    default = Some((entry.to_string(), kind));
                }
            }
        }
        if default.is_none() && by_feature.is_empty() {
            return Err(SpecError::Unknown {
                word: text.to_string(),
                feature: None,
            });
        }
        Ok(Self {
            default: default.map_or(TransformKind::Auto, |(_, kind)| kind),
            by_feature,
        })
    }

    /// The transform for `feature` (names compare without case, as SQL identifiers do).
    pub fn kind_for(&self, feature: &str) -> TransformKind {
        self.by_feature
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(feature))
            .map_or(self.default, |(_, kind)| *kind)
    }

    /// The first name in the map that is not one of `features`.
    pub fn unknown_feature(&self, features: &[String]) -> Option<&str> {
        self.by_feature
            .iter()
            .map(|(name, _)| name.as_str())
            .find(|name| !features.iter().any(|f| f.eq_ignore_ascii_case(name)))
    }

    /// The canonical text, which [`Self::parse`] reads back: `auto`, or the map with the
    /// default first when it is not `auto`.
    pub fn text(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if self.by_feature.is_empty() || self.default != TransformKind::Auto {
            parts.push(self.default.name().to_string());
        }
        parts.extend(
            self.by_feature
                .iter()
                .map(|(name, kind)| format!("{name}: {}", kind.name())),
        );
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_word_maps_and_defaults_parse() {
        assert_eq!(
            TransformSpec::parse("log").unwrap(),
            TransformSpec::all(TransformKind::Log)
        );
        let spec = TransformSpec::parse(" recency_days: boxcox , Monetary : cbrt").unwrap();
        assert_eq!(spec.default, TransformKind::Auto);
        assert_eq!(spec.kind_for("recency_days"), TransformKind::BoxCox);
        assert_eq!(spec.kind_for("monetary"), TransformKind::Cbrt);
        assert_eq!(spec.kind_for("frequency"), TransformKind::Auto);
        assert_eq!(spec.text(), "recency_days: boxcox, Monetary: cbrt");
        let spec = TransformSpec::parse("none, monetary: yeo-johnson").unwrap();
        assert_eq!(spec.kind_for("frequency"), TransformKind::None);
        assert_eq!(spec.text(), "none, monetary: yeojohnson");
        assert_eq!(TransformSpec::parse(&spec.text()).unwrap(), spec);
        assert_eq!(
            spec.unknown_feature(&["recency_days".into()]),
            Some("monetary")
        );
        assert_eq!(spec.unknown_feature(&["MONETARY".into()]), None);
    }

    #[test]
    fn bad_texts_say_what_is_wrong() {
        let err = TransformSpec::parse("monetary: cube").unwrap_err();
        assert_eq!(
            err.to_string(),
            "'cube' is not a transform (for monetary); use one of auto, none, log, log1p, sqrt, cbrt, boxcox, yeojohnson"
        );
        assert!(matches!(
            TransformSpec::parse("a: log, A: sqrt"),
            Err(SpecError::Twice(_))
        ));
        assert!(matches!(
            TransformSpec::parse("log, sqrt"),
            Err(SpecError::TwoDefaults(..))
        ));
        assert!(matches!(
            TransformSpec::parse(": log"),
            Err(SpecError::NoName(_))
        ));
        assert!(matches!(
            TransformSpec::parse(" , "),
            Err(SpecError::Unknown { .. })
        ));
    }
}
