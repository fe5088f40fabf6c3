//! The embedded handlebars templates and the renderer: strict (a variable missing from the
//! data is an error, not an empty string) and without HTML escaping (the output is code).
//!
//! A template's path under `templates/` says where its output goes: the first segment names
//! the step that writes it (`init/`, `api/`, `webhook/`, ...), the rest, with `{{...}}`
//! rendered and `.hbs` dropped, is the path in the project. A step's `insertions.yaml`
//! holds what it inserts into files written before it ([`Insertion`]).

use std::collections::BTreeMap;

use handlebars::Handlebars;
use serde::Serialize;

use super::insertions::{self, Insertion};
use crate::scaffold::error::ScaffoldError;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/templates.rs"));
}

/// The templates compiled into this binary, ready to render, and the steps' insertions.
#[derive(Debug)]
pub struct Templates {
    registry: Handlebars<'static>,
    /// The insertions of each step that has any, by step.
    insertions: BTreeMap<&'static str, Vec<Insertion>>,
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

impl Templates {
    /// Every embedded template, registered under its path, and every step's insertions.
    pub fn new() -> Self {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        for (name, text) in embedded_templates() {
            // The templates are tested: every one compiles (see the tests below).
            if let Err(error) = registry.register_template_string(name, text) {
                unreachable!("template {name} does not compile: {error}");
            }
        }
        let mut insertions = BTreeMap::new();
        for (name, text) in embedded::TEMPLATES {
            let Some(step) = name.strip_suffix(&format!("/{}", insertions::FILE)) else {
                continue;
            };
            // Tested as well: every insertions file parses (see the tests below).
            match Insertion::parse(name, text) {
                Ok(parsed) => insertions.insert(step, parsed),
                Err(error) => unreachable!("{error}"),
            };
        }
        Templates {
            registry,
            insertions,
        }
    }

    /// The names of the templates of a step (`init`, `api`, ...), sorted.
    pub fn step(&self, step: &str) -> Vec<&'static str> {
        let prefix = format!("{step}/");
        embedded_templates()
            .map(|(name, _)| name)
            .filter(|name| name.starts_with(&prefix))
            .collect()
    }

    /// The insertions of a step (`templates/<step>/insertions.yaml`), none when it has no
    /// such file.
    pub fn insertions(&self, step: &str) -> &[Insertion] {
        self.insertions.get(step).map_or(&[], Vec::as_slice)
    }

    /// Renders `template`, a template text that is not a file of its own (a part of an
    /// insertion), with `data`; `name` says where it comes from in errors.
    pub fn render_text(
        &self,
        name: &str,
        template: &str,
        data: &impl Serialize,
    ) -> Result<String, ScaffoldError> {
        self.registry
            .render_template(template, data)
            .map_err(|error| template_error(name, error))
    }

    /// Renders the template `name` with `data`.
    pub fn render(&self, name: &str, data: &impl Serialize) -> Result<String, ScaffoldError> {
        self.registry
            .render(name, data)
            .map_err(|error| template_error(name, error))
    }

    /// The project path a step's template writes: the step segment and `.hbs` dropped,
    /// `{{...}}` rendered with `data`.
    pub fn output_path(&self, name: &str, data: &impl Serialize) -> Result<String, ScaffoldError> {
        let relative = name
            .split_once('/')
            .map_or(name, |(_, rest)| rest)
            .trim_end_matches(".hbs");
        self.registry
            .render_template(relative, data)
            .map_err(|error| template_error(name, error))
    }
}

/// The embedded templates (`*.hbs`), without the insertions files.
fn embedded_templates() -> impl Iterator<Item = (&'static str, &'static str)> {
    embedded::TEMPLATES
        .iter()
        .copied()
        .filter(|(name, _)| name.ends_with(".hbs"))
}

fn template_error(name: &str, error: impl std::fmt::Display) -> ScaffoldError {
    ScaffoldError::Template {
        template: name.to_string(),
        reason: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles_and_sits_in_a_step() {
        let templates = Templates::new();
        assert!(embedded_templates().next().is_some());
        for (name, _) in embedded_templates() {
            assert!(name.contains('/'), "{name} is not under a step directory");
            assert!(templates.registry.has_template(name), "{name}");
        }
    }

    #[test]
    fn every_insertions_file_parses_and_its_templates_compile() {
        let templates = Templates::new();
        let files: Vec<&str> = embedded::TEMPLATES
            .iter()
            .map(|(name, _)| *name)
            .filter(|name| !name.ends_with(".hbs"))
            .collect();
        assert!(!files.is_empty());
        for name in files {
            let (step, file) = name.split_once('/').expect("under a step directory");
            assert_eq!(
                file,
                insertions::FILE,
                "{name}: only templates and insertions"
            );
            let text = embedded::TEMPLATES
                .iter()
                .find(|(file, _)| *file == name)
                .map(|(_, text)| *text)
                .expect("embedded");
            let parsed = Insertion::parse(name, text).expect(name);
            assert!(!parsed.is_empty(), "{name} inserts nothing");
            assert_eq!(templates.insertions(step), parsed, "{name}");
            for insertion in parsed {
                for text in [&insertion.file, &insertion.text] {
                    handlebars::Template::compile(text)
                        .unwrap_or_else(|error| panic!("{name}: {text:?}: {error}"));
                }
            }
        }
    }

    #[test]
    fn rendering_is_strict_and_unescaped() {
        let templates = Templates::new();
        let data = serde_json::json!({"project_name": "a<b>&c"});
        let readme = templates
            .render("init/README.md.hbs", &data)
            .expect("README");
        assert!(readme.starts_with("# a<b>&c\n"), "{readme}");
        let manifest = templates.render("init/Cargo.toml.hbs", &data);
        assert!(
            matches!(manifest, Err(ScaffoldError::Template { .. })),
            "missing variables are errors"
        );
        let path = templates.output_path(
            "api/src/{{dir}}/{{kind}}.rs.hbs",
            &serde_json::json!({"dir": "api/v1", "kind": "a&b"}),
        );
        assert_eq!(path.expect("path"), "src/api/v1/a&b.rs");
    }
}
