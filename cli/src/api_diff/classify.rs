//! The rules: how a change of one schema node is classified, keyword by keyword.
//!
//! A change is breaking when a request, a stored object or a client that worked against the
//! baseline can fail or lose data against the new schema; everything else is safe.
//! Documentation (`description`, ...) is not compared at all.

use std::collections::BTreeSet;

use serde_json::Value;

use super::change::{Change, Location, Severity};
use super::schema::{Field, flatten};

/// What one rule found at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Finding {
    severity: Severity,
    what: String,
    why: String,
}

fn breaking(what: impl Into<String>, why: impl Into<String>) -> Finding {
    Finding {
        severity: Severity::Breaking,
        what: what.into(),
        why: why.into(),
    }
}

fn safe(what: impl Into<String>, why: impl Into<String>) -> Finding {
    Finding {
        severity: Severity::Safe,
        what: what.into(),
        why: why.into(),
    }
}

/// The changes from the schema `old` to `new` of one version, path by path. A removed, added or
/// retyped node is reported once, not again for each of its descendants.
pub(crate) fn compare_schemas(at: Location<'_>, old: &Value, new: &Value) -> Vec<Change> {
    let old_fields = flatten(old);
    let new_fields = flatten(new);
    let paths: BTreeSet<&String> = old_fields.keys().chain(new_fields.keys()).collect();
    // Nodes whose descendants are covered by their own change.
    let mut covered: BTreeSet<&str> = BTreeSet::new();
    let mut changes = Vec::new();
    for path in paths {
        let old_field = old_fields.get(path);
        let new_field = new_fields.get(path);
        let parent = new_field
            .or(old_field)
            .and_then(|field| field.parent.as_deref());
        if parent.is_some_and(|parent| covered.contains(parent)) {
            covered.insert(path);
            continue;
        }
        let findings = match (old_field, new_field) {
            (Some(old), None) => {
                covered.insert(path);
                vec![removed(old)]
            }
            (None, Some(new)) => {
                covered.insert(path);
                vec![added(new)]
            }
            (Some(old), Some(new)) => {
                if old.type_name() != new.type_name() {
                    covered.insert(path);
                }
                compare_fields(old, new)
            }
            (None, None) => Vec::new(),
        };
        changes.extend(
            findings
                .into_iter()
                .map(|found| at.change(path, found.severity, found.what, found.why)),
        );
    }
    changes
}

/// A node the new schema does not have.
fn removed(old: &Field) -> Finding {
    breaking(
        format!("field removed (was {})", old.type_name()),
        "clients that set it have it dropped (or rejected under strict field validation), and \
         the values stored in existing objects are lost",
    )
}

/// A node the baseline did not have.
fn added(new: &Field) -> Finding {
    let type_name = new.type_name();
    match (new.required, new.get("default")) {
        (false, _) => safe(
            format!("optional field added ({type_name})"),
            "objects without it stay valid",
        ),
        (true, Some(default)) => safe(
            format!(
                "required field added ({type_name}) with default {}",
                json(default)
            ),
            "objects without it get the default",
        ),
        (true, None) => breaking(
            format!("required field added ({type_name})"),
            "existing objects and clients that do not send it are rejected",
        ),
    }
}

/// The changes of one node present in both schemas.
fn compare_fields(old: &Field, new: &Field) -> Vec<Finding> {
    let mut findings = Vec::new();
    if old.type_name() != new.type_name() {
        findings.push(breaking(
            format!("type {} → {}", old.type_name(), new.type_name()),
            "stored values and clients' code hold the old type",
        ));
    }
    match (old.required, new.required) {
        (false, true) => findings.push(match new.get("default") {
            None => breaking(
                "now required",
                "existing objects and clients that omit it are rejected",
            ),
            Some(default) => safe(
                "now required, with a default",
                format!("objects without it get the default {}", json(default)),
            ),
        }),
        (true, false) => findings.push(safe(
            "no longer required",
            "every object that was valid stays valid",
        )),
        _ => {}
    }
    let keywords: BTreeSet<&String> = old.keywords.keys().chain(new.keywords.keys()).collect();
    for keyword in keywords {
        let (before, after) = (old.get(keyword), new.get(keyword));
        if same(before, after) {
            continue;
        }
        findings.extend(compare_keyword(keyword, before, after, new));
    }
    findings
}

