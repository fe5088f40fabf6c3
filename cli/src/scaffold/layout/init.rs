//! `kubesmith init`: a new project — Cargo manifest, PROJECT, Makefile, Dockerfile, the
//! manager's `main`, the manifests generator and the kustomize `config/` tree.

use std::collections::BTreeMap;
use std::path::Path;

use crate::scaffold::engine::changes::Applied;
use crate::scaffold::engine::plan::{self, Mode, Plan};
use crate::scaffold::engine::templates::Templates;
use crate::scaffold::error::ScaffoldError;
use crate::scaffold::model::names;
use crate::scaffold::model::project::{LAYOUT, PROJECT_FILE, Project, WebhookCertificates};
use crate::scaffold::model::vars::{Dependency, KUBESMITH_VERSION, ProjectVars};
use crate::scaffold::plugins;

/// What `init` scaffolds.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The domain API groups are qualified with.
    pub domain: String,
    /// The project name (default: the directory's name).
    pub project_name: Option<String>,
    /// The copyright owner of the license header.
    pub owner: Option<String>,
    /// `apache2` (a license header on every Rust file) or `none`.
    pub license: String,
    /// The manager watches only its own namespace, with a Role instead of a ClusterRole.
    pub namespaced: bool,
    /// APIs live in one module per group.
    pub multigroup: bool,
    /// Where the webhook serving certificate comes from.
    pub webhook_certificates: WebhookCertificates,
    /// Where the kubesmith crate comes from.
    pub dependency: Dependency,
    /// The year of the license header (default: `SOURCE_DATE_EPOCH`'s, else this year's).
    pub year: Option<i32>,
    /// The license header text to use as it is, instead of rendering one (what `alpha
    /// generate` takes over from the project it re-creates).
    pub boilerplate: Option<String>,
    /// The plugins to use beyond the base layout, by key, with their settings (see
    /// [`plugins::selected`]).
    pub plugins: BTreeMap<String, serde_json::Value>,
    /// Overwrite files that exist (never PROJECT, Makefile or src/main.rs).
    pub force: bool,
}

/// The files whose presence means a project is here already.
const PROJECT_MARKERS: &[&str] = &[PROJECT_FILE, "Makefile", "src/main.rs"];

/// Scaffolds a new project in `dir`: every file or none.
pub fn init(
    dir: &Path,
    options: &InitOptions,
    templates: &Templates,
) -> Result<Applied, ScaffoldError> {
    for marker in PROJECT_MARKERS {
        if dir.join(marker).exists() {
            return Err(ScaffoldError::AlreadyInitialized(dir.join(marker)));
        }
    }
    let project_name = match &options.project_name {
        Some(name) => name.clone(),
        None => directory_name(dir)?,
    };
    names::check_project_name(&project_name)?;
    names::check_domain(&options.domain)?;
    let owner = options
        .owner
        .clone()
        .unwrap_or_else(|| format!("The {project_name} Authors"));
    if !["apache2", "none", CUSTOM_LICENSE].contains(&options.license.as_str()) {
        return Err(ScaffoldError::InvalidName {
            what: "license".into(),
            value: options.license.clone(),
            expected: "apache2, none or custom (with --license-file)".into(),
        });
    }
    if options.license == CUSTOM_LICENSE && options.boilerplate.is_none() {
        return Err(ScaffoldError::Usage(
            "a custom license needs its header: pass --license-file <file>".into(),
        ));
    }
    let project = Project {
        cli_version: KUBESMITH_VERSION.to_string(),
        domain: options.domain.clone(),
        layout: vec![LAYOUT.to_string()],
        multigroup: options.multigroup,
        namespaced: options.namespaced,
        project_name,
        owner: options.owner.clone().unwrap_or_default(),
        license: options.license.clone(),
        webhook_certificates: options.webhook_certificates,
        plugins: options.plugins.clone(),
        resources: Vec::new(),
        version: "3".to_string(),
    };
    project.check_options()?;

    let mut plan = Plan::new(dir, options.force, templates);
    let mut header = String::new();
    if options.license != "none" {
        match &options.boilerplate {
            Some(text) => plan.changes.create(plan::BOILERPLATE, text.clone())?,
            None => {
                let year = options.year.unwrap_or_else(current_year);
                let data = serde_json::json!({"year": year, "owner": owner});
                plan.step("license", &data, Mode::Create)?;
            }
        }
        header = plan::comment(
            &plan
                .changes
                .current(Path::new(plan::BOILERPLATE))?
                .unwrap_or_default(),
        );
    }
    let vars = ProjectVars::new(&project, &header, &options.dependency);
    plan.step("init", &vars, Mode::Create)?;
    plugins::scaffold_all(&mut plan, &project, &vars)?;
    plan.changes.create(PROJECT_FILE, project.render()?)?;
    plan.apply()
}

