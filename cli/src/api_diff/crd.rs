//! CRD- and version-level changes: Kinds and versions removed or added, serving, storage,
//! scope, names, subresources and printer columns; then each version's schema.

use serde_json::Value;

use super::baseline::CrdSet;
use super::change::{ALL_VERSIONS, Change, Location, Severity};
use super::classify::compare_schemas;

/// Every change from the CRDs `old` (the baseline) to `new`, CRDs matched by
/// `metadata.name` and versions by name.
///
/// ```
/// use kubesmith_cli::api_diff::{CrdSet, Severity, diff};
///
/// let crd = |maximum: u32| format!(
///     "apiVersion: apiextensions.k8s.io/v1
/// kind: CustomResourceDefinition
/// metadata: {{name: cronjobs.batch.example.com}}
/// spec:
///   group: batch.example.com
///   names: {{kind: CronJob, plural: cronjobs}}
///   scope: Namespaced
///   versions:
///   - name: v1
///     served: true
///     storage: true
///     schema:
///       openAPIV3Schema:
///         type: object
///         properties:
///           spec:
///             type: object
///             properties: {{replicas: {{type: integer, maximum: {maximum}}}}}
/// ");
/// let old = CrdSet::from_yaml(&crd(10), "old.yaml")?;
/// let new = CrdSet::from_yaml(&crd(5), "new.yaml")?;
/// let changes = diff(&old, &new);
/// assert_eq!(changes.len(), 1);
/// assert_eq!(changes[0].path, "spec.replicas");
/// assert_eq!(changes[0].what, "maximum 10 → 5");
/// assert_eq!(changes[0].severity, Severity::Breaking);
/// # Ok::<(), kubesmith_cli::api_diff::ApiDiffError>(())
/// ```
pub fn diff(old: &CrdSet, new: &CrdSet) -> Vec<Change> {
    let mut changes = Vec::new();
    for (name, old_crd) in old.iter() {
        let kind = kind_of(old_crd);
        let at = Location {
            kind: &kind,
            crd: name,
            version: ALL_VERSIONS,
        };
        match new.get(name) {
            None => changes.push(at.change(
                "@kind",
                Severity::Breaking,
                format!("CRD {name} removed"),
                "clients of the Kind fail, and deleting the CRD deletes every object of it",
            )),
            Some(new_crd) => compare_crds(name, old_crd, new_crd, &mut changes),
        }
    }
    for (name, new_crd) in new.iter().filter(|(name, _)| old.get(name).is_none()) {
        let kind = kind_of(new_crd);
        let at = Location {
            kind: &kind,
            crd: name,
            version: ALL_VERSIONS,
        };
        changes.push(at.change(
            "@kind",
            Severity::Safe,
            format!("CRD {name} added"),
            "a new API",
        ));
    }
    changes
}

/// `spec.names.kind`, or the CRD's name when it has none.
fn kind_of(crd: &Value) -> String {
    text(crd, "/spec/names/kind")
        .or_else(|| text(crd, "/metadata/name"))
        .unwrap_or_default()
        .to_owned()
}

fn text<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

fn flag(value: &Value, pointer: &str) -> bool {
    value.pointer(pointer) == Some(&Value::Bool(true))
}

