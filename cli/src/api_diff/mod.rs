//! `kubesmith api diff`: the breaking-change report of a project's CRDs against a baseline.
//!
//! The baseline is a git ref of the project's repository (`origin/main`, a release tag) or a
//! directory of CRD files. Every CRD is compared with the baseline's CRD of the same
//! `metadata.name`, version by version, and each change is classified breaking (a request, a
//! stored object or a client that worked may fail or lose data) or safe. With `--check` the
//! command fails when a breaking change is not recorded as intentional, on the command line or
//! in [`ALLOW_FILE`].
//!
//! | module | concept |
//! |---|---|
//! | `baseline` | [`CrdSet`], the CRDs of files, and [`Baseline`], where the old ones come from |
//! | `git` | reading files of a commit, for a project anywhere in its repository |
//! | [`schema`] | an `openAPIV3Schema` flattened into JSON paths (`spec.containers[*].name`) |
//! | `classify` | the rules: what a change of a schema keyword means |
//! | `crd` | [`diff`]: Kinds, versions, serving, storage, scope, then each schema |
//! | `allow` | [`AllowEntry`], `KIND:VERSION:PATH` with `*` globs |
//! | `report` | [`Report`], grouped by Kind and version, with the summary line |

mod allow;
mod baseline;
mod change;
mod classify;
mod crd;
mod error;
mod git;
mod report;
pub mod schema;
#[cfg(test)]
mod tests;

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

pub use allow::{ALLOW_FILE, AllowEntry, read_allow_file};
pub use baseline::{Baseline, CrdSet};
pub use change::{ALL_VERSIONS, Change, Severity};
pub use crd::diff;
pub use error::ApiDiffError;
pub use report::Report;

/// The CRD directory of a project, where `make manifests` writes.
pub const CRD_DIR: &str = "config/crd/bases";

/// Commands about the project's APIs.
#[derive(Debug, Subcommand)]
pub enum ApiCommand {
    /// Report every change of the project's CRDs against a baseline, breaking or safe.
    Diff(DiffArgs),
}

/// Arguments of `api diff`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  kubesmith api diff origin/main\n  kubesmith api diff v1.2.0 --check\n  kubesmith api diff HEAD --check --allow CronJob:v1:spec.schedule --allow 'CronJob:v1beta1:*'\n  kubesmith api diff ./released-crds --crds deploy/crds\n\nBreaking: removed fields, versions and Kinds; type, format, scope and storage version\nchanges; new required fields; tightened validation (bounds, patterns, enums, new CEL rules);\nchanged or removed defaults; changed list and map types. Paths that are not fields name a\nproperty of the CRD: @kind, @scope, @version, @served, @storage, @subresources.status.\nIntentional breaks are listed in hack/api-breaks-allowed.txt, one KIND:VERSION:PATH a line."
)]
pub struct DiffArgs {
    /// The baseline: a git ref of the project's repository (origin/main, v1.2.0, HEAD) or a
    /// directory of CRD YAML files.
    pub base: String,
    /// Fail (exit code 1) when a breaking change is not allowed.
    #[arg(long)]
    pub check: bool,
    /// Allow a breaking change, KIND:VERSION:PATH with `*` matching any text; repeatable.
    #[arg(long, value_name = "KIND:VERSION:PATH")]
    pub allow: Vec<AllowEntry>,
    /// The directory of the project's CRDs (relative to the project); at a git ref, the same
    /// directory of that commit is the baseline.
    #[arg(long, value_name = "DIR", default_value = CRD_DIR)]
    pub crds: PathBuf,
}

impl ApiCommand {
    /// Runs the command on the project in `dir`: the report goes to `out`, warnings to
    /// `progress`.
    ///
    /// ```no_run
    /// use clap::Parser;
    /// use kubesmith_cli::command::Cli;
    ///
    /// let cli = Cli::parse_from(["kubesmith", "api", "diff", "origin/main", "--check"]);
    /// cli.run_in(std::path::Path::new("my-operator"), &mut std::io::stdout(), &mut std::io::stderr())?;
    /// # Ok::<(), kubesmith_cli::Error>(())
    /// ```
    pub fn run(
        &self,
        dir: &Path,
        out: &mut dyn Write,
        progress: &mut dyn Write,
    ) -> Result<(), crate::Error> {
        match self {
            ApiCommand::Diff(args) => args.run(dir, out, progress),
        }
    }
}

impl DiffArgs {
    fn run(
        &self,
        dir: &Path,
        out: &mut dyn Write,
        progress: &mut dyn Write,
    ) -> Result<(), crate::Error> {
        let crds = dir.join(&self.crds);
        if !crds.is_dir() {
            return Err(ApiDiffError::NoCrds(crds).into());
        }
        let baseline = Baseline::resolve(&self.base, dir)?;
        let old = baseline.load(dir, &self.crds)?;
        let new = CrdSet::from_dir(&crds)?;
        let mut allowed = self.allow.clone();
        allowed.extend(read_allow_file(&dir.join(ALLOW_FILE))?);

        let report = Report::new(diff(&old, &new), &allowed);
        report.render(out, &self.base)?;
        for entry in report.unused(&allowed) {
            writeln!(
                progress,
                "warning: the allowed break {entry} matches no breaking change; remove it when it is stale"
            )?;
        }
        if self.check && report.not_allowed() > 0 {
            return Err(ApiDiffError::BreakingChanges {
                count: report.not_allowed(),
                base: self.base.clone(),
                allow_file: ALLOW_FILE,
            }
            .into());
        }
        Ok(())
    }
}