/// The change of one keyword from `before` to `after` (which differ).
fn compare_keyword(
    keyword: &str,
    before: Option<&Value>,
    after: Option<&Value>,
    new: &Field,
) -> Vec<Finding> {
    let what = format!("{keyword} {} → {}", plain(before), plain(after));
    vec![match keyword {
        // The type itself is compared by `Field::type_name`.
        "type" | "x-kubernetes-int-or-string" => return Vec::new(),
        "format" => breaking(
            what,
            "values valid in one format may be invalid in the other, and clients' code \
             generated from the schema changes",
        ),
        "minimum" | "minLength" | "minItems" | "minProperties" => {
            bound(keyword, what, before, after, Bound::Lower)
        }
        "maximum" | "maxLength" | "maxItems" | "maxProperties" => {
            bound(keyword, what, before, after, Bound::Upper)
        }
        "exclusiveMinimum" | "exclusiveMaximum" | "uniqueItems" => {
            if is_true(after) {
                let limit = match keyword {
                    "exclusiveMinimum" => {
                        format!("the minimum {} itself is", plain(new.get("minimum")))
                    }
                    "exclusiveMaximum" => {
                        format!("the maximum {} itself is", plain(new.get("maximum")))
                    }
                    _ => "lists with duplicate items are".into(),
                };
                breaking(what, rejected(&limit))
            } else {
                safe(what, "validation loosened")
            }
        }
        "multipleOf" => multiple_of(what, before, after),
        "pattern" => match after {
            None => safe(what, "validation loosened"),
            Some(_) => breaking(
                what,
                rejected("strings that do not match the new pattern are"),
            ),
        },
        "enum" => enumeration(before, after),
        "default" => match (before, after) {
            (None, _) => safe(what, "objects without it now read back with the default"),
            (Some(old), None) => breaking(
                format!("default {} removed", json(old)),
                "objects created without it no longer get the default, and code that relied on \
                 it finds it unset",
            ),
            (Some(old), Some(new)) => breaking(
                format!("default {} → {}", json(old), json(new)),
                "objects created without it get a different value, and stored objects that lack \
                 it read back differently",
            ),
        },
        "nullable" => {
            if is_true(before) {
                breaking(what, rejected("null values are"))
            } else {
                safe(what, "null is accepted as well")
            }
        }
        "x-kubernetes-list-type" | "x-kubernetes-map-type" => {
            let implicit = if keyword == "x-kubernetes-list-type" {
                "atomic"
            } else {
                "granular"
            };
            let shown = |value: Option<&Value>| {
                value.and_then(Value::as_str).unwrap_or(implicit).to_owned()
            };
            if shown(before) == shown(after) {
                return Vec::new();
            }
            breaking(
                format!("{keyword} {} → {}", shown(before), shown(after)),
                "server-side apply merges it differently: field ownership and the result of \
                 existing appliers' requests change",
            )
        }
        "x-kubernetes-list-map-keys" => breaking(
            what,
            "list entries are identified by other keys: server-side apply merges and \
             uniqueness checks change",
        ),
        "x-kubernetes-preserve-unknown-fields" => {
            if is_true(before) {
                breaking(
                    what,
                    "fields not in the schema are now pruned: data stored under this path is \
                     dropped",
                )
            } else {
                safe(what, "unknown fields are kept instead of pruned")
            }
        }
        "x-kubernetes-embedded-resource" => breaking(
            what,
            "embedded objects are validated (apiVersion, kind, metadata) differently",
        ),
        "x-kubernetes-validations" => return rules(before, after),
        "allOf" | "anyOf" | "oneOf" | "not" => match after {
            None => safe(what, "validation loosened"),
            Some(_) => breaking(what, rejected("values that fail the new constraint are")),
        },
        _ => breaking(
            what,
            "kubesmith cannot tell whether this change is compatible: review it",
        ),
    }]
}

