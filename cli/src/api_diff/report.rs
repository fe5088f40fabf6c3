//! The report: changes grouped by Kind and version, one line each, and a summary line.

use std::io::{self, Write};

use super::allow::AllowEntry;
use super::change::{ALL_VERSIONS, Change, Severity};

/// The changes found, each marked allowed or not.
#[derive(Debug, Clone)]
pub struct Report {
    /// The changes in report order, with whether an allow entry covers them (breaking ones).
    changes: Vec<(Change, bool)>,
}

impl Report {
    /// The report of `changes`, breaking ones matched against `allowed`.
    ///
    /// ```
    /// use kubesmith_cli::api_diff::{AllowEntry, Change, Report, Severity};
    ///
    /// let change = Change {
    ///     kind: "CronJob".into(),
    ///     crd: "cronjobs.batch.example.com".into(),
    ///     version: "v1".into(),
    ///     path: "spec.schedule".into(),
    ///     severity: Severity::Breaking,
    ///     what: "field removed (was string)".into(),
    ///     why: "the values stored in existing objects are lost".into(),
    /// };
    /// let allowed: AllowEntry = "CronJob:v1:spec.*".parse()?;
    /// let report = Report::new(vec![change], &[allowed]);
    /// assert_eq!((report.breaking(), report.not_allowed()), (1, 0));
    /// let mut text = Vec::new();
    /// report.render(&mut text, "origin/main").expect("written");
    /// assert!(String::from_utf8_lossy(&text).ends_with("1 breaking (1 allowed), 0 safe changes\n"));
    /// # Ok::<(), String>(())
    /// ```
    pub fn new(mut changes: Vec<Change>, allowed: &[AllowEntry]) -> Self {
        changes.sort_by(|a, b| {
            (&a.kind, &a.crd, a.version != ALL_VERSIONS, &a.version).cmp(&(
                &b.kind,
                &b.crd,
                b.version != ALL_VERSIONS,
                &b.version,
            ))
        });
        let changes = changes
            .into_iter()
            .map(|change| {
                let is_allowed = change.severity == Severity::Breaking
                    && allowed.iter().any(|entry| entry.allows(&change));
                (change, is_allowed)
            })
            .collect();
        Report { changes }
    }

    /// How many breaking changes there are, allowed or not.
    pub fn breaking(&self) -> usize {
        self.count(|change, _| change.severity == Severity::Breaking)
    }

    /// How many breaking changes no allow entry covers.
    pub fn not_allowed(&self) -> usize {
        self.count(|change, allowed| change.severity == Severity::Breaking && !allowed)
    }

    /// How many safe changes there are.
    pub fn safe(&self) -> usize {
        self.count(|change, _| change.severity == Severity::Safe)
    }

    fn count(&self, which: impl Fn(&Change, bool) -> bool) -> usize {
        self.changes
            .iter()
            .filter(|(change, allowed)| which(change, *allowed))
            .count()
    }

    /// The allow entries that cover no breaking change (stale ones, or typing mistakes).
    pub fn unused<'a>(&self, allowed: &'a [AllowEntry]) -> Vec<&'a AllowEntry> {
        allowed
            .iter()
            .filter(|entry| {
                !self.changes.iter().any(|(change, _)| {
                    change.severity == Severity::Breaking && entry.allows(change)
                })
            })
            .collect()
    }

    /// Writes the report: a heading per Kind and version, a line per change, the summary.
    pub fn render(&self, out: &mut dyn Write, base: &str) -> io::Result<()> {
        if self.changes.is_empty() {
            writeln!(out, "No changes to the CRDs against {base}.")?;
        }
        let mut group: Option<(&str, &str, &str)> = None;
        for (change, allowed) in &self.changes {
            let this = (
                change.kind.as_str(),
                change.crd.as_str(),
                change.version.as_str(),
            );
            if group != Some(this) {
                if group.is_some() {
                    writeln!(out)?;
                }
                let version = if change.version == ALL_VERSIONS {
                    "all versions"
                } else {
                    &change.version
                };
                writeln!(out, "{} {version} ({})", change.kind, change.crd)?;
                group = Some(this);
            }
            writeln!(
                out,
                "  {:<8}  {} {} {}: {} — {}{}",
                change.severity.to_string(),
                change.kind,
                change.version,
                change.path,
                change.what,
                change.why,
                if *allowed { " [allowed]" } else { "" },
            )?;
        }
        if !self.changes.is_empty() {
            writeln!(out)?;
        }
        let breaking = self.breaking();
        let allowed = breaking - self.not_allowed();
        if allowed > 0 {
            writeln!(
                out,
                "{breaking} breaking ({allowed} allowed), {} safe changes",
                self.safe()
            )
        } else {
            writeln!(out, "{breaking} breaking, {} safe changes", self.safe())
        }
    }
}
