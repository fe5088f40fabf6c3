//! One difference between a CRD and its baseline, and whether it breaks users.

use std::fmt;

/// Whether a change can break clients or stored objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Requests, objects or clients that worked before may fail or lose data.
    Breaking,
    /// Everything that worked before still works.
    Safe,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Breaking => "breaking",
            Severity::Safe => "safe",
        })
    }
}

/// The version of a change that concerns the whole CRD (its removal, its scope).
pub const ALL_VERSIONS: &str = "*";

/// A change of one Kind, version and path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The Kind (`spec.names.kind`).
    pub kind: String,
    /// The CRD's name (`<plural>.<group>`).
    pub crd: String,
    /// The version's name, or [`ALL_VERSIONS`].
    pub version: String,
    /// A JSON path of the object (`spec.containers[*].name`, `.` for the root), or a property of
    /// the CRD written `@name` (`@version`, `@served`, `@storage`, `@scope`, `@kind`, ...).
    pub path: String,
    /// Breaking or safe.
    pub severity: Severity,
    /// What changed, old → new (`maximum 10 → 5`).
    pub what: String,
    /// Why it breaks, or why it is safe.
    pub why: String,
}

/// Where a change is: the Kind and CRD it belongs to, the version and the path.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Location<'a> {
    /// The Kind.
    pub kind: &'a str,
    /// The CRD's name.
    pub crd: &'a str,
    /// The version, or [`ALL_VERSIONS`].
    pub version: &'a str,
}

impl Location<'_> {
    /// A change at `path` of this location.
    pub fn change(
        &self,
        path: &str,
        severity: Severity,
        what: impl Into<String>,
        why: impl Into<String>,
    ) -> Change {
        Change {
            kind: self.kind.into(),
            crd: self.crd.into(),
            version: self.version.into(),
            path: path.into(),
            severity,
            what: what.into(),
            why: why.into(),
        }
    }
}