/// The direction in which a bound limits values.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Bound {
    Lower,
    Upper,
}

/// A minimum or maximum (of a number, length, item or property count) changed.
fn bound(
    keyword: &str,
    what: String,
    before: Option<&Value>,
    after: Option<&Value>,
    direction: Bound,
) -> Finding {
    let (old, new) = (
        before.and_then(Value::as_f64),
        after.and_then(Value::as_f64),
    );
    let tightened = match (old, new, direction) {
        (_, None, _) => false,
        (None, Some(_), _) => true,
        (Some(old), Some(new), Bound::Lower) => new > old,
        (Some(old), Some(new), Bound::Upper) => new < old,
    };
    if !tightened {
        return safe(what, "validation loosened");
    }
    let limit = plain(after);
    let values = match keyword {
        "minimum" => format!("values below {limit} are"),
        "maximum" => format!("values above {limit} are"),
        "minLength" => format!("strings shorter than {limit} characters are"),
        "maxLength" => format!("strings longer than {limit} characters are"),
        "minItems" => format!("lists with fewer than {limit} items are"),
        "maxItems" => format!("lists with more than {limit} items are"),
        "minProperties" => format!("objects with fewer than {limit} entries are"),
        _ => format!("objects with more than {limit} entries are"),
    };
    breaking(what, rejected(&values))
}

/// `multipleOf` changed: safe when every multiple of the old value is one of the new.
fn multiple_of(what: String, before: Option<&Value>, after: Option<&Value>) -> Finding {
    let (old, new) = (
        before.and_then(Value::as_f64),
        after.and_then(Value::as_f64),
    );
    let loosened = match (old, new) {
        (_, None) => true,
        (Some(old), Some(new)) => new != 0.0 && (old / new).fract() == 0.0,
        (None, Some(_)) => false,
    };
    if loosened {
        safe(what, "every value valid before stays valid")
    } else {
        breaking(
            what,
            rejected(&format!(
                "values that are not multiples of {} are",
                plain(after)
            )),
        )
    }
}

/// `enum` changed: values removed or a new restriction break, values added do not.
fn enumeration(before: Option<&Value>, after: Option<&Value>) -> Finding {
    let values =
        |value: Option<&Value>| -> Option<Vec<Value>> { value.and_then(Value::as_array).cloned() };
    let list = |values: &[Value]| values.iter().map(json).collect::<Vec<_>>().join(", ");
    match (values(before), values(after)) {
        (_, None) => safe("enum removed", "any value of the type is accepted"),
        (None, Some(new)) => breaking(
            format!("enum added [{}]", list(&new)),
            rejected("values outside the list are"),
        ),
        (Some(old), Some(new)) => {
            let gone: Vec<Value> = old
                .iter()
                .filter(|value| !new.iter().any(|kept| same(Some(kept), Some(value))))
                .cloned()
                .collect();
            let fresh: Vec<Value> = new
                .iter()
                .filter(|value| !old.iter().any(|known| same(Some(known), Some(value))))
                .cloned()
                .collect();
            if gone.is_empty() {
                safe(
                    format!("enum values added: {}", list(&fresh)),
                    "every value valid before stays valid",
                )
            } else {
                breaking(
                    format!("enum values removed: {}", list(&gone)),
                    rejected("objects and clients using them are"),
                )
            }
        }
    }
}

/// One CEL rule of `x-kubernetes-validations`.
#[derive(Debug, Clone)]
struct Rule {
    rule: String,
    message: Option<String>,
    optional_old_self: bool,
}

