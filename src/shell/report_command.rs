//! `\report FILE [MODEL [INPUT]]`: the HTML report from the prompt, of the session's last
//! `kmeans_fit` (remembered from its SQL) or of a named model scored on an input.
//!
//! ```text
//! segql> SELECT * FROM kmeans_fit(rfm(sales), 'auto', model => 'seg');
//! segql> \report seg.html
//! segql> \report other.html seg rfm(new_sales)
//! ```

use std::path::PathBuf;

use datafusion::common::{DataFusionError, Result};

use super::session::ShellSession;
use crate::report::call_text::find_call;
use crate::report::{ReportRequest, report_html, write_report};

/// The arguments of the last `kmeans_fit` call the session ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastFit {
    /// The input relation as written.
    pub input: String,
    /// The k argument as written (`4`, `'auto'`).
    pub k: String,
    /// `seed => N`, if given.
    pub seed: Option<u64>,
    /// `ks => '...'`, if given (unquoted).
    pub ks: Option<String>,
    /// `model => '...'`, if given (unquoted).
    pub model: Option<String>,
    /// The other named options, as written.
    pub options: Vec<String>,
}

impl LastFit {
    /// The `kmeans_fit` call in `statement`, if it has one.
    pub fn from_statement(statement: &str) -> Option<Self> {
        let args = find_call(statement, "kmeans_fit")?;
        let (input, k) = (args.first()?.clone(), args.get(1)?.clone());
        let mut fit = Self {
            input,
            k: unquote(&k),
            seed: None,
            ks: None,
            model: None,
            options: Vec::new(),
        };
        for option in &args[2..] {
            let (name, value) = option.split_once("=>")?;
            match name.trim().to_ascii_lowercase().as_str() {
                "seed" => fit.seed = value.trim().parse().ok(),
                "ks" => fit.ks = Some(unquote(value)),
                "model" => fit.model = Some(unquote(value)),
                _ => fit.options.push(option.clone()),
            }
        }
        Some(fit)
    }

    /// The report of this fit: its saved model scored on its input, or the same fit again.
    fn request(&self) -> ReportRequest {
        let mut request = match &self.model {
            Some(name) => ReportRequest::saved(&self.input, name),
            None => ReportRequest::fit(&self.input, &self.k),
        };
        request.seed = self.seed.unwrap_or(0);
        request.ks = self.ks.clone();
        request.options = self.options.join(", ");
        request
    }
}

fn unquote(text: &str) -> String {
    let t = text.trim();
    t.strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .map_or_else(|| t.to_string(), |t| t.replace("''", "'"))
}

/// What `\report ARGUMENTS` asks for: the file and the request.
pub fn parse(arguments: &str, last: Option<&LastFit>) -> Result<(PathBuf, ReportRequest)> {
    let usage = "\\report FILE (the last kmeans_fit), or \\report FILE MODEL [INPUT], e.g. \
                 \\report seg.html seg rfm(sales)";
    let mut words = arguments.trim().splitn(3, char::is_whitespace);
    let file = words
        .next()
        .filter(|f| !f.is_empty())
        .ok_or_else(|| DataFusionError::Plan(format!("\\report needs a file: {usage}")))?;
    let request = match (words.next(), words.next().map(str::trim)) {
        (None, _) => last
            .map(LastFit::request)
            .ok_or_else(|| DataFusionError::Plan(format!("no kmeans_fit has run yet: {usage}")))?,
        (Some(model), Some(input)) if !input.is_empty() => ReportRequest::saved(input, model),
        (Some(model), _) => match last.filter(|l| l.model.as_deref() == Some(model)) {
            Some(fit) => ReportRequest::saved(&fit.input, model),
            None => {
                return Err(DataFusionError::Plan(format!(
                    "say which rows to score with model '{model}': \\report {file} {model} rfm(sales)"
                )));
            }
        },
    };
    Ok((PathBuf::from(file), request))
}

/// Run `\report ARGUMENTS` in `session`.
pub async fn run(session: &ShellSession, arguments: &str) -> Result<()> {
    let last = session.last_fit();
    let (path, request) = parse(arguments, last.as_ref())?;
    crate::report::check_output(&path)?;
    let started = std::time::Instant::now();
    let html = report_html(&session.ctx, &session.store, &request).await?;
    write_report(&path, &html)?;
    println!(
        "Wrote {} ({} KiB) in {:.1} s.",
        path.display(),
        html.len().div_ceil(1024),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ModelSource;

    #[test]
    fn the_last_fit_is_read_from_its_statement() {
        let fit = LastFit::from_statement(
            "SELECT * FROM kmeans_fit(rfm(sales), 'auto', seed => 7, ks => '2..6', \
             transform => 'none', model => 'seg')",
        )
        .unwrap();
        assert_eq!(fit.input, "rfm(sales)");
        assert_eq!(fit.k, "auto");
        assert_eq!(fit.seed, Some(7));
        assert_eq!(fit.ks.as_deref(), Some("2..6"));
        assert_eq!(fit.model.as_deref(), Some("seg"));
        assert_eq!(fit.options, vec!["transform => 'none'".to_string()]);
        assert!(LastFit::from_statement("SELECT 1").is_none());
    }

    #[test]
    fn report_arguments_name_a_file_a_model_and_an_input() {
        let fit = LastFit::from_statement("SELECT * FROM kmeans_fit(customers, 3)").unwrap();
        let (path, request) = parse("out.html", Some(&fit)).unwrap();
        assert_eq!(path, PathBuf::from("out.html"));
        assert_eq!(request.model, ModelSource::Fit { k: "3".into() });
        assert_eq!(request.input, "customers");
        let (_, request) = parse("a.html seg rfm(new sales)", None).unwrap();
        assert_eq!(request.model, ModelSource::Saved("seg".into()));
        assert_eq!(request.input, "rfm(new sales)");
        let err = parse("a.html seg", None).unwrap_err().to_string();
        assert!(err.contains("\\report a.html seg rfm(sales)"), "{err}");
        assert!(parse("", Some(&fit)).is_err());
        assert!(
            parse("a.html", None)
                .unwrap_err()
                .to_string()
                .contains("no kmeans_fit")
        );
    }
}
