//! The project's end-to-end suite (`test/e2e`, written by `init`) as `create api` and `create
//! webhook` extend it: a sample of each reconciled Kind that must become `Ready`
//! (`test/e2e/samples.rs`), and an object of each version with webhooks that must be admitted
//! or converted through the webhook Service (`test/e2e/webhooks.rs`). The suite is the user's
//! test code: one without its module marker (deleted, or scaffolded before it had one) is left
//! alone.

use std::path::Path;

use serde::Serialize;

use crate::scaffold::engine::plan::{Mode, Plan};
use crate::scaffold::error::ScaffoldError;
use crate::scaffold::model::vars::ResourceVars;

/// The suite's crate root, where its modules are declared.
const MAIN: &str = "test/e2e/main.rs";

/// The marker of the suite's module declarations.
const MODULES: &str = "e2e-modules";

/// Adds the sample of the Kind of `vars` (at its version) to the samples the suite expects
/// to be reconciled to `Ready`.
pub fn add_sample(plan: &mut Plan<'_>, vars: &ResourceVars) -> Result<(), ScaffoldError> {
    let line = format!(
        "reconciled::<{}>(&cluster, \"{}-sample\").await?;",
        type_path(vars, &vars.version),
        vars.kind_lower
    );
    add(plan, vars, "e2e-samples", "samples", &[line])
}

/// Adds an object of the Kind of `vars` at each of `versions` (those whose webhooks admit or
/// convert it) to the objects the suite applies through the webhooks.
pub fn add_webhook_objects(
    plan: &mut Plan<'_>,
    vars: &ResourceVars,
    versions: &[String],
) -> Result<(), ScaffoldError> {
    let lines: Vec<String> = versions
        .iter()
        .map(|version| {
            format!(
                "admitted::<{}>(&cluster, \"{}-{version}\").await?;",
                type_path(vars, version),
                vars.kind_lower
            )
        })
        .collect();
    add(plan, vars, "e2e-webhooks", "webhooks", &lines)
}

/// Writes the suite's module `module` (the template step `step`) unless it exists, declares
/// it, and inserts `lines` at its marker `step`.
fn add(
    plan: &mut Plan<'_>,
    data: &impl Serialize,
    step: &str,
    module: &str,
    lines: &[String],
) -> Result<(), ScaffoldError> {
    if !plan.changes.has_marker(Path::new(MAIN), MODULES)? {
        return Ok(());
    }
    plan.step(step, data, Mode::Once)?;
    plan.changes
        .insert_sorted(MAIN, MODULES, &format!("mod {module};"))?;
    let file = format!("test/e2e/{module}.rs");
    for line in lines {
        plan.changes.insert(file.as_str(), step, line)?;
    }
    Ok(())
}

/// The Rust path of the Kind of `vars` at `version`, from the suite (which imports the
/// project's `api` module).
fn type_path(vars: &ResourceVars, version: &str) -> String {
    format!(
        "api::{}{version}::{}::{}",
        vars.group_module, vars.kind_lower, vars.kind
    )
}