/// The versions of a CRD (`spec.versions`), by name.
fn versions(crd: &Value) -> Vec<(&str, &Value)> {
    crd.pointer("/spec/versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|version| Some((version.get("name")?.as_str()?, version)))
        .collect()
}

/// The changes of one CRD present in both sets.
fn compare_crds(name: &str, old: &Value, new: &Value, changes: &mut Vec<Change>) {
    let kind = kind_of(new);
    let whole = Location {
        kind: &kind,
        crd: name,
        version: ALL_VERSIONS,
    };
    let old_kind = kind_of(old);
    if old_kind != kind {
        changes.push(whole.change(
            "@kind",
            Severity::Breaking,
            format!("kind {old_kind} → {kind}"),
            "clients send and expect the old kind in every object",
        ));
    }
    let scope = |crd| text(crd, "/spec/scope").unwrap_or("Namespaced");
    if scope(old) != scope(new) {
        changes.push(whole.change(
            "@scope",
            Severity::Breaking,
            format!("scope {} → {}", scope(old), scope(new)),
            "every request's URL changes and existing objects cannot be carried over",
        ));
    }
    let short_names = |crd: &Value| -> Vec<String> {
        crd.pointer("/spec/names/shortNames")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    let new_short_names = short_names(new);
    for gone in short_names(old)
        .iter()
        .filter(|short| !new_short_names.contains(short))
    {
        changes.push(whole.change(
            "@shortNames",
            Severity::Breaking,
            format!("short name {gone} removed"),
            format!("`kubectl get {gone}` stops working in scripts and habits"),
        ));
    }

    let old_versions = versions(old);
    let new_versions = versions(new);
    let storage = |versions: &[(&str, &Value)]| {
        versions
            .iter()
            .find(|(_, version)| flag(version, "/storage"))
            .map(|(name, _)| (*name).to_owned())
    };
    if let (Some(before), Some(after)) = (storage(&old_versions), storage(&new_versions))
        && before != after
    {
        let at = Location {
            version: &after,
            ..whole
        };
        changes.push(at.change(
            "@storage",
            Severity::Breaking,
            format!("storage version {before} → {after}"),
            format!(
                "objects are written as {after} from now on: a rollback needs conversion back, \
                 and {before} stays in status.storedVersions until the objects are migrated"
            ),
        ));
    }
    for (version, old_version) in &old_versions {
        let at = Location { version, ..whole };
        match new_versions.iter().find(|(name, _)| name == version) {
            None => changes.push(at.change(
                "@version",
                Severity::Breaking,
                format!("version {version} removed"),
                format!(
                    "clients of {version} get 404 Not Found, and objects stored as {version} \
                     must be migrated first"
                ),
            )),
            Some((_, new_version)) => compare_versions(at, old_version, new_version, changes),
        }
    }
    for (version, _) in new_versions
        .iter()
        .filter(|(name, _)| !old_versions.iter().any(|(old, _)| old == name))
    {
        let at = Location { version, ..whole };
        changes.push(at.change(
            "@version",
            Severity::Safe,
            format!("version {version} added"),
            "clients of the other versions are not affected",
        ));
    }
}

/// The changes of one version present in both CRDs.
fn compare_versions(at: Location<'_>, old: &Value, new: &Value, changes: &mut Vec<Change>) {
    match (flag(old, "/served"), flag(new, "/served")) {
        (true, false) => changes.push(at.change(
            "@served",
            Severity::Breaking,
            "served true → false",
            format!("clients of {} get 404 Not Found", at.version),
        )),
        (false, true) => changes.push(at.change(
            "@served",
            Severity::Safe,
            "served false → true",
            "clients can use the version",
        )),
        _ => {}
    }
    if !flag(old, "/deprecated") && flag(new, "/deprecated") {
        changes.push(at.change(
            "@deprecated",
            Severity::Safe,
            "deprecated false → true",
            "clients get a warning with each request",
        ));
    }
    for subresource in ["status", "scale"] {
        let pointer = format!("/subresources/{subresource}");
        let path = format!("@subresources.{subresource}");
        match (old.pointer(&pointer), new.pointer(&pointer)) {
            (Some(_), None) => changes.push(at.change(
                &path,
                Severity::Breaking,
                format!("{subresource} subresource removed"),
                format!("requests to /{subresource} fail with 404 Not Found"),
            )),
            (None, Some(_)) => changes.push(at.change(
                &path,
                Severity::Safe,
                format!("{subresource} subresource added"),
                "a new endpoint",
            )),
            (Some(before), Some(after)) if before != after => changes.push(at.change(
                &path,
                Severity::Breaking,
                format!("{subresource} subresource {before} → {after}"),
                "clients of the subresource read and write other fields",
            )),
            _ => {}
        }
    }
    compare_columns(at, old, new, changes);
    changes.extend(compare_schemas(
        at,
        old.pointer("/schema/openAPIV3Schema")
            .unwrap_or(&Value::Null),
        new.pointer("/schema/openAPIV3Schema")
            .unwrap_or(&Value::Null),
    ));
}

/// Printer columns (`kubectl get` output) added, removed or changed: never breaking.
fn compare_columns(at: Location<'_>, old: &Value, new: &Value, changes: &mut Vec<Change>) {
    let columns = |version: &Value| -> Vec<(String, Value)> {
        version
            .get("additionalPrinterColumns")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|column| {
                let mut column = column.clone();
                let name = column.get("name")?.as_str()?.to_owned();
                if let Some(object) = column.as_object_mut() {
                    object.remove("description");
                }
                Some((name, column))
            })
            .collect()
    };
    let (before, after) = (columns(old), columns(new));
    for (name, column) in &after {
        let path = format!("@columns[{name}]");
        match before.iter().find(|(old, _)| old == name) {
            None => changes.push(at.change(
                &path,
                Severity::Safe,
                format!("printer column {name} added"),
                "kubectl get shows it",
            )),
            Some((_, old)) if old != column => changes.push(at.change(
                &path,
                Severity::Safe,
                format!("printer column {name} changed"),
                "only kubectl get output changes",
            )),
            Some(_) => {}
        }
    }
    for (name, _) in before
        .iter()
        .filter(|(name, _)| !after.iter().any(|(new, _)| new == name))
    {
        changes.push(at.change(
            &format!("@columns[{name}]"),
            Severity::Safe,
            format!("printer column {name} removed"),
            "only kubectl get output changes",
        ));
    }
}
