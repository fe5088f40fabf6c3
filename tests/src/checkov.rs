//! checkov (PyPI), the infrastructure-as-code scanner the tests run on rendered manifests:
//! installed once per machine into a Python virtual environment in the cache, at a pinned
//! version so that the set of findings a test expects changes only when the pin does.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;

use crate::go_tool::run;
use crate::machine::{MachineLock, cache_dir};
use crate::prerequisite::{Missing, find_program};

/// The checkov release the tests run.
pub const VERSION: &str = "3.3.30";

/// A failed check: its id (`CKV_K8S_38`) and the resource it failed on
/// (`Deployment.<namespace>.<name>`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// The check's id.
    pub check: String,
    /// The resource, as checkov names it.
    pub resource: String,
}

/// A Python 3 that can make virtual environments.
pub fn python() -> Result<PathBuf, Missing> {
    find_program("python3")
        .filter(|python| {
            Command::new(python)
                .args(["-c", "import venv, ensurepip"])
                .output()
                .is_ok_and(|output| output.status.success())
        })
        .ok_or_else(|| {
            Missing::new(
                "python3 with venv",
                "install Python 3 with its venv module (Debian: apt-get install python3-venv)",
            )
        })
}

/// The checkov command, installed with `python` into `<cache>/checkov-<version>` first when
/// missing. Concurrent callers wait for one installation.
pub fn install(python: &Path) -> anyhow::Result<PathBuf> {
    let dir = cache_dir().join(format!("checkov-{VERSION}"));
    let checkov = dir.join("bin/checkov");
    // Written last: a virtual environment without it is a failed installation.
    let installed = dir.join("installed");
    if installed.is_file() {
        return Ok(checkov);
    }
    let _lock = MachineLock::acquire(&format!("checkov-{VERSION}"))?;
    if installed.is_file() {
        return Ok(checkov);
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    // Made in place: a virtual environment's scripts name its interpreter by path.
    run(Command::new(python).args(["-m", "venv"]).arg(&dir))?;
    run(Command::new(dir.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .arg(format!("checkov=={VERSION}")))
    .context("installing checkov from PyPI")?;
    std::fs::write(&installed, VERSION)?;
    Ok(checkov)
}

/// The failed Kubernetes checks of the manifests in the file `manifests`.
pub fn scan(checkov: &Path, manifests: &Path) -> anyhow::Result<BTreeSet<Finding>> {
    let output = Command::new(checkov)
        .args([
            "--framework",
            "kubernetes",
            "--output",
            "json",
            "--compact",
            "--quiet",
        ])
        .args(["--soft-fail", "--skip-download"])
        .arg("--file")
        .arg(manifests)
        .output()
        .context("running checkov")?;
    anyhow::ensure!(
        output.status.success(),
        "checkov failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    findings(&String::from_utf8_lossy(&output.stdout))
}

/// The failed checks of checkov's JSON report (one framework's object, or a list of them).
fn findings(report: &str) -> anyhow::Result<BTreeSet<Finding>> {
    let report: serde_json::Value =
        serde_json::from_str(report).with_context(|| format!("checkov's report: {report}"))?;
    let reports = match report {
        serde_json::Value::Array(reports) => reports,
        report => vec![report],
    };
    let mut found = BTreeSet::new();
    for report in &reports {
        let failed = report["results"]["failed_checks"].as_array();
        for check in failed.into_iter().flatten() {
            found.insert(Finding {
                check: check["check_id"].as_str().unwrap_or_default().to_string(),
                resource: check["resource"].as_str().unwrap_or_default().to_string(),
            });
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_checks_are_read_from_one_report_or_several() {
        let one = r#"{"check_type": "kubernetes", "results": {"failed_checks": [
            {"check_id": "CKV_K8S_38", "resource": "Deployment.ns.manager"}]}}"#;
        let expected = BTreeSet::from([Finding {
            check: "CKV_K8S_38".into(),
            resource: "Deployment.ns.manager".into(),
        }]);
        assert_eq!(findings(one).expect("a report"), expected);
        assert_eq!(findings(&format!("[{one}]")).expect("reports"), expected);
        assert!(
            findings(r#"{"results": {"failed_checks": []}}"#)
                .expect("a report")
                .is_empty()
        );
    }
}
