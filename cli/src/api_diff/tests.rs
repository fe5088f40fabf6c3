//! The rules as a table: one edit of a realistic CRD per row, and the changes it must report.

use serde_json::{Value, json};

use super::{CrdSet, Severity, diff};
use Severity::{Breaking, Safe};

/// The baseline: `CronJob` in `v1` (served, storage) and `v1beta1` (served), one schema.
fn baseline() -> Value {
    let schema = json!({
        "type": "object",
        "description": "A CronJob runs Jobs on a schedule.",
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {
                "type": "object",
                "required": ["schedule"],
                "properties": {
                    "schedule": {"type": "string", "minLength": 1, "maxLength": 100,
                                 "description": "Cron syntax."},
                    "suspend": {"type": "boolean"},
                    "note": {"type": "string", "nullable": true},
                    "replicas": {"type": "integer", "format": "int32", "minimum": 0,
                                 "maximum": 10, "default": 1},
                    "step": {"type": "integer", "multipleOf": 2},
                    "offset": {"type": "integer"},
                    "policy": {"type": "string", "enum": ["Allow", "Forbid", "Replace"],
                               "default": "Allow"},
                    "name": {"type": "string", "pattern": "^[a-z]+$"},
                    "image": {"type": "string"},
                    "containers": {
                        "type": "array", "minItems": 1, "maxItems": 5,
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["name"],
                        "items": {"type": "object", "required": ["name"], "properties": {
                            "name": {"type": "string"},
                            "image": {"type": "string"},
                        }},
                    },
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "labels": {"type": "object", "maxProperties": 10,
                               "additionalProperties": {"type": "string"}},
                    "template": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                    "window": {"type": "object",
                               "x-kubernetes-validations": [
                                   {"rule": "self.start < self.end", "message": "start before end"}],
                               "properties": {"start": {"type": "integer"},
                                              "end": {"type": "integer"}}},
                },
            },
            "status": {"type": "object", "properties": {
                "active": {"type": "array", "items": {"type": "string"}},
            }},
        },
    });
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "cronjobs.batch.example.com"},
        "spec": {
            "group": "batch.example.com",
            "names": {"kind": "CronJob", "listKind": "CronJobList", "plural": "cronjobs",
                      "singular": "cronjob", "shortNames": ["cj"]},
            "scope": "Namespaced",
            "versions": [
                {"name": "v1", "served": true, "storage": true,
                 "subresources": {"status": {}},
                 "additionalPrinterColumns": [
                     {"name": "Schedule", "type": "string", "jsonPath": ".spec.schedule"}],
                 "schema": {"openAPIV3Schema": schema.clone()}},
                {"name": "v1beta1", "served": true, "storage": false,
                 "schema": {"openAPIV3Schema": schema}},
            ],
        },
    })
}

/// The schema node of `v1` at a path such as `spec.containers[*].name` (`.` for the root).
fn node<'a>(crd: &'a mut Value, path: &str) -> &'a mut Value {
    let mut node = &mut crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
    for part in path.split('.').filter(|part| !part.is_empty()) {
        let (name, items) = match part.strip_suffix("[*]") {
            Some(name) => (name, true),
            None => (part, false),
        };
        node = &mut node["properties"][name];
        if items {
            node = &mut node["items"];
        }
    }
    node
}

/// Sets a keyword of the `v1` node at `path`.
fn set(crd: &mut Value, path: &str, keyword: &str, value: Value) {
    node(crd, path)[keyword] = value;
}

/// Removes a keyword (or a property, from `properties`) of the `v1` node at `path`.
fn remove(crd: &mut Value, path: &str, keyword: &str) {
    if let Some(object) = node(crd, path).as_object_mut() {
        object.remove(keyword);
    }
}

fn remove_property(crd: &mut Value, parent: &str, name: &str) {
    if let Some(properties) = node(crd, parent)["properties"].as_object_mut() {
        properties.remove(name);
    }
}

fn add_property(crd: &mut Value, parent: &str, name: &str, schema: Value) {
    node(crd, parent)["properties"][name] = schema;
}

fn require(crd: &mut Value, parent: &str, name: &str) {
    node(crd, parent)["required"]
        .as_array_mut()
        .expect("a required list")
        .push(json!(name));
}

/// One edit and the changes (version, path, severity, text of `what`) it must cause, exactly.
struct Case {
    name: &'static str,
    edit: fn(&mut Value),
    expect: &'static [(&'static str, &'static str, Severity, &'static str)],
}