impl Rule {
    fn all(value: Option<&Value>) -> Vec<Rule> {
        value
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|rule| {
                Some(Rule {
                    rule: rule.get("rule")?.as_str()?.to_owned(),
                    message: rule
                        .get("message")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    optional_old_self: is_true(rule.get("optionalOldSelf")),
                })
            })
            .collect()
    }

    /// A transition rule compares with the object's previous value (`oldSelf`).
    fn is_transition(&self) -> bool {
        self.rule
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .any(|word| word == "oldSelf")
    }
}

/// The CEL rules changed. Rules are matched by their text; an unmatched old and new rule with
/// the same message (or the only unmatched pair) is one changed rule.
fn rules(before: Option<&Value>, after: Option<&Value>) -> Vec<Finding> {
    let old = Rule::all(before);
    let new = Rule::all(after);
    let mut gone: Vec<&Rule> = old
        .iter()
        .filter(|rule| !new.iter().any(|kept| kept.rule == rule.rule))
        .collect();
    let mut fresh: Vec<&Rule> = new
        .iter()
        .filter(|rule| !old.iter().any(|known| known.rule == rule.rule))
        .collect();
    let mut findings = Vec::new();
    let mut pairs = Vec::new();
    fresh.retain(|rule| {
        let same_message = gone
            .iter()
            .position(|old| old.message.is_some() && old.message == rule.message);
        match same_message {
            Some(index) => {
                pairs.push((gone.remove(index), *rule));
                false
            }
            None => true,
        }
    });
    if let ([old], [new]) = (gone.as_slice(), fresh.as_slice()) {
        pairs.push((old, new));
        gone.clear();
        fresh.clear();
    }
    for (old, new) in pairs {
        findings.push(breaking(
            format!("validation rule `{}` → `{}`", old.rule, new.rule),
            "values the old rule accepted may be rejected; existing objects that fail it can no \
             longer be updated",
        ));
    }
    for rule in fresh {
        findings.push(match (rule.is_transition(), rule.optional_old_self) {
            (true, true) => safe(
                format!("transition rule added `{}` with optionalOldSelf", rule.rule),
                "it ratchets: written to accept objects as they are",
            ),
            (true, false) => breaking(
                format!("transition rule added `{}`", rule.rule),
                "updates that were allowed are rejected; to ratchet, set optionalOldSelf: true \
                 and accept what exists",
            ),
            (false, _) => breaking(
                format!("validation rule added `{}`", rule.rule),
                "existing objects may violate it and then can no longer be updated, and clients \
                 sending such values are rejected",
            ),
        });
    }
    for rule in gone {
        findings.push(safe(
            format!("validation rule removed `{}`", rule.rule),
            "validation loosened",
        ));
    }
    findings
}

/// The message of a tightened validation: what is rejected now.
fn rejected(values: &str) -> String {
    format!(
        "{values} now rejected: clients sending them fail, and existing objects holding them \
         can no longer be updated"
    )
}

/// Whether two keyword values are equal, numbers compared by value (`1` = `1.0`).
fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(Value::Number(a)), Some(Value::Number(b))) => a.as_f64() == b.as_f64(),
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(Some(a), Some(b)))
        }
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            a.len() == b.len() && a.iter().all(|(key, value)| same(Some(value), b.get(key)))
        }
        (a, b) => a == b,
    }
}

fn is_true(value: Option<&Value>) -> bool {
    value == Some(&Value::Bool(true))
}

/// A keyword's value for a message: strings bare, whole numbers without `.0`, `none` if unset.
fn plain(value: Option<&Value>) -> String {
    match value {
        None => "none".into(),
        Some(Value::String(text)) => text.clone(),
        Some(value) => json(value),
    }
}

/// A value as compact JSON, whole numbers without `.0`.
fn json(value: &Value) -> String {
    match value {
        Value::Number(number) => match number.as_f64() {
            Some(float) if number.is_f64() && float.fract() == 0.0 && float.abs() < 9.0e15 => {
                format!("{}", float as i64)
            }
            _ => number.to_string(),
        },
        other => other.to_string(),
    }
}
