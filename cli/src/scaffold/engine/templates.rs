//! The embedded handlebars templates and the renderer: strict (a variable missing from the
//! data is an error, not an empty string) and without HTML escaping (the output is code).
//!
//! A template's path under `templates/` says where its output goes: the first segment names
//! the step that writes it (`init/`, `api/`, `webhook/`, ...), the rest, with `{{...}}`
//! rendered and `.hbs` dropped, is the path in the project.

use handlebars::Handlebars;
use serde::Serialize;

use crate::scaffold::error::ScaffoldError;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/templates.rs"));
}

/// The templates compiled into this binary, ready to render.
#[derive(Debug)]
pub struct Templates {
    registry: Handlebars<'static>,
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

impl Templates {
    /// Every embedded template, registered under its path.
    pub fn new() -> Self {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        for (name, text) in embedded::TEMPLATES {
            // The templates are tested: every one compiles (see the tests below).
            if let Err(error) = registry.register_template_string(name, *text) {
                unreachable!("template {name} does not compile: {error}");
            }
        }
        Templates { registry }
    }

    /// The names of the templates of a step (`init`, `api`, ...), sorted.
    pub fn step(&self, step: &str) -> Vec<&'static str> {
        let prefix = format!("{step}/");
        embedded::TEMPLATES
            .iter()
            .map(|(name, _)| *name)
            .filter(|name| name.starts_with(&prefix))
            .collect()
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
        assert!(!embedded::TEMPLATES.is_empty());
        for (name, _) in embedded::TEMPLATES {
            assert!(name.contains('/'), "{name} is not under a step directory");
            assert!(templates.registry.has_template(name), "{name}");
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