const CASES: &[Case] = &[
    // Breaking: fields.
    Case {
        name: "removed field",
        edit: |crd| remove_property(crd, "spec", "suspend"),
        expect: &[(
            "v1",
            "spec.suspend",
            Breaking,
            "field removed (was boolean)",
        )],
    },
    Case {
        name: "renamed field: removed + added",
        edit: |crd| {
            remove_property(crd, "spec", "suspend");
            add_property(crd, "spec", "paused", json!({"type": "boolean"}));
        },
        expect: &[
            ("v1", "spec.paused", Safe, "optional field added (boolean)"),
            ("v1", "spec.suspend", Breaking, "field removed"),
        ],
    },
    Case {
        name: "removed object: reported once, not per descendant",
        edit: |crd| remove_property(crd, "spec", "containers"),
        expect: &[(
            "v1",
            "spec.containers",
            Breaking,
            "field removed (was array)",
        )],
    },
    Case {
        name: "type change",
        edit: |crd| set(crd, "spec.replicas", "type", json!("string")),
        expect: &[("v1", "spec.replicas", Breaking, "type integer → string")],
    },
    Case {
        name: "type change of a list item",
        edit: |crd| set(crd, "spec.tags[*]", "type", json!("integer")),
        expect: &[("v1", "spec.tags[*]", Breaking, "type string → integer")],
    },
    Case {
        name: "format change",
        edit: |crd| set(crd, "spec.replicas", "format", json!("int64")),
        expect: &[("v1", "spec.replicas", Breaking, "format int32 → int64")],
    },
    Case {
        name: "field newly required",
        edit: |crd| require(crd, "spec", "suspend"),
        expect: &[("v1", "spec.suspend", Breaking, "now required")],
    },
    Case {
        name: "new required field",
        edit: |crd| {
            add_property(crd, "spec", "timeZone", json!({"type": "string"}));
            require(crd, "spec", "timeZone");
        },
        expect: &[(
            "v1",
            "spec.timeZone",
            Breaking,
            "required field added (string)",
        )],
    },
    Case {
        name: "new required field in a list item",
        edit: |crd| require(crd, "spec.containers[*]", "image"),
        expect: &[("v1", "spec.containers[*].image", Breaking, "now required")],
    },
    // Breaking: tightened validation.
    Case {
        name: "minimum raised",
        edit: |crd| set(crd, "spec.replicas", "minimum", json!(1)),
        expect: &[("v1", "spec.replicas", Breaking, "minimum 0 → 1")],
    },
    Case {
        name: "maximum lowered",
        edit: |crd| set(crd, "spec.replicas", "maximum", json!(5)),
        expect: &[("v1", "spec.replicas", Breaking, "maximum 10 → 5")],
    },
    Case {
        name: "maximum added",
        edit: |crd| set(crd, "spec.offset", "maximum", json!(60)),
        expect: &[("v1", "spec.offset", Breaking, "maximum none → 60")],
    },
    Case {
        name: "exclusiveMaximum added",
        edit: |crd| set(crd, "spec.replicas", "exclusiveMaximum", json!(true)),
        expect: &[(
            "v1",
            "spec.replicas",
            Breaking,
            "exclusiveMaximum none → true",
        )],
    },
    Case {
        name: "exclusiveMinimum added",
        edit: |crd| set(crd, "spec.replicas", "exclusiveMinimum", json!(true)),
        expect: &[(
            "v1",
            "spec.replicas",
            Breaking,
            "exclusiveMinimum none → true",
        )],
    },
    Case {
        name: "pattern added",
        edit: |crd| set(crd, "spec.image", "pattern", json!("^[a-z./:]+$")),
        expect: &[("v1", "spec.image", Breaking, "pattern none → ^[a-z./:]+$")],
    },
    Case {
        name: "pattern changed",
        edit: |crd| set(crd, "spec.name", "pattern", json!("^[a-z0-9]+$")),
        expect: &[(
            "v1",
            "spec.name",
            Breaking,
            "pattern ^[a-z]+$ → ^[a-z0-9]+$",
        )],
    },
    Case {
        name: "enum value removed",
        edit: |crd| set(crd, "spec.policy", "enum", json!(["Allow", "Forbid"])),
        expect: &[(
            "v1",
            "spec.policy",
            Breaking,
            "enum values removed: \"Replace\"",
        )],
    },
    Case {
        name: "enum added where any value was valid",
        edit: |crd| set(crd, "spec.image", "enum", json!(["nginx"])),
        expect: &[("v1", "spec.image", Breaking, "enum added [\"nginx\"]")],
    },
    Case {
        name: "maxLength lowered",
        edit: |crd| set(crd, "spec.schedule", "maxLength", json!(50)),
        expect: &[("v1", "spec.schedule", Breaking, "maxLength 100 → 50")],
    },
    Case {
        name: "minLength raised",
        edit: |crd| set(crd, "spec.schedule", "minLength", json!(9)),
        expect: &[("v1", "spec.schedule", Breaking, "minLength 1 → 9")],
    },
    Case {
        name: "maxItems lowered",
        edit: |crd| set(crd, "spec.containers", "maxItems", json!(3)),
        expect: &[("v1", "spec.containers", Breaking, "maxItems 5 → 3")],
    },
    Case {
        name: "minItems raised",
        edit: |crd| set(crd, "spec.containers", "minItems", json!(2)),
        expect: &[("v1", "spec.containers", Breaking, "minItems 1 → 2")],
    },
    Case {
        name: "maxProperties lowered",
        edit: |crd| set(crd, "spec.labels", "maxProperties", json!(4)),
        expect: &[("v1", "spec.labels", Breaking, "maxProperties 10 → 4")],
    },
    Case {
        name: "minProperties added",
        edit: |crd| set(crd, "spec.labels", "minProperties", json!(1)),
        expect: &[("v1", "spec.labels", Breaking, "minProperties none → 1")],
    },
    Case {
        name: "multipleOf added",
        edit: |crd| set(crd, "spec.offset", "multipleOf", json!(5)),
        expect: &[("v1", "spec.offset", Breaking, "multipleOf none → 5")],
    },
    Case {
        name: "multipleOf changed to a value the old multiples miss",
        edit: |crd| set(crd, "spec.step", "multipleOf", json!(3)),
        expect: &[("v1", "spec.step", Breaking, "multipleOf 2 → 3")],
    },
    Case {
        name: "uniqueItems added",
        edit: |crd| set(crd, "spec.tags", "uniqueItems", json!(true)),
        expect: &[("v1", "spec.tags", Breaking, "uniqueItems none → true")],
    },
    Case {
        name: "nullable removed",
        edit: |crd| remove(crd, "spec.note", "nullable"),
        expect: &[("v1", "spec.note", Breaking, "nullable true → none")],
    },
    // Breaking: defaults, list and map types, pruning.
    Case {
        name: "default changed",
        edit: |crd| set(crd, "spec.replicas", "default", json!(2)),
        expect: &[("v1", "spec.replicas", Breaking, "default 1 → 2")],
    },
    Case {
        name: "default removed",
        edit: |crd| remove(crd, "spec.policy", "default"),
        expect: &[("v1", "spec.policy", Breaking, "default \"Allow\" removed")],
    },
    Case {
        name: "list type changed (implicit atomic → set)",
        edit: |crd| set(crd, "spec.tags", "x-kubernetes-list-type", json!("set")),
        expect: &[(
            "v1",
            "spec.tags",
            Breaking,
            "x-kubernetes-list-type atomic → set",
        )],
    },
    Case {
        name: "list-map keys changed",
        edit: |crd| {
            set(
                crd,
                "spec.containers",
                "x-kubernetes-list-map-keys",
                json!(["name", "image"]),
            );
        },
        expect: &[(
            "v1",
            "spec.containers",
            Breaking,
            "x-kubernetes-list-map-keys [\"name\"] → [\"name\",\"image\"]",
        )],
    },
    Case {
        name: "map type changed",
        edit: |crd| set(crd, "spec.labels", "x-kubernetes-map-type", json!("atomic")),
        expect: &[(
            "v1",
            "spec.labels",
            Breaking,
            "x-kubernetes-map-type granular → atomic",
        )],
    },
    Case {
        name: "preserve-unknown-fields removed",
        edit: |crd| remove(crd, "spec.template", "x-kubernetes-preserve-unknown-fields"),
        expect: &[(
            "v1",
            "spec.template",
            Breaking,
            "x-kubernetes-preserve-unknown-fields true → none",
        )],
    },
    // Breaking: CEL rules.
    Case {
        name: "new rule",
        edit: |crd| {
            set(
                crd,
                "spec",
                "x-kubernetes-validations",
                json!([{"rule": "self.replicas <= 5 || self.suspend"}]),
            );
        },
        expect: &[(
            "v1",
            "spec",
            Breaking,
            "validation rule added `self.replicas <= 5 || self.suspend`",
        )],
    },
    Case {
        name: "new transition rule without optionalOldSelf",
        edit: |crd| {
            set(
                crd,
                "spec.schedule",
                "x-kubernetes-validations",
                json!([{"rule": "self == oldSelf", "message": "immutable"}]),
            );
        },
        expect: &[(
            "v1",
            "spec.schedule",
            Breaking,
            "transition rule added `self == oldSelf`",
        )],
    },
    Case {
        name: "changed rule",
        edit: |crd| {
            set(
                crd,
                "spec.window",
                "x-kubernetes-validations",
                json!([{"rule": "self.start + 60 < self.end", "message": "start before end"}]),
            );
        },
        expect: &[(
            "v1",
            "spec.window",
            Breaking,
            "validation rule `self.start < self.end` → `self.start + 60 < self.end`",
        )],
    },
    // Breaking: the CRD and its versions.
    Case {
        name: "version removed",
        edit: |crd| {
            crd["spec"]["versions"]
                .as_array_mut()
                .expect("versions")
                .remove(1);
        },
        expect: &[("v1beta1", "@version", Breaking, "version v1beta1 removed")],
    },
    Case {
        name: "version no longer served",
        edit: |crd| crd["spec"]["versions"][1]["served"] = json!(false),
        expect: &[("v1beta1", "@served", Breaking, "served true → false")],
    },
    Case {
        name: "storage version changed",
        edit: |crd| {
            crd["spec"]["versions"][0]["storage"] = json!(false);
            crd["spec"]["versions"][1]["storage"] = json!(true);
        },
        expect: &[(
            "v1beta1",
            "@storage",
            Breaking,
            "storage version v1 → v1beta1",
        )],
    },
    Case {
        name: "scope changed",
        edit: |crd| crd["spec"]["scope"] = json!("Cluster"),
        expect: &[("*", "@scope", Breaking, "scope Namespaced → Cluster")],
    },
    Case {
        name: "status subresource removed",
        edit: |crd| {
            if let Some(version) = crd["spec"]["versions"][0].as_object_mut() {
                version.remove("subresources");
            }
        },
        expect: &[(
            "v1",
            "@subresources.status",
            Breaking,
            "status subresource removed",
        )],
    },
    // Safe.
    Case {
        name: "optional field added",
        edit: |crd| add_property(crd, "spec", "timeZone", json!({"type": "string"})),
        expect: &[("v1", "spec.timeZone", Safe, "optional field added (string)")],
    },
    Case {
        name: "maximum raised",
        edit: |crd| set(crd, "spec.replicas", "maximum", json!(20)),
        expect: &[("v1", "spec.replicas", Safe, "maximum 10 → 20")],
    },
    Case {
        name: "minimum lowered and maxItems removed",
        edit: |crd| {
            set(crd, "spec.replicas", "minimum", json!(-1));
            remove(crd, "spec.containers", "maxItems");
        },
        expect: &[
            ("v1", "spec.containers", Safe, "maxItems 5 → none"),
            ("v1", "spec.replicas", Safe, "minimum 0 → -1"),
        ],
    },
    Case {
        name: "enum value added",
        edit: |crd| {
            set(
                crd,
                "spec.policy",
                "enum",
                json!(["Allow", "Forbid", "Replace", "Skip"]),
            )
        },
        expect: &[("v1", "spec.policy", Safe, "enum values added: \"Skip\"")],
    },
    Case {
        name: "multipleOf changed to a divisor",
        edit: |crd| set(crd, "spec.step", "multipleOf", json!(1)),
        expect: &[("v1", "spec.step", Safe, "multipleOf 2 → 1")],
    },
    Case {
        name: "version added",
        edit: |crd| {
            let mut v2 = crd["spec"]["versions"][0].clone();
            v2["name"] = json!("v2");
            v2["storage"] = json!(false);
            crd["spec"]["versions"]
                .as_array_mut()
                .expect("versions")
                .push(v2);
        },
        expect: &[("v2", "@version", Safe, "version v2 added")],
    },
    Case {
        name: "description-only changes are ignored",
        edit: |crd| {
            set(
                crd,
                "spec.schedule",
                "description",
                json!("When to run, in cron syntax."),
            );
            set(crd, ".", "description", json!("Runs Jobs."));
            set(crd, "spec.suspend", "description", json!("Stops new runs."));
        },
        expect: &[],
    },
    Case {
        name: "field no longer required",
        edit: |crd| node(crd, "spec")["required"] = json!([]),
        expect: &[("v1", "spec.schedule", Safe, "no longer required")],
    },
    Case {
        name: "default added",
        edit: |crd| set(crd, "spec.offset", "default", json!(0)),
        expect: &[("v1", "spec.offset", Safe, "default none → 0")],
    },
    Case {
        name: "nullable added and pattern removed",
        edit: |crd| {
            set(crd, "spec.image", "nullable", json!(true));
            remove(crd, "spec.name", "pattern");
        },
        expect: &[
            ("v1", "spec.image", Safe, "nullable none → true"),
            ("v1", "spec.name", Safe, "pattern ^[a-z]+$ → none"),
        ],
    },
    Case {
        name: "rule removed",
        edit: |crd| remove(crd, "spec.window", "x-kubernetes-validations"),
        expect: &[(
            "v1",
            "spec.window",
            Safe,
            "validation rule removed `self.start < self.end`",
        )],
    },
    Case {
        name: "ratcheting transition rule added",
        edit: |crd| {
            set(
                crd,
                "spec.replicas",
                "x-kubernetes-validations",
                json!([{"rule": "!oldSelf.hasValue() || self >= oldSelf.value()",
                        "optionalOldSelf": true}]),
            );
        },
        expect: &[("v1", "spec.replicas", Safe, "transition rule added")],
    },
    Case {
        name: "printer column added",
        edit: |crd| {
            crd["spec"]["versions"][0]["additionalPrinterColumns"]
                .as_array_mut()
                .expect("columns")
                .push(json!({"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}));
        },
        expect: &[("v1", "@columns[Age]", Safe, "printer column Age added")],
    },
    Case {
        name: "whole numbers are equal however they are written",
        edit: |crd| set(crd, "spec.replicas", "maximum", json!(10.0)),
        expect: &[],
    },
];

#[test]
fn every_schema_change_is_classified() {
    assert!(CASES.len() >= 25, "{} cases", CASES.len());
    let base = baseline();
    let old = crds(&base);
    let mut failures = Vec::new();
    for case in CASES {
        let mut edited = base.clone();
        (case.edit)(&mut edited);
        let changes = diff(&old, &crds(&edited));
        let found: Vec<String> = changes
            .iter()
            .map(|change| {
                format!(
                    "{} {} {} {}: {} — {}",
                    change.severity,
                    change.kind,
                    change.version,
                    change.path,
                    change.what,
                    change.why
                )
            })
            .collect();
        let matches = changes.len() == case.expect.len()
            && changes.iter().zip(case.expect).all(|(change, expected)| {
                let (version, path, severity, what) = *expected;
                change.kind == "CronJob"
                    && change.version == version
                    && change.path == path
                    && change.severity == severity
                    && change.what.contains(what)
                    && change.why.len() > 10
            });
        if !matches {
            failures.push(format!(
                "{}: expected {:?}\n  found {found:#?}",
                case.name, case.expect
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn removed_crd_is_breaking_and_added_crd_is_safe() {
    let old = crds(&baseline());
    let mut other = baseline();
    other["metadata"]["name"] = json!("schedules.batch.example.com");
    other["spec"]["names"]["kind"] = json!("Schedule");
    let changes = diff(&old, &crds(&other));
    let summary: Vec<(&str, &str, &str, Severity)> = changes
        .iter()
        .map(|change| {
            (
                change.kind.as_str(),
                change.version.as_str(),
                change.path.as_str(),
                change.severity,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("CronJob", "*", "@kind", Breaking),
            ("Schedule", "*", "@kind", Safe)
        ]
    );
    assert!(
        changes[0]
            .what
            .contains("cronjobs.batch.example.com removed")
    );
}

/// A set of the one CRD.
fn crds(crd: &Value) -> CrdSet {
    let yaml = serde_json::to_string(crd).expect("JSON is YAML");
    CrdSet::from_yaml(&yaml, "test.yaml").expect("a CRD")
}