/// The name of `dir` (made absolute), as the default project name.
fn directory_name(dir: &Path) -> Result<String, ScaffoldError> {
    let absolute = std::path::absolute(dir).map_err(|source| ScaffoldError::Io {
        action: "resolving",
        path: dir.to_path_buf(),
        source,
    })?;
    absolute
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .ok_or_else(|| {
            ScaffoldError::Usage(format!(
                "{} has no name to take the project name from; pass --project-name",
                absolute.display()
            ))
        })
}

/// The `license` of a project whose header comes from `init --license-file`.
pub const CUSTOM_LICENSE: &str = "custom";

/// The header of `init --license-file`: the file's text, `YEAR` in it replaced by `year`
/// (controller-gen's `headerFile` convention). An empty file is refused.
pub fn license_file_header(path: &Path, year: Option<i32>) -> Result<String, ScaffoldError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScaffoldError::Io {
        action: "reading",
        path: path.to_path_buf(),
        source,
    })?;
    if text.trim().is_empty() {
        return Err(ScaffoldError::Usage(format!(
            "{} is empty; a license file holds the header to put on every Rust file",
            path.display()
        )));
    }
    let year = year.unwrap_or_else(current_year).to_string();
    let mut header = text.replace("YEAR", &year);
    if !header.ends_with('\n') {
        header.push('\n');
    }
    Ok(header)
}

/// The year of `SOURCE_DATE_EPOCH` when set (reproducible builds), else of the clock.
fn current_year() -> i32 {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|value| value.parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |elapsed| {
                    i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
                })
        });
    year_of(seconds)
}

/// The proleptic Gregorian year of a Unix time.
fn year_of(seconds: i64) -> i32 {
    // Days since 1970-01-01, then the civil-from-days algorithm (H. Hinnant).
    let days = seconds.div_euclid(86_400) + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let year = year_of_era + era * 400 + i64::from(month_index >= 10);
    i32::try_from(year).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Makefile and Dockerfile `init` writes with kubesmith from `dependency`.
    fn build_files(dependency: Dependency) -> (String, String) {
        let dir = tempfile::tempdir().expect("a directory");
        let options = InitOptions {
            domain: "example.com".into(),
            project_name: Some("guestbook".into()),
            owner: None,
            license: "none".into(),
            namespaced: false,
            multigroup: false,
            dependency,
            year: Some(2026),
            boilerplate: None,
            plugins: BTreeMap::new(),
            webhook_certificates: WebhookCertificates::CertManager,
            force: false,
        };
        init(dir.path(), &options, &Templates::new()).expect("a project");
        let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).expect(name);
        (read("Makefile"), read("Dockerfile"))
    }

    #[test]
    fn a_path_dependency_is_mounted_into_the_image_build_and_a_registry_one_is_not() {
        let (makefile, dockerfile) = build_files(Dependency::Path("/src/kubesmith/".into()));
        assert!(
            makefile.contains("KUBESMITH_PATH ?= /src/kubesmith\n"),
            "{makefile}"
        );
        assert!(
            makefile.contains("--build-context kubesmith=$(KUBESMITH_PATH) --build-arg KUBESMITH_PATH=$(KUBESMITH_PATH)"),
            "{makefile}"
        );
        assert!(
            dockerfile.contains("--mount=type=bind,from=kubesmith,target=${KUBESMITH_PATH}"),
            "{dockerfile}"
        );

        let (makefile, dockerfile) = build_files(Dependency::Registry);
        assert!(!makefile.contains("KUBESMITH_PATH"), "{makefile}");
        assert!(!dockerfile.contains("KUBESMITH_PATH"), "{dockerfile}");
        assert!(!dockerfile.contains("from=kubesmith"), "{dockerfile}");
    }

    #[test]
    fn years_of_unix_times() {
        assert_eq!(year_of(0), 1970);
        assert_eq!(year_of(1_798_761_599), 2026); // 2026-12-31T23:59:59Z
        assert_eq!(year_of(1_798_761_600), 2027);
        assert_eq!(year_of(951_782_400), 2000); // 2000-02-29
    }
}
