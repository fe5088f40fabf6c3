//! Insertions: what a step adds to files written before it, at their
//! `+kubesmith:scaffold:<marker>` lines, declared as data beside the step's templates in
//! `templates/<step>/insertions.yaml` (kubebuilder keeps its inserters beside its templates
//! the same way). Each entry names the file and the marker, the text to insert and when it
//! applies; `file` and `text` are handlebars templates rendered with the step's data:
//!
//! ```yaml
//! - file: config/samples/kustomization.yaml
//!   marker: samples
//!   text: "- {{group}}_{{version}}_{{kind_lower}}.yaml"
//! - file: src/lib.rs
//!   marker: modules
//!   sorted: true     # one line, in version order among the lines above the marker
//!   text: pub mod webhook;
//! - file: src/webhook/mod.rs
//!   marker: certificates
//!   text: .conversion_crd("{{plural}}.{{qualified_group}}")
//!   when: [conversion, self_managed_certificates]   # fields of the data: all true ("!x": x false)
//! ```
//!
//! An insertion is made once: text already at the marker is not added again, so a step can
//! run for every Kind.
//!
//! ```
//! use kubesmith_cli::scaffold::engine::insertions::Insertion;
//!
//! let insertions = Insertion::parse("api/insertions.yaml", "- {file: a, marker: b, text: c, when: ['!x']}")?;
//! let data = serde_json::json!({"x": false});
//! assert!(insertions[0].applies(&data)?);
//! # Ok::<(), kubesmith_cli::scaffold::error::ScaffoldError>(())
//! ```

use serde::Deserialize;
use serde_json::Value;

use crate::scaffold::error::ScaffoldError;

/// The name of a step's insertions file, beside its templates.
pub const FILE: &str = "insertions.yaml";

/// One insertion of a step.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Insertion {
    /// The file, relative to the project (a template).
    pub file: String,
    /// The marker's name: the file's line holding `+kubesmith:scaffold:<marker>`.
    pub marker: String,
    /// What is inserted before the marker, indented like it (a template).
    pub text: String,
    /// A single line placed in version order among the lines directly above the marker
    /// (`mod` declarations), instead of directly above it.
    #[serde(default)]
    pub sorted: bool,
    /// Fields of the step's data that must all be true (`!field`: false); always when empty.
    #[serde(default)]
    pub when: Vec<String>,
}

impl Insertion {
    /// The insertions of the `insertions.yaml` named `name`.
    pub fn parse(name: &str, text: &str) -> Result<Vec<Insertion>, ScaffoldError> {
        serde_saphyr::from_str(text).map_err(|error| ScaffoldError::Template {
            template: name.to_string(),
            reason: error.to_string(),
        })
    }

    /// Whether the insertion applies to a step run with `data`; a condition naming a field
    /// the data does not have is an error (a misspelt condition would otherwise never hold).
    pub fn applies(&self, data: &Value) -> Result<bool, ScaffoldError> {
        for condition in &self.when {
            let (wanted, field) = match condition.strip_prefix('!') {
                Some(field) => (false, field),
                None => (true, condition.as_str()),
            };
            let value = data.get(field).ok_or_else(|| ScaffoldError::Template {
                template: FILE.to_string(),
                reason: format!(
                    "the condition {condition:?} of the insertion into {} names no field of the step's data",
                    self.file
                ),
            })?;
            if truthy(value) != wanted {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// Handlebars' truth: false, null, 0, "" and empty lists are false.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|n| n != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(when: &[&str]) -> Insertion {
        Insertion {
            file: "f".into(),
            marker: "m".into(),
            text: "t".into(),
            sorted: false,
            when: when.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn conditions_must_all_hold() {
        let data = json!({"yes": true, "no": false, "list": [], "name": "x"});
        assert!(one(&[]).applies(&data).expect("applies"));
        assert!(
            one(&["yes", "!no", "name", "!list"])
                .applies(&data)
                .expect("applies")
        );
        assert!(!one(&["yes", "no"]).applies(&data).expect("applies"));
        assert!(!one(&["!yes"]).applies(&data).expect("applies"));
    }

    #[test]
    fn a_condition_on_a_missing_field_is_an_error() {
        let error = one(&["misspelt"]).applies(&json!({})).expect_err("refused");
        assert!(error.to_string().contains("misspelt"), "{error}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(Insertion::parse(FILE, "- {file: a, marker: b, text: c}").is_ok());
        assert!(Insertion::parse(FILE, "- {file: a, marker: b, txt: c}").is_err());
    }
}
